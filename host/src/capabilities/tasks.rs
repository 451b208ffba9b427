//! The host side of `tasks`: the grant, the shape (`zemstvo_core::capabilities::tasks`), the
//! employees against the region, the run's keys and caps.

use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::data::{DataError, Entity};
use zemstvo_core::capabilities::tasks::{Task, validate};

use crate::state::RunState;
use crate::state::within_budget;

/// Why a task was refused; each WIT version names these in its `task-error`.
#[derive(Debug)]
pub(crate) enum TaskRefusal {
    Denied(String),
    Invalid(String),
    UnknownEmployee(u64),
}

impl RunState {
    pub(crate) async fn create_task(
        &mut self,
        task: Task,
    ) -> wasmtime::Result<Result<(), TaskRefusal>> {
        self.ensure_running("tasks")?;
        if let Err(denied) = self.require(Capability::TasksCreate) {
            return Ok(Err(TaskRefusal::Denied(denied)));
        }
        if let Err(why) = validate(&task, self.now) {
            return Ok(Err(TaskRefusal::Invalid(why)));
        }
        if self.task_keys.contains(&task.key) {
            return Ok(Err(TaskRefusal::Invalid(format!(
                "key `{}` was already used by another task of this run; keys identify tasks",
                task.key
            ))));
        }
        for id in std::iter::once(task.assignee).chain(task.subject) {
            match within_budget(
                self.deadline(),
                self.limits.time_budget,
                self.region.first_missing(Entity::Employees, &[id]),
            )
            .await?
            {
                Ok(None) => {}
                Ok(Some(missing)) => return Ok(Err(TaskRefusal::UnknownEmployee(missing))),
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
