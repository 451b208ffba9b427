//! `cargo bench --bench api`: the web service under load, over real HTTP, on the demo region
//! at the seeds' scale (SQLite in a temporary directory, the daily briefing run once so every
//! specialist has a task). 50 clients with the bearer tokens of a manager and an administrator
//! drive "my unit's tasks" (`GET /api/v1/tasks` as the manager) and "SMEV per agency"
//! (`GET /api/v1/analytics/smev` as the administrator), half each.
//!
//! Prints the first (uncached) answer of each endpoint, then two phases per endpoint —
//! requests per second and p50/p99/max latency:
//! - **saturated**: every client sends its next request as soon as the last is answered, the
//!   most the service answers on this machine;
//! - **paced**: the clients together send `ZEMSTVO_BENCH_RPS` (default 1,000) requests per
//!   second on a fixed schedule, latency counted from when each request was due (so a stalled
//!   service is not hidden by clients that wait), against the target: p99 under 50 ms.
//!
//! Each phase lasts `ZEMSTVO_BENCH_SECS` seconds (default 10). Under `cargo test` (no `--bench`
//! argument) it runs a one-second smoke pass on the small demo region instead.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::PLUGIN;
use reqwest::Client;
use zemstvo_core::capabilities::data::Entity;
use zemstvo_demo::DemoScale;
use zemstvo_store::accounts::Role;
use zemstvo_store::testing::TestDatabase;

const CLIENTS: usize = 50;
/// The p99 the issue sets at 1,000 requests per second.
const TARGET_P99: Duration = Duration::from_millis(50);

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The two endpoints and whose token each is called with.
const ENDPOINTS: [(&str, &str, &str); 2] = [
    ("my unit's tasks", "/api/v1/tasks", "manager"),
    ("SMEV per agency", "/api/v1/analytics/smev", "admin"),
];

async fn bench() {
    let full = std::env::args().any(|a| a == "--bench");
    let (scale, seconds, rps) = if full {
        (
            DemoScale::SEED,
            env_or("ZEMSTVO_BENCH_SECS", 10),
            env_or("ZEMSTVO_BENCH_RPS", 1_000),
        )
    } else {
        (DemoScale::SMALL, 1, 100)
    };
    let phase = Duration::from_secs(seconds.max(1));
    let prepared = Instant::now();
    let (_db, base, _stop, records) = serve_demo(scale).await;
    println!(
        "demo region: {records} SMEV requests; prepared in {:.1} s; {CLIENTS} clients, {} s per phase",
        prepared.elapsed().as_secs_f64(),
        phase.as_secs()
    );
    let client = Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    for (name, path, login) in ENDPOINTS {
        let started = Instant::now();
        let body = call(&client, &base, path, login).await;
        println!(
            "{name:<16} first answer {:>7.1} ms ({} bytes)",
            ms(started.elapsed()),
            body
        );
    }
    println!("saturated:");
    report(&drive(&client, &base, phase, None).await, None);
    println!("paced at {rps} requests per second:");
    report(&drive(&client, &base, phase, Some(rps)).await, Some(rps));
}

/// The demo region of `scale` in a fresh SQLite database (the tests' own set-up), the daily
/// briefing run once, served on a free port; returns the database (kept while it is served),
/// the base URL, the stop handle and the number of SMEV requests.
async fn serve_demo(
    scale: DemoScale,
) -> (TestDatabase, String, tokio::sync::oneshot::Sender<()>, u64) {
    let db = TestDatabase::sqlite().await;
    let now = zemstvo_web::unix_now();
    let (store, host) = common::region_with_plugin_at(&db, scale, now).await;
    let records = store
        .counts()
        .await
        .unwrap()
        .iter()
        .find(|(e, _)| *e == Entity::SmevRequests)
        .map_or(0, |(_, n)| *n);
    store.enqueue_run(PLUGIN, "manual", now, 0).await.unwrap();
    let outcome = host.runs().run_next().await.unwrap().unwrap();
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    // The manager is the overseer of the briefing's tasks: their unit has some.
    let manager = store
        .tasks(&Default::default())
        .await
        .unwrap()
        .iter()
        .find_map(|t| t.overseer)
        .expect("a task with an overseer");
    common::add_user(&store, "admin", Role::Administrator, None).await;
    common::add_user(&store, "manager", Role::Manager, Some(manager)).await;
    let (base, stop) = common::serve_api(host).await;
    (db, base, stop, records)
}

/// One request; panics unless it is answered 200. Returns the body's length.
async fn call(client: &Client, base: &str, path: &str, login: &str) -> usize {
    let response = client
        .get(format!("{base}{path}"))
        .bearer_auth(common::token(login))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    assert!(
        status.is_success(),
        "{path}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    body.len()
}

/// Runs the clients for `phase`: client `i` calls endpoint `i % 2`. Saturated when `rps` is
/// `None`, else each client keeps a fixed schedule of `rps / CLIENTS` requests per second.
/// Returns the latencies per endpoint and how long the phase took until the last answer (past
/// `phase` when the service fell behind the schedule).
async fn drive(
    client: &Client,
    base: &str,
    phase: Duration,
    rps: Option<u64>,
) -> ([Vec<Duration>; 2], Duration) {
    let started = Instant::now();
    let end = started + phase;
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let (client, base) = (client.clone(), base.to_string());
        clients.push(tokio::spawn(async move {
            let (_, path, login) = ENDPOINTS[i % 2];
            let interval = rps.map(|r| Duration::from_secs_f64(CLIENTS as f64 / r.max(1) as f64));
            // Spread the clients' schedules over one interval.
            let mut next =
                started + interval.map_or(Duration::ZERO, |d| d * i as u32 / CLIENTS as u32);
            let mut latencies = Vec::new();
            loop {
                let due = match interval {
                    Some(interval) => {
                        let due = next;
                        next += interval;
                        due
                    }
                    None => Instant::now(),
                };
                if due >= end {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                call(&client, &base, path, login).await;
                latencies.push(due.elapsed());
            }
            (i % 2, latencies)
        }));
    }
    let mut latencies = [Vec::new(), Vec::new()];
    for c in clients {
        let (endpoint, l) = c.await.unwrap();
        latencies[endpoint].extend(l);
    }
    (latencies, started.elapsed())
}

/// Prints throughput (answers per second of the phase's real length) and latency quantiles.
fn report((latencies, took): &([Vec<Duration>; 2], Duration), rps: Option<u64>) {
    let mut total = 0;
    for ((name, _, _), l) in ENDPOINTS.iter().zip(latencies) {
        let mut l = l.clone();
        l.sort_unstable();
        total += l.len();
        let at = |q: f64| l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)));
        let p99 = at(0.99).copied().unwrap_or_default();
        println!(
            "  {name:<16} {:>7.0} req/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms{}",
            l.len() as f64 / took.as_secs_f64(),
            ms(at(0.5).copied().unwrap_or_default()),
            ms(p99),
            ms(l.last().copied().unwrap_or_default()),
            match rps {
                Some(_) if p99 <= TARGET_P99 => "  (p99 within 50 ms)",
                Some(_) => "  (p99 OVER 50 ms)",
                None => "",
            }
        );
    }
    println!(
        "  {:<16} {:>7.0} req/s",
        "both",
        total as f64 / took.as_secs_f64()
    );
    if let Some(rps) = rps {
        println!("  (asked for {rps} req/s over {:.1} s)", took.as_secs_f64());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
