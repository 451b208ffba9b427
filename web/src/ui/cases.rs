//! Decisions without an official, for the roles that may read them: the eligibility rules'
//! cases (waiting for agencies, decided, failed) and one application's decision with its
//! reasons or its assignment and payments, and the trace of every value it was decided on.
//! A failed case goes back to its rule by a button (managers and administrators).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_core::eligibility::{Decision, Verdict};
use zemstvo_store::eligibility::CaseFilter;

use super::forms::PostedForm;
use super::page::{PageError, Viewer, t, t_with};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::state::WebState;

/// The statuses a case list can be narrowed to.
const STATUSES: [&str; 3] = ["waiting", "decided", "failed"];

#[derive(Debug, Serialize)]
struct CaseRow {
    application: u64,
    plugin: String,
    status: String,
    verdict: Option<String>,
    calls: u64,
    updated_at: i64,
}

/// `/cases?status=failed`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCases)?;
    let status = query
        .as_deref()
        .and_then(|q| q.strip_prefix("status="))
        .filter(|s| STATUSES.contains(s))
        .map(str::to_string);
    let rows: Vec<CaseRow> = state
        .store()
        .eligibility_cases(&CaseFilter {
            status: status.clone(),
            limit: Some(500),
            ..CaseFilter::default()
        })
        .await?
        .into_iter()
        .map(|c| CaseRow {
            application: c.application_id,
            plugin: c.plugin,
            status: c.status,
            verdict: c.verdict,
            calls: c.calls,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "cases.html",
        "/cases",
        context! {
            title => t("cases-title"),
            status => status,
            statuses => STATUSES.to_vec(),
            cases => Value::from_serialize(&rows),
        },
    ))
}

#[derive(Debug, Serialize)]
struct PaymentRow {
    due: i64,
    amount: String,
}

#[derive(Debug, Serialize)]
struct TraceRow {
    name: String,
    value: String,
    source: String,
}

/// One rule's case of the application, as the page shows it.
#[derive(Debug, Serialize)]
struct CaseView {
    plugin: String,
    status: String,
    verdict: Option<String>,
    calls: u64,
    updated_at: i64,
    reasons: Vec<String>,
    measure: Option<String>,
    monthly_amount: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    payments: Vec<PaymentRow>,
    trace: Vec<TraceRow>,
    /// Why the rule could not decide (a failed case).
    failure: Option<String>,
}

/// Kopecks as roubles: `1 826 ₽`.
fn roubles(kopecks: i64) -> String {
    text::money(kopecks as f64 / 100.0)
}

/// `/cases/{application}`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(application): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadCases)?;
    let application: u64 = application
        .parse()
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))?;
    let cases = state
        .store()
        .eligibility_cases(&CaseFilter {
            application: Some(application),
            ..CaseFilter::default()
        })
        .await?;
    if cases.is_empty() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let views: Vec<CaseView> = cases
        .into_iter()
        .map(|c| {
            let decision = c
                .decision
                .as_deref()
                .and_then(|d| serde_json::from_str::<Decision>(d).ok());
            let mut view = CaseView {
                failure: match (&decision, c.status.as_str()) {
                    (None, "failed") => c.decision.clone(),
                    _ => None,
                },
                plugin: c.plugin,
                status: c.status,
                verdict: c.verdict,
                calls: c.calls,
                updated_at: c.updated_at,
                reasons: Vec::new(),
                measure: None,
                monthly_amount: None,
                start: None,
                end: None,
                payments: Vec::new(),
                trace: Vec::new(),
            };
            if let Some(decision) = decision {
                match decision.verdict {
                    Verdict::Deny { reasons } => view.reasons = reasons,
                    Verdict::Approve { assignment } => {
                        view.measure = Some(assignment.measure);
                        view.monthly_amount = Some(roubles(assignment.monthly_amount));
                        view.start = Some(assignment.start);
                        view.end = assignment.end;
                        view.payments = assignment
                            .payments
                            .into_iter()
                            .map(|p| PaymentRow {
                                due: p.due,
                                amount: roubles(p.amount),
                            })
                            .collect();
                    }
                }
                view.trace = decision
                    .trace
                    .into_iter()
                    .map(|s| TraceRow {
                        name: s.name,
                        value: s.value,
                        source: s.source,
                    })
                    .collect();
            }
            view
        })
        .collect();
    let flash = (query.as_deref() == Some("retried=1")).then(|| t("case-retried"));
    Ok(viewer.page(
        StatusCode::OK,
        "case.html",
        "/cases",
        context! {
            title => t_with("case-title", &[("id", Arg::Text(application.to_string()))]),
            application => application,
            cases => Value::from_serialize(&views),
            can_retry => viewer.may(Action::RetryCases),
            flash => flash,
        },
    ))
}

/// Sends a failed case back to its rule.
pub async fn retry(
    State(state): State<Arc<WebState>>,
    Path(application): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    form.viewer.require(Action::RetryCases)?;
    let application: u64 = application
        .parse()
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))?;
    let plugin = Some(form.get("plugin")).filter(|p| !p.is_empty());
    match state
        .store()
        .retry_case(application, plugin, &form.viewer.principal.actor())
        .await?
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{application}?retried=1")).into_response()),
        Err(zemstvo_store::eligibility::RetryRefused::NoCase(_)) => {
            Err(PageError::Status(StatusCode::NOT_FOUND))
        }
        Err(_) => Err(PageError::Status(StatusCode::CONFLICT)),
    }
}
