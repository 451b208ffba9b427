//! Plugins that attack the host through its host calls, its load path and its answers, as an
//! attacker would rather than as a buggy plugin does: each ends its own run with its own
//! reason, within its budget (plus a margin this test allows generously; the benchmark
//! `cargo bench --bench sandbox` measures it), while the host's memory stays bounded and a
//! well-behaved plugin keeps running beside them.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use zemstvo_core::capabilities::data::{ColumnValues, Entity, Query, RegionData};
use zemstvo_core::capabilities::{Capability, Grants};
use zemstvo_core::eligibility::{Application, ApplicationChannel, EligibilityInput};
use zemstvo_core::region::InMemoryRegion;
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::FailureReason;
use zemstvo_host::local::LocalRun;
use zemstvo_host::runtime::limits::RunLimits;
use zemstvo_host::{LoadError, LoadedPlugin, RunInput, RunReport, Runtime, RuntimeSettings};

use common::{fixture, reference_plugin, region, runtime, tight_limits};

/// How far past its budget a stopped run may end in this test: a liveness bound on a shared,
/// loaded two-core machine, not the measured margin.
const LIVENESS: Duration = Duration::from_secs(3);

/// Runs `fixture-host-abuse` with one attack.
async fn attack(
    rt: &Runtime,
    plugin: &LoadedPlugin,
    name: &str,
    region: Arc<InMemoryRegion>,
    limits: RunLimits,
    grants: Option<Grants>,
) -> RunReport {
    let now = region.now();
    let request = LocalRun {
        config: vec![("attack".into(), name.into())],
        grants,
        run_id: Some(format!("attack-{name}")),
        limits,
        ..LocalRun::default()
    }
    .request(plugin, region, now)
    .expect("the attack is a valid setting");
    rt.run(plugin, request).await
}

fn logs(report: &RunReport) -> String {
    report
        .outputs
        .logs
        .iter()
        .map(|l| format!("{}\n", l.message))
        .collect()
}

/// Lines and bytes each run passed to the host's log, by run id.
fn host_log() -> &'static Mutex<HashMap<String, (u64, u64)>> {
    static LOG: OnceLock<Mutex<HashMap<String, (u64, u64)>>> = OnceLock::new();
    LOG.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(CountPluginLines);
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");
        Mutex::new(HashMap::new())
    })
}

/// A tracing layer that counts what plugins' runs wrote to the host's log.
struct CountPluginLines;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountPluginLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !event.metadata().target().starts_with("zemstvo::plugin") {
            return;
        }
        #[derive(Default)]
        struct Fields {
            run: String,
            bytes: u64,
        }
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "run" {
                    self.run = value.to_string();
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.bytes += format!("{value:?}").len() as u64;
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(log) = host_log().try_lock().ok().as_mut() {
            let entry = log.entry(fields.run).or_default();
            entry.0 += 1;
            entry.1 += fields.bytes;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_flood_is_capped_before_it_reaches_the_host_log() {
    host_log();
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let limits = tight_limits();
    let report = attack(&rt, &plugin, "log-flood", region(), limits.clone(), None).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::TimeBudgetExceeded { budget_ms: 2000 })
    );
    assert!(report.outputs.logs.len() <= limits.max_log_lines);
    let kept: usize = report.outputs.logs.iter().map(|l| l.message.len()).sum();
    assert!(kept <= limits.max_log_bytes + 2_100, "{kept} bytes kept");
    assert!(
        report.outputs.logs_dropped > 1_000,
        "{}",
        report.outputs.logs_dropped
    );
    let (lines, bytes) = host_log()
        .lock()
        .unwrap()
        .get("attack-log-flood")
        .copied()
        .unwrap_or_default();
    // The kept lines and one summary line; nothing more reached the host's log.
    assert_eq!(lines, report.outputs.logs.len() as u64 + 1);
    assert!(
        bytes <= (limits.max_log_bytes + 4_096) as u64,
        "{bytes} bytes logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_of_a_hundred_thousand_filters_is_refused_at_once() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let report = attack(&rt, &plugin, "filter-flood", region(), tight_limits(), None).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let log = logs(&report);
    assert!(log.contains("InvalidQuery"), "{log}");
    assert!(log.contains("at most 64"), "{log}");
}

/// A region large enough that one filtered read walks for longer than a budget.
fn large_region() -> Arc<InMemoryRegion> {
    static REGION: OnceLock<Arc<InMemoryRegion>> = OnceLock::new();
    REGION
        .get_or_init(|| {
            let scale = DemoScale {
                citizens: 400_000,
                ..DemoScale::SMALL
            };
            Arc::new(demo_region(scale, 7, 1_795_413_600))
        })
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_lives_in_host_calls_is_stopped_at_its_budget() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let limits = RunLimits {
        time_budget: Duration::from_millis(500),
        ..tight_limits()
    };
    let report = attack(&rt, &plugin, "slow-scan", large_region(), limits, None).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::TimeBudgetExceeded { budget_ms: 500 })
    );
    assert!(
        report.duration < Duration::from_millis(500) + LIVENESS,
        "{:?}",
        report.duration
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_messages_stop_at_the_count_cap() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let limits = RunLimits {
        time_budget: Duration::from_secs(60),
        max_notifications: 20_000,
        ..tight_limits()
    };
    let report = attack(&rt, &plugin, "notify-flood", region(), limits, None).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::OutputCapExceeded {
            output: "notifications".into(),
            cap: 20_000
        })
    );
    assert!(report.outputs.notifications.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_counted_at_what_the_host_holds_not_at_their_text() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    // A message's text here is ~20 bytes: counted by its text, 20,000 messages would be
    // 400 KB and stop at the count cap; counted at what the host holds, the byte cap is first.
    let limits = RunLimits {
        time_budget: Duration::from_secs(60),
        max_notifications: 20_000,
        max_output_bytes: 1 << 20,
        ..tight_limits()
    };
    let report = attack(&rt, &plugin, "notify-flood", region(), limits, None).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::OutputBytesExceeded { cap: 1 << 20 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whether_a_citizen_has_a_phone_does_not_show_to_a_plugin_without_the_grant() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let region = region();
    // The test can fail: some consenting citizens of the region have no phone.
    let mut without_phone = 0;
    let mut cursor = region
        .open(Query {
            entity: Entity::Citizens,
            columns: vec![0],
            filters: Vec::new(),
            batch_rows: 10_000,
        })
        .await
        .unwrap();
    while let Some(batch) = cursor.next_batch().await.unwrap() {
        let ColumnValues::U64(ids) = &batch.columns[0].values else {
            panic!("citizen ids are u64")
        };
        for &id in ids {
            let reach = region.citizen_reach(id).await.unwrap().unwrap();
            if reach.consent && !reach.phone {
                without_phone += 1;
            }
        }
    }
    assert!(without_phone > 0, "the fixture region has no such citizen");

    let grants: Grants = [Capability::DataCitizens, Capability::NotifySend]
        .into_iter()
        .collect();
    let report = attack(
        &rt,
        &plugin,
        "contact-probe",
        region,
        tight_limits(),
        Some(grants),
    )
    .await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let log = logs(&report);
    assert!(log.contains(" accepted, 0 refused"), "{log}");
    assert!(!log.contains("phone"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_handle_is_recorded_as_handle_misuse() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-host-abuse").await;
    let report = attack(&rt, &plugin, "bad-handle", region(), tight_limits(), None).await;
    assert!(
        matches!(report.failure(), Some(FailureReason::HandleMisuse { .. })),
        "{:?}",
        report.failure()
    );
}

fn application() -> EligibilityInput {
    EligibilityInput {
        application: Application {
            id: 1,
            applicant: 1,
            measure: "any".into(),
            submitted: 1_795_413_600,
            channel: ApplicationChannel::Portal,
            fields: Vec::new(),
        },
        answers: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explanation_past_its_cap_is_refused_and_not_kept() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-explain-bomb").await;
    let region = region();
    let now = region.now();
    let request = LocalRun {
        limits: RunLimits {
            time_budget: Duration::from_secs(20),
            memory_bytes: 256 << 20,
            ..RunLimits::default()
        },
        input: RunInput::Eligibility(application()),
        ..LocalRun::default()
    }
    .request(&plugin, region, now)
    .unwrap();
    let report = rt.run(&plugin, request).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::ExplanationTooLong { cap: 1_000 })
    );
    assert!(report.outputs.eligibility.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_past_the_size_cap_is_refused_with_its_size() {
    let rt = Runtime::new(RuntimeSettings {
        max_component_bytes: 100_000,
        ..RuntimeSettings::default()
    })
    .unwrap();
    let bytes = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay")
        .unwrap()
        .bytes;
    match rt.load(bytes).await {
        Err(e @ LoadError::TooLarge { .. }) => {
            let message = e.to_string();
            assert!(message.contains(&bytes.len().to_string()), "{message}");
            assert!(message.contains("at most 100000 bytes"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// A component of `functions` tiny functions, as WebAssembly text.
fn many_functions(functions: usize) -> Vec<u8> {
    let mut text = String::from("(component (core module");
    for _ in 0..functions {
        text.push_str(" (func)");
    }
    text.push_str("))");
    wat::parse_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_too_many_functions_is_refused_before_it_is_compiled() {
    let rt = runtime();
    let bytes = many_functions(60_000);
    match rt.load(&bytes).await {
        Err(e @ LoadError::TooComplex { .. }) => {
            assert!(e.to_string().contains("60000 functions"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_of_many_memories_is_refused_at_load() {
    let rt = runtime();
    let mut text = String::from("(component");
    for i in 0..3 {
        text.push_str(&format!(
            " (core module $m{i} (memory 1)) (core instance (instantiate $m{i}))"
        ));
    }
    text.push(')');
    let bytes = wat::parse_str(&text).unwrap();
    match rt.load(&bytes).await {
        Err(e @ LoadError::TooComplex { .. }) => {
            let message = e.to_string();
            assert!(message.contains("3 linear memories"), "{message}");
            assert!(message.contains("at most 2"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// The process's peak resident memory, from `/proc`.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb << 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_runs_at_once_end_on_their_own_reasons_beside_a_good_plugin() {
    let rt = Arc::new(runtime());
    let good = reference_plugin(&rt).await;
    let abuse = fixture(&rt, "fixture-host-abuse").await;
    let bomb = fixture(&rt, "fixture-memory-bomb").await;
    let mut runs = tokio::task::JoinSet::new();
    for name in ["log-flood", "slow-scan", "notify-flood", "bad-handle"] {
        let (rt, abuse) = (rt.clone(), abuse.clone());
        let region = if name == "slow-scan" {
            large_region()
        } else {
            region()
        };
        runs.spawn(async move {
            let report = attack(&rt, &abuse, name, region, tight_limits(), None).await;
            (name.to_string(), report)
        });
    }
    for i in 0..3 {
        let (rt, bomb) = (rt.clone(), bomb.clone());
        runs.spawn(async move {
            let report = common::run(&rt, &bomb, tight_limits()).await;
            (format!("memory-bomb {i}"), report)
        });
    }
    for i in 0..4 {
        let (rt, good) = (rt.clone(), good.clone());
        runs.spawn(async move {
            (
                format!("good {i}"),
                common::run(&rt, &good, tight_limits()).await,
            )
        });
    }
    while let Some(ended) = runs.join_next().await {
        let (name, report) = ended.expect("no run panics the host");
        let reason = report.failure().cloned();
        match name.as_str() {
            n if n.starts_with("good") => assert!(report.succeeded(), "{n}: {reason:?}"),
            n if n.starts_with("memory-bomb") => assert_eq!(
                reason,
                Some(FailureReason::MemoryLimitExceeded {
                    limit_bytes: 64 << 20
                }),
                "{n}"
            ),
            "bad-handle" => assert!(
                matches!(reason, Some(FailureReason::HandleMisuse { .. })),
                "{reason:?}"
            ),
            "notify-flood" => assert!(
                matches!(
                    reason,
                    Some(
                        FailureReason::OutputCapExceeded { .. }
                            | FailureReason::TimeBudgetExceeded { .. }
                    )
                ),
                "{reason:?}"
            ),
            _ => assert_eq!(
                reason,
                Some(FailureReason::TimeBudgetExceeded { budget_ms: 2000 }),
                "{name}"
            ),
        }
        if !name.starts_with("good") {
            assert!(
                report.duration < tight_limits().time_budget + LIVENESS,
                "{name}: {:?}",
                report.duration
            );
        }
    }
    // Eleven runs at once, three of them at their 64 MiB cap: the host's peak stays far
    // below what one unbounded run reached before (3.9 GB).
    let peak = peak_rss();
    eprintln!("peak RSS of the test process: {} MiB", peak >> 20);
    assert!(peak < 2 << 30, "peak RSS {} MiB", peak >> 20);
}
