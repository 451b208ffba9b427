//! How a region host is set up: the file an administrator writes (`region.toml`).
//!
//! ```toml
//! host_id = "uszn-host-1"
//!
//! [limits]               # per run; see RunLimits
//! cpu_budget_ms = 30000
//!
//! [smtp]
//! host = "mail.uszn.example.ru"
//! port = 587
//! tls = "starttls"
//! from = "ЦСЗН <noreply@uszn.example.ru>"
//!
//! [sms]
//! url = "https://sms-gateway.example.ru/send"
//!
//! [smev]
//! transport = "simulator"  # or "http" with url = "…"
//! seconds_per_day = 86400
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zemstvo_host::runtime::limits::RunLimits;
use zemstvo_outbox::RetryPolicy;
use zemstvo_outbox::senders::{GatewayConfig, SmtpConfig};
pub use zemstvo_outbox::smev::{HttpSmevConfig, SimulatorConfig as SimulatorSettings};

/// Everything a host needs besides its database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostSettings {
    /// Names this host in claims, runs and the audit log; unique among the region's hosts.
    pub host_id: String,
    pub limits: RunLimits,
    /// How long a host may hold a claimed run before others take it over; longer than the
    /// CPU budget.
    pub run_lease_secs: u64,
    /// How often the host looks for due work when nothing wakes it.
    pub poll_interval_ms: u64,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<GatewayConfig>,
    pub voice: Option<GatewayConfig>,
    pub portal: Option<GatewayConfig>,
    pub retry: RetryPolicy,
    pub smev: SmevSettings,
    /// Run unsigned packages (development only; a region runs only what a trusted vendor
    /// signed).
    pub allow_unsigned: bool,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            host_id: default_host_id(),
            limits: RunLimits::default(),
            run_lease_secs: 600,
            poll_interval_ms: 5_000,
            smtp: None,
            sms: None,
            voice: None,
            portal: None,
            retry: RetryPolicy::default(),
            smev: SmevSettings::default(),
            allow_unsigned: false,
        }
    }
}

/// Which SMEV transport the host uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmevSettings {
    /// No SMEV: requests stay queued.
    None,
    Simulator(SimulatorSettings),
    Http(HttpSmevConfig),
}

impl Default for SmevSettings {
    fn default() -> Self {
        SmevSettings::Simulator(SimulatorSettings::default())
    }
}

/// Why the settings file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid host settings: {message}")]
    Invalid { path: String, message: String },
}

impl HostSettings {
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| SettingsError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.run_lease_secs.max(1))
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}

fn default_host_id() -> String {
    let name = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let name = if name.is_empty() {
        "host".to_string()
    } else {
        name
    };
    format!("{name}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settings_file_reads_as_documented() {
        let s: HostSettings = toml::from_str(
            r#"
            host_id = "h1"
            [limits]
            cpu_budget_ms = 5000
            [sms]
            url = "http://127.0.0.1:9/sms"
            [smev]
            transport = "http"
            url = "http://127.0.0.1:9"
            "#,
        )
        .unwrap();
        assert_eq!(s.host_id, "h1");
        assert_eq!(s.limits.cpu_budget, Duration::from_secs(5));
        assert!(matches!(s.smev, SmevSettings::Http(_)));
    }

    #[test]
    fn a_misspelt_key_is_refused_by_name() {
        let e = toml::from_str::<HostSettings>("host = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `host`"), "{e}");
    }
}
