//! `cargo bench --bench store_rule`: the reference ISU check as a plugin over 1,000,000
//! applications and their SMEV requests stored in SQLite, against the same rule as native
//! Rust reading the same store queries, side by side in one process. Prints
//! `wasm/native ratio: X.XX` last.
//!
//! The database is generated once into the target directory and reused by later runs.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NOW, native_rule};
use indicatif::{ProgressBar, ProgressStyle};
use zemstvo_core::capabilities::data::Entity;
use zemstvo_host::local::LocalRun;
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_store::Store;
use zemstvo_store::data::SqlRegion;
use zemstvo_store::load::RegionInfo;

const APPLICATIONS: u64 = 1_000_000;
const REQUESTS: u64 = 1_000_000;
const ROUNDS: usize = 6;

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

async fn store() -> Store {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("store_rule-{APPLICATIONS}-{REQUESTS}-v1.db"));
    let url = format!("sqlite://{}", path.display());
    if path.exists() {
        let store = Store::open(&url).await.unwrap();
        let counts = store.counts().await.unwrap();
        let count = |e: Entity| counts.iter().find(|(x, _)| *x == e).map_or(0, |(_, n)| *n);
        if store.region().await.unwrap().is_some()
            && count(Entity::SmevRequests) == REQUESTS
            && count(Entity::Applications) == APPLICATIONS
        {
            println!("store: {} (reused)", path.display());
            return store;
        }
        store.close().await;
        std::fs::remove_file(&path).unwrap();
    }
    let started = Instant::now();
    let region = common::region(REQUESTS, APPLICATIONS);
    let store = Store::open(&url).await.unwrap();
    store
        .create_region(&RegionInfo {
            id: "bench".into(),
            name: "bench".into(),
            timezone: "UTC".into(),
        })
        .await
        .unwrap();
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("loading {bar:40} {pos}/{len} ({eta})").unwrap());
    store
        .load_region(&region, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .unwrap();
    bar.finish_and_clear();
    println!(
        "store: {} (generated in {:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    store
}

async fn bench() {
    let store = store().await;
    let region = Arc::new(SqlRegion::new(store.clone(), "bench"));
    let runtime = Runtime::new(RuntimeSettings::default()).unwrap();
    let bytes = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    let plugin = runtime.load(bytes).await.unwrap();
    let request = LocalRun {
        now: Some(NOW),
        ..LocalRun::default()
    }
    .request(&plugin, region.clone(), Some(NOW))
    .unwrap();

    let report = runtime.run(&plugin, request.clone()).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let native = native_rule(region.as_ref(), NOW, 4, 30).await;
    assert_eq!(
        report.outputs.tasks, native,
        "the plugin and the native rule disagree"
    );
    println!(
        "both read {} SMEV requests and create the same {} tasks",
        report.outputs.rows_read,
        native.len()
    );

    let mut wasm = Vec::new();
    let mut native_times = Vec::new();
    // Alternate which goes first, so neither always finds the caches warm.
    for round in 0..ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            let t = Instant::now();
            if side == 0 {
                assert!(runtime.run(&plugin, request.clone()).await.succeeded());
                wasm.push(t.elapsed());
            } else {
                native_rule(region.as_ref(), NOW, 4, 30).await;
                native_times.push(t.elapsed());
            }
        }
    }
    let (wasm, native) = (median(&mut wasm), median(&mut native_times));
    println!(
        "run over 1,000,000 stored applications (median of {ROUNDS}): plugin {:.0} ms, native {:.0} ms",
        wasm.as_secs_f64() * 1e3,
        native.as_secs_f64() * 1e3
    );
    println!(
        "wasm/native ratio: {:.2}",
        wasm.as_secs_f64() / native.as_secs_f64()
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
