//! `log`: diagnostics from the plugin into the host's log and the run's record.
//!
//! The cap is applied before anything reaches the host's log: past `max_log_lines` lines or
//! `max_log_bytes` bytes a run's lines are counted, not kept or forwarded, and the run's end
//! adds one line saying how many were dropped. A chatty plugin cannot flood the host's log.

use serde::{Deserialize, Serialize};

use crate::runtime::RunState;
use crate::runtime::wit::latest::zemstvo::platform::log as wit;

/// Characters of one line kept; longer lines are cut.
const MAX_LINE: usize = 2_000;

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

impl wit::Host for RunState {
    async fn log(&mut self, level: wit::Level, message: String) -> wasmtime::Result<()> {
        self.check_budget()?;
        if self.outputs.logs.len() >= self.limits.max_log_lines
            || self.log_bytes >= self.limits.max_log_bytes
        {
            self.outputs.logs_dropped += 1;
            return Ok(());
        }
        let level = match level {
            wit::Level::Trace => Level::Trace,
            wit::Level::Debug => Level::Debug,
            wit::Level::Info => Level::Info,
            wit::Level::Warn => Level::Warn,
            wit::Level::Error => Level::Error,
        };
        let message: String = if message.chars().count() > MAX_LINE {
            message.chars().take(MAX_LINE).chain("…".chars()).collect()
        } else {
            message
        };
        let held = std::mem::size_of::<LogLine>() + message.len();
        self.log_bytes += message.len();
        self.hold(held)?;
        let plugin = self.plugin.as_str();
        let run = self.run_id.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Debug => tracing::debug!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Info => tracing::info!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Warn => tracing::warn!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Error => tracing::error!(target: "zemstvo::plugin", plugin, run, "{message}"),
        }
        self.outputs.logs.push(LogLine { level, message });
        Ok(())
    }
}
