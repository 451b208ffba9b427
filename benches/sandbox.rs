//! `cargo bench --bench sandbox`: how far past its time budget a hostile run ends — the margin
//! that `RunLimits::time_budget` documents (`BUDGET_MARGIN`) — for a plugin that computes
//! (stopped by the epoch deadline: the baseline) side by side with plugins that live in host
//! calls (a filtered read that walks 400,000 rows with 64 filters, over and over) or flood the
//! log, in one process.
//!
//! Prints, per attack, the mean and worst overrun past a 500 ms budget over several runs, and
//! last the ratio of the worst host-call overrun to the computing plugin's.

use std::sync::Arc;
use std::time::Duration;

use zemstvo_core::region::InMemoryRegion;
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::limits::{BUDGET_MARGIN, RunLimits};
use zemstvo_host::{LoadedPlugin, Runtime, RuntimeSettings};

const BUDGET: Duration = Duration::from_millis(500);
const ROUNDS: usize = 8;

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

async fn load(rt: &Runtime, name: &str) -> LoadedPlugin {
    rt.load(&zemstvo_plugin_artifacts::fixture(name))
        .await
        .unwrap()
}

/// Mean and worst time past the budget over `ROUNDS` runs.
async fn overrun(
    rt: &Runtime,
    plugin: &LoadedPlugin,
    attack: Option<&str>,
    region: &Arc<InMemoryRegion>,
) -> (Duration, Duration) {
    let mut total = Duration::ZERO;
    let mut worst = Duration::ZERO;
    for _ in 0..ROUNDS {
        let request = LocalRun {
            config: attack
                .map(|a| vec![("attack".to_string(), a.to_string())])
                .unwrap_or_default(),
            limits: RunLimits {
                time_budget: BUDGET,
                ..RunLimits::default()
            },
            ..LocalRun::default()
        }
        .request(plugin, region.clone(), region.now())
        .unwrap();
        let report = rt.run(plugin, request).await;
        assert!(!report.succeeded(), "{attack:?} ended by itself");
        let past = report.duration.saturating_sub(BUDGET);
        total += past;
        worst = worst.max(past);
    }
    (total / ROUNDS as u32, worst)
}

async fn bench() {
    let scale = DemoScale {
        citizens: 400_000,
        ..DemoScale::SMALL
    };
    let region = Arc::new(demo_region(scale, 7, 1_795_413_600));
    let rt = Runtime::new(RuntimeSettings::default()).unwrap();
    let looping = load(&rt, "fixture-infinite-loop").await;
    let abuse = load(&rt, "fixture-host-abuse").await;
    println!(
        "budget {} ms, documented margin {} ms, {ROUNDS} runs each",
        BUDGET.as_millis(),
        BUDGET_MARGIN.as_millis()
    );
    let (mean, base) = overrun(&rt, &looping, None, &region).await;
    println!(
        "computing (epoch deadline): mean {:>6.1} ms past, worst {:>6.1} ms",
        mean.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3
    );
    let mut worst_host = Duration::ZERO;
    for attack in ["slow-scan", "log-flood"] {
        let (mean, worst) = overrun(&rt, &abuse, Some(attack), &region).await;
        worst_host = worst_host.max(worst);
        println!(
            "{attack:<26}: mean {:>6.1} ms past, worst {:>6.1} ms",
            mean.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
    println!(
        "worst host-call overrun within the margin: {}",
        worst_host <= BUDGET_MARGIN
    );
    println!(
        "host-call/computing overrun ratio: {:.2}",
        worst_host.as_secs_f64() / base.as_secs_f64().max(1e-3)
    );
}
