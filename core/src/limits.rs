//! Per-run limits: the time budget, the memory cap, and caps on what a run may emit.
//!
//! A breach ends the run with a trap whose reason names the limit; it never reaches the host
//! or the other plugins. The memory cap is enforced twice: by the pooling allocator's slot
//! size and per-component counts (the hard ceiling for every run, checked when a component is
//! compiled) and by [`RunLimiter`]: one budget for all linear memories and tables of the run
//! together, which also remembers what it refused, so the failure is reported as the limit
//! that was hit rather than as whatever the guest did after its allocation failed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one run may consume and emit. The defaults suit a region of ~1M records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunLimits {
    /// Wall time a run may take — not CPU time: waiting on the host (a query, a lookup)
    /// counts too, since a run holds its instance slot and the region's data meanwhile. It is
    /// counted from the moment the run starts executing, once it has its instance slot (a run
    /// that waited for a slot has spent none of it). Guest code is stopped by the epoch
    /// deadline, host calls check it on entry and long host work checks it between slices; a
    /// run ends at most [`BUDGET_MARGIN`] past it. Older settings name it `cpu_budget_ms`.
    #[serde(
        with = "duration_ms",
        rename = "time_budget_ms",
        alias = "cpu_budget_ms"
    )]
    pub time_budget: Duration,
    /// Bytes of all the run's linear memories and tables together.
    pub memory_bytes: usize,
    pub max_tasks: usize,
    pub max_notifications: usize,
    pub max_smev_requests: usize,
    /// Objects assessed by a risk-scoring run.
    pub max_assessments: usize,
    pub max_visit_exceptions: usize,
    /// Log lines kept in the run's record and passed to the host's log; further lines are
    /// counted, not kept, and summarised in one line at the end of the run.
    pub max_log_lines: usize,
    /// Bytes of log lines kept and passed on, with the same summary past it.
    pub max_log_bytes: usize,
    /// Steps in an eligibility rule's explanation.
    pub max_explanation_steps: usize,
    /// Bytes the host holds on the run's behalf: every output at its real size in memory
    /// (tasks, messages, requests, assessments, exceptions, an eligibility outcome) and the
    /// log lines kept, so that a plugin cannot make the host hold gigabytes within the count
    /// caps.
    pub max_output_bytes: usize,
    /// Cursors open at once.
    pub max_open_cursors: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            time_budget: Duration::from_secs(30),
            memory_bytes: 256 << 20,
            max_tasks: 10_000,
            max_notifications: 100_000,
            max_smev_requests: 10_000,
            max_assessments: 5_000_000,
            max_visit_exceptions: 100_000,
            max_log_lines: 1_000,
            max_log_bytes: 256 << 10,
            max_explanation_steps: 1_000,
            max_output_bytes: 64 << 20,
            max_open_cursors: 16,
        }
    }
}

/// A limit the run breached. Raised as a trap; the run's record names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("the run exceeded its time budget of {budget:?}")]
    TimeBudget { budget: Duration },
    #[error("the run emitted more than {cap} {output}")]
    OutputCount { output: &'static str, cap: usize },
    #[error("the run's outputs exceeded {cap} bytes")]
    OutputBytes { cap: usize },
    #[error("the run opened more than {cap} cursors at once; drop cursors it no longer reads")]
    OpenCursors { cap: usize },
    #[error("the run's eligibility explanation has more than {cap} steps")]
    ExplanationSteps { cap: usize },
}

/// The largest component a host loads by default, and the registry's cap on a package's
/// component: a release build of a plugin is well under 2 MiB.
pub const DEFAULT_MAX_COMPONENT_BYTES: usize = 16 << 20;

/// How far past its budget a run may end: the epoch tick, the slice of host work between two
/// deadline checks, and the time to drop what the run held. Measured by
/// `cargo bench --bench sandbox`.
pub const BUDGET_MARGIN: Duration = Duration::from_millis(250);

/// Linear memories one run may have (all core instances of its component together). A Rust
/// plugin has one; the second leaves room for a language runtime that keeps its own.
pub const MAX_MEMORIES: usize = 2;
/// Tables one run may have.
pub const MAX_TABLES: usize = 16;
/// Core instances one run may have (a Rust plugin has a handful: its module and the shims
/// the component tooling adds).
pub const MAX_INSTANCES: usize = 32;
/// Elements of one table.
pub const MAX_TABLE_ELEMENTS: usize = 1_000_000;

mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
