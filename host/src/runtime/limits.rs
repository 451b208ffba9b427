//! Per-run limits: the CPU budget, the memory cap, and caps on what a run may emit.
//!
//! A breach ends the run with a trap whose reason names the limit; it never reaches the host
//! or the other plugins. The memory cap is enforced twice: by the pooling allocator's slot
//! size (the hard ceiling for every run) and by [`RunLimiter`] (the run's own cap, which also
//! remembers that it said no, so the failure can be reported as "memory cap" rather than as
//! whatever the guest did after its allocation failed).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one run may consume and emit. The defaults suit a region of ~1M records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunLimits {
    /// Wall-clock time the plugin may spend in a run (epoch deadline).
    #[serde(with = "duration_ms", rename = "cpu_budget_ms")]
    pub cpu_budget: Duration,
    /// Linear memory the plugin may grow to, in bytes.
    pub memory_bytes: usize,
    pub max_tasks: usize,
    pub max_notifications: usize,
    pub max_smev_requests: usize,
    /// Objects assessed by a risk-scoring run.
    pub max_assessments: usize,
    pub max_visit_exceptions: usize,
    /// Log lines kept in the run's record; further lines are counted, not kept.
    pub max_log_lines: usize,
    /// Bytes of all outputs together (tasks, messages, requests, exceptions), so that a plugin
    /// cannot make the host hold gigabytes within the count caps.
    pub max_output_bytes: usize,
    /// Cursors open at once.
    pub max_open_cursors: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            cpu_budget: Duration::from_secs(30),
            memory_bytes: 256 << 20,
            max_tasks: 10_000,
            max_notifications: 100_000,
            max_smev_requests: 10_000,
            max_assessments: 5_000_000,
            max_visit_exceptions: 100_000,
            max_log_lines: 1_000,
            max_output_bytes: 64 << 20,
            max_open_cursors: 16,
        }
    }
}

/// A limit the run breached. Raised as a trap; the run's record names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("the run exceeded its CPU budget of {budget:?}")]
    CpuBudget { budget: Duration },
    #[error("the run emitted more than {cap} {output}")]
    OutputCount { output: &'static str, cap: usize },
    #[error("the run's outputs exceeded {cap} bytes")]
    OutputBytes { cap: usize },
    #[error("the run opened more than {cap} cursors at once; drop cursors it no longer reads")]
    OpenCursors { cap: usize },
}

/// The run's memory cap, as a wasmtime resource limiter that remembers refusing.
#[derive(Debug)]
pub struct RunLimiter {
    memory_bytes: usize,
    /// Set when a growth was refused, so a later trap can be reported as the memory cap.
    pub(crate) refused_memory: bool,
    /// The largest linear memory the run reached, for the run's record.
    pub(crate) peak_memory: usize,
}

impl RunLimiter {
    pub fn new(memory_bytes: usize) -> Self {
        RunLimiter {
            memory_bytes,
            refused_memory: false,
            peak_memory: 0,
        }
    }
}

impl wasmtime::ResourceLimiter for RunLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_bytes && maximum.is_none_or(|max| desired <= max);
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        } else {
            self.refused_memory = true;
            self.peak_memory = self.peak_memory.max(current);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000 && maximum.is_none_or(|max| desired <= max))
    }
}

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
