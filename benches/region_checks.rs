//! `cargo bench --bench region_checks`: every ISU deviation check and the daily briefing,
//! run as production runs them (queued, claimed, run in the sandbox against the store,
//! rendered and committed), against generated demo regions at 1× and 10× the seed's scale
//! (the Lipetsk region's ~30,000 applications a month; 10× is ~6,300 employees, 600,000
//! applications and about as many SMEV requests), on SQLite and on PostgreSQL.
//!
//! Prints each plugin's wall time and the total, split three ways: the store (time inside the
//! region's data backend while the run reads), the sandbox (the plugin and the host functions
//! it calls, less the store's share) and the host around the run (claiming, loading the
//! component, rendering, committing). The last lines give the growth from the smallest to the
//! largest scale: a ratio near the ratio of the data is a straight line. Target: the whole set
//! in under 10 s at 10× on SQLite. Per database and scale it also prints the decision records
//! the runs left, and their size per run.
//!
//! `ZEMSTVO_BENCH_SCALES` sets the scales (`1,10` by default); PostgreSQL comes from
//! `ZEMSTVO_TEST_DATABASE_URL` and is skipped, with a line saying so, where none answers.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use zemstvo_core::capabilities::data::{
    Batch, DataError, Entity, Query, Reach, RegionData, RowCursor,
};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_service::{HostSettings, RegionHost};
use zemstvo_store::testing::TestDatabase;

const NOW: i64 = 1_795_413_600; // 2026-11-23T06:00:00Z
const SEED: u64 = 11;

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

async fn bench() {
    let scales: Vec<u64> = std::env::var("ZEMSTVO_BENCH_SCALES")
        .unwrap_or_else(|_| "1,10".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("ZEMSTVO_BENCH_SCALES: numbers, e.g. 1,10")
        })
        .collect();
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    // (database, scale) → total wall time.
    let mut totals: BTreeMap<(&str, u64), Duration> = BTreeMap::new();
    for &k in &scales {
        let scale = times(DemoScale::SEED, k);
        let started = Instant::now();
        let region = demo_region(scale, SEED, NOW);
        let counts: Vec<String> = [
            Entity::Employees,
            Entity::Applications,
            Entity::SmevRequests,
        ]
        .iter()
        .map(|&e| format!("{} {}", region.table(e).len(), e))
        .collect();
        println!(
            "{k}× the seed: {} (generated in {:.1} s)",
            counts.join(", "),
            started.elapsed().as_secs_f64()
        );
        let total = scenario("sqlite", TestDatabase::sqlite().await, &runtime, &region).await;
        totals.insert(("sqlite", k), total);
        match TestDatabase::postgres("bench region checks").await {
            Some(db) => {
                let total = scenario("postgres", db, &runtime, &region).await;
                totals.insert(("postgres", k), total);
            }
            None => println!("  postgres: skipped (no PostgreSQL answers)"),
        }
    }
    if let (Some(&low), Some(&high)) = (scales.first(), scales.last())
        && high > low
    {
        for db in ["sqlite", "postgres"] {
            if let (Some(a), Some(b)) = (totals.get(&(db, low)), totals.get(&(db, high))) {
                println!(
                    "growth {db}: {low}× → {high}× the data, ×{:.2} the time (×{:.2} would be a straight line)",
                    b.as_secs_f64() / a.as_secs_f64(),
                    high as f64 / low as f64
                );
            }
        }
    }
    if let Some(t) = scales.last().and_then(|&k| totals.get(&("sqlite", k))) {
        println!(
            "region checks at {}× the seed on sqlite: {:.2} s (target < 10 s)",
            scales.last().unwrap(),
            t.as_secs_f64()
        );
    }
}

/// `scale` with every count multiplied by `k`, the units' size kept.
fn times(scale: DemoScale, k: u64) -> DemoScale {
    DemoScale {
        units: scale.units * k,
        specialists_per_unit: scale.specialists_per_unit,
        citizens: scale.citizens * k,
        applications: scale.applications * k,
        visits: scale.visits * k,
        inspected_objects: scale.inspected_objects * k,
    }
}

/// Loads `region` into `db`, installs the ISU plugins and runs them all once; prints each
/// plugin's figures and answers the total wall time of the runs.
async fn scenario(
    name: &str,
    db: TestDatabase,
    runtime: &Arc<Runtime>,
    region: &zemstvo_core::region::InMemoryRegion,
) -> Duration {
    let store = db.store().await;
    let started = Instant::now();
    zemstvo::commands::demo::load_region(&store, region, SEED, &|_, _| {})
        .await
        .unwrap();
    println!(
        "  {name}: loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut host = RegionHost::open(store.clone(), runtime.clone(), HostSettings::default())
        .await
        .unwrap();
    let reads = Arc::new(AtomicU64::new(0));
    host.wrap_region_data(|inner| {
        Arc::new(Timed {
            inner,
            nanos: reads.clone(),
        })
    });
    let plugins = common::install_signed(&host, |name| name.starts_with("isu-")).await;
    let mut total = Duration::ZERO;
    let (mut store_total, mut sandbox_total) = (Duration::ZERO, Duration::ZERO);
    for plugin in &plugins {
        host.store()
            .trigger_run(plugin, "bench", NOW)
            .await
            .unwrap();
        reads.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = host.runs().run_next().await.unwrap().expect("a queued run");
        let wall = started.elapsed();
        assert!(
            outcome.report.succeeded(),
            "{plugin}: {:?}",
            outcome.report.failure()
        );
        let read = Duration::from_nanos(reads.load(Ordering::Relaxed));
        let sandbox = outcome.report.duration.saturating_sub(read);
        let summary = match &outcome.report.status {
            zemstvo_core::report::RunStatus::Succeeded { summary } => {
                format!("{} examined, {} found", summary.examined, summary.found)
            }
            zemstvo_core::report::RunStatus::Failed { .. } => String::new(),
        };
        println!(
            "    {plugin:<30} {:>8.1} ms  {}  ({summary})",
            wall.as_secs_f64() * 1e3,
            split(wall, read, sandbox)
        );
        total += wall;
        store_total += read;
        sandbox_total += sandbox;
    }
    println!(
        "    {:<30} {:>8.1} ms  {}",
        "all",
        total.as_secs_f64() * 1e3,
        split(total, store_total, sandbox_total)
    );
    // What each run left for the auditor: its decision record (the data it read is kept as a
    // hash, so the record grows with the tasks, not with the million rows read).
    let chain = host.store().verify_decision_chain(None).await.unwrap();
    assert!(chain.intact(), "{:?}", chain.broken);
    println!(
        "    decision records: {} run(s), {} bytes each on average ({:.1} KiB in all)",
        chain.records,
        chain.body_bytes / (chain.records.max(1) as u64),
        chain.body_bytes as f64 / 1024.0
    );
    total
}

/// "store 40 %, sandbox 50 %, host 10 %" of `wall`.
fn split(wall: Duration, store: Duration, sandbox: Duration) -> String {
    let share = |d: Duration| d.as_secs_f64() * 100.0 / wall.as_secs_f64().max(1e-9);
    let host = wall.saturating_sub(store + sandbox);
    format!(
        "store {:>3.0} %, sandbox {:>3.0} %, host {:>3.0} %",
        share(store),
        share(sandbox),
        share(host)
    )
}

/// The store's backend, timed: every call and every batch adds its time to `nanos`.
#[derive(Debug)]
struct Timed {
    inner: Arc<dyn RegionData>,
    nanos: Arc<AtomicU64>,
}

fn add(nanos: &AtomicU64, since: Instant) {
    nanos.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

#[async_trait]
impl RegionData for Timed {
    fn region(&self) -> &str {
        self.inner.region()
    }

    async fn open(&self, query: Query) -> Result<Box<dyn RowCursor>, DataError> {
        let started = Instant::now();
        let inner = self.inner.open(query).await;
        add(&self.nanos, started);
        Ok(Box::new(TimedCursor {
            inner: inner?,
            nanos: self.nanos.clone(),
        }))
    }

    async fn first_missing(&self, entity: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        let started = Instant::now();
        let answer = self.inner.first_missing(entity, ids).await;
        add(&self.nanos, started);
        answer
    }

    async fn citizen_reach(&self, citizen: u64) -> Result<Option<Reach>, DataError> {
        let started = Instant::now();
        let answer = self.inner.citizen_reach(citizen).await;
        add(&self.nanos, started);
        answer
    }

    async fn has_template(&self, name: &str) -> Result<Option<bool>, DataError> {
        let started = Instant::now();
        let answer = self.inner.has_template(name).await;
        add(&self.nanos, started);
        answer
    }
}

struct TimedCursor {
    inner: Box<dyn RowCursor>,
    nanos: Arc<AtomicU64>,
}

#[async_trait]
impl RowCursor for TimedCursor {
    async fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        let started = Instant::now();
        let batch = self.inner.next_batch().await;
        add(&self.nanos, started);
        batch
    }
}
