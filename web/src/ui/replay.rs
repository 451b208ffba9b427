//! The replay page: what another version would do with what the region has recorded, before
//! anyone installs it. For an eligibility rule or an appeal router its recorded decisions are
//! made again one by one on the candidate; for a batch plugin (a deviation check, risk
//! categories, visit checks, informing) one recorded run is made again with the version that
//! recorded it and with the candidate, and their outputs are matched item by item. The work is
//! the host's (`RegionHost::replay`, `RegionHost::replay_run`) as for the CLI and the API; the
//! page asks and shows. Auditors and administrators; nothing is committed or delivered.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_host::PluginKind;
use zemstvo_service::replay::ReplayReport;
use zemstvo_service::replay::run::{DataState, Tally};
use zemstvo_service::{
    Candidate, ReplayError, ReplayRequest, RunReplayReport, RunReplayRequest, day_start,
};
use zemstvo_store::plugins::Installation;

use super::forms::{PostedForm, iso_day};
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::shadow::{held_versions, kind_text};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::state::WebState;

/// Differences the page lists; the rest are counted.
const LISTED: usize = 200;
/// Decisions one replay from the page takes at most, oldest first: the request waits for it.
const DECISIONS: u64 = 5_000;
/// The longest run id the form accepts (run ids are uuids).
const RUN_ID_MAX: usize = 100;

/// What the viewer typed, shown again with the report or beside a refusal.
#[derive(Debug, Default, Serialize)]
struct Typed {
    version: String,
    since: String,
    until: String,
    run: String,
}

/// One changed decision, as the page lists it.
#[derive(Debug, Serialize)]
struct DecisionLine {
    subject: u64,
    kind: String,
    recorded: String,
    candidate: String,
}

/// A count by what it counts, as the page lists it.
#[derive(Debug, Serialize)]
struct Count {
    label: String,
    count: String,
}

/// An eligibility rule's or appeal router's replay as the page shows it.
#[derive(Debug, Serialize)]
struct DecisionsView {
    candidate: String,
    sha256: String,
    signer: String,
    recorded_versions: String,
    replayed: String,
    identical: String,
    explained: String,
    changed: String,
    failed: String,
    all_identical: bool,
    skipped: Vec<Count>,
    changes: Vec<Count>,
    lines: Vec<DecisionLine>,
    more: String,
    appeals: bool,
    seconds: String,
}

/// One item of a batch run the candidate treats otherwise.
#[derive(Debug, Serialize)]
struct ItemLine {
    item: String,
    key: String,
    change: String,
    recorded: String,
    candidate: String,
}

/// A kind of item with how the candidate's stand against the recorded version's.
#[derive(Debug, Serialize)]
struct TallyRow {
    item: String,
    identical: String,
    added: String,
    removed: String,
    changed: String,
}

/// A batch run's replay as the page shows it.
#[derive(Debug, Serialize)]
struct RunView {
    candidate: String,
    sha256: String,
    signer: String,
    run_id: String,
    recorded_version: String,
    logical_time: i64,
    rows_read: String,
    data: String,
    reproduced: bool,
    identical: bool,
    baseline_failure: Option<String>,
    candidate_failure: Option<String>,
    tallies: Vec<TallyRow>,
    changes: Vec<Count>,
    lines: Vec<ItemLine>,
    more: String,
    seconds: String,
}

/// The kinds whose records are decisions with their whole input.
fn replays_decisions(kind: PluginKind) -> bool {
    matches!(
        kind,
        PluginKind::EligibilityRule | PluginKind::AppealRouting
    )
}

fn short(sha256: &str) -> String {
    sha256.chars().take(12).collect()
}

fn decisions_view(r: &ReplayReport) -> DecisionsView {
    let appeals = r.kind == "appeal-routing";
    DecisionsView {
        candidate: r.candidate.version.clone(),
        sha256: short(&r.candidate.sha256),
        signer: r
            .candidate
            .signer
            .clone()
            .unwrap_or_else(|| t("replay-unsigned")),
        recorded_versions: r
            .recorded_versions
            .iter()
            .map(|(v, n)| format!("{v}: {}", text::number(*n as i64)))
            .collect::<Vec<_>>()
            .join(", "),
        replayed: text::number(r.replayed as i64),
        identical: text::number((r.identical + r.explained_differently) as i64),
        explained: text::number(r.explained_differently as i64),
        changed: text::number(r.changed as i64),
        failed: text::number(r.failed as i64),
        all_identical: r.changed == 0 && r.failed == 0,
        skipped: r
            .skipped
            .iter()
            .map(|(reason, n)| Count {
                label: reason.clone(),
                count: text::number(*n as i64),
            })
            .collect(),
        changes: r
            .changes
            .iter()
            .map(|(kind, n)| Count {
                label: kind_text(kind),
                count: text::number(*n as i64),
            })
            .collect(),
        lines: r
            .differences
            .iter()
            .map(|d| DecisionLine {
                subject: d.application,
                kind: match d.kind {
                    "candidate failed" => t("replay-kind-failed"),
                    kind => kind_text(kind),
                },
                recorded: d.recorded.clone(),
                candidate: d.candidate.clone(),
            })
            .collect(),
        more: text::number(r.differences_left_out as i64),
        appeals,
        seconds: text::decimal(r.seconds, 1),
    }
}

/// A batch item's kind as people read it.
fn item_text(item: &str) -> String {
    match item {
        "task" => t("replay-item-task"),
        "object" => t("replay-item-object"),
        "visit" => t("replay-item-visit"),
        "message" => t("replay-item-message"),
        other => other.to_string(),
    }
}

/// What changed in a batch item as people read it; a category change (`medium → high`) is
/// the plugin's own words.
fn change_text(change: &str) -> String {
    let id = match change {
        "added" => "replay-change-added",
        "removed" => "replay-change-removed",
        "assignee changed" => "replay-change-assignee",
        "records changed" => "replay-change-records",
        "priority changed" => "replay-change-priority",
        "due date changed" => "replay-change-due",
        "wording changed" => "replay-change-wording",
        "score changed" => "replay-change-score",
        "exception changed" => "replay-change-exception",
        "message changed" => "replay-change-message",
        _ => return change.to_string(),
    };
    t(id)
}

fn run_view(r: &RunReplayReport) -> RunView {
    let tally = |item: &str, t: &Tally| TallyRow {
        item: item_text(item),
        identical: text::number(t.identical as i64),
        added: text::number(t.added as i64),
        removed: text::number(t.removed as i64),
        changed: text::number(t.changed as i64),
    };
    // A kind of item neither version emits has no row.
    let tallies = [
        ("task", &r.tasks),
        ("object", &r.objects),
        ("visit", &r.visit_exceptions),
        ("message", &r.messages),
    ]
    .into_iter()
    .filter(|(_, t)| t.identical + t.added + t.removed + t.changed > 0)
    .map(|(item, t)| tally(item, t))
    .collect();
    let changes = r
        .task_changes
        .iter()
        .map(|(kind, n)| Count {
            label: change_text(kind),
            count: text::number(*n as i64),
        })
        .chain(r.category_changes.iter().map(|(kind, n)| Count {
            label: t_with(
                "replay-category-change",
                &[("change", Arg::Text(kind.clone()))],
            ),
            count: text::number(*n as i64),
        }))
        .collect();
    RunView {
        candidate: r.candidate.version.clone(),
        sha256: short(&r.candidate.sha256),
        signer: r
            .candidate
            .signer
            .clone()
            .unwrap_or_else(|| t("replay-unsigned")),
        run_id: r.record.run_id.clone(),
        recorded_version: r.record.version.clone(),
        logical_time: r.record.logical_time,
        rows_read: text::number(r.record.rows_read as i64),
        data: t(match r.data {
            DataState::Unchanged => "replay-data-unchanged",
            DataState::Changed => "replay-data-changed",
            DataState::Unknown => "replay-data-unknown",
        }),
        reproduced: r.reproduced,
        identical: r.identical(),
        baseline_failure: r.baseline_emitted.failure.clone(),
        candidate_failure: r.candidate_emitted.failure.clone(),
        tallies,
        changes,
        lines: r
            .differences
            .iter()
            .map(|d| ItemLine {
                item: item_text(d.item),
                key: d.key.clone(),
                change: change_text(&d.change),
                recorded: d.baseline.clone(),
                candidate: d.candidate.clone(),
            })
            .collect(),
        more: text::number(r.differences_left_out as i64),
        seconds: text::decimal(r.seconds, 1),
    }
}

/// What the page shows after a replay.
enum Report {
    Decisions(Box<ReplayReport>),
    Run(Box<RunReplayReport>),
}

async fn page(
    state: &WebState,
    viewer: &Viewer,
    installation: &Installation,
    status: StatusCode,
    typed: &Typed,
    errors: &[FieldError],
    report: Option<&Report>,
) -> Result<Response, PageError> {
    let name = &installation.name;
    // The versions the region holds: what the form offers.
    let held = held_versions(state, name).await?;
    let (decisions, run) = match report {
        Some(Report::Decisions(r)) => (Some(Value::from_serialize(decisions_view(r))), None),
        Some(Report::Run(r)) => (None, Some(Value::from_serialize(run_view(r)))),
        None => (None, None),
    };
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "replay.html",
        "/plugins",
        context! {
            title => t_with("replay-title", &[("name", Arg::Text(name.to_string()))]),
            plugin => name,
            live_version => installation.version,
            batch => !replays_decisions(installation.kind),
            appeals => installation.kind == PluginKind::AppealRouting,
            held => held,
            limit => text::number(DECISIONS as i64),
            typed => Value::from_serialize(typed),
            decisions => decisions,
            run => run,
            errors => errors,
            field_errors => field_errors,
        },
    ))
}

async fn installation(state: &WebState, name: &str) -> Result<Installation, PageError> {
    state
        .store()
        .installation(name)
        .await?
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))
}

/// `/plugins/{name}/replay`: the form.
pub async fn form(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAudit)?;
    let installation = installation(&state, &name).await?;
    page(
        &state,
        &viewer,
        &installation,
        StatusCode::OK,
        &Typed::default(),
        &[],
        None,
    )
    .await
}

/// A typed day as the start of that day in the region's time zone; empty is none.
fn typed_day(
    state: &WebState,
    typed: &str,
    field: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    if typed.trim().is_empty() {
        return None;
    }
    let day = iso_day(typed).and_then(|iso| day_start(&iso, state.host.time_zone()));
    if day.is_none() {
        errors.push(FieldError::new(field, t("error-replay-day")));
    }
    day
}

/// Runs the replay the form asks for and shows its report under the form; a field that is
/// wrong, or a replay the host refuses, comes back by its field as typed and runs nothing.
pub async fn replay(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ReadAudit)?;
    let installation = installation(&state, &name).await?;
    let batch = !replays_decisions(installation.kind);
    let typed = Typed {
        version: form.get("version").trim().to_string(),
        since: form.get("since").trim().to_string(),
        until: form.get("until").trim().to_string(),
        run: if batch {
            form.get("run").trim().to_string()
        } else {
            String::new()
        },
    };
    let mut errors = Vec::new();
    let candidate = if typed.version.is_empty() {
        Candidate::Installed
    } else if semver::Version::parse(&typed.version).is_ok() {
        Candidate::Version(typed.version.clone())
    } else {
        errors.push(FieldError::new("version", t("error-shadow-version")));
        Candidate::Installed
    };
    let since = typed_day(&state, &typed.since, "since", &mut errors);
    let until = typed_day(&state, &typed.until, "until", &mut errors);
    if let (Some(since), Some(until)) = (since, until)
        && until <= since
    {
        errors.push(FieldError::new("until", t("error-replay-range")));
    }
    if typed.run.chars().count() > RUN_ID_MAX || typed.run.chars().any(char::is_control) {
        errors.push(FieldError::new("run", t("error-replay-run-id")));
    }
    let refuse = |errors: Vec<FieldError>| {
        let (state, installation, typed) = (&state, &installation, &typed);
        async move {
            page(
                state,
                viewer,
                installation,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                &errors,
                None,
            )
            .await
        }
    };
    if !errors.is_empty() {
        return refuse(errors).await;
    }
    // One replay at a time per host, as for the API: the request waits for it.
    let Ok(_only) = state.replays.try_acquire() else {
        return refuse(vec![FieldError::new("replay", t("error-replay-busy"))]).await;
    };
    let outcome = if batch {
        let request = RunReplayRequest {
            run: (!typed.run.is_empty()).then(|| typed.run.clone()),
            since,
            until,
            max_differences: LISTED,
            ..RunReplayRequest::new(&name, candidate)
        };
        state
            .host
            .replay_run(&request)
            .await
            .map(|r| Report::Run(Box::new(r)))
    } else {
        let request = ReplayRequest {
            since,
            until,
            limit: Some(DECISIONS),
            max_differences: LISTED,
            ..ReplayRequest::new(&name, candidate)
        };
        state
            .host
            .replay(&request)
            .await
            .map(|r| Report::Decisions(Box::new(r)))
    };
    match outcome {
        Ok(report) => {
            page(
                &state,
                viewer,
                &installation,
                StatusCode::OK,
                &typed,
                &[],
                Some(&report),
            )
            .await
        }
        Err(ReplayError::Store(e)) => Err(e.into()),
        Err(ReplayError::NotInstalled(_)) => Err(PageError::Status(StatusCode::NOT_FOUND)),
        Err(e) => refuse(vec![refusal(&e, &typed)]).await,
    }
}

/// Why a replay did not run, by the field to change.
fn refusal(e: &ReplayError, typed: &Typed) -> FieldError {
    let version = || ("version", Arg::Text(typed.version.clone()));
    match e {
        ReplayError::UnknownVersion { .. } => {
            FieldError::new("version", t_with("error-replay-unknown", &[version()]))
        }
        ReplayError::Refused(detail) => FieldError::new(
            "version",
            t_with(
                "error-shadow-refused",
                &[("detail", Arg::Text(detail.clone()))],
            ),
        ),
        ReplayError::NoRun { run: Some(_), .. } => {
            FieldError::new("run", t("error-replay-no-such-run"))
        }
        ReplayError::NoRun { run: None, .. } => FieldError::new("since", t("error-replay-no-run")),
        // The candidate is another plugin, or of another kind than the installed one.
        other => FieldError::new(
            "version",
            t_with("error-shadow", &[("detail", Arg::Text(other.to_string()))]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_a_replay_names_reads_in_russian() {
        for change in [
            "added",
            "removed",
            "assignee changed",
            "records changed",
            "priority changed",
            "due date changed",
            "wording changed",
            "score changed",
            "exception changed",
            "message changed",
        ] {
            let text = change_text(change);
            assert!(
                text.chars().any(|c| ('а'..='я').contains(&c)),
                "{change}: {text}"
            );
        }
        for item in ["task", "object", "visit", "message"] {
            assert_ne!(item_text(item), item);
        }
        assert_eq!(change_text("medium → high"), "medium → high");
    }
}
