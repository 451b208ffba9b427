//! Hostile plugins end only their own run, in bounded time, with the reason recorded, while a
//! well-behaved plugin keeps running in the same host.

mod common;

use std::sync::Arc;
use std::time::Duration;

use zemstvo_core::capabilities::Capability;
use zemstvo_host::FailureReason;

use common::{fixture, reference_plugin, run, runtime, tight_limits};

/// Generous bound on how long a stopped run may take past its budget (a liveness promise,
/// not a performance measurement).
const GRACE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_plugin_ends_within_its_budget() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-infinite-loop").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::TimeBudgetExceeded { budget_ms: 2000 })
    );
    assert!(
        report.duration < tight_limits().time_budget + GRACE,
        "{:?}",
        report.duration
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bomb_is_stopped_at_its_memory_cap() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-memory-bomb").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::MemoryLimitExceeded {
            limit_bytes: 64 << 20
        })
    );
    assert!(report.peak_memory <= 64 << 20, "{}", report.peak_memory);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_exhausts_only_its_own_stack() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-deep-recursion").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    assert_eq!(report.failure(), Some(&FailureReason::StackExhausted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_run_with_its_message_and_keeps_nothing() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-panics").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    match report.failure() {
        Some(FailureReason::Panicked { message }) => {
            assert!(message.contains("the data is cursed"), "{message}");
            assert!(message.contains("src/lib.rs"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        report.outputs.tasks.is_empty(),
        "the task queued before the panic was kept"
    );
    assert!(report.stderr.contains("panicked"), "{}", report.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_million_deviations_stop_at_the_task_cap() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-task-flood").await;
    // The count cap is what is tested: a budget no loaded machine reaches first.
    let limits = zemstvo_host::runtime::limits::RunLimits {
        time_budget: Duration::from_secs(60),
        ..tight_limits()
    };
    let report = run(&rt, &plugin, limits).await;
    assert_eq!(
        report.failure(),
        Some(&FailureReason::OutputCapExceeded {
            output: "tasks".into(),
            cap: 10_000
        })
    );
    assert!(report.outputs.tasks.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_capability_is_denied_by_name() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-ungranted-import").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    match report.failure() {
        Some(FailureReason::PluginError { message, .. }) => {
            assert!(message.contains("capability `tasks.create`"), "{message}");
            assert!(message.contains("was not granted"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        report.outputs.denied,
        [
            Capability::DataCitizens,
            Capability::SmevSend,
            Capability::TasksCreate
        ]
    );
    assert!(report.outputs.smev_requests.is_empty());
    let logs: Vec<&str> = report
        .outputs
        .logs
        .iter()
        .map(|l| l.message.as_str())
        .collect();
    assert!(
        logs.iter().any(|l| l.contains("read 1 batches of staff")),
        "{logs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasi_gives_no_files_environment_sockets_or_host_clock() {
    let rt = runtime();
    let plugin = fixture(&rt, "fixture-wasi-escape").await;
    let report = run(&rt, &plugin, tight_limits()).await;
    assert!(report.succeeded(), "{:?}", report.failure());
    let log: String = report
        .outputs
        .logs
        .iter()
        .map(|l| format!("{}\n", l.message))
        .collect();
    assert!(!log.contains("OPENED"), "something was reachable:\n{log}");
    for probe in [
        "file /etc/passwd: refused",
        "dir /: refused",
        "dir .: refused",
        "tcp 127.0.0.1:5432: refused",
        "udp bind: refused",
        "dns localhost: refused",
    ] {
        assert!(log.contains(probe), "missing `{probe}` in:\n{log}");
    }
    assert!(log.contains("env: 0 variables"), "{log}");
    assert!(log.contains("args: []"), "{log}");
    // The wall clock is the run's logical time (the fixture's `now`), not the host's.
    let now = report.logical_time;
    assert!(
        log.contains(&format!("clock: {now} (run time {now})")),
        "{log}"
    );
    assert_eq!(report.stdout.trim(), "stdout is captured, not inherited");
    assert_eq!(report.stderr.trim(), "stderr is captured, not inherited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_plugin_keeps_running_beside_hostile_ones() {
    let rt = Arc::new(runtime());
    let good = reference_plugin(&rt).await;
    let expected = run(&rt, &good, tight_limits()).await;
    assert!(expected.succeeded(), "{:?}", expected.failure());

    let mut runs = tokio::task::JoinSet::new();
    for name in [
        "fixture-infinite-loop",
        "fixture-memory-bomb",
        "fixture-deep-recursion",
        "fixture-panics",
        "fixture-task-flood",
        "fixture-ungranted-import",
    ] {
        let plugin = fixture(&rt, name).await;
        let rt = rt.clone();
        runs.spawn(async move { run(&rt, &plugin, tight_limits()).await });
    }
    for _ in 0..6 {
        let (rt, good) = (rt.clone(), good.clone());
        runs.spawn(async move { run(&rt, &good, tight_limits()).await });
    }
    let mut good_runs = 0;
    while let Some(report) = runs.join_next().await {
        let report = report.expect("no run panics the host");
        if report.plugin.name == good.metadata.name {
            assert!(report.succeeded(), "{:?}", report.failure());
            assert_eq!(report.outputs.tasks, expected.outputs.tasks);
            good_runs += 1;
        } else {
            assert!(!report.succeeded(), "{} succeeded", report.plugin.name);
        }
    }
    assert_eq!(good_runs, 6);
    // And the host still loads and runs plugins afterwards.
    let after = run(&rt, &good, tight_limits()).await;
    assert!(after.succeeded());
}
