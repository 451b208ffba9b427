//! What the registry commands share: progress bars for uploads and downloads, the registry
//! URL and admin token arguments, and how a refusal becomes an exit code.
//!
//! Exit codes follow the rest of the CLI: 2 for bad input (a file that cannot be read, an
//! argument that does not parse), 1 when the operation was refused or failed (a registry
//! refusal, an unreachable registry, a package that does not verify), 0 otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use zemstvo_registry::server::ADMIN_TOKEN_ENV;
use zemstvo_registry::{Client, Progress};

use crate::cli::CliError;

/// A progress bar on stderr for one transfer; invisible when stderr is not a terminal.
pub(crate) struct TransferBar {
    bar: ProgressBar,
}

impl TransferBar {
    pub(crate) fn new(label: &str) -> TransferBar {
        let bar = ProgressBar::new(0);
        // The template is a constant that indicatif accepts; a typo would show in every run.
        let style = ProgressStyle::with_template(
            "{msg:>12} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .expect("the progress template is valid")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_string());
        TransferBar { bar }
    }

    pub(crate) fn update(&self, progress: Progress) {
        if let Some(total) = progress.total {
            self.bar.set_length(total);
        }
        self.bar.set_position(progress.done);
    }

    pub(crate) fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `--registry URL`, also from `ZEMSTVO_REGISTRY`.
#[derive(Debug, Args)]
pub struct RegistryUrl {
    /// The registry's base URL, e.g. http://127.0.0.1:7878.
    #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL")]
    pub url: String,
}

impl RegistryUrl {
    pub(crate) fn client(&self) -> Result<Client, CliError> {
        Client::new(&self.url).map_err(|e| CliError::Input(e.to_string()))
    }
}

/// The registry and the operator's token: `ZEMSTVO_REGISTRY_ADMIN_TOKEN`, or a file.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub registry: RegistryUrl,

    /// A file holding the admin token (e.g. DATA_DIR/admin-token of `zemstvo registry
    /// serve`); by default the token is read from ZEMSTVO_REGISTRY_ADMIN_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
}

impl AdminArgs {
    /// A client carrying the admin token; never takes the token from the command line,
    /// where other users could see it.
    pub(crate) fn client(&self) -> Result<Client, CliError> {
        let token = match &self.admin_token_file {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                CliError::Input(format!(
                    "cannot read the admin token {}: {e}",
                    path.display()
                ))
            })?,
            None => std::env::var(ADMIN_TOKEN_ENV).map_err(|_| {
                CliError::Input(format!(
                    "this needs the registry's admin token: pass --admin-token-file FILE or set \
                     {ADMIN_TOKEN_ENV}"
                ))
            })?,
        };
        Ok(self.registry.client()?.with_admin_token(token.trim()))
    }
}

/// Exits 1 with `refused: …`: the operation was refused or failed (not bad input).
pub(crate) fn refused(message: impl std::fmt::Display) -> Result<ExitCode, CliError> {
    Err(CliError::Refused(message.to_string()))
}

/// `123 KiB` or `1.5 MiB`.
pub(crate) fn size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else {
        format!("{:.0} KiB", (n as f64 / 1024.0).max(1.0))
    }
}
