//! `log`: diagnostics from the plugin into the host's log and the run's record.

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
        let plugin = self.plugin.as_str();
        let run = self.run_id.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Debug => tracing::debug!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Info => tracing::info!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Warn => tracing::warn!(target: "zemstvo::plugin", plugin, run, "{message}"),
            Level::Error => tracing::error!(target: "zemstvo::plugin", plugin, run, "{message}"),
        }
        if self.outputs.logs.len() < self.limits.max_log_lines {
            self.outputs.logs.push(LogLine { level, message });
        } else {
            self.outputs.logs_dropped += 1;
        }
        Ok(())
    }
}
