//! # Proactive informing of citizens on life events
//!
//! **Where it comes from.** The unified contact centre (ЕКЦ) of the social-security system (seed
//! `001_6422ededbf851b41.txt`): under Government decree 1994 of 03.12.2020 citizens are informed,
//! proactively, of the rights a life event gives them and of the course and result of their
//! applications. The information systems of the participants form "lists of messages" — a
//! template and the data to fill it, and the recipient's number — and the contact centre informs
//! citizens "путём голосового сообщения или посредством СМС-сообщений". Informing needs the
//! citizen's consent.
//!
//! **The rule.** This plugin is that list-former for a region. Its life-event catalogue
//! ([`catalogue`], shipped as `catalogue.json`, replaceable by configuration) maps each event to
//! its trigger in the region's data, the measures it concerns, a template and a channel. Each
//! run:
//! 1. finds the events of the last `window-hours` (24) before the run's time: status changes
//!    in `application_events` and SMEV answers to applications in work;
//! 2. reads the citizens' consent **first**, and skips everyone who has not consented (and
//!    anyone without a phone number to call or text), counting them in the log;
//! 3. sends one message per citizen, event and application, at most `max-messages` (5000) a
//!    run.
//!
//! **Reads** `application_events`, `applications` and `smev_requests` (`data.applications`,
//! `data.smev`) and the citizens' consent and whether they have a phone (`data.citizens`,
//! `data.citizens.personal`). **Emits** messages (`notify.send`) keyed by citizen, event and
//! application, so a rerun sends nothing twice. The region keeps the templates; the plugin fills
//! `number`, `measure`, `date` and, for SMEV answers, `agency`, plus any fixed `params` of the
//! catalogue entry. The host adds the citizen's `full_name` and the phone number itself: the
//! plugin never reads either.

pub mod catalogue;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use zemstvo_sdk::data::{self, any_of, eq, ge, le, present};
use zemstvo_sdk::notify::{Channel, Message, NotifyError};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::time::format_date;

use catalogue::{Catalogue, LifeEvent, Trigger};

/// Configuration keys.
const WINDOW_HOURS: &str = "window-hours";
const DEFAULT_CHANNEL: &str = "default-channel";
const MAX_MESSAGES: &str = "max-messages";

struct CitizenInforming;

/// Something that happened to an application in the window.
#[derive(Debug, Clone)]
struct Occurrence {
    application: u64,
    trigger: Trigger,
    /// When it happened (the earliest time, if it happened more than once).
    at: Timestamp,
    /// For SMEV answers: the agencies that answered, in order of their answers.
    agencies: Vec<String>,
}

/// What a message needs to know about an application.
struct Case {
    number: String,
    citizen: u64,
    measure: String,
    status: String,
}

/// A message to send, before consent and the cap are applied.
struct Draft<'a> {
    citizen: u64,
    event: &'a LifeEvent,
    occurrence: &'a Occurrence,
    case: &'a Case,
}

impl DeviationCheck for CitizenInforming {
    fn metadata() -> Metadata {
        Metadata::new("citizen-informing", env!("CARGO_PKG_VERSION"))
            .title("Проактивное информирование граждан о жизненных событиях")
            .description(
                "On each life event of the catalogue (an application registered, returned or \
                 decided, an SMEV answer received) informs the citizen by SMS or voice from \
                 the region's template, if the citizen consented to proactive informing \
                 (unified contact centre, decree 1994).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_SMEV)
            .capability(capability::DATA_CITIZENS)
            // Only to ask the host which citizens have a phone number at all: a message to a
            // citizen without one could not be delivered and would fail the run at commit.
            // The number itself is never read.
            .capability(capability::DATA_CITIZENS_PERSONAL)
            .capability(capability::NOTIFY_SEND)
            .config(
                ConfigParam::integer(
                    WINDOW_HOURS,
                    "Events of how many hours before the run's time are informed of",
                )
                .default(24)
                .range(1, 720),
            )
            .config(
                ConfigParam::text(
                    DEFAULT_CHANNEL,
                    "Channel for catalogue entries that name none",
                )
                .default("sms")
                .choices(&["sms", "voice"]),
            )
            .config(
                ConfigParam::integer(MAX_MESSAGES, "Most messages one run sends")
                    .default(5_000)
                    .range(1, 100_000),
            )
            .config(
                ConfigParam::text(
                    catalogue::KEY,
                    "Life-event catalogue in JSON replacing the shipped one (see the plugin's \
                     catalogue.json); empty: the shipped catalogue",
                )
                .default(""),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let catalogue = Catalogue::from_config(&config::text(catalogue::KEY)?)
            .map_err(PluginError::invalid_config)?;
        let default_channel = match config::text(DEFAULT_CHANNEL)?.as_str() {
            "voice" => Channel::Voice,
            _ => Channel::Sms,
        };
        let max_messages = config::integer(MAX_MESSAGES)? as usize;
        let since = ctx.now - config::integer(WINDOW_HOURS)? * HOUR;

        let occurrences = occurrences(&catalogue, since, ctx.now)?;
        let examined = occurrences.len() as u64;
        if occurrences.is_empty() {
            return Ok(RunSummary::new(0, 0, "no life event in the window"));
        }
        let application_ids: BTreeSet<u64> = occurrences.iter().map(|o| o.application).collect();
        let cases = cases(&application_ids)?;

        // Pair each occurrence with the catalogue entries it triggers.
        let mut drafts = Vec::new();
        let mut not_in_work = 0;
        for occurrence in &occurrences {
            let Some(case) = cases.get(&occurrence.application) else {
                log::warn(&format!(
                    "application {} of an event is not in the region's data; skipped",
                    occurrence.application
                ));
                continue;
            };
            // An answer to a case already decided or returned tells the citizen nothing new.
            if occurrence.trigger == Trigger::SmevAnswer && case.status != "in-work" {
                not_in_work += 1;
                continue;
            }
            for event in &catalogue.events {
                if event.trigger == occurrence.trigger && event.concerns(&case.measure) {
                    drafts.push(Draft {
                        citizen: case.citizen,
                        event,
                        occurrence,
                        case,
                    });
                }
            }
        }
        if not_in_work > 0 {
            log::debug(&format!(
                "{not_in_work} SMEV answers belong to applications no longer in work; not informed"
            ));
        }

        // Consent first: nobody who has not consented is messaged, nor counted as sent.
        let citizen_ids: BTreeSet<u64> = drafts.iter().map(|d| d.citizen).collect();
        let (consented, reachable) = consent(&citizen_ids)?;
        let before = drafts.len();
        let without_consent: BTreeSet<u64> = drafts
            .iter()
            .map(|d| d.citizen)
            .filter(|c| !consented.contains(c))
            .collect();
        drafts.retain(|d| consented.contains(&d.citizen));
        if !without_consent.is_empty() {
            log::info(&format!(
                "skipped {} messages to {} citizens without consent to proactive informing",
                before - drafts.len(),
                without_consent.len()
            ));
        }
        let before = drafts.len();
        drafts.retain(|d| reachable.contains(&d.citizen));
        if drafts.len() < before {
            log::info(&format!(
                "skipped {} messages to citizens who consented but have no phone number",
                before - drafts.len()
            ));
        }

        // The earliest events first, so that a capped run informs in the order things happened.
        let order = |d: &Draft<'_>| {
            (
                d.occurrence.at,
                d.occurrence.application,
                d.event.event.clone(),
            )
        };
        drafts.sort_by_cached_key(order);
        if drafts.len() > max_messages {
            log::warn(&format!(
                "{} messages are over the cap of {max_messages} a run ({MAX_MESSAGES}) and were \
                 not sent; raise the cap or run more often",
                drafts.len() - max_messages
            ));
            drafts.truncate(max_messages);
        }

        let mut sent = 0u64;
        let mut refused = 0;
        let mut by_event: BTreeMap<&str, u64> = BTreeMap::new();
        for draft in &drafts {
            match message(&catalogue, draft, default_channel).send() {
                Ok(()) => {
                    sent += 1;
                    *by_event.entry(draft.event.event.as_str()).or_default() += 1;
                }
                // Consent withdrawn, or the citizen removed, since it was read: skip, as above.
                Err(NotifyError::NoConsent(_) | NotifyError::UnknownCitizen(_)) => refused += 1,
                Err(e) => return Err(e.into()),
            }
        }
        if refused > 0 {
            log::info(&format!(
                "the host refused {refused} messages (no consent or no such citizen); skipped"
            ));
        }
        let per_event: Vec<String> = by_event.iter().map(|(e, n)| format!("{e}: {n}")).collect();
        Ok(RunSummary::new(
            examined,
            sent,
            format!(
                "{examined} life events in the window; {sent} messages sent ({})",
                if per_event.is_empty() {
                    "none".to_string()
                } else {
                    per_event.join(", ")
                }
            ),
        ))
    }
}

/// The events of the window that some catalogue entry waits for, one per application and
/// trigger (the earliest), in a stable order.
fn occurrences(
    catalogue: &Catalogue,
    since: Timestamp,
    now: Timestamp,
) -> Result<Vec<Occurrence>, PluginError> {
    let mut found: BTreeMap<(u64, Trigger), Occurrence> = BTreeMap::new();
    let statuses = catalogue.statuses();
    if !statuses.is_empty() {
        let cursor = application_events::query()
            .columns(&[
                application_events::APPLICATION_ID,
                application_events::STATUS,
                application_events::AT,
            ])
            .filter(application_events::STATUS, any_of(statuses.iter().copied()))
            .filter(application_events::AT, ge(since))
            .filter(application_events::AT, le(now))
            .open()?;
        for batch in cursor {
            let batch = batch?;
            for row in application_events::rows(&batch).iter() {
                let trigger = Trigger::Status(row.status().to_string());
                let occurrence = found
                    .entry((row.application_id(), trigger.clone()))
                    .or_insert_with(|| Occurrence {
                        application: row.application_id(),
                        trigger,
                        at: row.at(),
                        agencies: Vec::new(),
                    });
                occurrence.at = occurrence.at.min(row.at());
            }
        }
    }
    if catalogue.wants_smev_answers() {
        let mut answers: Vec<(u64, Timestamp, String)> = Vec::new();
        let cursor = smev_requests::query()
            .columns(&[
                smev_requests::APPLICATION_ID,
                smev_requests::AGENCY,
                smev_requests::ANSWERED_AT,
            ])
            .filter(smev_requests::STATUS, eq("answered"))
            .filter(smev_requests::ANSWERED_AT, ge(since))
            .filter(smev_requests::ANSWERED_AT, le(now))
            .filter(smev_requests::APPLICATION_ID, present())
            .open()?;
        for batch in cursor {
            let batch = batch?;
            for row in smev_requests::rows(&batch).iter() {
                if let (Some(application), Some(at)) = (row.application_id(), row.answered_at()) {
                    answers.push((application, at, row.agency().to_string()));
                }
            }
        }
        answers.sort();
        for (application, at, agency) in answers {
            let occurrence = found
                .entry((application, Trigger::SmevAnswer))
                .or_insert_with(|| Occurrence {
                    application,
                    trigger: Trigger::SmevAnswer,
                    at,
                    agencies: Vec::new(),
                });
            if !occurrence.agencies.contains(&agency) {
                occurrence.agencies.push(agency);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The applications behind the events, read by id.
fn cases(ids: &BTreeSet<u64>) -> Result<HashMap<u64, Case>, PluginError> {
    let columns = [
        applications::NUMBER,
        applications::CITIZEN_ID,
        applications::MEASURE,
        applications::STATUS,
    ];
    let cases = applications::by_id(ids.iter().copied(), &columns, |row| Case {
        number: row.number().to_string(),
        citizen: row.citizen_id(),
        measure: row.measure().to_string(),
        status: row.status().to_string(),
    })?;
    Ok(cases)
}

/// Which of the citizens consented to proactive informing, and which of those have a phone
/// number (asked of the host as a filter: the number never reaches the plugin).
fn consent(ids: &BTreeSet<u64>) -> Result<(HashSet<u64>, HashSet<u64>), PluginError> {
    let ids: Vec<u64> = ids.iter().copied().collect();
    let mut consented = HashSet::new();
    let mut reachable = HashSet::new();
    let query = citizens::query().columns(&[citizens::ID, citizens::CONSENT]);
    data::for_ids(&query, citizens::ID, &ids, |batch| {
        for row in citizens::rows(batch).iter() {
            if row.consent() {
                consented.insert(row.id());
            }
        }
    })?;
    let query = citizens::query()
        .columns(&[citizens::ID])
        .filter(citizens::CONSENT, eq(true))
        .filter(citizens::PHONE, present());
    data::for_ids(&query, citizens::ID, &ids, |batch| {
        reachable.extend(citizens::rows(batch).iter().map(|row| row.id()));
    })?;
    Ok((consented, reachable))
}

/// The message of one draft: the entry's template and channel, the data to fill it, and a
/// key stable per citizen, event and application.
fn message(catalogue: &Catalogue, draft: &Draft<'_>, default_channel: Channel) -> Message {
    let Draft {
        citizen,
        event,
        occurrence,
        case,
    } = draft;
    let mut message = Message::new(
        format!(
            "citizen-informing/{citizen}/{}/{}",
            event.event, occurrence.application
        ),
        *citizen,
        event.channel.unwrap_or(default_channel),
        &event.template,
    )
    .param("number", case.number.as_str())
    .param("measure", catalogue.measure_name(&case.measure))
    .param("date", format_date(occurrence.at));
    if event.trigger == Trigger::SmevAnswer {
        let agencies: Vec<&str> = occurrence.agencies.iter().map(|a| agency_name(a)).collect();
        message = message.param("agency", agencies.join(", "));
    }
    for (name, value) in &event.params {
        message = message.param(name, value.as_str());
    }
    message
}

/// The agency as a citizen knows it.
fn agency_name(code: &str) -> &str {
    match code {
        "fns" => "ФНС России",
        "pfr" | "sfr" => "Социального фонда России",
        "fss" => "Фонда социального страхования",
        "mvd" => "МВД России",
        "zags" => "органов ЗАГС",
        "rosreestr" => "Росреестра",
        "municipality" => "органа местного самоуправления",
        "gis-zhkh" => "ГИС ЖКХ",
        other => other,
    }
}

export_deviation_check!(CitizenInforming);
