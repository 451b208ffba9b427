//! `zemstvo tasks`: the personal cabinet from the command line — list tasks, move them along.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_store::tasks::{TaskFilter, TaskStatus};

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: TasksCommand,
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Tasks, newest first.
    List {
        /// Tasks of this employee.
        #[arg(long)]
        assignee: Option<u64>,
        /// Tasks of this manager's staff.
        #[arg(long)]
        overseer: Option<u64>,
        /// new, in_progress, done or rejected.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        plugin: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One task with its history.
    Show { id: i64 },
    /// Moves a task: in_progress, done, or rejected (with --reason).
    Set {
        id: i64,
        status: String,
        #[arg(long)]
        reason: Option<String>,
        /// Who does it, for the history and the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

pub async fn tasks(args: TasksArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    let input = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    match args.command {
        TasksCommand::List {
            assignee,
            overseer,
            status,
            plugin,
            limit,
            json,
        } => {
            let filter = TaskFilter {
                plugin,
                assignee,
                overseer,
                status: status
                    .as_deref()
                    .map(TaskStatus::parse)
                    .transpose()
                    .map_err(input)?,
                limit: Some(limit),
                ..TaskFilter::default()
            };
            let tasks = store.tasks(&filter).await.map_err(input)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&tasks).expect("tasks serialise")
                );
            } else {
                let ids: Vec<u64> = tasks.iter().map(|t| t.assignee).collect();
                let names = store.employee_names(&ids).await.map_err(input)?;
                for t in &tasks {
                    println!(
                        "#{:<6} {:<11} {:<7} {:<32} {}",
                        t.id,
                        t.status.name(),
                        t.priority,
                        employee(&names, Some(t.assignee)),
                        t.title
                    );
                }
                println!("{} task(s)", tasks.len());
            }
        }
        TasksCommand::Show { id } => {
            let t = store.task(id).await.map_err(input)?;
            println!(
                "#{} {} [{}; {}]",
                t.id,
                t.title,
                t.status.name(),
                t.priority
            );
            let ids: Vec<u64> = [Some(t.assignee), t.overseer, t.subject]
                .into_iter()
                .flatten()
                .collect();
            let names = store.employee_names(&ids).await.map_err(input)?;
            println!("assignee {}", employee(&names, Some(t.assignee)));
            println!("overseer {}", employee(&names, t.overseer));
            if t.subject.is_some() {
                println!("about    {}", employee(&names, t.subject));
            }
            println!("from plugin {} (run {})", t.plugin, t.run_id);
            if let Some(due) = t.due {
                println!("due {}", print::timestamp(due));
            }
            println!("{}", t.description);
            for (i, s) in t.steps.iter().enumerate() {
                println!("  {}. {s}", i + 1);
            }
            for c in store.task_history(id).await.map_err(input)? {
                println!(
                    "  {} {} by {}{}",
                    print::timestamp(c.at),
                    c.status,
                    c.actor,
                    c.reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
        }
        TasksCommand::Set {
            id,
            status,
            reason,
            actor,
        } => {
            let to = TaskStatus::parse(&status).map_err(input)?;
            let t = store
                .update_task(id, to, reason.as_deref(), &actor)
                .await
                .map_err(input)?;
            println!("task #{} is now {}", t.id, t.status.name());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `Иванова А. П. (#281)`: an employee as people know them, with the id the commands take;
/// `nobody` where there is none.
fn employee(names: &std::collections::HashMap<u64, String>, id: Option<u64>) -> String {
    match id {
        None => "nobody".to_string(),
        Some(id) => match names.get(&id) {
            Some(name) => format!("{name} (#{id})"),
            None => format!("employee #{id} (not in the staff records)"),
        },
    }
}
