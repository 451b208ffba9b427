//! `zemstvo plugin build [DIR]`: builds a plugin crate exactly as its `cargo test` does — the
//! SDK harness and this command both call `zemstvo_plugin_builder` with the same profile,
//! target and directory — and prints the component's path, so that what is tested is what is
//! run, inspected and packed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::Args;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zemstvo_plugin_builder::{BuildError, Progress};

use super::transfer::size;
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin crate's directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// A plugin crate's component, built.
#[derive(Debug, Clone)]
pub struct BuiltPlugin {
    pub package: String,
    pub version: String,
    /// Where the component is: the file `cargo test` loads too.
    pub path: PathBuf,
}

pub async fn build(args: BuildArgs) -> Result<ExitCode, CliError> {
    let built = build_crate(&args.dir)?;
    let bytes = std::fs::read(&built.path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", built.path.display())))?;
    eprintln!(
        "built {} {} ({}, component sha256 {}); this is the component `cargo test` runs",
        built.package,
        built.version,
        size(bytes.len() as u64),
        hex::encode(Sha256::digest(&bytes)),
    );
    println!("{}", built.path.display());
    Ok(ExitCode::SUCCESS)
}

/// What `cargo metadata` says about the crate.
#[derive(Deserialize)]
struct Metadata {
    target_directory: PathBuf,
    packages: Vec<MetadataPackage>,
}

#[derive(Deserialize)]
struct MetadataPackage {
    name: String,
    version: String,
    manifest_path: PathBuf,
    targets: Vec<MetadataTarget>,
}

#[derive(Deserialize)]
struct MetadataTarget {
    crate_types: Vec<String>,
}

/// Builds the plugin crate in `dir` for wasm32-wasip2 with the plugin profile into the
/// directory its tests build into, showing cargo's progress. Errors say what to fix.
pub fn build_crate(dir: &Path) -> Result<BuiltPlugin, CliError> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(CliError::Input(format!(
            "{} has no Cargo.toml; give the plugin crate's directory (`zemstvo plugin new NAME` \
             creates one)",
            dir.display()
        )));
    }
    let manifest = manifest
        .canonicalize()
        .map_err(|e| CliError::Input(format!("{}: {e}", manifest.display())))?;
    let metadata = cargo_metadata(&manifest)?;
    let package = metadata
        .packages
        .iter()
        .find(|p| p.manifest_path == manifest)
        .ok_or_else(|| {
            CliError::Input(format!(
                "{} is a workspace manifest; give the directory of the plugin crate itself",
                manifest.display()
            ))
        })?;
    if !package
        .targets
        .iter()
        .any(|t| t.crate_types.iter().any(|c| c == "cdylib"))
    {
        return Err(CliError::Input(format!(
            "{} is not a plugin crate: a plugin is a component, so its Cargo.toml needs `[lib] \
             crate-type = [\"cdylib\"]`",
            package.name
        )));
    }
    let target_dir = zemstvo_plugin_builder::plugin_target_dir(&metadata.target_directory);
    let built = zemstvo_plugin_builder::build_as(
        &manifest,
        &[package.name.as_str()],
        &target_dir,
        Progress::Shown,
    );
    match built {
        Ok(mut paths) => Ok(BuiltPlugin {
            package: package.name.clone(),
            version: package.version.clone(),
            path: paths.remove(0),
        }),
        Err(e @ BuildError::Failed { .. }) => Err(CliError::Refused(e.to_string())),
        Err(e) => Err(CliError::Input(e.to_string())),
    }
}

fn cargo_metadata(manifest: &Path) -> Result<Metadata, CliError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|e| CliError::Input(format!("could not start cargo: {e}; is Rust installed?")))?;
    if !output.status.success() {
        return Err(CliError::Input(format!(
            "cargo cannot read {}:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| CliError::Input(format!("unexpected `cargo metadata` output: {e}")))
}
