//! Tasks for staff: the deviation found, the records behind it, the steps to fix it.
//!
//! ```ignore
//! Task::new(format!("late-smev/{manager}/{day}"), manager, "3 SMEV answers waited too long")
//!     .subject(employee)
//!     .description("…")
//!     .record(Entity::SmevRequests, 42)
//!     .step("Call the agency's SMEV desk")
//!     .priority(Priority::High)
//!     .due(ctx.now + 2 * DAY)
//!     .create()?;
//! ```
//!
//! A task is kept only if the run ends well. Its key identifies it: a rerun that produces the
//! same key does not create a second task, so build keys from the deviation's identity (the
//! manager, the day, the case), never from a counter.

use crate::bindings::deviation_check::zemstvo::platform::tasks as wit;
use crate::time::Timestamp;
use crate::{Entity, RecordRef};

pub use wit::{Priority, TaskError};

/// A task being composed. Nothing reaches the host until [`Task::create`].
#[derive(Debug, Clone)]
pub struct Task(wit::NewTask);

impl Task {
    /// `key`: the deviation's stable identity; `assignee`: the employee who must act.
    pub fn new(key: impl Into<String>, assignee: u64, title: impl Into<String>) -> Self {
        Task(wit::NewTask {
            key: key.into(),
            assignee,
            subject: None,
            title: title.into(),
            description: String::new(),
            records: Vec::new(),
            steps: Vec::new(),
            priority: Priority::Normal,
            due: None,
        })
    }

    /// The employee whose work the deviation concerns.
    pub fn subject(mut self, employee: u64) -> Self {
        self.0.subject = Some(employee);
        self
    }

    /// The task's text. The host refuses a description over [`MAX_DESCRIPTION`] characters;
    /// texts built from the region's data can grow past it, so pass them through
    /// [`fit_description`] (the records linked to the task still hold everything).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.0.description = description.into();
        self
    }

    /// A record behind the deviation (the cabinet links to it).
    pub fn record(mut self, entity: Entity, id: u64) -> Self {
        self.0.records.push(RecordRef { entity, id });
        self
    }

    /// Several records of one entity.
    pub fn records(mut self, entity: Entity, ids: impl IntoIterator<Item = u64>) -> Self {
        self.0
            .records
            .extend(ids.into_iter().map(|id| RecordRef { entity, id }));
        self
    }

    /// A corrective step; steps are shown in the order added.
    pub fn step(mut self, step: impl Into<String>) -> Self {
        self.0.steps.push(step.into());
        self
    }

    /// How urgent the task is in the assignee's list; `Normal` unless set. Raise it with how
    /// far past the norm the worst finding is, so a manager sees the worst first.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.0.priority = priority;
        self
    }

    /// When the task should be done; must not be before the run's time.
    pub fn due(mut self, due: Timestamp) -> Self {
        self.0.due = Some(due);
        self
    }

    /// Hands the task to the host. Fails if `tasks.create` is not granted, the task is
    /// malformed, or an employee id is unknown.
    pub fn create(self) -> Result<(), TaskError> {
        wit::create(&self.0)
    }
}

/// The longest description the host accepts, in characters.
pub const MAX_DESCRIPTION: usize = 20_000;

/// `text` cut to fit a task description, with a note saying where the rest is.
pub fn fit_description(mut text: String) -> String {
    const NOTE: &str = "\n… текст сокращён: полный список — в записях задачи.\n";
    let room = MAX_DESCRIPTION - NOTE.chars().count();
    if text.chars().count() > MAX_DESCRIPTION
        && let Some((cut, _)) = text.char_indices().nth(room)
    {
        text.truncate(cut);
        text.push_str(NOTE);
    }
    text
}

#[cfg(test)]
mod fit_tests {
    use super::*;

    #[test]
    fn a_description_is_cut_only_when_the_host_would_refuse_it() {
        let exact = "ж".repeat(MAX_DESCRIPTION);
        assert_eq!(fit_description(exact.clone()), exact);
        let long = fit_description("ж".repeat(MAX_DESCRIPTION + 1));
        assert_eq!(long.chars().count(), MAX_DESCRIPTION);
        assert!(long.ends_with("в записях задачи.\n"));
    }
}
