//! How a region host is set up: the file an administrator writes (`region.toml`).
//!
//! ```toml
//! host_id = "uszn-host-1"
//! registry = "https://registry.example.ru"  # or a mirror directory; where the web
//!                                           # service installs and upgrades from
//!
//! [limits]               # per run; see RunLimits
//! time_budget_ms = 30000
//!
//! [leases]               # how long a host's claims last; see LeaseSettings
//! run_secs = 600         # a queued run: longer than the time budget
//! outbox_secs = 120      # a batch of messages or SMEV requests, renewed while sending
//! outbox_batch = 10      # messages / requests claimed at once
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
//! [appeals]
//! first_line = 1042      # the employee who reviews appeals the router is unsure of
//!
//! [audit]
//! key_file = "/var/lib/zemstvo/host-1.checkpoint.key"  # made on first start; without it a
//!                                                      # fresh key for every start
//! checkpoint_every = 1000  # decision records per signed checkpoint
//!
//! [smev]
//! transport = "simulator"  # or "http" with url = "…"
//! seconds_per_day = 86400
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zemstvo_host::runtime::limits::RunLimits;
use zemstvo_outbox::senders::{GatewayConfig, SmtpConfig};
pub use zemstvo_outbox::smev::{HttpSmevConfig, SimulatorConfig as SimulatorSettings};
use zemstvo_outbox::{OutboxLeases, RetryPolicy};

/// Everything a host needs besides its database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostSettings {
    /// Names this host in claims, runs and the audit log; unique among the region's hosts.
    pub host_id: String,
    pub limits: RunLimits,
    /// How long claims last before other hosts take them over.
    pub leases: LeaseSettings,
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
    /// The registry URL or mirror directory the web service installs and upgrades from. Only
    /// this source is used: an API caller names a package, never a place to fetch it from.
    pub registry: Option<String>,
    pub appeals: AppealSettings,
    pub audit: AuditSettings,
    /// What decisions, SMEV requests and answers are dated by: the wall, except in a
    /// demonstration whose simulated agencies the clock follows. Not a configuration key.
    #[serde(skip)]
    pub clock: zemstvo_core::clock::Clock,
}

/// How the host signs checkpoints of the decision records (`[audit]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// The host's checkpoint key (64 hex digits, made there on first start, readable by the
    /// host only). Without one the host makes a fresh key at every start and keeps it in
    /// memory only: its checkpoints still verify, and nobody can sign with it afterwards.
    pub key_file: Option<std::path::PathBuf>,
    /// Decision records per checkpoint; the host also signs one when it stops.
    pub checkpoint_every: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            key_file: None,
            checkpoint_every: 1_000,
        }
    }
}

/// How the host handles citizens' appeals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppealSettings {
    /// The first-line specialist (an employee id) who gets a task for every appeal the router
    /// is unsure of; without one, such appeals wait in the review list.
    pub first_line: Option<u64>,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            host_id: default_host_id(),
            limits: RunLimits::default(),
            leases: LeaseSettings::default(),
            poll_interval_ms: 5_000,
            smtp: None,
            sms: None,
            voice: None,
            portal: None,
            retry: RetryPolicy::default(),
            smev: SmevSettings::default(),
            allow_unsigned: false,
            registry: None,
            appeals: AppealSettings::default(),
            audit: AuditSettings::default(),
            clock: zemstvo_core::clock::Clock::wall(),
        }
    }
}

/// How long a host's claims last (`[leases]`). A host renews an outbox claim every third of
/// its lease while it sends, so a slow relay never lets a claim expire under a working host;
/// the leases only bound how soon another host takes over the work of one that died (an
/// orderly shutdown releases its claims at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeaseSettings {
    /// A claimed run, in seconds: longer than the time budget (a run is not renewed).
    pub run_secs: u64,
    /// A claimed batch of messages or SMEV requests, in seconds (renewed while sending).
    pub outbox_secs: u64,
    /// How many messages or SMEV requests a host claims at once.
    pub outbox_batch: u32,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        LeaseSettings {
            run_secs: 600,
            outbox_secs: 120,
            outbox_batch: 10,
        }
    }
}

impl LeaseSettings {
    /// The outbox workers' leases.
    pub fn outbox(&self) -> OutboxLeases {
        OutboxLeases {
            lease: Duration::from_secs(self.outbox_secs.max(1)),
            batch: self.outbox_batch.max(1),
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

    /// How long a claimed run stays this host's.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.leases.run_secs.max(1))
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
            time_budget_ms = 5000
            [sms]
            url = "http://127.0.0.1:9/sms"
            [smev]
            transport = "http"
            url = "http://127.0.0.1:9"
            "#,
        )
        .unwrap();
        assert_eq!(s.host_id, "h1");
        assert_eq!(s.leases, LeaseSettings::default());
        assert_eq!(s.limits.time_budget, Duration::from_secs(5));
        assert!(matches!(s.smev, SmevSettings::Http(_)));
    }

    #[test]
    fn leases_are_read_from_their_table() {
        let s: HostSettings =
            toml::from_str("[leases]\nrun_secs = 900\noutbox_secs = 30\noutbox_batch = 5\n")
                .unwrap();
        assert_eq!(s.lease(), Duration::from_secs(900));
        assert_eq!(
            s.leases.outbox(),
            OutboxLeases {
                lease: Duration::from_secs(30),
                batch: 5
            }
        );
        let e = toml::from_str::<HostSettings>("[leases]\noutbox = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `outbox`"), "{e}");
    }

    #[test]
    fn a_misspelt_key_is_refused_by_name() {
        let e = toml::from_str::<HostSettings>("host = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `host`"), "{e}");
    }
}
