//! `zemstvo run`: one run of a plugin against a region fixture, as a vendor tries it locally.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use zemstvo_core::appeals::{Appeal, AppealInput, Catalogue, OpenIncident, check_catalogue};
use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::config::parse_setting;
use zemstvo_core::eligibility::EligibilityInput;
use zemstvo_core::region::{InMemoryRegion, load_fixture};
use zemstvo_host::RunInput;
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::limits::RunLimits;

use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plugin: a component built for wasm32-wasip2.
    pub plugin: PathBuf,

    /// The region: a JSON fixture with one array per entity (see the SDK's testing docs).
    #[arg(long, value_name = "REGION.json")]
    pub data: Option<PathBuf>,

    /// A configuration setting, checked against the plugin's schema (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,

    /// Grant only these capabilities (repeatable); by default, all the plugin declares.
    #[arg(long = "grant", value_name = "CAPABILITY")]
    pub grants: Vec<String>,

    /// Grant nothing at all.
    #[arg(long, conflicts_with = "grants")]
    pub no_grants: bool,

    /// The run's logical time (RFC 3339); by default the fixture's `now`, else the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// For eligibility rules: a JSON file with the application and the SMEV answers so far.
    #[arg(long, value_name = "FILE.json")]
    pub application: Option<PathBuf>,

    /// For appeal routers: a JSON file with the `appeal`, the region's `catalogue` (inline, or
    /// `catalogue_file` relative to this file) and the `open_incidents` near it.
    #[arg(long, value_name = "FILE.json", conflicts_with = "application")]
    pub appeal: Option<PathBuf>,

    /// time budget of the run, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub time_budget: f64,

    /// Memory cap of the run, in MiB.
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub memory_mb: usize,

    /// Print the run's record as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let runtime = super::runtime()?;
    let plugin = super::load_file(&runtime, &args.plugin).await?;
    let region = match &args.data {
        Some(path) => {
            load_fixture(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?
        }
        None => InMemoryRegion::new("empty", None, []),
    };
    let mut local = LocalRun {
        limits: RunLimits {
            time_budget: Duration::from_secs_f64(args.time_budget.clamp(0.01, 3_600.0)),
            memory_bytes: args.memory_mb.clamp(1, 4_096) << 20,
            ..RunLimits::default()
        },
        ..LocalRun::default()
    };
    for setting in &args.config {
        let (k, v) = parse_setting(setting).map_err(|e| CliError::Input(e.to_string()))?;
        local.config.push((k.to_string(), v.to_string()));
    }
    if args.no_grants {
        local.grants = Some(Default::default());
    } else if !args.grants.is_empty() {
        local.grants = Some(
            args.grants
                .iter()
                .map(|g| {
                    g.parse::<Capability>()
                        .map_err(|e| CliError::Input(e.to_string()))
                })
                .collect::<Result<_, _>>()?,
        );
    }
    if let Some(now) = &args.now {
        let t = time::OffsetDateTime::parse(now, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                CliError::Input(format!(
                    "--now `{now}` is not an RFC 3339 time such as 2026-11-23T06:00:00Z"
                ))
            })?;
        local.now = Some(t.unix_timestamp());
    }
    if let Some(path) = &args.application {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
        let input: EligibilityInput = serde_json::from_str(&text)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        local.input = RunInput::Eligibility(input);
    }
    if let Some(path) = &args.appeal {
        local.input = RunInput::Appeal(appeal_call(path)?);
    }
    let fixture_now = region.now();
    let request = local
        .request(&plugin, Arc::new(region), fixture_now)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let report = runtime.run(&plugin, request).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        );
    } else {
        print!("{}", print::report(&report));
    }
    match report.failure() {
        None => Ok(ExitCode::SUCCESS),
        Some(reason) => Err(CliError::RunFailed(reason.to_string())),
    }
}

/// An appeal router's call as `--appeal` gives it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealCall {
    appeal: Appeal,
    catalogue: Option<Catalogue>,
    catalogue_file: Option<PathBuf>,
    #[serde(default)]
    open_incidents: Vec<OpenIncident>,
}

/// Reads `--appeal`'s file: the appeal, its catalogue (checked as a region's would be) and
/// the open incidents.
fn appeal_call(path: &Path) -> Result<AppealInput, CliError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))
    };
    let call: AppealCall = serde_json::from_str(&read(path)?)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let catalogue = match (call.catalogue, call.catalogue_file) {
        (Some(inline), None) => inline,
        (None, Some(file)) => {
            let file = path.parent().unwrap_or(Path::new(".")).join(file);
            serde_json::from_str(&read(&file)?)
                .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?
        }
        _ => {
            return Err(CliError::Input(format!(
                "{}: give the catalogue either inline (`catalogue`) or as a file \
                 (`catalogue_file`, relative to this file)",
                path.display()
            )));
        }
    };
    check_catalogue(&catalogue)
        .map_err(|e| CliError::Input(format!("{}: the catalogue: {e}", path.display())))?;
    Ok(AppealInput {
        appeal: call.appeal,
        catalogue: Arc::new(catalogue),
        open_incidents: call.open_incidents,
    })
}
