//! Replay of a batch run (a deviation check, risk categories, a visit check, informing): the
//! recorded run re-run on the region's data with its recorded version — the baseline — and
//! with the candidate, both with the record's logical time, run id (the seed), grants and
//! configuration; what the candidate would add, remove or change is reported task by task
//! and object by object.
//!
//! A batch run's input is the region's data, which changes after the run, and a record keeps
//! the digest of what the run read rather than the rows (a deviation check reads about a
//! million). So the baseline is run again: when its digest equals the record's, the data is
//! what the run read and the comparison is exactly what the candidate would have done in that
//! run (the baseline reproducing the record's outputs proves it); when the data has moved,
//! the comparison is on today's data, with the recorded version standing in for the record,
//! and the report says so. Nothing is committed or delivered, and the two runs go one after
//! the other, so a replay holds at most two runs' outputs (each bounded by the run limits).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::assessments::Assessments;
use zemstvo_core::capabilities::config::{ConfigValue, ParameterSpec};
use zemstvo_core::capabilities::notify::Notification;
use zemstvo_core::capabilities::smev::OutgoingRequest;
use zemstvo_core::capabilities::tasks::Task;
use zemstvo_core::capabilities::visit_checks::VisitException;
use zemstvo_core::report::RunOutputs;
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, RunReport};

use super::{AsRecorded, Candidate, CandidateInfo, ReplayError};

mod matching;

use crate::host::RegionHost;
use matching::{
    Differences, compare_assessments, describe_message, describe_task, describe_visit, matched,
    task_change,
};

/// Which run to replay, and on which version.
#[derive(Debug, Clone)]
pub struct RunReplayRequest {
    pub plugin: String,
    pub candidate: Candidate,
    /// The run to replay; by default the newest recorded run in `[since, until)`.
    pub run: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Differences kept in the report; the rest are counted.
    pub max_differences: usize,
}

impl RunReplayRequest {
    pub fn new(plugin: &str, candidate: Candidate) -> Self {
        RunReplayRequest {
            plugin: plugin.to_string(),
            candidate,
            run: None,
            since: None,
            until: None,
            max_differences: 1000,
        }
    }
}

/// Whether the region's data is still what the recorded run read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataState {
    /// The baseline read exactly what the record says the run read.
    Unchanged,
    /// The data moved since the run: the comparison is on today's data.
    Changed,
    /// The record predates data digests, or the baseline failed before it read anything.
    Unknown,
}

impl DataState {
    pub fn name(self) -> &'static str {
        match self {
            DataState::Unchanged => "unchanged",
            DataState::Changed => "changed",
            DataState::Unknown => "unknown",
        }
    }
}

/// The recorded run a replay stands on.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRun {
    pub seq: i64,
    pub run_id: String,
    pub version: String,
    pub sha256: String,
    pub logical_time: i64,
    pub rows_read: u64,
    pub data_sha256: Option<String>,
}

/// What one version emitted in the run, or why it failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Emitted {
    pub tasks: u64,
    pub notifications: u64,
    pub smev_requests: u64,
    pub assessments: u64,
    pub visit_exceptions: u64,
    pub rows_read: u64,
    pub failure: Option<String>,
}

/// How the candidate's items of one kind stand against the baseline's, matched by key (a
/// task's or message's key, an object's id, a visit's id and the kind of exception).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub identical: u64,
    /// The candidate emits it, the baseline does not.
    pub added: u64,
    /// The baseline emits it, the candidate does not.
    pub removed: u64,
    pub changed: u64,
}

/// One item the candidate treats otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct RunDifference {
    /// `task`, `object`, `visit` or `message`.
    pub item: &'static str,
    /// The task's or message's key, the object's id, or a visit's id and kind of exception.
    pub key: String,
    /// `added`, `removed`, or what changed (`assignee changed`, `high → medium`, …).
    pub change: String,
    pub baseline: String,
    pub candidate: String,
}

/// What the candidate would change in a batch run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReplayReport {
    pub plugin: String,
    pub kind: &'static str,
    pub candidate: CandidateInfo,
    pub record: RecordedRun,
    pub data: DataState,
    /// The recorded version, run again, emitted exactly what the record holds: the data is
    /// unchanged and the comparison is what the candidate would have done in that run.
    pub reproduced: bool,
    pub baseline_emitted: Emitted,
    pub candidate_emitted: Emitted,
    pub tasks: Tally,
    /// Changed tasks by what changed.
    pub task_changes: BTreeMap<String, u64>,
    /// Assessed objects (risk categories).
    pub objects: Tally,
    /// Objects whose category changes, by `from → to`.
    pub category_changes: BTreeMap<String, u64>,
    pub visit_exceptions: Tally,
    pub messages: Tally,
    pub differences: Vec<RunDifference>,
    pub differences_left_out: u64,
    pub seconds: f64,
}

impl RunReplayReport {
    /// Whether the candidate emits exactly what the baseline does.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
            && self.differences_left_out == 0
            && self.baseline_emitted.failure.is_none() == self.candidate_emitted.failure.is_none()
    }
}

/// The parts of a batch run's record a replay needs.
#[derive(Deserialize)]
struct Recorded {
    logical_time: i64,
    plugin: RecordedPlugin,
    grants: Grants,
    config: BTreeMap<String, ConfigValue>,
    parameters: Vec<ParameterSpec>,
    failure: Option<String>,
    inputs: RecordedInputs,
    outputs: RecordedOutputs,
}

#[derive(Deserialize)]
struct RecordedPlugin {
    sha256: String,
}

#[derive(Deserialize)]
struct RecordedInputs {
    /// Absent in a case's record: then this is not a batch run.
    rows_read: Option<u64>,
    data_sha256: Option<String>,
}

#[derive(Deserialize)]
struct RecordedOutputs {
    #[serde(default)]
    tasks: Vec<Task>,
    #[serde(default)]
    notifications: Vec<Notification>,
    #[serde(default)]
    smev_requests: Vec<OutgoingRequest>,
    #[serde(default)]
    assessments: Assessments,
    #[serde(default)]
    visit_exceptions: Vec<VisitException>,
}

impl RecordedOutputs {
    /// Whether a run emitted exactly what the record holds (compared in place: a risk run's
    /// outputs can hold a million objects).
    fn emitted_by(&self, o: &RunOutputs) -> bool {
        self.tasks == o.tasks
            && self.notifications == o.notifications
            && self.smev_requests == o.smev_requests
            && self.assessments == o.assessments
            && self.visit_exceptions == o.visit_exceptions
    }
}

impl RegionHost {
    /// Runs a recorded batch run again with its recorded version and with the candidate and
    /// reports what the candidate would change. Writes nothing.
    pub async fn replay_run(
        &self,
        request: &RunReplayRequest,
    ) -> Result<RunReplayReport, ReplayError> {
        let started = Instant::now();
        let (candidate, info) = self.candidate(&request.plugin, &request.candidate).await?;
        if matches!(
            candidate.kind(),
            PluginKind::EligibilityRule | PluginKind::AppealRouting
        ) {
            return Err(ReplayError::NotBatch {
                plugin: request.plugin.clone(),
                kind: candidate.kind().name(),
            });
        }
        let window = (
            request.since.unwrap_or(i64::MIN),
            request.until.unwrap_or(i64::MAX),
        );
        let stored = self
            .store()
            .latest_decision_record(&request.plugin, window, request.run.as_deref())
            .await?
            .ok_or_else(|| ReplayError::NoRun {
                plugin: request.plugin.clone(),
                run: request.run.clone(),
            })?;
        let recorded: Recorded = serde_json::from_str(&stored.body).map_err(|e| {
            tracing::warn!(run = %stored.run_id, "decision record not replayed: {e}");
            ReplayError::Refused(format!(
                "the record of run `{}` is not one this host reads",
                stored.run_id
            ))
        })?;
        let Some(rows_read) = recorded.inputs.rows_read else {
            return Err(ReplayError::NoRun {
                plugin: request.plugin.clone(),
                run: Some(stored.run_id),
            });
        };
        // The version that made the record, as the store keeps it (verified again).
        let (component, signer) = self
            .verified_component(&recorded.plugin.sha256)
            .await
            .map_err(ReplayError::Refused)?;
        let (baseline, _) = self
            .loaded_candidate(&request.plugin, component, signer)
            .await?;
        let record = RecordedRun {
            seq: stored.seq,
            run_id: stored.run_id.clone(),
            version: stored.version.clone(),
            sha256: recorded.plugin.sha256.clone(),
            logical_time: recorded.logical_time,
            rows_read,
            data_sha256: recorded.inputs.data_sha256.clone(),
        };
        // The baseline with what was in force then; the candidate with its own parameter
        // histories and the region's entries as they stand, as an upgrade would run.
        let before = self
            .run_again(&baseline, &recorded, &stored.run_id, &recorded.parameters)
            .await;
        let parameters = self.parameters_of(&candidate, &request.plugin).await?;
        let after = self
            .run_again(&candidate, &recorded, &stored.run_id, &parameters)
            .await;
        let data = match (&recorded.inputs.data_sha256, &before.outputs.data_sha256) {
            (Some(then), Some(now)) if then == now => DataState::Unchanged,
            (Some(_), _) if rows_read > 0 || before.outputs.rows_read > 0 => DataState::Changed,
            (None, None) if rows_read == 0 && before.succeeded() => DataState::Unchanged,
            _ => DataState::Unknown,
        };
        let reproduced = data == DataState::Unchanged
            && recorded.failure.is_none() == before.succeeded()
            && recorded.outputs.emitted_by(&before.outputs);
        let mut report = RunReplayReport {
            plugin: request.plugin.clone(),
            kind: candidate.kind().name(),
            candidate: info,
            record,
            data,
            reproduced,
            baseline_emitted: emitted(&before),
            candidate_emitted: emitted(&after),
            tasks: Tally::default(),
            task_changes: BTreeMap::new(),
            objects: Tally::default(),
            category_changes: BTreeMap::new(),
            visit_exceptions: Tally::default(),
            messages: Tally::default(),
            differences: Vec::new(),
            differences_left_out: 0,
            seconds: 0.0,
        };
        let mut diff = Differences {
            kept: Vec::new(),
            left_out: 0,
            max: request.max_differences,
        };
        let (b, c) = (&before.outputs, &after.outputs);
        report.tasks = matched(
            &b.tasks,
            &c.tasks,
            |t| t.key.as_str(),
            |x, y| task_change(x, y).map(|kind| (kind.to_string(), describe_task(y))),
            describe_task,
            "task",
            &mut report.task_changes,
            &mut diff,
        );
        report.visit_exceptions = matched(
            &b.visit_exceptions,
            &c.visit_exceptions,
            // A visit can break several rules: one exception per visit and kind.
            |v| format!("{} {:?}", v.visit, v.kind),
            |x, y| (x != y).then(|| ("exception changed".to_string(), describe_visit(y))),
            describe_visit,
            "visit",
            &mut BTreeMap::new(),
            &mut diff,
        );
        report.messages = matched(
            &b.notifications,
            &c.notifications,
            |n| n.key.as_str(),
            |x, y| (x != y).then(|| ("message changed".to_string(), describe_message(y))),
            describe_message,
            "message",
            &mut BTreeMap::new(),
            &mut diff,
        );
        report.objects = compare_assessments(
            &b.assessments,
            &c.assessments,
            &mut report.category_changes,
            &mut diff,
        );
        report.differences = diff.kept;
        report.differences_left_out = diff.left_out;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// One version run on the region's data as the recorded run was: its logical time, run
    /// id, grants and the configuration keys the version declares.
    async fn run_again(
        &self,
        plugin: &LoadedPlugin,
        recorded: &Recorded,
        run_id: &str,
        parameters: &[ParameterSpec],
    ) -> RunReport {
        let as_recorded = AsRecorded {
            config: &recorded.config,
            grants: recorded.grants.clone(),
            logical_time: recorded.logical_time,
            run_id,
        };
        self.run_as_recorded(plugin, as_recorded, RunInput::Batch, parameters)
            .await
            .unwrap_or_else(|why| refused(plugin, run_id, recorded, why))
    }
}

/// A report for a version that refused the recorded configuration outright.
fn refused(plugin: &LoadedPlugin, run_id: &str, recorded: &Recorded, why: String) -> RunReport {
    RunReport {
        run_id: run_id.to_string(),
        region: String::new(),
        plugin: plugin.reference(),
        logical_time: recorded.logical_time,
        status: zemstvo_host::RunStatus::Failed {
            reason: zemstvo_host::FailureReason::InvalidResult {
                message: format!("the version refuses the recorded configuration: {why}"),
            },
        },
        duration: std::time::Duration::ZERO,
        peak_memory: 0,
        outputs: Default::default(),
        stdout: String::new(),
        stderr: String::new(),
    }
}

fn emitted(report: &RunReport) -> Emitted {
    let o = &report.outputs;
    Emitted {
        tasks: o.tasks.len() as u64,
        notifications: o.notifications.len() as u64,
        smev_requests: o.smev_requests.len() as u64,
        assessments: o.assessments.len() as u64,
        visit_exceptions: o.visit_exceptions.len() as u64,
        rows_read: o.rows_read,
        failure: report.failure().map(|f| f.to_string()),
    }
}
