//! Runs: the history with filters and paging, and one run's record.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::runs::{RunFilter, RunRow};

use super::{PathParam, QueryParams, page_size};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// A run as the history lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    pub plugin: String,
    /// succeeded or failed.
    pub status: String,
    /// The run's logical time, seconds since the epoch.
    pub logical_time: i64,
    pub finished_at: i64,
    pub tasks_created: u64,
    pub tasks_existing: u64,
    /// Why it failed.
    pub failure: Option<String>,
}

impl From<RunRow> for RunView {
    fn from(r: RunRow) -> Self {
        RunView {
            id: r.id,
            plugin: r.plugin,
            status: r.status,
            logical_time: r.logical_time,
            finished_at: r.finished_at,
            tasks_created: r.tasks_created,
            tasks_existing: r.tasks_existing,
            failure: r.failure,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    pub plugin: Option<String>,
    /// succeeded or failed.
    pub status: Option<String>,
    /// Runs finished at or after this time (seconds since the epoch).
    pub since: Option<i64>,
    /// Runs finished before this time: pass the last `finished_at` of a page for the next.
    pub until: Option<i64>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

/// The run history, latest first.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(RunQuery),
    responses((status = 200, body = [RunView]), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<RunQuery>,
) -> Result<Json<Vec<RunView>>, Problem> {
    principal.require(Action::ReadRuns)?;
    if let Some(status) = &q.status
        && status != "succeeded"
        && status != "failed"
    {
        return Err(Problem::bad_request(format!(
            "status is `{status}`; give succeeded or failed"
        ))
        .field("status"));
    }
    let filter = RunFilter {
        plugin: q.plugin,
        status: q.status,
        since: q.since,
        until: q.until,
        limit: page_size(q.limit)?,
    };
    Ok(Json(
        state
            .store()
            .runs(&filter)
            .await?
            .into_iter()
            .map(RunView::from)
            .collect(),
    ))
}

/// One run's record: status, duration, failure reason, outputs and log, as the host kept it.
/// The parameters of the messages it sent are left out: they may hold citizens' personal data.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    principal.require(Action::ReadRuns)?;
    let mut report = state
        .store()
        .run_report(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("there is no run `{id}`")))?;
    if let Some(messages) = report
        .pointer_mut("/outputs/notifications")
        .and_then(|v| v.as_array_mut())
    {
        for m in messages {
            if let Some(m) = m.as_object_mut() {
                m.remove("params");
            }
        }
    }
    Ok(Json(report))
}
