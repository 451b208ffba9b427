//! What a plugin says about itself, validated: a component whose metadata names an unknown
//! kind or capability, or declares a schema that cannot work, is refused at load time with an
//! error that says which field is wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;
use crate::capabilities::config::{ConfigParam, ConfigSchema, ParameterSpec};
use crate::checks::is_identifier;

/// The kinds of plugin, one WIT world each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    DeviationCheck,
    EligibilityRule,
    RiskScoring,
    GeoCheck,
    /// Classifies and routes citizens' appeals (WIT 0.2.0 and later).
    AppealRouting,
}

impl PluginKind {
    pub const ALL: [PluginKind; 5] = [
        PluginKind::DeviationCheck,
        PluginKind::EligibilityRule,
        PluginKind::RiskScoring,
        PluginKind::GeoCheck,
        PluginKind::AppealRouting,
    ];

    /// The kind's name, which is also its WIT world's name.
    pub fn name(self) -> &'static str {
        match self {
            PluginKind::DeviationCheck => "deviation-check",
            PluginKind::EligibilityRule => "eligibility-rule",
            PluginKind::RiskScoring => "risk-scoring",
            PluginKind::GeoCheck => "geo-check",
            PluginKind::AppealRouting => "appeal-routing",
        }
    }

    /// The interface (without package and version) that holds the kind's entry point.
    pub fn entry_interface(self) -> &'static str {
        match self {
            PluginKind::DeviationCheck => "deviation-check-entry",
            PluginKind::EligibilityRule => "eligibility-rule-entry",
            PluginKind::RiskScoring => "risk-scoring-entry",
            PluginKind::GeoCheck => "geo-check-entry",
            PluginKind::AppealRouting => "appeal-routing-entry",
        }
    }

    /// Whether the kind is started by the scheduler over the whole region (all but
    /// eligibility rules and appeal routing, which are called per application or appeal).
    pub fn is_batch(self) -> bool {
        !matches!(
            self,
            PluginKind::EligibilityRule | PluginKind::AppealRouting
        )
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PluginKind {
    type Err = MetadataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PluginKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| MetadataError::UnknownKind(s.to_string()))
    }
}

/// A plugin's metadata after validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginMetadata {
    pub name: String,
    pub version: semver::Version,
    pub kind: PluginKind,
    pub title: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub config: ConfigSchema,
    pub parameters: Vec<ParameterSpec>,
}

/// Why a plugin's metadata was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetadataError {
    #[error(
        "plugin name `{0}` is invalid: use lowercase ASCII letters, digits and `-`, starting \
         with a letter, at most 64 characters"
    )]
    InvalidName(String),
    #[error("plugin version `{0}` is not a semantic version such as 1.2.0")]
    InvalidVersion(String),
    #[error(
        "unknown plugin kind `{0}`; known kinds are: deviation-check, eligibility-rule, risk-scoring, geo-check"
    )]
    UnknownKind(String),
    #[error(
        "the metadata says kind `{declared}` but the component was built for the \
         `{world}` world; fix the kind in the plugin's metadata"
    )]
    KindMismatch {
        declared: PluginKind,
        world: PluginKind,
    },
    #[error("the plugin's title is empty; give the administrator one line saying what it checks")]
    EmptyTitle,
    #[error("the metadata declares capability `{0}` twice")]
    DuplicateCapability(Capability),
    #[error(transparent)]
    UnknownCapability(#[from] crate::capabilities::UnknownCapability),
    #[error(transparent)]
    Config(#[from] crate::capabilities::config::ConfigError),
    #[error("effective-dated parameter `{name}` is invalid: {why}")]
    InvalidParameter { name: String, why: String },
}

/// What loading a component established about it: its validated metadata, its hash and the
/// WIT version it was built against. The host's loaded plugins implement it, so that crates
/// without wasmtime (the registry's manifests) can compare a component with its description.
pub trait ComponentFacts {
    fn metadata(&self) -> &PluginMetadata;
    /// sha256 of the component bytes, hex.
    fn sha256(&self) -> &str;
    /// The WIT version the component was built against, e.g. `0.1.0`.
    fn wit_version(&self) -> &str;
}

/// What a component's `metadata()` returned, before any check: the host's bindings of each
/// WIT version convert their record into this.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredMetadata {
    pub name: String,
    pub version: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub capabilities: Vec<String>,
    pub config: Vec<ConfigParam>,
    pub parameters: Vec<ParameterSpec>,
}

impl PluginMetadata {
    /// Validates what the component's `metadata()` returned. `world` is the kind the
    /// component's exports show; the declared kind must agree with it.
    pub fn validate(raw: DeclaredMetadata, world: PluginKind) -> Result<Self, MetadataError> {
        if !is_identifier(&raw.name) {
            return Err(MetadataError::InvalidName(raw.name));
        }
        let version = semver::Version::parse(&raw.version)
            .map_err(|_| MetadataError::InvalidVersion(raw.version.clone()))?;
        let kind: PluginKind = raw.kind.parse()?;
        if kind != world {
            return Err(MetadataError::KindMismatch {
                declared: kind,
                world,
            });
        }
        if raw.title.trim().is_empty() {
            return Err(MetadataError::EmptyTitle);
        }
        let mut capabilities = Vec::new();
        for name in &raw.capabilities {
            let capability: Capability = name.parse()?;
            if capabilities.contains(&capability) {
                return Err(MetadataError::DuplicateCapability(capability));
            }
            capabilities.push(capability);
        }
        let config = ConfigSchema { params: raw.config };
        config.validate()?;
        let parameters = raw
            .parameters
            .into_iter()
            .map(parameter_spec)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PluginMetadata {
            name: raw.name,
            version,
            kind,
            title: raw.title,
            description: raw.description,
            capabilities,
            config,
            parameters,
        })
    }
}

fn parameter_spec(p: ParameterSpec) -> Result<ParameterSpec, MetadataError> {
    let invalid = |why: &str| MetadataError::InvalidParameter {
        name: p.name.clone(),
        why: why.to_string(),
    };
    if !is_identifier(&p.name) {
        return Err(invalid(
            "names are lowercase ASCII letters, digits and `-`, starting with a letter",
        ));
    }
    if p.history.is_empty() {
        return Err(invalid("it has no value from any date"));
    }
    if p.history
        .windows(2)
        .any(|w| w[0].effective_from >= w[1].effective_from)
    {
        return Err(invalid(
            "its history must be in strictly ascending order of effective-from",
        ));
    }
    if p.history.iter().any(|v| !v.value.is_finite()) {
        return Err(invalid("a value is not a finite number"));
    }
    Ok(p)
}
