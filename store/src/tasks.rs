//! Tasks in the personal cabinet: their lifecycle (new → in progress → done, or rejected with
//! a reason) with its history, and the lists an employee and a manager see.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use zemstvo_core::capabilities::tasks::{Priority, RecordRef};

use crate::{Store, StoreError, audit, now};

pub(crate) fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

/// Where a task is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    New,
    InProgress,
    Done,
    Rejected,
}

impl TaskStatus {
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::New => "new",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "new" => TaskStatus::New,
            "in_progress" | "in-progress" => TaskStatus::InProgress,
            "done" => TaskStatus::Done,
            "rejected" => TaskStatus::Rejected,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown task status `{other}`; use new, in_progress, done or rejected"
                )));
            }
        })
    }

    /// Whether a task may move from `self` to `to`. Done and rejected are final.
    pub fn may_become(self, to: TaskStatus) -> bool {
        matches!(
            (self, to),
            (
                TaskStatus::New,
                TaskStatus::InProgress | TaskStatus::Done | TaskStatus::Rejected
            ) | (
                TaskStatus::InProgress,
                TaskStatus::Done | TaskStatus::Rejected
            )
        )
    }
}

/// A task as the cabinet shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredTask {
    pub id: i64,
    pub plugin: String,
    pub key: String,
    pub assignee: u64,
    /// The assignee's manager, who oversees the task.
    pub overseer: Option<u64>,
    pub subject: Option<u64>,
    pub title: String,
    pub description: String,
    pub records: Vec<RecordRef>,
    pub steps: Vec<String>,
    pub priority: String,
    pub due: Option<i64>,
    pub status: TaskStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub run_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One change of a task's status, or its reassignment (then `assignee` names the new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskChange {
    pub status: String,
    pub reason: Option<String>,
    pub assignee: Option<u64>,
    pub actor: String,
    pub at: i64,
}

/// What someone wrote on a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskComment {
    pub id: i64,
    pub actor: String,
    pub body: String,
    pub at: i64,
}

/// The longest comment or reason kept, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub plugin: Option<String>,
    pub assignee: Option<u64>,
    /// Tasks of the manager's staff (the manager oversees them).
    pub overseer: Option<u64>,
    pub status: Option<TaskStatus>,
    /// Tasks of any of these assignees (a manager's unit); an empty list matches none.
    pub assignees: Option<Vec<u64>>,
    /// Tasks older than this id, for paging (ids only grow).
    pub before_id: Option<i64>,
    /// Tasks due before this time (seconds since the epoch).
    pub due_before: Option<i64>,
    pub limit: Option<u32>,
}

const TASK_COLUMNS: &str = "id, plugin, key, assignee, overseer, subject, title, description, records, steps, \
                            priority, due, status, reason, run_id, created_at, updated_at";

fn task(r: AnyRow) -> Result<StoredTask, StoreError> {
    let optional_id = |i: usize| -> Result<Option<u64>, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(i)?.map(|v| v as u64))
    };
    Ok(StoredTask {
        id: r.try_get(0)?,
        plugin: r.try_get(1)?,
        key: r.try_get(2)?,
        assignee: r.try_get::<i64, _>(3)? as u64,
        overseer: optional_id(4)?,
        subject: optional_id(5)?,
        title: r.try_get(6)?,
        description: r.try_get(7)?,
        records: serde_json::from_str(r.try_get(8)?)?,
        steps: serde_json::from_str(r.try_get(9)?)?,
        priority: r.try_get(10)?,
        due: r.try_get(11)?,
        status: TaskStatus::parse(r.try_get(12)?)?,
        reason: r.try_get(13)?,
        run_id: r.try_get(14)?,
        created_at: r.try_get(15)?,
        updated_at: r.try_get(16)?,
    })
}

impl Store {
    /// Tasks matching the filter, newest first.
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<StoredTask>, StoreError> {
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.plugin.is_some() {
            conditions.push(format!("plugin = {}", next()));
        }
        if filter.assignee.is_some() {
            conditions.push(format!("assignee = {}", next()));
        }
        if filter.overseer.is_some() {
            conditions.push(format!("overseer = {}", next()));
        }
        if filter.status.is_some() {
            conditions.push(format!("status = {}", next()));
        }
        if filter.before_id.is_some() {
            conditions.push(format!("id < {}", next()));
        }
        if filter.due_before.is_some() {
            conditions.push(format!("due < {}", next()));
        }
        if let Some(assignees) = &filter.assignees {
            // Ids are numbers: inlined, so that a unit of any size is one statement.
            let list: Vec<String> = assignees.iter().map(|a| a.to_string()).collect();
            conditions.push(if list.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("assignee IN ({})", list.join(", "))
            });
        }
        let limit = next();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM tasks{} ORDER BY id DESC LIMIT {limit}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            }
        );
        let mut q = sqlx::query(&sql);
        if let Some(p) = &filter.plugin {
            q = q.bind(p.clone());
        }
        if let Some(a) = filter.assignee {
            q = q.bind(a as i64);
        }
        if let Some(o) = filter.overseer {
            q = q.bind(o as i64);
        }
        if let Some(s) = filter.status {
            q = q.bind(s.name());
        }
        if let Some(b) = filter.before_id {
            q = q.bind(b);
        }
        if let Some(d) = filter.due_before {
            q = q.bind(d);
        }
        q = q.bind(filter.limit.unwrap_or(1_000) as i64);
        q.fetch_all(self.pool())
            .await?
            .into_iter()
            .map(task)
            .collect()
    }

    pub async fn task(&self, id: i64) -> Result<StoredTask, StoreError> {
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        task(row.ok_or_else(|| StoreError::NotFound(format!("there is no task {id}")))?)
    }

    pub async fn task_history(&self, id: i64) -> Result<Vec<TaskChange>, StoreError> {
        let rows: Vec<(String, Option<String>, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT status, reason, assignee, actor, at FROM task_history WHERE task_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(status, reason, assignee, actor, at)| TaskChange {
                status,
                reason,
                assignee: assignee.map(|a| a as u64),
                actor,
                at,
            })
            .collect())
    }

    /// Moves a task along its lifecycle. Rejecting needs a reason; a final status is final.
    pub async fn update_task(
        &self,
        id: i64,
        to: TaskStatus,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<StoredTask, StoreError> {
        let current = self.task(id).await?;
        if !current.status.may_become(to) {
            return Err(StoreError::Invalid(format!(
                "task {id} is {} and cannot become {}",
                current.status.name(),
                to.name()
            )));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if to == TaskStatus::Rejected && reason.is_none() {
            return Err(StoreError::Invalid(format!(
                "rejecting task {id} needs a reason: say why the deviation is not one"
            )));
        }
        let at = now();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE tasks SET status = $1, reason = $2, updated_at = $3 WHERE id = $4 AND status = $5")
            .bind(to.name())
            .bind(reason.map(str::to_string))
            .bind(at)
            .bind(id)
            .bind(current.status.name())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "task {id} changed meanwhile; reload it and try again"
            )));
        }
        sqlx::query("INSERT INTO task_history (task_id, status, reason, actor, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(to.name())
            .bind(reason.map(str::to_string))
            .bind(actor.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            actor,
            "task",
            &format!("task:{id}"),
            serde_json::json!({ "status": to.name(), "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        self.task(id).await
    }
}

impl Store {
    /// Adds a comment to a task (at most [`MAX_NOTE_CHARS`] characters, not blank).
    pub async fn add_task_comment(
        &self,
        id: i64,
        body: &str,
        actor: &str,
    ) -> Result<TaskComment, StoreError> {
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::Invalid("the comment is empty".into()));
        }
        if body.chars().count() > MAX_NOTE_CHARS {
            return Err(StoreError::Invalid(format!(
                "a comment has at most {MAX_NOTE_CHARS} characters"
            )));
        }
        self.task(id).await?;
        let at = now();
        let mut tx = self.begin_write().await?;
        let (comment_id,): (i64,) = sqlx::query_as(
            "INSERT INTO task_comments (task_id, actor, body, at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(actor.to_string())
        .bind(body.to_string())
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "task-comment",
            &format!("task:{id}"),
            serde_json::json!({ "comment": comment_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(TaskComment {
            id: comment_id,
            actor: actor.to_string(),
            body: body.to_string(),
            at,
        })
    }

    /// A task's comments, oldest first.
    pub async fn task_comments(&self, id: i64) -> Result<Vec<TaskComment>, StoreError> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, actor, body, at FROM task_comments WHERE task_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, actor, body, at)| TaskComment {
                id,
                actor,
                body,
                at,
            })
            .collect())
    }

    /// Gives an open task to another active employee; their manager oversees it from now on.
    /// A done or rejected task stays with whoever finished it.
    pub async fn reassign_task(
        &self,
        id: i64,
        to: u64,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<StoredTask, StoreError> {
        let current = self.task(id).await?;
        if matches!(current.status, TaskStatus::Done | TaskStatus::Rejected) {
            return Err(StoreError::Invalid(format!(
                "task {id} is {} and stays with whoever finished it",
                current.status.name()
            )));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_NOTE_CHARS) {
            return Err(StoreError::Invalid(format!(
                "a reason has at most {MAX_NOTE_CHARS} characters"
            )));
        }
        let employee: Option<(Option<i64>, i64)> =
            sqlx::query_as("SELECT manager_id, active FROM employees WHERE id = $1")
                .bind(to as i64)
                .fetch_optional(self.pool())
                .await?;
        let overseer = match employee {
            None => {
                return Err(StoreError::NotFound(format!("there is no employee {to}")));
            }
            Some((_, 0)) => {
                return Err(StoreError::Invalid(format!(
                    "employee {to} no longer works here; give the task to an active employee"
                )));
            }
            Some((manager, _)) => manager,
        };
        let at = now();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE tasks SET assignee = $1, overseer = $2, updated_at = $3 \
             WHERE id = $4 AND assignee = $5 AND status = $6",
        )
        .bind(to as i64)
        .bind(overseer)
        .bind(at)
        .bind(id)
        .bind(current.assignee as i64)
        .bind(current.status.name())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "task {id} changed meanwhile; reload it and try again"
            )));
        }
        sqlx::query(
            "INSERT INTO task_history (task_id, status, reason, assignee, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(current.status.name())
        .bind(reason.map(str::to_string))
        .bind(to as i64)
        .bind(actor.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "task-reassign",
            &format!("task:{id}"),
            serde_json::json!({ "before": current.assignee, "after": to, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        self.task(id).await
    }

    /// The full names of these employees, by id (ids with no employee are absent): what the
    /// cabinet and `zemstvo tasks` show instead of bare ids.
    pub async fn employee_names(
        &self,
        ids: &[u64],
    ) -> Result<std::collections::HashMap<u64, String>, StoreError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut names = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, full_name FROM employees WHERE id IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                query = query.bind(*id as i64);
            }
            for (id, name) in query.fetch_all(self.pool()).await? {
                names.insert(id as u64, name);
            }
        }
        Ok(names)
    }

    /// Which of these employees still work here: only they can be given a task.
    pub async fn active_employees(
        &self,
        ids: &[u64],
    ) -> Result<std::collections::HashSet<u64>, StoreError> {
        let mut active = std::collections::HashSet::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id FROM employees WHERE active <> 0 AND id IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query_as::<_, (i64,)>(&sql);
            for id in chunk {
                query = query.bind(*id as i64);
            }
            for (id,) in query.fetch_all(self.pool()).await? {
                active.insert(id as u64);
            }
        }
        Ok(active)
    }
}

#[cfg(test)]
mod tests {
    use super::TaskStatus::*;

    #[test]
    fn done_and_rejected_are_final() {
        assert!(New.may_become(InProgress));
        assert!(InProgress.may_become(Done));
        assert!(InProgress.may_become(Rejected));
        assert!(!Done.may_become(InProgress));
        assert!(!Rejected.may_become(Done));
        assert!(!InProgress.may_become(New));
    }
}
