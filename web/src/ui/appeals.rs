//! Citizens' appeals for staff: the list by status, one appeal with its text, place,
//! classification (the router's proposal beside it) and history, the first-line specialist's
//! classification form for an appeal in review, the executor's answer form for an appeal whose
//! incident is open, and the appeals section of the dashboard. Changes go through the API's
//! own functions (`api::appeals`), so a page can never do more than the API would.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_core::appeals::{Appeal, Catalogue, Place, Routing};
use zemstvo_store::appeals::{AppealFilter, AppealRow};

use super::chart::{self, Bar};
use super::forms::PostedForm;
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::{self, Arg};
use crate::api::appeals::{
    AppealDetail, Classification, MAX_TEXT_CHARS, ReportView, STATUSES, UrgencyLevel,
    answer_incident, appeal_detail, classify_appeal, may_answer,
};
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;
use crate::unix_now;

/// The most appeals one list shows.
const LIST_LIMIT: u32 = 500;
/// The urgencies a specialist may choose, as the form sends them.
const URGENCIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// The tag colour of a status: the task tags' palette, so that the stylesheet needs nothing new.
fn tag(status: &str) -> &'static str {
    match status {
        "review" => "in_progress",
        "answered" | "closed" => "done",
        "reopened" => "rejected",
        _ => "new",
    }
}

/// Statuses in which an appeal waits for someone and its deadline matters.
fn waiting(status: &str) -> bool {
    matches!(status, "received" | "review" | "assigned" | "reopened")
}

/// A catalogue code with its title when the active catalogue has it.
fn titled(code: &str, titles: &HashMap<String, String>) -> String {
    match titles.get(code) {
        Some(title) => format!("{title} ({code})"),
        None => code.to_string(),
    }
}

/// The titles of the active catalogue's categories and authorities, by code.
fn titles(catalogue: Option<&Catalogue>) -> (HashMap<String, String>, HashMap<String, String>) {
    let Some(c) = catalogue else {
        return Default::default();
    };
    (
        c.categories
            .iter()
            .map(|c| (c.code.clone(), c.title.clone()))
            .collect(),
        c.authorities
            .iter()
            .map(|a| (a.code.clone(), a.title.clone()))
            .collect(),
    )
}

/// An appeal in the list.
#[derive(Debug, Serialize)]
struct AppealItem {
    id: u64,
    received_at: i64,
    category: Option<String>,
    territory: Option<String>,
    status: String,
    tag: &'static str,
    incident: Option<u64>,
    due_at: Option<i64>,
    overdue: bool,
}

/// `/appeals?status=review`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAppeals)?;
    let status = query
        .as_deref()
        .and_then(|q| q.strip_prefix("status="))
        .filter(|s| STATUSES.contains(s))
        .map(str::to_string);
    let catalogue = state.store().appeal_catalogue().await?;
    let (categories, _) = titles(catalogue.as_deref());
    let now = unix_now();
    let rows: Vec<AppealItem> = state
        .store()
        .appeals(&AppealFilter {
            statuses: status.iter().cloned().collect(),
            limit: LIST_LIMIT,
            ..AppealFilter::default()
        })
        .await?
        .into_iter()
        .map(|a| AppealItem {
            id: a.id,
            received_at: a.received_at,
            category: a.category.as_deref().map(|c| titled(c, &categories)),
            territory: a.territory,
            overdue: waiting(&a.status) && a.due_at.is_some_and(|d| d < now),
            tag: tag(&a.status),
            status: a.status,
            incident: a.incident_id,
            due_at: a.due_at,
        })
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "appeals.html",
        "/appeals",
        context! {
            title => t("appeals-title"),
            status => status,
            statuses => STATUSES.to_vec(),
            appeals => Value::from_serialize(&rows),
        },
    ))
}

/// The router's proposal as the page shows it.
#[derive(Debug, Serialize)]
struct Proposal {
    routed_by: Option<String>,
    category: Option<String>,
    catalogue_version: String,
    authority: Option<String>,
    /// `87 %`.
    confidence: String,
    needs_review: bool,
    merge: Vec<String>,
    trace: Vec<TraceRow>,
}

#[derive(Debug, Serialize)]
struct TraceRow {
    name: String,
    value: String,
    source: String,
}

#[derive(Debug, Serialize)]
struct HistoryRow {
    status: String,
    note: Option<String>,
    actor: String,
    at: i64,
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// What the appeal page keeps of a refused form: the values as typed and the errors.
#[derive(Default)]
struct AppealForm {
    category: String,
    authority: String,
    urgency: String,
    merge_into: String,
    answer: String,
    errors: Vec<FieldError>,
}

/// Who did something, as the page shows it: the login of `user:login`.
fn actor_name(actor: &str) -> String {
    actor.strip_prefix("user:").unwrap_or(actor).to_string()
}

fn appeal_id(raw: &str) -> Result<u64, PageError> {
    raw.parse()
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))
}

/// The open incidents an appeal in review might join, nearest first.
async fn joinable(state: &WebState, a: &AppealRow) -> Result<Vec<Choice>, PageError> {
    let appeal = Appeal {
        id: a.id,
        channel: a.channel.clone(),
        service_code: a.service_code.clone(),
        text: String::new(),
        place: match (a.lat, a.lon) {
            (Some(lat), Some(lon)) => Some(Place {
                lat,
                lon,
                address: None,
            }),
            _ => None,
        },
        territory: a.territory.clone(),
        received: a.received_at,
        attributes: Vec::new(),
    };
    Ok(state
        .store()
        .open_incidents_for(&appeal)
        .await?
        .into_iter()
        .map(|i| Choice {
            value: i.id.to_string(),
            label: t_with(
                "appeal-merge-choice",
                &[
                    ("id", Arg::Text(i.id.to_string())),
                    ("category", Arg::Text(i.category)),
                    ("count", Arg::Number(i.appeals as f64)),
                    ("n", Arg::Text(i.appeals.to_string())),
                ],
            ),
        })
        .collect())
}

async fn appeal_page(
    state: &WebState,
    viewer: &Viewer,
    id: u64,
    status: StatusCode,
    form: AppealForm,
    flash: Option<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAppeals)?;
    let AppealDetail {
        appeal,
        history,
        incident,
    } = appeal_detail(state, id).await?;
    let row = state.store().appeal(id).await?;
    let catalogue = state.store().appeal_catalogue().await?;
    let (categories, authorities) = titles(catalogue.as_deref());
    let proposal = row
        .routing
        .as_deref()
        .and_then(|r| serde_json::from_str::<Routing>(r).ok())
        .map(|r| Proposal {
            routed_by: row.routed_by.clone(),
            category: r
                .classification
                .category
                .as_deref()
                .map(|c| titled(c, &categories)),
            catalogue_version: r.classification.catalogue_version,
            authority: r.authority.as_deref().map(|a| titled(a, &authorities)),
            confidence: text::percent(f64::from(r.classification.confidence) * 100.0),
            needs_review: r.needs_review,
            merge: r
                .merge_candidates
                .iter()
                .map(|m| {
                    t_with(
                        "appeal-proposal-merge",
                        &[
                            ("id", Arg::Text(m.incident.to_string())),
                            ("reason", Arg::Text(m.reason.clone())),
                        ],
                    )
                })
                .collect(),
            trace: r
                .trace
                .into_iter()
                .map(|s| TraceRow {
                    name: s.name,
                    value: s.value,
                    source: s.source,
                })
                .collect(),
        });
    let can_classify = viewer.may(Action::ClassifyAppeals)
        && matches!(appeal.status.as_str(), "review" | "received");
    let (category_choices, authority_choices) = match (&catalogue, can_classify) {
        (Some(c), true) => (
            c.categories
                .iter()
                .map(|c| Choice {
                    value: c.code.clone(),
                    label: format!("{} — {}", c.title, c.code),
                })
                .collect(),
            c.authorities
                .iter()
                .map(|a| Choice {
                    value: a.code.clone(),
                    label: format!("{} — {}", a.title, a.code),
                })
                .collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let merge_choices = if can_classify {
        joinable(state, &row).await?
    } else {
        Vec::new()
    };
    let incident_row = match appeal.incident_id {
        Some(i) => Some(state.store().incident(i).await?),
        None => None,
    };
    let can_answer = match &incident_row {
        Some(i) if matches!(i.status.as_str(), "open" | "reopened") => {
            may_answer(state, &viewer.principal, i).await?
        }
        _ => false,
    };
    let history: Vec<HistoryRow> = history
        .into_iter()
        .map(|h| HistoryRow {
            status: h.status,
            note: h.note,
            actor: actor_name(&h.actor),
            at: h.at,
        })
        .collect();
    let (errors, field_errors) = errors_context(&form.errors);
    let now = unix_now();
    Ok(viewer.page(
        status,
        "appeal.html",
        "/appeals",
        context! {
            title => t_with("appeal-title", &[("id", Arg::Text(id.to_string()))]),
            appeal => Value::from_serialize(&appeal),
            tag => tag(&appeal.status),
            overdue => waiting(&appeal.status) && appeal.due_at.is_some_and(|d| d < now),
            // Five decimals are a metre or so: enough to find the place.
            coordinates => match (appeal.lat, appeal.lon) {
                (Some(lat), Some(lon)) => Some(format!("{lat:.5}, {lon:.5}")),
                _ => None,
            },
            category => appeal.category.as_deref().map(|c| titled(c, &categories)),
            authority => appeal.authority.as_deref().map(|a| titled(a, &authorities)),
            proposal => Value::from_serialize(&proposal),
            incident => Value::from_serialize(&incident),
            history => Value::from_serialize(&history),
            can_classify => can_classify,
            has_catalogue => catalogue.is_some(),
            active_version => catalogue.as_deref().map(|c| c.version.clone()),
            category_choices => Value::from_serialize(&category_choices),
            authority_choices => Value::from_serialize(&authority_choices),
            merge_choices => Value::from_serialize(&merge_choices),
            urgencies => URGENCIES.to_vec(),
            can_answer => can_answer,
            chosen_category => form.category,
            chosen_authority => form.authority,
            chosen_urgency => form.urgency,
            chosen_merge => form.merge_into,
            answer => form.answer,
            max_answer => MAX_TEXT_CHARS,
            errors => errors,
            field_errors => field_errors,
            flash => flash,
        },
    ))
}

/// The confirmation a redirect after a change asks the next page to show.
fn flash(query: Option<&str>) -> Option<String> {
    let done = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("done="))?;
    matches!(done, "classified" | "merged" | "answered").then(|| t(&format!("appeal-done-{done}")))
}

/// `/appeals/{id}`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let id = appeal_id(&id)?;
    appeal_page(
        &state,
        &viewer,
        id,
        StatusCode::OK,
        AppealForm::default(),
        flash(query.as_deref()),
    )
    .await
}

/// A refusal of the API's functions as an error by a field of the page, or an error page.
fn refusal(problem: Problem, field: &str, message: String) -> Result<FieldError, PageError> {
    if matches!(problem.status, 409 | 422) {
        Ok(FieldError::new(field, message))
    } else {
        Err(problem.into())
    }
}

/// The specialist's classification, from the appeal page.
pub async fn classify(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let id = appeal_id(&id)?;
    let viewer = &form.viewer;
    viewer.require(Action::ClassifyAppeals)?;
    let mut page_form = AppealForm {
        category: form.get("category").to_string(),
        authority: form.get("authority").to_string(),
        urgency: form.get("urgency").to_string(),
        merge_into: form.get("merge_into").to_string(),
        ..AppealForm::default()
    };
    if page_form.category.is_empty() {
        page_form
            .errors
            .push(FieldError::new("category", t("appeal-error-category")));
    }
    if page_form.authority.is_empty() {
        page_form
            .errors
            .push(FieldError::new("authority", t("appeal-error-authority")));
    }
    let urgency = match page_form.urgency.as_str() {
        "" => None,
        "low" => Some(UrgencyLevel::Low),
        "medium" => Some(UrgencyLevel::Medium),
        "high" => Some(UrgencyLevel::High),
        "critical" => Some(UrgencyLevel::Critical),
        _ => return Err(PageError::Status(StatusCode::BAD_REQUEST)),
    };
    let merge_into = match page_form.merge_into.trim() {
        "" => None,
        n => match n.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                page_form
                    .errors
                    .push(FieldError::new("merge_into", t("appeal-error-merge")));
                None
            }
        },
    };
    if !page_form.errors.is_empty() {
        return appeal_page(
            &state,
            viewer,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            page_form,
            None,
        )
        .await;
    }
    let classification = Classification {
        category: page_form.category.clone(),
        authority: page_form.authority.clone(),
        urgency,
        merge_into,
    };
    match classify_appeal(&state, &viewer.principal, id, &classification).await {
        Ok(done) => {
            let done = if done.outcome == "merged" {
                "merged"
            } else {
                "classified"
            };
            Ok(Redirect::to(&format!("/appeals/{id}?done={done}")).into_response())
        }
        Err(problem) => {
            let (field, message) = match (problem.status, problem.field.as_deref()) {
                (409, _) => ("classify", t("appeal-error-classified")),
                (_, Some("authority")) => ("authority", t("appeal-error-authority")),
                (_, Some("merge_into")) => ("merge_into", t("appeal-error-merge")),
                _ => ("category", t("appeal-error-category")),
            };
            page_form.errors.push(refusal(problem, field, message)?);
            appeal_page(
                &state,
                viewer,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                page_form,
                None,
            )
            .await
        }
    }
}

/// The executor's answer to the appeal's incident, from the appeal page.
pub async fn answer(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let id = appeal_id(&id)?;
    let viewer = &form.viewer;
    viewer.require(Action::AnswerIncidents)?;
    let appeal = state.store().appeal(id).await?;
    let incident = appeal
        .incident_id
        .ok_or(PageError::Status(StatusCode::CONFLICT))?;
    let mut page_form = AppealForm {
        answer: form.get("answer").to_string(),
        ..AppealForm::default()
    };
    match answer_incident(&state, &viewer.principal, incident, form.get("answer")).await {
        Ok(_) => Ok(Redirect::to(&format!("/appeals/{id}?done=answered")).into_response()),
        Err(problem) => {
            let (field, message) = match problem.status {
                409 => ("incident", t("appeal-error-answered")),
                _ if page_form.answer.trim().is_empty() => {
                    ("answer", t("appeal-error-answer-empty"))
                }
                _ => (
                    "answer",
                    t_with(
                        "appeal-error-answer-long",
                        &[("max", Arg::Text(MAX_TEXT_CHARS.to_string()))],
                    ),
                ),
            };
            page_form.errors.push(refusal(problem, field, message)?);
            appeal_page(
                &state,
                viewer,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                page_form,
                None,
            )
            .await
        }
    }
}

/// One group's row of the dashboard's appeals tables.
#[derive(Debug, Serialize)]
struct FiguresRow {
    key: String,
    appeals: u64,
    answered: u64,
    mean_days: Option<String>,
    reopened: String,
    rating: Option<String>,
}

/// One table of the dashboard's appeals section: by category, territory or authority.
#[derive(Debug, Serialize)]
struct FiguresTable {
    /// `category`, `territory` or `authority`: names the texts.
    id: &'static str,
    rows: Vec<FiguresRow>,
}

/// The dashboard's «Обращения граждан»: the counts by state, a chart of the days to answer by
/// category, and per category, territory and authority the days to answer, the share reopened
/// and the mean rating.
pub async fn dashboard_section(state: &WebState) -> Result<Value, PageError> {
    let at = unix_now();
    let report = ReportView::new(state.store().appeal_report(at).await?, at);
    let catalogue = state.store().appeal_catalogue().await?;
    let (categories, authorities) = titles(catalogue.as_deref());
    let table = |id: &'static str, figures: &[crate::api::appeals::FiguresView]| FiguresTable {
        id,
        rows: figures
            .iter()
            .map(|f| FiguresRow {
                key: match id {
                    "category" => titled(&f.key, &categories),
                    "authority" => titled(&f.key, &authorities),
                    _ => f.key.clone(),
                },
                appeals: f.appeals,
                answered: f.answered,
                mean_days: f.mean_days_to_answer.map(|d| text::decimal(d, 1)),
                reopened: text::percent(f.reopened_percent),
                rating: f.mean_rating.map(|r| text::decimal(r, 1)),
            })
            .collect(),
    };
    let tables = vec![
        table("category", &report.by_category),
        table("territory", &report.by_territory),
        table("authority", &report.by_authority),
    ];
    let answered: Vec<Bar> = report
        .by_category
        .iter()
        .filter_map(|f| {
            f.mean_days_to_answer.map(|d| Bar {
                label: titles_label(&f.key, &categories),
                value: d,
                shown: text::decimal(d, 1),
            })
        })
        .collect();
    let days_chart = (!answered.is_empty())
        .then(|| chart::bars("appeals-days-chart", &t("appeals-days-chart"), &answered));
    Ok(context! {
        figures => Value::from_serialize(&report),
        tables => Value::from_serialize(&tables),
        days_chart => days_chart.map(Value::from_safe_string),
    })
}

/// A category as a chart's label: its title alone, which is shorter.
fn titles_label(code: &str, titles: &HashMap<String, String>) -> String {
    titles
        .get(code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}
