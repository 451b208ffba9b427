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

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::assessments::Assessments;
use zemstvo_core::capabilities::config::{ConfigValue, ParameterSpec};
use zemstvo_core::capabilities::notify::Notification;
use zemstvo_core::capabilities::smev::OutgoingRequest;
use zemstvo_core::capabilities::tasks::Task;
use zemstvo_core::capabilities::visit_checks::VisitException;
use zemstvo_host::local::LocalRun;
use zemstvo_host::{LoadedPlugin, PluginKind, RunInput, RunReport};

use super::{Candidate, CandidateInfo, ReplayError};
use crate::host::RegionHost;

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

#[derive(Deserialize, PartialEq)]
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
            && recorded.outputs == outputs_of(&before);
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
        let settings: Vec<(String, String)> = recorded
            .config
            .iter()
            .filter(|(key, _)| plugin.metadata.config.param(key).is_some())
            .map(|(key, value)| (key.clone(), value.to_string()))
            .collect();
        let run = LocalRun {
            config: settings,
            grants: Some(recorded.grants.clone()),
            now: Some(recorded.logical_time),
            run_id: Some(run_id.to_string()),
            limits: self.settings().limits.clone(),
            input: RunInput::Batch,
            time_zone: self.time_zone(),
        };
        match run.request(plugin, self.region(), None) {
            Ok(mut request) => {
                request.config.parameters = parameters.to_vec();
                self.runtime().run(plugin, request).await
            }
            Err(e) => refused(plugin, run_id, recorded, e.to_string()),
        }
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

fn outputs_of(report: &RunReport) -> RecordedOutputs {
    let o = &report.outputs;
    RecordedOutputs {
        tasks: o.tasks.clone(),
        notifications: o.notifications.clone(),
        smev_requests: o.smev_requests.clone(),
        assessments: o.assessments.clone(),
        visit_exceptions: o.visit_exceptions.clone(),
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

/// The differences kept, up to `max`; the rest counted.
struct Differences {
    kept: Vec<RunDifference>,
    left_out: u64,
    max: usize,
}

impl Differences {
    fn push(&mut self, d: impl FnOnce() -> RunDifference) {
        if self.kept.len() < self.max {
            self.kept.push(d());
        } else {
            self.left_out += 1;
        }
    }
}

/// Matches the two sides' items by key and tallies them; `change` says what changed in an
/// item both emit (none when it is the same) and how the candidate's reads.
#[allow(clippy::too_many_arguments)]
fn matched<'a, T, K: std::hash::Hash + Eq + std::fmt::Display + Clone>(
    baseline: &'a [T],
    candidate: &'a [T],
    key: impl Fn(&'a T) -> K,
    change: impl Fn(&T, &T) -> Option<(String, String)>,
    describe: impl Fn(&T) -> String,
    item: &'static str,
    kinds: &mut BTreeMap<String, u64>,
    diff: &mut Differences,
) -> Tally {
    let mut tally = Tally::default();
    let before: HashMap<K, &T> = baseline.iter().map(|t| (key(t), t)).collect();
    let mut seen = std::collections::HashSet::with_capacity(candidate.len());
    for c in candidate {
        let k = key(c);
        seen.insert(k.clone());
        match before.get(&k) {
            None => {
                tally.added += 1;
                diff.push(|| RunDifference {
                    item,
                    key: k.to_string(),
                    change: "added".into(),
                    baseline: String::new(),
                    candidate: describe(c),
                });
            }
            Some(b) => match change(b, c) {
                None => tally.identical += 1,
                Some((kind, now)) => {
                    tally.changed += 1;
                    *kinds.entry(kind.clone()).or_default() += 1;
                    diff.push(|| RunDifference {
                        item,
                        key: k.to_string(),
                        change: kind,
                        baseline: describe(b),
                        candidate: now,
                    });
                }
            },
        }
    }
    // In the baseline's order, so the report reads the same each time.
    for b in baseline {
        let k = key(b);
        if !seen.contains(&k) {
            tally.removed += 1;
            diff.push(|| RunDifference {
                item,
                key: k.to_string(),
                change: "removed".into(),
                baseline: describe(b),
                candidate: String::new(),
            });
        }
    }
    tally
}

/// What changed in a task both versions give, the most telling first.
fn task_change(a: &Task, b: &Task) -> Option<&'static str> {
    Some(if a.assignee != b.assignee {
        "assignee changed"
    } else if a.subject != b.subject || a.records != b.records {
        "records changed"
    } else if a.priority != b.priority {
        "priority changed"
    } else if a.due != b.due {
        "due date changed"
    } else if a != b {
        "wording changed"
    } else {
        return None;
    })
}

fn describe_task(t: &Task) -> String {
    format!(
        "to employee {}, {} record(s), {:?}: {}",
        t.assignee,
        t.records.len(),
        t.priority,
        t.title
    )
}

fn describe_visit(v: &VisitException) -> String {
    let mut text = format!("{:?}: {}", v.kind, v.reason);
    if let Some(d) = v.distance_m {
        text.push_str(&format!(" ({d:.0} m)"));
    }
    text
}

fn describe_message(n: &Notification) -> String {
    format!("{:?} to citizen {}: {}", n.channel, n.citizen, n.template)
}

/// Objects matched by id: category changes by `from → to`, score-only changes counted as
/// changed under `score changed`.
fn compare_assessments(
    baseline: &Assessments,
    candidate: &Assessments,
    kinds: &mut BTreeMap<String, u64>,
    diff: &mut Differences,
) -> Tally {
    let mut tally = Tally::default();
    let name = |a: &Assessments, i: usize| a.category_names[a.categories[i] as usize].clone();
    let describe = |a: &Assessments, i: usize| format!("{} ({:.2})", name(a, i), a.scores[i]);
    let before: HashMap<u64, usize> = baseline
        .objects
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i))
        .collect();
    let mut seen = std::collections::HashSet::with_capacity(candidate.len());
    for (j, &object) in candidate.objects.iter().enumerate() {
        seen.insert(object);
        let change = match before.get(&object) {
            None => {
                tally.added += 1;
                Some(("added".to_string(), String::new()))
            }
            Some(&i) => {
                let (from, to) = (name(baseline, i), name(candidate, j));
                if from != to {
                    tally.changed += 1;
                    let kind = format!("{from} → {to}");
                    *kinds.entry(kind.clone()).or_default() += 1;
                    Some((kind, describe(baseline, i)))
                } else if baseline.scores[i] != candidate.scores[j] {
                    tally.changed += 1;
                    *kinds.entry("score changed".into()).or_default() += 1;
                    Some(("score changed".into(), describe(baseline, i)))
                } else {
                    tally.identical += 1;
                    None
                }
            }
        };
        if let Some((change, was)) = change {
            diff.push(|| RunDifference {
                item: "object",
                key: object.to_string(),
                change,
                baseline: was,
                candidate: describe(candidate, j),
            });
        }
    }
    for (i, &object) in baseline.objects.iter().enumerate() {
        if !seen.contains(&object) {
            tally.removed += 1;
            diff.push(|| RunDifference {
                item: "object",
                key: object.to_string(),
                change: "removed".into(),
                baseline: describe(baseline, i),
                candidate: String::new(),
            });
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use zemstvo_core::capabilities::tasks::Priority;

    fn task(key: &str, assignee: u64, priority: Priority) -> Task {
        Task {
            key: key.into(),
            assignee,
            subject: None,
            title: format!("Проверить {key}"),
            description: String::new(),
            records: Vec::new(),
            steps: Vec::new(),
            priority,
            due: None,
        }
    }

    fn tasks(
        baseline: &[Task],
        candidate: &[Task],
        max: usize,
    ) -> (Tally, BTreeMap<String, u64>, Differences) {
        let mut kinds = BTreeMap::new();
        let mut diff = Differences {
            kept: Vec::new(),
            left_out: 0,
            max,
        };
        let tally = matched(
            baseline,
            candidate,
            |t| t.key.as_str(),
            |x, y| task_change(x, y).map(|kind| (kind.to_string(), describe_task(y))),
            describe_task,
            "task",
            &mut kinds,
            &mut diff,
        );
        (tally, kinds, diff)
    }

    #[test]
    fn tasks_are_matched_by_key_into_added_removed_and_changed_by_what_changed() {
        let baseline = [
            task("a", 1, Priority::Normal),
            task("b", 1, Priority::Normal),
            task("c", 1, Priority::Normal),
            task("gone", 1, Priority::Normal),
        ];
        let candidate = [
            task("new", 2, Priority::High),
            task("c", 1, Priority::High),
            task("b", 7, Priority::Normal),
            task("a", 1, Priority::Normal),
        ];
        let (tally, kinds, diff) = tasks(&baseline, &candidate, 10);
        assert_eq!(
            (tally.identical, tally.added, tally.removed, tally.changed),
            (1, 1, 1, 2)
        );
        assert_eq!(kinds.get("assignee changed"), Some(&1));
        assert_eq!(kinds.get("priority changed"), Some(&1));
        let seen: Vec<(&str, &str)> = diff
            .kept
            .iter()
            .map(|d| (d.key.as_str(), d.change.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("new", "added"),
                ("c", "priority changed"),
                ("b", "assignee changed"),
                ("gone", "removed"),
            ]
        );
        assert!(diff.kept[2].baseline.starts_with("to employee 1"));
        assert!(diff.kept[2].candidate.starts_with("to employee 7"));

        // A cap keeps the counts and counts what it leaves out.
        let (tally, _, diff) = tasks(&baseline, &candidate, 1);
        assert_eq!(tally.changed, 2);
        assert_eq!((diff.kept.len(), diff.left_out), (1, 3));
    }

    #[test]
    fn assessed_objects_change_by_category_and_by_score() {
        let assessed = |rows: &[(u64, u16, f32)]| Assessments {
            category_names: vec!["low".into(), "high".into()],
            objects: rows.iter().map(|r| r.0).collect(),
            categories: rows.iter().map(|r| r.1).collect(),
            scores: rows.iter().map(|r| r.2).collect(),
            ..Assessments::default()
        };
        let baseline = assessed(&[(1, 0, 0.1), (2, 0, 0.2), (3, 1, 0.9), (4, 0, 0.0)]);
        let candidate = assessed(&[(1, 0, 0.1), (2, 1, 0.7), (3, 1, 0.8), (5, 0, 0.0)]);
        let mut kinds = BTreeMap::new();
        let mut diff = Differences {
            kept: Vec::new(),
            left_out: 0,
            max: 10,
        };
        let tally = compare_assessments(&baseline, &candidate, &mut kinds, &mut diff);
        assert_eq!(
            (tally.identical, tally.added, tally.removed, tally.changed),
            (1, 1, 1, 2)
        );
        assert_eq!(kinds.get("low → high"), Some(&1));
        assert_eq!(kinds.get("score changed"), Some(&1));
        assert_eq!(diff.kept[0].baseline, "low (0.20)");
        assert_eq!(diff.kept[0].candidate, "high (0.70)");
    }
}
