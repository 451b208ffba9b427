//! Rule test cases as data: files of `name`, date, input and expected output that
//! [`PluginUnderTest::run_cases`](crate::testing::PluginUnderTest::run_cases) runs from
//! `cargo test`, in the real host.
//!
//! A case file (`tests/cases/*.json`) holds one case or an array of them:
//!
//! ```json
//! {
//!   "name": "an answer four days late becomes a task",
//!   "now": "2026-11-23T06:00:00Z",
//!   "region_file": "tests/fixtures/region.json",
//!   "config": { "max-wait-days": "4" },
//!   "expect": {
//!     "status": "succeeded",
//!     "summary": { "found": 4 },
//!     "tasks": { "count": 2, "items": [{ "assignee": 10, "title_contains": "2 запрос" }] }
//!   }
//! }
//! ```
//!
//! Inputs: `region` (a fixture inline) or `region_file`, `config` (key → value as an
//! administrator types it), `grants` (instead of what the plugin declares), `application` (for
//! eligibility rules: the application and the SMEV answers so far), `appeal` with `catalogue`
//! or `catalogue_file` and `open_incidents` or `open_incidents_file` (for appeal routers). Expectations name only what
//! the case is about; everything left out is not checked. A configuration the host refuses is
//! a case too: `"expect": { "refused_contains": "max-wait-days" }`.
//!
//! Field by field the format is `sdk/CASES.md`, generated from [`crate::case_format`], which
//! `sdk/tests/reference_pages.rs` holds to these types; so their fields are not documented
//! again here (`allow(missing_docs)` below).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zemstvo_core::appeals::{Catalogue, OpenIncident};
use zemstvo_core::eligibility::EligibilityInput;
use zemstvo_core::report::{RunReport, RunStatus};

mod appeals;
mod eligibility;

use appeals::check_routing;
pub use appeals::{CaseAppeal, ExpectRouting};
use eligibility::check_decision;

/// One case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Case {
    pub name: String,
    /// The run's logical time (RFC 3339): the date the rule decides for.
    pub now: Option<String>,
    /// The region's IANA time zone; Moscow time by default.
    pub time_zone: Option<String>,
    pub region: Option<serde_json::Value>,
    pub region_file: Option<String>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    pub grants: Option<Vec<String>>,
    pub application: Option<EligibilityInput>,
    pub appeal: Option<CaseAppeal>,
    pub catalogue: Option<Catalogue>,
    pub catalogue_file: Option<String>,
    pub open_incidents: Option<Vec<OpenIncident>>,
    pub open_incidents_file: Option<String>,
    pub expect: Expect,
}

/// What a case expects. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Expect {
    /// `succeeded` or `failed`.
    pub status: Option<String>,
    /// The failure's text contains this.
    pub failure_contains: Option<String>,
    /// The host refused to start the run (e.g. a configuration out of range) with a message
    /// containing this.
    pub refused_contains: Option<String>,
    pub summary: Option<ExpectSummary>,
    pub tasks: Option<Expected<ExpectTask>>,
    pub notifications: Option<Expected<ExpectNotification>>,
    pub smev_requests: Option<Expected<ExpectRequest>>,
    pub decision: Option<ExpectDecision>,
    pub assessments: Option<Expected<ExpectAssessment>>,
    pub visit_exceptions: Option<Expected<ExpectException>>,
    pub routing: Option<ExpectRouting>,
    /// Log lines containing each of these.
    #[serde(default)]
    pub logs_contain: Vec<String>,
}

/// What the run's summary says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectSummary {
    pub examined: Option<u64>,
    pub found: Option<u64>,
    pub message_contains: Option<String>,
}

/// A count and the items that must be among the outputs (each matched by its given fields).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Expected<T> {
    pub count: Option<usize>,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// A task that must be among the run's tasks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectTask {
    pub assignee: Option<u64>,
    pub subject: Option<u64>,
    pub key: Option<String>,
    pub title_contains: Option<String>,
    #[serde(default)]
    pub description_contains: Vec<String>,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: Option<String>,
    pub records: Option<usize>,
}

/// A notification that must be among the run's notifications.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectNotification {
    pub citizen: Option<u64>,
    pub channel: Option<String>,
    pub template: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// A SMEV request that must be among the run's (or a `need` outcome's) requests.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectRequest {
    pub agency: Option<String>,
    pub kind: Option<String>,
    pub subject: Option<u64>,
}

/// An eligibility rule's outcome.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectDecision {
    /// `approve`, `deny` or `need` (more SMEV requests).
    pub verdict: Option<String>,
    /// Kopecks.
    pub monthly_amount: Option<i64>,
    pub payments: Option<usize>,
    #[serde(default)]
    pub reasons_contain: Vec<String>,
    /// For `need`: the requests asked for.
    #[serde(default)]
    pub requests: Vec<ExpectRequest>,
    /// Names of trace steps that must be present.
    #[serde(default)]
    pub trace_contains: Vec<String>,
}

/// A risk assessment that must be among the run's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectAssessment {
    pub object: Option<u64>,
    pub category: Option<String>,
    #[serde(default)]
    pub factors_contain: Vec<String>,
}

/// A visit exception that must be among the run's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExpectException {
    pub visit: Option<u64>,
    /// `out_of_geofence`, `too_short`, `missing_evidence`, `unverifiable`.
    pub kind: Option<String>,
    pub reason_contains: Option<String>,
}

/// The cases in `dir` (every `*.json`, in name order), each with its file.
pub fn load_cases(dir: &Path) -> Result<Vec<(PathBuf, Case)>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the cases in {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let list = match value {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        for item in list {
            let case: Case =
                serde_json::from_value(item).map_err(|e| format!("{}: {e}", file.display()))?;
            cases.push((file.clone(), case));
        }
    }
    if cases.is_empty() {
        return Err(format!("{} holds no case files (*.json)", dir.display()));
    }
    Ok(cases)
}

/// What went wrong with a report, or nothing.
pub fn check(expect: &Expect, report: &RunReport) -> Vec<String> {
    let mut problems = Vec::new();
    let o = &report.outputs;
    let status = if report.succeeded() {
        "succeeded"
    } else {
        "failed"
    };
    if let Some(want) = &expect.status
        && want != status
    {
        problems.push(format!(
            "status is {status} ({:?}), expected {want}",
            report.failure()
        ));
    }
    if let Some(text) = &expect.failure_contains {
        match report.failure() {
            Some(f) if f.to_string().contains(text) => {}
            other => problems.push(format!(
                "expected a failure containing `{text}`, got {other:?}"
            )),
        }
    }
    if let Some(s) = &expect.summary {
        match &report.status {
            RunStatus::Succeeded { summary } => {
                if s.examined.is_some_and(|n| n != summary.examined) {
                    problems.push(format!(
                        "examined {}, expected {}",
                        summary.examined,
                        s.examined.unwrap_or_default()
                    ));
                }
                if s.found.is_some_and(|n| n != summary.found) {
                    problems.push(format!(
                        "found {}, expected {}",
                        summary.found,
                        s.found.unwrap_or_default()
                    ));
                }
                if let Some(text) = &s.message_contains
                    && !summary.message.contains(text.as_str())
                {
                    problems.push(format!(
                        "summary `{}` does not contain `{text}`",
                        summary.message
                    ));
                }
            }
            RunStatus::Failed { reason } => {
                problems.push(format!("no summary: the run failed: {reason}"))
            }
        }
    }
    if let Some(t) = &expect.tasks {
        let shown: Vec<String> = o
            .tasks
            .iter()
            .map(|t| format!("{} → {}", t.assignee, t.title))
            .collect();
        count(&mut problems, "tasks", o.tasks.len(), t.count, &shown);
        for want in &t.items {
            let found = o.tasks.iter().any(|task| {
                want.assignee.is_none_or(|a| a == task.assignee)
                    && want.subject.is_none_or(|s| Some(s) == task.subject)
                    && want.key.as_ref().is_none_or(|k| *k == task.key)
                    && want
                        .title_contains
                        .as_ref()
                        .is_none_or(|c| task.title.contains(c.as_str()))
                    && want
                        .description_contains
                        .iter()
                        .all(|c| task.description.contains(c.as_str()))
                    && want
                        .priority
                        .as_ref()
                        .is_none_or(|p| format!("{:?}", task.priority).eq_ignore_ascii_case(p))
                    && want.records.is_none_or(|n| n == task.records.len())
            });
            if !found {
                problems.push(format!("no task matches {want:?}; tasks: {shown:?}"));
            }
        }
    }
    if let Some(n) = &expect.notifications {
        let shown: Vec<String> = o
            .notifications
            .iter()
            .map(|m| format!("{:?} {} to {}", m.channel, m.template, m.citizen))
            .collect();
        count(
            &mut problems,
            "notifications",
            o.notifications.len(),
            n.count,
            &shown,
        );
        for want in &n.items {
            let found = o.notifications.iter().any(|m| {
                want.citizen.is_none_or(|c| c == m.citizen)
                    && want
                        .channel
                        .as_ref()
                        .is_none_or(|c| format!("{:?}", m.channel).eq_ignore_ascii_case(c))
                    && want.template.as_ref().is_none_or(|t| *t == m.template)
                    && want
                        .params
                        .iter()
                        .all(|(k, v)| m.params.iter().any(|(pk, pv)| pk == k && pv == v))
            });
            if !found {
                problems.push(format!(
                    "no notification matches {want:?}; notifications: {shown:?}"
                ));
            }
        }
    }
    if let Some(r) = &expect.smev_requests {
        let shown: Vec<String> = o
            .smev_requests
            .iter()
            .map(|r| format!("{}/{}", r.query.agency, r.query.kind))
            .collect();
        count(
            &mut problems,
            "SMEV requests",
            o.smev_requests.len(),
            r.count,
            &shown,
        );
        for want in &r.items {
            if !o
                .smev_requests
                .iter()
                .any(|r| request_matches(want, &r.query))
            {
                problems.push(format!(
                    "no SMEV request matches {want:?}; requests: {shown:?}"
                ));
            }
        }
    }
    if let Some(d) = &expect.decision {
        check_decision(&mut problems, d, o.eligibility.as_ref());
    }
    if let Some(a) = &expect.assessments {
        let rows = o.assessments.rows();
        let shown: Vec<String> = rows
            .iter()
            .take(20)
            .map(|r| format!("{}: {}", r.object, r.category))
            .collect();
        count(&mut problems, "assessments", rows.len(), a.count, &shown);
        for want in &a.items {
            let found = rows.iter().any(|r| {
                want.object.is_none_or(|id| id == r.object)
                    && want.category.as_ref().is_none_or(|c| c == r.category)
                    && want
                        .factors_contain
                        .iter()
                        .all(|f| r.factors.iter().any(|(name, _)| name == f))
            });
            if !found {
                problems.push(format!(
                    "no assessment matches {want:?}; first assessments: {shown:?}"
                ));
            }
        }
    }
    if let Some(e) = &expect.visit_exceptions {
        let shown: Vec<String> = o
            .visit_exceptions
            .iter()
            .map(|x| format!("{} {:?}: {}", x.visit, x.kind, x.reason))
            .collect();
        count(
            &mut problems,
            "visit exceptions",
            o.visit_exceptions.len(),
            e.count,
            &shown,
        );
        for want in &e.items {
            let found = o.visit_exceptions.iter().any(|x| {
                want.visit.is_none_or(|v| v == x.visit)
                    && want.kind.as_ref().is_none_or(|k| {
                        serde_json::to_value(x.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .as_deref()
                            == Some(k.as_str())
                    })
                    && want
                        .reason_contains
                        .as_ref()
                        .is_none_or(|c| x.reason.contains(c.as_str()))
            });
            if !found {
                problems.push(format!(
                    "no visit exception matches {want:?}; exceptions: {shown:?}"
                ));
            }
        }
    }
    if let Some(r) = &expect.routing {
        check_routing(&mut problems, r, o.routing.as_ref());
    }
    for text in &expect.logs_contain {
        if !o.logs.iter().any(|l| l.message.contains(text.as_str())) {
            let lines: Vec<&str> = o.logs.iter().map(|l| l.message.as_str()).collect();
            problems.push(format!("no log line contains `{text}`; log: {lines:?}"));
        }
    }
    problems
}

fn count(
    problems: &mut Vec<String>,
    what: &str,
    got: usize,
    want: Option<usize>,
    shown: &[String],
) {
    if let Some(want) = want
        && want != got
    {
        problems.push(format!("{got} {what}, expected {want}: {shown:?}"));
    }
}

pub(super) fn request_matches(
    want: &ExpectRequest,
    q: &zemstvo_core::capabilities::smev::SmevQuery,
) -> bool {
    want.agency.as_ref().is_none_or(|a| *a == q.agency)
        && want.kind.as_ref().is_none_or(|k| *k == q.kind)
        && want.subject.is_none_or(|s| s == q.subject)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zemstvo_core::capabilities::tasks::{Priority, Task};
    use zemstvo_core::metadata::PluginKind;
    use zemstvo_core::report::{PluginRef, RunOutputs, Summary};

    use super::*;

    fn report() -> RunReport {
        RunReport {
            run_id: "r".into(),
            region: "x".into(),
            plugin: PluginRef {
                name: "p".into(),
                version: "1.0.0".into(),
                kind: PluginKind::DeviationCheck,
                sha256: String::new(),
            },
            logical_time: 0,
            status: RunStatus::Succeeded {
                summary: Summary {
                    examined: 5,
                    found: 1,
                    message: "one late".into(),
                },
            },
            duration: Duration::ZERO,
            peak_memory: 0,
            outputs: RunOutputs {
                tasks: vec![Task {
                    key: "k".into(),
                    assignee: 7,
                    subject: None,
                    title: "Late answers".into(),
                    description: "case 48-1".into(),
                    records: vec![],
                    steps: vec![],
                    priority: Priority::High,
                    due: None,
                }],
                ..RunOutputs::default()
            },
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn expect(json: &str) -> Expect {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn matching_expectations_find_nothing_wrong() {
        let e = expect(
            r#"{"status": "succeeded", "summary": {"found": 1}, "tasks": {"count": 1, "items": [{"assignee": 7, "priority": "high", "description_contains": ["48-1"]}]}}"#,
        );
        assert_eq!(check(&e, &report()), Vec::<String>::new());
    }

    #[test]
    fn every_mismatch_is_reported() {
        let e = expect(
            r#"{"status": "failed", "summary": {"found": 2}, "tasks": {"count": 2, "items": [{"assignee": 8}]}, "logs_contain": ["x"]}"#,
        );
        let problems = check(&e, &report());
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn a_misspelt_expectation_is_refused() {
        assert!(serde_json::from_str::<Expect>(r#"{"taks": {}}"#).is_err());
    }
}
