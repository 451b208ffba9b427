//! The store on SQLite and on PostgreSQL: the same behaviour from the same schema.

use std::sync::Arc;
use std::time::Duration;

use zemstvo_core::capabilities::data::{
    Batch, ColumnValues, Comparison, Condition, Entity, Filter, Query, RegionData, Scalar,
};
use zemstvo_core::region::InMemoryRegion;
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_store::data::SqlRegion;
use zemstvo_store::load::RegionInfo;
use zemstvo_store::on_both_databases;
use zemstvo_store::smev::{DeliveryOutcome, DeliveryResult, SmevDelivery};
use zemstvo_store::tasks::{TaskFilter, TaskStatus};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, StoreError};

const NOW: i64 = 1_795_413_600;

async fn demo_store(db: &TestDatabase) -> (Store, Arc<InMemoryRegion>) {
    let store = db.store().await;
    let region = Arc::new(demo_region(DemoScale::SMALL, 3, NOW));
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "Липецкая область (демо)".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store.load_region(&region, &|_, _| {}).await.unwrap();
    (store, region)
}

fn query(
    entity: Entity,
    columns: &[&str],
    filters: Vec<(&str, Condition)>,
    batch_rows: u32,
) -> Query {
    let schema = entity.schema();
    Query {
        entity,
        columns: columns
            .iter()
            .map(|c| schema.position(c).unwrap())
            .collect(),
        filters: filters
            .into_iter()
            .map(|(c, condition)| Filter {
                column: schema.position(c).unwrap(),
                condition,
            })
            .collect(),
        batch_rows,
    }
}

async fn read_all(region: &dyn RegionData, q: Query) -> Vec<Batch> {
    let mut cursor = region.open(q).await.unwrap();
    let mut out = Vec::new();
    while let Some(b) = cursor.next_batch().await.unwrap() {
        out.push(b);
    }
    out
}

/// Batches compared by value; floats stored as f64 round-trip exactly, f32 within rounding.
fn same(a: &[Batch], b: &[Batch]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.rows == y.rows
                && x.columns.iter().zip(&y.columns).all(|(cx, cy)| {
                    let presence = |c: &zemstvo_core::capabilities::data::Column| {
                        if c.present.is_empty() {
                            vec![1; x.rows]
                        } else {
                            c.present.clone()
                        }
                    };
                    presence(cx) == presence(cy)
                        && match (&cx.values, &cy.values) {
                            (ColumnValues::F32(p), ColumnValues::F32(q)) => {
                                p.iter().zip(q).all(|(a, b)| (a - b).abs() < 1e-6)
                            }
                            (p, q) => p == q,
                        }
                })
        })
}

async fn sql_reads_match_the_in_memory_region(db: TestDatabase) {
    let (store, memory) = demo_store(&db).await;
    let sql = SqlRegion::new(store.clone(), "lipetsk-demo");
    for entity in Entity::ALL {
        let all: Vec<&str> = entity.schema().columns.iter().map(|c| c.name).collect();
        let q = query(entity, &all, vec![], 97);
        assert!(
            same(
                &read_all(&sql, q.clone()).await,
                &read_all(memory.as_ref(), q).await
            ),
            "{entity}"
        );
    }
    let filtered = query(
        Entity::SmevRequests,
        &["id", "agency", "answered_at", "application_id"],
        vec![
            (
                "agency",
                Condition::AnyOf(vec![Scalar::Text("fns".into()), Scalar::Text("mvd".into())]),
            ),
            ("answered_at", Condition::IsPresent),
            (
                "sent_at",
                Condition::Compare(Comparison::Ge, Scalar::Integer(NOW - 20 * 86_400)),
            ),
        ],
        50,
    );
    let (a, b) = (
        read_all(&sql, filtered.clone()).await,
        read_all(memory.as_ref(), filtered).await,
    );
    assert!(!a.is_empty());
    assert!(same(&a, &b));
    let keyed = query(
        Entity::ApplicationEvents,
        &["application_id", "status", "at"],
        vec![(
            "application_id",
            Condition::AnyOf((1..=40).map(Scalar::Integer).collect()),
        )],
        7,
    );
    assert!(same(
        &read_all(&sql, keyed.clone()).await,
        &read_all(memory.as_ref(), keyed).await
    ));
    // Each batch after the first lists only the ids still ahead of the last key served: an
    // unordered list with repeats and gaps, over a key that repeats (events) and one that does
    // not (requests), read in small batches, still gives every row once.
    let scattered: Vec<Scalar> = [90, 3, 3, 41, 7, 200, 8, 41, 1, 150, 9, 10, 11, 12, 13]
        .into_iter()
        .map(Scalar::Integer)
        .collect();
    for (entity, key, columns) in [
        (
            Entity::ApplicationEvents,
            "application_id",
            &["application_id", "status"][..],
        ),
        (Entity::SmevRequests, "id", &["id", "agency"][..]),
    ] {
        let q = query(
            entity,
            columns,
            vec![(key, Condition::AnyOf(scattered.clone()))],
            3,
        );
        let (a, b) = (
            read_all(&sql, q.clone()).await,
            read_all(memory.as_ref(), q).await,
        );
        let rows = |v: &[Batch]| v.iter().map(|b| b.rows).collect::<Vec<_>>();
        assert!(a.len() > 2, "{entity}: read in several batches");
        assert!(
            same(&a, &b),
            "{entity}: {:?} against {:?}",
            rows(&a),
            rows(&b)
        );
    }
    assert_eq!(
        sql.first_missing(Entity::Employees, &[1, 2, 999_999])
            .await
            .unwrap(),
        Some(999_999)
    );
    assert_eq!(sql.citizen_reach(999_999).await.unwrap(), None);
    // Consent and contacts read the same from both backends, phone-less citizens included.
    let mut without_phone = 0;
    for citizen in 1..=200 {
        let reach = sql.citizen_reach(citizen).await.unwrap();
        assert_eq!(
            reach,
            memory.citizen_reach(citizen).await.unwrap(),
            "citizen {citizen}"
        );
        without_phone += usize::from(reach.is_some_and(|r| !r.phone));
    }
    assert!(without_phone > 0, "the demo has citizens without a phone");
}
on_both_databases!(
    sql_reads_are_the_in_memory_reads,
    sql_reads_match_the_in_memory_region
);

async fn a_second_region_in_one_database_is_refused_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    let err = store
        .create_region(&RegionInfo {
            id: "other".into(),
            name: "other".into(),
            timezone: "UTC".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(m) if m.contains("lipetsk-demo")));
    let counts = store.counts().await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n > 0), "{counts:?}");
}
on_both_databases!(
    a_second_region_in_one_database_is_refused,
    a_second_region_in_one_database_is_refused_scenario
);

async fn task_lifecycle_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    let id = zemstvo_store_test_support::one_task(&store).await;
    let task = store.task(id).await.unwrap();
    assert_eq!(task.status, TaskStatus::New);
    assert_eq!(
        task.overseer,
        Some(1),
        "the assignee's manager oversees the task"
    );
    let err = store
        .update_task(id, TaskStatus::Rejected, Some("  "), "employee:2")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs a reason"), "{err}");
    store
        .update_task(id, TaskStatus::InProgress, None, "employee:2")
        .await
        .unwrap();
    let done = store
        .update_task(id, TaskStatus::Done, None, "employee:2")
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    let err = store
        .update_task(id, TaskStatus::InProgress, None, "employee:2")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is done and cannot become in_progress"),
        "{err}"
    );
    let history: Vec<String> = store
        .task_history(id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(history, ["new", "in_progress", "done"]);
    let mine = store
        .tasks(&TaskFilter {
            overseer: Some(1),
            ..TaskFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
}
on_both_databases!(tasks_have_a_lifecycle_with_history, task_lifecycle_scenario);

async fn run_queue_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    assert!(store.enqueue_run("p", "schedule", NOW, 0).await.unwrap());
    assert!(
        !store.enqueue_run("p", "schedule", NOW, 0).await.unwrap(),
        "queued once"
    );
    let first = store
        .claim_run("host-a", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("a run to claim");
    assert_eq!(first.attempts, 1);
    assert!(
        store
            .claim_run("host-b", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "claimed runs are not handed out twice"
    );
    // Host A dies; its lease expires; host B takes the run over.
    sqlx_expire_claims(&store).await;
    let again = store
        .claim_run("host-b", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("an expired claim is reclaimed");
    assert_eq!((again.id, again.attempts), (first.id, 2));
    assert_ne!(first.run_id(), again.run_id());
}
on_both_databases!(
    queued_runs_go_to_one_host_until_its_claim_expires,
    run_queue_scenario
);

/// A second "run now" within the same second gets the next logical time (runs are keyed by
/// it) but is still due at once: a host's next round picks it up without waiting for the clock.
async fn triggered_runs_are_due_at_once_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let first = store.trigger_run("p", "admin", at).await.unwrap();
    let claimed = store
        .claim_run("host-a", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the first trigger is due");
    assert_eq!(claimed.id, first.queue_id);
    store.abandon_run(&claimed, "host-a", "test").await.unwrap();
    let second = store.trigger_run("p", "admin", at).await.unwrap();
    assert!(!second.already_queued);
    assert_eq!(second.logical_time, first.logical_time + 1);
    let claimed = store
        .claim_run("host-a", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the second trigger is due at once, not a second later");
    assert_eq!(claimed.id, second.queue_id);
}
on_both_databases!(
    a_second_trigger_in_one_second_is_due_at_once,
    triggered_runs_are_due_at_once_scenario
);

async fn sqlx_expire_claims(store: &Store) {
    zemstvo_store_test_support::expire_claims(store).await;
}

async fn smev_deliveries_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    let pending = store.pending_smev().await.unwrap();
    let open = pending
        .first()
        .expect("the demo has unanswered requests")
        .clone();
    let delivery = SmevDelivery {
        delivery_id: "d-1".into(),
        message_id: open.message_id.clone(),
        received_at: NOW,
        outcome: DeliveryOutcome::Answered {
            facts: vec![("snils".into(), "123-456-789 00".into())],
        },
    };
    assert_eq!(
        store.record_delivery(&delivery).await.unwrap(),
        DeliveryResult::Applied
    );
    assert_eq!(
        store.record_delivery(&delivery).await.unwrap(),
        DeliveryResult::Duplicate
    );
    let redelivered_differently = SmevDelivery {
        delivery_id: "d-2".into(),
        outcome: DeliveryOutcome::Rejected {
            code: "NO_DATA".into(),
            reason: "late".into(),
        },
        ..delivery.clone()
    };
    assert_eq!(
        store
            .record_delivery(&redelivered_differently)
            .await
            .unwrap(),
        DeliveryResult::Unmatched,
        "an answered request stays answered"
    );
    assert!(
        !store
            .pending_smev()
            .await
            .unwrap()
            .iter()
            .any(|p| p.message_id == open.message_id)
    );
    let stats = store.agency_stats(0).await.unwrap();
    let fns = stats
        .iter()
        .find(|s| s.agency == "fns")
        .expect("fns requests");
    assert!(fns.mean_answer_days.unwrap() > 0.5, "{fns:?}");
}
on_both_databases!(
    an_answer_delivered_twice_is_applied_once,
    smev_deliveries_scenario
);

mod zemstvo_store_test_support {
    use zemstvo_core::capabilities::Grants;
    use zemstvo_core::capabilities::tasks::{Priority, Task};
    use zemstvo_core::metadata::PluginKind;
    use zemstvo_core::report::{PluginRef, RunOutputs, RunReport, RunStatus, Summary};
    use zemstvo_store::Store;
    use zemstvo_store::runs::RunCommit;

    pub fn report(tasks: Vec<Task>) -> RunReport {
        RunReport {
            run_id: "test-run-1".into(),
            region: "lipetsk-demo".into(),
            plugin: PluginRef {
                name: "test-plugin".into(),
                version: "1.0.0".into(),
                kind: PluginKind::DeviationCheck,
                sha256: "00".repeat(32),
            },
            logical_time: super::NOW,
            status: RunStatus::Succeeded {
                summary: Summary {
                    examined: 1,
                    found: 1,
                    message: "one".into(),
                },
            },
            duration: std::time::Duration::from_millis(1),
            peak_memory: 0,
            outputs: RunOutputs {
                tasks,
                ..RunOutputs::default()
            },
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    /// A task for employee 2 (whose manager is 1) under `key`.
    pub fn task(key: &str) -> Task {
        Task {
            key: key.into(),
            assignee: 2,
            subject: None,
            title: "t".into(),
            description: "d".into(),
            records: vec![],
            steps: vec!["s".into()],
            priority: Priority::Normal,
            due: None,
        }
    }

    /// Commits one task for employee 2 (whose manager is 1) and returns its id.
    pub async fn one_task(store: &Store) -> i64 {
        let r = report(vec![task("k-1")]);
        let summary = store
            .commit_run(RunCommit {
                report: &r,
                queued: None,
                cause: "test",
                host: "test-host",
                started_at: super::NOW,
                grants: &Grants::none(),
                config: &Default::default(),
                signer: None,
                notifications: vec![],
                case: None,
                wit_version: "0.1.0",
                parameters: &[],
            })
            .await
            .unwrap();
        assert_eq!(summary.tasks_created, 1);
        store.tasks(&Default::default()).await.unwrap()[0].id
    }

    pub async fn expire_claims(store: &Store) {
        store.expire_claims_for_tests().await.unwrap();
    }
}

async fn commit_idempotency_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    zemstvo_store_test_support::one_task(&store).await;
    let mut again = zemstvo_store_test_support::report(
        vec![store.tasks(&Default::default()).await.unwrap()[0].clone()]
            .into_iter()
            .map(|t| zemstvo_core::capabilities::tasks::Task {
                key: t.key,
                assignee: t.assignee,
                subject: None,
                title: "rerun".into(),
                description: String::new(),
                records: vec![],
                steps: vec![],
                priority: zemstvo_core::capabilities::tasks::Priority::High,
                due: None,
            })
            .collect(),
    );
    again.run_id = "test-run-2".into();
    let summary = store
        .commit_run(zemstvo_store::runs::RunCommit {
            report: &again,
            queued: None,
            cause: "test",
            host: "test-host",
            started_at: NOW,
            grants: &Default::default(),
            config: &Default::default(),
            signer: None,
            notifications: vec![],
            case: None,
            wit_version: "0.1.0",
            parameters: &[],
        })
        .await
        .unwrap();
    assert_eq!((summary.tasks_created, summary.tasks_existing), (0, 1));
    let tasks = store.tasks(&Default::default()).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].title, "t",
        "the first commit's task stays as it was"
    );
    let runs = store.recent_runs(Some("test-plugin"), 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].tasks_created, runs[0].tasks_existing), (0, 1));
}
on_both_databases!(a_rerun_creates_no_task_twice, commit_idempotency_scenario);

/// The two migration files describe one schema: same tables, same columns.
#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let Some(pg) =
        TestDatabase::postgres("sqlite_and_postgres_schemas_have_the_same_tables_and_columns")
            .await
    else {
        return;
    };
    let lite = TestDatabase::sqlite().await;
    let (pg_store, lite_store) = (pg.store().await, lite.store().await);
    let pg_columns = pg_store.columns_for_tests().await.unwrap();
    let lite_columns = lite_store.columns_for_tests().await.unwrap();
    assert!(pg_columns.len() > 20, "{pg_columns:?}");
    assert_eq!(pg_columns, lite_columns);
}

async fn batched_deliveries_scenario(db: TestDatabase) {
    let (store, _) = demo_store(&db).await;
    let pending = store.pending_smev().await.unwrap();
    let (first, second) = (pending[0].clone(), pending[1].clone());
    let answered = |id: &str, message_id: &str| SmevDelivery {
        delivery_id: id.into(),
        message_id: message_id.into(),
        received_at: NOW,
        outcome: DeliveryOutcome::Answered {
            facts: vec![("snils".into(), "123-456-789 00".into())],
        },
    };
    let batch = [
        answered("b-1", &first.message_id),
        // The same delivery twice in one batch (a transport that redelivers at once).
        answered("b-1", &first.message_id),
        answered("b-2", &second.message_id),
        answered("b-3", "no-such-message"),
    ];
    assert_eq!(
        store.record_deliveries(&batch, NOW).await.unwrap(),
        [
            DeliveryResult::Applied,
            DeliveryResult::Duplicate,
            DeliveryResult::Applied,
            DeliveryResult::Unmatched,
        ]
    );
    // Taken again later (the acknowledgement was lost): nothing changes.
    assert_eq!(
        store.record_deliveries(&batch[..1], NOW).await.unwrap(),
        [DeliveryResult::Duplicate]
    );
    store
        .deliveries_acked(&["b-1".into(), "b-2".into(), "b-3".into()])
        .await
        .unwrap();
    let still = store.pending_smev().await.unwrap();
    assert_eq!(still.len(), pending.len() - 2);
    assert!(
        !still
            .iter()
            .any(|p| p.message_id == first.message_id || p.message_id == second.message_id)
    );
}
on_both_databases!(
    a_batch_of_deliveries_is_applied_once_each,
    batched_deliveries_scenario
);

async fn batched_commit_scenario(db: TestDatabase) {
    use zemstvo_store_test_support::task;
    let (store, _) = demo_store(&db).await;
    // `test-run-1` is committed first, as if by another host.
    zemstvo_store_test_support::one_task(&store).await;
    let mut reports = Vec::new();
    for (run, key) in [
        ("batch-a", "k-a"),
        ("test-run-1", "k-taken"),
        ("batch-c", "k-c"),
    ] {
        let mut r = zemstvo_store_test_support::report(vec![task(key)]);
        r.run_id = run.into();
        reports.push(r);
    }
    let grants = zemstvo_core::capabilities::Grants::none();
    let config = Default::default();
    let commits: Vec<_> = reports
        .iter()
        .map(|r| zemstvo_store::runs::RunCommit {
            report: r,
            queued: None,
            cause: "test",
            host: "test-host",
            started_at: NOW,
            grants: &grants,
            config: &config,
            signer: None,
            notifications: vec![],
            case: None,
            wit_version: "0.1.0",
            parameters: &[],
        })
        .collect();
    let results = store.commit_runs(&commits).await.unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().tasks_created, 1);
    assert!(
        matches!(results[1], Err(StoreError::Conflict(_))),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2].as_ref().unwrap().tasks_created, 1);
    let mut keys: Vec<String> = store
        .tasks(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    keys.sort();
    // The conflicting run's task went back with it; the runs around it are committed.
    assert_eq!(keys, ["k-1", "k-a", "k-c"]);
}
on_both_databases!(
    a_batch_commit_leaves_out_only_the_run_another_host_committed,
    batched_commit_scenario
);
