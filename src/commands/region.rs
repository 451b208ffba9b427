//! `zemstvo region init`, `zemstvo runs` and `zemstvo smev-stats`: a region's identity and
//! what its host has been doing.

use std::process::ExitCode;

use clap::Args;

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long)]
    pub plugin: Option<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

pub async fn runs(args: RunsArgs) -> Result<ExitCode, CliError> {
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
    #[arg(long, default_value = "Europe/Moscow")]
    pub timezone: String,
}

/// Creates the region a database holds (its records come from the region's systems).
pub async fn init(args: RegionInitArgs) -> Result<ExitCode, CliError> {
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
