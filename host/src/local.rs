//! Running a plugin against an in-memory region from the command line or a test: the
//! defaults a vendor expects when nobody has installed or configured anything yet.

use std::sync::Arc;

use crate::limits::RunLimits;
use crate::runtime::{LoadedPlugin, RunInput, RunRequest};
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::config::{ConfigError, ResolvedConfig};
use zemstvo_core::capabilities::data::RegionData;

/// How to run a plugin locally. The defaults grant what the plugin declares and use the
/// fixture's time.
#[derive(Debug, Clone)]
pub struct LocalRun {
    /// `key=value` settings, checked against the plugin's schema.
    pub config: Vec<(String, String)>,
    /// `None` grants every capability the plugin declares.
    pub grants: Option<Grants>,
    /// The run's logical time; `None` takes the fixture's `now`, else the clock.
    pub now: Option<i64>,
    /// `None` derives a reproducible id from the plugin and the time.
    pub run_id: Option<String>,
    pub limits: RunLimits,
    pub input: RunInput,
    /// The region's time zone; local runs default to Moscow time, the zone of most regions.
    pub time_zone: chrono_tz::Tz,
}

impl Default for LocalRun {
    fn default() -> Self {
        LocalRun {
            config: Vec::new(),
            grants: None,
            now: None,
            run_id: None,
            limits: RunLimits::default(),
            input: RunInput::Batch,
            time_zone: chrono_tz::Europe::Moscow,
        }
    }
}

impl LocalRun {
    /// The run request, or the configuration error that stops it before it starts.
    pub fn request(
        &self,
        plugin: &LoadedPlugin,
        region: Arc<dyn RegionData>,
        fixture_now: Option<i64>,
    ) -> Result<RunRequest, ConfigError> {
        let values = plugin
            .metadata
            .config
            .resolve(self.config.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let now = self.now.or(fixture_now).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
        let grants = self
            .grants
            .clone()
            .unwrap_or_else(|| plugin.metadata.capabilities.iter().copied().collect());
        Ok(RunRequest {
            run_id: self
                .run_id
                .clone()
                .unwrap_or_else(|| format!("local-{}-{now}", plugin.metadata.name)),
            now,
            region,
            grants,
            config: ResolvedConfig {
                values,
                parameters: plugin.metadata.parameters.clone(),
            },
            limits: self.limits.clone(),
            input: self.input.clone(),
            time_zone: self.time_zone,
        })
    }
}
