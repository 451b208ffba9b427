//! The runtime: everything wasmtime-specific — engine settings, the pooling allocator, the
//! epoch ticker behind time budgets, the precompiled-artifact cache, loading and instantiating
//! plugins (the WIT bindings of every released version are `crate::wit`). It knows nothing of
//! SQL or HTTP: data comes through `zemstvo_core::capabilities::data::RegionData`.
//!
//! One [`Runtime`] per process runs any number of plugins concurrently. Each run gets a fresh
//! `Store` from the plugin's `InstancePre` (microseconds with the pooling allocator), so a
//! plugin keeps no state between runs and a failed run leaves nothing behind.

pub mod cache;
mod execute;
mod inspect;
mod loaded;
mod sandbox;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::component::Linker;

use crate::state::RunState;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The limits of a run (`zemstvo_core::limits`) and the memory limiter that enforces them.
pub use crate::limits;
pub use cache::{ArtifactCache, CacheOutcome};
pub use execute::RunRequest;
pub use inspect::SDK_STAMP_SECTION;
pub use loaded::{LoadError, LoadedPlugin};
pub use zemstvo_core::RunInput;

use zemstvo_core::metadata::PluginMetadata;

/// How the runtime is set up. The defaults suit one region host.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Where precompiled artifacts are kept; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Runs executing at once; further runs wait for a slot.
    pub max_concurrent_runs: u32,
    /// The largest memory cap any run may be given (the pooling allocator's slot size).
    pub max_memory_bytes: usize,
    /// How often the epoch advances: the granularity of time budgets.
    pub epoch_tick: Duration,
    /// The largest component the host loads, in bytes (the registry refuses larger uploads).
    pub max_component_bytes: usize,
    /// Functions (all core modules together) a component may have.
    pub max_functions: u64,
    /// The largest function body, in bytes.
    pub max_function_bytes: usize,
    /// How long compiling one component may take before the load is refused.
    pub compile_timeout: Duration,
}

pub use zemstvo_core::limits::DEFAULT_MAX_COMPONENT_BYTES;

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            cache_dir: None,
            max_concurrent_runs: 16,
            max_memory_bytes: 1 << 30,
            epoch_tick: Duration::from_millis(10),
            max_component_bytes: DEFAULT_MAX_COMPONENT_BYTES,
            max_functions: 50_000,
            max_function_bytes: 1 << 20,
            compile_timeout: Duration::from_secs(60),
        }
    }
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("could not configure the WebAssembly engine: {0}")]
    Engine(String),
    #[error("could not open the artifact cache at {path}: {source}")]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Loads and runs plugins. Cheap to share behind an `Arc`.
pub struct Runtime {
    engine: Engine,
    linker: Linker<RunState>,
    cache: Option<ArtifactCache>,
    settings: RuntimeSettings,
    /// Bounds concurrent runs to the pooling allocator's capacity.
    slots: Semaphore,
    /// One compilation at a time: a flood of installs cannot take every core.
    compiles: Arc<Semaphore>,
    /// Stops the epoch thread when the runtime is dropped.
    _ticker: EpochTicker,
}

impl Runtime {
    pub fn new(settings: RuntimeSettings) -> Result<Self, RuntimeError> {
        let engine_err = |e: wasmtime::Error| RuntimeError::Engine(format!("{e:#}"));
        let runs = settings.max_concurrent_runs.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(runs + 1)
            .total_core_instances((runs + 1) * 16)
            .total_memories((runs + 1) * 2)
            .total_tables((runs + 1) * 16)
            .total_stacks(runs + 1)
            .max_memory_size(settings.max_memory_bytes)
            // Checked when a component is compiled: one with more is refused at load.
            .max_memories_per_component(limits::MAX_MEMORIES as u32)
            .max_tables_per_component(limits::MAX_TABLES as u32)
            .max_core_instances_per_component(limits::MAX_INSTANCES as u32);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(engine_err)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_err)?;
        crate::wit::add_to_linker(&mut linker).map_err(engine_err)?;
        let cache = match &settings.cache_dir {
            Some(dir) => Some(
                ArtifactCache::open(dir).map_err(|source| RuntimeError::Cache {
                    path: dir.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let ticker = EpochTicker::start(engine.clone(), settings.epoch_tick);
        Ok(Runtime {
            engine,
            linker,
            cache,
            slots: Semaphore::new(runs as usize),
            compiles: Arc::new(Semaphore::new(1)),
            settings,
            _ticker: ticker,
        })
    }

    pub fn settings(&self) -> &RuntimeSettings {
        &self.settings
    }

    /// Compiles (or loads precompiled), checks the world and imports, and asks the plugin for
    /// its metadata. Nothing about the runtime changes if this fails.
    pub async fn load(&self, bytes: &[u8]) -> Result<LoadedPlugin, LoadError> {
        Ok(self.load_timed(bytes).await?.0)
    }

    /// [`Runtime::load`], also saying whether the artifact cache was hit and how long the
    /// compile (or cache load) took.
    pub async fn load_timed(
        &self,
        bytes: &[u8],
    ) -> Result<(LoadedPlugin, CacheOutcome, Duration), LoadError> {
        if bytes.len() > self.settings.max_component_bytes {
            return Err(LoadError::TooLarge {
                bytes: bytes.len(),
                cap: self.settings.max_component_bytes,
            });
        }
        let header = inspect::header(bytes)?;
        if header.functions > self.settings.max_functions {
            return Err(LoadError::TooComplex {
                what: "functions",
                count: header.functions,
                cap: self.settings.max_functions,
            });
        }
        if header.largest_function > self.settings.max_function_bytes {
            return Err(LoadError::TooComplex {
                what: "bytes in its largest function",
                count: header.largest_function as u64,
                cap: self.settings.max_function_bytes as u64,
            });
        }
        let sdk_stamp = header.stamp;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let permit = self
            .compiles
            .clone()
            .acquire_owned()
            .await
            .expect("the compile semaphore is never closed");
        let started = Instant::now();
        let (component, outcome) = {
            let engine = self.engine.clone();
            let cache = self.cache.clone();
            let bytes = bytes.to_vec();
            let sha = sha256.clone();
            // The permit goes with the compilation: a compilation abandoned at the timeout
            // still holds it until it ends, so abandoned ones never pile up.
            let compile = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                match cache {
                    Some(cache) => cache.load_or_compile(&engine, &bytes, &sha),
                    None => wasmtime::component::Component::new(&engine, &bytes)
                        .map(|c| (c, CacheOutcome::Compiled)),
                }
            });
            let timeout = self.settings.compile_timeout;
            tokio::time::timeout(timeout, compile)
                .await
                .map_err(|_| LoadError::CompileTimeout {
                    secs: timeout.as_secs(),
                })?
                .map_err(|e| LoadError::Host(format!("compilation task failed: {e}")))?
                .map_err(compile_error)?
        };
        let compile_time = started.elapsed();
        let (kind, wit_version, release) = inspect::world(&component, &self.engine)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::UnsatisfiedImports(format!("{e:#}")))?;
        let entry = crate::wit::Entry::new(release, kind, &pre)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let raw = self.call_metadata(&pre, &entry).await?;
        let metadata = PluginMetadata::validate(raw, kind)?;
        let plugin = LoadedPlugin {
            metadata,
            sha256,
            wit_version,
            sdk_stamp,
            pre,
            entry,
        };
        Ok((plugin, outcome, compile_time))
    }
}

/// Names the pooling allocator's per-component refusals as the limits they are; anything else
/// is an invalid component.
fn compile_error(e: wasmtime::Error) -> LoadError {
    let message = format!("{e:#}");
    let limits = [
        ("core module instances", limits::MAX_INSTANCES),
        ("Wasm linear memories", limits::MAX_MEMORIES),
        ("tables", limits::MAX_TABLES),
    ];
    for (what, cap) in limits {
        if message.contains(&format!(" {what}, which exceeds")) {
            let count = message
                .split("contains ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            return LoadError::TooComplex {
                what: match what {
                    "Wasm linear memories" => "linear memories",
                    other => other,
                },
                count,
                cap: cap as u64,
            };
        }
    }
    LoadError::Invalid(message)
}

/// Advances the engine's epoch on a fixed tick so that time budgets can be enforced.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine, tick: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("zemstvo-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
