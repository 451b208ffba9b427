//! The region host over the store: runs from the queue committed once, shared between hosts,
//! refusing a tampered component, hearing of changes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{NOW, host, install, region};

use zemstvo_host::{FailureReason, Runtime, RuntimeSettings};
use zemstvo_service::{DEFAULT_SCHEDULE, HostSettings, RegionHost, SmevSettings};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

const REFERENCE: &str = "isu-smev-answer-delay";

fn reference() -> &'static [u8] {
    zemstvo_plugin_artifacts::reference(REFERENCE)
        .unwrap()
        .bytes
}

async fn two_hosts_share_the_queue(db: TestDatabase) {
    let store = region(&db).await;
    let a = host(&store, "host-a").await;
    install(&a, reference(), None).await;
    for i in 0..6 {
        assert!(
            store
                .enqueue_run(REFERENCE, &format!("manual-{i}"), NOW, 0)
                .await
                .unwrap()
        );
    }
    let b = host(&db.store().await, "host-b").await;
    let (ra, rb) = tokio::join!(a.runs().drain_queue(), b.runs().drain_queue());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.len() + rb.len(), 6, "every queued run ran once");
    let runs = store.recent_runs(None, 20).await.unwrap();
    assert_eq!(runs.len(), 6);
    let created: u64 = runs.iter().map(|r| r.tasks_created).sum();
    let tasks = store.tasks(&Default::default()).await.unwrap().len() as u64;
    assert_eq!(
        created, tasks,
        "tasks were created by exactly one of the runs"
    );
    assert!(
        store
            .run_queue()
            .await
            .unwrap()
            .iter()
            .all(|(_, status, attempts)| status == "done" && *attempts == 1)
    );
}
on_both_databases!(
    two_hosts_sharing_a_database_run_each_queued_run_once,
    two_hosts_share_the_queue
);

async fn two_hosts_decide_at_once(db: TestDatabase) {
    let store = region(&db).await;
    let a = host(&store, "host-a").await;
    let rule = zemstvo_plugin_artifacts::reference("yugra-child-allowance")
        .unwrap()
        .bytes;
    install(&a, rule, None).await;
    let b = host(&db.store().await, "host-b").await;
    // Both hosts call the rule for the same applications at the same moment: the same call
    // has the same run id on both, so one commits and the other meets a conflict, which is
    // that one application's business, not the round's.
    let (ra, rb) = tokio::join!(
        a.decisions().decide_applications(500),
        b.decisions().decide_applications(500)
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let cases = store.eligibility_cases(&Default::default()).await.unwrap();
    assert!(!cases.is_empty());
    assert_eq!(
        ra.len() + rb.len(),
        cases.len(),
        "each application's first call was kept from exactly one host"
    );
    // Both hosts go on with the rest of their rounds.
    a.tick().await.unwrap();
    b.tick().await.unwrap();
}
on_both_databases!(
    two_hosts_deciding_the_same_applications_keep_one_call_each_and_go_on,
    two_hosts_decide_at_once
);

async fn tampered_component(db: TestDatabase) {
    let store = region(&db).await;
    let name = install(&host(&store, "installer").await, reference(), None).await;
    let sha = store.installation(&name).await.unwrap().unwrap().sha256;
    store.tamper_component_for_tests(&sha).await.unwrap();
    store
        .enqueue_run(REFERENCE, "manual", NOW, 0)
        .await
        .unwrap();
    let fresh = host(&store, "fresh").await;
    let outcome = fresh
        .runs()
        .run_next()
        .await
        .unwrap()
        .expect("the refused run is an outcome of the round");
    let failure = outcome.report.failure().expect("it failed").to_string();
    assert!(
        failure.starts_with("refused: ") && failure.contains("a byte changed after signing"),
        "{failure}"
    );
    assert!(outcome.report.outputs.tasks.is_empty(), "nothing ran");
    let runs = store.recent_runs(None, 5).await.unwrap();
    assert_eq!(runs.len(), 1, "the refusal is in the run history: {runs:?}");
    assert_eq!(runs[0].status, "failed");
    assert!(
        runs[0]
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("a byte changed after signing")),
        "{runs:?}"
    );
    assert_eq!(
        store.run_queue().await.unwrap(),
        vec![(REFERENCE.to_string(), "failed".to_string(), 1)],
        "a refused run is not retried"
    );
    assert_eq!(
        fresh
            .runs()
            .refusal(REFERENCE)
            .await
            .unwrap()
            .as_deref()
            .map(|r| r.contains("a byte changed")),
        Some(true),
        "the plugin's state says why"
    );
}
on_both_databases!(
    a_component_changed_in_the_store_is_refused_at_load_and_recorded_as_a_failed_run,
    tampered_component
);

async fn schedule_once_per_occurrence(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, reference(), Some(DEFAULT_SCHEDULE)).await;
    let monday_0700 = NOW + 3_600;
    assert_eq!(h.runs().enqueue_scheduled(monday_0700).await.unwrap(), 1);
    assert_eq!(
        h.runs().enqueue_scheduled(monday_0700 + 60).await.unwrap(),
        0,
        "one run per occurrence"
    );
    let outcome = h
        .runs()
        .run_next()
        .await
        .unwrap()
        .expect("the scheduled run");
    assert_eq!(
        outcome.report.logical_time, NOW,
        "the run's time is the occurrence's"
    );
    assert!(outcome.report.succeeded());
}
on_both_databases!(
    a_schedule_queues_one_run_per_occurrence,
    schedule_once_per_occurrence
);

async fn unknown_template(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(
        &h,
        &zemstvo_plugin_artifacts::fixture("fixture-slow-reporter"),
        None,
    )
    .await;
    store
        .enqueue_run("fixture-slow-reporter", "manual", NOW, 0)
        .await
        .unwrap();
    let outcome = h.runs().run_next().await.unwrap().unwrap();
    match outcome.report.failure() {
        Some(FailureReason::PluginError { message, .. }) => {
            assert!(message.contains("no template `decision-made`"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        store.tasks(&Default::default()).await.unwrap().is_empty(),
        "a failed run keeps nothing"
    );
    assert_eq!(
        store.recent_runs(None, 5).await.unwrap()[0].status,
        "failed"
    );
}
on_both_databases!(
    a_message_with_an_unknown_template_fails_the_run_and_keeps_nothing,
    unknown_template
);

#[tokio::test]
async fn postgres_hosts_hear_of_plugin_changes() {
    let Some(db) = TestDatabase::postgres("postgres_hosts_hear_of_plugin_changes").await else {
        return;
    };
    let store = region(&db).await;
    install(&host(&store, "installer").await, reference(), None).await;
    let mut listener = store
        .listen_changes()
        .await
        .unwrap()
        .expect("PostgreSQL listens");
    store.set_enabled(REFERENCE, false, "admin").await.unwrap();
    let note = tokio::time::timeout(Duration::from_secs(10), listener.recv())
        .await
        .expect("a notification")
        .unwrap();
    assert_eq!(note.payload(), REFERENCE);
}

async fn malformed_outputs(db: TestDatabase) {
    let store = region(&db).await;
    store
        .put_template(
            &zemstvo_store::notifications::Template {
                name: "decision-made".into(),
                subject: None,
                body: "{{ full_name }}".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let h = host(&store, "host-a").await;
    install(
        &h,
        &zemstvo_plugin_artifacts::fixture("fixture-bad-outputs"),
        None,
    )
    .await;
    store
        .enqueue_run("fixture-bad-outputs", "manual", NOW, 0)
        .await
        .unwrap();
    let outcome = h.runs().run_next().await.unwrap().unwrap();
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    let log: Vec<String> = outcome
        .report
        .outputs
        .logs
        .iter()
        .map(|l| l.message.clone())
        .collect();
    let line = |what: &str| {
        log.iter()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("{what}: {log:?}"))
            .clone()
    };
    assert!(
        line("unknown employee").contains("UnknownEmployee(999999)"),
        "{log:?}"
    );
    assert!(line("empty title").contains("title is empty"), "{log:?}");
    assert!(
        line("due in the past").contains("cannot be due in the past"),
        "{log:?}"
    );
    assert!(
        line("unknown citizen").contains("UnknownCitizen(999999)"),
        "{log:?}"
    );
    assert!(line("no consent").contains("NoConsent"), "{log:?}");
    // A plugin that may read contacts is told the citizen has none.
    let no_contact = line("no e-mail address");
    assert!(no_contact.ends_with(": no-contact"), "{log:?}");
    let citizen: String = no_contact
        .split("(citizen ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the citizen is named")
        .to_string();
    assert!(
        line("unknown template").contains("no template `no-such-template`"),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("ACCEPTED")), "{log:?}");
    let tasks = store.tasks(&Default::default()).await.unwrap();
    assert_eq!(tasks.len(), 1, "only the valid task is kept");
    assert!(store.notifications(None).await.unwrap().is_empty());

    // A plugin that may not read contacts is never told: its message to the same citizen is
    // accepted, whatever the citizen's contacts, and the outbox keeps it as undeliverable.
    let grants: zemstvo_core::Grants = [
        zemstvo_core::Capability::DataCitizens,
        zemstvo_core::Capability::TasksCreate,
        zemstvo_core::Capability::NotifySend,
    ]
    .into_iter()
    .collect();
    store
        .set_grants("fixture-bad-outputs", &grants, "test")
        .await
        .unwrap();
    h.installations()
        .configure(
            "fixture-bad-outputs",
            &[
                ("read-contacts".to_string(), "false".to_string()),
                ("citizen-without-email".to_string(), citizen.clone()),
            ],
            "test",
        )
        .await
        .unwrap();
    store
        .enqueue_run("fixture-bad-outputs", "manual", NOW + 60, 0)
        .await
        .unwrap();
    let outcome = h.runs().run_next().await.unwrap().unwrap();
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    assert!(
        outcome
            .report
            .outputs
            .logs
            .iter()
            .any(|l| l.message == format!("no e-mail address (citizen {citizen}): accepted")),
        "{:?}",
        outcome.report.outputs.logs
    );
    h.deliveries().deliver_once().await.unwrap();
    let messages = store.notifications(None).await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].status, "failed");
    assert!(
        messages[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("undeliverable") && e.contains("no e-mail address")),
        "{messages:?}"
    );
}
on_both_databases!(
    malformed_outputs_are_refused_by_name_and_the_valid_ones_kept,
    malformed_outputs
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_delays_the_commit_and_loses_nothing() {
    use sqlx::{Connection, Executor};
    let db = TestDatabase::sqlite().await;
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    install(&h, reference(), None).await;
    store
        .enqueue_run(REFERENCE, "manual", NOW, 0)
        .await
        .unwrap();
    // Another process holds the write lock for longer than the host waits (5 s).
    let mut locker = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    locker.execute("BEGIN EXCLUSIVE").await.unwrap();
    let err = h.runs().run_next().await.unwrap_err();
    assert!(err.to_string().contains("database is busy"), "{err}");
    locker.execute("ROLLBACK").await.unwrap();
    drop(locker);
    assert!(
        store.tasks(&Default::default()).await.unwrap().is_empty(),
        "nothing was half-written"
    );
    assert!(store.recent_runs(None, 5).await.unwrap().is_empty());
    // The claim expires and the run is taken again, this time committing once.
    store.expire_claims_for_tests().await.unwrap();
    let outcome = h
        .runs()
        .run_next()
        .await
        .unwrap()
        .expect("the run is retried");
    let committed = outcome.committed.unwrap();
    assert!(committed.tasks_created > 0);
    assert_eq!(
        store.tasks(&Default::default()).await.unwrap().len() as u64,
        committed.tasks_created
    );
}

/// Hostile plugins queued beside a good one and taken by one host's concurrent workers (the
/// path `serve` runs): each hostile run ends on its own reason within its budget, nothing of
/// theirs is kept, and the good plugin's run commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_runs_taken_at_once_end_on_their_own_and_the_good_one_commits() {
    let db = TestDatabase::sqlite().await;
    let store = region(&db).await;
    let settings = HostSettings {
        host_id: "host-a".into(),
        smev: SmevSettings::None,
        limits: zemstvo_host::runtime::limits::RunLimits {
            time_budget: Duration::from_secs(2),
            memory_bytes: 64 << 20,
            // Reached in a fraction of the budget even on a loaded machine.
            max_tasks: 1_000,
            ..Default::default()
        },
        ..HostSettings::default()
    };
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    let h = Arc::new(
        RegionHost::open(store.clone(), runtime, settings)
            .await
            .unwrap(),
    );
    let hostile = [
        "fixture-infinite-loop",
        "fixture-memory-bomb",
        "fixture-task-flood",
    ];
    for name in hostile {
        install(&h, &zemstvo_plugin_artifacts::fixture(name), None).await;
        store.enqueue_run(name, "manual", NOW, 0).await.unwrap();
    }
    install(&h, reference(), None).await;
    store
        .enqueue_run(REFERENCE, "manual", NOW, 0)
        .await
        .unwrap();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let h = h.clone();
        workers.spawn(async move {
            h.runs()
                .run_next()
                .await
                .unwrap()
                .expect("a run for each worker")
        });
    }
    let mut ended = std::collections::BTreeMap::new();
    while let Some(outcome) = workers.join_next().await {
        let outcome = outcome.unwrap();
        let report = outcome.report;
        assert!(
            report.duration < Duration::from_secs(2 + 3),
            "{}: {:?}",
            report.plugin.name,
            report.duration
        );
        ended.insert(report.plugin.name.clone(), report.failure().cloned());
    }
    assert_eq!(
        ended.get("fixture-infinite-loop"),
        Some(&Some(FailureReason::TimeBudgetExceeded { budget_ms: 2000 }))
    );
    assert_eq!(
        ended.get("fixture-memory-bomb"),
        Some(&Some(FailureReason::MemoryLimitExceeded {
            limit_bytes: 64 << 20
        }))
    );
    assert_eq!(
        ended.get("fixture-task-flood"),
        Some(&Some(FailureReason::OutputCapExceeded {
            output: "tasks".into(),
            cap: 1_000
        })),
        "{ended:?}"
    );
    assert_eq!(ended.get(REFERENCE), Some(&None), "{ended:?}");
    let tasks = store.tasks(&Default::default()).await.unwrap();
    assert!(!tasks.is_empty(), "the good run's tasks are kept");
    assert!(
        tasks.iter().all(|t| t.plugin == REFERENCE),
        "nothing of a hostile run is kept"
    );
}
