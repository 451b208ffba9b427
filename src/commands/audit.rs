//! `zemstvo audit`: the decision records — verify their chain, read them.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that every decision record since the region started is intact: each record's
    /// hash and link, the numbering, the hosts' signed checkpoints. Names the first record
    /// that breaks the chain; exits 1 when one does.
    Verify {
        /// Accept checkpoints signed by these key ids only (as this command prints them);
        /// by default any key a host registered.
        #[arg(long = "trusted-key")]
        trusted_keys: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The latest decision records, or one run's record in full.
    Records {
        /// Records of this plugin only.
        #[arg(long)]
        plugin: Option<String>,
        /// One run's record, printed in full (JSON).
        #[arg(long)]
        run: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

pub async fn audit(args: AuditArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    let input = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    match args.command {
        AuditCommand::Verify { trusted_keys, json } => {
            let trusted = (!trusted_keys.is_empty()).then_some(trusted_keys.as_slice());
            let report = store.verify_decision_chain(trusted).await.map_err(input)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("the report serialises")
                );
            } else {
                print_report(&report);
            }
            Ok(if report.intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Records { plugin, run, limit } => {
            if let Some(run) = run {
                let record = store.decision_record(&run).await.map_err(input)?.ok_or_else(|| {
                    CliError::Input(format!(
                        "no decision record of run `{run}`; `zemstvo audit records` lists the latest"
                    ))
                })?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&record).expect("records serialise")
                );
                return Ok(ExitCode::SUCCESS);
            }
            let records = store
                .decision_records(plugin.as_deref(), limit)
                .await
                .map_err(input)?;
            for r in &records {
                println!(
                    "#{:<8} {}  {:<28} {:<8} logical {}  {}  {}",
                    r.seq,
                    print::timestamp(r.recorded_at),
                    r.plugin,
                    r.version,
                    print::timestamp(r.logical_time),
                    r.run_id,
                    &r.hash[..16]
                );
            }
            println!("{} record(s)", records.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_report(report: &zemstvo_store::records::ChainReport) {
    let average = if report.records > 0 {
        report.body_bytes / report.records as u64
    } else {
        0
    };
    match &report.broken {
        None => println!(
            "decision records: intact — {} record(s), {} byte(s) of bodies ({average} per record), {} checkpoint(s)",
            report.records, report.body_bytes, report.checkpoints
        ),
        Some(b) => {
            println!(
                "decision records: BROKEN at record #{} ({:?})",
                b.seq, b.kind
            );
            println!("  {}", b.message);
            println!(
                "  the {} record(s) before it verified, with {} checkpoint(s)",
                report.records, report.checkpoints
            );
        }
    }
    match report.last_checkpoint {
        Some(seq) => println!(
            "last verified checkpoint: #{seq}; {} record(s) after it are not yet covered by a signature",
            report.records - seq
        ),
        None => println!(
            "no checkpoint verified yet: the hosts sign one every N records and when they stop"
        ),
    }
    for (key, host) in &report.keys {
        println!("checkpoint key {key} (host {host})");
    }
}
