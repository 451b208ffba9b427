//! Analytics for a period: the tasks the algorithms issued and the SMEV answer times per
//! agency, as the Lipetsk dashboard shows them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::QueryParams;
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The period's start, seconds since the epoch; by default 30 days ago.
    pub since: Option<i64>,
}

fn since(p: &Period) -> Result<i64, Problem> {
    let now = crate::unix_now();
    match p.since {
        None => Ok(now - 30 * 86_400),
        Some(s) if (0..=now).contains(&s) => Ok(s),
        Some(s) => Err(Problem::bad_request(format!(
            "since is {s}; give a past time in seconds since the epoch"
        ))
        .field("since")),
    }
}

/// Tasks one algorithm issued in one status.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCountView {
    pub plugin: String,
    pub status: String,
    pub tasks: u64,
    /// Distinct employees reached.
    pub employees: u64,
}

/// Tasks per algorithm and status in the period.
#[utoipa::path(get, path = "/api/v1/analytics/tasks", tag = "analytics", params(Period),
    responses((status = 200, body = [TaskCountView]), (status = 403, body = Problem)))]
pub async fn tasks(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(p): QueryParams<Period>,
) -> Result<Json<Vec<TaskCountView>>, Problem> {
    principal.require(Action::ReadAnalytics)?;
    Ok(Json(
        state
            .store()
            .task_counts(since(&p)?)
            .await?
            .into_iter()
            .map(|c| TaskCountView {
                plugin: c.plugin,
                status: c.status,
                tasks: c.tasks,
                employees: c.employees,
            })
            .collect(),
    ))
}

/// SMEV requests of one agency in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyView {
    pub agency: String,
    pub requests: u64,
    pub answered: u64,
    pub rejected: u64,
    pub pending: u64,
    /// Mean days from sending to answer, over answered requests.
    pub mean_answer_days: Option<f64>,
}

/// SMEV requests per agency in the period.
#[utoipa::path(get, path = "/api/v1/analytics/smev", tag = "analytics", params(Period),
    responses((status = 200, body = [AgencyView]), (status = 403, body = Problem)))]
pub async fn smev(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(p): QueryParams<Period>,
) -> Result<Json<Vec<AgencyView>>, Problem> {
    principal.require(Action::ReadAnalytics)?;
    Ok(Json(
        state
            .store()
            .agency_stats(since(&p)?)
            .await?
            .into_iter()
            .map(|a| AgencyView {
                agency: a.agency,
                requests: a.requests,
                answered: a.answered,
                rejected: a.rejected,
                pending: a.pending,
                mean_answer_days: a.mean_answer_days,
            })
            .collect(),
    ))
}
