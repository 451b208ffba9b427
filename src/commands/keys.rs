//! `zemstvo keys`: a vendor's signing keys — a new key pair, and a rotation to the next key.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_registry::key_files::{read_secret_key, write_key_pair, write_new};
use zemstvo_registry::{RotationStatement, SecretKey};

use super::transfer::{RegistryUrl, refused};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate an ed25519 key pair: signing-key.json (mode 0600) and public-key.json.
    New {
        /// The directory to write the two files into (created if missing; never overwritten).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Replace a signing key: a new key pair plus rotation.json, signed by both keys, that
    /// hands the old key's trust to the new one.
    Rotate {
        /// The current signing-key.json.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The directory for the new key pair and rotation.json.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also register the new key at this registry (the statement is the proof).
        #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL")]
        registry: Option<String>,
    },
}

pub async fn keys(args: KeysArgs) -> Result<ExitCode, CliError> {
    match args.command {
        KeysCommand::New { out } => {
            let key = SecretKey::generate().map_err(|e| CliError::Input(e.to_string()))?;
            let files = write_key_pair(&out, &key).map_err(|e| CliError::Input(e.to_string()))?;
            println!(
                "new ed25519 key {}: secret {} (mode 0600, keep it private), public {} (give it \
                 to the registry operator and to regions)",
                key.key_id(),
                files.secret.display(),
                files.public.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { key, out, registry } => rotate(key, out, registry).await,
    }
}

async fn rotate(
    old_path: PathBuf,
    out: PathBuf,
    registry: Option<String>,
) -> Result<ExitCode, CliError> {
    let old = read_secret_key(&old_path).map_err(|e| CliError::Input(e.to_string()))?;
    let new = SecretKey::generate().map_err(|e| CliError::Input(e.to_string()))?;
    let issued_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let statement = RotationStatement::new(&old, &new, issued_at);
    let files = write_key_pair(&out, &new).map_err(|e| CliError::Input(e.to_string()))?;
    let statement_path = out.join("rotation.json");
    // Our own struct of strings; it always serialises.
    let json = serde_json::to_vec_pretty(&statement).expect("statements serialise");
    write_new(&statement_path, &json, 0o644).map_err(|e| CliError::Input(e.to_string()))?;
    let registered = match registry {
        Some(url) => {
            let client = RegistryUrl { url: url.clone() }.client()?;
            if let Err(e) = client.submit_rotation(&statement).await {
                return refused(format!(
                    "the new key {} is written to {} but {url} refused it: {e}",
                    new.key_id(),
                    files.secret.display()
                ));
            }
            format!(", registered at {url}")
        }
        None => String::new(),
    };
    println!(
        "rotated key {} → {}: new secret {}, statement {}{registered}; sign new packages with \
         the new key",
        old.key_id(),
        new.key_id(),
        files.secret.display(),
        statement_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
