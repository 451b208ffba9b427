//! Replay of an eligibility rule's recorded decisions (or an appeal router's recorded calls)
//! on a candidate version: what an upgrade would change, decision by decision, before anyone
//! installs it. Auditors and
//! administrators; nothing is committed or delivered.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_service::replay::ReplayReport;
use zemstvo_service::{Candidate, ReplayError, ReplayRequest, day_start};

use super::{JsonBody, PathParam, QueryParams};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// Decisions one request replays at most: a replay runs while the request waits.
const MAX_DECISIONS: u64 = 20_000;
/// Differences one response carries at most.
const MAX_DIFFERENCES: usize = 1_000;

/// What to replay, and on which version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// The candidate version: one the region installed, or else one its registry has. The
    /// installed version by default (which must reproduce every record).
    pub version: Option<String>,
    /// Decisions taken on or after this day (`YYYY-MM-DD`, the region's time zone).
    pub since: Option<String>,
    /// … and before this day.
    pub until: Option<String>,
    /// At most this many decisions, oldest first: 1 to 20,000; 5,000 by default.
    pub limit: Option<u64>,
    /// Differences returned (the rest are counted): 0 to 1,000; 100 by default.
    pub max_differences: Option<usize>,
}

/// The version replayed on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayCandidateView {
    pub version: String,
    pub sha256: String,
    pub signer: Option<String>,
}

/// One decision the candidate would take differently.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayDifferenceView {
    pub seq: i64,
    pub run_id: String,
    /// The application, or for an appeal router the appeal.
    pub application: u64,
    /// `changed`, or `failed` when the candidate failed where the record did not.
    pub outcome: String,
    /// `approved → denied`, `denied → approved`, `amount changed`, …
    pub kind: String,
    pub recorded: String,
    pub candidate: String,
}

/// What the candidate would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayReportView {
    pub plugin: String,
    /// `eligibility-rule` (the decisions are applications') or `appeal-routing` (appeals').
    pub kind: String,
    pub candidate: ReplayCandidateView,
    /// Replayed decisions by the version that recorded them.
    pub recorded_versions: BTreeMap<String, u64>,
    pub replayed: u64,
    pub identical: u64,
    /// The verdict, amount, assignment, reasons or requests differ.
    pub changed: u64,
    pub failed: u64,
    /// Decided alike, explained differently (the trace differs); counted, not listed.
    pub explained_differently: u64,
    /// Changed decisions by kind of change.
    pub changes: BTreeMap<String, u64>,
    /// Records not replayed, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub differences: Vec<ReplayDifferenceView>,
    pub differences_left_out: u64,
    pub seconds: f64,
}

impl From<ReplayReport> for ReplayReportView {
    fn from(r: ReplayReport) -> Self {
        ReplayReportView {
            plugin: r.plugin,
            kind: r.kind.to_string(),
            candidate: ReplayCandidateView {
                version: r.candidate.version,
                sha256: r.candidate.sha256,
                signer: r.candidate.signer,
            },
            recorded_versions: r.recorded_versions,
            replayed: r.replayed,
            identical: r.identical,
            changed: r.changed,
            failed: r.failed,
            explained_differently: r.explained_differently,
            changes: r.changes,
            skipped: r.skipped,
            differences: r
                .differences
                .into_iter()
                .map(|d| ReplayDifferenceView {
                    seq: d.seq,
                    run_id: d.run_id,
                    application: d.application,
                    outcome: d.outcome.to_string(),
                    kind: d.kind.to_string(),
                    recorded: d.recorded,
                    candidate: d.candidate,
                })
                .collect(),
            differences_left_out: r.differences_left_out,
            seconds: r.seconds,
        }
    }
}

/// Re-runs the plugin's recorded decisions on a candidate version and returns what would
/// change. One replay runs at a time (503 with `Retry-After` while another does).
#[utoipa::path(post, path = "/api/v1/plugins/{name}/replay", tag = "audit", request_body = ReplayBody,
    params(("name" = String, Path, description = "The eligibility rule's or appeal router's name")),
    responses((status = 200, body = ReplayReportView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)))]
pub async fn replay(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<ReplayBody>,
) -> Result<Json<ReplayReportView>, Problem> {
    principal.require(Action::ReadAudit)?;
    let candidate = candidate_or_installed(body.version)?;
    let range = ReplayQuery {
        since: body.since,
        until: body.until,
        limit: body.limit,
        max_differences: body.max_differences,
    };
    run(&state, &name, candidate, range).await
}

/// The candidate a replay body names by `version`, or the installed version when it names
/// none.
pub(crate) fn candidate_or_installed(version: Option<String>) -> Result<Candidate, Problem> {
    version.map_or(Ok(Candidate::Installed), candidate_version)
}

/// A candidate named by its version, or the problem naming the `version` field.
pub(crate) fn candidate_version(version: String) -> Result<Candidate, Problem> {
    if semver::Version::parse(&version).is_err() {
        return Err(Problem::bad_request(format!(
            "version `{version}` is not a version such as 1.1.0"
        ))
        .field("version"));
    }
    Ok(Candidate::Version(version))
}

/// Which decisions a replay of an uploaded package takes, as query parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// Decisions taken on or after this day (`YYYY-MM-DD`, the region's time zone).
    pub since: Option<String>,
    /// … and before this day.
    pub until: Option<String>,
    /// At most this many decisions, oldest first: 1 to 20,000; 5,000 by default.
    pub limit: Option<u64>,
    /// Differences returned (the rest are counted): 0 to 1,000; 100 by default.
    pub max_differences: Option<usize>,
}

/// Re-runs the plugin's recorded decisions on an uploaded package file (`.zpkg`): a candidate
/// neither the region nor its registry holds, verified against the trust store as an install
/// would verify it. Nothing is installed, committed or delivered.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/replay/package", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's or appeal router's name"), ReplayQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The signed package file"),
    responses((status = 200, body = ReplayReportView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn replay_package(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    QueryParams(range): QueryParams<ReplayQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReplayReportView>, Problem> {
    principal.require(Action::ReadAudit)?;
    super::packages::check_upload(&headers, &body)?;
    run(&state, &name, Candidate::Package(body.to_vec()), range).await
}

/// A replay of `name` on `candidate` over the decisions `range` names.
async fn run(
    state: &WebState,
    name: &str,
    candidate: Candidate,
    range: ReplayQuery,
) -> Result<Json<ReplayReportView>, Problem> {
    let limit = match range.limit {
        None => 5_000,
        Some(n) if (1..=MAX_DECISIONS).contains(&n) => n,
        Some(n) => {
            return Err(
                Problem::bad_request(format!("limit is {n}; give 1 to {MAX_DECISIONS}"))
                    .field("limit"),
            );
        }
    };
    let max_differences = max_differences(range.max_differences)?;
    let request = ReplayRequest {
        since: day(state, range.since, "since")?,
        until: day(state, range.until, "until")?,
        limit: Some(limit),
        max_differences,
        ..ReplayRequest::new(name, candidate)
    };
    let _only = one_replay(state)?;
    let report = state.host.replay(&request).await.map_err(problem)?;
    Ok(Json(report.into()))
}

/// The differences a response carries: 100 by default, at most [`MAX_DIFFERENCES`].
pub(crate) fn max_differences(asked: Option<usize>) -> Result<usize, Problem> {
    match asked {
        None => Ok(100),
        Some(n) if n <= MAX_DIFFERENCES => Ok(n),
        Some(n) => Err(Problem::bad_request(format!(
            "max_differences is {n}; give 0 to {MAX_DIFFERENCES}"
        ))
        .field("max_differences")),
    }
}

/// The start of a day given as `YYYY-MM-DD` in the region's time zone, or the problem naming
/// `field`.
pub(crate) fn day(
    state: &WebState,
    text: Option<String>,
    field: &'static str,
) -> Result<Option<i64>, Problem> {
    text.map(|t| {
        day_start(&t, state.host.time_zone()).ok_or_else(|| {
            Problem::bad_request(format!("{field} `{t}` is not a date such as 2026-11-01"))
                .field(field)
        })
    })
    .transpose()
}

/// The host's one replay slot: a replay runs while its request waits, so a second one is told
/// to come back (503 with `Retry-After`) rather than queued.
pub(crate) fn one_replay(state: &WebState) -> Result<tokio::sync::SemaphorePermit<'_>, Problem> {
    state.replays.try_acquire().map_err(|_| {
        let mut busy = Problem::unavailable(
            "another replay is running on this host; try again when it has finished",
        );
        busy.retry_after = Some(10);
        busy
    })
}

/// A replay that could not start, as the problem a client reads.
pub(crate) fn problem(e: ReplayError) -> Problem {
    match e {
        ReplayError::Store(e) => e.into(),
        e @ (ReplayError::NotInstalled(_) | ReplayError::NoRun { .. }) => {
            Problem::not_found(e.to_string())
        }
        e => Problem::unprocessable(e.to_string()),
    }
}
