//! Test your plugin from `cargo test`, as it will run in a region.
//!
//! [`plugin_under_test!`](crate::plugin_under_test) builds *this crate* for `wasm32-wasip2`
//! with `zemstvo_plugin_builder` — the same profile, target and directory as `zemstvo plugin
//! build`, so the component tested is the one packed — loads it into the real host runtime —
//! sandbox, limits, grants and all — and runs it against fixture data:
//!
//! ```ignore
//! #[test]
//! fn late_answers_become_tasks_for_managers() {
//!     let plugin = zemstvo_sdk::plugin_under_test!();
//!     let report = plugin.run().region_file("tests/fixtures/region.json").config("max-wait-days", "4").execute();
//!     assert!(report.succeeded(), "{:?}", report.failure());
//!     assert_eq!(report.outputs.tasks.len(), 2);
//! }
//! ```
//!
//! Fixture files are JSON with one array per entity; see `zemstvo_core::region`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use zemstvo_core::appeals::{
    Appeal, AppealInput, Catalogue, Impact, OpenIncident, Place, Routing, Urgency,
};
pub use zemstvo_core::capabilities::Capability;
pub use zemstvo_core::eligibility::{
    Application, ApplicationChannel, EligibilityInput, Outcome, Verdict,
};
pub use zemstvo_core::metadata::PluginMetadata;
pub use zemstvo_core::region::InMemoryRegion;
pub use zemstvo_core::report::{FailureReason, RunReport, RunStatus};
pub use zemstvo_host::runtime::limits::RunLimits;

use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::{LoadedPlugin, RunInput, Runtime, RuntimeSettings};

/// Builds the calling crate and loads it: `zemstvo_sdk::plugin_under_test!()`.
#[macro_export]
macro_rules! plugin_under_test {
    () => {
        $crate::testing::PluginUnderTest::build(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"))
    };
}

struct Harness {
    tokio: tokio::runtime::Runtime,
    runtime: Runtime,
    target_dir: PathBuf,
    /// Components already built and loaded by this test process, by crate directory.
    loaded: Mutex<HashMap<PathBuf, LoadedPlugin>>,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable has a path");
        let target_dir = zemstvo_plugin_builder::target_dir_near(&exe);
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("starting the harness's tokio runtime");
        let runtime = Runtime::new(RuntimeSettings {
            cache_dir: Some(target_dir.join("artifact-cache")),
            ..RuntimeSettings::default()
        })
        .expect("starting the zemstvo runtime");
        Harness {
            tokio,
            runtime,
            target_dir,
            loaded: Mutex::new(HashMap::new()),
        }
    })
}

/// A plugin crate built for wasm32-wasip2 and loaded into the real runtime.
pub struct PluginUnderTest {
    plugin: LoadedPlugin,
    crate_dir: PathBuf,
}

impl PluginUnderTest {
    /// Builds the crate at `crate_dir` (once per test process) and loads its component.
    /// Set `ZEMSTVO_PLUGIN_WASM` to test a component built elsewhere. Panics with the
    /// builder's or loader's message: a plugin that does not build or load fails its tests.
    pub fn build(crate_dir: &str, package: &str) -> Self {
        let harness = harness();
        let crate_dir = PathBuf::from(crate_dir);
        let mut loaded = harness.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(plugin) = loaded.get(&crate_dir) {
            return PluginUnderTest {
                plugin: plugin.clone(),
                crate_dir,
            };
        }
        let wasm = match std::env::var_os("ZEMSTVO_PLUGIN_WASM") {
            Some(path) => PathBuf::from(path),
            None => {
                let built = zemstvo_plugin_builder::build(
                    &crate_dir.join("Cargo.toml"),
                    &[package],
                    &harness.target_dir,
                );
                match built {
                    Ok(mut paths) => paths.remove(0),
                    Err(e) => panic!("{e}"),
                }
            }
        };
        let plugin = Self::load_file(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
        // Which bytes the tests ran, for `cargo test -- --nocapture`: `zemstvo plugin build`
        // prints the same path and `zemstvo plugin pack` packs the same hash.
        eprintln!(
            "zemstvo: testing {} (component sha256 {})",
            wasm.display(),
            plugin.sha256
        );
        loaded.insert(crate_dir.clone(), plugin.clone());
        PluginUnderTest { plugin, crate_dir }
    }

    /// Loads a component file into the harness's runtime.
    pub fn load_file(path: &Path) -> Result<LoadedPlugin, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let harness = harness();
        harness
            .tokio
            .block_on(harness.runtime.load(&bytes))
            .map_err(|e| e.to_string())
    }

    /// The metadata as the host validated it, for assertions beyond [`Self::assert_declares`]
    /// (kind, parameters, defaults).
    pub fn metadata(&self) -> &PluginMetadata {
        &self.plugin.metadata
    }

    /// The loaded component itself: its sha256, WIT version and SDK stamp.
    pub fn loaded(&self) -> &LoadedPlugin {
        &self.plugin
    }

    /// The capabilities the plugin declares, spelled as an administrator grants them
    /// (`data.staff`, `tasks.create`), in the order the plugin lists them.
    pub fn capability_names(&self) -> Vec<String> {
        let capabilities = &self.plugin.metadata.capabilities;
        capabilities.iter().map(ToString::to_string).collect()
    }

    /// The keys of the plugin's configuration schema, in the order it declares them.
    pub fn config_keys(&self) -> Vec<&str> {
        let params = &self.plugin.metadata.config.params;
        params.iter().map(|p| p.key.as_str()).collect()
    }

    /// Runs every case file in `dir` (relative to the plugin crate; see [`crate::cases`])
    /// and panics listing every case that did not turn out as expected.
    pub fn run_cases(&self, dir: &str) {
        let cases =
            crate::cases::load_cases(&self.crate_dir.join(dir)).unwrap_or_else(|e| panic!("{e}"));
        let mut failures = Vec::new();
        for (file, case) in &cases {
            let file = file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut run = self.run();
            run = match (&case.region, &case.region_file) {
                (Some(inline), _) => run.region_json(&inline.to_string()),
                (None, Some(path)) => run.region_file(path),
                (None, None) => run,
            };
            for (k, v) in &case.config {
                run = run.config(k, v);
            }
            if let Some(grants) = &case.grants {
                let names: Vec<&str> = grants.iter().map(String::as_str).collect();
                run = run.grant_only(&names);
            }
            if let Some(zone) = &case.time_zone {
                run = run.time_zone(zone);
            }
            if let Some(now) = &case.now {
                run = run.now(now);
            }
            if let Some(input) = &case.application {
                run = run.application(input.clone());
            }
            match case.appeal_input(&self.crate_dir) {
                Ok(Some(input)) => run = run.appeal(input),
                Ok(None) => {}
                Err(why) => {
                    failures.push(format!("case `{}` ({file}):\n  - {why}", case.name));
                    continue;
                }
            }
            let problems = match (run.try_execute(), &case.expect.refused_contains) {
                (Err(refusal), Some(text)) if refusal.contains(text.as_str()) => Vec::new(),
                (Err(refusal), _) => vec![format!("the host refused the run: {refusal}")],
                (Ok(_), Some(text)) => vec![format!(
                    "expected the host to refuse the run (`{text}`), but it ran"
                )],
                (Ok(report), None) => crate::cases::check(&case.expect, &report),
            };
            if !problems.is_empty() {
                failures.push(format!(
                    "case `{}` ({file}):\n  - {}",
                    case.name,
                    problems.join("\n  - ")
                ));
            }
        }
        if !failures.is_empty() {
            panic!(
                "{} of {} cases failed:\n{}",
                failures.len(),
                cases.len(),
                failures.join("\n")
            );
        }
    }

    /// Asserts what the plugin asks an administrator for: these capabilities and
    /// configuration keys, in the order declared, and the stamp of the WIT version this SDK
    /// targets. A test of it turns an accidental new grant or a renamed key — which regions'
    /// settings would silently stop matching — into a failing test.
    pub fn assert_declares(&self, capabilities: &[&str], config_keys: &[&str]) {
        assert_eq!(
            self.capability_names(),
            capabilities,
            "declared capabilities"
        );
        assert_eq!(
            self.config_keys(),
            config_keys,
            "declared configuration keys"
        );
        let stamp = self.plugin.sdk_stamp.as_deref().unwrap_or("");
        let wit = format!("zemstvo-wit={}", crate::WIT_VERSION);
        assert!(stamp.contains(&wit), "SDK stamp `{stamp}` lacks `{wit}`");
    }

    /// Starts a run on the crate's fixture region, `tests/fixtures/region.json` (where
    /// `zemstvo plugin new` puts it), with these settings: the usual start of a test.
    pub fn run_on_fixture(&self, config: &[(&str, &str)]) -> TestRun<'_> {
        self.run().region_file(FIXTURE).configs(config)
    }

    /// Starts describing a run.
    pub fn run(&self) -> TestRun<'_> {
        TestRun {
            plugin: self,
            region: None,
            local: LocalRun::default(),
        }
    }
}

/// The fixture region of a plugin crate, relative to the crate.
pub const FIXTURE: &str = "tests/fixtures/region.json";

/// A run being described; [`TestRun::execute`] runs it.
#[derive(Clone)]
pub struct TestRun<'p> {
    plugin: &'p PluginUnderTest,
    region: Option<Arc<InMemoryRegion>>,
    local: LocalRun,
}

impl TestRun<'_> {
    /// The region, from a fixture file (relative to the plugin crate's directory).
    pub fn region_file(mut self, path: &str) -> Self {
        let path = self.plugin.crate_dir.join(path);
        let region = zemstvo_core::region::load_fixture(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.region = Some(Arc::new(region));
        self
    }

    /// The region, from fixture JSON text.
    pub fn region_json(mut self, json: &str) -> Self {
        let region =
            zemstvo_core::region::parse_fixture(json).unwrap_or_else(|e| panic!("fixture: {e}"));
        self.region = Some(Arc::new(region));
        self
    }

    /// A region already built (e.g. programmatically).
    pub fn region(mut self, region: Arc<InMemoryRegion>) -> Self {
        self.region = Some(region);
        self
    }

    /// A configuration setting, as an administrator would type it.
    pub fn config(mut self, key: &str, value: &str) -> Self {
        self.local.config.push((key.to_string(), value.to_string()));
        self
    }

    /// Several configuration settings at once, in order (a later one wins).
    pub fn configs(mut self, settings: &[(&str, &str)]) -> Self {
        for (key, value) in settings {
            self = self.config(key, value);
        }
        self
    }

    /// Grants only these capabilities (by default, all the plugin declares).
    pub fn grant_only(mut self, capabilities: &[&str]) -> Self {
        self.local.grants = Some(
            capabilities
                .iter()
                .map(|c| c.parse::<Capability>().unwrap_or_else(|e| panic!("{e}")))
                .collect(),
        );
        self
    }

    /// The run's logical time, RFC 3339 (by default the fixture's `now`).
    pub fn now(mut self, rfc3339: &str) -> Self {
        let t =
            time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("`{rfc3339}` is not an RFC 3339 time: {e}"));
        self.local.now = Some(t.unix_timestamp());
        self
    }

    /// Other limits than a region's defaults: to show that the plugin stays within a smaller
    /// budget or memory cap, or fails as it should past one.
    pub fn limits(mut self, limits: RunLimits) -> Self {
        self.local.limits = limits;
        self
    }

    /// For eligibility rules: the application and the SMEV answers so far.
    pub fn application(mut self, input: EligibilityInput) -> Self {
        self.local.input = RunInput::Eligibility(input);
        self
    }

    /// Calls an appeal-routing plugin with this appeal, catalogue and open incidents.
    pub fn appeal(mut self, input: AppealInput) -> Self {
        self.local.input = RunInput::Appeal(input);
        self
    }

    /// The region's time zone (an IANA name such as `Asia/Yekaterinburg`); Moscow time
    /// unless set. Plugins read it and its offset from [`crate::RunContext`].
    pub fn time_zone(mut self, zone: &str) -> Self {
        self.local.time_zone = zone
            .parse()
            .unwrap_or_else(|_| panic!("`{zone}` is not an IANA time zone"));
        self
    }

    /// Runs the plugin and returns the run's record. Panics if the configuration is refused
    /// (use [`TestRun::try_execute`] to test that).
    pub fn execute(self) -> RunReport {
        self.try_execute().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs the plugin and panics with the reason unless the run succeeded: for tests that
    /// look at what a good run emitted.
    pub fn execute_successfully(self) -> RunReport {
        let report = self.execute();
        assert!(report.succeeded(), "{:?}", report.failure());
        report
    }

    /// Runs the plugin twice and asserts that both runs succeed and emit exactly the same
    /// outputs; returns the first report. A region reruns a plugin after a failure or a
    /// restart, and the store deduplicates by key: only a rule whose rerun on the same data
    /// emits the same keys (and the same texts) creates nothing twice.
    pub fn assert_rerun_is_identical(self) -> RunReport {
        let first = self.clone().execute_successfully();
        let second = self.execute_successfully();
        assert_eq!(
            task_keys(&first),
            task_keys(&second),
            "a rerun creates other tasks"
        );
        assert_eq!(first.outputs, second.outputs, "a rerun emits other outputs");
        first
    }

    /// Runs the plugin, or returns why the host refused to start the run.
    pub fn try_execute(self) -> Result<RunReport, String> {
        let region = self
            .region
            .unwrap_or_else(|| Arc::new(InMemoryRegion::new("empty", None, [])));
        let fixture_now = region.now();
        let request = self
            .local
            .request(&self.plugin.plugin, region, fixture_now)
            .map_err(|e| e.to_string())?;
        let harness = harness();
        Ok(harness
            .tokio
            .block_on(harness.runtime.run(&self.plugin.plugin, request)))
    }
}

/// The idempotency keys of the tasks a run created, in the order it created them: what a
/// rerun on the same data must reproduce for the store to create nothing twice.
pub fn task_keys(report: &RunReport) -> Vec<String> {
    report.outputs.tasks.iter().map(|t| t.key.clone()).collect()
}
