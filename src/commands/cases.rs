//! `zemstvo cases`: what the eligibility rules decided without an official — list the cases,
//! show one decision with everything it used, send a failed case back to its rule.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_core::eligibility::{Decision, Verdict};
use zemstvo_store::eligibility::{CaseFilter, CaseRow};

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct CasesArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: CasesCommand,
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Cases, most recently changed first.
    List {
        #[arg(long)]
        plugin: Option<String>,
        /// waiting (for SMEV answers), decided, or failed (a specialist decides).
        #[arg(long, value_parser = ["waiting", "decided", "failed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One application's decision: verdict, reasons or assignment with its payments, and every
    /// input and intermediate value with where it came from.
    Show { application: u64 },
    /// Call the rule again for a failed case (after the form was corrected, say).
    Retry {
        application: u64,
        /// The rule, when the application has cases with several.
        #[arg(long)]
        plugin: Option<String>,
        /// Who does it, for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// Kopecks as roubles: `1 899.00 RUB`.
fn roubles(kopecks: i64) -> String {
    format!("{}.{:02} RUB", kopecks / 100, (kopecks % 100).abs())
}

fn line(c: &CaseRow) -> String {
    let what = match (c.status.as_str(), c.verdict.as_deref()) {
        ("decided", Some("approve")) => "approved".to_string(),
        ("decided", _) => "denied".to_string(),
        ("waiting", _) => "waiting for agencies".to_string(),
        _ => "failed: a specialist decides".to_string(),
    };
    format!(
        "application {:<7} {:<24} {:<28} {} call(s), {}",
        c.application_id,
        c.plugin,
        what,
        c.calls,
        print::timestamp(c.updated_at)
    )
}

pub async fn cases(args: CasesArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    match args.command {
        CasesCommand::List {
            plugin,
            status,
            limit,
            json,
        } => {
            let filter = CaseFilter {
                plugin,
                status,
                application: None,
                limit: Some(limit),
            };
            let cases = store.eligibility_cases(&filter).await.map_err(input)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&cases).expect("cases serialise")
                );
            } else {
                for c in &cases {
                    println!("{}", line(c));
                }
                println!("{} case(s)", cases.len());
            }
        }
        CasesCommand::Show { application } => {
            let filter = CaseFilter {
                application: Some(application),
                ..CaseFilter::default()
            };
            let cases = store.eligibility_cases(&filter).await.map_err(input)?;
            if cases.is_empty() {
                return Err(CliError::Input(format!(
                    "application {application} has no case with an eligibility rule; see `zemstvo cases list`"
                )));
            }
            for c in &cases {
                println!("{}", line(c));
                show_decision(c)?;
            }
            for a in store.assignments(Some(application)).await.map_err(input)? {
                println!(
                    "assignment: {} for citizen {}, {} a month from {} to {}, decided by {}",
                    a.measure,
                    a.citizen,
                    roubles(a.monthly_amount),
                    print::date(a.start_at),
                    a.end_at.map_or("-".into(), print::date),
                    a.decided_by
                );
            }
        }
        CasesCommand::Retry {
            application,
            plugin,
            actor,
        } => {
            let rule = store
                .retry_case(application, plugin.as_deref(), &actor)
                .await
                .map_err(input)?
                .map_err(input)?;
            println!(
                "application {application} goes back to {rule}: the host calls it again at its next tick"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_decision(c: &CaseRow) -> Result<(), CliError> {
    let Some(text) = &c.decision else {
        return Ok(());
    };
    if c.status != "decided" {
        println!("  why: {text}");
        return Ok(());
    }
    let decision: Decision = serde_json::from_str(text)
        .map_err(|e| input(format!("the stored decision does not read: {e}")))?;
    match &decision.verdict {
        Verdict::Deny { reasons } => {
            println!("  denied because:");
            for r in reasons {
                println!("    - {r}");
            }
        }
        Verdict::Approve { assignment } => {
            println!(
                "  approved: {} a month from {}{}",
                roubles(assignment.monthly_amount),
                print::date(assignment.start),
                assignment
                    .end
                    .map(|e| format!(" to {}", print::date(e)))
                    .unwrap_or_default()
            );
            for p in &assignment.payments {
                println!("    due {}  {}", print::date(p.due), roubles(p.amount));
            }
        }
    }
    println!("  how it was decided:");
    for step in &decision.trace {
        println!(
            "    {:<32} {:<28} from {}",
            step.name, step.value, step.source
        );
    }
    Ok(())
}
