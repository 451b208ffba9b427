//! The host side of `config`: the run's resolved configuration and parameter histories.

use zemstvo_core::capabilities::config::{ConfigValue, ParameterValue};

use crate::state::RunState;

impl RunState {
    pub(crate) fn config_value(&self, key: &str) -> wasmtime::Result<Option<ConfigValue>> {
        self.ensure_running("config")?;
        Ok(self.config.values.get(key).cloned())
    }

    /// A parameter's value in force on the day `on`.
    pub(crate) fn parameter_value(
        &self,
        name: &str,
        on: i64,
    ) -> wasmtime::Result<Option<ParameterValue>> {
        self.ensure_running("config")?;
        Ok(self
            .config
            .parameter(name)
            .and_then(|p| p.value_on(on))
            .cloned())
    }
}
