//! `log`: diagnostics from the plugin into the host's log and the run's record.
//!
//! The cap is applied before anything reaches the host's log: past `max_log_lines` lines or
//! `max_log_bytes` bytes a run's lines are counted, not kept or forwarded, and the run's end
//! adds one line saying how many were dropped. A chatty plugin cannot flood the host's log.

use serde::{Deserialize, Serialize};

/// Characters of one line kept; longer lines are cut.
pub const MAX_LINE: usize = 2_000;

/// Severity, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: Level,
    pub message: String,
}
