//! Appeals at work: the host calls the region's enabled appeal-routing plugin for every appeal
//! that arrived, with the active classifier catalogue and the open incidents near it, checks
//! the answer and acts on it — a new incident with a task for the responsible authority, a
//! merge into an open incident, or the first-line specialist's review. A tick at a time, like
//! eligibility decisions; the appeal's state is in the store, so a restart loses nothing.

use zemstvo_core::appeals::AppealInput;
use zemstvo_host::local::LocalRun;
use zemstvo_host::{PluginKind, RunInput};
use zemstvo_store::StoreError;
use zemstvo_store::appeals::{Routed, RoutingPolicy};
use zemstvo_store::runs::RoutingRecord;

use crate::host::{Prepared, RegionHost, ServiceError, now};

/// How long before an incident's deadline its executor is reminded: three days.
pub const REMIND_AHEAD: i64 = 3 * 86_400;

/// What one routed appeal became.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingOutcome {
    pub appeal: u64,
    /// `None` when the router failed: the appeal went to review with the failure as reason.
    pub routed: Option<Routed>,
    pub run_id: String,
}

/// Appeal routing. Got from [`RegionHost::appeals`].
#[derive(Clone, Copy)]
pub struct Appeals<'a> {
    pub(crate) host: &'a RegionHost,
}

impl Appeals<'_> {
    /// Routes up to `limit` waiting appeals with the first enabled appeal-routing plugin.
    /// Nothing happens (and nothing is lost) while no router is enabled or no catalogue is
    /// loaded: the appeals wait.
    pub async fn route_appeals(self, limit: u32) -> Result<Vec<RoutingOutcome>, ServiceError> {
        let store = self.host.store();
        let Some(installation) = store
            .installations()
            .await?
            .into_iter()
            .find(|i| i.enabled && i.kind == PluginKind::AppealRouting)
        else {
            return Ok(Vec::new());
        };
        let Some(catalogue) = store.appeal_catalogue().await? else {
            tracing::warn!(plugin = %installation.name, "no appeal catalogue is loaded; appeals wait (load one with `zemstvo appeals catalogue`)");
            return Ok(Vec::new());
        };
        let catalogue_sha256 = zemstvo_store::appeals::catalogue_sha256(&catalogue)?;
        let waiting = store.appeals_to_route(limit).await?;
        if waiting.is_empty() {
            return Ok(Vec::new());
        }
        let Prepared {
            plugin,
            signer,
            grants,
            config,
            parameters,
        } = self
            .host
            .prepare_plugin(&installation.name)
            .await
            .map_err(ServiceError::Plugin)?;
        let local = LocalRun {
            config,
            grants: Some(grants.clone()),
            limits: self.host.settings().limits.clone(),
            time_zone: self.host.time_zone(),
            ..LocalRun::default()
        };
        let routed_by = format!("{}@{}", installation.name, plugin.metadata.version);
        let policy = RoutingPolicy {
            first_line: self.host.settings().appeals.first_line,
        };
        let mut outcomes = Vec::new();
        for appeal in waiting {
            if self.host.is_stopping() {
                break;
            }
            let id = appeal.id;
            let open_incidents = store.open_incidents_for(&appeal).await?;
            let run_id = format!("{}-appeal{id}", installation.name);
            // Kept for the call's decision record (the catalogue is shared, not copied).
            let input = AppealInput {
                appeal,
                catalogue: catalogue.clone(),
                open_incidents,
            };
            let mut request = LocalRun {
                now: Some(now()),
                run_id: Some(run_id.clone()),
                input: RunInput::Appeal(input.clone()),
                ..local.clone()
            }
            .request(&plugin, self.host.region(), None)
            .map_err(|e| ServiceError::Plugin(e.to_string()))?;
            request.config.parameters = parameters.clone();
            let resolved = request.config.values.clone();
            let report = self.host.runtime().run(&plugin, request).await;
            let record = RoutingRecord {
                report: &report,
                host: &self.host.settings().host_id,
                grants: &grants,
                config: &resolved,
                signer: signer.as_deref(),
                wit_version: &plugin.wit_version,
                parameters: &parameters,
                input: &input,
                catalogue_sha256: &catalogue_sha256,
            };
            let result = match (&report.outputs.routing, report.succeeded()) {
                (Some(routing), true) => store
                    .apply_recorded_routing(id, routing, &routed_by, policy, &record, now())
                    .await
                    .map(Some),
                _ => {
                    let why = format!(
                        "маршрутизатор {routed_by} не смог обработать обращение: {}",
                        report
                            .failure()
                            .map(|f| f.to_string())
                            .unwrap_or_else(|| "нет ответа".into())
                    );
                    tracing::warn!(appeal = id, "{why}");
                    store
                        .appeal_to_review(
                            id,
                            &why,
                            &format!("plugin:{routed_by}"),
                            Some(&record),
                            now(),
                        )
                        .await
                        .map(|()| None)
                }
            };
            match result {
                Ok(routed) => outcomes.push(RoutingOutcome {
                    appeal: id,
                    routed,
                    run_id,
                }),
                Err(StoreError::Conflict(why)) => {
                    tracing::info!(appeal = id, "another host routed it first: {why}");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(outcomes)
    }

    /// Reminds the executors of incidents due within [`REMIND_AHEAD`], and opens a root-cause
    /// record (and a curator's task) for every incident past its deadline; returns how many
    /// root causes were opened.
    pub async fn follow_deadlines(self) -> Result<u64, ServiceError> {
        let at = now();
        let store = self.host.store();
        let reminded = store.remind_due_incidents(at, REMIND_AHEAD).await?;
        if reminded > 0 {
            tracing::info!(reminded, "executors reminded of incidents due soon");
        }
        Ok(store.open_root_causes(at).await?)
    }
}
