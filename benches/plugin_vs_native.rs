//! `cargo bench --bench plugin_vs_native`: the reference ISU check over 1,000,000 SMEV
//! requests, as a sandboxed plugin and as the same rule in native Rust, side by side in one
//! process over the same in-memory region, data access included (both read through the
//! region's `RegionData` backend in columnar batches).
//!
//! Prints the per-run instantiation time, the load time of a precompiled artifact against
//! compiling, both run times, and last `wasm/native ratio: X.XX`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NOW, native_rule};
use zemstvo_core::capabilities::data::Entity;
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
    println!(
        "wasm/native ratio: {:.2}",
        wasm.as_secs_f64() / native.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
