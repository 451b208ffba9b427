//! Replay: the recorded decisions of an eligibility rule (or the calls of an appeal router)
//! re-run on a candidate version with the inputs the records hold, so an administrator sees,
//! decision by decision, what an upgrade would change before it goes live.
//!
//! An eligibility rule is a pure function of what its record holds — the application's form,
//! the SMEV answers it was called with, the configuration, the parameters, the logical time
//! and the run id (the seed) — and its world imports no region data, so a replay on the
//! recorded version gives the recorded outcome exactly. A routing call's record holds the
//! appeal and the incidents it was shown, and names the catalogue by version and digest (the
//! store keeps every version). A batch run's record holds a digest of the rows it read, not
//! the rows, so a batch plugin is replayed a run at a time on the region's data ([`run`]).
//!
//! Nothing a replay runs is committed: the candidate's requests, tasks and messages stay in
//! its report. Records are read a page at a time and at most `max_differences` differences are
//! kept, so a replay of 100,000 decisions holds one page and the kept differences.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use semver::VersionReq;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zemstvo_core::appeals::{Appeal, AppealInput, Catalogue, OpenIncident, Routing};
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::config::{ConfigValue, ParameterSpec};
use zemstvo_core::capabilities::smev::SmevAnswer;
use zemstvo_core::eligibility::{Application, EligibilityInput, Outcome};
use zemstvo_host::local::LocalRun;
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, RunReport};
use zemstvo_registry::{PackageName, PackageSource};
use zemstvo_store::StoreError;
use zemstvo_store::records::StoredRecord;

use crate::host::RegionHost;

mod compare;
pub mod run;

pub(crate) use compare::{Compared, Comparison, Side, describe};
use compare::{routed_side, side};

/// Which version a replay runs the recorded decisions on.
#[derive(Debug, Clone)]
pub enum Candidate {
    /// The version installed now (a replay on it checks that the records reproduce).
    Installed,
    /// A version the region installed at some time (its signed package is in the store), or
    /// else one the region's registry has (downloaded, verified, not installed).
    Version(String),
    /// A package file's bytes, verified against the region's trust store as an install
    /// would; nothing is installed.
    Package(Vec<u8>),
}

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    pub plugin: String,
    pub candidate: Candidate,
    /// Decisions whose logical time is at or after this (seconds since the epoch).
    pub since: Option<i64>,
    /// … and before this.
    pub until: Option<i64>,
    /// At most this many decisions, oldest first.
    pub limit: Option<u64>,
    /// Differences kept in the report; the rest are counted.
    pub max_differences: usize,
}

impl ReplayRequest {
    pub fn new(plugin: &str, candidate: Candidate) -> Self {
        ReplayRequest {
            plugin: plugin.to_string(),
            candidate,
            since: None,
            until: None,
            limit: None,
            max_differences: 1000,
        }
    }
}

/// Why a replay could not start. Nothing was run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("plugin `{0}` is not installed; `zemstvo plugin list` shows what is")]
    NotInstalled(String),
    #[error(
        "`{plugin}` {version} is neither a version this region installed (`zemstvo plugin \
         history {plugin}` lists them) nor one its registry has; pass the candidate's package \
         file instead"
    )]
    UnknownVersion { plugin: String, version: String },
    #[error("the candidate is refused: {0}")]
    Refused(String),
    #[error("the candidate is `{found}`, not `{plugin}`; pass a package of `{plugin}`")]
    OtherPlugin { plugin: String, found: String },
    #[error(
        "`{plugin}` is a {kind}: its records are runs over the region's data, not decisions \
         with their whole input; replay one of its runs instead (`zemstvo replay {plugin}` \
         does, and so does POST /api/v1/plugins/{plugin}/replay/run)"
    )]
    NotReplayable { plugin: String, kind: &'static str },
    #[error(
        "`{plugin}` is a {kind}: each of its records holds its whole input, so its decisions are \
         replayed one by one (`zemstvo replay {plugin}`, POST /api/v1/plugins/{plugin}/replay)"
    )]
    NotBatch { plugin: String, kind: &'static str },
    #[error("{}", match run {
        Some(run) => format!("`{plugin}` has no recorded batch run `{run}`; `zemstvo audit records --plugin {plugin}` lists its records"),
        None => format!("`{plugin}` has no recorded run in that range; `zemstvo audit records --plugin {plugin}` lists its records"),
    })]
    NoRun { plugin: String, run: Option<String> },
}

/// The version the decisions were replayed on.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateInfo {
    pub version: String,
    pub sha256: String,
    /// The key that signed it; none for a development install.
    pub signer: Option<String>,
}

/// What a candidate did with one recorded decision, where it differs.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The record's number in the region's chain.
    pub seq: i64,
    pub run_id: String,
    /// The application decided, or for a routing call the appeal routed.
    pub application: u64,
    /// `changed`, or `failed` when the candidate failed where the record did not.
    pub outcome: &'static str,
    /// What changed: `approved → denied`, `amount changed`, …
    pub kind: &'static str,
    pub recorded: String,
    pub candidate: String,
}

/// A replay's result: counts, the kinds of change, and the differences themselves.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub plugin: String,
    /// `eligibility-rule` or `appeal-routing`: whether the decisions are applications' or
    /// appeals'.
    pub kind: &'static str,
    pub candidate: CandidateInfo,
    /// Replayed decisions by the version that recorded them.
    pub recorded_versions: BTreeMap<String, u64>,
    pub replayed: u64,
    pub identical: u64,
    /// Decisions whose verdict, amount, assignment, reasons or requests differ.
    pub changed: u64,
    /// Decisions the candidate failed (ran out of a limit, trapped, refused its input).
    pub failed: u64,
    /// Decisions the candidate takes alike but explains differently (its trace differs):
    /// counted, not listed, since a release that adds a trace step touches every one.
    pub explained_differently: u64,
    /// Changed decisions by kind of change.
    pub changes: BTreeMap<String, u64>,
    /// Records not replayed, by reason (a record without its input).
    pub skipped: BTreeMap<String, u64>,
    pub differences: Vec<Difference>,
    /// Differences beyond `max_differences`, counted but not kept.
    pub differences_left_out: u64,
    pub seconds: f64,
}

impl ReplayReport {
    /// Decisions replayed per second.
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.replayed as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The catalogues recorded routing calls were given, each loaded from the store and checked
/// against its digest once per replay (a replay of 20,000 calls shares one or two).
#[derive(Default)]
pub(crate) struct Catalogues(
    tokio::sync::Mutex<HashMap<CatalogueKey, Result<Arc<Catalogue>, String>>>,
);

/// A catalogue's version and digest, as a record names it.
type CatalogueKey = (String, String);

/// What a recorded call or run was run with, besides its input and parameters.
pub(crate) struct AsRecorded<'a> {
    pub(crate) config: &'a BTreeMap<String, ConfigValue>,
    pub(crate) grants: Grants,
    pub(crate) logical_time: i64,
    pub(crate) run_id: &'a str,
}

/// Records read per page.
const PAGE: u32 = 256;

/// The parts of a decision record a replay needs (see the store's record body).
#[derive(Deserialize)]
struct Recorded {
    logical_time: i64,
    grants: Grants,
    config: BTreeMap<String, ConfigValue>,
    failure: Option<String>,
    inputs: RecordedInputs,
    outputs: RecordedOutputs,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RecordedInputs {
    Case {
        application: Application,
        answers: Vec<SmevAnswer>,
    },
    Appeal {
        appeal: Appeal,
        open_incidents: Vec<OpenIncident>,
        catalogue_version: String,
        catalogue_sha256: String,
    },
    Batch {},
}

#[derive(Deserialize)]
struct RecordedOutputs {
    eligibility: Option<Outcome>,
    routing: Option<Routing>,
}

impl RegionHost {
    /// Re-runs the recorded decisions of `request.plugin` on the candidate and compares each
    /// outcome with the recorded one. Writes nothing.
    pub async fn replay(&self, request: &ReplayRequest) -> Result<ReplayReport, ReplayError> {
        let started = Instant::now();
        let (plugin, info) = self.candidate(&request.plugin, &request.candidate).await?;
        if !matches!(
            plugin.kind(),
            PluginKind::EligibilityRule | PluginKind::AppealRouting
        ) {
            return Err(ReplayError::NotReplayable {
                plugin: request.plugin.clone(),
                kind: plugin.kind().name(),
            });
        }
        // The candidate's own parameter histories with the region's entries as they stand.
        let parameters = self.parameters_of(&plugin, &request.plugin).await?;
        let catalogues = Catalogues::default();
        let mut report = ReplayReport {
            plugin: request.plugin.clone(),
            kind: plugin.kind().name(),
            candidate: info,
            recorded_versions: BTreeMap::new(),
            replayed: 0,
            identical: 0,
            changed: 0,
            failed: 0,
            explained_differently: 0,
            changes: BTreeMap::new(),
            skipped: BTreeMap::new(),
            differences: Vec::new(),
            differences_left_out: 0,
            seconds: 0.0,
        };
        let window = (
            request.since.unwrap_or(i64::MIN),
            request.until.unwrap_or(i64::MAX),
        );
        let limit = request.limit.unwrap_or(u64::MAX);
        let mut after = 0;
        let mut taken = 0u64;
        while taken < limit && !self.is_stopping() {
            let page = self
                .store()
                .decision_record_page(&request.plugin, window, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            let page: Vec<_> = page
                .into_iter()
                .take((limit - taken).min(PAGE as u64) as usize)
                .collect();
            taken += page.len() as u64;
            let compared = self
                .compare_page(&plugin, &parameters, &catalogues, page)
                .await;
            for (stored, compared) in compared {
                let compared = match compared {
                    Ok(compared) => compared,
                    Err(reason) => {
                        *report.skipped.entry(reason).or_default() += 1;
                        continue;
                    }
                };
                report.replayed += 1;
                *report
                    .recorded_versions
                    .entry(stored.version.clone())
                    .or_default() += 1;
                let (outcome, kind) = match compared.comparison() {
                    Comparison::Identical => {
                        report.identical += 1;
                        continue;
                    }
                    Comparison::ExplainedDifferently => {
                        report.explained_differently += 1;
                        continue;
                    }
                    Comparison::Failed => {
                        report.failed += 1;
                        ("failed", "candidate failed")
                    }
                    Comparison::Changed(kind) => {
                        report.changed += 1;
                        *report.changes.entry(kind.to_string()).or_default() += 1;
                        ("changed", kind)
                    }
                };
                if report.differences.len() < request.max_differences {
                    report.differences.push(Difference {
                        seq: stored.seq,
                        run_id: stored.run_id,
                        application: compared.application,
                        outcome,
                        kind,
                        recorded: describe(&compared.recorded),
                        candidate: describe(&compared.candidate),
                    });
                } else {
                    report.differences_left_out += 1;
                }
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Runs the candidate on each record of a page (as many at once as the host runs runs)
    /// and pairs each record with what the candidate made of it, or why it was not replayed.
    pub(crate) async fn compare_page(
        &self,
        plugin: &LoadedPlugin,
        parameters: &[ParameterSpec],
        catalogues: &Catalogues,
        page: Vec<StoredRecord>,
    ) -> Vec<(StoredRecord, Result<Compared, String>)> {
        let parallel = self.runtime_settings().max_concurrent_runs.max(1) as usize;
        futures_util::stream::iter(page)
            .map(|stored| async move {
                let compared = match serde_json::from_str::<Recorded>(&stored.body) {
                    Err(e) => {
                        // One reason for all, so a damaged chain cannot grow the report.
                        tracing::warn!(run = %stored.run_id, "decision record not replayed: {e}");
                        Err("the record's body is not one this host reads".to_string())
                    }
                    Ok(recorded) => {
                        self.replay_one(plugin, parameters, catalogues, &stored.run_id, recorded)
                            .await
                    }
                };
                (stored, compared)
            })
            .buffered(parallel)
            .collect()
            .await
    }

    /// Runs the candidate on one record's inputs; the record's side and the candidate's, or
    /// why the record cannot be replayed.
    async fn replay_one(
        &self,
        plugin: &LoadedPlugin,
        parameters: &[ParameterSpec],
        catalogues: &Catalogues,
        run_id: &str,
        recorded: Recorded,
    ) -> Result<Compared, String> {
        let (id, input, before) = match recorded.inputs {
            RecordedInputs::Case {
                application,
                answers,
            } => (
                application.id,
                RunInput::Eligibility(EligibilityInput {
                    application,
                    answers,
                }),
                match recorded.failure {
                    Some(why) => Side::Failed(why),
                    None => Side::Answered(recorded.outputs.eligibility),
                },
            ),
            RecordedInputs::Appeal {
                appeal,
                open_incidents,
                catalogue_version,
                catalogue_sha256,
            } => {
                let catalogue = self
                    .recorded_catalogue(catalogues, catalogue_version, catalogue_sha256)
                    .await?;
                (
                    appeal.id,
                    RunInput::Appeal(AppealInput {
                        appeal,
                        catalogue,
                        open_incidents,
                    }),
                    match recorded.failure {
                        Some(why) => Side::Failed(why),
                        None => Side::Routed(recorded.outputs.routing),
                    },
                )
            }
            RecordedInputs::Batch {} => {
                return Err("the record holds no application or appeal (a batch run)".into());
            }
        };
        let routing = matches!(input, RunInput::Appeal(_));
        let as_recorded = AsRecorded {
            config: &recorded.config,
            grants: recorded.grants,
            logical_time: recorded.logical_time,
            run_id,
        };
        let after = match self
            .run_as_recorded(plugin, as_recorded, input, parameters)
            .await
        {
            Err(e) => Side::Failed(format!(
                "the candidate refuses the recorded configuration: {e}"
            )),
            Ok(report) if routing => routed_side(report),
            Ok(report) => side(report),
        };
        Ok(Compared {
            application: id,
            recorded: before,
            candidate: after,
        })
    }

    /// Runs `plugin` as a recorded call or run was run, on `input`: the recorded logical time,
    /// run id (the run's seed derives from it) and grants, and the recorded settings for the
    /// keys `plugin` declares (a key it dropped is not passed, a key it added takes its
    /// default). `Err` says why `plugin` refuses those settings; nothing is committed.
    pub(crate) async fn run_as_recorded(
        &self,
        plugin: &LoadedPlugin,
        recorded: AsRecorded<'_>,
        input: RunInput,
        parameters: &[ParameterSpec],
    ) -> Result<RunReport, String> {
        let settings: Vec<(String, String)> = recorded
            .config
            .iter()
            .filter(|(key, _)| plugin.metadata.config.param(key).is_some())
            .map(|(key, value)| (key.clone(), value.to_string()))
            .collect();
        let run = LocalRun {
            config: settings,
            grants: Some(recorded.grants),
            now: Some(recorded.logical_time),
            run_id: Some(recorded.run_id.to_string()),
            limits: self.settings().limits.clone(),
            input,
            time_zone: self.time_zone(),
        };
        let mut request = run
            .request(plugin, self.region(), None)
            .map_err(|e| e.to_string())?;
        request.config.parameters = parameters.to_vec();
        Ok(self.runtime().run(plugin, request).await)
    }

    /// The catalogue a routing call was given, as the store keeps it, checked against the
    /// record's digest (once per replay for each catalogue); or why the record cannot be
    /// replayed.
    async fn recorded_catalogue(
        &self,
        catalogues: &Catalogues,
        version: String,
        sha256: String,
    ) -> Result<Arc<Catalogue>, String> {
        let mut known = catalogues.0.lock().await;
        if let Some(found) = known.get(&(version.clone(), sha256.clone())) {
            return found.clone();
        }
        let found = self.stored_catalogue(&version, &sha256).await;
        known.insert((version, sha256), found.clone());
        found
    }

    async fn stored_catalogue(
        &self,
        version: &str,
        sha256: &str,
    ) -> Result<Arc<Catalogue>, String> {
        let catalogue = self
            .store()
            .appeal_catalogue_version(version)
            .await
            .map_err(|e| {
                tracing::warn!("catalogue {version} not read: {e}");
                "the store cannot give the catalogue the call was given".to_string()
            })?
            .ok_or_else(|| {
                "the catalogue the call was given is no longer in the store".to_string()
            })?;
        if zemstvo_store::appeals::catalogue_sha256(&catalogue).map_err(|e| e.to_string())?
            != sha256
        {
            tracing::warn!("catalogue {version} in the store differs from a record's digest");
            return Err("the catalogue in the store is not the one the call was given".into());
        }
        Ok(Arc::new(catalogue))
    }

    /// The candidate loaded, with what identifies it.
    pub(crate) async fn candidate(
        &self,
        name: &str,
        candidate: &Candidate,
    ) -> Result<(LoadedPlugin, CandidateInfo), ReplayError> {
        let component_of = |sha256: String| async move {
            self.verified_component(&sha256)
                .await
                .map_err(ReplayError::Refused)
        };
        let (component, signer) = match candidate {
            Candidate::Installed => {
                let installation = self
                    .store()
                    .installation(name)
                    .await?
                    .ok_or_else(|| ReplayError::NotInstalled(name.to_string()))?;
                component_of(installation.sha256).await?
            }
            Candidate::Version(version) => {
                let history = self.store().history(name).await?;
                match history.into_iter().rev().find(|h| &h.version == version) {
                    Some(entry) => component_of(entry.sha256).await?,
                    None => {
                        let bytes = self.registry_package(name, version).await?;
                        self.verify_package(name, &bytes).await?
                    }
                }
            }
            Candidate::Package(bytes) => self.verify_package(name, bytes).await?,
        };
        self.loaded_candidate(name, component, signer).await
    }

    /// A package file's bytes verified and loaded as a candidate of `name` (nothing installed).
    pub(crate) async fn package_candidate(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<(LoadedPlugin, CandidateInfo), ReplayError> {
        let (component, signer) = self.verify_package(name, bytes).await?;
        self.loaded_candidate(name, component, signer).await
    }

    /// A verified component compiled (once per host) and checked to be `name`.
    pub(crate) async fn loaded_candidate(
        &self,
        name: &str,
        component: Vec<u8>,
        signer: Option<String>,
    ) -> Result<(LoadedPlugin, CandidateInfo), ReplayError> {
        let sha256 = hex::encode(Sha256::digest(&component));
        let plugin = self
            .compiled(&sha256, &component)
            .await
            .map_err(ReplayError::Refused)?;
        if plugin.metadata.name != name {
            return Err(ReplayError::OtherPlugin {
                plugin: name.to_string(),
                found: plugin.metadata.name.clone(),
            });
        }
        let info = CandidateInfo {
            version: plugin.metadata.version.to_string(),
            sha256,
            signer,
        };
        Ok((plugin, info))
    }
}

impl RegionHost {
    /// A package file's component and signer, verified against the region's trust store as
    /// an install would verify it.
    pub(crate) async fn verify_package(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<(Vec<u8>, Option<String>), ReplayError> {
        let trust = self.installations().trust_store().await?;
        let (package, verified) = trust
            .verify_bytes(bytes)
            .map_err(|e| ReplayError::Refused(e.to_string()))?;
        let found = verified.manifest.name.to_string();
        if found != name {
            return Err(ReplayError::OtherPlugin {
                plugin: name.to_string(),
                found,
            });
        }
        Ok((package.into_component(), Some(verified.key_id.to_string())))
    }

    /// Version `version` of `name` from the region's registry (or mirror), downloaded but not
    /// installed; a region without one names the versions it can replay on.
    pub(crate) async fn registry_package(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Vec<u8>, ReplayError> {
        let unknown = || ReplayError::UnknownVersion {
            plugin: name.to_string(),
            version: version.to_string(),
        };
        let Some(location) = &self.settings().registry else {
            return Err(unknown());
        };
        let registry = |e: String| {
            ReplayError::Refused(format!(
                "the region's registry `{location}` cannot give it: {e}"
            ))
        };
        let package = PackageName::new(name).map_err(|e| registry(e.to_string()))?;
        let exact =
            VersionReq::parse(&format!("={version}")).map_err(|e| registry(e.to_string()))?;
        let source = PackageSource::open(location).map_err(|e| registry(e.to_string()))?;
        let info = source
            .resolve(&package, &exact)
            .await
            .map_err(|e| registry(e.to_string()))?;
        source
            .fetch(&info, &mut |_| {})
            .await
            .map_err(|e| registry(e.to_string()))
    }
}
