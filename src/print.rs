//! How reports and metadata read in a terminal. Only people read this; tools use `--json`.

use std::fmt::Write as _;

use zemstvo_core::appeals::Routing;
use zemstvo_core::capabilities::log::Level;
use zemstvo_core::capabilities::tasks::Task;
use zemstvo_core::eligibility::{Outcome, Verdict};
use zemstvo_core::report::{RunReport, RunStatus};
use zemstvo_host::LoadedPlugin;

/// `2026-11-23 06:00 UTC`.
pub fn timestamp(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => format!(
            "{}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => ts.to_string(),
    }
}

fn bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else {
        format!("{:.0} KiB", n as f64 / 1024.0)
    }
}

/// Parses an RFC 3339 time given for `flag`.
pub fn parse_time(text: &str, flag: &str) -> Result<i64, crate::cli::CliError> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            crate::cli::CliError::Input(format!(
                "{flag} `{text}` is not an RFC 3339 time such as 2026-11-23T06:00:00Z"
            ))
        })
}

/// Parses a calendar date `YYYY-MM-DD` given for `flag`, as its UTC midnight.
pub fn parse_date(text: &str, flag: &str) -> Result<i64, crate::cli::CliError> {
    zemstvo_service::parameters::parse_day(text).ok_or_else(|| {
        crate::cli::CliError::Input(format!("{flag} `{text}` is not a date such as 2027-01-01"))
    })
}

/// `2027-01-01`.
pub fn date(ts: i64) -> String {
    zemstvo_service::parameters::format_day(ts)
}

/// A run's record with only its first `tasks` tasks in full, for the demo.
pub fn report_summary(r: &RunReport, tasks: usize) -> String {
    let mut shortened = r.clone();
    let more = shortened.outputs.tasks.len().saturating_sub(tasks);
    shortened.outputs.tasks.truncate(tasks);
    let mut out = report(&shortened);
    if more > 0 {
        out = out.replacen(
            &format!("tasks ({}):", tasks.min(r.outputs.tasks.len())),
            &format!(
                "tasks ({}, the first {tasks} shown):",
                r.outputs.tasks.len()
            ),
            1,
        );
    }
    out
}

/// A run's record, for people.
pub fn report(r: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {} of {} {} on {} at {}",
        r.run_id,
        r.plugin.name,
        r.plugin.version,
        r.region,
        timestamp(r.logical_time)
    );
    let took = format!("{:.1} ms", r.duration.as_secs_f64() * 1e3);
    match &r.status {
        RunStatus::Succeeded { summary } => {
            let _ = writeln!(out, "status: succeeded in {took}: {}", summary.message);
            let _ = writeln!(
                out,
                "examined {}, found {}, read {} rows, peak memory {}",
                summary.examined,
                summary.found,
                r.outputs.rows_read,
                bytes(r.peak_memory)
            );
        }
        RunStatus::Failed { reason } => {
            let _ = writeln!(out, "status: FAILED after {took}: {reason}");
        }
    }
    let o = &r.outputs;
    if !o.tasks.is_empty() {
        let _ = writeln!(out, "tasks ({}):", o.tasks.len());
        for t in &o.tasks {
            out.push_str(&task(t));
        }
    }
    if !o.notifications.is_empty() {
        let _ = writeln!(out, "notifications: {}", o.notifications.len());
    }
    if !o.smev_requests.is_empty() {
        let _ = writeln!(out, "SMEV requests queued: {}", o.smev_requests.len());
    }
    if !o.assessments.is_empty() {
        let _ = writeln!(out, "objects assessed: {}", o.assessments.len());
    }
    if !o.visit_exceptions.is_empty() {
        let _ = writeln!(out, "visit exceptions: {}", o.visit_exceptions.len());
    }
    if let Some(outcome) = &o.eligibility {
        out.push_str(&eligibility(outcome));
    }
    if let Some(r) = &o.routing {
        out.push_str(&routing(r));
    }
    if !o.denied.is_empty() {
        let names: Vec<String> = o.denied.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(out, "denied capabilities: {}", names.join(", "));
    }
    // Debug and trace lines stay in the run's record (`--json`); people see the rest.
    let shown: Vec<_> = o.logs.iter().filter(|l| l.level >= Level::Info).collect();
    if !shown.is_empty() {
        let _ = writeln!(out, "log:");
        for line in shown {
            let _ = writeln!(out, "  [{:?}] {}", line.level, line.message);
        }
    }
    if o.logs_dropped > 0 {
        let _ = writeln!(out, "  … {} more log lines not kept", o.logs_dropped);
    }
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        if !text.trim().is_empty() {
            let _ = writeln!(out, "{name}:");
            for line in text.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

fn task(t: &Task) -> String {
    let mut out = String::new();
    let due = t
        .due
        .map(|d| format!(", due {}", timestamp(d)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  → employee {}: {} [{:?}{due}]",
        t.assignee, t.title, t.priority
    );
    for line in t.description.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "      {line}");
    }
    for (i, step) in t.steps.iter().enumerate() {
        let _ = writeln!(out, "      {}. {step}", i + 1);
    }
    out
}

fn eligibility(outcome: &Outcome) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Need { requests } => {
            let _ = writeln!(out, "needs SMEV requests:");
            for q in requests {
                let _ = writeln!(out, "  {}/{} about citizen {}", q.agency, q.kind, q.subject);
            }
        }
        Outcome::Decided { decision } => {
            match &decision.verdict {
                Verdict::Approve { assignment } => {
                    let _ = writeln!(
                        out,
                        "decision: APPROVE {} at {:.2} RUB a month from {}",
                        assignment.measure,
                        assignment.monthly_amount as f64 / 100.0,
                        timestamp(assignment.start)
                    );
                }
                Verdict::Deny { reasons } => {
                    let _ = writeln!(out, "decision: DENY");
                    for r in reasons {
                        let _ = writeln!(out, "  - {r}");
                    }
                }
            }
            let _ = writeln!(out, "trace:");
            for step in &decision.trace {
                let _ = writeln!(out, "  {} = {} ({})", step.name, step.value, step.source);
            }
        }
    }
    out
}

fn routing(r: &Routing) -> String {
    let c = &r.classification;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "routing: {} (catalogue {}, confidence {:.2}), urgency {:?}, impact {:?}",
        c.category.as_deref().unwrap_or("no category"),
        c.catalogue_version,
        c.confidence,
        c.urgency,
        c.impact
    );
    let _ = writeln!(
        out,
        "  to {}, answer due in {} days{}",
        r.authority.as_deref().unwrap_or("no authority"),
        r.deadline_days,
        if r.needs_review {
            "; a first-line specialist reviews it"
        } else {
            ""
        }
    );
    for m in &r.merge_candidates {
        let _ = writeln!(out, "  merge into incident {}: {}", m.incident, m.reason);
    }
    let _ = writeln!(out, "trace:");
    for step in &r.trace {
        let _ = writeln!(out, "  {} = {} ({})", step.name, step.value, step.source);
    }
    out
}

/// A plugin's metadata, for people.
pub fn metadata(p: &LoadedPlugin) -> String {
    let m = &p.metadata;
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({})", m.name, m.version, m.kind);
    let _ = writeln!(out, "  {}", m.title);
    if !m.description.is_empty() {
        let _ = writeln!(out, "  {}", m.description);
    }
    let _ = writeln!(out, "sha256:      {}", p.sha256);
    let _ = writeln!(out, "WIT version: {}", p.wit_version);
    let _ = writeln!(
        out,
        "built with:  {}",
        p.sdk_stamp.as_deref().unwrap_or("(no SDK stamp)")
    );
    let _ = writeln!(out, "capabilities:");
    for c in &m.capabilities {
        let _ = writeln!(out, "  {c:<26} {}", c.description());
    }
    if !m.config.params.is_empty() {
        let _ = writeln!(out, "configuration:");
        for c in &m.config.params {
            let default = c
                .default
                .as_ref()
                .map(|d| format!(" (default {d})"))
                .unwrap_or_default();
            let range = match (c.minimum, c.maximum) {
                (Some(a), Some(b)) => format!(" [{a}..{b}]"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {}{default}{range}: {}", c.key, c.description);
        }
    }
    for p in &m.parameters {
        let _ = writeln!(
            out,
            "parameter {}: {} ({} entries)",
            p.name,
            p.description,
            p.history.len()
        );
    }
    out
}
