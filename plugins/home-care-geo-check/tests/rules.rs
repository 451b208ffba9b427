//! The geo check run as a region runs it: this crate built for wasm32-wasip2, loaded into the
//! real host, against the fixture region in `tests/fixtures/region.json` and the rule test
//! cases in `tests/cases/`.

use zemstvo_sdk::testing::task_keys;

/// A region with one manager, one social worker, one citizen at home and `visits` visits
/// without a GPS point, each of them an exception.
fn region_with_visits_without_gps(visits: usize) -> String {
    let rows: Vec<String> = (1..=visits)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "employee_id": 2, "citizen_id": 1, "service": "household-help",
                    "planned_start": "2026-11-20T10:00:00Z", "planned_end": "2026-11-20T11:00:00Z",
                    "actual_start": "2026-11-20T10:00:00Z", "actual_end": "2026-11-20T10:45:00Z"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [
                {{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}},
                {{"id": 2, "unit_id": 1, "full_name": "Соцработник", "role": "social-worker", "manager_id": 1, "normative_load": 60, "active": true}}],
            "citizens": [{{"id": 1, "consent": true, "district": "d", "full_name": "c", "address": "a", "lat": 52.6088, "lon": 39.5992}}],
            "visits": [{}]}}"#,
        rows.join(",")
    )
}

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn every_exception_carries_what_was_measured() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let exceptions = &report.outputs.visit_exceptions;
    let of = |visit: u64| {
        exceptions
            .iter()
            .filter(|e| e.visit == visit)
            .collect::<Vec<_>>()
    };
    let far = of(2);
    let [far] = far.as_slice() else {
        panic!("{exceptions:#?}")
    };
    assert_eq!(far.distance_m, Some(101.0));
    assert_eq!(far.duration_min, None);
    let short = of(3);
    let [short] = short.as_slice() else {
        panic!("{exceptions:#?}")
    };
    assert_eq!(short.duration_min, Some(20.0));
    assert!(of(1).is_empty(), "visit 1 is 100 m away: inside");
    assert!(of(10).is_empty(), "visit 10 is before the window");
    assert!(of(11).is_empty(), "visit 11 is still under way");
}

#[test]
fn a_rerun_on_the_same_day_produces_the_same_task_keys_and_exceptions() {
    let first = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("pattern-threshold", "1")])
        .assert_rerun_is_identical();
    assert_eq!(task_keys(&first).len(), 2);
}

#[test]
fn many_exceptions_are_recorded_in_batches_and_the_task_stays_readable() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .region_json(&region_with_visits_without_gps(2_500))
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    assert_eq!(report.outputs.visit_exceptions.len(), 2_500);
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("  • посещение").count(), 50);
    assert!(
        task.description.contains("… и ещё 2450 исключений"),
        "{}",
        task.description
    );
    assert_eq!(
        task.records.len(),
        2_501,
        "every visit and the employee are linked"
    );
    assert_eq!(format!("{:?}", task.priority), "High");
}

#[test]
fn metadata_declares_what_the_check_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let metadata = plugin.metadata();
    plugin.assert_declares(
        &[
            "data.visits",
            "data.citizens",
            "data.staff",
            "visits.record-exceptions",
            "tasks.create",
        ],
        &[
            "lookback-days",
            "geofence-m",
            "service-norms",
            "pattern-threshold",
        ],
    );
    assert_eq!(metadata.kind.name(), "geo-check");
}
