//! `zemstvo appeals`: citizens' appeals and incidents — the classifier catalogue, who executes
//! and curates each authority, the Open311 channels and their keys, the appeals themselves,
//! the executor's answer, the applicant's verdict, root causes, and the curators' report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_core::appeals::Catalogue;
use zemstvo_store::appeals::{AppealFigures, AppealFilter};
use zemstvo_web::auth::{hash_secret, new_secret};

use super::DatabaseArgs;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct AppealsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: AppealsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AppealsCommand {
    /// Load a version of the classifier catalogue (JSON) and make it the active one.
    Catalogue {
        file: PathBuf,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Name the employee who executes an authority's incidents and its curator.
    Authority {
        /// The authority's code in the catalogue.
        code: String,
        #[arg(long)]
        executor: u64,
        #[arg(long)]
        curator: Option<u64>,
    },
    /// Register a system that files appeals over Open311 and print its new API key (shown
    /// once; a channel registered again gets a new key and the old one stops working).
    ChannelAdd { name: String },
    /// Appeals, newest first.
    List {
        /// received, review, assigned, answered, closed or reopened.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One appeal with its classification, incident and history.
    Show { appeal: u64 },
    /// The executor's answer to an incident (all its appeals).
    Answer {
        incident: u64,
        text: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The applicant's verdict on the answer to an appeal.
    Verdict {
        appeal: u64,
        #[arg(value_parser = ["accept", "reject"])]
        verdict: String,
        #[arg(long)]
        rating: Option<u8>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// The curators' figures: by state, and per category, territory and authority.
    Report {
        #[arg(long)]
        json: bool,
    },
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub async fn appeals(args: AppealsArgs) -> Result<ExitCode, CliError> {
    let store = args.database.open().await?;
    match args.command {
        AppealsCommand::Catalogue { file, actor } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| input(format!("cannot read {}: {e}", file.display())))?;
            let catalogue: Catalogue = serde_json::from_str(&text).map_err(|e| {
                input(format!(
                    "{} is not a catalogue ({e}); see plugins/appeal-router/catalogue.json for the shape",
                    file.display()
                ))
            })?;
            store
                .load_appeal_catalogue(&catalogue, &actor)
                .await
                .map_err(input)?;
            println!(
                "catalogue {} is active: {} categories, {} authorities, {} territories outlined",
                catalogue.version,
                catalogue.categories.len(),
                catalogue.authorities.len(),
                catalogue.territories.len()
            );
        }
        AppealsCommand::Authority {
            code,
            executor,
            curator,
        } => {
            let known = store.active_employees(&[executor]).await.map_err(input)?;
            if !known.contains(&executor) {
                return Err(input(format!(
                    "employee {executor} is not an active employee of the region"
                )));
            }
            store
                .set_appeal_authority(&code, executor, curator)
                .await
                .map_err(input)?;
            println!("authority {code}: executor {executor}, curator {curator:?}");
        }
        AppealsCommand::ChannelAdd { name } => {
            // Made and kept as API tokens are: shown once, stored as its sha256.
            let key = new_secret().map_err(|e| input(e.detail))?;
            store
                .add_appeal_channel(&name, &hash_secret(&key))
                .await
                .map_err(input)?;
            println!("channel {name}: api_key={key}");
            println!("(shown once; the region keeps only its sha256)");
        }
        AppealsCommand::List {
            status,
            limit,
            json,
        } => {
            let rows = store
                .appeals(&AppealFilter {
                    statuses: status.into_iter().collect(),
                    limit,
                    ..AppealFilter::default()
                })
                .await
                .map_err(input)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows).map_err(input)?);
            } else {
                for a in &rows {
                    println!(
                        "appeal {:<7} {:<10} {:<24} {:<14} incident {:<7} {}",
                        a.id,
                        a.status,
                        a.category.as_deref().unwrap_or("—"),
                        a.territory.as_deref().unwrap_or("—"),
                        a.incident_id.map_or("—".into(), |i| i.to_string()),
                        print::timestamp(a.received_at)
                    );
                }
            }
        }
        AppealsCommand::Show { appeal } => {
            let a = store.appeal(appeal).await.map_err(input)?;
            println!(
                "appeal {} from {} ({})",
                a.id,
                a.channel,
                print::timestamp(a.received_at)
            );
            println!("  text: {}", a.text);
            if let (Some(lat), Some(lon)) = (a.lat, a.lon) {
                println!("  place: {lat:.6}, {lon:.6}");
            }
            if let Some(address) = &a.address {
                println!("  address: {address}");
            }
            println!("  status: {}", a.status);
            println!(
                "  category: {} (catalogue {}), urgency {}, impact {}",
                a.category.as_deref().unwrap_or("not classified"),
                a.catalogue_version.as_deref().unwrap_or("—"),
                a.urgency.as_deref().unwrap_or("—"),
                a.impact.as_deref().unwrap_or("—"),
            );
            println!(
                "  authority: {}; incident: {}; due: {}",
                a.authority.as_deref().unwrap_or("—"),
                a.incident_id.map_or("—".into(), |i| i.to_string()),
                a.due_at.map_or("—".into(), print::timestamp)
            );
            if let Some(answer) = &a.answer {
                println!("  answer: {answer}");
            }
            if let Some(verdict) = &a.verdict {
                println!("  applicant: {verdict}, rating {:?}", a.rating);
            }
            if let Some(by) = &a.routed_by {
                println!("  routed by {by}");
            }
            println!("history:");
            for h in store.appeal_history(appeal).await.map_err(input)? {
                println!(
                    "  {}  {:<9} {}{}",
                    print::timestamp(h.at),
                    h.status,
                    h.actor,
                    h.note.map(|n| format!(": {n}")).unwrap_or_default()
                );
            }
        }
        AppealsCommand::Answer {
            incident,
            text,
            actor,
        } => {
            store
                .answer_incident(incident, &text, &actor, now())
                .await
                .map_err(input)?;
            println!("incident {incident} answered; its applicants are asked for their verdict");
        }
        AppealsCommand::Verdict {
            appeal,
            verdict,
            rating,
            comment,
        } => {
            let accepted = verdict == "accept";
            store
                .appeal_verdict(
                    appeal,
                    accepted,
                    rating,
                    comment.as_deref(),
                    "applicant",
                    now(),
                )
                .await
                .map_err(input)?;
            println!(
                "appeal {appeal}: {}",
                if accepted {
                    "closed"
                } else {
                    "reopened to the executor, the curator watching"
                }
            );
        }
        AppealsCommand::Report { json } => {
            let report = store.appeal_report(now()).await.map_err(input)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).map_err(input)?);
            } else {
                println!(
                    "appeals {}: in review {}, open {}, answered {}, closed {}, reopened {}",
                    report.appeals,
                    report.in_review,
                    report.open,
                    report.answered,
                    report.closed,
                    report.reopened
                );
                println!(
                    "incidents {} ({} appeals merged into them), overdue {}, root causes {}, change requests {}",
                    report.incidents,
                    report.merged,
                    report.overdue,
                    report.root_causes,
                    report.change_requests
                );
                for (title, figures) in [
                    ("by category", &report.by_category),
                    ("by territory", &report.by_territory),
                    ("by authority", &report.by_authority),
                ] {
                    println!("{title}:");
                    for f in figures {
                        println!("  {}", figure(f));
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn figure(f: &AppealFigures) -> String {
    format!(
        "{:<26} {:>6} appeals, {:>6} answered, {} days to answer, {:.1} % reopened, rating {}",
        f.key,
        f.appeals,
        f.answered,
        f.mean_days_to_answer
            .map_or("—".into(), |d| format!("{d:.1}")),
        if f.answered == 0 {
            0.0
        } else {
            100.0 * f.reopened as f64 / f.answered as f64
        },
        f.mean_rating.map_or("—".into(), |r| format!("{r:.2}"))
    )
}
