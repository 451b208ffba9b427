//! Installing, upgrading and rolling back signed plugins in a region.
//!
//! Every install goes through the region's trust store: the package's component must hash to
//! what its manifest pins, the manifest must carry a valid signature by a key the region
//! trusts for that package name and that no one revoked, the component must load and match
//! its manifest, and the host must be new enough. Only then is anything written, in one step;
//! a refusal leaves the region exactly as it was. The same verification runs again at every
//! load (`RegionHost::load`), so a package changed in the store after install, or signed by
//! a key revoked since, no longer runs.

use std::fmt;

use semver::Version;
use serde::Serialize;
use zemstvo_core::capabilities::{Capability, Grants};
use zemstvo_host::LoadedPlugin;
use zemstvo_registry::manifest::current_host_version;
use zemstvo_registry::{
    Manifest, Package, PackageSource, PackageSpec, Progress, SecretKey, TrustError, TrustStore,
    VendorId, Verified,
};
use zemstvo_store::StoreError;
use zemstvo_store::plugins::{Edit, StoredPackage};

use crate::host::RegionHost;

/// How an install should treat the region's current state.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Allow installing a lower version than the installed one.
    pub allow_downgrade: bool,
    /// Enable the plugin after installing it.
    pub enable: bool,
    /// Grant every capability the plugin declares (otherwise grants stay as they are, and a
    /// new plugin has none until the administrator grants them).
    pub grant_declared: bool,
    /// Who does it, for the history and the audit log.
    pub actor: String,
    /// Change only if the plugin is still at this revision (`If-Match`).
    pub if_revision: Option<i64>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            allow_downgrade: false,
            enable: false,
            grant_declared: false,
            actor: "admin".into(),
            if_revision: None,
        }
    }
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallAction {
    Installed,
    Upgraded,
    Downgraded,
    RolledBack,
    AlreadyInstalled,
}

impl fmt::Display for InstallAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InstallAction::Installed => "installed",
            InstallAction::Upgraded => "upgraded",
            InstallAction::Downgraded => "downgraded",
            InstallAction::RolledBack => "rolled back",
            InstallAction::AlreadyInstalled => "already installed",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InstallOutcome {
    pub name: String,
    pub version: String,
    pub previous: Option<String>,
    pub action: InstallAction,
    pub vendor: String,
    pub signer: String,
    /// Capabilities the plugin declares that the region has not granted.
    pub ungranted: Vec<Capability>,
}

/// Why an install was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "the region trusts no vendor key yet; add the vendor's public key with `zemstvo trust add`"
    )]
    NoTrustedKeys,
    #[error(
        "{name} is pinned at {version}; unpin it (`zemstvo plugin unpin {name}`) to change its version"
    )]
    Pinned { name: String, version: String },
    #[error(
        "{name} {to} is older than the installed {from}; a downgrade needs --allow-downgrade \
         (or `zemstvo plugin rollback {name}` to go back to the previous version)"
    )]
    Downgrade {
        name: String,
        from: String,
        to: String,
    },
    #[error("{0} has no earlier version in this region to roll back to")]
    NothingToRollBack(String),
    #[error("{0}")]
    Source(String),
    #[error("the package was refused: {0}")]
    Trust(#[from] TrustError),
    #[error("the package's component does not load: {0}")]
    Load(String),
    #[error("the package was refused: {0}")]
    Manifest(String),
    #[error(
        "{name} {version} needs zemstvo {needs} or newer; this host is {have}; upgrade the host"
    )]
    HostTooOld {
        name: String,
        version: String,
        needs: Version,
        have: Version,
    },
    #[error("{0}")]
    Schedule(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Installing, upgrading, configuring and rolling back plugins, and the region's trust
/// store. Got from [`RegionHost::installations`].
#[derive(Clone, Copy)]
pub struct Installations<'a> {
    pub(crate) host: &'a RegionHost,
}

impl Installations<'_> {
    /// The region's trust store (empty until a key is trusted).
    pub async fn trust_store(self) -> Result<TrustStore, StoreError> {
        match self.host.store().trust_document().await? {
            Some(doc) => serde_json::from_str(&doc).map_err(|e| {
                StoreError::Database(format!("the stored trust store is unreadable: {e}"))
            }),
            None => Ok(TrustStore::new()),
        }
    }

    /// Changes the trust store through `change`, saving it (with an audit entry) only if
    /// `change` succeeds; concurrent changes take turns (one transaction each).
    // The closure answers the same `InstallError` every install answers; boxing it here alone
    // would buy nothing.
    #[allow(clippy::result_large_err)]
    pub async fn update_trust<T>(
        self,
        actor: &str,
        action: &str,
        details: serde_json::Value,
        change: impl FnOnce(&mut TrustStore) -> Result<T, TrustError>,
    ) -> Result<T, InstallError> {
        self.host
            .store()
            .change_trust_document(actor, action, details, |doc| {
                let mut trust = match doc {
                    Some(doc) => serde_json::from_str(&doc).map_err(|e| {
                        StoreError::Database(format!("the stored trust store is unreadable: {e}"))
                    })?,
                    None => TrustStore::new(),
                };
                let out = change(&mut trust)?;
                let doc = serde_json::to_string(&trust)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                Ok::<_, InstallError>((doc, out))
            })
            .await
    }

    /// Learns the source's revocations and rotations (a registry publishes them).
    pub async fn learn_key_events(
        self,
        source: &PackageSource,
        actor: &str,
    ) -> Result<(), InstallError> {
        let events = source
            .key_events()
            .await
            .map_err(|e| InstallError::Source(e.to_string()))?;
        if events.revocations.is_empty() && events.rotations.is_empty() {
            return Ok(());
        }
        let revoked: Vec<String> = events
            .revocations
            .iter()
            .map(|r| r.key_id.to_string())
            .collect();
        self.update_trust(
            actor,
            "trust-sync",
            serde_json::json!({ "revoked": revoked }),
            |trust| {
                for r in events.revocations {
                    trust.revoke(r);
                }
                for rotation in &events.rotations {
                    // A rotation from a key the region does not trust is simply not ours.
                    let _ = trust.apply_rotation(rotation);
                }
                Ok(())
            },
        )
        .await
    }

    /// Resolves `spec` in `source`, downloads, verifies and installs it.
    pub async fn install_from(
        self,
        source: &PackageSource,
        spec: &PackageSpec,
        options: &InstallOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<InstallOutcome, InstallError> {
        self.learn_key_events(source, &options.actor).await?;
        let info = source
            .resolve(&spec.name, &spec.req)
            .await
            .map_err(|e| InstallError::Source(e.to_string()))?;
        if let Some(current) = self.host.store().installation(spec.name.as_str()).await?
            && current.version == info.version.to_string()
        {
            return self
                .already_installed(&current.name, &current.version)
                .await;
        }
        let bytes = source
            .fetch(&info, progress)
            .await
            .map_err(|e| InstallError::Source(e.to_string()))?;
        self.install_package(&bytes, options).await
    }

    /// Verifies and installs a package file's bytes.
    pub async fn install_package(
        self,
        bytes: &[u8],
        options: &InstallOptions,
    ) -> Result<InstallOutcome, InstallError> {
        let trust = self.trust_store().await?;
        if trust.keys().next().is_none() {
            return Err(InstallError::NoTrustedKeys);
        }
        let (package, verified) = trust.verify_bytes(bytes)?;
        let manifest = &verified.manifest;
        let name = manifest.name.to_string();
        let version = manifest.version.clone();
        let current = self.host.store().installation(&name).await?;
        let action = match &current {
            None => InstallAction::Installed,
            Some(c) if c.version == version.to_string() => {
                return self.already_installed(&name, &c.version).await;
            }
            Some(c) => {
                if c.pinned {
                    return Err(InstallError::Pinned {
                        name,
                        version: c.version.clone(),
                    });
                }
                let installed =
                    Version::parse(&c.version).map_err(|e| StoreError::Database(e.to_string()))?;
                if version < installed {
                    if !options.allow_downgrade {
                        return Err(InstallError::Downgrade {
                            name,
                            from: c.version.clone(),
                            to: version.to_string(),
                        });
                    }
                    InstallAction::Downgraded
                } else {
                    InstallAction::Upgraded
                }
            }
        };
        self.commit_install(
            &package,
            &verified,
            bytes,
            action,
            current.map(|c| c.version),
            options,
        )
        .await
    }

    /// Goes back to the version installed before the current one (the package the region
    /// already holds, verified again).
    pub async fn rollback(
        self,
        name: &str,
        options: &InstallOptions,
    ) -> Result<InstallOutcome, InstallError> {
        let current = self
            .host
            .store()
            .installation(name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("plugin `{name}` is not installed")))?;
        if current.pinned {
            return Err(InstallError::Pinned {
                name: name.into(),
                version: current.version,
            });
        }
        let history = self.host.store().history(name).await?;
        let previous = history
            .iter()
            .rev()
            .find(|h| h.sha256 != current.sha256)
            .ok_or_else(|| InstallError::NothingToRollBack(name.into()))?;
        let stored = self
            .host
            .store()
            .package(&previous.sha256)
            .await?
            .ok_or_else(|| InstallError::NothingToRollBack(name.into()))?;
        let bytes = stored.package.ok_or_else(|| {
            InstallError::Manifest(format!(
                "{name} {} was installed unsigned; reinstall it from a signed package",
                previous.version
            ))
        })?;
        let trust = self.trust_store().await?;
        let (package, verified) = trust.verify_bytes(&bytes)?;
        self.commit_install(
            &package,
            &verified,
            &bytes,
            InstallAction::RolledBack,
            Some(current.version),
            options,
        )
        .await
    }

    async fn already_installed(
        self,
        name: &str,
        version: &str,
    ) -> Result<InstallOutcome, InstallError> {
        let installation = self.host.store().installation(name).await?;
        let signer = match &installation {
            Some(i) => self
                .host
                .store()
                .package(&i.sha256)
                .await?
                .and_then(|p| p.signer)
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(InstallOutcome {
            name: name.into(),
            version: version.into(),
            previous: Some(version.into()),
            action: InstallAction::AlreadyInstalled,
            vendor: String::new(),
            signer,
            ungranted: Vec::new(),
        })
    }

    /// Loads and checks the verified package, then records it; nothing is written unless
    /// everything holds.
    async fn commit_install(
        self,
        package: &Package,
        verified: &Verified,
        bytes: &[u8],
        action: InstallAction,
        previous: Option<String>,
        options: &InstallOptions,
    ) -> Result<InstallOutcome, InstallError> {
        let manifest = &verified.manifest;
        let have = current_host_version();
        if manifest.min_host_version > have {
            return Err(InstallError::HostTooOld {
                name: manifest.name.to_string(),
                version: manifest.version.to_string(),
                needs: manifest.min_host_version.clone(),
                have,
            });
        }
        let plugin = self
            .host
            .runtime()
            .load(package.component())
            .await
            .map_err(|e| InstallError::Load(e.to_string()))?;
        manifest
            .check_matches(&plugin)
            .map_err(|e| InstallError::Manifest(e.to_string()))?;
        let name = manifest.name.to_string();
        let version = manifest.version.to_string();
        self.host
            .store()
            .add_package(&StoredPackage {
                sha256: plugin.sha256.clone(),
                name: name.clone(),
                version: version.clone(),
                kind: manifest.kind,
                wit_version: plugin.wit_version.clone(),
                manifest: String::from_utf8_lossy(package.manifest_bytes()).into_owned(),
                signatures: Some(
                    serde_json::to_string(package.envelope())
                        .map_err(|e| StoreError::Database(e.to_string()))?,
                ),
                component: package.component().to_vec(),
                package: Some(bytes.to_vec()),
                signer: Some(verified.key_id.to_string()),
            })
            .await?;
        let history_action = match action {
            InstallAction::Installed => "install",
            InstallAction::Upgraded => "upgrade",
            InstallAction::Downgraded => "downgrade",
            InstallAction::RolledBack => "rollback",
            InstallAction::AlreadyInstalled => "reinstall",
        };
        self.host
            .store()
            .install(
                &name,
                &version,
                &plugin.sha256,
                history_action,
                Edit::if_revision(&options.actor, options.if_revision),
            )
            .await?;
        let mut grants = self.host.store().grants(&name).await?;
        if options.grant_declared {
            grants = plugin.metadata.capabilities.iter().copied().collect();
            self.host
                .store()
                .set_grants(&name, &grants, &options.actor)
                .await?;
        }
        if options.enable {
            self.host
                .store()
                .set_enabled(&name, true, &options.actor)
                .await?;
        }
        let ungranted = plugin
            .metadata
            .capabilities
            .iter()
            .copied()
            .filter(|c| !grants.is_granted(*c))
            .collect();
        self.host.remember(plugin).await;
        Ok(InstallOutcome {
            name,
            version,
            previous,
            action,
            vendor: verified.vendor.to_string(),
            signer: verified.key_id.to_string(),
            ungranted,
        })
    }
}

/// Grants from capability names, refusing unknown ones.
pub fn parse_grants(names: &[String]) -> Result<Grants, String> {
    names
        .iter()
        .map(|n| n.parse::<Capability>().map_err(|e| e.to_string()))
        .collect()
}

impl Installations<'_> {
    /// Sets (or, with `None`, clears) the cron schedule of a batch plugin. Eligibility rules
    /// are called per application and take no schedule.
    pub async fn set_schedule(
        self,
        name: &str,
        schedule: Option<&str>,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), InstallError> {
        let installation = self.host.store().installation(name).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "plugin `{name}` is not installed; see `zemstvo plugin list`"
            ))
        })?;
        if schedule.is_some() && !installation.kind.is_batch() {
            return Err(InstallError::Schedule(format!(
                "{name} is an eligibility rule: the host calls it for each new application of its measures, never on a schedule"
            )));
        }
        if let Some(s) = schedule {
            crate::schedule::check_schedule(s).map_err(InstallError::Schedule)?;
        }
        self.host.store().set_schedule(name, schedule, edit).await?;
        Ok(())
    }

    /// The installed version of `name`, loaded: its declarations (configuration schema,
    /// parameters, capabilities). Compiled once per component, not per request.
    pub async fn installed_plugin(self, name: &str) -> Result<LoadedPlugin, InstallError> {
        let installation = self.host.store().installation(name).await?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "plugin `{name}` is not installed; see `zemstvo plugin list`"
            ))
        })?;
        if let Some(plugin) = self.host.cached(&installation.sha256).await {
            return Ok(plugin);
        }
        let package = self
            .host
            .store()
            .package(&installation.sha256)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("the package of `{name}` is missing")))?;
        self.host
            .compiled(&installation.sha256, &package.component)
            .await
            .map_err(InstallError::Load)
    }

    /// Sets a plugin's configuration after checking it against the installed version's
    /// schema; a setting the plugin does not accept changes nothing.
    pub async fn configure(
        self,
        name: &str,
        settings: &[(String, String)],
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), InstallError> {
        let plugin = self.installed_plugin(name).await?;
        plugin
            .metadata
            .config
            .resolve(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| InstallError::Manifest(format!("{name}: {e}")))?;
        self.host.store().set_config(name, settings, edit).await?;
        Ok(())
    }
}

/// The registry's publish check backed by this host's runtime: a published component is
/// loaded exactly as a region would load it, so a package whose manifest misdescribes its
/// code is refused at the registry. (The registry crate links no wasmtime; this is the glue.)
pub fn registry_component_check(
    runtime: std::sync::Arc<zemstvo_host::Runtime>,
) -> zemstvo_registry::server::ComponentCheck {
    zemstvo_registry::server::ComponentCheck(std::sync::Arc::new(RuntimeLoader(runtime)))
}

struct RuntimeLoader(std::sync::Arc<zemstvo_host::Runtime>);

impl zemstvo_registry::server::ComponentLoader for RuntimeLoader {
    fn load<'a>(&'a self, component: &'a [u8]) -> zemstvo_registry::server::Loading<'a> {
        Box::pin(async move {
            match self.0.load(component).await {
                Ok(plugin) => {
                    Ok(Box::new(plugin) as Box<dyn zemstvo_core::metadata::ComponentFacts + Send>)
                }
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// Packs `component` as its vendor would — the manifest from the loaded plugin, signed by
/// `keys` for `vendor` — for installing with [`Installations::install_package`]. What
/// `zemstvo plugin pack` does; the demo packs the reference plugins it ships with this, signed
/// by the demo vendor's key that the demo's trust store holds.
pub async fn pack(
    runtime: &zemstvo_host::Runtime,
    component: &[u8],
    vendor: &VendorId,
    keys: &[&SecretKey],
    min_host_version: semver::Version,
) -> Result<Package, InstallError> {
    let plugin = runtime
        .load(component)
        .await
        .map_err(|e| InstallError::Load(e.to_string()))?;
    let manifest = Manifest::from_plugin(&plugin, component, vendor.clone(), min_host_version)
        .map_err(|e| InstallError::Manifest(e.to_string()))?;
    Package::sign(manifest, component.to_vec(), keys)
        .map_err(|e| InstallError::Manifest(e.to_string()))
}

/// [`pack`]s `component` for `vendor`, signed by `key`, and installs the package through the
/// same checks as any other: for components that ship with the host — the demo's reference
/// plugins, signed by the demo vendor's key that the demo's trust store holds — and for
/// tests. Regions install packages their vendors signed ([`Installations::install_from`]).
pub async fn pack_and_install(
    host: &RegionHost,
    component: &[u8],
    vendor: &VendorId,
    key: &SecretKey,
    options: &InstallOptions,
) -> Result<InstallOutcome, InstallError> {
    let package = pack(
        host.runtime(),
        component,
        vendor,
        &[key],
        current_host_version(),
    )
    .await?;
    host.installations()
        .install_package(&package.to_bytes(), options)
        .await
}
