//! `tasks`: tasks for staff, with the deviation, the records behind it and the steps to fix it.
//!
//! A run's tasks are held in the run's outputs and stored with the run's record only when the
//! run ends well. The idempotency key makes reruns harmless: the store keeps one task per
//! (plugin, key).

use serde::{Deserialize, Serialize};

use crate::capabilities::data::Entity;
use crate::checks::{check_key, check_text};

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
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.key.len()
            + crate::capabilities::held_str(&self.key)
            + self.title.len()
            + self.description.len()
            + self.records.len() * std::mem::size_of::<RecordRef>()
            + self
                .steps
                .iter()
                .map(|s| crate::capabilities::held_str(s))
                .sum::<usize>()
    }
}

const MAX_TITLE: usize = 300;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_STEPS: usize = 50;
const MAX_STEP: usize = 2_000;
const MAX_RECORDS: usize = 10_000;

/// Checks the shape of a task a plugin asked for; the ids are checked against the region by
/// the host afterwards.
pub fn validate(task: &Task, now: i64) -> Result<(), String> {
    check_key(&task.key)?;
    check_text("title", &task.title, MAX_TITLE, true)?;
    check_text("description", &task.description, MAX_DESCRIPTION, false)?;
    if task.steps.len() > MAX_STEPS {
        return Err(format!(
            "a task has at most {MAX_STEPS} steps, got {}",
            task.steps.len()
        ));
    }
    for step in &task.steps {
        check_text("step", step, MAX_STEP, true)?;
    }
    if task.records.len() > MAX_RECORDS {
        return Err(format!(
            "a task links at most {MAX_RECORDS} records, got {}; split it",
            task.records.len()
        ));
    }
    if let Some(due) = task.due
        && due < now
    {
        return Err(format!(
            "due date {due} is before the run's time {now}; a task cannot be due in the past"
        ));
    }
    Ok(())
}
