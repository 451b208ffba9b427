//! `zemstvo serve`: the region host — scheduled and queued runs, deliveries, SMEV answers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use zemstvo_core::eligibility::{Outcome, Verdict};
use zemstvo_core::report::RunStatus;
use zemstvo_service::{HostSettings, RegionHost, RoundReport};

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Host settings (`region.toml`): adapters, limits, SMEV transport.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Do one round of work (due and queued runs, decisions, deliveries, answers), print what
    /// it did — or why there was nothing to do — and exit.
    #[arg(long)]
    pub once: bool,

    /// Where the HTTP API listens.
    #[arg(long, value_name = "ADDRESS", default_value = super::web::DEFAULT_LISTEN)]
    pub listen: String,

    /// Seconds a claimed run stays this host's before others may take it over (overrides
    /// `[leases] run_secs`).
    #[arg(long, value_name = "SECONDS")]
    pub run_lease: Option<u64>,
}

pub async fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    // Counted from the first run on, for `/metrics`.
    let _ = zemstvo_web::metrics_handle();
    let mut settings = match &args.config {
        Some(path) => HostSettings::load(path).map_err(|e| CliError::Input(e.to_string()))?,
        None => HostSettings::default(),
    };
    if let Some(lease) = args.run_lease {
        settings.leases.run_secs = lease;
    }
    let store = args.database.open_existing().await?;
    let host = RegionHost::open(store, Arc::new(super::runtime()?), settings)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    if args.once {
        let round = host
            .tick()
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        print_round(&round);
        host.sign_checkpoint().await;
        if round.is_idle() {
            let reasons = host
                .runs()
                .idle_reasons()
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            println!("nothing to do:");
            for r in reasons {
                match r.plugin {
                    Some(plugin) => println!("  {plugin}: {}", r.reason),
                    None => println!("  {}", r.reason),
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let listener = super::web::bind(&args.listen).await?;
    super::web::serve_region(Arc::new(host), listener).await?;
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// What one round did, a line per kind of work that happened.
fn print_round(round: &RoundReport) {
    if round.scheduled > 0 {
        println!("queued {} scheduled run(s) that fell due", round.scheduled);
    }
    for outcome in &round.runs {
        let r = &outcome.report;
        let what = match (&r.status, &outcome.committed) {
            (RunStatus::Succeeded { summary }, Some(c)) => format!(
                "succeeded: {}; tasks +{} (={}), notifications +{}, SMEV requests +{}",
                summary.message,
                c.tasks_created,
                c.tasks_existing,
                c.notifications_queued,
                c.smev_queued
            ),
            (RunStatus::Succeeded { summary }, None) => format!(
                "succeeded ({}) but another host took the run over; nothing was kept",
                summary.message
            ),
            (RunStatus::Failed { reason }, _) => format!("failed: {reason}"),
        };
        println!(
            "ran {} {} ({}, run {}): {what}",
            r.plugin.name, r.plugin.version, outcome.queued.cause, r.run_id
        );
    }
    if !round.decisions.is_empty() {
        let (mut approved, mut denied, mut waiting, mut failed) = (0, 0, 0, 0);
        for d in &round.decisions {
            match (&d.report.status, &d.report.outputs.eligibility) {
                (RunStatus::Failed { .. }, _) | (_, None) => failed += 1,
                (_, Some(Outcome::Need { .. })) => waiting += 1,
                (_, Some(Outcome::Decided { decision })) => match decision.verdict {
                    Verdict::Approve { .. } => approved += 1,
                    Verdict::Deny { .. } => denied += 1,
                },
            }
        }
        println!(
            "decided {} application call(s): {approved} approved, {denied} denied, {waiting} \
             waiting for SMEV answers, {failed} failed (see `zemstvo cases list`)",
            round.decisions.len()
        );
    }
    let s = &round.smev;
    if s.sent + s.send_retried + s.send_failed + s.applied + s.duplicates + s.unmatched > 0 {
        println!(
            "SMEV: {} request(s) sent ({} to retry, {} failed), {} answer(s) applied ({} \
             duplicate, {} unmatched)",
            s.sent, s.send_retried, s.send_failed, s.applied, s.duplicates, s.unmatched
        );
    }
    if s.taken_over + s.conflicts > 0 {
        println!(
            "SMEV: {} request(s) left to the host that took them over, {} already recorded by another host",
            s.taken_over, s.conflicts
        );
    }
    let d = &round.deliveries;
    if d.sent + d.retried + d.failed + d.cancelled > 0 {
        println!(
            "notifications: {} sent, {} to retry, {} failed, {} cancelled",
            d.sent, d.retried, d.failed, d.cancelled
        );
    }
    if d.taken_over > 0 {
        println!(
            "notifications: {} left to the host that took them over (this host held them past its lease)",
            d.taken_over
        );
    }
}
