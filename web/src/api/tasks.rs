//! Tasks: an employee sees and works on their own, a manager on their unit's (sub-units
//! included), an administrator on all; an auditor reads all. A task outside the caller's
//! scope answers 404, as if it did not exist.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::accounts::Role;
use zemstvo_store::tasks::{MAX_NOTE_CHARS, StoredTask, TaskComment, TaskFilter, TaskStatus};

use super::{JsonBody, PathParam, QueryParams, page_size};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// A record behind a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub entity: String,
    pub id: u64,
}

/// A task with the deviation, the records behind it and the steps to fix it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub plugin: String,
    pub assignee: u64,
    pub assignee_name: Option<String>,
    /// The assignee's manager.
    pub overseer: Option<u64>,
    /// The employee the deviation is about, when it is someone else.
    pub subject: Option<u64>,
    pub title: String,
    pub description: String,
    pub records: Vec<RecordView>,
    pub steps: Vec<String>,
    pub priority: String,
    pub due: Option<i64>,
    /// new, in_progress, done or rejected.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub run_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One change of a task's status, or its reassignment (then `assignee` names the new one).
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskChangeView {
    pub status: String,
    pub reason: Option<String>,
    pub assignee: Option<u64>,
    pub actor: String,
    pub at: i64,
}

/// What someone wrote on a task.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub actor: String,
    pub body: String,
    pub at: i64,
}

impl From<TaskComment> for CommentView {
    fn from(c: TaskComment) -> Self {
        CommentView {
            id: c.id,
            actor: c.actor,
            body: c.body,
            at: c.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    pub task: TaskView,
    pub history: Vec<TaskChangeView>,
    pub comments: Vec<CommentView>,
}

/// A task as a list shows it: what to do, for whom and by when. Its description, records and
/// steps are in `GET /api/v1/tasks/{id}`: a briefing's records run to hundreds, and a unit's list
/// is read often.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSummaryView {
    pub id: i64,
    pub plugin: String,
    pub assignee: u64,
    pub assignee_name: Option<String>,
    pub overseer: Option<u64>,
    pub subject: Option<u64>,
    pub title: String,
    pub priority: String,
    pub due: Option<i64>,
    /// new, in_progress, done or rejected.
    pub status: String,
    /// How many records are behind it.
    pub record_count: usize,
    pub created_at: i64,
    pub updated_at: i64,
}

fn summary_view(t: StoredTask, name: Option<String>) -> TaskSummaryView {
    TaskSummaryView {
        id: t.id,
        plugin: t.plugin,
        assignee: t.assignee,
        assignee_name: name,
        overseer: t.overseer,
        subject: t.subject,
        title: t.title,
        priority: t.priority,
        due: t.due,
        status: t.status.name().to_string(),
        record_count: t.records.len(),
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

fn task_view(t: StoredTask, name: Option<String>) -> TaskView {
    TaskView {
        id: t.id,
        plugin: t.plugin,
        assignee: t.assignee,
        assignee_name: name,
        overseer: t.overseer,
        subject: t.subject,
        title: t.title,
        description: t.description,
        records: t
            .records
            .into_iter()
            .map(|r| RecordView {
                entity: r.entity.to_string(),
                id: r.id,
            })
            .collect(),
        steps: t.steps,
        priority: t.priority,
        due: t.due,
        status: t.status.name().to_string(),
        reason: t.reason,
        run_id: t.run_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// mine, unit (managers) or all (administrators, auditors); by default the widest the
    /// role has.
    pub scope: Option<String>,
    /// new, in_progress, done or rejected.
    pub status: Option<String>,
    pub plugin: Option<String>,
    /// One employee's tasks (within the caller's scope).
    pub assignee: Option<u64>,
    /// Tasks due before this time (seconds since the epoch): the overdue ones with now.
    pub due_before: Option<i64>,
    /// Tasks with ids below this: pass the last id of a page for the next.
    pub before: Option<i64>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

pub(crate) fn employee(principal: &Principal) -> Result<u64, Problem> {
    principal.user.employee_id.ok_or_else(|| {
        Problem::unprocessable(
            "your account is not tied to an employee, so it has no tasks of its own; ask the \
             administrator to tie it (`zemstvo users add … --employee ID`)",
        )
    })
}

/// Whose tasks the caller may see: `None` for everyone's. The pages ask the same.
pub(crate) async fn visible_assignees(
    state: &WebState,
    principal: &Principal,
    scope: Option<&str>,
) -> Result<Option<Vec<u64>>, Problem> {
    let role = principal.user.role;
    let scope = scope.unwrap_or(match role {
        Role::Employee => "mine",
        Role::Manager => "unit",
        Role::Administrator | Role::Auditor => "all",
    });
    match (scope, role) {
        ("mine", _) => Ok(Some(vec![employee(principal)?])),
        ("unit", Role::Manager | Role::Administrator | Role::Auditor) => {
            Ok(Some(state.store().unit_staff(employee(principal)?).await?))
        }
        ("all", Role::Administrator | Role::Auditor) => Ok(None),
        ("unit" | "all", _) => Err(Problem::forbidden(format!(
            "your role ({}) may not see the tasks of scope `{scope}`",
            role.name()
        ))
        .field("scope")),
        (other, _) => Err(Problem::bad_request(format!(
            "scope is `{other}`; give mine, unit or all"
        ))
        .field("scope")),
    }
}

/// Tasks in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = [TaskSummaryView]), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<TaskQuery>,
) -> Result<Json<Vec<TaskSummaryView>>, Problem> {
    principal.require(Action::ReadTasks)?;
    let mut assignees = visible_assignees(&state, &principal, q.scope.as_deref()).await?;
    if let Some(one) = q.assignee {
        // Narrowed within what the caller may see: someone outside it gives an empty page.
        assignees = Some(match assignees {
            None => vec![one],
            Some(visible) => visible.into_iter().filter(|a| *a == one).collect(),
        });
    }
    let status = q
        .status
        .as_deref()
        .map(TaskStatus::parse)
        .transpose()
        .map_err(|e| Problem::bad_request(e.to_string()).field("status"))?;
    let filter = TaskFilter {
        plugin: q.plugin,
        status,
        assignees,
        before_id: q.before,
        due_before: q.due_before,
        limit: Some(page_size(q.limit)?),
        ..TaskFilter::default()
    };
    let tasks = state.store().tasks(&filter).await?;
    let mut ids: Vec<u64> = tasks.iter().map(|t| t.assignee).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = state.store().employee_names(&ids).await?;
    Ok(Json(
        tasks
            .into_iter()
            .map(|t| {
                let name = names.get(&t.assignee).cloned();
                summary_view(t, name)
            })
            .collect(),
    ))
}

/// The task if the caller may see it; 404 otherwise, whether or not it exists.
pub(crate) async fn visible_task(
    state: &WebState,
    principal: &Principal,
    id: i64,
) -> Result<StoredTask, Problem> {
    let missing = || Problem::not_found(format!("there is no task {id} you can see"));
    let task = match state.store().task(id).await {
        Ok(task) => task,
        Err(zemstvo_store::StoreError::NotFound(_)) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let visible = match principal.user.role {
        Role::Administrator | Role::Auditor => true,
        Role::Employee => principal.user.employee_id == Some(task.assignee),
        Role::Manager => match principal.user.employee_id {
            Some(me) => state.store().unit_staff(me).await?.contains(&task.assignee),
            None => false,
        },
    };
    if visible { Ok(task) } else { Err(missing()) }
}

/// One task with its history.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks",
    params(("id" = i64, Path, description = "The task's id")),
    responses((status = 200, body = TaskDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<i64>,
) -> Result<Json<TaskDetail>, Problem> {
    principal.require(Action::ReadTasks)?;
    let task = visible_task(&state, &principal, id).await?;
    let history = state
        .store()
        .task_history(id)
        .await?
        .into_iter()
        .map(|c| TaskChangeView {
            status: c.status,
            reason: c.reason,
            assignee: c.assignee,
            actor: c.actor,
            at: c.at,
        })
        .collect();
    let comments = state
        .store()
        .task_comments(id)
        .await?
        .into_iter()
        .map(CommentView::from)
        .collect();
    let name = state
        .store()
        .employee_names(&[task.assignee])
        .await?
        .remove(&task.assignee);
    Ok(Json(TaskDetail {
        task: task_view(task, name),
        history,
        comments,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// in_progress (take into work), done, or rejected (with a reason).
    pub status: String,
    /// Why the task is rejected: required for rejected.
    pub reason: Option<String>,
}

/// Takes a task into work, marks it done, or rejects it with a reason.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/status", tag = "tasks", request_body = StatusChange,
    params(("id" = i64, Path, description = "The task's id")),
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_status(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<i64>,
    JsonBody(change): JsonBody<StatusChange>,
) -> Result<Json<TaskView>, Problem> {
    let task = set_status(
        &state,
        &principal,
        id,
        &change.status,
        change.reason.as_deref(),
    )
    .await?;
    answer_task(&state, task).await
}

/// Moves a task the caller may work on to `status` (with a reason when rejected): what the
/// API's status change and the task page's buttons do. A refusal names the field at fault.
pub(crate) async fn set_status(
    state: &WebState,
    principal: &Principal,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<StoredTask, Problem> {
    principal.require(Action::WorkOnTasks)?;
    visible_task(state, principal, id).await?;
    let to = TaskStatus::parse(status)
        .map_err(|e| Problem::unprocessable(e.to_string()).field("status"))?;
    if let Some(reason) = reason
        && reason.chars().count() > MAX_NOTE_CHARS
    {
        return Err(Problem::unprocessable(format!(
            "a reason has at most {MAX_NOTE_CHARS} characters"
        ))
        .field("reason"));
    }
    state
        .store()
        .update_task(id, to, reason, &principal.actor())
        .await
        .map_err(|e| match e {
            zemstvo_store::StoreError::Invalid(m) => Problem::unprocessable(m).field("status"),
            other => other.into(),
        })
}

async fn answer_task(state: &WebState, task: StoredTask) -> Result<Json<TaskView>, Problem> {
    let name = state
        .store()
        .employee_names(&[task.assignee])
        .await?
        .remove(&task.assignee);
    Ok(Json(task_view(task, name)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// What to say (at most 2000 characters).
    pub body: String,
}

/// Comments on a task the caller may see and work on.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/comments", tag = "tasks", request_body = NewComment,
    params(("id" = i64, Path, description = "The task's id")),
    responses((status = 201, body = CommentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn comment(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<i64>,
    JsonBody(new): JsonBody<NewComment>,
) -> Result<(axum::http::StatusCode, Json<CommentView>), Problem> {
    let comment = add_comment(&state, &principal, id, &new.body).await?;
    Ok((axum::http::StatusCode::CREATED, Json(comment.into())))
}

/// Comments on a task the caller may see and work on (the API and the task page).
pub(crate) async fn add_comment(
    state: &WebState,
    principal: &Principal,
    id: i64,
    body: &str,
) -> Result<TaskComment, Problem> {
    principal.require(Action::WorkOnTasks)?;
    visible_task(state, principal, id).await?;
    state
        .store()
        .add_task_comment(id, body, &principal.actor())
        .await
        .map_err(|e| match e {
            zemstvo_store::StoreError::Invalid(m) => Problem::unprocessable(m).field("body"),
            other => other.into(),
        })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassignment {
    /// The employee who takes the task over (in the manager's unit).
    pub assignee: u64,
    /// Why, for the task's history.
    pub reason: Option<String>,
}

/// Gives a task to another employee: a manager within their unit, an administrator anyone.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/assignee", tag = "tasks", request_body = Reassignment,
    params(("id" = i64, Path, description = "The task's id")),
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reassign(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<i64>,
    JsonBody(change): JsonBody<Reassignment>,
) -> Result<Json<TaskView>, Problem> {
    let task = reassign_task(
        &state,
        &principal,
        id,
        change.assignee,
        change.reason.as_deref(),
    )
    .await?;
    answer_task(&state, task).await
}

/// Gives a task to `assignee`: a manager within their unit, an administrator anyone (the
/// API and the unit page).
pub(crate) async fn reassign_task(
    state: &WebState,
    principal: &Principal,
    id: i64,
    assignee: u64,
    reason: Option<&str>,
) -> Result<StoredTask, Problem> {
    principal.require(Action::ReassignTasks)?;
    visible_task(state, principal, id).await?;
    if principal.user.role == Role::Manager {
        let unit = state.store().unit_staff(employee(principal)?).await?;
        if !unit.contains(&assignee) {
            return Err(Problem::unprocessable(format!(
                "employee {assignee} is not in your unit; give the task to someone you manage"
            ))
            .field("assignee"));
        }
    }
    state
        .store()
        .reassign_task(id, assignee, reason, &principal.actor())
        .await
        .map_err(|e| match e {
            zemstvo_store::StoreError::Invalid(m) => Problem::unprocessable(m).field("assignee"),
            zemstvo_store::StoreError::NotFound(m) => Problem::unprocessable(m).field("assignee"),
            other => other.into(),
        })
}
