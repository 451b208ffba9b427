//! `zemstvo replay`: an eligibility rule's recorded decisions re-run on a candidate version,
//! and what it would change, decision by decision; for a batch plugin (a deviation check, risk
//! categories), one recorded run re-run with its version and with the candidate, and what the
//! candidate would add, remove or change, task by task and object by object.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use zemstvo_service::replay::Difference;
use zemstvo_service::replay::run::DataState;
use zemstvo_service::{
    Candidate, ReplayError, ReplayReport, ReplayRequest, RunReplayReport, RunReplayRequest,
    day_start,
};

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The installed plugin whose decisions (an eligibility rule) or run (a batch plugin) to
    /// replay.
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
    /// A batch plugin's run to replay (`zemstvo runs` lists them); by default its newest
    /// recorded run in the --since/--until range.
    #[arg(long)]
    pub run: Option<String>,
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
    let (since, until) = (day(&args.since, "--since")?, day(&args.until, "--until")?);
    let request = ReplayRequest {
        since,
        until,
        limit: args.limit,
        max_differences: args.max_differences,
        ..ReplayRequest::new(&args.plugin, candidate.clone())
    };
    let refused = |e: ReplayError| CliError::Refused(e.to_string());
    let report = match host.replay(&request).await {
        Err(ReplayError::NotReplayable { .. }) => {
            if args.limit.is_some() {
                return Err(CliError::Input(
                    "--limit counts an eligibility rule's decisions; a batch plugin replays \
                     one run (pick it with --run)"
                        .into(),
                ));
            }
            let request = RunReplayRequest {
                run: args.run.clone(),
                since,
                until,
                max_differences: args.max_differences,
                ..RunReplayRequest::new(&args.plugin, candidate)
            };
            let report = host.replay_run(&request).await.map_err(refused)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("the report serialises")
                );
            } else {
                print_run_report(&report);
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ if args.run.is_some() => {
            return Err(CliError::Input(format!(
                "--run picks a batch plugin's run; the decisions of `{}` are chosen with \
                 --since, --until and --limit",
                args.plugin
            )));
        }
        report => report.map_err(refused)?,
    };
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
    let subject = if r.kind == "appeal-routing" {
        "appeal"
    } else {
        "application"
    };
    for d in &r.differences {
        print_difference(d, subject);
    }
    if r.differences_left_out > 0 {
        println!(
            "… and {} more difference(s); raise --max-differences or use --json",
            r.differences_left_out
        );
    }
}

fn print_difference(d: &Difference, subject: &str) {
    println!(
        "#{} {subject} {} ({}) — {}",
        d.seq, d.application, d.run_id, d.kind
    );
    println!("    recorded:  {}", d.recorded);
    println!("    candidate: {}", d.candidate);
}

fn print_run_report(r: &RunReplayReport) {
    let rec = &r.record;
    println!(
        "{} {} (sha256 {}) replayed on run {} (record #{}, {} {}, {} rows read)",
        r.plugin,
        r.candidate.version,
        &r.candidate.sha256[..16],
        rec.run_id,
        rec.seq,
        r.plugin,
        rec.version,
        rec.rows_read
    );
    match r.data {
        DataState::Unchanged if r.reproduced => println!(
            "the region's data is what the run read, and {} {} reproduces the record: this is \
             what the candidate would have done in that run",
            r.plugin, rec.version
        ),
        DataState::Unchanged => println!(
            "the region's data is what the run read, but {} {} run again does not reproduce \
             the record; compare with care",
            r.plugin, rec.version
        ),
        DataState::Changed => println!(
            "the region's data has changed since the run: both versions ran on today's data, \
             {} {} standing in for the record",
            r.plugin, rec.version
        ),
        DataState::Unknown => println!(
            "whether the data changed since the run is unknown (the record keeps no digest of \
             what it read): both versions ran on today's data"
        ),
    }
    let recorded = format!("{} {}, run again", r.plugin, rec.version);
    let candidate = format!("candidate {}", r.candidate.version);
    for (who, e) in [
        (&recorded, &r.baseline_emitted),
        (&candidate, &r.candidate_emitted),
    ] {
        match &e.failure {
            Some(why) => println!("{who}: failed: {why}"),
            None => println!(
                "{who}: {} task(s), {} message(s), {} SMEV request(s), {} object(s) assessed, \
                 {} visit exception(s)",
                e.tasks, e.notifications, e.smev_requests, e.assessments, e.visit_exceptions
            ),
        }
    }
    let line = |what: &str,
                t: &zemstvo_service::replay::run::Tally,
                kinds: &std::collections::BTreeMap<String, u64>| {
        if t.added + t.removed + t.changed + t.identical == 0 {
            return;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join("; "))
        };
        println!(
            "{what}: {} identical, {} added, {} removed, {} changed{kinds}",
            t.identical, t.added, t.removed, t.changed
        );
    };
    let none = std::collections::BTreeMap::new();
    line("tasks", &r.tasks, &r.task_changes);
    line("objects", &r.objects, &r.category_changes);
    line("visit exceptions", &r.visit_exceptions, &none);
    line("messages", &r.messages, &none);
    if r.identical() {
        println!(
            "the candidate emits exactly what {} {} does",
            r.plugin, rec.version
        );
    }
    for d in &r.differences {
        println!("{} {} — {}", d.item, d.key, d.change);
        if !d.baseline.is_empty() {
            println!("    recorded:  {}", d.baseline);
        }
        if !d.candidate.is_empty() {
            println!("    candidate: {}", d.candidate);
        }
    }
    if r.differences_left_out > 0 {
        println!(
            "… and {} more difference(s); raise --max-differences or use --json",
            r.differences_left_out
        );
    }
}
