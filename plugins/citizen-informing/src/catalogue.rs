//! The life-event catalogue: which event in the region's data informs whom, with which
//! template, by which channel.
//!
//! The federal catalogue of life events (Mintrud order 11n, Government decree 1994 of
//! 03.12.2020 on proactive informing) pairs each life event with the measures it opens and
//! the message to send. That is data a region maintains, so it is data here too: the
//! catalogue ships as `catalogue.json` in this crate and an administrator can replace it
//! with the `catalogue` configuration key. Every entry is checked before anything is sent;
//! a bad one is refused with the key, the entry and the field named.
//!
//! ```json
//! { "measure_names": { "child-allowance": "ежемесячное пособие …" },
//!   "events": [{ "event": "application-decided", "title": "По заявлению принято решение",
//!                "trigger": "status:decided", "measures": ["child-allowance"],
//!                "template": "decision-made", "channel": "sms",
//!                "params": { "decision": "…" } }] }
//! ```
//!
//! Triggers the plugin can find in the region's data:
//! - `status:<registered|assigned|in-work|returned|decided>` — an application's status
//!   became this (a row of `application_events`);
//! - `smev-answer` — an interagency answer arrived for an application in work.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use zemstvo_sdk::notify::Channel;

/// The configuration key that replaces the shipped catalogue.
pub const KEY: &str = "catalogue";

/// The catalogue shipped with the plugin.
pub const SHIPPED: &str = include_str!("../catalogue.json");

/// Application statuses a `status:` trigger may name (the host's schema).
const STATUSES: &[&str] = &["registered", "assigned", "in-work", "returned", "decided"];

/// Parameters the plugin fills itself, and the one the host fills: an entry's own `params`
/// may not name them.
pub const COMPUTED_PARAMS: &[&str] = &["number", "measure", "date", "agency", "full_name"];

/// What in the region's data makes an event happen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// The application's status became this one.
    Status(String),
    /// An SMEV answer was received for an application in work.
    SmevAnswer,
}

/// One checked entry of the catalogue.
#[derive(Debug, Clone)]
pub struct LifeEvent {
    /// The entry's identity: part of every message key, so renaming it re-informs.
    pub event: String,
    pub title: String,
    pub trigger: Trigger,
    /// The measures whose applications the event concerns; `None` is every measure.
    pub measures: Option<BTreeSet<String>>,
    pub template: String,
    /// `None`: the configured default channel.
    pub channel: Option<Channel>,
    /// Fixed parameters the region's template needs besides the computed ones.
    pub params: BTreeMap<String, String>,
}

impl LifeEvent {
    /// Whether an application of `measure` is concerned.
    pub fn concerns(&self, measure: &str) -> bool {
        self.measures.as_ref().is_none_or(|m| m.contains(measure))
    }
}

/// The checked catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub events: Vec<LifeEvent>,
    measure_names: BTreeMap<String, String>,
}

/// The catalogue as written, before checking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    measure_names: BTreeMap<String, String>,
    events: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    event: String,
    #[serde(default)]
    title: String,
    trigger: String,
    measures: Option<Vec<String>>,
    template: String,
    channel: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
}

impl Catalogue {
    /// The configured catalogue, or the shipped one when the key is empty.
    pub fn from_config(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            Self::parse(SHIPPED).map_err(|e| format!("the shipped catalogue is broken: {e}"))
        } else {
            Self::parse(text)
        }
    }

    /// Parses and checks a catalogue. The error names the key, the entry and the field.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawCatalogue = serde_json::from_str(text).map_err(|e| {
            format!(
                "`{KEY}` is not a life-event catalogue ({e}); write {{\"events\": [...]}} as in \
                 the shipped catalogue.json"
            )
        })?;
        if raw.events.is_empty() {
            return Err(format!("`{KEY}` lists no events; add at least one"));
        }
        let mut events = Vec::with_capacity(raw.events.len());
        let mut seen = BTreeSet::new();
        for (i, value) in raw.events.into_iter().enumerate() {
            let name = value
                .get("event")
                .and_then(|e| e.as_str())
                .map_or_else(|| format!("#{}", i + 1), |e| format!("`{e}`"));
            let at = |why: String| format!("`{KEY}`: event {name}: {why}");
            let entry: RawEvent = serde_json::from_value(value).map_err(|e| at(e.to_string()))?;
            let event = check_entry(entry).map_err(at)?;
            if !seen.insert(event.event.clone()) {
                return Err(at("listed twice; each event needs its own name".into()));
            }
            events.push(event);
        }
        Ok(Catalogue {
            events,
            measure_names: raw.measure_names,
        })
    }

    /// The measure as a citizen reads it: its name from the catalogue, or else its code.
    pub fn measure_name<'a>(&'a self, measure: &'a str) -> &'a str {
        self.measure_names
            .get(measure)
            .map_or(measure, String::as_str)
    }

    /// The statuses that `status:` triggers name.
    pub fn statuses(&self) -> BTreeSet<&str> {
        self.events
            .iter()
            .filter_map(|e| match &e.trigger {
                Trigger::Status(s) => Some(s.as_str()),
                Trigger::SmevAnswer => None,
            })
            .collect()
    }

    /// Whether some entry waits for SMEV answers.
    pub fn wants_smev_answers(&self) -> bool {
        self.events.iter().any(|e| e.trigger == Trigger::SmevAnswer)
    }
}

fn check_entry(raw: RawEvent) -> Result<LifeEvent, String> {
    if !is_identifier(&raw.event) {
        return Err(
            "`event` must be lowercase letters, digits and `-`, starting with a letter".into(),
        );
    }
    let trigger = parse_trigger(&raw.trigger)?;
    let measures = match raw.measures {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(
                "`measures` is empty; name the measures, or leave the field out for all".into(),
            );
        }
        Some(list) => {
            if let Some(bad) = list.iter().find(|m| m.trim().is_empty() || m.trim() != *m) {
                return Err(format!("`measures` holds `{bad}`, not a measure code"));
            }
            Some(list.into_iter().collect())
        }
    };
    if !is_identifier(&raw.template) {
        return Err(format!(
            "template `{}` is not a template name: lowercase letters, digits and `-`",
            raw.template
        ));
    }
    let channel = match raw.channel.as_deref() {
        None => None,
        Some("sms") => Some(Channel::Sms),
        Some("voice") => Some(Channel::Voice),
        Some(other) => {
            return Err(format!(
                "channel `{other}` is not one of `sms`, `voice` (messages go by SMS or voice call)"
            ));
        }
    };
    for (name, value) in &raw.params {
        if COMPUTED_PARAMS.contains(&name.as_str()) {
            return Err(format!(
                "parameter `{name}` is filled from the data; remove it from `params`"
            ));
        }
        if name.trim().is_empty() || name.chars().count() > 64 {
            return Err(format!(
                "parameter name `{name}` must be 1 to 64 characters"
            ));
        }
        if value.chars().count() > 4_000 {
            return Err(format!("parameter `{name}` is longer than 4000 characters"));
        }
    }
    Ok(LifeEvent {
        event: raw.event,
        title: raw.title,
        trigger,
        measures,
        template: raw.template,
        channel,
        params: raw.params,
    })
}

fn parse_trigger(text: &str) -> Result<Trigger, String> {
    if text == "smev-answer" {
        return Ok(Trigger::SmevAnswer);
    }
    if let Some(status) = text.strip_prefix("status:")
        && STATUSES.contains(&status)
    {
        return Ok(Trigger::Status(status.to_string()));
    }
    Err(format!(
        "unknown trigger `{text}`: this plugin finds `status:<{}>` (an application's status \
         became it) and `smev-answer` (an SMEV answer for an application in work)",
        STATUSES.join("|")
    ))
}

/// Lowercase ASCII letters, digits and `-`, starting with a letter, at most 64 characters:
/// the host's rule for template names, used for event names too (they go into keys).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_is_valid_and_covers_the_four_events() {
        let c = Catalogue::from_config("").unwrap();
        let names: Vec<&str> = c.events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(
            names,
            [
                "application-registered",
                "smev-answer-received",
                "application-returned",
                "application-decided"
            ]
        );
        assert!(c.wants_smev_answers());
        assert_eq!(
            c.statuses().into_iter().collect::<Vec<_>>(),
            ["decided", "registered", "returned"]
        );
        assert!(c.measure_name("child-allowance").contains("пособие"));
        assert_eq!(c.measure_name("new-measure"), "new-measure");
    }

    #[test]
    fn an_unknown_trigger_is_refused_with_the_key_and_the_event() {
        let err = Catalogue::parse(
            r#"{"events": [{"event": "child-birth", "trigger": "zags:birth", "template": "t"}]}"#,
        )
        .unwrap_err();
        assert!(
            err.contains("`catalogue`")
                && err.contains("`child-birth`")
                && err.contains("zags:birth"),
            "{err}"
        );
    }

    #[test]
    fn every_field_is_checked() {
        let bad =
            |entry: &str| Catalogue::parse(&format!(r#"{{"events": [{entry}]}}"#)).unwrap_err();
        assert!(
            bad(r#"{"event": "a", "trigger": "status:lost", "template": "t"}"#)
                .contains("status:lost")
        );
        assert!(
            bad(r#"{"event": "a", "trigger": "smev-answer", "template": "T!"}"#)
                .contains("template")
        );
        assert!(
            bad(r#"{"event": "a", "trigger": "smev-answer", "template": "t", "channel": "fax"}"#)
                .contains("fax")
        );
        assert!(
            bad(r#"{"event": "a", "trigger": "smev-answer", "template": "t", "measures": []}"#)
                .contains("measures")
        );
        assert!(bad(r#"{"event": "a", "trigger": "smev-answer", "template": "t", "params": {"number": "1"}}"#).contains("number"));
        assert!(
            bad(r#"{"event": "a", "trigger": "smev-answer", "template": "t", "tmplate": "x"}"#)
                .contains("tmplate")
        );
        assert!(bad(r#"{"trigger": "smev-answer", "template": "t"}"#).contains("#1"));
        let twice = r#"{"event": "a", "trigger": "smev-answer", "template": "t"}"#;
        assert!(bad(&format!("{twice}, {twice}")).contains("twice"));
        assert!(
            Catalogue::parse(r#"{"events": []}"#)
                .unwrap_err()
                .contains("no events")
        );
        assert!(Catalogue::parse("[]").unwrap_err().contains("`catalogue`"));
    }
}
