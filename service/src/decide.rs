//! Eligibility rules at work: the host calls each enabled rule for the registered applications
//! of its measures, sends the SMEV requests the rule asks for, and calls it again when answers
//! arrive — a tick at a time, so no thread waits for an agency and a restart loses nothing
//! (the case, its requests and its answers are all in the store).

use zemstvo_core::capabilities::config::{ConfigValue, ParameterSpec, ResolvedConfig};
use zemstvo_core::capabilities::smev::{OutgoingRequest, SmevAnswer};

use zemstvo_core::capabilities::Grants;
use zemstvo_core::eligibility::{Application, EligibilityInput, Outcome};
use zemstvo_host::local::LocalRun;
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, RunReport};
use zemstvo_store::runs::{CaseCommit, RunCommit};
use zemstvo_store::{StoreError, counters};

use crate::host::{Prepared, RegionHost, ServiceError};
use crate::rollout::in_share;

/// The configuration key in which an eligibility rule lists the measures it decides
/// (comma-separated): the host calls it only for applications of those measures.
pub const MEASURES_KEY: &str = "measures";

/// One call of a rule for one application.
#[derive(Debug, Clone)]
pub struct DecisionOutcome {
    pub application: u64,
    pub report: RunReport,
}

/// Eligibility decisions: applications decided by the installed rules, with the SMEV
/// requests they need. Got from [`RegionHost::decisions`].
#[derive(Clone, Copy)]
pub struct Decisions<'a> {
    pub(crate) host: &'a RegionHost,
}

impl Decisions<'_> {
    /// Calls every enabled eligibility rule for up to `limit` applications each.
    pub async fn decide_applications(
        self,
        limit: u32,
    ) -> Result<Vec<DecisionOutcome>, ServiceError> {
        let mut outcomes = Vec::new();
        for installation in self
            .host
            .store()
            .installations()
            .await?
            .into_iter()
            .filter(|i| i.enabled && i.kind == PluginKind::EligibilityRule)
        {
            let Prepared {
                plugin,
                signer,
                grants,
                config,
                parameters,
            } = match self.host.prepare_plugin(&installation.name).await {
                Ok(ready) => ready,
                Err(why) => {
                    tracing::warn!(plugin = %installation.name, "eligibility rule not called: {why}");
                    continue;
                }
            };
            let local = LocalRun {
                config: config.clone(),
                grants: Some(grants.clone()),
                limits: self.host.settings().limits.clone(),
                ..LocalRun::default()
            };
            let resolved = local
                .request(&plugin, self.host.region(), Some(0))
                .map_err(|e| ServiceError::Plugin(e.to_string()))?
                .config;
            let measures = match measures(resolved.values.get(MEASURES_KEY)) {
                Some(measures) => measures,
                None => {
                    tracing::warn!(plugin = %installation.name, "eligibility rule declares no `{MEASURES_KEY}` key; not called");
                    continue;
                }
            };
            let live = Version {
                plugin,
                resolved,
                parameters,
                signer,
                rollout: false,
            };
            let candidates = self
                .host
                .store()
                .eligibility_candidates(&installation.name, &measures, limit)
                .await?;
            if candidates.is_empty() {
                continue;
            }
            // A staged rollout's candidate, loaded only when there is something to decide.
            let candidate = self
                .host
                .rollout_candidate(&installation.name, &local)
                .await?;
            let ids: Vec<u64> = candidates.iter().map(|c| c.application.id).collect();
            let mut answers = self.host.store().answers_for_many(&ids).await?;
            let mut called: Vec<Called> = Vec::new();
            for candidate_case in candidates {
                if self.host.is_stopping() {
                    break;
                }
                let app = candidate_case.application;
                let answers = answers.remove(&app.id).unwrap_or_default();
                let now = self.host.settings().clock.now();
                // A decision rests only on what had arrived by its time: an answer another
                // host dated by a clock ahead of ours waits for ours to pass it.
                if answers.iter().any(|a| a.received > now) {
                    tracing::info!(plugin = %installation.name, application = app.id, "an answer is dated after now; deciding on a later round");
                    continue;
                }
                let version = match &candidate {
                    Some((settings, version)) if in_share(&installation.name, &app, settings) => {
                        version
                    }
                    _ => &live,
                };
                let recorded_answers = answers.clone();
                let mut request = LocalRun {
                    now: Some(now),
                    time_zone: self.host.time_zone(),
                    // The same on every host for the same call, so two hosts deciding one
                    // application at once conflict at commit and only one's requests go out.
                    run_id: Some(format!(
                        "{}-a{}-c{}",
                        installation.name,
                        app.id,
                        candidate_case.calls + 1
                    )),
                    input: RunInput::Eligibility(EligibilityInput {
                        application: app.clone(),
                        answers,
                    }),
                    ..local.clone()
                }
                .request(&version.plugin, self.host.region(), None)
                .map_err(|e| ServiceError::Plugin(e.to_string()))?;
                request.config = version.resolved.clone();
                request.config.parameters = version.parameters.clone();
                let mut report = self.host.runtime().run(&version.plugin, request).await;
                // The requests a rule needs go out like any SMEV request a run queues.
                if let Some(Outcome::Need { requests }) = &report.outputs.eligibility {
                    report.outputs.smev_requests = requests
                        .iter()
                        .enumerate()
                        .map(|(i, q)| OutgoingRequest {
                            request_id: format!("{}/smev/{}", report.run_id, i + 1),
                            query: q.clone(),
                        })
                        .collect();
                }
                called.push(Called {
                    answers: recorded_answers,
                    application: app,
                    answers_seen: candidate_case.answers,
                    started_at: now,
                    version,
                    report,
                });
                if called.len() == CALLS_PER_COMMIT {
                    let batch = std::mem::take(&mut called);
                    outcomes.extend(self.commit(&installation.name, batch, &grants).await?);
                }
            }
            outcomes.extend(self.commit(&installation.name, called, &grants).await?);
        }
        Ok(outcomes)
    }
}

/// A rule's finished call for one application, waiting to be committed with its batch.
struct Called<'v> {
    application: Application,
    /// The answers the rule was called with, for the decision record.
    answers: Vec<SmevAnswer>,
    answers_seen: u64,
    started_at: i64,
    /// The version that decided it.
    version: &'v Version,
    report: RunReport,
}

/// The version of a rule that decides an application, with what its decisions are recorded
/// with.
pub(crate) struct Version {
    pub(crate) plugin: LoadedPlugin,
    pub(crate) resolved: ResolvedConfig,
    pub(crate) parameters: Vec<ParameterSpec>,
    pub(crate) signer: Option<String>,
    /// A staged rollout's candidate rather than the installed version.
    pub(crate) rollout: bool,
}

/// Calls committed together: one transaction for up to this many, so the disk's wait is paid
/// once per batch, not once per decision.
const CALLS_PER_COMMIT: usize = 100;

impl Decisions<'_> {
    /// Commits a batch of calls in one transaction; a call another host committed first is
    /// logged and left out (that host's requests are the ones that go out).
    async fn commit(
        self,
        plugin: &str,
        called: Vec<Called<'_>>,
        grants: &Grants,
    ) -> Result<Vec<DecisionOutcome>, ServiceError> {
        let host = &self.host.settings().host_id;
        let commits: Vec<RunCommit<'_>> = called
            .iter()
            .map(|c| {
                let v = c.version;
                RunCommit {
                    report: &c.report,
                    queued: None,
                    cause: "application",
                    host,
                    started_at: c.started_at,
                    grants,
                    config: &v.resolved.values,
                    signer: v.signer.as_deref(),
                    notifications: Vec::new(),
                    case: Some(CaseCommit {
                        application: &c.application,
                        answers_seen: c.answers_seen,
                        answers: &c.answers,
                    }),
                    wit_version: &v.plugin.wit_version,
                    parameters: &v.parameters,
                }
            })
            .collect();
        let results = self.host.store().commit_runs(&commits).await?;
        drop(commits);
        let mut outcomes = Vec::with_capacity(called.len());
        for (c, result) in called.into_iter().zip(results) {
            match result {
                Ok(_) => {
                    if c.version.rollout {
                        let outcome = if c.report.succeeded() {
                            "succeeded"
                        } else {
                            "failed"
                        };
                        metrics::counter!(counters::ROLLOUT_DECISIONS, "plugin" => plugin.to_string(), "outcome" => outcome)
                            .increment(1);
                    }
                    outcomes.push(DecisionOutcome {
                        application: c.application.id,
                        report: c.report,
                    })
                }
                Err(StoreError::Conflict(why)) => {
                    tracing::info!(
                        plugin,
                        application = c.application.id,
                        "another host decided first: {why}"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(outcomes)
    }
}

/// The measures a rule's `measures` setting lists (comma-separated); none when it has no such
/// text setting.
fn measures(setting: Option<&ConfigValue>) -> Option<Vec<String>> {
    match setting {
        Some(ConfigValue::Text(list)) => Some(
            list.split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
        ),
        _ => None,
    }
}

impl Decisions<'_> {
    /// The enabled eligibility rules that decide applications of `measure` (by their
    /// configured `measures`): none means an official decides it.
    pub async fn rules_for_measure(self, measure: &str) -> Result<Vec<String>, ServiceError> {
        let mut out = Vec::new();
        for installation in self
            .host
            .store()
            .installations()
            .await?
            .into_iter()
            .filter(|i| i.enabled && i.kind == PluginKind::EligibilityRule)
        {
            let Ok(plugin) = self
                .host
                .installations()
                .installed_plugin(&installation.name)
                .await
            else {
                continue;
            };
            let settings = self.host.store().config(&installation.name).await?;
            let Ok(resolved) = plugin
                .metadata
                .config
                .resolve(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            else {
                continue;
            };
            if measures(resolved.get(MEASURES_KEY)).is_some_and(|m| m.iter().any(|m| m == measure))
            {
                out.push(installation.name);
            }
        }
        Ok(out)
    }
}
