//! `zemstvo replay`: an eligibility rule's recorded decisions re-run on a candidate version,
//! and what it would change, decision by decision.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use zemstvo_service::replay::Difference;
use zemstvo_service::{Candidate, ReplayReport, ReplayRequest, day_start};

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The installed eligibility rule whose decisions to replay.
    pub plugin: String,
    /// The candidate: a version this region installed (`1.1.0`) or a signed package file
    /// (`./yugra-child-allowance-1.1.0.zpkg`, verified against the region's trust store, not
    /// installed). By default the installed version, which must reproduce every record.
    #[arg(long)]
    pub candidate: Option<String>,
    /// Decisions taken on or after this day (`YYYY-MM-DD`, in the region's time zone).
    #[arg(long)]
    pub since: Option<String>,
    /// … and before this day.
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many decisions, oldest first.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Differences printed (the rest are counted).
    #[arg(long, default_value_t = 50)]
    pub max_differences: usize,
    /// Print the report as JSON (every kept difference in full).
    #[arg(long)]
    pub json: bool,
}

pub async fn replay(args: ReplayArgs) -> Result<ExitCode, CliError> {
    let host = super::install::region_host(&args.database).await?;
    let zone = host.time_zone();
    let day = |text: &Option<String>, flag: &str| -> Result<Option<i64>, CliError> {
        text.as_deref()
            .map(|t| {
                day_start(t, zone).ok_or_else(|| {
                    CliError::Input(format!("{flag} `{t}` is not a date such as 2026-11-01"))
                })
            })
            .transpose()
    };
    let candidate = match &args.candidate {
        None => Candidate::Installed,
        Some(c) => candidate(c)?,
    };
    let request = ReplayRequest {
        since: day(&args.since, "--since")?,
        until: day(&args.until, "--until")?,
        limit: args.limit,
        max_differences: args.max_differences,
        ..ReplayRequest::new(&args.plugin, candidate)
    };
    let report = host
        .replay(&request)
        .await
        .map_err(|e| CliError::Refused(e.to_string()))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// A `--candidate`: a signed package file, or a version (installed before, or the registry's).
pub(crate) fn candidate(c: &str) -> Result<Candidate, CliError> {
    if Path::new(c).is_file() {
        return Ok(Candidate::Package(std::fs::read(c).map_err(|e| {
            CliError::Input(format!("cannot read the package `{c}`: {e}"))
        })?));
    }
    if semver::Version::parse(c).is_ok() {
        return Ok(Candidate::Version(c.to_string()));
    }
    Err(CliError::Input(format!(
        "--candidate `{c}` is neither a version such as 1.1.0 nor a package file"
    )))
}

fn print_report(r: &ReplayReport) {
    let versions: Vec<String> = r
        .recorded_versions
        .iter()
        .map(|(v, n)| format!("{v} ({n})"))
        .collect();
    if r.replayed == 0 && r.skipped.is_empty() {
        println!(
            "no decision of {} recorded in that window: nothing replayed on {}",
            r.plugin, r.candidate.version
        );
        return;
    }
    println!(
        "{} {} (sha256 {}) replayed on the decisions of {}",
        r.plugin,
        r.candidate.version,
        &r.candidate.sha256[..16],
        versions.join(", ")
    );
    let changes: Vec<String> = r.changes.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let changes = if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join("; "))
    };
    println!(
        "{} decision(s) replayed, {} identical, {} changed{changes}, {} failed — {:.0} per second",
        r.replayed,
        r.identical,
        r.changed,
        r.failed,
        r.per_second()
    );
    if r.explained_differently > 0 {
        println!(
            "{} decided alike but explained differently (the trace differs; see --json records)",
            r.explained_differently
        );
    }
    for (reason, n) in &r.skipped {
        println!("{n} record(s) not replayed: {reason}");
    }
    for d in &r.differences {
        print_difference(d);
    }
    if r.differences_left_out > 0 {
        println!(
            "… and {} more difference(s); raise --max-differences or use --json",
            r.differences_left_out
        );
    }
}

fn print_difference(d: &Difference) {
    println!(
        "#{} application {} ({}) — {}",
        d.seq, d.application, d.run_id, d.kind
    );
    println!("    recorded:  {}", d.recorded);
    println!("    candidate: {}", d.candidate);
}
