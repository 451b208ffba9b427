//! A host's runs: taking the next due run from the queue, running it in the sandbox against
//! the region, rendering its messages and committing everything it emitted at once; a run
//! whose plugin no longer loads is recorded as refused.

use super::*;

/// Runs of batch plugins: the queue, what is due by schedule, and why a plugin would be
/// refused. Got from [`RegionHost::runs`].
#[derive(Clone, Copy)]
pub struct Runs<'a> {
    pub(crate) host: &'a RegionHost,
}

impl Runs<'_> {
    /// Takes the next due run from the queue, runs it and commits it.
    pub async fn run_next(self) -> Result<Option<RunOutcome>, ServiceError> {
        let host = self.host.settings.host_id.as_str();
        let Some(queued) = self
            .host
            .store
            .claim_run(host, self.host.settings.lease())
            .await?
        else {
            return Ok(None);
        };
        let Prepared {
            plugin,
            signer,
            grants,
            config,
            parameters,
        } = match self.host.prepare_plugin(&queued.plugin).await {
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
            limits: self.host.settings.limits.clone(),
            input: RunInput::Batch,
            time_zone: self.host.time_zone,
        };
        let mut request = local
            .request(&plugin, self.host.region.clone(), None)
            .map_err(|e| ServiceError::Plugin(e.to_string()))?;
        request.config.parameters = parameters.clone();
        let resolved = request.config.values.clone();
        let mut report = self.host.runtime.run(&plugin, request).await;
        let notifications = match self.render(&report).await {
            Ok(n) => n,
            Err(why) => {
                fail(&mut report, why);
                Vec::new()
            }
        };
        let committed = unless_taken_over(
            self.host
                .store
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
                    wit_version: &plugin.wit_version,
                    parameters: &parameters,
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
    async fn refuse_run(self, queued: QueuedRun, why: String) -> Result<RunOutcome, ServiceError> {
        let host = self.host.settings.host_id.as_str();
        tracing::warn!(plugin = %queued.plugin, "run refused: {why}");
        let installed = self
            .host
            .store
            .installation(&queued.plugin)
            .await?
            .filter(|i| i.enabled);
        let package = match &installed {
            Some(i) => self.host.store.package(&i.sha256).await?,
            None => None,
        };
        let report = RunReport {
            run_id: queued.run_id(),
            region: self.host.region.region().to_string(),
            plugin: PluginRef {
                name: queued.plugin.clone(),
                version: installed
                    .as_ref()
                    .map(|i| i.version.clone())
                    .unwrap_or_default(),
                kind: installed
                    .as_ref()
                    .map(|i| i.kind)
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
                let grants = self.host.store.grants(&queued.plugin).await?;
                unless_taken_over(
                    self.host
                        .store
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
                            wit_version: &package.wit_version,
                            parameters: &[],
                        })
                        .await,
                )?
            }
            _ => {
                self.host.store.abandon_run(&queued, host, &why).await?;
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
    pub async fn drain_queue(self) -> Result<Vec<RunOutcome>, ServiceError> {
        let mut outcomes = Vec::new();
        while !self.host.is_stopping()
            && let Some(outcome) = self.run_next().await?
        {
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Renders a successful run's notifications for the outbox.
    async fn render(self, report: &RunReport) -> Result<Vec<NewNotification>, String> {
        if !report.succeeded() {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(report.outputs.notifications.len());
        for n in &report.outputs.notifications {
            let template = self
                .host
                .store
                .template(&n.template)
                .await
                .map_err(|e| e.to_string())?;
            let contact = self
                .host
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

    /// Enabled plugins that run as batches: all but eligibility rules, which the host calls
    /// per application (see `decide_applications`), never on a schedule.
    async fn enabled_batch_plugins(self) -> Result<Vec<Installation>, ServiceError> {
        Ok(self
            .host
            .store
            .installations()
            .await?
            .into_iter()
            .filter(|i| i.enabled && i.kind.is_batch())
            .collect())
    }

    /// Queues one run of every enabled batch plugin at `logical_time`; returns their names.
    pub async fn enqueue_enabled(
        self,
        cause: &str,
        logical_time: i64,
    ) -> Result<Vec<String>, ServiceError> {
        let mut queued = Vec::new();
        for i in self.enabled_batch_plugins().await? {
            if self
                .host
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
    pub async fn enqueue_scheduled(self, now: i64) -> Result<usize, ServiceError> {
        let mut queued = 0;
        for i in self.enabled_batch_plugins().await? {
            let Some(schedule) = &i.schedule else {
                continue;
            };
            match due_occurrence(schedule, now, self.host.time_zone) {
                Ok(Some(at)) => {
                    queued += self
                        .host
                        .store
                        .enqueue_run(&i.name, "schedule", at, at)
                        .await? as usize
                }
                Ok(None) => {}
                Err(why) => tracing::warn!(plugin = %i.name, "{why}"),
            }
        }
        Ok(queued)
    }

    /// Why the installed plugin `name` would be refused at load — its package no longer
    /// verifies against the trust store, or it is unsigned where that is not allowed — or
    /// `None` if it would load (or is not installed). What `zemstvo plugin list` shows as its
    /// state; checks signatures and hashes only, compiles nothing.
    pub async fn refusal(self, name: &str) -> Result<Option<String>, ServiceError> {
        let Some(installation) = self.host.store.installation(name).await? else {
            return Ok(None);
        };
        Ok(self
            .host
            .verified_component(&installation.sha256)
            .await
            .err())
    }
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
