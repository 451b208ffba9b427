//! `zemstvo plugin install|upgrade|rollback|pin|unpin|list|grant|enable|disable|configure|schedule|history`
//! (and the parameter commands in `parameters.rs`):
//! a region's administrator managing the plugins installed in it.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use zemstvo_registry::{PackageSource, PackageSpec};
use zemstvo_service::install::parse_grants;
use zemstvo_service::{HostSettings, InstallOptions, InstallOutcome, RegionHost};

use super::DatabaseArgs;
use super::transfer::TransferBar;
use crate::cli::CliError;

/// The region commands of `zemstvo plugin`.
#[derive(Debug, Subcommand)]
pub enum RegionPluginCommand {
    /// Install NAME@REQUIREMENT from a registry or mirror, or a package file, verified against
    /// the region's trust store.
    Install {
        #[command(flatten)]
        database: DatabaseArgs,
        /// e.g. `isu-smev-answer-delay@^1.2`, or a path to a `.zpkg` file.
        spec: String,
        /// A registry URL or a mirror directory (not needed for a file).
        #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL|DIR")]
        source: Option<String>,
        /// Enable it once installed.
        #[arg(long)]
        enable: bool,
        /// Grant every capability it declares.
        #[arg(long)]
        grant_declared: bool,
        /// Allow installing a version lower than the installed one.
        #[arg(long)]
        allow_downgrade: bool,
    },
    /// Upgrade to the newest version the registry has (yanked versions skipped).
    Upgrade {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
        #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL|DIR")]
        source: String,
        /// Grant every capability the new version declares.
        #[arg(long)]
        grant_declared: bool,
    },
    /// Go back to the version installed before the current one.
    Rollback {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    /// Keep the installed version: installs, upgrades and rollbacks are refused.
    Pin {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    Unpin {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    /// Installed plugins: version, state, signer, schedule.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// The installation history of a plugin.
    History {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    /// Replace what a plugin is granted (capability names; none for nothing).
    Grant {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
        capabilities: Vec<String>,
    },
    Enable {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    Disable {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    /// Set a plugin's configuration (checked against its schema): key=value ...
    Configure {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
        settings: Vec<String>,
    },
    /// Run a batch plugin on a cron schedule (UTC: minute hour day month weekday, e.g.
    /// "0 9 * * 1-5", in the region's time zone), or `none` to run it only when queued.
    Schedule {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
        cron: String,
    },
    /// A plugin's effective-dated parameters: the values it ships and the region's entries.
    Parameters {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
    },
    /// Give a parameter a new value from a date (a new act changed it); runs from then on use
    /// it, with no new build of the plugin.
    SetParameter(super::parameters::SetParameterArgs),
    /// Remove the region's entry of a parameter from a date.
    RemoveParameter {
        #[command(flatten)]
        database: DatabaseArgs,
        name: String,
        parameter: String,
        #[arg(long)]
        from: String,
    },
}

impl RegionPluginCommand {
    /// The region's database the command works on.
    fn database(&self) -> &DatabaseArgs {
        use RegionPluginCommand::*;
        match self {
            Install { database, .. }
            | Upgrade { database, .. }
            | Rollback { database, .. }
            | Pin { database, .. }
            | Unpin { database, .. }
            | List { database }
            | History { database, .. }
            | Grant { database, .. }
            | Enable { database, .. }
            | Disable { database, .. }
            | Configure { database, .. }
            | Schedule { database, .. }
            | Parameters { database, .. }
            | RemoveParameter { database, .. } => database,
            SetParameter(args) => &args.database,
        }
    }
}

/// The region refused the change (untrusted, pinned, a downgrade, …): nothing ran.
fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::Refused(e.to_string())
}

/// The region host of the database, for administration.
pub(crate) async fn region_host(database: &DatabaseArgs) -> Result<RegionHost, CliError> {
    let store = database.open().await?;
    let settings = HostSettings {
        host_id: "cli".into(),
        smev: zemstvo_service::SmevSettings::None,
        ..HostSettings::default()
    };
    RegionHost::open(store, Arc::new(super::runtime()?), settings)
        .await
        .map_err(|e| CliError::Input(e.to_string()))
}

/// Who the audit log says did it: `cli:USER`.
pub(crate) fn actor() -> String {
    std::env::var("USER")
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".into())
}

fn report(o: &InstallOutcome) {
    let from = match (&o.previous, &o.action) {
        (Some(p), a) if p != &o.version && a.to_string() != "installed" => format!(" (was {p})"),
        _ => String::new(),
    };
    let signed = if o.vendor.is_empty() {
        String::new()
    } else {
        format!(", signed by {} (key {})", o.vendor, o.signer)
    };
    println!("{} {} {}{from}{signed}", o.action, o.name, o.version);
    if !o.ungranted.is_empty() {
        let names: Vec<String> = o.ungranted.iter().map(|c| c.to_string()).collect();
        println!(
            "not yet granted: {}; grant them with `zemstvo plugin grant {} {}`",
            names.join(", "),
            o.name,
            names.join(" ")
        );
    }
}

pub async fn run(command: RegionPluginCommand) -> Result<ExitCode, CliError> {
    let host = region_host(command.database()).await?;
    let store = host.store().clone();
    let actor = actor();
    let options = |enable, grant_declared, allow_downgrade| InstallOptions {
        enable,
        grant_declared,
        allow_downgrade,
        actor: actor.clone(),
        if_revision: None,
    };
    match command {
        RegionPluginCommand::Install {
            spec,
            source,
            enable,
            grant_declared,
            allow_downgrade,
            ..
        } => {
            let options = options(enable, grant_declared, allow_downgrade);
            let outcome = if Path::new(&spec).is_file() {
                let bytes =
                    std::fs::read(&spec).map_err(|e| CliError::Input(format!("{spec}: {e}")))?;
                host.installations()
                    .install_package(&bytes, &options)
                    .await
                    .map_err(failed)?
            } else {
                let spec: PackageSpec =
                    spec.parse().map_err(|e| CliError::Input(format!("{e}")))?;
                let Some(source) = source else {
                    return Err(CliError::Input(
                        "give --registry URL|DIR (or set ZEMSTVO_REGISTRY), or a package file"
                            .into(),
                    ));
                };
                let source =
                    PackageSource::open(&source).map_err(|e| CliError::Input(e.to_string()))?;
                let bar = TransferBar::new("download");
                let result = host
                    .installations()
                    .install_from(&source, &spec, &options, &mut |p| bar.update(p))
                    .await;
                bar.finish();
                result.map_err(failed)?
            };
            report(&outcome);
        }
        RegionPluginCommand::Upgrade {
            name,
            source,
            grant_declared,
            ..
        } => {
            let spec: PackageSpec = name.parse().map_err(|e| CliError::Input(format!("{e}")))?;
            let source =
                PackageSource::open(&source).map_err(|e| CliError::Input(e.to_string()))?;
            let bar = TransferBar::new("download");
            let result = host
                .installations()
                .install_from(
                    &source,
                    &spec,
                    &options(false, grant_declared, false),
                    &mut |p| bar.update(p),
                )
                .await;
            bar.finish();
            report(&result.map_err(failed)?);
        }
        RegionPluginCommand::Rollback { name, .. } => {
            report(
                &host
                    .installations()
                    .rollback(&name, &options(false, false, true))
                    .await
                    .map_err(failed)?,
            );
        }
        RegionPluginCommand::Pin { name, .. } => {
            store
                .set_pinned(&name, true, &actor)
                .await
                .map_err(failed)?;
            println!("{name} is pinned at its installed version");
        }
        RegionPluginCommand::Unpin { name, .. } => {
            store
                .set_pinned(&name, false, &actor)
                .await
                .map_err(failed)?;
            println!("{name} is no longer pinned");
        }
        RegionPluginCommand::List { .. } => {
            for i in store.installations().await.map_err(failed)? {
                let signer = store
                    .package(&i.sha256)
                    .await
                    .map_err(failed)?
                    .and_then(|p| p.signer)
                    .unwrap_or_else(|| "UNSIGNED".into());
                let refusal = host.runs().refusal(&i.name).await.map_err(failed)?;
                let state = match (&refusal, i.enabled) {
                    (Some(_), _) => "REFUSED",
                    (None, true) => "enabled",
                    (None, false) => "disabled",
                };
                println!(
                    "{:<28} {:<9} {:<8}{} signer {signer}  schedule {}",
                    i.name,
                    i.version,
                    state,
                    if i.pinned { " pinned" } else { "" },
                    i.schedule.as_deref().unwrap_or("-")
                );
                if let Some(why) = refusal {
                    println!(
                        "    cannot run ({}): {why}",
                        if i.enabled { "enabled" } else { "disabled" }
                    );
                }
            }
        }
        RegionPluginCommand::History { name, .. } => {
            for h in store.history(&name).await.map_err(failed)? {
                println!(
                    "{}  {:<10} {:<9} by {}  component sha256 {}",
                    crate::print::timestamp(h.at),
                    h.action,
                    h.version,
                    h.actor,
                    h.sha256
                );
            }
        }
        RegionPluginCommand::Grant {
            name, capabilities, ..
        } => {
            let names: Vec<String> = capabilities.into_iter().filter(|c| c != "none").collect();
            let grants = parse_grants(&names).map_err(CliError::Input)?;
            store
                .set_grants(&name, &grants, &actor)
                .await
                .map_err(failed)?;
            println!(
                "{name} is granted: {}",
                if names.is_empty() {
                    "nothing".into()
                } else {
                    names.join(", ")
                }
            );
        }
        RegionPluginCommand::Enable { name, .. } => {
            store
                .set_enabled(&name, true, &actor)
                .await
                .map_err(failed)?;
            println!("{name} is enabled");
            if let Some(why) = host.runs().refusal(&name).await.map_err(failed)? {
                eprintln!("warning: {name} cannot run until this is fixed: {why}");
            }
        }
        RegionPluginCommand::Disable { name, .. } => {
            store
                .set_enabled(&name, false, &actor)
                .await
                .map_err(failed)?;
            println!("{name} is disabled");
        }
        RegionPluginCommand::Configure { name, settings, .. } => {
            let parsed = settings
                .iter()
                .map(|s| {
                    zemstvo_core::capabilities::config::parse_setting(s)
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::Input(e.to_string()))?;
            host.installations()
                .configure(&name, &parsed, &actor)
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            println!("{name} is configured: {}", settings.join(" "));
        }
        RegionPluginCommand::Schedule { name, cron, .. } => {
            let schedule = (cron != "none").then_some(cron.as_str());
            host.installations()
                .set_schedule(&name, schedule, &actor)
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            match schedule {
                Some(s) => println!("{name} runs on the schedule `{s}` (UTC)"),
                None => println!("{name} has no schedule; it runs only when queued"),
            }
        }
        RegionPluginCommand::Parameters { name, .. } => {
            super::parameters::list(&host, &name).await?;
        }
        RegionPluginCommand::SetParameter(args) => {
            super::parameters::set(&host, args, &actor).await?;
        }
        RegionPluginCommand::RemoveParameter {
            name,
            parameter,
            from,
            ..
        } => {
            super::parameters::remove(&host, &name, &parameter, &from, &actor).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
