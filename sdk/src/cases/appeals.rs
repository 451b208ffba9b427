//! Appeal routers' cases: the appeal a case gives (only the fields it is about), the
//! catalogue and open incidents beside it, and what the routing must be.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use zemstvo_core::appeals::{Appeal, AppealInput, Impact, Place, Routing, Urgency};

use super::Case;

/// An appeal as a case gives it: only the fields the case is about; [`CaseAppeal::appeal`]
/// fills in the rest.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CaseAppeal {
    pub id: Option<u64>,
    pub channel: Option<String>,
    pub service_code: Option<String>,
    pub text: Option<String>,
    pub place: Option<Place>,
    pub territory: Option<String>,
    pub received: Option<i64>,
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
}

impl CaseAppeal {
    /// The appeal the router is called with: appeal 1 from `open311`, received at `now`,
    /// with an empty text, unless the case says otherwise.
    pub fn appeal(&self, now: i64) -> Appeal {
        Appeal {
            id: self.id.unwrap_or(1),
            channel: self.channel.clone().unwrap_or_else(|| "open311".into()),
            service_code: self.service_code.clone(),
            text: self.text.clone().unwrap_or_default(),
            place: self.place.clone(),
            territory: self.territory.clone(),
            received: self.received.unwrap_or(now),
            attributes: self.attributes.clone(),
        }
    }
}

impl Case {
    /// For an appeal router's case: the appeal, the catalogue and the open incidents, files
    /// read relative to `crate_dir`; none for another kind's case. Says what is missing.
    pub fn appeal_input(&self, crate_dir: &Path) -> Result<Option<AppealInput>, String> {
        let Some(appeal) = &self.appeal else {
            return Ok(None);
        };
        fn read<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Result<T, String> {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        let catalogue = match (&self.catalogue, &self.catalogue_file) {
            (Some(inline), _) => inline.clone(),
            (None, Some(file)) => read(crate_dir, file)?,
            (None, None) => {
                return Err(
                    "an appeal case needs its catalogue: `catalogue` (inline) or \
                            `catalogue_file` (a file of the crate)"
                        .into(),
                );
            }
        };
        let open_incidents = match (&self.open_incidents, &self.open_incidents_file) {
            (Some(inline), _) => inline.clone(),
            (None, Some(file)) => read(crate_dir, file)?,
            (None, None) => Vec::new(),
        };
        let now = match &self.now {
            Some(t) => {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| format!("`now` `{t}` is not an RFC 3339 time: {e}"))?
                    .unix_timestamp()
            }
            None => 0,
        };
        Ok(Some(AppealInput {
            appeal: appeal.appeal(now),
            catalogue: std::sync::Arc::new(catalogue),
            open_incidents,
        }))
    }
}

/// An appeal router's answer. `category` and `authority` may be `null`: expected absent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectRouting {
    #[serde(default, deserialize_with = "given")]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    pub authority: Option<Option<String>>,
    pub catalogue_version: Option<String>,
    pub needs_review: Option<bool>,
    pub urgency: Option<Urgency>,
    pub impact: Option<Impact>,
    pub deadline_days: Option<u32>,
    pub confidence_at_least: Option<f32>,
    pub confidence_below: Option<f32>,
    /// The proposed incidents' ids, in the order proposed.
    pub merge_candidates: Option<Vec<u64>>,
    /// A trace step's name → text its value contains.
    #[serde(default)]
    pub trace: BTreeMap<String, String>,
}

/// A field that is there, even as `null`.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

pub(super) fn check_routing(
    problems: &mut Vec<String>,
    want: &ExpectRouting,
    got: Option<&Routing>,
) {
    let Some(r) = got else {
        problems.push("no routing (is this an appeal router, given an appeal?)".into());
        return;
    };
    let c = &r.classification;
    let mut expect = |what: String, ok: bool, got: &dyn std::fmt::Debug| {
        if !ok {
            problems.push(format!("expected {what}, got {got:?}"));
        }
    };
    if let Some(v) = &want.category {
        expect(format!("category {v:?}"), &c.category == v, &c.category);
    }
    if let Some(v) = &want.authority {
        expect(format!("authority {v:?}"), &r.authority == v, &r.authority);
    }
    if let Some(v) = &want.catalogue_version {
        let got = &c.catalogue_version;
        expect(format!("catalogue version {v}"), got == v, got);
    }
    if let Some(v) = want.needs_review {
        let why: Vec<&str> = r
            .trace
            .iter()
            .filter(|s| s.name == "needs-review")
            .map(|s| s.value.as_str())
            .collect();
        expect(format!("needs_review {v}"), r.needs_review == v, &why);
    }
    if let Some(v) = want.urgency {
        expect(format!("urgency {v:?}"), c.urgency == v, &c.urgency);
    }
    if let Some(v) = want.impact {
        expect(format!("impact {v:?}"), c.impact == v, &c.impact);
    }
    if let Some(v) = want.deadline_days {
        expect(
            format!("a deadline of {v} days"),
            r.deadline_days == v,
            &r.deadline_days,
        );
    }
    if let Some(v) = want.confidence_at_least {
        expect(
            format!("confidence ≥ {v}"),
            c.confidence >= v,
            &c.confidence,
        );
    }
    if let Some(v) = want.confidence_below {
        expect(format!("confidence < {v}"), c.confidence < v, &c.confidence);
    }
    if let Some(v) = &want.merge_candidates {
        let got: Vec<u64> = r.merge_candidates.iter().map(|m| m.incident).collect();
        expect(format!("merge candidates {v:?}"), &got == v, &got);
    }
    for (name, text) in &want.trace {
        let value = r.trace.iter().find(|s| &s.name == name).map(|s| &s.value);
        expect(
            format!("trace step `{name}` containing «{text}»"),
            value.is_some_and(|v| v.contains(text.as_str())),
            &value,
        );
    }
}
