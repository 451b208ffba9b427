//! `cargo bench --bench plugin_vs_native`: the reference ISU check over 1,000,000 SMEV
//! requests, as a sandboxed plugin and as the same rule in native Rust, side by side in one
//! process over the same in-memory region, data access included (both read through the
//! region's `RegionData` backend in columnar batches).
//!
//! Prints the per-run instantiation time, the load time of a precompiled artifact against
//! compiling, both run times, what the decision record's hash of the data a run read costs
//! against the run, and last `wasm/native ratio: X.XX`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{NOW, native_rule};
use zemstvo_core::capabilities::data::{
    Batch, DataError, Entity, Query, Reach, RegionData, RowCursor,
};
use zemstvo_host::capabilities::data::DataDigest;
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::CacheOutcome;
use zemstvo_host::{Runtime, RuntimeSettings};

const REQUESTS: u64 = 1_000_000;
const APPLICATIONS: u64 = 400_000;
const ROUNDS: usize = 8;

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

async fn bench() {
    let started = Instant::now();
    let region = Arc::new(common::region(REQUESTS, APPLICATIONS));
    println!(
        "region: {REQUESTS} SMEV requests, {APPLICATIONS} applications (built in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let cache = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeSettings {
        cache_dir: Some(cache.path().to_path_buf()),
        ..RuntimeSettings::default()
    })
    .unwrap();
    let bytes = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;

    // Compiling against loading the precompiled artifact.
    let (plugin, outcome, compile) = runtime.load_timed(bytes).await.unwrap();
    assert_eq!(outcome, CacheOutcome::Compiled);
    let mut cached = Vec::new();
    for _ in 0..20 {
        let (_, outcome, took) = runtime.load_timed(bytes).await.unwrap();
        assert_eq!(outcome, CacheOutcome::Hit);
        cached.push(took);
    }
    let cached = median(&mut cached);
    println!(
        "component: {} KiB; compile {:.1} ms, load precompiled {:.3} ms ({:.0}x faster)",
        bytes.len() / 1024,
        ms(compile),
        ms(cached),
        compile.as_secs_f64() / cached.as_secs_f64()
    );

    runtime.measure_instantiation(&plugin, 200).await.unwrap();
    let instantiation = runtime.measure_instantiation(&plugin, 5_000).await.unwrap();
    println!(
        "instantiation per run: {:.1} µs",
        instantiation.as_secs_f64() * 1e6
    );

    let request = LocalRun {
        now: Some(NOW),
        ..LocalRun::default()
    }
    .request(&plugin, region.clone(), Some(NOW))
    .unwrap();

    // Warm up both, and check they do the same work.
    let report = runtime.run(&plugin, request.clone()).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let native = native_rule(region.as_ref(), NOW, 4, 30).await;
    assert_eq!(
        report.outputs.tasks, native,
        "the plugin and the native rule disagree"
    );
    println!(
        "both find the same {} late answers and create the same {} tasks",
        native
            .iter()
            .map(|t| t
                .records
                .iter()
                .filter(|r| r.entity == Entity::SmevRequests)
                .count())
            .sum::<usize>(),
        native.len()
    );

    let mut wasm_times = Vec::new();
    let mut native_times = Vec::new();
    // Alternate which goes first, so neither always finds the caches warm.
    for round in 0..ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            let t = Instant::now();
            if side == 0 {
                assert!(runtime.run(&plugin, request.clone()).await.succeeded());
                wasm_times.push(t.elapsed());
            } else {
                native_rule(region.as_ref(), NOW, 4, 30).await;
                native_times.push(t.elapsed());
            }
        }
    }
    let wasm = median(&mut wasm_times);
    let native = median(&mut native_times);
    println!(
        "run over 1,000,000 requests (median of {ROUNDS}): plugin {:.1} ms, native {:.1} ms",
        ms(wasm),
        ms(native)
    );
    digest_cost(&runtime, &plugin, region.clone(), wasm).await;
    println!(
        "wasm/native ratio: {:.2}",
        wasm.as_secs_f64() / native.as_secs_f64()
    );
}

/// Every run's decision record keeps a sha256 of each query and batch the run read (what
/// replay checks the region's data against). Here the batches one run read are hashed again,
/// alone, and priced against the run that hashed them along the way.
async fn digest_cost(
    runtime: &Runtime,
    plugin: &zemstvo_host::LoadedPlugin,
    region: Arc<dyn RegionData>,
    run: Duration,
) {
    let read = Arc::new(Mutex::new(Vec::new()));
    let recording: Arc<dyn RegionData> = Arc::new(Recording {
        inner: region,
        read: read.clone(),
    });
    let request = LocalRun {
        now: Some(NOW),
        ..LocalRun::default()
    }
    .request(plugin, recording, Some(NOW))
    .unwrap();
    let report = runtime.run(plugin, request).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let read = std::mem::take(&mut *read.lock().unwrap());
    let (rows, bytes) = read
        .iter()
        .flat_map(|(_, b)| b)
        .fold((0, 0), |(r, n), b| (r + b.rows, n + batch_bytes(b)));
    let mut times = Vec::new();
    let mut hex = None;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut digest = DataDigest::default();
        for (query, batches) in &read {
            digest.query(query);
            batches.iter().for_each(|b| digest.batch(b));
        }
        hex = digest.finish();
        times.push(started.elapsed());
    }
    assert_eq!(
        hex, report.outputs.data_sha256,
        "the bench hashes what the run hashed"
    );
    let digest = median(&mut times);
    println!(
        "data digest of the decision record: {} queries, {rows} rows, {:.1} MiB read; hashing them {:.1} ms = {:.1}% of the plugin's run",
        read.len(),
        bytes as f64 / (1 << 20) as f64,
        ms(digest),
        100.0 * digest.as_secs_f64() / run.as_secs_f64()
    );
}

/// The columns' payload (values, text bytes and presence flags), roughly what is hashed.
fn batch_bytes(b: &Batch) -> usize {
    use zemstvo_core::capabilities::data::ColumnValues;
    b.columns
        .iter()
        .map(|c| {
            c.present.len()
                + match &c.values {
                    ColumnValues::U64(v) => v.len() * 8,
                    ColumnValues::S64(v) => v.len() * 8,
                    ColumnValues::U32(v) => v.len() * 4,
                    ColumnValues::F32(v) => v.len() * 4,
                    ColumnValues::F64(v) => v.len() * 8,
                    ColumnValues::Flag(v) => v.len(),
                    ColumnValues::Text(t) => t.offsets.len() * 4 + t.bytes.len(),
                }
        })
        .sum()
}

type Read = Arc<Mutex<Vec<(Query, Vec<Batch>)>>>;

/// The region's backend, keeping a copy of each query and batch it serves, in order.
#[derive(Debug)]
struct Recording {
    inner: Arc<dyn RegionData>,
    read: Read,
}

#[async_trait]
impl RegionData for Recording {
    fn region(&self) -> &str {
        self.inner.region()
    }

    async fn open(&self, query: Query) -> Result<Box<dyn RowCursor>, DataError> {
        let index = {
            let mut read = self.read.lock().unwrap();
            read.push((query.clone(), Vec::new()));
            read.len() - 1
        };
        Ok(Box::new(RecordingCursor {
            inner: self.inner.open(query).await?,
            read: self.read.clone(),
            index,
        }))
    }

    async fn first_missing(&self, entity: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        self.inner.first_missing(entity, ids).await
    }

    async fn citizen_reach(&self, citizen: u64) -> Result<Option<Reach>, DataError> {
        self.inner.citizen_reach(citizen).await
    }

    async fn has_template(&self, name: &str) -> Result<Option<bool>, DataError> {
        self.inner.has_template(name).await
    }
}

struct RecordingCursor {
    inner: Box<dyn RowCursor>,
    read: Read,
    index: usize,
}

#[async_trait]
impl RowCursor for RecordingCursor {
    async fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        let batch = self.inner.next_batch().await?;
        if let Some(b) = &batch {
            self.read.lock().unwrap()[self.index].1.push(b.clone());
        }
        Ok(batch)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
