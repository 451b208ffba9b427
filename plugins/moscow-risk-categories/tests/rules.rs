//! The rule run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host. Most expectations are data (`tests/cases/*.json`); the tests here are what cases
//! cannot say: what the plugin declares, what it must *not* produce, how much it reads, and
//! how it behaves on thousands of objects.

use std::collections::{BTreeSet, HashMap};

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn metadata_declares_what_the_rule_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let metadata = plugin.metadata();
    plugin.assert_declares(
        &["data.objects", "assessments.write", "tasks.create"],
        &[
            "weights",
            "categories",
            "signal-horizon-days",
            "inspection-gap-days",
            "task-categories",
            "inspection-head-id",
            "max-tasks",
            "task-due-days",
        ],
    );
    assert!(
        metadata.config.params.iter().all(|p| p.default.is_some()),
        "every key has a default, so the plugin runs as installed"
    );
}

#[test]
fn a_rerun_on_the_same_data_produces_the_same_keys_and_assessments() {
    zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("inspection-head-id", "501")])
        .assert_rerun_is_identical();
}

#[test]
fn task_keys_do_not_change_from_day_to_day_while_the_object_waits() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let keys = |now: &str| {
        let report = plugin
            .run()
            .region_file("tests/fixtures/region.json")
            .config("inspection-head-id", "501")
            .now(now)
            .execute();
        assert!(report.succeeded(), "{:?}", report.failure());
        report
            .outputs
            .tasks
            .iter()
            .map(|t| t.key.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(keys("2026-11-23T06:00:00Z"), keys("2026-11-24T06:00:00Z"));
}

#[test]
fn future_and_old_signals_count_for_nothing() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let rows = report.outputs.assessments.rows();
    let factors = |object: u64| {
        rows.iter()
            .find(|r| r.object == object)
            .map(|r| r.factors.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .unwrap()
    };
    // Object 9's appeal is dated after the run's time; object 7's drone finding is 400 days
    // old, past the 365-day horizon.
    assert_eq!(
        factors(9),
        ["violation", "registry-mismatch", "time-since-inspection"]
    );
    assert_eq!(factors(7), ["time-since-inspection"]);
}

#[test]
fn contributions_add_up_to_the_score() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    for row in report.outputs.assessments.rows() {
        let sum: f32 = row.factors.iter().map(|(_, w)| w).sum();
        assert!(
            (sum - row.score).abs() < 0.03,
            "object {}: factors {:?} sum to {sum}, score {}",
            row.object,
            row.factors,
            row.score
        );
    }
}

#[test]
fn reads_only_recent_signals_every_object_once_and_the_cards_of_tasked_objects() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("inspection-head-id", "501")])
        .execute_successfully();
    // 13 of the 15 signals (one too old, one dated after the run), 9 objects, and the address
    // and cadastral number of the 3 objects that got a task.
    assert_eq!(report.outputs.rows_read, 13 + 9 + 3);
}

#[test]
fn a_long_address_is_clipped_in_the_task() {
    let address = "Москва, ".to_string() + &"очень длинный адрес ".repeat(400);
    let region = format!(
        r#"{{"now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [{{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}}],
            "inspected_objects": [{{"id": 1, "cadastral_number": "77:01:1:1", "address": "{address}", "district": "d", "kind": "land-plot", "lat": 55.7, "lon": 37.6}}],
            "object_signals": [{{"object_id": 1, "source": "drone", "severity": 1.0, "observed_at": "2026-11-23T06:00:00Z"}}]}}"#
    );
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .region_json(&region)
        .config("inspection-head-id", "1")
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert!(task.description.contains("…"), "{}", task.description);
    assert!(task.description.chars().count() < 1_500);
}

/// A region of `objects` objects: every tenth never inspected, the rest inspected up to 2000
/// days ago; every seventh with a fresh drone finding, every eleventh with a month-old
/// violation.
fn big_region(objects: u64) -> String {
    let mut rows = Vec::new();
    let mut signals = Vec::new();
    let now = 1_795_413_600; // 2026-11-23T06:00:00Z
    for i in 1..=objects {
        let last = if i % 10 == 0 {
            String::new()
        } else {
            format!(
                r#", "last_inspection_at": {}"#,
                now - (i % 2000) as i64 * 86_400
            )
        };
        rows.push(format!(
            r#"{{"id": {i}, "cadastral_number": "77:01:{i:07}:1", "address": "Москва, объект {i}", "district": "d", "kind": "commercial", "lat": 55.7, "lon": 37.6{last}}}"#
        ));
        if i % 7 == 0 {
            signals.push(format!(
                r#"{{"object_id": {i}, "source": "drone", "severity": 0.9, "observed_at": {now}}}"#
            ));
        }
        if i % 11 == 0 {
            signals.push(format!(
                r#"{{"object_id": {i}, "source": "violation", "severity": 1.0, "observed_at": {}}}"#,
                now - 30 * 86_400
            ));
        }
    }
    format!(
        r#"{{"now": {now},
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [{{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}}],
            "inspected_objects": [{}], "object_signals": [{}]}}"#,
        rows.join(","),
        signals.join(",")
    )
}

#[test]
fn thousands_of_objects_are_assessed_in_batches_and_tasks_stay_bounded() {
    // More than one host batch (16,384 rows), so factor rows must be right in the second one.
    let objects = 20_000;
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .region_json(&big_region(objects))
        .config("inspection-head-id", "1")
        .config("max-tasks", "50")
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    println!("{objects} objects in {:?}", report.duration);

    let rows = report.outputs.assessments.rows();
    assert_eq!(rows.len(), objects as usize);
    let ids: BTreeSet<u64> = rows.iter().map(|r| r.object).collect();
    assert_eq!(ids.len(), objects as usize, "each object is assessed once");
    for row in &rows {
        let has = |f: &str| row.factors.iter().any(|(n, _)| *n == f);
        assert_eq!(has("drone"), row.object % 7 == 0, "object {}", row.object);
        assert_eq!(
            has("violation"),
            row.object % 11 == 0,
            "object {}",
            row.object
        );
    }

    let category: HashMap<u64, &str> = rows.iter().map(|r| (r.object, r.category)).collect();
    let tasks = &report.outputs.tasks;
    assert_eq!(tasks.len(), 50);
    let keys: BTreeSet<&str> = tasks.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys.len(), 50);
    for task in tasks {
        let object = task.records[0].id;
        assert!(
            ["extremely-high", "high"].contains(&category[&object]),
            "object {object} is {}",
            category[&object]
        );
    }
    assert!(
        report
            .outputs
            .logs
            .iter()
            .any(|l| l.message.contains("tasks were created for the 50 riskiest")),
        "{:?}",
        report.outputs.logs
    );
}
