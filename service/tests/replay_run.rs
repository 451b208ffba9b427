//! Replay of a batch plugin's recorded run: the recorded version run again on unchanged data
//! reproduces the record exactly; a candidate with one threshold lowered moves exactly the
//! objects between the thresholds; once the data moves the report says the comparison is on
//! today's data; nothing a replay runs reaches the region.

mod common;

use common::{NOW, host, install, region, signed_package};
use zemstvo_service::replay::run::DataState;
use zemstvo_service::{Candidate, RegionHost, ReplayError, ReplayRequest, RunReplayRequest};
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

fn object_risk(version: &str) -> Vec<u8> {
    zemstvo_plugin_artifacts::fixture(match version {
        "1.0.0" => "fixture-object-risk-v1-0-0",
        "1.1.0" => "fixture-object-risk-v1-1-0",
        other => panic!("no object-risk {other}"),
    })
}

/// Runs `plugin` once now, as a scheduled run would, and returns its run id.
async fn run_once(store: &Store, h: &RegionHost, plugin: &str, tag: &str) -> String {
    store.enqueue_run(plugin, tag, NOW, 0).await.unwrap();
    let outcome = h.runs().run_next().await.unwrap().expect("a run was due");
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.status);
    outcome.report.run_id
}

/// Leaves signals on the first five inspected objects only, with sums 0, 0.8, 1.2, 1.9 and
/// 2.5: under 1.0.0 low, medium, medium, medium, high (every other object low); under 1.1.0
/// the two in [1, 2) become high.
async fn known_signals(store: &Store) -> Vec<i64> {
    let ids: Vec<i64> = store
        .query_i64s_for_tests("SELECT id FROM inspected_objects ORDER BY id LIMIT 5")
        .await
        .unwrap();
    assert_eq!(ids.len(), 5, "the demo region has inspected objects");
    store
        .execute_for_tests("DELETE FROM object_signals")
        .await
        .unwrap();
    for (id, severity) in ids[1..].iter().zip([0.8, 1.2, 1.9, 2.5]) {
        store
            .execute_for_tests(&format!(
                "INSERT INTO object_signals (object_id, source, severity, observed_at) \
                 VALUES ({id}, 'test', {severity}, {NOW})"
            ))
            .await
            .unwrap();
    }
    ids
}

async fn records(store: &Store) -> i64 {
    let chain = store.verify_decision_chain(None).await.unwrap();
    assert!(chain.intact());
    chain.records
}

async fn replay_of_a_run(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    let objects = known_signals(&store).await;
    install(&h, &object_risk("1.0.0"), None).await;
    let run = run_once(&store, &h, "object-risk", "first").await;
    let before = records(&store).await;
    let high =
        "SELECT COUNT(*) FROM risk_assessments WHERE plugin = 'object-risk' AND category = 'high'";
    assert_eq!(store.query_i64s_for_tests(high).await.unwrap(), vec![1]);

    // The installed version on unchanged data reproduces the record: nothing differs.
    let same = h
        .replay_run(&RunReplayRequest::new("object-risk", Candidate::Installed))
        .await
        .unwrap();
    assert_eq!(same.record.run_id, run);
    assert_eq!(same.data, DataState::Unchanged, "{same:?}");
    assert!(same.reproduced, "{same:?}");
    assert!(same.record.data_sha256.is_some());
    assert!(same.identical(), "{same:?}");
    assert!(same.objects.identical > 5);
    assert_eq!(
        (
            same.objects.added,
            same.objects.removed,
            same.objects.changed
        ),
        (0, 0, 0)
    );

    // 1.1.0 from a signed package file: exactly the two objects in [1, 2) go medium → high.
    let package = signed_package(&h, &object_risk("1.1.0")).await;
    let candidate = h
        .replay_run(&RunReplayRequest::new(
            "object-risk",
            Candidate::Package(package.clone()),
        ))
        .await
        .unwrap();
    assert_eq!(candidate.candidate.version, "1.1.0");
    assert_eq!(candidate.record.version, "1.0.0");
    assert!(candidate.reproduced);
    assert_eq!(
        candidate.category_changes.into_iter().collect::<Vec<_>>(),
        vec![("medium → high".to_string(), 2)]
    );
    assert_eq!(candidate.objects.changed, 2);
    assert_eq!(candidate.objects.identical, same.objects.identical - 2);
    let moved: Vec<String> = candidate
        .differences
        .iter()
        .map(|d| d.key.clone())
        .collect();
    assert_eq!(
        moved,
        vec![objects[2].to_string(), objects[3].to_string()],
        "{:?}",
        candidate.differences
    );
    let first = &candidate.differences[0];
    assert_eq!(
        (first.item, first.change.as_str()),
        ("object", "medium → high")
    );
    assert!(first.baseline.starts_with("medium (1.20)"), "{first:?}");
    assert!(first.candidate.starts_with("high (1.20)"), "{first:?}");

    // A cap on the differences keeps the counts whole.
    let capped = h
        .replay_run(&RunReplayRequest {
            max_differences: 1,
            ..RunReplayRequest::new("object-risk", Candidate::Package(package.clone()))
        })
        .await
        .unwrap();
    assert_eq!(
        (capped.differences.len(), capped.differences_left_out),
        (1, 1)
    );

    // The data moves: a new signal lifts the low object. The installed version says the data
    // changed and compares on today's data.
    store
        .execute_for_tests(&format!(
            "INSERT INTO object_signals (object_id, source, severity, observed_at) \
             VALUES ({}, 'test', 3.0, {NOW})",
            objects[0]
        ))
        .await
        .unwrap();
    let moved = h
        .replay_run(&RunReplayRequest::new("object-risk", Candidate::Installed))
        .await
        .unwrap();
    assert_eq!(moved.data, DataState::Changed, "{moved:?}");
    assert!(!moved.reproduced);
    assert!(
        moved.identical(),
        "the same version on the same data: {moved:?}"
    );
    let moved = h
        .replay_run(&RunReplayRequest::new(
            "object-risk",
            Candidate::Package(package),
        ))
        .await
        .unwrap();
    assert_eq!(moved.data, DataState::Changed);
    assert_eq!(
        moved.objects.changed, 2,
        "the new signal makes it high in both"
    );

    // Nothing a replay ran was committed: no record, no assessment of 1.1.0's.
    assert_eq!(records(&store).await, before);
    assert_eq!(
        store.query_i64s_for_tests(high).await.unwrap(),
        vec![1],
        "1.0.0's one high object is all the store holds"
    );

    // A run picked by id, one that does not exist, and the wrong kinds of replay.
    let second = run_once(&store, &h, "object-risk", "second").await;
    let first_again = h
        .replay_run(&RunReplayRequest {
            run: Some(run.clone()),
            ..RunReplayRequest::new("object-risk", Candidate::Installed)
        })
        .await
        .unwrap();
    assert_eq!(first_again.record.run_id, run);
    assert_eq!(first_again.data, DataState::Changed);
    let latest = h
        .replay_run(&RunReplayRequest::new("object-risk", Candidate::Installed))
        .await
        .unwrap();
    assert_eq!(latest.record.run_id, second);
    assert_eq!(latest.data, DataState::Unchanged);
    assert!(latest.reproduced);
    let e = h
        .replay_run(&RunReplayRequest {
            run: Some("no-such-run".into()),
            ..RunReplayRequest::new("object-risk", Candidate::Installed)
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NoRun { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("zemstvo audit records --plugin object-risk")
    );
    let e = h
        .replay_run(&RunReplayRequest {
            since: Some(NOW + 86_400),
            ..RunReplayRequest::new("object-risk", Candidate::Installed)
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NoRun { .. }), "{e}");
    let e = h
        .replay(&ReplayRequest::new("object-risk", Candidate::Installed))
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NotReplayable { .. }), "{e}");
    assert!(e.to_string().contains("replay/run"), "{e}");
}
on_both_databases!(
    a_batch_run_replays_exactly_on_unchanged_data_and_says_when_the_data_moved,
    replay_of_a_run
);

/// Every batch plugin of the reference set (the ISU checks and briefing, the home-care checks,
/// risk categories, informing): the installed version, run again on unchanged data, reproduces
/// its recorded run item by item — what makes a replay's comparison exact. An eligibility rule
/// is not replayed as a run.
async fn replay_of_the_reference_plugins(db: TestDatabase) {
    let store = region(&db).await;
    // The templates citizen informing writes with (the demo region sets them up likewise).
    for name in [
        "application-registered",
        "application-returned",
        "decision-made",
        "smev-answer-received",
    ] {
        store
            .put_template(
                &zemstvo_store::notifications::Template {
                    name: name.into(),
                    subject: None,
                    body: "{{ full_name }}".into(),
                },
                "test",
            )
            .await
            .unwrap();
    }
    let h = host(&store, "host-a").await;
    let mut tasks = 0;
    let mut replayed = Vec::new();
    for artifact in zemstvo_plugin_artifacts::REFERENCE {
        if ["appeal-router", "yugra-child-allowance"].contains(&artifact.name) {
            continue;
        }
        let name = install(&h, artifact.bytes, None).await;
        run_once(&store, &h, &name, "check").await;
        let same = h
            .replay_run(&RunReplayRequest::new(&name, Candidate::Installed))
            .await
            .unwrap();
        assert_eq!(same.data, DataState::Unchanged, "{name}: {same:?}");
        assert!(same.reproduced, "{name}: {same:?}");
        assert!(same.identical(), "{name}: {same:?}");
        tasks += same.tasks.identical;
        replayed.push(name);
    }
    assert!(replayed.len() >= 8, "{replayed:?}");
    assert!(tasks > 0, "the demo region gives the checks work");

    install(&h, &common::income_rule("1.0.0"), None).await;
    let e = h
        .replay_run(&RunReplayRequest::new("income-rule", Candidate::Installed))
        .await
        .unwrap_err();
    assert!(matches!(e, ReplayError::NotBatch { .. }), "{e}");
}
on_both_databases!(
    every_reference_batch_plugin_reproduces_its_recorded_run,
    replay_of_the_reference_plugins
);
