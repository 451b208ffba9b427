//! Citizens' appeals for staff: the queue with each appeal's history and incident, the
//! first-line specialist's classification of an appeal the router left for review, the
//! executor's answer to an incident, the applicant's verdict (relayed by the channel system),
//! a curator's root-cause finding, and the curators' figures.
//!
//! Who may: every staff role reads appeals (the rows carry no applicant's name, e-mail or
//! phone: those stay in the store for the channel's replies); employees and administrators
//! classify; the incident's executor, their manager or an administrator answers; only an
//! administrator's account records a verdict (the channel system is given one, with a token);
//! managers and administrators record root causes; managers, administrators and auditors read
//! the report. Changes are refused, with nothing changed, before the store is asked when a
//! field is wrong, so that the problem names the field.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_core::appeals::Urgency;
use zemstvo_store::StoreError;
use zemstvo_store::accounts::Role;
use zemstvo_store::appeals::{
    AppealChange, AppealFigures, AppealFilter, AppealReport, AppealRow, Correction, IncidentRow,
    Routed,
};

use super::{JsonBody, PathParam, QueryParams, page_size};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;
use crate::unix_now;

/// An appeal's statuses, in the order an appeal goes through them.
pub const STATUSES: [&str; 6] = [
    "received", "review", "assigned", "answered", "closed", "reopened",
];

/// The longest answer, finding or change request text: a letter, not a document.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The longest applicant's comment on a verdict.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// An appeal as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealView {
    pub id: u64,
    /// The channel it came through (`open311:dobrodel`).
    pub channel: String,
    pub service_code: Option<String>,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub territory: Option<String>,
    pub media_url: Option<String>,
    pub received_at: i64,
    /// When the answer is due, once routed.
    pub due_at: Option<i64>,
    /// received, review, assigned, answered, closed or reopened.
    pub status: String,
    pub category: Option<String>,
    /// The catalogue version it was classified against.
    pub catalogue_version: Option<String>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub authority: Option<String>,
    pub incident_id: Option<u64>,
    /// The router's proposal, kept beside a specialist's correction.
    pub routing: Option<serde_json::Value>,
    /// The router (`appeal-router@1.0.0`).
    pub routed_by: Option<String>,
    /// The incident's answer, once given.
    pub answer: Option<String>,
    /// accepted or rejected, once the applicant has said.
    pub verdict: Option<String>,
    /// The applicant's rating of the answer, 1 to 5.
    pub rating: Option<i64>,
    pub updated_at: i64,
}

impl From<AppealRow> for AppealView {
    fn from(a: AppealRow) -> Self {
        AppealView {
            id: a.id,
            channel: a.channel,
            service_code: a.service_code,
            text: a.text,
            lat: a.lat,
            lon: a.lon,
            address: a.address,
            territory: a.territory,
            media_url: a.media_url,
            received_at: a.received_at,
            due_at: a.due_at,
            status: a.status,
            category: a.category,
            catalogue_version: a.catalogue_version,
            urgency: a.urgency,
            impact: a.impact,
            authority: a.authority,
            incident_id: a.incident_id,
            routing: a
                .routing
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            routed_by: a.routed_by,
            answer: a.answer,
            verdict: a.verdict,
            rating: a.rating,
            updated_at: a.updated_at,
        }
    }
}

/// A line of an appeal's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealChangeView {
    /// The status it came to, or `corrected` for a specialist's classification.
    pub status: String,
    pub note: Option<String>,
    pub actor: String,
    pub at: i64,
}

impl From<AppealChange> for AppealChangeView {
    fn from(c: AppealChange) -> Self {
        AppealChangeView {
            status: c.status,
            note: c.note,
            actor: c.actor,
            at: c.at,
        }
    }
}

/// An incident: one problem, with the appeals about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: u64,
    pub category: String,
    pub authority: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub territory: Option<String>,
    /// open, answered, closed or reopened.
    pub status: String,
    pub opened_at: i64,
    pub due_at: i64,
    pub answer: Option<String>,
    /// How many appeals it has.
    pub appeals: u64,
    /// The executor's current task.
    pub task_id: Option<i64>,
}

impl From<IncidentRow> for IncidentView {
    fn from(i: IncidentRow) -> Self {
        IncidentView {
            id: i.id,
            category: i.category,
            authority: i.authority,
            lat: i.lat,
            lon: i.lon,
            territory: i.territory,
            status: i.status,
            opened_at: i.opened_at,
            due_at: i.due_at,
            answer: i.answer,
            appeals: i.appeals,
            task_id: i.task_id,
        }
    }
}

/// One appeal with its history (oldest first) and its incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealDetail {
    pub appeal: AppealView,
    pub history: Vec<AppealChangeView>,
    pub incident: Option<IncidentView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AppealQuery {
    /// received, review, assigned, answered, closed or reopened.
    pub status: Option<String>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

/// Appeals, newest first.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals", params(AppealQuery),
    responses((status = 200, body = [AppealView]), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<AppealQuery>,
) -> Result<Json<Vec<AppealView>>, Problem> {
    principal.require(Action::ReadAppeals)?;
    let statuses = match q.status {
        Some(s) if STATUSES.contains(&s.as_str()) => vec![s],
        Some(s) => {
            return Err(Problem::bad_request(format!(
                "status is `{s}`; give one of {}",
                STATUSES.join(", ")
            ))
            .field("status"));
        }
        None => Vec::new(),
    };
    let filter = AppealFilter {
        statuses,
        limit: page_size(q.limit)?,
        ..AppealFilter::default()
    };
    let rows = state.store().appeals(&filter).await?;
    Ok(Json(rows.into_iter().map(AppealView::from).collect()))
}

/// One appeal, or a 404 naming it.
pub(crate) async fn find_appeal(state: &WebState, id: u64) -> Result<AppealRow, Problem> {
    match state.store().appeal(id).await {
        Err(StoreError::NotFound(_)) => {
            Err(Problem::not_found(format!("the region has no appeal {id}")))
        }
        other => Ok(other?),
    }
}

/// One incident, or a 404 naming it.
pub(crate) async fn find_incident(state: &WebState, id: u64) -> Result<IncidentRow, Problem> {
    match state.store().incident(id).await {
        Err(StoreError::NotFound(_)) => Err(Problem::not_found(format!(
            "the region has no incident {id}"
        ))),
        other => Ok(other?),
    }
}

/// An appeal with its history and incident: what the page and the API show.
pub(crate) async fn appeal_detail(state: &WebState, id: u64) -> Result<AppealDetail, Problem> {
    let appeal = find_appeal(state, id).await?;
    let history = state.store().appeal_history(id).await?;
    let incident = match appeal.incident_id {
        Some(i) => Some(state.store().incident(i).await?.into()),
        None => None,
    };
    Ok(AppealDetail {
        appeal: appeal.into(),
        history: history.into_iter().map(Into::into).collect(),
        incident,
    })
}

/// One appeal with its history and its incident.
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "appeals",
    params(("id" = u64, Path, description = "The appeal's id")),
    responses((status = 200, body = AppealDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<u64>,
) -> Result<Json<AppealDetail>, Problem> {
    principal.require(Action::ReadAppeals)?;
    Ok(Json(appeal_detail(&state, id).await?))
}

/// How urgent an appeal is: the category's urgency, raised or lowered.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UrgencyLevel {
    Low,
    Medium,
    High,
    Critical,
}

impl From<UrgencyLevel> for Urgency {
    fn from(u: UrgencyLevel) -> Self {
        match u {
            UrgencyLevel::Low => Urgency::Low,
            UrgencyLevel::Medium => Urgency::Medium,
            UrgencyLevel::High => Urgency::High,
            UrgencyLevel::Critical => Urgency::Critical,
        }
    }
}

/// The first-line specialist's classification of an appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// A category code of the active catalogue.
    pub category: String,
    /// An authority code of the active catalogue, with an executor named.
    pub authority: String,
    /// Raise or lower the category's urgency.
    #[serde(default)]
    pub urgency: Option<UrgencyLevel>,
    /// An open incident of the same category to join instead of opening one.
    #[serde(default)]
    pub merge_into: Option<u64>,
}

/// What became of a classified appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifiedView {
    pub appeal_id: u64,
    /// new_incident or merged.
    pub outcome: String,
    pub incident_id: Option<u64>,
}

/// Checks a classification against the active catalogue and the open incidents, so that a
/// refusal names its field; the store checks again in its transaction.
pub(crate) async fn check_classification(
    state: &WebState,
    appeal: &AppealRow,
    c: &Classification,
) -> Result<(), Problem> {
    if !matches!(appeal.status.as_str(), "review" | "received") {
        return Err(Problem::conflict(format!(
            "appeal {} is {}; only an appeal in review (or not yet routed) is classified",
            appeal.id, appeal.status
        )));
    }
    let catalogue = state.store().appeal_catalogue().await?.ok_or_else(|| {
        Problem::unprocessable(
            "the region has no appeal catalogue loaded; load one with `zemstvo appeals catalogue`",
        )
        .field("category")
    })?;
    if catalogue.category(&c.category).is_none() {
        return Err(Problem::unprocessable(format!(
            "category `{}` is not in catalogue {}; give one of its category codes",
            short(&c.category),
            catalogue.version
        ))
        .field("category"));
    }
    if !catalogue.authorities.iter().any(|a| a.code == c.authority) {
        return Err(Problem::unprocessable(format!(
            "authority `{}` is not in catalogue {}; give one of its authority codes",
            short(&c.authority),
            catalogue.version
        ))
        .field("authority"));
    }
    if let Some(merge) = c.merge_into {
        let joinable = match state.store().incident(merge).await {
            Ok(i) => i.category == c.category && matches!(i.status.as_str(), "open" | "reopened"),
            Err(StoreError::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        };
        if !joinable {
            return Err(Problem::unprocessable(format!(
                "incident {merge} is not an open incident of category `{}`; leave merge_into \
                 out to open a new incident",
                c.category
            ))
            .field("merge_into"));
        }
    }
    Ok(())
}

/// A code as a message repeats it: at most 100 characters.
fn short(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Classifies an appeal (checked first), as `principal`.
pub(crate) async fn classify_appeal(
    state: &WebState,
    principal: &Principal,
    id: u64,
    c: &Classification,
) -> Result<ClassifiedView, Problem> {
    principal.require(Action::ClassifyAppeals)?;
    let appeal = find_appeal(state, id).await?;
    check_classification(state, &appeal, c).await?;
    let correction = Correction {
        category: c.category.clone(),
        authority: c.authority.clone(),
        urgency: c.urgency.map(Into::into),
        merge_into: c.merge_into,
    };
    let routed = state
        .store()
        .correct_appeal(id, &correction, &principal.actor(), unix_now())
        .await
        .map_err(|e| match e {
            // The authority has no executor named: the field to change is the authority.
            StoreError::Invalid(m) if m.contains("authority") => {
                Problem::unprocessable(m).field("authority")
            }
            other => other.into(),
        })?;
    let (outcome, incident_id) = match routed {
        Routed::NewIncident { incident } => ("new_incident", Some(incident)),
        Routed::Merged { incident } => ("merged", Some(incident)),
        Routed::Review => ("review", None),
    };
    Ok(ClassifiedView {
        appeal_id: id,
        outcome: outcome.into(),
        incident_id,
    })
}

/// Classifies an appeal the router left for review (employees — the first-line specialist —
/// and administrators): a category and an authority of the active catalogue, optionally an
/// open incident of the same category to join. The router's proposal is kept, the review task
/// is done, and the authority's executor gets the incident's task.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/classification", tag = "appeals",
    params(("id" = u64, Path, description = "The appeal's id")),
    request_body = Classification,
    responses((status = 200, body = ClassifiedView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn classify(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<u64>,
    JsonBody(c): JsonBody<Classification>,
) -> Result<Json<ClassifiedView>, Problem> {
    Ok(Json(classify_appeal(&state, &principal, id, &c).await?))
}

/// The executor's answer to an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// What was done, as the applicants will read it: not blank, at most 10 000 characters.
    pub answer: String,
}

/// Whether `principal` may answer `incident`: an administrator always; the executor whose task
/// it is, or their manager, otherwise.
pub(crate) async fn may_answer(
    state: &WebState,
    principal: &Principal,
    incident: &IncidentRow,
) -> Result<bool, Problem> {
    if !crate::policy::allows(principal.user.role, Action::AnswerIncidents) {
        return Ok(false);
    }
    if principal.user.role == Role::Administrator {
        return Ok(true);
    }
    let Some(task) = incident.task_id else {
        return Ok(false);
    };
    match super::tasks::visible_task(state, principal, task).await {
        Ok(_) => Ok(true),
        Err(p) if p.status == 404 => Ok(false),
        Err(p) => Err(p),
    }
}

/// Answers an incident (checked first), as `principal`.
pub(crate) async fn answer_incident(
    state: &WebState,
    principal: &Principal,
    id: u64,
    answer: &str,
) -> Result<IncidentView, Problem> {
    principal.require(Action::AnswerIncidents)?;
    let answer = answer.trim();
    let incident = find_incident(state, id).await?;
    if !may_answer(state, principal, &incident).await? {
        return Err(Problem::forbidden(format!(
            "incident {id} is answered by its authority's executor or their manager; it is not \
             in your tasks"
        )));
    }
    if answer.is_empty() {
        return Err(
            Problem::unprocessable("the answer is blank; write what was done").field("answer"),
        );
    }
    if answer.chars().count() > MAX_TEXT_CHARS {
        return Err(Problem::unprocessable(format!(
            "the answer is longer than {MAX_TEXT_CHARS} characters"
        ))
        .field("answer"));
    }
    no_nul(answer, "answer")?;
    if !matches!(incident.status.as_str(), "open" | "reopened") {
        return Err(Problem::conflict(format!(
            "incident {id} is {}; only an open or reopened incident is answered",
            incident.status
        )));
    }
    state
        .store()
        .answer_incident(id, answer, &principal.actor(), unix_now())
        .await?;
    Ok(state.store().incident(id).await?.into())
}

/// Answers an incident (its executor, the executor's manager, an administrator): every appeal
/// of it becomes `answered` and the executor's task is done; the applicants give their verdict
/// through their channel.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/answer", tag = "appeals",
    params(("id" = u64, Path, description = "The incident's id")),
    request_body = Answer,
    responses((status = 200, body = IncidentView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<u64>,
    JsonBody(body): JsonBody<Answer>,
) -> Result<Json<IncidentView>, Problem> {
    Ok(Json(
        answer_incident(&state, &principal, id, &body.answer).await?,
    ))
}

/// The applicant's verdict on the answer to their appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Whether the applicant accepts the answer: a rejection reopens the incident.
    pub accepted: bool,
    /// 1 to 5.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    /// The applicant's words, at most 2 000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Records the applicant's verdict on an answered appeal. In production it comes from the
/// channel system the applicant answered through, which calls with an administrator-role
/// account's API token; no other role may speak for an applicant. Accepted closes the appeal
/// (and its incident once all its appeals are closed); rejected reopens the incident to its
/// executor with a new task the curator oversees, and a control task for the curator.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/verdict", tag = "appeals",
    params(("id" = u64, Path, description = "The appeal's id")),
    request_body = Verdict,
    responses((status = 200, body = AppealView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn verdict(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<u64>,
    JsonBody(v): JsonBody<Verdict>,
) -> Result<Json<AppealView>, Problem> {
    principal.require(Action::RecordVerdicts)?;
    let rating = match v.rating {
        None => None,
        Some(r @ 1..=5) => Some(r as u8),
        Some(r) => {
            return Err(
                Problem::unprocessable(format!("rating is {r}; give 1 to 5")).field("rating"),
            );
        }
    };
    let comment = v
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(Problem::unprocessable(format!(
            "the comment is longer than {MAX_COMMENT_CHARS} characters"
        ))
        .field("comment"));
    }
    if let Some(c) = comment {
        no_nul(c, "comment")?;
    }
    let appeal = find_appeal(&state, id).await?;
    if appeal.status != "answered" {
        return Err(Problem::conflict(format!(
            "appeal {id} is {}; a verdict is given on an answered appeal",
            appeal.status
        )));
    }
    state
        .store()
        .appeal_verdict(
            id,
            v.accepted,
            rating,
            comment,
            &principal.actor(),
            unix_now(),
        )
        .await?;
    Ok(Json(find_appeal(&state, id).await?.into()))
}

/// A change of the infrastructure the root cause needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    pub title: String,
    pub description: String,
}

/// What a curator found about an overdue incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// Why the quick answer did not remove the problem in time.
    pub finding: String,
    /// When the problem needs a change of the infrastructure.
    #[serde(default)]
    pub change_request: Option<ChangeRequest>,
}

/// A recorded root cause.
#[derive(Debug, Serialize, ToSchema)]
pub struct RootCauseView {
    pub incident_id: u64,
    /// The change request's id, when one was made.
    pub change_request_id: Option<u64>,
}

fn required_text(value: &str, field: &str, max: usize) -> Result<String, Problem> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Problem::unprocessable(format!("{field} is blank")).field(field));
    }
    if value.chars().count() > max {
        return Err(
            Problem::unprocessable(format!("{field} is longer than {max} characters")).field(field),
        );
    }
    no_nul(value, field)?;
    Ok(value.to_string())
}

/// PostgreSQL's text cannot hold a NUL: refused here rather than failing in the database.
fn no_nul(value: &str, field: &str) -> Result<(), Problem> {
    if value.contains('\0') {
        return Err(
            Problem::unprocessable(format!("{field} contains a NUL character")).field(field),
        );
    }
    Ok(())
}

/// Records an overdue incident's root cause (managers and administrators — the curators) and,
/// when the problem needs a change of the infrastructure, the change request. The record opens
/// by itself when the incident's deadline passes; before that the answer is 409.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/root-cause", tag = "appeals",
    params(("id" = u64, Path, description = "The incident's id")),
    request_body = RootCause,
    responses((status = 200, body = RootCauseView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn root_cause(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<u64>,
    JsonBody(body): JsonBody<RootCause>,
) -> Result<Json<RootCauseView>, Problem> {
    principal.require(Action::RecordRootCauses)?;
    let finding = required_text(&body.finding, "finding", MAX_TEXT_CHARS)?;
    let change = match &body.change_request {
        Some(c) => Some((
            required_text(&c.title, "change_request.title", 200)?,
            required_text(&c.description, "change_request.description", MAX_TEXT_CHARS)?,
        )),
        None => None,
    };
    find_incident(&state, id).await?;
    let request = state
        .store()
        .record_root_cause(
            id,
            &finding,
            change.as_ref().map(|(t, d)| (t.as_str(), d.as_str())),
            &principal.actor(),
        )
        .await
        .map_err(|e| match e {
            // The incident exists: what is missing is its record, which opens when it is overdue.
            StoreError::NotFound(m) => Problem::conflict(m),
            other => other.into(),
        })?;
    Ok(Json(RootCauseView {
        incident_id: id,
        change_request_id: request,
    }))
}

/// One group's figures: a category, a territory or an authority (`—` for none).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    pub key: String,
    pub appeals: u64,
    pub answered: u64,
    /// Mean days from receipt to answer over the answered appeals.
    pub mean_days_to_answer: Option<f64>,
    /// Appeals whose answer the applicant rejected at least once.
    pub reopened: u64,
    /// Share of the appeals reopened, in percent.
    pub reopened_percent: f64,
    pub mean_rating: Option<f64>,
}

impl From<AppealFigures> for FiguresView {
    fn from(f: AppealFigures) -> Self {
        FiguresView {
            reopened_percent: if f.appeals > 0 {
                f.reopened as f64 * 100.0 / f.appeals as f64
            } else {
                0.0
            },
            key: f.key,
            appeals: f.appeals,
            answered: f.answered,
            mean_days_to_answer: f.mean_days_to_answer,
            reopened: f.reopened,
            mean_rating: f.mean_rating,
        }
    }
}

/// The region's figures on appeals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// When the figures were taken (overdue is counted against it).
    pub at: i64,
    pub appeals: u64,
    pub incidents: u64,
    /// Appeals that joined an existing incident.
    pub merged: u64,
    pub in_review: u64,
    /// Received or assigned, not yet answered.
    pub open: u64,
    pub answered: u64,
    pub closed: u64,
    pub reopened: u64,
    /// Open or reopened incidents past their deadline.
    pub overdue: u64,
    pub root_causes: u64,
    pub change_requests: u64,
    pub by_category: Vec<FiguresView>,
    pub by_territory: Vec<FiguresView>,
    pub by_authority: Vec<FiguresView>,
}

impl ReportView {
    pub(crate) fn new(r: AppealReport, at: i64) -> Self {
        let list = |v: Vec<AppealFigures>| v.into_iter().map(FiguresView::from).collect();
        ReportView {
            at,
            appeals: r.appeals,
            incidents: r.incidents,
            merged: r.merged,
            in_review: r.in_review,
            open: r.open,
            answered: r.answered,
            closed: r.closed,
            reopened: r.reopened,
            overdue: r.overdue,
            root_causes: r.root_causes,
            change_requests: r.change_requests,
            by_category: list(r.by_category),
            by_territory: list(r.by_territory),
            by_authority: list(r.by_authority),
        }
    }
}

/// The curators' figures (managers, administrators, auditors): counts by state, and per
/// category, territory and authority the days to answer, the share reopened and the mean
/// rating.
#[utoipa::path(get, path = "/api/v1/appeals/report", tag = "appeals",
    responses((status = 200, body = ReportView)))]
pub async fn report(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Json<ReportView>, Problem> {
    principal.require(Action::ReadAnalytics)?;
    let at = unix_now();
    Ok(Json(ReportView::new(
        state.store().appeal_report(at).await?,
        at,
    )))
}
