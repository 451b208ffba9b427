//! Arguments of the `zemstvo` command, and dispatch to the commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;

/// zemstvo hosts a region's algorithms as signed, sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "zemstvo", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output (repeat for more); `ZEMSTVO_LOG` sets filters precisely.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// `text` for people, `json` for log shippers (one object per line, with the run id,
    /// plugin and request fields).
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The demo region in a database: generated once, the reference plugins installed and run.
    Demo(commands::demo::DemoArgs),
    /// Run a plugin once against a region fixture and print the run's record.
    Run(commands::run::RunArgs),
    /// Show what a plugin file is: its metadata, kind, WIT version and hash.
    Inspect(commands::inspect::InspectArgs),
    /// Serve a region from its database: scheduled runs, deliveries, SMEV answers, and the
    /// HTTP API (`--listen`).
    Serve(commands::serve::ServeArgs),
    /// The region's tasks: list them, show one, move it along its lifecycle.
    Tasks(commands::tasks::TasksArgs),
    /// What eligibility rules decided without an official: cases, decisions, retries.
    Cases(commands::cases::CasesArgs),
    /// Citizens' appeals and incidents: the classifier catalogue, authorities, Open311
    /// channels, answers, verdicts and the curators' report.
    Appeals(commands::appeals::AppealsArgs),
    /// The decision records: verify their hash chain and signed checkpoints, read them.
    Audit(commands::audit::AuditArgs),
    /// Re-run an eligibility rule's recorded decisions on a candidate version and show what
    /// it would change, decision by decision; nothing is delivered or committed.
    Replay(commands::replay::ReplayArgs),
    /// Run a candidate version of an eligibility rule beside the installed one on the same
    /// calls, its outputs never delivered; see its differences; promote or discard it.
    Shadow(commands::shadow::ShadowArgs),
    /// Let a rule's shadow decide a share of its applications with thresholds; the host rolls
    /// it back by itself when it fails them.
    Rollout(commands::rollout::RolloutArgs),
    /// The region's run history.
    Runs(commands::region::RunsArgs),
    /// SMEV volumes and answer times per agency.
    SmevStats(commands::region::SmevStatsArgs),
    /// Create the region a database holds.
    RegionInit(commands::region::RegionInitArgs),
    /// The vendor keys the region trusts.
    Trust(commands::trust::TrustArgs),
    /// Vendors' signing keys: create, rotate.
    Keys(commands::keys::KeysArgs),
    /// Plugin packages: pack and sign, verify, publish, search, fetch.
    Plugin(commands::plugin::PluginArgs),
    /// The plugin registry: serve, administer, export and import mirrors.
    Registry(commands::registry::RegistryArgs),
    /// Accounts of the web service: add, list, set a role, disable, tokens, sign-in links.
    Users(commands::users::UsersArgs),
}

impl Command {
    /// Whether the command keeps serving (a host, a registry) rather than printing and exiting.
    pub fn serves(&self) -> bool {
        match self {
            Command::Serve(args) => !args.once,
            Command::Demo(args) => !args.once && !args.report,
            Command::Registry(args) => {
                matches!(args.command, commands::registry::RegistryCommand::Serve(_))
            }
            _ => false,
        }
    }
}

/// What went wrong, and the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: a file, a setting, an argument. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// The plugin ran and failed. Exit code 1 (the report was printed).
    #[error("the run failed: {0}")]
    RunFailed(String),
    /// The region, the registry or a check refused what was asked (nothing ran and nothing
    /// changed): an untrusted package, a pinned plugin, a revoked key. Exit code 1.
    #[error("refused: {0}")]
    Refused(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) => ExitCode::from(2),
            CliError::RunFailed(_) | CliError::Refused(_) => ExitCode::from(1),
        }
    }
}

/// Where precompiled plugins are cached: `ZEMSTVO_CACHE_DIR`, else the user's cache directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZEMSTVO_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("zemstvo").join("artifacts")
}

pub fn init_tracing(verbose: u8, json: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "info,zemstvo=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZEMSTVO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn execute(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Demo(args) => commands::demo::demo(args).await,
        Command::Run(args) => commands::run::run(args).await,
        Command::Inspect(args) => commands::inspect::inspect(args).await,
        Command::Serve(args) => commands::serve::serve(args).await,
        Command::Tasks(args) => commands::tasks::tasks(args).await,
        Command::Cases(args) => commands::cases::cases(args).await,
        Command::Appeals(args) => commands::appeals::appeals(args).await,
        Command::Audit(args) => commands::audit::audit(args).await,
        Command::Replay(args) => commands::replay::replay(args).await,
        Command::Shadow(args) => commands::shadow::shadow(args).await,
        Command::Rollout(args) => commands::rollout::rollout(args).await,
        Command::Runs(args) => commands::region::runs(args).await,
        Command::SmevStats(args) => commands::region::smev_stats(args).await,
        Command::RegionInit(args) => commands::region::init(args).await,
        Command::Trust(args) => commands::trust::trust(args).await,
        Command::Keys(args) => commands::keys::keys(args).await,
        Command::Plugin(args) => commands::plugin::plugin(args).await,
        Command::Registry(args) => commands::registry::registry(args).await,
        Command::Users(args) => commands::users::users(args).await,
    }
}
