//! `tasks`: tasks for staff, with the deviation, the records behind it and the steps to fix it.
//!
//! A run's tasks are held in the run's outputs and stored with the run's record only when the
//! run ends well. The idempotency key makes reruns harmless: the store keeps one task per
//! (plugin, key).

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;
use crate::capabilities::data::{DataError, Entity};
use crate::runtime::RunState;
use crate::runtime::state::within_budget;
use crate::runtime::wit::latest::zemstvo::platform::{tasks as wit, types as wit_types};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// A pointer from an output to the record behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub entity: Entity,
    pub id: u64,
}

/// A task a run asked for, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub key: String,
    pub assignee: u64,
    pub subject: Option<u64>,
    pub title: String,
    pub description: String,
    pub records: Vec<RecordRef>,
    pub steps: Vec<String>,
    pub priority: Priority,
    /// Seconds since the epoch.
    pub due: Option<i64>,
}

impl Task {
    /// Bytes the host holds for the task: the struct, what it owns, and its key once more in
    /// the run's set of keys.
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.len()
            + super::held_str(&self.key)
            + self.title.len()
            + self.description.len()
            + self.records.len() * std::mem::size_of::<RecordRef>()
            + self.steps.iter().map(|s| super::held_str(s)).sum::<usize>()
    }
}

pub(crate) const MAX_KEY: usize = 200;
const MAX_TITLE: usize = 300;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_STEPS: usize = 50;
const MAX_STEP: usize = 2_000;
const MAX_RECORDS: usize = 10_000;

impl From<wit_types::Entity> for Entity {
    fn from(e: wit_types::Entity) -> Self {
        match e {
            wit_types::Entity::Units => Entity::Units,
            wit_types::Entity::Employees => Entity::Employees,
            wit_types::Entity::Applications => Entity::Applications,
            wit_types::Entity::ApplicationEvents => Entity::ApplicationEvents,
            wit_types::Entity::SmevRequests => Entity::SmevRequests,
            wit_types::Entity::Visits => Entity::Visits,
            wit_types::Entity::Citizens => Entity::Citizens,
            wit_types::Entity::InspectedObjects => Entity::InspectedObjects,
            wit_types::Entity::ObjectSignals => Entity::ObjectSignals,
        }
    }
}

/// Checks the shape of a task; the ids are checked against the region afterwards.
fn validate(raw: wit::NewTask, now: i64) -> Result<Task, String> {
    check_key(&raw.key)?;
    check_text("title", &raw.title, MAX_TITLE, true)?;
    check_text("description", &raw.description, MAX_DESCRIPTION, false)?;
    if raw.steps.len() > MAX_STEPS {
        return Err(format!(
            "a task has at most {MAX_STEPS} steps, got {}",
            raw.steps.len()
        ));
    }
    for step in &raw.steps {
        check_text("step", step, MAX_STEP, true)?;
    }
    if raw.records.len() > MAX_RECORDS {
        return Err(format!(
            "a task links at most {MAX_RECORDS} records, got {}; split it",
            raw.records.len()
        ));
    }
    if let Some(due) = raw.due
        && due < now
    {
        return Err(format!(
            "due date {due} is before the run's time {now}; a task cannot be due in the past"
        ));
    }
    Ok(Task {
        key: raw.key,
        assignee: raw.assignee,
        subject: raw.subject,
        title: raw.title,
        description: raw.description,
        records: raw
            .records
            .into_iter()
            .map(|r| RecordRef {
                entity: r.entity.into(),
                id: r.id,
            })
            .collect(),
        steps: raw.steps,
        priority: match raw.priority {
            wit::Priority::Low => Priority::Low,
            wit::Priority::Normal => Priority::Normal,
            wit::Priority::High => Priority::High,
            wit::Priority::Urgent => Priority::Urgent,
        },
        due: raw.due,
    })
}

/// Idempotency keys: printable, no surrounding whitespace, bounded.
pub(crate) fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty()
        || key.len() > MAX_KEY
        || key.trim() != key
        || key.chars().any(char::is_control)
    {
        return Err(format!(
            "key `{key}` is invalid: give 1 to {MAX_KEY} printable characters without \
             surrounding spaces"
        ));
    }
    Ok(())
}

pub(crate) fn check_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), String> {
    if required && value.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if value.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    Ok(())
}

impl wit::Host for RunState {
    async fn create(&mut self, task: wit::NewTask) -> wasmtime::Result<Result<(), wit::TaskError>> {
        self.ensure_running("tasks")?;
        if let Err(denied) = self.require(Capability::TasksCreate) {
            return Ok(Err(wit::TaskError::Denied(denied)));
        }
        let task = match validate(task, self.now) {
            Ok(task) => task,
            Err(why) => return Ok(Err(wit::TaskError::Invalid(why))),
        };
        if self.task_keys.contains(&task.key) {
            return Ok(Err(wit::TaskError::Invalid(format!(
                "key `{}` was already used by another task of this run; keys identify tasks",
                task.key
            ))));
        }
        for id in std::iter::once(task.assignee).chain(task.subject) {
            match within_budget(
                self.deadline(),
                self.limits.cpu_budget,
                self.region.first_missing(Entity::Employees, &[id]),
            )
            .await?
            {
                Ok(None) => {}
                Ok(Some(missing)) => return Ok(Err(wit::TaskError::UnknownEmployee(missing))),
                Err(DataError::Unavailable(why)) => {
                    return Err(wasmtime::Error::msg(format!(
                        "could not check the task's employees: the region's data is unavailable: {why}"
                    )));
                }
            }
        }
        self.count_output(
            "tasks",
            self.outputs.tasks.len() + 1,
            self.limits.max_tasks,
            task.weight(),
        )?;
        self.task_keys.insert(task.key.clone());
        self.outputs.tasks.push(task);
        Ok(Ok(()))
    }
}
