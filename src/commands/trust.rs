//! `zemstvo trust`: which vendor keys the region accepts, for which packages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_registry::key_files::read_public_key;
use zemstvo_registry::{KeyId, NamePattern, Revocation, RotationStatement, VendorId};

use super::DatabaseArgs;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a vendor's public key for packages whose names match the scopes.
    Add {
        /// The vendor's public-key.json.
        public_key: PathBuf,
        /// The vendor id the key signs for.
        #[arg(long)]
        vendor: String,
        /// Package names it may sign, e.g. `isu-*` (repeatable; default: every name).
        #[arg(long = "scope", value_name = "PATTERN")]
        scopes: Vec<String>,
    },
    /// The keys the region trusts, and the revoked ones.
    List,
    /// Stop trusting a key (it can be trusted again).
    Remove { key_id: String },
    /// Revoke a key: packages it signed no longer install or run.
    Revoke {
        key_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Apply a vendor's key rotation statement (rotation.json, signed by old and new key).
    Rotate { statement: PathBuf },
    /// Write the region's trust store (keys, scopes, revocations) to a file, for the `--trust`
    /// options of `zemstvo plugin verify` and `zemstvo plugin fetch`.
    Export {
        /// Where to write it (JSON; replaced if it exists).
        file: PathBuf,
    },
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

pub async fn trust(args: TrustArgs) -> Result<ExitCode, CliError> {
    let host = super::install::region_host(&args.database).await?;
    match args.command {
        TrustCommand::Add {
            public_key,
            vendor,
            scopes,
        } => {
            let key = read_public_key(&public_key)
                .map_err(|e| input(format!("{}: {e}", public_key.display())))?;
            let vendor = VendorId::new(vendor).map_err(input)?;
            let scope = if scopes.is_empty() {
                vec![NamePattern::any()]
            } else {
                scopes
                    .into_iter()
                    .map(NamePattern::new)
                    .collect::<Result<_, _>>()
                    .map_err(input)?
            };
            let shown: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
            let id = host
                .installations()
                .update_trust(
                    "cli",
                    "trust-add",
                    serde_json::json!({ "vendor": vendor.to_string(), "scope": shown }),
                    |t| t.trust(key, vendor.clone(), scope),
                )
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            println!(
                "the region now trusts key {id} of vendor {vendor} for {}",
                shown.join(", ")
            );
        }
        TrustCommand::List => {
            let trust = host.installations().trust_store().await.map_err(input)?;
            for (id, key) in trust.keys() {
                let scope: Vec<String> = key.scope.iter().map(|s| s.to_string()).collect();
                let from = key
                    .rotated_from
                    .as_ref()
                    .map(|k| format!(" (rotated from {k})"))
                    .unwrap_or_default();
                println!(
                    "{id}  vendor {}  scope {}{from}",
                    key.vendor,
                    scope.join(",")
                );
            }
            for r in trust.revocations() {
                println!("{}  REVOKED: {}", r.key_id, r.reason);
            }
        }
        TrustCommand::Remove { key_id } => {
            let id: KeyId = key_id.parse().map_err(input)?;
            let removed = host
                .installations()
                .update_trust(
                    "cli",
                    "trust-remove",
                    serde_json::json!({ "key": key_id }),
                    |t| Ok(t.distrust(&id)),
                )
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            println!(
                "{}",
                if removed {
                    format!("key {id} is no longer trusted")
                } else {
                    format!("key {id} was not trusted")
                }
            );
        }
        TrustCommand::Revoke { key_id, reason } => {
            let id: KeyId = key_id.parse().map_err(input)?;
            let revoked_at = time::OffsetDateTime::now_utc().unix_timestamp();
            host.installations()
                .update_trust(
                    "cli",
                    "trust-revoke",
                    serde_json::json!({ "key": key_id, "reason": reason }),
                    |t| {
                        t.revoke(Revocation {
                            key_id: id.clone(),
                            reason,
                            revoked_at,
                        });
                        Ok(())
                    },
                )
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            println!("key {id} is revoked: packages it signed no longer install or run");
        }
        TrustCommand::Export { file } => {
            let trust = host.installations().trust_store().await.map_err(input)?;
            trust.save(&file).map_err(input)?;
            println!(
                "wrote the region's trust store ({} key(s), {} revocation(s)) to {}; check a \
                 package against it with `zemstvo plugin verify PACKAGE --trust {}`",
                trust.keys().count(),
                trust.revocations().count(),
                file.display(),
                file.display()
            );
        }
        TrustCommand::Rotate { statement } => {
            let text = std::fs::read_to_string(&statement)
                .map_err(|e| input(format!("{}: {e}", statement.display())))?;
            let rotation: RotationStatement = serde_json::from_str(&text)
                .map_err(|e| input(format!("{}: {e}", statement.display())))?;
            let id = host
                .installations()
                .update_trust(
                    "cli",
                    "trust-rotate",
                    serde_json::json!({ "new": rotation.new_key_id().to_string() }),
                    |t| t.apply_rotation(&rotation),
                )
                .await
                .map_err(|e| CliError::Refused(e.to_string()))?;
            println!(
                "the region now trusts key {id}, rotated from {}",
                rotation.old_key_id()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
