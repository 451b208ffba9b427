//! Decisions without an official: the cases eligibility rules decided or are waiting on, one
//! case with its verdict, reasons, assignment and the trace of every input and intermediate
//! value, and a retry of a failed case once its application is corrected.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::eligibility::{CaseFilter, CaseRow};

use super::{PathParam, QueryParams, page_size};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// One rule's case of one application.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub application_id: u64,
    pub plugin: String,
    /// waiting, decided or failed.
    pub status: String,
    /// approve or deny, once decided.
    pub verdict: Option<String>,
    pub run_id: String,
    /// How many times the rule was called for it.
    pub calls: u64,
    pub updated_at: i64,
}

impl From<&CaseRow> for CaseView {
    fn from(c: &CaseRow) -> Self {
        CaseView {
            application_id: c.application_id,
            plugin: c.plugin.clone(),
            status: c.status.clone(),
            verdict: c.verdict.clone(),
            run_id: c.run_id.clone(),
            calls: c.calls,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub plugin: Option<String>,
    /// waiting, decided or failed.
    pub status: Option<String>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

/// The cases, latest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = [CaseView])))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<CaseQuery>,
) -> Result<Json<Vec<CaseView>>, Problem> {
    principal.require(Action::ReadCases)?;
    if let Some(status) = &q.status
        && !["waiting", "decided", "failed"].contains(&status.as_str())
    {
        return Err(Problem::bad_request(format!(
            "status is `{status}`; give waiting, decided or failed"
        ))
        .field("status"));
    }
    let filter = CaseFilter {
        plugin: q.plugin,
        status: q.status,
        application: None,
        limit: Some(page_size(q.limit)?),
    };
    Ok(Json(
        state
            .store()
            .eligibility_cases(&filter)
            .await?
            .iter()
            .map(CaseView::from)
            .collect(),
    ))
}

/// An assignment an approval created, with its payment schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub measure: String,
    pub citizen: u64,
    /// Kopecks a month.
    pub monthly_amount: i64,
    pub start_at: i64,
    pub end_at: Option<i64>,
    /// Each payment's due time and amount in kopecks.
    pub payments: serde_json::Value,
    pub decided_by: String,
}

/// One rule's case with its decision: the verdict, the reasons or the assignment, and the
/// trace of every input and intermediate value with its source.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDecision {
    pub case: CaseView,
    pub decision: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    pub application_id: u64,
    /// Where the application stands: `registered` until a rule or an official decides it.
    pub application_status: String,
    /// Empty while no rule has been called for it yet (the host's next round calls them).
    pub cases: Vec<CaseDecision>,
    pub assignments: Vec<AssignmentView>,
}

/// The cases of one application, with their decisions and assignments.
#[utoipa::path(get, path = "/api/v1/cases/{application}", tag = "cases",
    params(("application" = u64, Path, description = "The application's id")),
    responses((status = 200, body = CaseDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(application): PathParam<u64>,
) -> Result<Json<CaseDetail>, Problem> {
    principal.require(Action::ReadCases)?;
    let filter = CaseFilter {
        application: Some(application),
        ..CaseFilter::default()
    };
    let Some(application_status) = state.store().application_status(application).await? else {
        return Err(Problem::not_found(format!(
            "the region has no application {application}"
        )));
    };
    let cases = state.store().eligibility_cases(&filter).await?;
    let assignments = state
        .store()
        .assignments(Some(application))
        .await?
        .into_iter()
        .map(|a| AssignmentView {
            measure: a.measure,
            citizen: a.citizen,
            monthly_amount: a.monthly_amount,
            start_at: a.start_at,
            end_at: a.end_at,
            payments: serde_json::from_str(&a.payments).unwrap_or(serde_json::Value::Null),
            decided_by: a.decided_by,
        })
        .collect();
    Ok(Json(CaseDetail {
        application_id: application,
        application_status,
        cases: cases
            .iter()
            .map(|c| CaseDecision {
                case: c.into(),
                decision: c
                    .decision
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok()),
            })
            .collect(),
        assignments,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RetryQuery {
    /// The rule, when the application has cases with several.
    pub plugin: Option<String>,
}

/// A case sent back to its rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetriedView {
    pub application_id: u64,
    pub plugin: String,
}

/// Sends a failed case back to its rule (after its application was corrected): the next round
/// calls the rule again. A decided case is changed by an official, not by calling the rule.
#[utoipa::path(post, path = "/api/v1/cases/{application}/retry", tag = "cases", params(
        ("application" = u64, Path, description = "The application's id"), RetryQuery),
    responses((status = 202, body = RetriedView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retry(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(application): PathParam<u64>,
    QueryParams(q): QueryParams<RetryQuery>,
) -> Result<(StatusCode, Json<RetriedView>), Problem> {
    principal.require(Action::RetryCases)?;
    match state
        .store()
        .retry_case(application, q.plugin.as_deref(), &principal.actor())
        .await?
    {
        Ok(plugin) => Ok((
            StatusCode::ACCEPTED,
            Json(RetriedView {
                application_id: application,
                plugin,
            }),
        )),
        Err(refused @ zemstvo_store::eligibility::RetryRefused::NoCase(_)) => {
            Err(Problem::not_found(refused.to_string()))
        }
        Err(refused @ zemstvo_store::eligibility::RetryRefused::Ambiguous(_)) => Err(
            Problem::unprocessable(refused.to_string().replace("--plugin", "?plugin=NAME"))
                .field("plugin"),
        ),
        Err(refused) => Err(Problem::conflict(refused.to_string())),
    }
}
