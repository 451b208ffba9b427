//! One module per `zemstvo` command.

pub mod appeals;
pub mod audit;
pub mod build;
pub mod cases;
pub mod demo;
pub mod inspect;
pub mod install;
pub mod keys;
pub mod new;
pub mod parameters;
pub mod plugin;
pub mod region;
pub mod registry;
pub mod replay;
pub mod rollout;
pub mod run;
pub mod serve;
pub mod shadow;
pub mod tasks;
mod transfer;
pub mod trust;
pub mod users;
pub mod web;

use std::path::Path;

use clap::Args;
use zemstvo_host::{LoadedPlugin, Runtime, RuntimeSettings};
use zemstvo_store::Store;

use crate::cli::{CliError, default_cache_dir};

/// The region's database, for the commands that work on a region.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DATABASE`.
    #[arg(
        long,
        global = true,
        env = "ZEMSTVO_DATABASE",
        default_value = "sqlite://zemstvo-demo.db",
        value_name = "URL"
    )]
    pub database: String,
}

impl DatabaseArgs {
    pub async fn open(&self) -> Result<Store, CliError> {
        Store::open(&self.database)
            .await
            .map_err(|e| CliError::Input(e.to_string()))
    }

    /// Opens a region's database that must exist already (a host never creates one).
    pub async fn open_existing(&self) -> Result<Store, CliError> {
        Store::open_existing(&self.database)
            .await
            .map_err(|e| CliError::Input(e.to_string()))
    }
}

/// A runtime with the on-disk artifact cache. `ZEMSTVO_MAX_COMPONENT_BYTES` raises or lowers
/// the largest component it loads.
pub(crate) fn runtime() -> Result<Runtime, CliError> {
    let mut settings = RuntimeSettings {
        cache_dir: Some(default_cache_dir()),
        ..RuntimeSettings::default()
    };
    if let Ok(value) = std::env::var("ZEMSTVO_MAX_COMPONENT_BYTES") {
        settings.max_component_bytes = value.trim().parse().map_err(|_| {
            CliError::Input(format!(
                "ZEMSTVO_MAX_COMPONENT_BYTES is `{value}`; give a number of bytes"
            ))
        })?;
    }
    Runtime::new(settings).map_err(|e| CliError::Input(e.to_string()))
}

/// Reads and loads a plugin file, naming the file in any error.
pub(crate) async fn load_file(runtime: &Runtime, path: &Path) -> Result<LoadedPlugin, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    runtime
        .load(&bytes)
        .await
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}
