//! `zemstvo plugin`: what a vendor does with a plugin — create the crate (`new.rs`), build it
//! as its tests do (`build.rs`), pack and sign it, check the package, publish it — and
//! finding and fetching packages from a registry or a mirror.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use zemstvo_registry::key_files::read_secret_key;
use zemstvo_registry::manifest::current_host_version;
use zemstvo_registry::package::package_sha256;
use zemstvo_registry::{
    Manifest, Package, PackageSource, PackageSpec, SecretKey, TrustStore, VendorId,
};

use super::transfer::{RegistryUrl, TransferBar, refused, size};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub command: PluginCommand,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate of a kind that builds and passes `cargo test` as generated.
    New(super::new::NewArgs),
    /// Build a plugin crate exactly as its `cargo test` does and print the component's path.
    Build(super::build::BuildArgs),
    /// Pack a plugin (a crate directory, built as `cargo test` builds it, or a component
    /// file) and sign its manifest: one package file for the registry.
    Pack(PackArgs),
    /// Check a package file: its component hash and signatures, against a trust store if
    /// given.
    Verify {
        file: PathBuf,
        /// A trust store (`zemstvo trust export FILE` writes the region's); without it only
        /// the package's own consistency is checked.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// Publish a package file, proving with your key that you are its vendor.
    Publish {
        file: PathBuf,
        #[command(flatten)]
        registry: RegistryUrl,
        /// Your signing-key.json (registered at the registry for your vendor).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Search a registry (or a mirror directory) for packages.
    Search {
        /// Text in the name, title, description or vendor; empty lists everything.
        #[arg(default_value = "")]
        query: String,
        /// A registry URL or a mirror directory.
        #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL|DIR")]
        source: String,
    },
    /// Resolve NAME@REQUIREMENT and download the package file (no install).
    Fetch {
        /// e.g. isu-smev-answer-delay@^1.2 (a bare name means the latest).
        spec: String,
        /// A registry URL or a mirror directory.
        #[arg(long = "registry", env = "ZEMSTVO_REGISTRY", value_name = "URL|DIR")]
        source: String,
        /// Where to write the package file.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Verify the download against this trust store (`zemstvo trust export FILE`) before
        /// writing it.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    #[command(flatten)]
    Region(super::install::RegionPluginCommand),
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The plugin: its crate's directory (built first, as `cargo test` builds it), or a
    /// component file built for wasm32-wasip2.
    pub plugin: PathBuf,
    /// Your signing-key.json (repeat to co-sign, e.g. with old and new key while rotating).
    #[arg(long = "key", value_name = "FILE", required = true)]
    pub keys: Vec<PathBuf>,
    /// Your vendor id at the registry.
    #[arg(long, value_name = "ID")]
    pub vendor: String,
    /// Where to write the package.
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// The oldest host that can run the plugin (default: this zemstvo's version).
    #[arg(long, value_name = "VERSION")]
    pub min_host_version: Option<String>,
}

pub async fn plugin(args: PluginArgs) -> Result<ExitCode, CliError> {
    match args.command {
        PluginCommand::New(args) => super::new::new(args).await,
        PluginCommand::Build(args) => super::build::build(args).await,
        PluginCommand::Pack(args) => pack(args).await,
        PluginCommand::Region(command) => super::install::run(command).await,
        PluginCommand::Verify { file, trust } => verify(&file, trust.as_deref()),
        PluginCommand::Publish {
            file,
            registry,
            key,
        } => publish(&file, &registry, &key).await,
        PluginCommand::Search { query, source } => search(&query, &source).await,
        PluginCommand::Fetch {
            spec,
            source,
            out,
            trust,
        } => fetch(&spec, &source, &out, trust.as_deref()).await,
    }
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::Input(e.to_string())
}

/// Reads a `--trust` file. A missing file is an error here (not an empty store that trusts
/// nothing): the user meant a file, and a typo must not read as "untrusted".
fn trust_file(path: &Path) -> Result<TrustStore, CliError> {
    if !path.is_file() {
        return Err(input(format!(
            "there is no trust store at {}; write the region's with `zemstvo trust export {}`",
            path.display(),
            path.display()
        )));
    }
    TrustStore::load(path).map_err(input)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| input(format!("cannot read {}: {e}", path.display())))
}

/// Writes `bytes` to `path` through a temporary file, so a failed write leaves no half
/// package behind.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            input(format!("cannot write {}: {e}", path.display()))
        })
}

async fn pack(args: PackArgs) -> Result<ExitCode, CliError> {
    let vendor = VendorId::new(args.vendor).map_err(input)?;
    let min_host_version = match &args.min_host_version {
        Some(v) => semver::Version::parse(v)
            .map_err(|e| input(format!("--min-host-version `{v}`: {e}")))?,
        None => current_host_version(),
    };
    let keys = args
        .keys
        .iter()
        .map(|k| read_secret_key(k).map_err(input))
        .collect::<Result<Vec<SecretKey>, _>>()?;
    let component_path = if args.plugin.is_dir() {
        let built = super::build::build_crate(&args.plugin)?;
        eprintln!(
            "packing {} — the component `cargo test` runs",
            built.path.display()
        );
        built.path
    } else {
        args.plugin.clone()
    };
    let runtime = super::runtime()?;
    let component = read(&component_path)?;
    let plugin = super::load_file(&runtime, &component_path).await?;
    let manifest = Manifest::from_plugin(&plugin, &component, vendor, min_host_version)
        .map_err(|e| input(format!("{}: {e}", component_path.display())))?;
    let key_refs: Vec<&SecretKey> = keys.iter().collect();
    let package = Package::sign(manifest, component, &key_refs).map_err(input)?;
    let bytes = package.to_bytes();
    write_file(&args.out, &bytes)?;
    let m = package.manifest();
    let signers: Vec<String> = keys.iter().map(|k| k.key_id().to_string()).collect();
    println!(
        "packed {} {} ({}) for vendor {}, signed by {}: {} ({}, package sha256 {})",
        m.name,
        m.version,
        m.kind,
        m.vendor,
        signers.join(" and "),
        args.out.display(),
        size(bytes.len() as u64),
        package_sha256(&bytes)
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(file: &Path, trust: Option<&Path>) -> Result<ExitCode, CliError> {
    let bytes = read(file)?;
    let package = match Package::read(&bytes) {
        Ok(p) => p,
        Err(e) => return refused(format!("{}: {e}", file.display())),
    };
    let m = package.manifest();
    match trust {
        Some(path) => {
            let store = trust_file(path)?;
            match store.verify(&package) {
                Ok(v) => {
                    println!(
                        "verified {} {} ({}) from vendor {}: component sha256 {} matches, \
                         signed by trusted key {}",
                        m.name, m.version, m.kind, v.vendor, v.component_sha256, v.key_id
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(format!("{}: {e}", file.display())),
            }
        }
        None => match package.check_self_consistent() {
            Ok(signers) => {
                let signers: Vec<String> = signers.iter().map(ToString::to_string).collect();
                println!(
                    "{} {} ({}) from vendor {}: component sha256 matches, signature by key {} \
                     is valid — not checked against a trust store (pass --trust FILE)",
                    m.name,
                    m.version,
                    m.kind,
                    m.vendor,
                    signers.join(", ")
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refused(format!("{}: {e}", file.display())),
        },
    }
}

async fn publish(file: &Path, registry: &RegistryUrl, key: &Path) -> Result<ExitCode, CliError> {
    let bytes = read(file)?;
    let key = read_secret_key(key).map_err(input)?;
    // Catch a broken file here rather than after an upload.
    if let Err(e) = Package::read(&bytes) {
        return refused(format!("{}: {e}", file.display()));
    }
    let client = registry.client()?;
    let bar = TransferBar::new("uploading");
    let result = client.publish(bytes, &key, &mut |p| bar.update(p)).await;
    bar.finish();
    match result {
        Ok(p) => {
            println!(
                "published {} {} to {} (package sha256 {}, signed by {})",
                p.name,
                p.version,
                client.url(),
                p.package_sha256,
                p.signed_by
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

async fn search(query: &str, source: &str) -> Result<ExitCode, CliError> {
    let source = PackageSource::open(source).map_err(input)?;
    let found = match source.search(query).await {
        Ok(found) => found,
        Err(e) => return refused(e),
    };
    if found.is_empty() {
        println!("no packages match `{query}`");
    }
    for p in found {
        let latest = p
            .latest
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(all yanked)".to_string());
        println!(
            "{} {latest} ({}, {} version{}) by {}: {}",
            p.name,
            p.kind,
            p.versions,
            if p.versions == 1 { "" } else { "s" },
            p.vendor,
            p.title
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn fetch(
    spec: &str,
    source: &str,
    out: &Path,
    trust: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let spec: PackageSpec = spec.parse().map_err(input)?;
    let trust = trust.map(trust_file).transpose()?;
    let source = PackageSource::open(source).map_err(input)?;
    let info = match source.resolve(&spec.name, &spec.req).await {
        Ok(info) => info,
        Err(e) => return refused(e),
    };
    let bar = TransferBar::new("downloading");
    bar.set_message(format!("{} {}", info.name, info.version));
    let bytes = source.fetch(&info, &mut |p| bar.update(p)).await;
    bar.finish();
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => return refused(e),
    };
    let checked = match &trust {
        Some(store) => match store.verify_bytes(&bytes) {
            Ok((_, v)) => format!(", verified: signed by trusted key {}", v.key_id),
            Err(e) => return refused(format!("{} {}: {e}", info.name, info.version)),
        },
        None => ", not verified (pass --trust FILE)".to_string(),
    };
    write_file(out, &bytes)?;
    if info.yanked {
        eprintln!(
            "warning: {} {} is yanked; you get it because you pinned it exactly",
            info.name, info.version
        );
    }
    println!(
        "fetched {} {} (matches {}) to {} ({}){checked}",
        info.name,
        info.version,
        spec.req,
        out.display(),
        size(bytes.len() as u64)
    );
    Ok(ExitCode::SUCCESS)
}
