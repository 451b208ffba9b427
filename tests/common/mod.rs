//! Shared setup of the integration tests: one runtime, the reference plugin, fixture data.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use zemstvo_core::capabilities::config::ResolvedConfig;
use zemstvo_core::region::{InMemoryRegion, load_fixture};
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::limits::RunLimits;
use zemstvo_host::{LoadedPlugin, RunInput, RunReport, RunRequest, Runtime, RuntimeSettings};

/// A runtime with a small slot pool and a per-test artifact cache.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeSettings {
        max_concurrent_runs: 8,
        ..RuntimeSettings::default()
    })
    .expect("runtime starts")
}

/// The region the reference plugin's own tests use.
pub fn region() -> Arc<InMemoryRegion> {
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let path = std::path::Path::new(artifact.crate_dir).join("tests/fixtures/region.json");
    Arc::new(load_fixture(&path).expect("fixture loads"))
}

pub async fn reference_plugin(runtime: &Runtime) -> LoadedPlugin {
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    runtime
        .load(artifact.bytes)
        .await
        .expect("the reference plugin loads")
}

pub async fn fixture(runtime: &Runtime, name: &str) -> LoadedPlugin {
    let bytes = zemstvo_plugin_artifacts::fixture(name);
    runtime
        .load(&bytes)
        .await
        .unwrap_or_else(|e| panic!("{name} loads: {e}"))
}

/// Limits small enough that hostile plugins are stopped quickly.
pub fn tight_limits() -> RunLimits {
    RunLimits {
        time_budget: Duration::from_secs(2),
        memory_bytes: 64 << 20,
        ..RunLimits::default()
    }
}

/// A batch run over `region` with the plugin's declared grants and default config.
pub fn request(
    plugin: &LoadedPlugin,
    region: Arc<InMemoryRegion>,
    limits: RunLimits,
) -> RunRequest {
    let now = region.now();
    LocalRun {
        limits,
        ..LocalRun::default()
    }
    .request(plugin, region, now)
    .expect("default config resolves")
}

pub async fn run(runtime: &Runtime, plugin: &LoadedPlugin, limits: RunLimits) -> RunReport {
    runtime.run(plugin, request(plugin, region(), limits)).await
}

pub fn empty_config() -> ResolvedConfig {
    ResolvedConfig::default()
}

pub fn batch() -> RunInput {
    RunInput::Batch
}
