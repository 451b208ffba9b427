//! One module per `zemstvo` command.

pub mod demo;
pub mod inspect;
pub mod keys;
pub mod plugin;
pub mod registry;
pub mod run;
mod transfer;

use std::path::Path;

use zemstvo_host::{LoadedPlugin, Runtime, RuntimeSettings};

use crate::cli::{CliError, default_cache_dir};

/// A runtime with the on-disk artifact cache.
pub(crate) fn runtime() -> Result<Runtime, CliError> {
    Runtime::new(RuntimeSettings {
        cache_dir: Some(default_cache_dir()),
        ..RuntimeSettings::default()
    })
    .map_err(|e| CliError::Input(e.to_string()))
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
