//! `types`, `config` and `log`: the vocabulary, the configuration and diagnostics.

/// `types`: entities, configuration values and parameter values.
macro_rules! types_interface {
    () => {
        impl zemstvo::platform::types::Host for crate::state::RunState {}

        impl From<zemstvo::platform::types::Entity> for zemstvo_core::capabilities::data::Entity {
            fn from(e: zemstvo::platform::types::Entity) -> Self {
                use zemstvo::platform::types::Entity as W;
                use zemstvo_core::capabilities::data::Entity;
                match e {
                    W::Units => Entity::Units,
                    W::Employees => Entity::Employees,
                    W::Applications => Entity::Applications,
                    W::ApplicationEvents => Entity::ApplicationEvents,
                    W::SmevRequests => Entity::SmevRequests,
                    W::Visits => Entity::Visits,
                    W::Citizens => Entity::Citizens,
                    W::InspectedObjects => Entity::InspectedObjects,
                    W::ObjectSignals => Entity::ObjectSignals,
                }
            }
        }

        impl From<zemstvo_core::capabilities::config::ConfigValue>
            for zemstvo::platform::types::ConfigValue
        {
            fn from(v: zemstvo_core::capabilities::config::ConfigValue) -> Self {
                use zemstvo::platform::types::ConfigValue as W;
                use zemstvo_core::capabilities::config::ConfigValue;
                match v {
                    ConfigValue::Flag(b) => W::Flag(b),
                    ConfigValue::Integer(i) => W::Integer(i),
                    ConfigValue::Decimal(d) => W::Decimal(d),
                    ConfigValue::Text(t) => W::Text(t),
                }
            }
        }

        impl From<zemstvo::platform::types::ConfigValue>
            for zemstvo_core::capabilities::config::ConfigValue
        {
            fn from(v: zemstvo::platform::types::ConfigValue) -> Self {
                use zemstvo::platform::types::ConfigValue as W;
                use zemstvo_core::capabilities::config::ConfigValue;
                match v {
                    W::Flag(b) => ConfigValue::Flag(b),
                    W::Integer(i) => ConfigValue::Integer(i),
                    W::Decimal(d) => ConfigValue::Decimal(d),
                    W::Text(t) => ConfigValue::Text(t),
                }
            }
        }

        impl From<zemstvo_core::capabilities::config::ParameterValue>
            for zemstvo::platform::types::ParameterValue
        {
            fn from(v: zemstvo_core::capabilities::config::ParameterValue) -> Self {
                zemstvo::platform::types::ParameterValue {
                    effective_from: v.effective_from,
                    value: v.value,
                    unit: v.unit,
                    legal_basis: v.legal_basis,
                }
            }
        }

        /// What `metadata()` returned, for the core's checks.
        fn declared(
            raw: zemstvo::platform::types::PluginMetadata,
        ) -> zemstvo_core::metadata::DeclaredMetadata {
            use zemstvo::platform::types::ConfigKind as W;
            use zemstvo_core::capabilities::config::{
                ConfigKind, ConfigParam, ParameterSpec, ParameterValue,
            };
            zemstvo_core::metadata::DeclaredMetadata {
                name: raw.name,
                version: raw.version,
                kind: raw.kind,
                title: raw.title,
                description: raw.description,
                capabilities: raw.capabilities,
                config: raw
                    .config
                    .into_iter()
                    .map(|p| ConfigParam {
                        key: p.key,
                        description: p.description,
                        kind: match p.kind {
                            W::Text => ConfigKind::Text,
                            W::Integer => ConfigKind::Integer,
                            W::Decimal => ConfigKind::Decimal,
                            W::Flag => ConfigKind::Flag,
                        },
                        default: p.default_value.map(Into::into),
                        minimum: p.minimum,
                        maximum: p.maximum,
                        choices: p.choices,
                    })
                    .collect(),
                parameters: raw
                    .parameters
                    .into_iter()
                    .map(|p| ParameterSpec {
                        name: p.name,
                        description: p.description,
                        history: p
                            .history
                            .into_iter()
                            .map(|v| ParameterValue {
                                effective_from: v.effective_from,
                                value: v.value,
                                unit: v.unit,
                                legal_basis: v.legal_basis,
                            })
                            .collect(),
                    })
                    .collect(),
            }
        }

        /// Why the plugin gave up, as the run's failure reason.
        fn plugin_error(
            e: zemstvo::platform::types::PluginError,
        ) -> zemstvo_core::report::FailureReason {
            use zemstvo::platform::types::PluginError as W;
            let (kind, message) = match e {
                W::InvalidConfig(m) => ("invalid-config", m),
                W::InvalidData(m) => ("invalid-data", m),
                W::HostCall(m) => ("host-call", m),
                W::Other(m) => ("other", m),
            };
            zemstvo_core::report::FailureReason::PluginError {
                kind: kind.to_string(),
                message,
            }
        }

        /// A batch run's summary.
        fn summary(s: zemstvo::platform::types::RunSummary) -> zemstvo_core::report::Summary {
            zemstvo_core::report::Summary {
                examined: s.examined,
                found: s.found,
                message: s.message,
            }
        }
    };
}

/// `config`: the run's configuration and parameters.
macro_rules! config_interface {
    () => {
        impl zemstvo::platform::config::Host for crate::state::RunState {
            async fn get(
                &mut self,
                key: String,
            ) -> wasmtime::Result<Option<zemstvo::platform::types::ConfigValue>> {
                Ok(self.config_value(&key)?.map(Into::into))
            }

            async fn parameter(
                &mut self,
                name: String,
                on: i64,
            ) -> wasmtime::Result<Option<zemstvo::platform::types::ParameterValue>> {
                Ok(self.parameter_value(&name, on)?.map(Into::into))
            }
        }
    };
}

/// `log`: diagnostics.
macro_rules! log_interface {
    () => {
        impl zemstvo::platform::log::Host for crate::state::RunState {
            async fn log(
                &mut self,
                level: zemstvo::platform::log::Level,
                message: String,
            ) -> wasmtime::Result<()> {
                use zemstvo::platform::log::Level as W;
                use zemstvo_core::capabilities::log::Level;
                let level = match level {
                    W::Trace => Level::Trace,
                    W::Debug => Level::Debug,
                    W::Info => Level::Info,
                    W::Warn => Level::Warn,
                    W::Error => Level::Error,
                };
                self.log_line(level, message)
            }
        }
    };
}
