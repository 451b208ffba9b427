//! `zemstvo rollout`: a rule's shadow decides (and delivers) a share of its applications, and
//! the host rolls it back by itself when it fails its thresholds.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_store::rollouts::{Rollout, RolloutSettings, RolloutState};

use super::DatabaseArgs;
use super::install::{actor, region_host};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: RolloutCommand,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Let the rule's shadow decide a share of its applications, with thresholds; the host
    /// evaluates every window of the candidate's decisions and rolls it back by itself after
    /// `--failure-limit` failed evaluations.
    Start {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The eligibility rule; its shadow is the candidate.
        plugin: String,
        /// The percentage of applications the candidate decides (a stable hash of each).
        #[arg(long)]
        share: u8,
        /// Only applications of these measures (comma-separated); all by default.
        #[arg(long, value_delimiter = ',')]
        measures: Vec<String>,
        /// The candidate's decisions per evaluation.
        #[arg(long, default_value_t = 100)]
        window: u32,
        /// The most of the candidate's calls in a window that may fail (0.02 = 2 %).
        #[arg(long, default_value_t = 0.02)]
        max_failure_rate: f64,
        /// The most of the live decisions in a window the candidate may decide otherwise.
        #[arg(long, default_value_t = 0.05)]
        max_changed_rate: f64,
        /// The most the candidate's mean run time may be against the live version's.
        #[arg(long, default_value_t = 2.0)]
        max_duration_ratio: f64,
        /// Failed evaluations (in all) before the host rolls it back.
        #[arg(long, default_value_t = 2)]
        failure_limit: u32,
    },
    /// The rollout's target, thresholds, evaluations and state.
    Show {
        #[command(flatten)]
        database: DatabaseArgs,
        plugin: String,
        #[arg(long)]
        json: bool,
    },
    /// End the rollout: the live version decides everything again; the shadow stays.
    Stop {
        #[command(flatten)]
        database: DatabaseArgs,
        plugin: String,
    },
}

pub async fn rollout(args: RolloutArgs) -> Result<ExitCode, CliError> {
    let refused = |e: zemstvo_service::RolloutError| CliError::Refused(e.to_string());
    match args.command {
        RolloutCommand::Start {
            database,
            plugin,
            share,
            measures,
            window,
            max_failure_rate,
            max_changed_rate,
            max_duration_ratio,
            failure_limit,
        } => {
            let host = region_host(&database).await?;
            let settings = RolloutSettings {
                share_percent: share,
                measures,
                window,
                max_failure_rate,
                max_changed_rate,
                max_duration_ratio,
                failure_limit,
            };
            let r = host
                .start_rollout(&plugin, &settings, &actor())
                .await
                .map_err(refused)?;
            println!(
                "{plugin}: the shadow decides {} % of applications from decision record #{} on; \
                 evaluated every {} of its decisions, rolled back after {} failed evaluation(s). \
                 `zemstvo rollout show {plugin}` follows it.",
                r.settings.share_percent,
                r.after_seq + 1,
                r.settings.window,
                r.settings.failure_limit
            );
        }
        RolloutCommand::Show {
            database,
            plugin,
            json,
        } => {
            let host = region_host(&database).await?;
            let r = host.rollout(&plugin).await.map_err(refused)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&r).expect("the rollout serialises")
                );
            } else {
                print_rollout(&r);
            }
        }
        RolloutCommand::Stop { database, plugin } => {
            let host = region_host(&database).await?;
            let r = host
                .stop_rollout(&plugin, &actor())
                .await
                .map_err(refused)?;
            println!(
                "{plugin}: the rollout is stopped after {} evaluation(s); the live version \
                 decides every application, the candidate stays a shadow",
                r.evaluations
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rollout(r: &Rollout) {
    let s = &r.settings;
    let target = if s.measures.is_empty() {
        format!("{} % of applications", s.share_percent)
    } else {
        format!(
            "{} % of applications of {}",
            s.share_percent,
            s.measures.join(", ")
        )
    };
    println!(
        "{}: {} — {target}, since {} (started by {})",
        r.plugin,
        r.state.name(),
        crate::print::timestamp(r.started_at),
        r.started_by
    );
    println!(
        "window {} decision(s); thresholds: failures ≤ {:.1} %, decided otherwise ≤ {:.1} %, run \
         time ≤ {:.2} × live; rollback after {} failed evaluation(s)",
        s.window,
        s.max_failure_rate * 100.0,
        s.max_changed_rate * 100.0,
        s.max_duration_ratio,
        s.failure_limit
    );
    println!(
        "{} evaluation(s), {} failed",
        r.evaluations, r.failed_evaluations
    );
    if let Some(e) = &r.last_evaluation {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.1} %", v * 100.0));
        println!(
            "last (records #{}–#{}): {} candidate decision(s), {} failed ({}); {} live, {} \
             decided otherwise ({}); run time {}",
            e.from_seq + 1,
            e.to_seq,
            e.candidate_decisions,
            e.candidate_failures,
            pct(Some(e.failure_rate)),
            e.live_decisions,
            e.differing,
            pct(e.changed_rate),
            e.duration_ratio
                .map_or("—".to_string(), |r| format!("{r:.2} × live"))
        );
        for b in &e.breaches {
            println!("    crossed: {b}");
        }
    }
    match r.state {
        RolloutState::Running => println!(
            "promote: zemstvo shadow promote {0} · stop: zemstvo rollout stop {0}",
            r.plugin
        ),
        RolloutState::RolledBack => println!(
            "rolled back {}: {}\nthe live version decides every application; the candidate \
             stays a shadow (`zemstvo shadow show {}`)",
            r.ended_at.map(crate::print::timestamp).unwrap_or_default(),
            r.ended_reason.as_deref().unwrap_or_default(),
            r.plugin
        ),
    }
}
