//! The region host: one process's share of a region's work.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, Notify};
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::config::ParameterSpec;
use zemstvo_core::capabilities::data::RegionData;
use zemstvo_core::report::{FailureReason, PluginRef, RunOutputs, RunReport, RunStatus};
use zemstvo_host::local::LocalRun;
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, Runtime};
use zemstvo_outbox::delivery::{DeliveryStats, NotificationWorker};
use zemstvo_outbox::render::render;
use zemstvo_outbox::senders::{HttpGatewaySender, SmtpSender};
use zemstvo_outbox::smev::{
    HttpSmevTransport, SmevSimulator, SmevStats, SmevTransport, SmevWorker,
};
use zemstvo_store::data::SqlRegion;
use zemstvo_store::notifications::NewNotification;
use zemstvo_store::plugins::Installation;
use zemstvo_store::records::CheckpointSigner;
use zemstvo_store::runs::{CommitSummary, QueuedRun, RunCommit};
use zemstvo_store::{Store, StoreError};

use crate::listen::listen_for_changes;
use crate::round::RoundReport;
use crate::schedule::due_occurrence;
use crate::settings::{HostSettings, SmevSettings};

mod run;
pub use run::Runs;
mod serve;
pub use serve::Deliveries;

/// Why the host could not do something. Messages say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the database holds no region yet; create it with `zemstvo region-init --id ID --name \
         NAME` (or generate the demo region with `zemstvo demo`)"
    )]
    NoRegion,
    #[error("{0}")]
    Settings(String),
    #[error("{0}")]
    Plugin(String),
}

impl ServiceError {
    /// Whether the host must stop: its database is gone or replaced.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ServiceError::Store(e) if e.is_fatal())
    }
}

/// A run the host took from the queue, and what committing it did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub queued: QueuedRun,
    pub report: RunReport,
    /// `None` when the commit was refused because another host took the run over.
    pub committed: Option<CommitSummary>,
}

/// One host of a region.
pub struct RegionHost {
    store: Store,
    runtime: Arc<Runtime>,
    settings: HostSettings,
    region: Arc<dyn RegionData>,
    /// The region's time zone: what its schedules mean.
    pub(crate) time_zone: chrono_tz::Tz,
    /// Loaded plugins by component hash: a hash names exactly one component, so entries
    /// never go stale.
    loaded: Mutex<HashMap<String, LoadedPlugin>>,
    notifications: NotificationWorker,
    smev: Option<SmevWorker>,
    /// Woken when another host changes a plugin (PostgreSQL), to look for work at once.
    wake: Arc<Notify>,
    /// Set when the host is shutting down: work in flight finishes, nothing new is taken.
    stopping: Arc<AtomicBool>,
}

/// What an orderly shutdown gave back for other hosts to take at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    pub runs: u64,
    pub notifications: u64,
    pub smev_requests: u64,
}

/// An installed plugin ready to be called.
pub(crate) struct Prepared {
    pub plugin: LoadedPlugin,
    pub signer: Option<String>,
    pub grants: Grants,
    /// The stored settings, as the administrator gave them.
    pub config: Vec<(String, String)>,
    /// The plugin's effective-dated parameters with the region's entries merged in.
    pub parameters: Vec<ParameterSpec>,
}

impl RegionHost {
    pub async fn open(
        mut store: Store,
        runtime: Arc<Runtime>,
        settings: HostSettings,
    ) -> Result<Self, ServiceError> {
        let region = store.region().await?.ok_or(ServiceError::NoRegion)?;
        let audit = &settings.audit;
        let signer = match &audit.key_file {
            Some(path) => {
                CheckpointSigner::from_file(path, &settings.host_id, audit.checkpoint_every)
            }
            None => CheckpointSigner::ephemeral(&settings.host_id, audit.checkpoint_every),
        }
        .map_err(|e| ServiceError::Settings(e.to_string()))?;
        store.sign_checkpoints(signer);
        let time_zone =
            crate::schedule::parse_time_zone(&region.timezone).map_err(ServiceError::Settings)?;
        let host = settings.host_id.clone();
        let stopping = Arc::new(AtomicBool::new(false));
        let mut notifications =
            NotificationWorker::new(store.clone(), host.clone(), settings.retry.clone())
                .with_leases(settings.leases.outbox())
                .with_stop(stopping.clone());
        if let Some(smtp) = &settings.smtp {
            notifications = notifications.with_sender(
                "email",
                Arc::new(SmtpSender::new(smtp, &region.id).map_err(ServiceError::Settings)?),
            );
        }
        for (channel, gateway) in [
            ("sms", &settings.sms),
            ("voice", &settings.voice),
            ("portal", &settings.portal),
        ] {
            if let Some(config) = gateway {
                let sender =
                    HttpGatewaySender::new(config.clone()).map_err(ServiceError::Settings)?;
                notifications = notifications.with_sender(channel, Arc::new(sender));
            }
        }
        let transport: Option<Arc<dyn SmevTransport>> = match &settings.smev {
            SmevSettings::None => None,
            SmevSettings::Simulator(c) => Some(Arc::new(
                SmevSimulator::new(c.clone()).with_clock(settings.clock.clone()),
            )),
            SmevSettings::Http(c) => Some(Arc::new(
                HttpSmevTransport::new(c.clone()).map_err(ServiceError::Settings)?,
            )),
        };
        let smev = transport.map(|t| {
            SmevWorker::new(store.clone(), host, t, settings.retry.clone())
                .with_leases(settings.leases.outbox())
                .with_stop(stopping.clone())
                .with_clock(settings.clock.clone())
        });
        if let Some(worker) = &smev {
            worker.resume().await?;
        }
        Ok(RegionHost {
            region: Arc::new(SqlRegion::new(store.clone(), region.id)),
            time_zone,
            store,
            runtime,
            settings,
            loaded: Mutex::new(HashMap::new()),
            notifications,
            smev,
            wake: Arc::new(Notify::new()),
            stopping,
        })
    }

    /// Runs of batch plugins: the queue, schedules, triggers, why nothing runs.
    pub fn runs(&self) -> run::Runs<'_> {
        run::Runs { host: self }
    }

    /// Installing, upgrading, configuring and rolling back plugins, and the trust store.
    pub fn installations(&self) -> crate::install::Installations<'_> {
        crate::install::Installations { host: self }
    }

    /// Citizens' appeals: routed by the enabled appeal-routing plugin.
    pub fn appeals(&self) -> crate::appeals::Appeals<'_> {
        crate::appeals::Appeals { host: self }
    }

    /// Eligibility decisions: applications decided by the installed rules.
    pub fn decisions(&self) -> crate::decide::Decisions<'_> {
        crate::decide::Decisions { host: self }
    }

    /// Deliveries of notifications and SMEV requests, and SMEV answers.
    pub fn deliveries(&self) -> serve::Deliveries<'_> {
        serve::Deliveries { host: self }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &HostSettings {
        &self.settings
    }

    /// The region's time zone: schedules run in it, and the web pages show times in it.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.time_zone
    }

    /// The limits the host loads and runs components under.
    pub fn runtime_settings(&self) -> &zemstvo_host::runtime::RuntimeSettings {
        self.runtime().settings()
    }

    /// The runtime that loads and runs this host's plugins.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// A plugin loaded before, by component hash.
    pub(crate) async fn cached(&self, sha256: &str) -> Option<LoadedPlugin> {
        self.loaded.lock().await.get(sha256).cloned()
    }

    /// Keeps a loaded plugin for the runs to come.
    pub(crate) async fn remember(&self, plugin: LoadedPlugin) {
        self.loaded
            .lock()
            .await
            .insert(plugin.sha256.clone(), plugin);
    }

    /// The installed, enabled plugin `name` — verified, with its signer, grants, stored
    /// configuration (checked against its schema) and effective-dated parameters (with the
    /// region's entries) — or why it cannot run.
    pub(crate) async fn prepare_plugin(&self, name: &str) -> Result<Prepared, String> {
        let installation = self
            .store
            .installation(name)
            .await
            .map_err(|e| e.to_string())?
            .filter(|i| i.enabled)
            .ok_or_else(|| format!("plugin `{name}` is no longer installed and enabled"))?;
        let (plugin, signer) = self.load(&installation.sha256).await?;
        let grants = self.store.grants(name).await.map_err(|e| e.to_string())?;
        let config = self.store.config(name).await.map_err(|e| e.to_string())?;
        plugin
            .metadata
            .config
            .resolve(config.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| format!("the stored configuration of `{name}` is refused: {e}"))?;
        let parameters = self
            .parameters_of(&plugin, name)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Prepared {
            plugin,
            signer,
            grants,
            config,
            parameters,
        })
    }

    /// `plugin`'s effective-dated parameters with the region's entries for `name` merged in.
    pub(crate) async fn parameters_of(
        &self,
        plugin: &LoadedPlugin,
        name: &str,
    ) -> Result<Vec<ParameterSpec>, StoreError> {
        let entries = self.store.parameter_entries(name).await?;
        Ok(plugin
            .metadata
            .parameters
            .iter()
            .map(|spec| {
                spec.with_entries(
                    entries
                        .iter()
                        .filter(|e| e.name == spec.name)
                        .map(|e| &e.value),
                )
            })
            .collect())
    }

    pub(crate) fn region(&self) -> Arc<dyn RegionData> {
        self.region.clone()
    }

    /// Puts `wrap` around the backend the host's runs read the region through: how a
    /// benchmark or a diagnostic counts what runs read and how long the store took, without
    /// a second code path for runs.
    pub fn wrap_region_data(
        &mut self,
        wrap: impl FnOnce(Arc<dyn RegionData>) -> Arc<dyn RegionData>,
    ) {
        self.region = wrap(self.region.clone());
    }

    /// Loads an installed component by hash, verifying it again: a signed package against the
    /// region's trust store (so a changed byte or a key revoked since install is refused), an
    /// unsigned one only where development installs are allowed. Returns the plugin and its
    /// signer.
    async fn load(&self, sha256: &str) -> Result<(LoadedPlugin, Option<String>), String> {
        let (component, signer) = self.verified_component(sha256).await?;
        Ok((self.compiled(sha256, &component).await?, signer))
    }

    /// The component with this hash compiled, once per host: from the cache, or compiled and
    /// kept.
    pub(crate) async fn compiled(
        &self,
        sha256: &str,
        component: &[u8],
    ) -> Result<LoadedPlugin, String> {
        if let Some(p) = self.cached(sha256).await {
            return Ok(p);
        }
        let plugin = self
            .runtime
            .load(component)
            .await
            .map_err(|e| e.to_string())?;
        self.remember(plugin.clone()).await;
        Ok(plugin)
    }

    /// The installed component with this hash, verified again, and its signer.
    pub(crate) async fn verified_component(
        &self,
        sha256: &str,
    ) -> Result<(Vec<u8>, Option<String>), String> {
        let package = self
            .store
            .package(sha256)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the package {sha256} is missing from the store"))?;
        let component = match &package.package {
            Some(bytes) => {
                let trust = self
                    .installations()
                    .trust_store()
                    .await
                    .map_err(|e| e.to_string())?;
                let (signed, _) = trust.verify_bytes(bytes).map_err(|e| {
                    format!(
                        "{} {} no longer verifies: {e}",
                        package.name, package.version
                    )
                })?;
                signed.into_component()
            }
            None if self.settings.allow_unsigned => package.component.clone(),
            None => {
                return Err(format!(
                    "{} {} was installed unsigned; install a signed package (unsigned packages run only \
                     with allow_unsigned = true, for development)",
                    package.name, package.version
                ));
            }
        };
        let actual = hex::encode(Sha256::digest(&component));
        if actual != sha256 {
            return Err(format!(
                "the stored component of {} {} was changed (sha256 {actual}, installed as {sha256}); reinstall it",
                package.name, package.version
            ));
        }
        Ok((component, package.signer))
    }
}

pub(crate) fn now() -> i64 {
    zemstvo_core::clock::wall_now()
}
