//! The region host: one process's share of a region's work.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, Notify};
use zemstvo_host::capabilities::Grants;
use zemstvo_host::capabilities::config::ParameterSpec;
use zemstvo_host::capabilities::data::RegionData;
use zemstvo_host::local::LocalRun;
use zemstvo_host::metadata::PluginMetadata;
use zemstvo_host::report::{FailureReason, PluginRef, RunOutputs, RunReport, RunStatus};
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, Runtime};
use zemstvo_outbox::delivery::{DeliveryStats, NotificationWorker};
use zemstvo_outbox::render::render;
use zemstvo_outbox::senders::{HttpGatewaySender, SmtpSender};
use zemstvo_outbox::smev::{
    HttpSmevTransport, SmevSimulator, SmevStats, SmevTransport, SmevWorker,
};
use zemstvo_store::data::SqlRegion;
use zemstvo_store::notifications::NewNotification;
use zemstvo_store::plugins::{Installation, StoredPackage};
use zemstvo_store::runs::{CommitSummary, QueuedRun, RunCommit};
use zemstvo_store::{Store, StoreError};

use crate::listen::listen_for_changes;
use crate::round::RoundReport;
use crate::schedule::due_occurrence;
use crate::settings::{HostSettings, SmevSettings};

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
        store: Store,
        runtime: Arc<Runtime>,
        settings: HostSettings,
    ) -> Result<Self, ServiceError> {
        let region = store.region().await?.ok_or(ServiceError::NoRegion)?;
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
            SmevSettings::Simulator(c) => Some(Arc::new(SmevSimulator::new(c.clone()))),
            SmevSettings::Http(c) => Some(Arc::new(
                HttpSmevTransport::new(c.clone()).map_err(ServiceError::Settings)?,
            )),
        };
        let smev = transport.map(|t| {
            SmevWorker::new(store.clone(), host, t, settings.retry.clone())
                .with_leases(settings.leases.outbox())
                .with_stop(stopping.clone())
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

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &HostSettings {
        &self.settings
    }

    pub(crate) fn runtime(&self) -> &Runtime {
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

    /// Installs a component unsigned, enabled with the grants it declares — for development
    /// and tests only: runs of unsigned packages are refused unless the host's settings say
    /// `allow_unsigned = true`. Regions install signed packages (`install_package`).
    pub async fn install_unsigned(
        &self,
        bytes: &[u8],
        schedule: Option<&str>,
        actor: &str,
    ) -> Result<PluginMetadata, ServiceError> {
        let plugin =
            self.runtime.load(bytes).await.map_err(|e| {
                ServiceError::Plugin(format!("the bundled plugin does not load: {e}"))
            })?;
        let m = plugin.metadata.clone();
        let manifest = serde_json::json!({
            "name": m.name,
            "version": m.version.to_string(),
            "kind": m.kind,
            "wit_version": plugin.wit_version,
            "capabilities": m.capabilities,
            "config": m.config,
            "sha256": plugin.sha256,
            "vendor": "zemstvo",
        });
        self.store
            .add_package(&StoredPackage {
                sha256: plugin.sha256.clone(),
                name: m.name.clone(),
                version: m.version.to_string(),
                kind: m.kind.name().to_string(),
                wit_version: plugin.wit_version.clone(),
                manifest: manifest.to_string(),
                signatures: None,
                component: bytes.to_vec(),
                package: None,
                signer: None,
            })
            .await?;
        let current = self.store.installation(&m.name).await?;
        if current.as_ref().is_none_or(|c| c.sha256 != plugin.sha256) {
            let action = if current.is_some() {
                "upgrade-unsigned"
            } else {
                "install-unsigned"
            };
            self.store
                .install(
                    &m.name,
                    &m.version.to_string(),
                    &plugin.sha256,
                    action,
                    actor,
                )
                .await?;
            let grants: Grants = m.capabilities.iter().copied().collect();
            self.store.set_grants(&m.name, &grants, actor).await?;
            self.store.set_schedule(&m.name, schedule, actor).await?;
            self.store.set_enabled(&m.name, true, actor).await?;
        }
        self.loaded
            .lock()
            .await
            .insert(plugin.sha256.clone(), plugin);
        Ok(m)
    }

    /// Enabled plugins that run as batches: all but eligibility rules, which the host calls
    /// per application (see `decide_applications`), never on a schedule.
    async fn enabled_batch_plugins(&self) -> Result<Vec<Installation>, ServiceError> {
        let rule = PluginKind::EligibilityRule.name();
        Ok(self
            .store
            .installations()
            .await?
            .into_iter()
            .filter(|i| i.enabled && i.kind != rule)
            .collect())
    }

    /// Queues one run of every enabled batch plugin at `logical_time`; returns their names.
    pub async fn enqueue_enabled(
        &self,
        cause: &str,
        logical_time: i64,
    ) -> Result<Vec<String>, ServiceError> {
        let mut queued = Vec::new();
        for i in self.enabled_batch_plugins().await? {
            if self
                .store
                .enqueue_run(&i.name, cause, logical_time, 0)
                .await?
            {
                queued.push(i.name);
            }
        }
        Ok(queued)
    }

    /// Queues the scheduled runs that are due at `now` (once per occurrence, whichever host
    /// asks first).
    pub async fn enqueue_scheduled(&self, now: i64) -> Result<usize, ServiceError> {
        let mut queued = 0;
        for i in self.enabled_batch_plugins().await? {
            let Some(schedule) = &i.schedule else {
                continue;
            };
            match due_occurrence(schedule, now, self.time_zone) {
                Ok(Some(at)) => {
                    queued += self.store.enqueue_run(&i.name, "schedule", at, at).await? as usize
                }
                Ok(None) => {}
                Err(why) => tracing::warn!(plugin = %i.name, "{why}"),
            }
        }
        Ok(queued)
    }

    /// Takes the next due run from the queue, runs it and commits it.
    pub async fn run_next(&self) -> Result<Option<RunOutcome>, ServiceError> {
        let host = self.settings.host_id.as_str();
        let Some(queued) = self.store.claim_run(host, self.settings.lease()).await? else {
            return Ok(None);
        };
        let Prepared {
            plugin,
            signer,
            grants,
            config,
            parameters,
        } = match self.prepare_plugin(&queued.plugin).await {
            Ok(ready) => ready,
            Err(why) => return self.refuse_run(queued, why).await.map(Some),
        };
        tracing::info!(plugin = %queued.plugin, run = %queued.run_id(), "run started");
        let started_at = now();
        let local = LocalRun {
            config,
            grants: Some(grants.clone()),
            now: Some(queued.logical_time),
            run_id: Some(queued.run_id()),
            limits: self.settings.limits.clone(),
            input: RunInput::Batch,
        };
        let mut request = local
            .request(&plugin, self.region.clone(), None)
            .map_err(|e| ServiceError::Plugin(e.to_string()))?;
        request.config.parameters = parameters;
        let resolved = request.config.values.clone();
        let mut report = self.runtime.run(&plugin, request).await;
        let notifications = match self.render(&report).await {
            Ok(n) => n,
            Err(why) => {
                fail(&mut report, why);
                Vec::new()
            }
        };
        let committed = unless_taken_over(
            self.store
                .commit_run(RunCommit {
                    report: &report,
                    queued: Some(&queued),
                    cause: &queued.cause,
                    host,
                    started_at,
                    grants: &grants,
                    config: &resolved,
                    signer: signer.as_deref(),
                    notifications,
                    case: None,
                })
                .await,
        )?;
        tracing::info!(plugin = %queued.plugin, run = %queued.run_id(), succeeded = report.succeeded(), "run committed");
        let status = if report.succeeded() {
            "succeeded"
        } else {
            "failed"
        };
        metrics::counter!("zemstvo_runs_total", "plugin" => queued.plugin.clone(), "status" => status)
            .increment(1);
        metrics::histogram!("zemstvo_run_seconds", "plugin" => queued.plugin.clone())
            .record(report.duration.as_secs_f64());
        Ok(Some(RunOutcome {
            queued,
            report,
            committed,
        }))
    }

    /// A claimed run whose plugin cannot run. If it is still installed and enabled, the
    /// refusal is recorded as a failed run with the reason — `zemstvo runs` and the plugin's
    /// state show it; if an administrator disabled or removed it meanwhile, the run is only
    /// abandoned (with the reason in the audit log).
    async fn refuse_run(&self, queued: QueuedRun, why: String) -> Result<RunOutcome, ServiceError> {
        let host = self.settings.host_id.as_str();
        tracing::warn!(plugin = %queued.plugin, "run refused: {why}");
        let installed = self
            .store
            .installation(&queued.plugin)
            .await?
            .filter(|i| i.enabled);
        let package = match &installed {
            Some(i) => self.store.package(&i.sha256).await?,
            None => None,
        };
        let report = RunReport {
            run_id: queued.run_id(),
            region: self.region.region().to_string(),
            plugin: PluginRef {
                name: queued.plugin.clone(),
                version: installed
                    .as_ref()
                    .map(|i| i.version.clone())
                    .unwrap_or_default(),
                kind: installed
                    .as_ref()
                    .and_then(|i| i.kind.parse::<PluginKind>().ok())
                    .unwrap_or(PluginKind::DeviationCheck),
                sha256: installed
                    .as_ref()
                    .map(|i| i.sha256.clone())
                    .unwrap_or_default(),
            },
            logical_time: queued.logical_time,
            status: RunStatus::Failed {
                reason: FailureReason::Refused {
                    message: why.clone(),
                },
            },
            duration: std::time::Duration::ZERO,
            peak_memory: 0,
            outputs: RunOutputs::default(),
            stdout: String::new(),
            stderr: String::new(),
        };
        let committed = match (&installed, &package) {
            (Some(_), Some(package)) => {
                let grants = self.store.grants(&queued.plugin).await?;
                unless_taken_over(
                    self.store
                        .commit_run(RunCommit {
                            report: &report,
                            queued: Some(&queued),
                            cause: &queued.cause,
                            host,
                            started_at: now(),
                            grants: &grants,
                            config: &Default::default(),
                            signer: package.signer.as_deref(),
                            notifications: Vec::new(),
                            case: None,
                        })
                        .await,
                )?
            }
            _ => {
                self.store.abandon_run(&queued, host, &why).await?;
                None
            }
        };
        Ok(RunOutcome {
            queued,
            report,
            committed,
        })
    }

    /// Runs queued runs until none is due.
    pub async fn drain_queue(&self) -> Result<Vec<RunOutcome>, ServiceError> {
        let mut outcomes = Vec::new();
        while !self.is_stopping()
            && let Some(outcome) = self.run_next().await?
        {
            outcomes.push(outcome);
        }
        Ok(outcomes)
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
        let entries = self
            .store
            .parameter_entries(name)
            .await
            .map_err(|e| e.to_string())?;
        let parameters = plugin
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
            .collect();
        Ok(Prepared {
            plugin,
            signer,
            grants,
            config,
            parameters,
        })
    }

    pub(crate) fn region(&self) -> Arc<dyn RegionData> {
        self.region.clone()
    }

    /// Loads an installed component by hash, verifying it again: a signed package against the
    /// region's trust store (so a changed byte or a key revoked since install is refused), an
    /// unsigned one only where development installs are allowed. Returns the plugin and its
    /// signer.
    async fn load(&self, sha256: &str) -> Result<(LoadedPlugin, Option<String>), String> {
        let (component, signer) = self.verified_component(sha256).await?;
        if let Some(p) = self.loaded.lock().await.get(sha256) {
            return Ok((p.clone(), signer));
        }
        let plugin = self
            .runtime
            .load(&component)
            .await
            .map_err(|e| e.to_string())?;
        self.loaded
            .lock()
            .await
            .insert(sha256.to_string(), plugin.clone());
        Ok((plugin, signer))
    }

    /// Why the installed plugin `name` would be refused at load — its package no longer
    /// verifies against the trust store, or it is unsigned where that is not allowed — or
    /// `None` if it would load (or is not installed). What `zemstvo plugin list` shows as its
    /// state; checks signatures and hashes only, compiles nothing.
    pub async fn refusal(&self, name: &str) -> Result<Option<String>, ServiceError> {
        let Some(installation) = self.store.installation(name).await? else {
            return Ok(None);
        };
        Ok(self.verified_component(&installation.sha256).await.err())
    }

    /// The installed component with this hash, verified again, and its signer.
    async fn verified_component(&self, sha256: &str) -> Result<(Vec<u8>, Option<String>), String> {
        let package = self
            .store
            .package(sha256)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the package {sha256} is missing from the store"))?;
        let component = match &package.package {
            Some(bytes) => {
                let trust = self.trust_store().await.map_err(|e| e.to_string())?;
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

    /// Renders a successful run's notifications for the outbox.
    async fn render(&self, report: &RunReport) -> Result<Vec<NewNotification>, String> {
        if !report.succeeded() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(report.outputs.notifications.len());
        for n in &report.outputs.notifications {
            let template = self
                .store
                .template(&n.template)
                .await
                .map_err(|e| e.to_string())?;
            let contact = self
                .store
                .contact(n.citizen)
                .await
                .map_err(|e| e.to_string())?;
            out.push(
                render(n, template.as_ref(), contact.as_ref())
                    .map_err(|e| format!("notification `{}`: {e}", n.key))?,
            );
        }
        Ok(out)
    }

    /// Delivers due notifications.
    pub async fn deliver_once(&self) -> Result<DeliveryStats, ServiceError> {
        Ok(self.notifications.deliver_once(500).await?)
    }

    /// Sends queued SMEV requests and takes answers.
    pub async fn smev_once(&self) -> Result<SmevStats, ServiceError> {
        let Some(worker) = &self.smev else {
            return Ok(SmevStats::default());
        };
        let mut stats = worker.send_once(500).await?;
        let received = worker.receive_once(500).await?;
        stats.applied = received.applied;
        stats.duplicates = received.duplicates;
        stats.unmatched = received.unmatched;
        Ok(stats)
    }

    /// Serves the region until `shutdown` resolves: schedules, runs, deliveries, answers.
    /// On shutdown the round in progress finishes what is in flight (the run, the message
    /// being sent) and takes nothing new, then this host's claims are released so other hosts
    /// take them at once. Stops with an error when the database is gone or replaced
    /// ([`StoreError::is_fatal`]) instead of working on into the void.
    pub async fn serve(&self, shutdown: impl Future<Output = ()>) -> Result<(), ServiceError> {
        let wake = self.wake.clone();
        let listener = tokio::spawn(listen_for_changes(self.store.clone(), move |_| {
            wake.notify_one()
        }));
        let served = self.serve_until(shutdown).await;
        listener.abort();
        match self.release_claims().await {
            Ok(r) if r == Released::default() => {}
            Ok(r) => tracing::info!(
                runs = r.runs,
                notifications = r.notifications,
                smev_requests = r.smev_requests,
                "released this host's claims for other hosts to take now"
            ),
            Err(e) => tracing::warn!(
                "cannot release this host's claims (they expire with their leases): {e}"
            ),
        }
        served
    }

    async fn serve_until(&self, shutdown: impl Future<Output = ()>) -> Result<(), ServiceError> {
        tokio::pin!(shutdown);
        // Rounds in a row that found the database unreachable: logged once, retried with
        // backoff (up to half a minute) instead of every poll.
        let mut unreachable = 0u32;
        loop {
            let mut result = self.store.check_health().await.map_err(ServiceError::from);
            let mut stop = false;
            if result.is_ok() {
                let tick = self.tick();
                tokio::pin!(tick);
                (result, stop) = tokio::select! {
                    r = &mut tick => (r.map(|_| ()), false),
                    _ = &mut shutdown => {
                        tracing::info!("stopping: finishing the work in flight, taking nothing new");
                        self.stop();
                        (tick.await.map(|_| ()), true)
                    }
                };
            }
            let mut pause = self.settings.poll_interval();
            match result {
                Ok(()) => {
                    if unreachable > 0 {
                        tracing::warn!("the database answers again; back to work");
                    }
                    unreachable = 0;
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(ServiceError::Store(StoreError::Unavailable(why))) => {
                    if unreachable == 0 {
                        tracing::error!(
                            "the database is unreachable ({why}); nothing is lost — claims wait \
                             for their leases — and this host tries again with backoff"
                        );
                    }
                    unreachable = unreachable.saturating_add(1);
                    pause = pause
                        .saturating_mul(1 << unreachable.min(8))
                        .min(std::time::Duration::from_secs(30));
                }
                // A database that is locked, or one item's failure: report, and go on.
                Err(e) => tracing::error!("{e}"),
            }
            if stop {
                return Ok(());
            }
            tokio::select! {
                _ = &mut shutdown => {
                    tracing::info!("stopping: nothing was in flight");
                    return Ok(());
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Asks the host to stop: work in flight finishes, no new work is taken.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Gives back everything this host has claimed and not started — queued runs, messages,
    /// SMEV requests — so other hosts take them at once instead of after the lease.
    pub async fn release_claims(&self) -> Result<Released, ServiceError> {
        let host = self.settings.host_id.as_str();
        Ok(Released {
            runs: self.store.release_runs(host).await?,
            notifications: self.store.release_notification_claims(host).await?,
            smev_requests: self.store.release_smev_claims(host).await?,
        })
    }

    /// One round of work, and what it did. Each kind of work runs even if an earlier one
    /// failed (a database hiccup while deciding must not hold up deliveries); the first
    /// failure is returned after all of them ran, the others are logged.
    pub async fn tick(&self) -> Result<RoundReport, ServiceError> {
        let mut failures = Vec::new();
        let report = RoundReport {
            scheduled: phase(self.enqueue_scheduled(now()).await, &mut failures),
            runs: phase(self.drain_queue().await, &mut failures),
            decisions: phase(self.decide_applications(200).await, &mut failures),
            smev: phase(self.smev_once().await, &mut failures),
            deliveries: phase(self.deliver_once().await, &mut failures),
        };
        let mut failures = failures.into_iter();
        match failures.next() {
            None => Ok(report),
            Some(first) => {
                for other in failures {
                    tracing::error!("{other}");
                }
                Err(first)
            }
        }
    }
}

/// What one kind of a round's work did, or nothing when it failed (kept for the round's end).
fn phase<T: Default>(result: Result<T, ServiceError>, failures: &mut Vec<ServiceError>) -> T {
    result.unwrap_or_else(|e| {
        failures.push(e);
        T::default()
    })
}

/// A commit's summary, or `None` when another host took the run over meanwhile (logged:
/// that host commits it).
fn unless_taken_over(
    commit: Result<CommitSummary, StoreError>,
) -> Result<Option<CommitSummary>, ServiceError> {
    match commit {
        Ok(summary) => Ok(Some(summary)),
        Err(StoreError::Conflict(why)) => {
            tracing::warn!("{why}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Turns a run that succeeded into a failed one whose outputs cannot be kept.
fn fail(report: &mut RunReport, why: String) {
    report.status = RunStatus::Failed {
        reason: FailureReason::InvalidResult { message: why },
    };
    let outputs = std::mem::take(&mut report.outputs);
    report.outputs = RunOutputs {
        logs: outputs.logs,
        logs_dropped: outputs.logs_dropped,
        denied: outputs.denied,
        rows_read: outputs.rows_read,
        ..RunOutputs::default()
    };
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
