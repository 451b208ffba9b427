//! The plugin's configuration, already checked by the host against the schema the plugin
//! declared: a key of the declared kind always has a value within its range.

use crate::PluginError;
use crate::bindings::deviation_check::zemstvo::platform::config as wit;
use crate::bindings::deviation_check::zemstvo::platform::types::{ConfigValue, ParameterValue};
use crate::time::{Timestamp, format_date};

fn get(key: &str) -> Result<ConfigValue, PluginError> {
    wit::get(key).ok_or_else(|| {
        PluginError::invalid_config(format!(
            "`{key}` is not a key of this plugin's configuration schema"
        ))
    })
}

fn wrong(key: &str, expected: &str) -> PluginError {
    PluginError::invalid_config(format!(
        "`{key}` is not {expected}; declare it so in the metadata"
    ))
}

/// An integer key's value, within its declared range: no need to check it again.
pub fn integer(key: &str) -> Result<i64, PluginError> {
    match get(key)? {
        ConfigValue::Integer(v) => Ok(v),
        _ => Err(wrong(key, "an integer")),
    }
}

/// A decimal key (integers are accepted too).
pub fn decimal(key: &str) -> Result<f64, PluginError> {
    match get(key)? {
        ConfigValue::Decimal(v) => Ok(v),
        ConfigValue::Integer(v) => Ok(v as f64),
        _ => Err(wrong(key, "a decimal")),
    }
}

/// A text key.
pub fn text(key: &str) -> Result<String, PluginError> {
    match get(key)? {
        ConfigValue::Text(v) => Ok(v),
        _ => Err(wrong(key, "text")),
    }
}

/// A flag key.
pub fn flag(key: &str) -> Result<bool, PluginError> {
    match get(key)? {
        ConfigValue::Flag(v) => Ok(v),
        _ => Err(wrong(key, "a flag")),
    }
}

/// The value of an effective-dated parameter on a date: the entry in force then. Ask for the
/// date the law cares about (an application's date, a payment's month), not the run's time.
pub fn parameter(name: &str, on: Timestamp) -> Result<ParameterValue, PluginError> {
    wit::parameter(name, on).ok_or_else(|| {
        PluginError::invalid_config(format!(
            "parameter `{name}` has no value in force on {}; add an entry from that date",
            format_date(on)
        ))
    })
}
