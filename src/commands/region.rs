//! `zemstvo region init`, `zemstvo runs` and `zemstvo smev-stats`: a region's identity and
//! what its host has been doing.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Runs of this plugin only.
    #[arg(long)]
    pub plugin: Option<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Queue a run of an installed plugin now; the next round of `zemstvo serve` (or
    /// `zemstvo serve --once`) runs it at once, whatever its schedule.
    Trigger {
        /// The installed plugin.
        plugin: String,
    },
}

pub async fn runs(args: RunsArgs) -> Result<ExitCode, CliError> {
    if let Some(RunsCommand::Trigger { plugin }) = &args.command {
        return trigger(&args.database, plugin).await;
    }
    let store = args.database.open().await?;
    let runs = store
        .recent_runs(args.plugin.as_deref(), args.limit)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    for r in &runs {
        println!(
            "{}  {:<28} {:<9} logical {}  tasks +{} (={})  {}",
            print::timestamp(r.finished_at),
            r.plugin,
            r.status,
            print::timestamp(r.logical_time),
            r.tasks_created,
            r.tasks_existing,
            r.failure.as_deref().unwrap_or("")
        );
    }
    println!("{} run(s)", runs.len());
    Ok(ExitCode::SUCCESS)
}

/// `zemstvo runs trigger PLUGIN`: the service queues the run; a host runs it.
async fn trigger(database: &DatabaseArgs, plugin: &str) -> Result<ExitCode, CliError> {
    let host = super::install::region_host(database).await?;
    let actor = super::install::actor();
    let run = host
        .runs()
        .trigger(plugin, &actor)
        .await
        .map_err(|e| match e {
            zemstvo_service::ServiceError::Plugin(why) => CliError::Refused(why),
            other => CliError::Input(other.to_string()),
        })?;
    let what = if run.already_queued {
        "a run of it was already queued"
    } else {
        "queued a run"
    };
    println!(
        "{plugin}: {what} (queue item {}, logical time {}); `zemstvo serve` runs it at once, or \
         run it now with `zemstvo serve --once`",
        run.queue_id,
        print::timestamp(run.logical_time)
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct SmevStatsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Requests sent in the last this many days.
    #[arg(long, default_value_t = 31)]
    pub days: i64,
}

pub async fn smev_stats(args: SmevStatsArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    let since = time::OffsetDateTime::now_utc().unix_timestamp() - args.days * 86_400;
    let stats = store
        .agency_stats(since)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "agency", "requests", "answered", "rejected", "pending", "mean, days"
    );
    for s in &stats {
        let mean = s
            .mean_answer_days
            .map(|d| format!("{d:.2}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<14} {:>9} {:>9} {:>9} {:>9} {:>12}",
            s.agency, s.requests, s.answered, s.rejected, s.pending, mean
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RegionInitArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// A short id, e.g. `lipetsk`.
    #[arg(long)]
    pub id: String,
    /// The region's name, e.g. "Липецкая область".
    #[arg(long)]
    pub name: String,
    /// The region's IANA time zone: what its schedules mean (e.g. `Asia/Yekaterinburg`).
    #[arg(long, default_value = "Europe/Moscow")]
    pub timezone: String,
}

/// Creates the region a database holds (its records come from the region's systems).
pub async fn init(args: RegionInitArgs) -> Result<ExitCode, CliError> {
    zemstvo_service::parse_time_zone(&args.timezone).map_err(CliError::Input)?;
    let store = args.database.open().await?;
    store
        .create_region(&zemstvo_store::load::RegionInfo {
            id: args.id.clone(),
            name: args.name.clone(),
            timezone: args.timezone,
        })
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    println!(
        "region `{}` ({}) created in {}",
        args.id,
        args.name,
        store.url()
    );
    Ok(ExitCode::SUCCESS)
}
