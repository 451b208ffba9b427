//! The record of a run: what it was, how it ended, what it emitted. What `zemstvo run` prints
//! and what the store keeps.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::appeals::Routing;
use crate::capabilities::Capability;
use crate::capabilities::assessments::Assessments;
use crate::capabilities::log::LogLine;
use crate::capabilities::notify::Notification;
use crate::capabilities::smev::OutgoingRequest;
use crate::capabilities::tasks::Task;
use crate::capabilities::visit_checks::VisitException;
use crate::eligibility::Outcome;
use crate::metadata::PluginKind;

/// Everything a run emitted. Kept only if the run ends well.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOutputs {
    pub tasks: Vec<Task>,
    pub notifications: Vec<Notification>,
    pub smev_requests: Vec<OutgoingRequest>,
    #[serde(skip_serializing_if = "Assessments::is_empty", default)]
    pub assessments: Assessments,
    pub visit_exceptions: Vec<VisitException>,
    /// An eligibility rule's answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub eligibility: Option<Outcome>,
    /// An appeal-routing plugin's answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub routing: Option<Routing>,
    pub logs: Vec<LogLine>,
    /// Log lines past the run's cap, counted but not kept.
    pub logs_dropped: u64,
    /// Capabilities the plugin tried to use without a grant.
    pub denied: Vec<Capability>,
    /// Rows the plugin read through `data`.
    pub rows_read: u64,
    /// The sha256 of every query and batch the plugin read through `data`, in order; none
    /// when it read nothing. Equal digests mean the same rows were read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_sha256: Option<String>,
}

/// Which plugin ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRef {
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    /// sha256 of the component, hex.
    pub sha256: String,
}

/// The record of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: String,
    pub region: String,
    pub plugin: PluginRef,
    /// The run's logical time, seconds since the epoch.
    pub logical_time: i64,
    #[serde(flatten)]
    pub status: RunStatus,
    #[serde(with = "duration_us", rename = "duration_us")]
    pub duration: Duration,
    /// The most the plugin's linear memories and tables held at once, in bytes.
    pub peak_memory: usize,
    pub outputs: RunOutputs,
    /// What the plugin wrote to stdout and stderr (bounded).
    pub stdout: String,
    pub stderr: String,
}

impl RunReport {
    pub fn succeeded(&self) -> bool {
        matches!(self.status, RunStatus::Succeeded { .. })
    }

    /// The failure, if the run failed.
    pub fn failure(&self) -> Option<&FailureReason> {
        match &self.status {
            RunStatus::Failed { reason } => Some(reason),
            RunStatus::Succeeded { .. } => None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    Succeeded { summary: Summary },
    Failed { reason: FailureReason },
}

/// What a plugin reported at the end of a good run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub examined: u64,
    pub found: u64,
    pub message: String,
}

/// Why a run failed. Each says what happened and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailureReason {
    #[error(
        "the plugin ran past its time budget of {budget_ms} ms (wall time) and was stopped (an \
         endless loop, or more data than the budget allows; raise the budget if the data is large)"
    )]
    #[serde(alias = "cpu_budget_exceeded")]
    TimeBudgetExceeded { budget_ms: u64 },
    #[error(
        "the plugin tried to use more than its memory cap of {limit_bytes} bytes and was stopped"
    )]
    MemoryLimitExceeded { limit_bytes: usize },
    #[error("the plugin exhausted its stack (unbounded recursion?) and was stopped")]
    StackExhausted,
    #[error("the plugin panicked: {message}")]
    Panicked { message: String },
    #[error("the plugin emitted more than its cap of {cap} {output} and was stopped")]
    OutputCapExceeded { output: String, cap: usize },
    #[error(
        "what the host held for the plugin (its outputs and log) passed {cap} bytes and it was \
         stopped"
    )]
    OutputBytesExceeded { cap: usize },
    #[error("the plugin opened more than {cap} cursors at once and was stopped")]
    TooManyCursors { cap: usize },
    #[error(
        "the plugin's eligibility explanation has more than {cap} steps and it was stopped; \
         explain the decision in fewer steps"
    )]
    ExplanationTooLong { cap: usize },
    #[error(
        "the plugin needs more {what} than a run may have ({message}) and was stopped; a plugin \
         may have at most {cap}"
    )]
    TooManyResources {
        what: String,
        cap: usize,
        message: String,
    },
    #[error(
        "the plugin used a handle the host never gave it or had already dropped ({message}) \
         and was stopped; this is a bug in the plugin or its SDK"
    )]
    HandleMisuse { message: String },
    #[error(
        "the plugin passed the host a value outside its own memory or too large to copy \
         ({message}) and was stopped; this is a bug in the plugin or its SDK"
    )]
    InvalidHostCall { message: String },
    #[error("the plugin trapped: {message}")]
    Trapped { message: String },
    #[error("the plugin reported an error ({kind}): {message}")]
    PluginError { kind: String, message: String },
    #[error("the plugin returned an invalid result: {message}")]
    InvalidResult { message: String },
    #[error("the host could not run the plugin: {message}")]
    Host { message: String },
    /// The region would not load the installed plugin: its package no longer verifies (a
    /// revoked or untrusted key, a changed byte), or it is unsigned where that is not allowed.
    #[error("refused: {message}")]
    Refused { message: String },
}

mod duration_us {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_micros() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}
