//! Describing a plugin: its name and version, what it needs, what it can be configured with,
//! and the effective-dated parameters it uses.

use crate::bindings::deviation_check::zemstvo::platform::types as wit;

/// Capability names, as declared in [`Metadata::capability`] and granted by administrators.
///
/// Declare only what the plugin uses: an administrator reviews the list before enabling it,
/// and a call that needs an undeclared capability fails.
pub mod capability {
    /// Read units and employees.
    pub const DATA_STAFF: &str = "data.staff";
    /// Read applications and their status history.
    pub const DATA_APPLICATIONS: &str = "data.applications";
    /// Read SMEV requests and their answer times.
    pub const DATA_SMEV: &str = "data.smev";
    /// Read home-care visits and their GPS points.
    pub const DATA_VISITS: &str = "data.visits";
    /// Read citizens' coordinates, district and consent (no personal data).
    pub const DATA_CITIZENS: &str = "data.citizens";
    /// Read citizens' personal data: names, addresses, phones, e-mails, SNILS, birth dates.
    pub const DATA_CITIZENS_PERSONAL: &str = "data.citizens.personal";
    /// Read inspected objects and their signals.
    pub const DATA_OBJECTS: &str = "data.objects";
    /// Create tasks for staff.
    pub const TASKS_CREATE: &str = "tasks.create";
    /// Send notifications to citizens.
    pub const NOTIFY_SEND: &str = "notify.send";
    /// Send SMEV requests.
    pub const SMEV_SEND: &str = "smev.send";
    /// Record risk categories of inspected objects.
    pub const ASSESSMENTS_WRITE: &str = "assessments.write";
    /// Record exceptions of home-care visits.
    pub const VISITS_RECORD_EXCEPTIONS: &str = "visits.record-exceptions";
}

/// What a plugin tells the host about itself. The kind is filled in by the export macro.
#[derive(Debug, Clone)]
pub struct Metadata {
    name: String,
    version: String,
    title: String,
    description: String,
    capabilities: Vec<String>,
    config: Vec<ConfigParam>,
    parameters: Vec<Parameter>,
}

impl Metadata {
    /// `name`: lowercase letters, digits and `-` (the package name); `version`: semver,
    /// usually `env!("CARGO_PKG_VERSION")`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Metadata {
            name: name.into(),
            version: version.into(),
            title: String::new(),
            description: String::new(),
            capabilities: Vec::new(),
            config: Vec::new(),
            parameters: Vec::new(),
        }
    }

    /// One line for the administrator: what the plugin finds or decides.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// What the administrator reads before enabling the plugin: the rule, where it comes
    /// from and what it creates.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// A capability the plugin needs; see [`capability`].
    pub fn capability(mut self, name: &str) -> Self {
        self.capabilities.push(name.to_string());
        self
    }

    /// A configuration key the administrator can set.
    pub fn config(mut self, param: ConfigParam) -> Self {
        self.config.push(param);
        self
    }

    /// An effective-dated parameter (an amount or threshold set by law from a date).
    pub fn parameter(mut self, parameter: Parameter) -> Self {
        self.parameters.push(parameter);
        self
    }

    #[doc(hidden)]
    pub fn into_wit(self, kind: &str) -> wit::PluginMetadata {
        wit::PluginMetadata {
            name: self.name,
            version: self.version,
            kind: kind.to_string(),
            title: self.title,
            description: self.description,
            capabilities: self.capabilities,
            config: self.config.into_iter().map(|c| c.0).collect(),
            parameters: self.parameters.into_iter().map(|p| p.0).collect(),
        }
    }
}

/// A configuration key. The host checks every value against it before a run starts, so the
/// plugin can rely on [`crate::config`] returning a value of the declared type and range.
#[derive(Debug, Clone)]
pub struct ConfigParam(wit::ConfigParam);

impl ConfigParam {
    fn new(key: &str, description: &str, kind: wit::ConfigKind) -> Self {
        ConfigParam(wit::ConfigParam {
            key: key.to_string(),
            description: description.to_string(),
            kind,
            default_value: None,
            minimum: None,
            maximum: None,
            choices: Vec::new(),
        })
    }

    /// A whole number (days, hours, counts); bound it with [`ConfigParam::range`].
    pub fn integer(key: &str, description: &str) -> Self {
        Self::new(key, description, wit::ConfigKind::Integer)
    }

    /// A decimal (percentages, distances).
    pub fn decimal(key: &str, description: &str) -> Self {
        Self::new(key, description, wit::ConfigKind::Decimal)
    }

    /// Text: a choice from [`ConfigParam::choices`], or structured data such as a list of
    /// dates or a JSON catalogue the plugin parses and checks itself.
    pub fn text(key: &str, description: &str) -> Self {
        Self::new(key, description, wit::ConfigKind::Text)
    }

    /// On or off, to switch part of the rule.
    pub fn flag(key: &str, description: &str) -> Self {
        Self::new(key, description, wit::ConfigKind::Flag)
    }

    /// The value used when the administrator sets none. Without a default the key is
    /// required.
    pub fn default(mut self, value: impl Into<ConfigDefault>) -> Self {
        self.0.default_value = Some(value.into().0);
        self
    }

    /// Inclusive bounds for integer and decimal keys.
    pub fn range(mut self, minimum: impl Into<f64>, maximum: impl Into<f64>) -> Self {
        self.0.minimum = Some(minimum.into());
        self.0.maximum = Some(maximum.into());
        self
    }

    /// The only values a text key accepts.
    pub fn choices(mut self, choices: &[&str]) -> Self {
        self.0.choices = choices.iter().map(|c| c.to_string()).collect();
        self
    }
}

/// A default value for [`ConfigParam::default`].
pub struct ConfigDefault(wit::ConfigValue);

impl From<i64> for ConfigDefault {
    fn from(v: i64) -> Self {
        ConfigDefault(wit::ConfigValue::Integer(v))
    }
}

impl From<i32> for ConfigDefault {
    fn from(v: i32) -> Self {
        ConfigDefault(wit::ConfigValue::Integer(v.into()))
    }
}

impl From<f64> for ConfigDefault {
    fn from(v: f64) -> Self {
        ConfigDefault(wit::ConfigValue::Decimal(v))
    }
}

impl From<bool> for ConfigDefault {
    fn from(v: bool) -> Self {
        ConfigDefault(wit::ConfigValue::Flag(v))
    }
}

impl From<&str> for ConfigDefault {
    fn from(v: &str) -> Self {
        ConfigDefault(wit::ConfigValue::Text(v.to_string()))
    }
}

/// An effective-dated parameter: its value changes from a date by law, so it is data, not a
/// literal in the code. Ship the history you know; the region can add entries later.
#[derive(Debug, Clone)]
pub struct Parameter(wit::ParameterSpec);

impl Parameter {
    /// A parameter named as [`crate::config::parameter`] reads it; add its values with
    /// [`Parameter::value_from`].
    pub fn new(name: &str, description: &str) -> Self {
        Parameter(wit::ParameterSpec {
            name: name.to_string(),
            description: description.to_string(),
            history: Vec::new(),
        })
    }

    /// The value in force from `date` (e.g. `zemstvo_sdk::time::ymd(2024, 1, 1)`), its unit and
    /// the legal act that sets it. Give entries in date order.
    pub fn value_from(
        mut self,
        date: ::time::Date,
        value: f64,
        unit: &str,
        legal_basis: &str,
    ) -> Self {
        self.0.history.push(wit::ParameterValue {
            effective_from: crate::time::midnight(date),
            value,
            unit: unit.to_string(),
            legal_basis: legal_basis.to_string(),
        });
        self
    }
}
