//! The employee's cabinet (their tasks, one task with the records behind it, the steps, the
//! history and comments, and the actions on it) and the manager's unit (tasks by employee,
//! the overdue ones, each employee's load against the norm, reassigning). Scopes and changes
//! go through the API's own functions (`api::tasks`), so a page can never show or change more
//! than the API would.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_store::accounts::Role;
use zemstvo_store::tasks::{MAX_NOTE_CHARS, StoredTask, TaskFilter, TaskStatus};

use super::forms::PostedForm;
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::Arg;
use crate::api::tasks::{add_comment, reassign_task, set_status, visible_assignees, visible_task};
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;
use crate::unix_now;

/// The most tasks one list shows.
const LIST_LIMIT: u32 = 500;

/// A task in a list.
#[derive(Debug, Serialize)]
struct TaskRow {
    id: i64,
    title: String,
    plugin: String,
    assignee: u64,
    assignee_name: String,
    due: Option<i64>,
    overdue: bool,
    open: bool,
    status: &'static str,
    priority: String,
}

fn is_open(status: TaskStatus) -> bool {
    matches!(status, TaskStatus::New | TaskStatus::InProgress)
}

fn row(t: &StoredTask, names: &HashMap<u64, String>, now: i64) -> TaskRow {
    let open = is_open(t.status);
    TaskRow {
        id: t.id,
        title: t.title.clone(),
        plugin: t.plugin.clone(),
        assignee: t.assignee,
        assignee_name: names.get(&t.assignee).cloned().unwrap_or_default(),
        due: t.due,
        overdue: open && t.due.is_some_and(|d| d < now),
        open,
        status: t.status.name(),
        priority: t.priority.clone(),
    }
}

/// The confirmation a redirect after a change asks the next page to show.
fn flash(query: Option<&str>) -> Option<String> {
    let done = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("done="))?;
    matches!(
        done,
        "taken" | "done" | "rejected" | "commented" | "reassigned"
    )
    .then(|| t(&format!("done-{done}")))
}

fn task_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))
}

/// `/`: the viewer's own tasks, open ones first; viewers without tasks of their own go to
/// the first page their role has.
pub async fn cabinet(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTasks)?;
    if viewer.principal.user.employee_id.is_none() {
        return Ok(Redirect::to(viewer.home()).into_response());
    }
    let assignees = visible_assignees(&state, &viewer.principal, Some("mine")).await?;
    let mut tasks = state
        .store()
        .tasks(&TaskFilter {
            assignees,
            limit: Some(LIST_LIMIT),
            ..TaskFilter::default()
        })
        .await?;
    // Open tasks first, the nearest due date first among them; closed ones after, newest first.
    tasks.sort_by_key(|t| (!is_open(t.status), t.due.unwrap_or(i64::MAX), -t.id));
    let now = unix_now();
    let names = HashMap::new();
    let rows: Vec<TaskRow> = tasks.iter().map(|t| row(t, &names, now)).collect();
    let open = rows.iter().filter(|r| r.open).count();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    Ok(viewer.page(
        StatusCode::OK,
        "cabinet.html",
        "/",
        context! {
            title => t("cabinet-title"),
            tasks => Value::from_serialize(&rows),
            total => rows.len(),
            open => open,
            overdue => overdue,
        },
    ))
}

/// A record behind a task, as the page names it.
#[derive(Debug, Serialize)]
struct RecordRow {
    kind: String,
    id: u64,
}

#[derive(Debug, Serialize)]
struct HistoryRow {
    status: String,
    reason: Option<String>,
    reassigned_to: Option<String>,
    actor: String,
    at: i64,
}

#[derive(Debug, Serialize)]
struct CommentRow {
    actor: String,
    body: String,
    at: i64,
}

/// Who did something, as the page shows it: the login of `user:login`.
fn actor_name(actor: &str) -> String {
    actor.strip_prefix("user:").unwrap_or(actor).to_string()
}

/// What the task page keeps of a refused form: the values as typed and the errors.
#[derive(Default)]
struct TaskForm {
    reason: String,
    comment: String,
    errors: Vec<FieldError>,
}

async fn task_page(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    status: StatusCode,
    form: TaskForm,
    flash: Option<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTasks)?;
    let task = visible_task(state, &viewer.principal, id).await?;
    let history = state.store().task_history(id).await?;
    let comments = state.store().task_comments(id).await?;
    let mut ids: Vec<u64> = history.iter().filter_map(|h| h.assignee).collect();
    ids.push(task.assignee);
    let names = state.store().employee_names(&ids).await?;
    let records: Vec<RecordRow> = task
        .records
        .iter()
        .map(|r| {
            let id = format!("entity-{}", r.entity);
            let kind = if super::text::Texts::russian().has(&id) {
                t(&id)
            } else {
                r.entity.to_string()
            };
            RecordRow { kind, id: r.id }
        })
        .collect();
    let history: Vec<HistoryRow> = history
        .into_iter()
        .map(|h| HistoryRow {
            status: h.status,
            reason: h.reason,
            reassigned_to: h
                .assignee
                .map(|a| names.get(&a).cloned().unwrap_or_else(|| a.to_string())),
            actor: actor_name(&h.actor),
            at: h.at,
        })
        .collect();
    let comments: Vec<CommentRow> = comments
        .into_iter()
        .map(|c| CommentRow {
            actor: actor_name(&c.actor),
            body: c.body,
            at: c.at,
        })
        .collect();
    let can_work = viewer.may(Action::WorkOnTasks) && is_open(task.status);
    let can_reassign = viewer.role() == Role::Manager && is_open(task.status);
    let (errors, field_errors) = errors_context(&form.errors);
    let current = if viewer.principal.user.employee_id == Some(task.assignee) {
        "/"
    } else {
        "/unit"
    };
    Ok(viewer.page(
        status,
        "task.html",
        current,
        context! {
            title => t_with("task-title", &[("id", Arg::Text(id.to_string()))]),
            task => Value::from_serialize(row(&task, &names, unix_now())),
            description => task.description,
            steps => task.steps,
            reason_rejected => task.reason,
            created_at => task.created_at,
            records => Value::from_serialize(&records),
            history => Value::from_serialize(&history),
            comments => Value::from_serialize(&comments),
            can_work => can_work,
            can_reassign => can_reassign,
            reason => form.reason,
            comment => form.comment,
            errors => errors,
            field_errors => field_errors,
            flash => flash,
            max_note => MAX_NOTE_CHARS,
        },
    ))
}

/// `/tasks/{id}`: one task, if the viewer may see it (404 otherwise, as if it did not exist).
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    task_page(
        &state,
        &viewer,
        id,
        StatusCode::OK,
        TaskForm::default(),
        flash(query.as_deref()),
    )
    .await
}

/// The task page again with a refused form's errors: nothing was changed.
async fn refused(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    form: TaskForm,
) -> Result<Response, PageError> {
    task_page(
        state,
        viewer,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        None,
    )
    .await
}

/// A refusal of the API's functions as an error on the page's field, or an error page.
fn field_error(problem: Problem, field: &str, message: String) -> Result<FieldError, PageError> {
    if problem.status == 422 {
        Ok(FieldError::new(field, message))
    } else {
        Err(problem.into())
    }
}

/// Takes into work, marks done, or rejects with a reason.
pub async fn change_status(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let viewer = &form.viewer;
    let action = form.get("action");
    let reason = form.get("reason").trim().to_string();
    let mut page_form = TaskForm {
        reason: form.get("reason").to_string(),
        ..TaskForm::default()
    };
    let (status, done) = match action {
        "in_progress" => ("in_progress", "taken"),
        "done" => ("done", "done"),
        "rejected" => ("rejected", "rejected"),
        _ => return Err(PageError::Status(StatusCode::BAD_REQUEST)),
    };
    if status == "rejected" {
        if reason.is_empty() {
            page_form
                .errors
                .push(FieldError::new("reason", t("error-reason-empty")));
        } else if reason.chars().count() > MAX_NOTE_CHARS {
            page_form.errors.push(FieldError::new(
                "reason",
                t_with(
                    "error-reason-long",
                    &[("max", Arg::Text(MAX_NOTE_CHARS.to_string()))],
                ),
            ));
        }
        if !page_form.errors.is_empty() {
            return refused(&state, viewer, id, page_form).await;
        }
    }
    let reason = (status == "rejected").then_some(reason.as_str());
    match set_status(&state, &viewer.principal, id, status, reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?done={done}")).into_response()),
        Err(problem) => {
            let (field, message) = match problem.field.as_deref() {
                Some("reason") => (
                    "reason",
                    t_with(
                        "error-reason-long",
                        &[("max", Arg::Text(MAX_NOTE_CHARS.to_string()))],
                    ),
                ),
                _ => ("actions", t("error-status-changed")),
            };
            page_form.errors.push(field_error(problem, field, message)?);
            refused(&state, viewer, id, page_form).await
        }
    }
}

/// Adds a comment.
pub async fn comment(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let viewer = &form.viewer;
    let body = form.get("comment").trim();
    let mut page_form = TaskForm {
        comment: form.get("comment").to_string(),
        ..TaskForm::default()
    };
    let too_long = || {
        t_with(
            "error-comment-long",
            &[("max", Arg::Text(MAX_NOTE_CHARS.to_string()))],
        )
    };
    if body.is_empty() {
        page_form
            .errors
            .push(FieldError::new("comment", t("error-comment-empty")));
    } else if body.chars().count() > MAX_NOTE_CHARS {
        page_form
            .errors
            .push(FieldError::new("comment", too_long()));
    }
    if !page_form.errors.is_empty() {
        return refused(&state, viewer, id, page_form).await;
    }
    match add_comment(&state, &viewer.principal, id, body).await {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{id}?done=commented")).into_response()),
        Err(problem) => {
            page_form
                .errors
                .push(field_error(problem, "comment", too_long())?);
            refused(&state, viewer, id, page_form).await
        }
    }
}

/// A member of the manager's unit.
#[derive(Debug, Serialize)]
struct StaffMember {
    id: u64,
    name: String,
}

/// The viewer's unit, by name: only a manager tied to an employee has one.
async fn unit_staff(state: &WebState, viewer: &Viewer) -> Result<Vec<StaffMember>, PageError> {
    viewer.require(Action::ReassignTasks)?;
    if viewer.role() != Role::Manager || viewer.principal.user.employee_id.is_none() {
        return Err(PageError::Status(StatusCode::FORBIDDEN));
    }
    let ids = visible_assignees(state, &viewer.principal, Some("unit"))
        .await?
        .unwrap_or_default();
    let names = state.store().employee_names(&ids).await?;
    let mut staff: Vec<StaffMember> = ids
        .into_iter()
        .map(|id| StaffMember {
            id,
            name: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
        })
        .collect();
    staff.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(staff)
}

/// One employee of the unit with their open tasks and their work against the norm.
#[derive(Debug, Serialize)]
struct EmployeeLoad {
    id: u64,
    name: String,
    open: usize,
    overdue: usize,
    tasks: Vec<TaskRow>,
    /// What they do, as the page names it.
    role: String,
    /// `visits` for social workers, `applications` for everyone else: what `done` counts.
    counts: &'static str,
    /// Work done in the last [`LOAD_DAYS`] days.
    done: u64,
    /// The monthly normative load; 0 when none is set.
    norm: u64,
    /// Share of the norm done, `87 %`; none without a norm.
    share: Option<String>,
    /// `met`, `below` or `none` (no norm set).
    standing: &'static str,
    /// Applications assigned to them and not yet decided.
    open_applications: u64,
}

/// The days over which the unit page counts each employee's work against the norm: the
/// norm is a month's.
const LOAD_DAYS: i64 = zemstvo_store::workload::DAYS_PER_MONTH;

/// What an employee's role is called on the page (the region's own codes stay as they are).
fn role_label(role: &str) -> String {
    let id = format!("staff-role-{role}");
    if super::text::Texts::russian().has(&id) {
        t(&id)
    } else {
        role.to_string()
    }
}

/// `/unit`: the manager's unit — the overdue tasks, each employee's work of the last 30 days
/// against their normative load (`store::workload`), then each employee's open tasks.
pub async fn unit(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let staff = unit_staff(&state, &viewer).await?;
    let ids: Vec<u64> = staff.iter().map(|s| s.id).collect();
    let names: HashMap<u64, String> = staff.iter().map(|s| (s.id, s.name.clone())).collect();
    let mut tasks = state
        .store()
        .tasks(&TaskFilter {
            assignees: Some(ids.clone()),
            limit: Some(LIST_LIMIT),
            ..TaskFilter::default()
        })
        .await?;
    tasks.retain(|t| is_open(t.status));
    tasks.sort_by_key(|t| (t.due.unwrap_or(i64::MAX), t.id));
    let now = unix_now();
    let rows: Vec<TaskRow> = tasks.iter().map(|t| row(t, &names, now)).collect();
    let overdue: Vec<&TaskRow> = rows.iter().filter(|r| r.overdue).collect();
    let period = zemstvo_store::analytics::Period {
        since: now - LOAD_DAYS * 86_400,
        until: now + 1,
    };
    let loads: HashMap<u64, zemstvo_store::workload::StaffLoad> = state
        .store()
        .staff_load(&ids, period)
        .await?
        .into_iter()
        .map(|l| (l.employee, l))
        .collect();
    let mut by_employee: Vec<EmployeeLoad> = staff
        .iter()
        .map(|s| {
            let load = loads.get(&s.id);
            let norm = load.map_or(0, |l| l.normative_load);
            let done = load.map_or(0, |l| l.done);
            let seconds = period.until - 1 - period.since;
            let standing = match norm {
                0 => "none",
                _ if zemstvo_store::workload::meets_norm(done, norm, seconds) => "met",
                _ => "below",
            };
            let required = zemstvo_store::workload::norm_for(norm, seconds);
            EmployeeLoad {
                id: s.id,
                name: s.name.clone(),
                open: 0,
                overdue: 0,
                tasks: Vec::new(),
                role: role_label(load.map_or("", |l| l.role.as_str())),
                counts: if load.is_some_and(|l| l.role == "social-worker") {
                    "visits"
                } else {
                    "applications"
                },
                done,
                norm,
                share: (norm > 0).then(|| super::text::percent(done as f64 * 100.0 / required)),
                standing,
                open_applications: load.map_or(0, |l| l.open_applications),
            }
        })
        .collect();
    for r in tasks.iter().map(|t| row(t, &names, now)) {
        if let Some(e) = by_employee.iter_mut().find(|e| e.id == r.assignee) {
            e.open += 1;
            e.overdue += usize::from(r.overdue);
            e.tasks.push(r);
        }
    }
    let with_norm = by_employee.iter().filter(|e| e.norm > 0).count();
    let meeting = by_employee.iter().filter(|e| e.standing == "met").count();
    Ok(viewer.page(
        StatusCode::OK,
        "unit.html",
        "/unit",
        context! {
            title => t("unit-title"),
            staff_count => staff.len(),
            load_days => LOAD_DAYS,
            with_norm => with_norm,
            meeting => meeting,
            overdue => Value::from_serialize(&overdue),
            employees => Value::from_serialize(&by_employee),
            flash => flash(query.as_deref()),
        },
    ))
}

async fn reassign_page(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    status: StatusCode,
    chosen: &str,
    errors: &[FieldError],
) -> Result<Response, PageError> {
    let staff = unit_staff(state, viewer).await?;
    let task = visible_task(state, &viewer.principal, id).await?;
    let names: HashMap<u64, String> = staff.iter().map(|s| (s.id, s.name.clone())).collect();
    let ids: Vec<u64> = staff.iter().map(|s| s.id).collect();
    let active = state.store().active_employees(&ids).await?;
    let candidates: Vec<&StaffMember> = staff
        .iter()
        .filter(|s| s.id != task.assignee && active.contains(&s.id))
        .collect();
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "reassign.html",
        "/unit",
        context! {
            title => t_with("unit-reassign-to", &[("id", Arg::Text(id.to_string()))]),
            task => Value::from_serialize(row(&task, &names, unix_now())),
            candidates => Value::from_serialize(&candidates),
            chosen => chosen,
            errors => errors,
            field_errors => field_errors,
        },
    ))
}

/// `/tasks/{id}/reassign`: whom to give the task to, one question on its own page.
pub async fn reassign_form(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    reassign_page(&state, &viewer, id, StatusCode::OK, "", &[]).await
}

/// Gives the task to the chosen employee of the unit.
pub async fn reassign(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let viewer = &form.viewer;
    let chosen = form.get("assignee");
    let message = match chosen.parse::<u64>() {
        Err(_) => t("error-assignee-empty"),
        Ok(assignee) => match reassign_task(&state, &viewer.principal, id, assignee, None).await {
            Ok(_) => return Ok(Redirect::to("/unit?done=reassigned").into_response()),
            Err(problem) if problem.status == 422 => t("error-assignee-outside"),
            Err(problem) => return Err(problem.into()),
        },
    };
    let errors = [FieldError::new("assignee", message)];
    reassign_page(
        &state,
        viewer,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        chosen,
        &errors,
    )
    .await
}
