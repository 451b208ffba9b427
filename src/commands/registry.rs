//! `zemstvo registry`: running a registry and administering it — vendors and their keys,
//! yanking, revoking keys — and carrying it to an air-gapped network (export, import).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Args, Subcommand};
use zemstvo_registry::api::NewVendor;
use zemstvo_registry::key_files::{read_public_key, write_new};
use zemstvo_registry::mirror::{export_store, import_into_store};
use zemstvo_registry::resolve::parse_version;
use zemstvo_registry::server::{ADMIN_TOKEN_ENV, AdminToken, AppState, ServerSettings};
use zemstvo_registry::store::Store;
use zemstvo_registry::{KeyId, NamePattern, PackageName, VendorId};

use super::transfer::{AdminArgs, TransferBar, refused};
use crate::cli::CliError;

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Run a registry: the HTTP API over SQLite (default) or PostgreSQL.
    Serve(ServeArgs),
    /// Vendors (operator).
    Vendor {
        #[command(subcommand)]
        command: VendorCommand,
    },
    /// Vendors' public keys (operator).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Hide a version from version ranges (an exact pin, `NAME@=X.Y.Z`, still gets it).
    Yank(YankArgs),
    /// Undo a yank.
    Unyank(YankArgs),
    /// Revoke a vendor's key: no more publishes with it; regions learn of it.
    RevokeKey {
        key_id: String,
        /// Why; regions show it to administrators when a package is refused.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        admin: AdminArgs,
    },
    /// Write the registry's packages, vendors and revocations to a mirror directory.
    #[command(group(ArgGroup::new("from").required(true).args(["registry", "database"])))]
    Export {
        dir: PathBuf,
        /// Export over HTTP from a running registry (what a region does).
        #[arg(long, value_name = "URL")]
        registry: Option<String>,
        /// Export straight from the registry's database (what the operator does).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
    /// Import a mirror directory into a registry's database (the air-gapped side).
    Import {
        dir: PathBuf,
        #[arg(long, env = "ZEMSTVO_REGISTRY_DATABASE", value_name = "URL")]
        database: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum VendorCommand {
    /// Register a vendor.
    Add {
        /// The vendor's id, e.g. lipetsk-soft.
        id: String,
        /// The vendor's name for people.
        #[arg(long)]
        name: Option<String>,
        /// Package names the vendor may publish: a name, a prefix like `isu-*`, or `*`
        /// (repeatable; default `*`).
        #[arg(long = "scope", value_name = "PATTERN")]
        scope: Vec<String>,
        #[command(flatten)]
        admin: AdminArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Register a vendor's public key (the public-key.json `zemstvo keys new` wrote).
    Add {
        vendor: String,
        public_key: PathBuf,
        #[command(flatten)]
        admin: AdminArgs,
    },
}

#[derive(Debug, Args)]
pub struct YankArgs {
    pub name: String,
    #[arg(value_name = "VERSION")]
    pub package_version: String,
    #[command(flatten)]
    pub admin: AdminArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB (default: sqlite in the data directory).
    #[arg(long, env = "ZEMSTVO_REGISTRY_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Address to listen on; port 0 picks a free port (the line printed says which).
    #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
    pub listen: String,
    /// Where the SQLite database and the admin token live.
    #[arg(long, env = "ZEMSTVO_REGISTRY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The largest package upload accepted, in MiB.
    #[arg(long, default_value_t = 32, value_name = "MIB")]
    pub max_upload_mb: usize,
}

pub async fn registry(args: RegistryArgs) -> Result<ExitCode, CliError> {
    let input = |e: &dyn std::fmt::Display| CliError::Input(e.to_string());
    match args.command {
        RegistryCommand::Serve(args) => serve(args).await,
        RegistryCommand::Vendor {
            command:
                VendorCommand::Add {
                    id,
                    name,
                    scope,
                    admin,
                },
        } => {
            let scope = scope
                .iter()
                .map(|p| NamePattern::new(p.as_str()).map_err(|e| input(&e)))
                .collect::<Result<Vec<_>, _>>()?;
            let vendor = NewVendor {
                id: VendorId::new(id).map_err(|e| input(&e))?,
                display_name: name,
                scope: (!scope.is_empty()).then_some(scope),
            };
            match admin.client()?.add_vendor(&vendor).await {
                Ok(v) => {
                    let scope: Vec<_> = v.scope.iter().map(|p| p.to_string()).collect();
                    println!(
                        "registered vendor {} ({}) for package names {}; register its key with \
                         `zemstvo registry key add {} public-key.json`",
                        v.id,
                        v.display_name,
                        scope.join(", "),
                        v.id
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        RegistryCommand::Key {
            command:
                KeyCommand::Add {
                    vendor,
                    public_key,
                    admin,
                },
        } => {
            let vendor = VendorId::new(vendor).map_err(|e| input(&e))?;
            let key = read_public_key(&public_key).map_err(|e| input(&e))?;
            match admin.client()?.add_key(&vendor, &key).await {
                Ok(id) => {
                    println!("registered key {id} for vendor {vendor}; it can publish now");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        RegistryCommand::Yank(args) => yank(args, true).await,
        RegistryCommand::Unyank(args) => yank(args, false).await,
        RegistryCommand::RevokeKey {
            key_id,
            reason,
            admin,
        } => {
            let key_id: KeyId = key_id.parse().map_err(|e| input(&e))?;
            match admin.client()?.revoke_key(&key_id, &reason).await {
                Ok(r) => {
                    println!(
                        "revoked key {} ({}); it cannot publish, and regions learn of it from \
                         the registry's key events",
                        r.key_id, r.reason
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        RegistryCommand::Export {
            dir,
            registry,
            database,
        } => export(&dir, registry, database).await,
        RegistryCommand::Import { dir, database } => {
            let store = Store::connect(&database).await.map_err(|e| input(&e))?;
            match import_into_store(&store, &dir).await {
                Ok(s) => {
                    println!(
                        "imported {}: {} new versions ({} already present), {} new vendors, {} \
                         new keys, {} new revocations",
                        dir.display(),
                        s.versions_added,
                        s.versions_present,
                        s.vendors_added,
                        s.keys_added,
                        s.revocations_added
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(format!("{}: {e}", dir.display())),
            }
        }
    }
}

async fn yank(args: YankArgs, yanked: bool) -> Result<ExitCode, CliError> {
    let name = PackageName::new(args.name).map_err(|e| CliError::Input(e.to_string()))?;
    let version =
        parse_version(&args.package_version).map_err(|e| CliError::Input(e.to_string()))?;
    match args
        .admin
        .client()?
        .set_yanked(&name, &version, yanked)
        .await
    {
        Ok(v) if yanked => {
            println!(
                "yanked {} {}: version ranges skip it; regions that have it keep it, and an exact \
                 pin (`{}@={}`) still fetches and installs it",
                v.name, v.version, v.name, v.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(v) => {
            println!(
                "un-yanked {} {}: resolution may choose it again",
                v.name, v.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

async fn export(
    dir: &Path,
    registry: Option<String>,
    database: Option<String>,
) -> Result<ExitCode, CliError> {
    let result = match (registry, database) {
        (Some(url), _) => {
            let client = super::transfer::RegistryUrl { url }.client()?;
            let bar = TransferBar::new("exporting");
            let result = client
                .export_mirror(dir, &mut |info, p| {
                    bar.set_message(format!("{} {}", info.name, info.version));
                    bar.update(p);
                })
                .await
                .map_err(|e| e.to_string());
            bar.finish();
            result
        }
        (None, database) => {
            let url = database.ok_or_else(|| {
                CliError::Input("pass --registry URL or --database URL".to_string())
            })?;
            let store = Store::connect(&url)
                .await
                .map_err(|e| CliError::Input(e.to_string()))?;
            export_store(&store, dir, &mut |_| {})
                .await
                .map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(count) => {
            println!(
                "exported {count} versions to {}; carry it over and run `zemstvo registry import \
                 {}` there, or install from it directly",
                dir.display(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

/// `DATA_DIR` by default: `$XDG_DATA_HOME/zemstvo/registry` or `~/.local/share/…`.
fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("zemstvo").join("registry")
}

/// The admin token: `ZEMSTVO_REGISTRY_ADMIN_TOKEN` if set, else `DATA_DIR/admin-token`,
/// created (mode 0600) on first start. The token itself is never printed.
fn admin_token(data_dir: &Path) -> Result<(AdminToken, String), CliError> {
    let input = |e: &dyn std::fmt::Display| CliError::Input(e.to_string());
    if let Ok(token) = std::env::var(ADMIN_TOKEN_ENV) {
        let token = AdminToken::new(&token).map_err(|e| input(&e))?;
        return Ok((token, format!("admin token from {ADMIN_TOKEN_ENV}")));
    }
    let path = data_dir.join("admin-token");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let token =
                AdminToken::new(&text).map_err(|e| input(&format!("{}: {e}", path.display())))?;
            Ok((token, format!("admin token in {}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = AdminToken::generate().map_err(|e| input(&e))?;
            write_new(&path, format!("{}\n", token.as_str()).as_bytes(), 0o600)
                .map_err(|e| input(&e))?;
            Ok((
                token,
                format!("new admin token written to {}", path.display()),
            ))
        }
        Err(e) => Err(input(&format!("cannot read {}: {e}", path.display()))),
    }
}

/// A database URL fit to print: the password in `scheme://user:password@host` replaced.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        _ => url.to_string(),
    }
}

async fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    let input = |e: &dyn std::fmt::Display| CliError::Input(e.to_string());
    let data_dir = args.data_dir.unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| input(&format!("cannot create {}: {e}", data_dir.display())))?;
    let database = args
        .database
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("registry.db").display()));
    let (token, token_note) = admin_token(&data_dir)?;
    let store = Store::connect(&database).await.map_err(|e| input(&e))?;
    let settings = ServerSettings {
        max_upload_bytes: args.max_upload_mb.clamp(1, 1024) << 20,
        // A published component must be what its manifest says (name, version, ...).
        components: Some(zemstvo_service::registry_component_check(
            std::sync::Arc::new(super::runtime()?),
        )),
        ..ServerSettings::default()
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| input(&format!("cannot listen on {}: {e}", args.listen)))?;
    let address = listener.local_addr().map_err(|e| input(&e))?;
    println!(
        "registry listening on http://{address} (database {}, {token_note})",
        redacted(&database)
    );
    let state = AppState::new(store, &token, settings);
    zemstvo_registry::server::run(listener, state, shutdown_signal())
        .await
        .map_err(|e| input(&format!("the registry stopped: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
