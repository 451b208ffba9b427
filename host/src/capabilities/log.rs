//! The host side of `log`: the caps are applied before anything reaches the host's log; past
//! them a run's lines are counted, not kept or forwarded.

use zemstvo_core::capabilities::log::{Level, LogLine, MAX_LINE};

use crate::state::RunState;

impl RunState {
    pub(crate) fn log_line(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.check_budget()?;
        if self.outputs.logs.len() >= self.limits.max_log_lines
            || self.log_bytes >= self.limits.max_log_bytes
        {
            self.outputs.logs_dropped += 1;
            return Ok(());
        }
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
