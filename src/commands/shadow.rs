//! `zemstvo shadow`: a candidate version of an eligibility rule run beside the installed one
//! on the same calls, its outputs never delivered; its differences decision by decision;
//! promote or discard.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_service::ShadowReport;

use super::DatabaseArgs;
use super::install::{actor, region_host};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ShadowArgs {
    #[command(subcommand)]
    pub command: ShadowCommand,
}

#[derive(Debug, Subcommand)]
pub enum ShadowCommand {
    /// Start a shadow: the candidate is verified as an install would verify it and compared
    /// on every decision the installed version takes from now on.
    Start {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The installed eligibility rule.
        plugin: String,
        /// A version this region holds or its registry has (`1.1.0`), or a signed package file.
        #[arg(long)]
        candidate: String,
    },
    /// What the shadow would have decided differently so far (compares pending decisions
    /// first).
    Show {
        #[command(flatten)]
        database: DatabaseArgs,
        plugin: String,
        /// Differences printed.
        #[arg(long, default_value_t = 50)]
        max_differences: u32,
        #[arg(long)]
        json: bool,
    },
    /// Install the shadow as the live version (state, grants and configuration stay) and end
    /// the shadow; the summary goes to the audit log.
    Promote {
        #[command(flatten)]
        database: DatabaseArgs,
        plugin: String,
    },
    /// End the shadow without installing it; the summary goes to the audit log.
    Discard {
        #[command(flatten)]
        database: DatabaseArgs,
        plugin: String,
    },
}

pub async fn shadow(args: ShadowArgs) -> Result<ExitCode, CliError> {
    let refused = |e: zemstvo_service::ShadowError| CliError::Refused(e.to_string());
    match args.command {
        ShadowCommand::Start {
            database,
            plugin,
            candidate,
        } => {
            let host = region_host(&database).await?;
            let candidate = super::replay::candidate(&candidate)?;
            let shadow = host
                .start_shadow(&plugin, &candidate, &actor())
                .await
                .map_err(refused)?;
            println!(
                "{plugin} {} runs as a shadow from decision record #{} on: nothing it decides is \
                 delivered. `zemstvo shadow show {plugin}` shows what it would change.",
                shadow.version,
                shadow.after_seq + 1
            );
        }
        ShadowCommand::Show {
            database,
            plugin,
            max_differences,
            json,
        } => {
            let host = region_host(&database).await?;
            host.shadow_round()
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            let report = host
                .shadow_report(&plugin, max_differences)
                .await
                .map_err(refused)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("the report serialises")
                );
            } else {
                print_report(&report);
            }
        }
        ShadowCommand::Promote { database, plugin } => {
            let host = region_host(&database).await?;
            let (outcome, ended) = host
                .promote_shadow(&plugin, &actor(), None)
                .await
                .map_err(refused)?;
            println!(
                "{plugin} {} {} (was {}); the shadow compared {} decision(s): {} changed, {} failed",
                outcome.version,
                outcome.action,
                outcome.previous.as_deref().unwrap_or("not installed"),
                ended.counts.compared,
                ended.counts.changed,
                ended.counts.failed
            );
        }
        ShadowCommand::Discard { database, plugin } => {
            let host = region_host(&database).await?;
            let ended = host
                .discard_shadow(&plugin, &actor())
                .await
                .map_err(refused)?;
            println!(
                "the shadow {plugin} {} is discarded after {} decision(s) compared",
                ended.version, ended.counts.compared
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &ShadowReport) {
    let s = &r.shadow;
    let c = &s.counts;
    println!(
        "{} {} (sha256 {}) shadows the live {} since {} (started by {})",
        s.plugin,
        s.version,
        &s.sha256[..16.min(s.sha256.len())],
        r.live_version.as_deref().unwrap_or("(not installed)"),
        crate::print::timestamp(s.started_at),
        s.started_by
    );
    let changes: Vec<String> = r
        .changes
        .iter()
        .filter(|(k, _)| k.as_str() != "candidate failed")
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    let changes = if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join("; "))
    };
    println!(
        "{} decision(s) compared, {} identical, {} changed{changes}, {} failed",
        c.compared, c.identical, c.changed, c.failed
    );
    if c.explained_differently > 0 {
        println!(
            "{} decided alike but explained differently (the trace differs)",
            c.explained_differently
        );
    }
    if c.skipped > 0 {
        println!("{} record(s) could not be compared", c.skipped);
    }
    if r.behind > 0 {
        println!(
            "{} live decision(s) not compared yet (each round of `zemstvo serve` compares them)",
            r.behind
        );
    }
    for d in &r.differences {
        println!(
            "#{} application {} ({}) — {}",
            d.seq, d.application, d.run_id, d.kind
        );
        println!("    live:   {}", d.live);
        println!("    shadow: {}", d.shadow);
    }
    let listed = r.differences.len() as u64;
    if c.changed + c.failed > listed {
        println!(
            "… and {} more difference(s); raise --max-differences or use --json",
            c.changed + c.failed - listed
        );
    }
    println!(
        "promote: zemstvo shadow promote {0} · discard: zemstvo shadow discard {0}",
        s.plugin
    );
}
