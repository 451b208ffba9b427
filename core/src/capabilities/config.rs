//! `config`: the plugin's configuration, checked against the schema the plugin declares, and
//! its effective-dated parameters.
//!
//! The administrator's settings arrive as text (`key=value` on the command line, later from
//! the store); [`ConfigSchema::resolve`] turns them into typed values or refuses them with an
//! error naming the key, so a plugin never starts with a configuration it did not declare.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::checks::is_identifier;

/// A configuration value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfigValue {
    Flag(bool),
    Integer(i64),
    Decimal(f64),
    Text(String),
}

impl ConfigValue {
    pub fn kind(&self) -> ConfigKind {
        match self {
            ConfigValue::Flag(_) => ConfigKind::Flag,
            ConfigValue::Integer(_) => ConfigKind::Integer,
            ConfigValue::Decimal(_) => ConfigKind::Decimal,
            ConfigValue::Text(_) => ConfigKind::Text,
        }
    }
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Flag(v) => write!(f, "{v}"),
            ConfigValue::Integer(v) => write!(f, "{v}"),
            ConfigValue::Decimal(v) => write!(f, "{v}"),
            ConfigValue::Text(v) => f.write_str(v),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigKind {
    Text,
    Integer,
    Decimal,
    Flag,
}

impl ConfigKind {
    pub fn name(self) -> &'static str {
        match self {
            ConfigKind::Text => "text",
            ConfigKind::Integer => "an integer",
            ConfigKind::Decimal => "a decimal number",
            ConfigKind::Flag => "true or false",
        }
    }
}

/// One key of a plugin's configuration schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigParam {
    pub key: String,
    pub description: String,
    pub kind: ConfigKind,
    pub default: Option<ConfigValue>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// The configuration a plugin declares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigSchema {
    pub params: Vec<ConfigParam>,
}

/// One entry of an effective-dated parameter's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterValue {
    /// Seconds since the epoch (UTC midnight of the first day it applies).
    pub effective_from: i64,
    pub value: f64,
    pub unit: String,
    pub legal_basis: String,
}

/// An amount or threshold that changes from a date by law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSpec {
    pub name: String,
    pub description: String,
    /// Ascending by `effective_from`.
    pub history: Vec<ParameterValue>,
}

impl ParameterSpec {
    /// The entry in force on `on`: the latest whose `effective_from` is not after it.
    pub fn value_on(&self, on: i64) -> Option<&ParameterValue> {
        self.history.iter().rev().find(|v| v.effective_from <= on)
    }

    /// This history with a region's own entries added (a new act's amount from its date): an
    /// entry for a date the plugin already has replaces the plugin's value for that date.
    pub fn with_entries<'a>(
        &self,
        entries: impl IntoIterator<Item = &'a ParameterValue>,
    ) -> ParameterSpec {
        let mut merged = self.clone();
        for entry in entries {
            merged
                .history
                .retain(|v| v.effective_from != entry.effective_from);
            merged.history.push(entry.clone());
        }
        merged.history.sort_by_key(|v| v.effective_from);
        merged
    }
}

/// Why a configuration (or a schema) cannot be used. Names the key and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown configuration key `{key}`; this plugin accepts: {known}")]
    UnknownKey { key: String, known: String },
    #[error("configuration key `{key}` expects {expected}, got `{got}`")]
    WrongType {
        key: String,
        expected: &'static str,
        got: String,
    },
    #[error("configuration key `{key}` = {value} is out of range: {range}")]
    OutOfRange {
        key: String,
        value: String,
        range: String,
    },
    #[error("configuration key `{key}` = `{value}` is not one of: {choices}")]
    NotAChoice {
        key: String,
        value: String,
        choices: String,
    },
    #[error("configuration key `{key}` is required and has no default; set it with `{key}=VALUE`")]
    Missing { key: String },
    #[error("configuration setting `{0}` is not of the form key=value")]
    Malformed(String),
    #[error("the plugin's configuration schema is invalid: {0}")]
    InvalidSchema(String),
}

impl ConfigSchema {
    pub fn param(&self, key: &str) -> Option<&ConfigParam> {
        self.params.iter().find(|p| p.key == key)
    }

    fn known_keys(&self) -> String {
        if self.params.is_empty() {
            return "no keys at all".to_string();
        }
        self.params
            .iter()
            .map(|p| p.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks the schema itself: keys well-formed and unique, defaults of the right kind and
    /// within bounds. Called when a plugin is loaded.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.params {
            let bad = |why: String| ConfigError::InvalidSchema(format!("key `{}`: {why}", p.key));
            if !is_identifier(&p.key) {
                return Err(bad(
                    "keys are lowercase ASCII letters, digits and `-`, starting with a letter"
                        .into(),
                ));
            }
            if !seen.insert(p.key.as_str()) {
                return Err(bad("declared twice".into()));
            }
            if let (Some(min), Some(max)) = (p.minimum, p.maximum)
                && min > max
            {
                return Err(bad(format!("minimum {min} is above maximum {max}")));
            }
            if (p.minimum.is_some() || p.maximum.is_some())
                && !matches!(p.kind, ConfigKind::Integer | ConfigKind::Decimal)
            {
                return Err(bad("bounds apply only to integer and decimal keys".into()));
            }
            if !p.choices.is_empty() && p.kind != ConfigKind::Text {
                return Err(bad("choices apply only to text keys".into()));
            }
            if let Some(default) = &p.default {
                check_value(p, default.clone()).map_err(|e| bad(format!("default: {e}")))?;
            }
        }
        Ok(())
    }

    /// Turns the administrator's `key=value` settings into the run's configuration: every
    /// declared key gets its setting or default; anything undeclared, mistyped, out of range
    /// or missing is refused.
    pub fn resolve<'a>(
        &self,
        settings: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<BTreeMap<String, ConfigValue>, ConfigError> {
        let mut values = BTreeMap::new();
        for (key, raw) in settings {
            let param = self.param(key).ok_or_else(|| ConfigError::UnknownKey {
                key: key.to_string(),
                known: self.known_keys(),
            })?;
            values.insert(key.to_string(), parse_value(param, raw)?);
        }
        for p in &self.params {
            if !values.contains_key(&p.key) {
                let default = p
                    .default
                    .clone()
                    .ok_or_else(|| ConfigError::Missing { key: p.key.clone() })?;
                values.insert(p.key.clone(), default);
            }
        }
        Ok(values)
    }
}

/// Splits `key=value` as typed on a command line.
pub fn parse_setting(setting: &str) -> Result<(&str, &str), ConfigError> {
    setting
        .split_once('=')
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim(), v.trim()))
        .ok_or_else(|| ConfigError::Malformed(setting.to_string()))
}

fn parse_value(param: &ConfigParam, raw: &str) -> Result<ConfigValue, ConfigError> {
    let wrong = || ConfigError::WrongType {
        key: param.key.clone(),
        expected: param.kind.name(),
        got: raw.to_string(),
    };
    let value = match param.kind {
        ConfigKind::Text => ConfigValue::Text(raw.to_string()),
        ConfigKind::Integer => ConfigValue::Integer(raw.parse().map_err(|_| wrong())?),
        ConfigKind::Decimal => {
            let v: f64 = raw.parse().map_err(|_| wrong())?;
            if !v.is_finite() {
                return Err(wrong());
            }
            ConfigValue::Decimal(v)
        }
        ConfigKind::Flag => ConfigValue::Flag(match raw {
            "true" | "yes" | "on" | "1" => true,
            "false" | "no" | "off" | "0" => false,
            _ => return Err(wrong()),
        }),
    };
    check_value(param, value)
}

fn check_value(param: &ConfigParam, value: ConfigValue) -> Result<ConfigValue, ConfigError> {
    let value = match (param.kind, value) {
        (ConfigKind::Decimal, ConfigValue::Integer(i)) => ConfigValue::Decimal(i as f64),
        (kind, value) if value.kind() == kind => value,
        (_, value) => {
            return Err(ConfigError::WrongType {
                key: param.key.clone(),
                expected: param.kind.name(),
                got: value.to_string(),
            });
        }
    };
    let number = match &value {
        ConfigValue::Integer(i) => Some(*i as f64),
        ConfigValue::Decimal(d) => Some(*d),
        _ => None,
    };
    if let Some(n) = number {
        let below = param.minimum.is_some_and(|min| n < min);
        let above = param.maximum.is_some_and(|max| n > max);
        if below || above {
            let range = match (param.minimum, param.maximum) {
                (Some(min), Some(max)) => format!("allowed {min} to {max}"),
                (Some(min), None) => format!("allowed {min} or more"),
                (None, Some(max)) => format!("allowed {max} or less"),
                (None, None) => unreachable!("out of range needs a bound"),
            };
            return Err(ConfigError::OutOfRange {
                key: param.key.clone(),
                value: value.to_string(),
                range,
            });
        }
    }
    if let ConfigValue::Text(t) = &value
        && !param.choices.is_empty()
        && !param.choices.contains(t)
    {
        return Err(ConfigError::NotAChoice {
            key: param.key.clone(),
            value: t.clone(),
            choices: param.choices.join(", "),
        });
    }
    Ok(value)
}

/// The configuration a run sees: values for every key, and parameter histories.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolvedConfig {
    pub values: BTreeMap<String, ConfigValue>,
    pub parameters: Vec<ParameterSpec>,
}

impl ResolvedConfig {
    pub fn parameter(&self, name: &str) -> Option<&ParameterSpec> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ConfigSchema {
        ConfigSchema {
            params: vec![
                ConfigParam {
                    key: "max-wait-days".into(),
                    description: "days".into(),
                    kind: ConfigKind::Integer,
                    default: Some(ConfigValue::Integer(4)),
                    minimum: Some(1.0),
                    maximum: Some(60.0),
                    choices: vec![],
                },
                ConfigParam {
                    key: "mode".into(),
                    description: "mode".into(),
                    kind: ConfigKind::Text,
                    default: None,
                    minimum: None,
                    maximum: None,
                    choices: vec!["strict".into(), "lenient".into()],
                },
            ],
        }
    }

    #[test]
    fn defaults_fill_what_the_administrator_left_unset() {
        let values = schema().resolve([("mode", "strict")]).unwrap();
        assert_eq!(values["max-wait-days"], ConfigValue::Integer(4));
        assert_eq!(values["mode"], ConfigValue::Text("strict".into()));
    }

    #[test]
    fn bad_settings_name_the_key_and_the_problem() {
        let s = schema();
        let e = s
            .resolve([("mode", "strict"), ("max-wait-day", "3")])
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown configuration key `max-wait-day`")
        );
        assert!(e.to_string().contains("max-wait-days, mode"));
        let e = s
            .resolve([("mode", "strict"), ("max-wait-days", "four")])
            .unwrap_err();
        assert!(
            e.to_string().contains("expects an integer, got `four`"),
            "{e}"
        );
        let e = s
            .resolve([("mode", "strict"), ("max-wait-days", "90")])
            .unwrap_err();
        assert!(e.to_string().contains("allowed 1 to 60"), "{e}");
        let e = s.resolve([("mode", "loose")]).unwrap_err();
        assert!(e.to_string().contains("not one of: strict, lenient"), "{e}");
        let e = s.resolve([]).unwrap_err();
        assert_eq!(e, ConfigError::Missing { key: "mode".into() });
    }

    #[test]
    fn schema_with_a_default_out_of_its_own_bounds_is_invalid() {
        let mut s = schema();
        s.params[0].default = Some(ConfigValue::Integer(0));
        assert!(
            matches!(s.validate(), Err(ConfigError::InvalidSchema(m)) if m.contains("max-wait-days"))
        );
    }

    #[test]
    fn region_entries_extend_and_override_the_plugin_history() {
        let entry = |from: i64, value: f64| ParameterValue {
            effective_from: from,
            value,
            unit: "RUB/month".into(),
            legal_basis: "act".into(),
        };
        let spec = ParameterSpec {
            name: "amount".into(),
            description: String::new(),
            history: vec![entry(0, 100.0), entry(1_000, 110.0)],
        };
        let merged = spec.with_entries(&[entry(2_000, 130.0), entry(1_000, 111.0)]);
        let values: Vec<(i64, f64)> = merged
            .history
            .iter()
            .map(|v| (v.effective_from, v.value))
            .collect();
        assert_eq!(values, [(0, 100.0), (1_000, 111.0), (2_000, 130.0)]);
        assert_eq!(merged.value_on(1_999).unwrap().value, 111.0);
        assert_eq!(merged.value_on(2_000).unwrap().value, 130.0);
        assert_eq!(spec.with_entries(&[]), spec);
    }

    #[test]
    fn parameter_value_on_a_date_is_the_latest_entry_in_force() {
        let p = ParameterSpec {
            name: "amount".into(),
            description: String::new(),
            history: vec![
                ParameterValue {
                    effective_from: 100,
                    value: 1.0,
                    unit: "RUB".into(),
                    legal_basis: "a".into(),
                },
                ParameterValue {
                    effective_from: 200,
                    value: 2.0,
                    unit: "RUB".into(),
                    legal_basis: "b".into(),
                },
            ],
        };
        assert_eq!(p.value_on(99), None);
        assert_eq!(p.value_on(100).unwrap().value, 1.0);
        assert_eq!(p.value_on(199).unwrap().value, 1.0);
        assert_eq!(p.value_on(200).unwrap().value, 2.0);
    }
}
