//! `zemstvo demo`: the demo region with the reference plugins, built, loaded and run.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use zemstvo_host::capabilities::data::Entity;
use zemstvo_host::local::LocalRun;
use zemstvo_host::region::demo::{DemoScale, demo_region};
use zemstvo_host::runtime::CacheOutcome;

use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run every plugin once and exit (the default until the host serves the web UI).
    #[arg(long)]
    pub once: bool,

    /// Seed of the synthetic region: the same seed gives the same records.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,

    /// The region's logical time (RFC 3339); by default 06:00 UTC today, when ISU's morning
    /// checks run.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

pub async fn demo(args: DemoArgs) -> Result<ExitCode, CliError> {
    let now = match &args.now {
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    CliError::Input(format!(
                        "--now `{text}` is not an RFC 3339 time such as 2026-11-23T06:00:00Z"
                    ))
                })?
                .unix_timestamp()
        }
        None => {
            let today = time::OffsetDateTime::now_utc().date();
            today.midnight().assume_utc().unix_timestamp() + 6 * 3_600
        }
    };
    let region = Arc::new(demo_region(DemoScale::SMALL, args.seed, now));
    println!(
        "demo region lipetsk-demo at {}: {} units, {} employees, {} citizens, {} applications, {} SMEV requests",
        print::timestamp(now),
        region.table(Entity::Units).len(),
        region.table(Entity::Employees).len(),
        region.table(Entity::Citizens).len(),
        region.table(Entity::Applications).len(),
        region.table(Entity::SmevRequests).len(),
    );
    let runtime = super::runtime()?;
    let mut failed = 0;
    for artifact in zemstvo_plugin_artifacts::REFERENCE {
        let (plugin, outcome, took) = runtime
            .load_timed(artifact.bytes)
            .await
            .map_err(|e| CliError::Input(format!("{}: {e}", artifact.name)))?;
        let how = match outcome {
            CacheOutcome::Hit => "precompiled, from the cache",
            CacheOutcome::Compiled => "compiled",
        };
        println!(
            "\nplugin {} {} ({}), {how} in {:.1} ms",
            plugin.metadata.name,
            plugin.metadata.version,
            plugin.metadata.kind,
            took.as_secs_f64() * 1e3
        );
        let request = LocalRun::default()
            .request(&plugin, region.clone(), Some(now))
            .map_err(|e| CliError::Input(format!("{}: {e}", artifact.name)))?;
        let report = runtime.run(&plugin, request).await;
        print!("{}", print::report(&report));
        if !report.succeeded() {
            failed += 1;
        }
    }
    if !args.once {
        println!(
            "\n(serving the region continuously comes with the store; this ran every plugin once)"
        );
    }
    if failed > 0 {
        return Err(CliError::RunFailed(format!("{failed} plugin runs failed")));
    }
    Ok(ExitCode::SUCCESS)
}
