//! Effective-dated parameters as a region administers them: the history a plugin ships plus
//! the entries the region adds when a new act changes an amount from a date. The next run
//! (or eligibility call) uses the merged history; nothing is rebuilt or reinstalled.

use zemstvo_core::capabilities::config::{ParameterSpec, ParameterValue};
use zemstvo_host::LoadedPlugin;
use zemstvo_store::StoreError;
use zemstvo_store::parameters::{EntryChange, ParameterEntry};

use crate::host::RegionHost;
use crate::install::InstallError;

const DAY: i64 = 86_400;

/// A calendar day `YYYY-MM-DD` as its UTC midnight: how entries are dated.
pub fn parse_day(text: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// The UTC day of `ts` as `YYYY-MM-DD`.
pub fn format_day(ts: i64) -> String {
    match chrono::DateTime::from_timestamp(ts, 0) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => ts.to_string(),
    }
}

/// Why a parameter entry was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    #[error("plugin `{0}` is not installed in this region; see `zemstvo plugin list`")]
    NotInstalled(String),
    #[error("`{plugin}` has no effective-dated parameter `{name}`; it declares: {declared}")]
    Unknown {
        plugin: String,
        name: String,
        declared: String,
    },
    #[error(
        "`{plugin}` counts `{name}` in `{expected}`, not `{got}`; give the value in {expected}"
    )]
    Unit {
        plugin: String,
        name: String,
        expected: String,
        got: String,
    },
    #[error("the value must be a finite number, got {0}")]
    NotFinite(f64),
    #[error(
        "name the act that sets the value (--basis), e.g. `Закон ХМАО – Югры от 07.07.2004 № 45-оз`"
    )]
    NoBasis,
    #[error("an entry applies from the start of a day (UTC); {0} is not midnight")]
    NotADate(i64),
    #[error(
        "the region has no entry of its own for `{name}` from that date (entries the plugin ships cannot be removed); see `zemstvo plugin parameters {plugin}`"
    )]
    NoSuchEntry { plugin: String, name: String },
    #[error("the component of `{plugin}` does not load: {why}")]
    Load { plugin: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One entry of a parameter's history as the region sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryLine {
    pub value: ParameterValue,
    /// Who added it, when the region did (otherwise the plugin ships it).
    pub added_by: Option<(String, i64)>,
    /// The region's entry replaces a value the plugin ships for the same date.
    pub replaces_plugin_value: bool,
}

/// A parameter with its merged history, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterHistory {
    pub name: String,
    pub description: String,
    pub lines: Vec<HistoryLine>,
}

impl ParameterHistory {
    /// The value in force at `on`.
    pub fn in_force(&self, on: i64) -> Option<&HistoryLine> {
        self.lines
            .iter()
            .rev()
            .find(|l| l.value.effective_from <= on)
    }
}

impl RegionHost {
    /// The installed version of `name`, loaded (for its declarations).
    async fn declaring_plugin(&self, name: &str) -> Result<LoadedPlugin, ParameterError> {
        self.installations()
            .installed_plugin(name)
            .await
            .map_err(|e| match e {
                InstallError::Store(StoreError::NotFound(_)) => {
                    ParameterError::NotInstalled(name.into())
                }
                InstallError::Store(e) => ParameterError::Store(e),
                other => ParameterError::Load {
                    plugin: name.into(),
                    why: other.to_string(),
                },
            })
    }

    /// The effective-dated parameters of `plugin` with their merged histories.
    pub async fn parameters(&self, plugin: &str) -> Result<Vec<ParameterHistory>, ParameterError> {
        let loaded = self.declaring_plugin(plugin).await?;
        let entries = self.store().parameter_entries(plugin).await?;
        Ok(loaded
            .metadata
            .parameters
            .iter()
            .map(|spec| history(spec, &entries))
            .collect())
    }

    /// Adds the region's entry for `name` of `plugin`, checked against what the plugin
    /// declares: a known parameter, its unit, a finite value, a legal basis, a whole day.
    pub async fn set_parameter(
        &self,
        plugin: &str,
        name: &str,
        value: ParameterValue,
        actor: &str,
    ) -> Result<EntryChange, ParameterError> {
        let loaded = self.declaring_plugin(plugin).await?;
        let spec = declared(&loaded, plugin, name)?;
        if !value.value.is_finite() {
            return Err(ParameterError::NotFinite(value.value));
        }
        if value.legal_basis.trim().is_empty() {
            return Err(ParameterError::NoBasis);
        }
        if value.effective_from.rem_euclid(DAY) != 0 {
            return Err(ParameterError::NotADate(value.effective_from));
        }
        if let Some(unit) = spec.history.last().map(|v| &v.unit)
            && unit != &value.unit
        {
            return Err(ParameterError::Unit {
                plugin: plugin.into(),
                name: name.into(),
                expected: unit.clone(),
                got: value.unit,
            });
        }
        Ok(self
            .store()
            .put_parameter_entry(plugin, name, &value, actor)
            .await?)
    }

    /// Removes the region's entry for `name` from `effective_from`.
    pub async fn remove_parameter(
        &self,
        plugin: &str,
        name: &str,
        effective_from: i64,
        actor: &str,
    ) -> Result<(), ParameterError> {
        let loaded = self.declaring_plugin(plugin).await?;
        declared(&loaded, plugin, name)?;
        if self
            .store()
            .remove_parameter_entry(plugin, name, effective_from, actor)
            .await?
        {
            Ok(())
        } else {
            Err(ParameterError::NoSuchEntry {
                plugin: plugin.into(),
                name: name.into(),
            })
        }
    }
}

fn declared<'a>(
    plugin: &'a LoadedPlugin,
    name: &str,
    parameter: &str,
) -> Result<&'a ParameterSpec, ParameterError> {
    let specs = &plugin.metadata.parameters;
    specs
        .iter()
        .find(|p| p.name == parameter)
        .ok_or_else(|| ParameterError::Unknown {
            plugin: name.into(),
            name: parameter.into(),
            declared: if specs.is_empty() {
                "none".into()
            } else {
                specs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

fn history(spec: &ParameterSpec, entries: &[ParameterEntry]) -> ParameterHistory {
    let ours: Vec<&ParameterEntry> = entries.iter().filter(|e| e.name == spec.name).collect();
    let merged = spec.with_entries(ours.iter().map(|e| &e.value));
    let lines = merged
        .history
        .into_iter()
        .map(|value| {
            let added = ours
                .iter()
                .find(|e| e.value.effective_from == value.effective_from);
            HistoryLine {
                replaces_plugin_value: added.is_some()
                    && spec
                        .history
                        .iter()
                        .any(|v| v.effective_from == value.effective_from),
                added_by: added.map(|e| (e.added_by.clone(), e.added_at)),
                value,
            }
        })
        .collect();
    ParameterHistory {
        name: spec.name.clone(),
        description: spec.description.clone(),
        lines,
    }
}
