//! Replay of a batch plugin's recorded run (a deviation check, risk categories): the run made
//! again with its recorded version and with a candidate, and what the candidate would add,
//! remove or change, task by task and object by object. Auditors and administrators; nothing
//! is committed or delivered.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_service::replay::run::{Emitted, RunDifference, Tally};
use zemstvo_service::{RunReplayReport, RunReplayRequest};

use super::replay::{
    ReplayCandidateView, candidate_or_installed, day, max_differences, one_replay, problem,
};
use super::{JsonBody, PathParam};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// Which run to replay, and on which version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunReplayBody {
    /// The candidate version: one the region installed, or else one its registry has. The
    /// installed version by default.
    pub version: Option<String>,
    /// The run to replay; by default the newest recorded run in the range.
    pub run: Option<String>,
    /// Runs on or after this day (`YYYY-MM-DD`, the region's time zone).
    pub since: Option<String>,
    /// … and before this day.
    pub until: Option<String>,
    /// Differences returned (the rest are counted): 0 to 1,000; 100 by default.
    pub max_differences: Option<usize>,
}

/// The recorded run replayed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedRunView {
    pub seq: i64,
    pub run_id: String,
    pub version: String,
    pub sha256: String,
    pub logical_time: i64,
    pub rows_read: u64,
    /// The digest of what the run read; none in a record made before digests were kept.
    pub data_sha256: Option<String>,
}

/// What one version emitted in the run, or why it failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmittedView {
    pub tasks: u64,
    pub notifications: u64,
    pub smev_requests: u64,
    pub assessments: u64,
    pub visit_exceptions: u64,
    pub rows_read: u64,
    pub failure: Option<String>,
}

impl From<Emitted> for EmittedView {
    fn from(e: Emitted) -> Self {
        EmittedView {
            tasks: e.tasks,
            notifications: e.notifications,
            smev_requests: e.smev_requests,
            assessments: e.assessments,
            visit_exceptions: e.visit_exceptions,
            rows_read: e.rows_read,
            failure: e.failure,
        }
    }
}

/// The candidate's items of one kind against the recorded version's, matched by key.
#[derive(Debug, Serialize, ToSchema)]
pub struct TallyView {
    pub identical: u64,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

impl From<Tally> for TallyView {
    fn from(t: Tally) -> Self {
        TallyView {
            identical: t.identical,
            added: t.added,
            removed: t.removed,
            changed: t.changed,
        }
    }
}

/// One item the candidate treats otherwise.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDifferenceView {
    /// `task`, `object`, `visit` or `message`.
    pub item: String,
    pub key: String,
    /// `added`, `removed`, or what changed (`assignee changed`, `high → medium`, …).
    pub change: String,
    pub baseline: String,
    pub candidate: String,
}

impl From<RunDifference> for RunDifferenceView {
    fn from(d: RunDifference) -> Self {
        RunDifferenceView {
            item: d.item.to_string(),
            key: d.key,
            change: d.change,
            baseline: d.baseline,
            candidate: d.candidate,
        }
    }
}

/// What the candidate would change in the run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunReplayView {
    pub plugin: String,
    /// The plugin's kind (`deviation-check`, `risk-scoring`, …).
    pub kind: String,
    pub candidate: ReplayCandidateView,
    pub record: RecordedRunView,
    /// `unchanged` (the region's data is what the run read), `changed` (both versions ran on
    /// today's data) or `unknown` (the record keeps no digest of what it read).
    pub data: String,
    /// The recorded version, run again, emitted exactly what the record holds.
    pub reproduced: bool,
    pub baseline_emitted: EmittedView,
    pub candidate_emitted: EmittedView,
    pub tasks: TallyView,
    pub task_changes: BTreeMap<String, u64>,
    pub objects: TallyView,
    /// Objects whose category changes, by `from → to`.
    pub category_changes: BTreeMap<String, u64>,
    pub visit_exceptions: TallyView,
    pub messages: TallyView,
    pub differences: Vec<RunDifferenceView>,
    pub differences_left_out: u64,
    pub seconds: f64,
}

impl From<RunReplayReport> for RunReplayView {
    fn from(r: RunReplayReport) -> Self {
        RunReplayView {
            plugin: r.plugin,
            kind: r.kind.to_string(),
            candidate: ReplayCandidateView {
                version: r.candidate.version,
                sha256: r.candidate.sha256,
                signer: r.candidate.signer,
            },
            record: RecordedRunView {
                seq: r.record.seq,
                run_id: r.record.run_id,
                version: r.record.version,
                sha256: r.record.sha256,
                logical_time: r.record.logical_time,
                rows_read: r.record.rows_read,
                data_sha256: r.record.data_sha256,
            },
            data: r.data.name().to_string(),
            reproduced: r.reproduced,
            baseline_emitted: r.baseline_emitted.into(),
            candidate_emitted: r.candidate_emitted.into(),
            tasks: r.tasks.into(),
            task_changes: r.task_changes,
            objects: r.objects.into(),
            category_changes: r.category_changes,
            visit_exceptions: r.visit_exceptions.into(),
            messages: r.messages.into(),
            differences: r.differences.into_iter().map(Into::into).collect(),
            differences_left_out: r.differences_left_out,
            seconds: r.seconds,
        }
    }
}

/// Runs a batch plugin's recorded run again with its recorded version and with a candidate and
/// returns what the candidate would change. One replay runs at a time (503 with `Retry-After`
/// while another does).
#[utoipa::path(post, path = "/api/v1/plugins/{name}/replay/run", tag = "audit", request_body = RunReplayBody,
    params(("name" = String, Path, description = "The batch plugin's name")),
    responses((status = 200, body = RunReplayView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)))]
pub async fn replay_run(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<RunReplayBody>,
) -> Result<Json<RunReplayView>, Problem> {
    principal.require(Action::ReadAudit)?;
    let candidate = candidate_or_installed(body.version)?;
    let max_differences = max_differences(body.max_differences)?;
    if let Some(run) = &body.run
        && (run.is_empty() || run.len() > 200)
    {
        return Err(
            Problem::bad_request("run is a run id such as the one `zemstvo runs` lists")
                .field("run"),
        );
    }
    let request = RunReplayRequest {
        run: body.run,
        since: day(&state, body.since, "since")?,
        until: day(&state, body.until, "until")?,
        max_differences,
        ..RunReplayRequest::new(&name, candidate)
    };
    let _only = one_replay(&state)?;
    let report = state.host.replay_run(&request).await.map_err(problem)?;
    Ok(Json(report.into()))
}
