//! The runtime: everything wasmtime-specific — engine settings, the pooling allocator, the
//! epoch ticker behind CPU budgets, the precompiled-artifact cache, loading and instantiating
//! plugins, and the WIT bindings of every released version. It knows nothing of SQL or HTTP:
//! data comes through [`crate::capabilities::data::RegionData`].
//!
//! One [`Runtime`] per process runs any number of plugins concurrently. Each run gets a fresh
//! `Store` from the plugin's `InstancePre` (microseconds with the pooling allocator), so a
//! plugin keeps no state between runs and a failed run leaves nothing behind.

pub mod cache;
mod execute;
mod inspect;
pub mod limits;
mod loaded;
mod sandbox;
mod state;
pub mod wit;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use cache::{ArtifactCache, CacheOutcome};
pub use execute::{RunInput, RunRequest};
pub use inspect::SDK_STAMP_SECTION;
pub use loaded::{LoadError, LoadedPlugin};
pub use state::RunState;

use crate::metadata::PluginMetadata;

/// How the runtime is set up. The defaults suit one region host.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// Where precompiled artifacts are kept; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Runs executing at once; further runs wait for a slot.
    pub max_concurrent_runs: u32,
    /// The largest memory cap any run may be given (the pooling allocator's slot size).
    pub max_memory_bytes: usize,
    /// How often the epoch advances: the granularity of CPU budgets.
    pub epoch_tick: Duration,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            cache_dir: None,
            max_concurrent_runs: 16,
            max_memory_bytes: 1 << 30,
            epoch_tick: Duration::from_millis(10),
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
            .max_memory_size(settings.max_memory_bytes);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(engine_err)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_err)?;
        wit::latest::PluginHost::add_to_linker::<RunState, wasmtime::component::HasSelf<RunState>>(
            &mut linker,
            |state| state,
        )
        .map_err(engine_err)?;
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
        let sdk_stamp = inspect::header(bytes)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let started = Instant::now();
        let (component, outcome) = {
            let engine = self.engine.clone();
            let cache = self.cache.clone();
            let bytes = bytes.to_vec();
            let sha = sha256.clone();
            tokio::task::spawn_blocking(move || match cache {
                Some(cache) => cache.load_or_compile(&engine, &bytes, &sha),
                None => wasmtime::component::Component::new(&engine, &bytes)
                    .map(|c| (c, CacheOutcome::Compiled)),
            })
            .await
            .map_err(|e| LoadError::Host(format!("compilation task failed: {e}")))?
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?
        };
        let compile_time = started.elapsed();
        let (kind, wit_version) = inspect::world(&component, &self.engine)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::UnsatisfiedImports(format!("{e:#}")))?;
        let entry =
            loaded::Entry::new(kind, &pre).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let raw = self.call_metadata(&pre, &entry).await?;
        let metadata = PluginMetadata::from_wit(raw, kind)?;
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

/// Advances the engine's epoch on a fixed tick so that CPU budgets can be enforced.
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
