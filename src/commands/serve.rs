//! `zemstvo serve`: the region host — scheduled and queued runs, deliveries, SMEV answers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use zemstvo_service::{HostSettings, RegionHost};

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Host settings (`region.toml`): adapters, limits, SMEV transport.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Do one round of work (due runs, deliveries, answers) and exit.
    #[arg(long)]
    pub once: bool,

    /// Seconds a claimed run stays this host's before others may take it over.
    #[arg(long, value_name = "SECONDS")]
    pub run_lease: Option<u64>,
}

pub async fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    let mut settings = match &args.config {
        Some(path) => HostSettings::load(path).map_err(|e| CliError::Input(e.to_string()))?,
        None => HostSettings::default(),
    };
    if let Some(lease) = args.run_lease {
        settings.run_lease_secs = lease;
    }
    let store = args.database.open().await?;
    let host = RegionHost::open(store, Arc::new(super::runtime()?), settings)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    if args.once {
        host.tick()
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "serving {} as {}; Ctrl-C stops",
        host.store().url(),
        host.settings().host_id
    );
    host.serve(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| CliError::Input(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
