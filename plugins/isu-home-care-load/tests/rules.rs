//! The check run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host, against the fixture region in `tests/fixtures/region.json`. The rule cases in
//! `tests/cases/` carry most of the promises; the tests here cover what a case cannot say.

use zemstvo_sdk::testing::task_keys;

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn a_rerun_on_the_same_day_produces_the_same_task_keys() {
    let first = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .assert_rerun_is_identical();
    assert_eq!(
        task_keys(&first),
        [
            "isu-home-care-load/10/2026-11-23",
            "isu-home-care-load/30/2026-11-23"
        ]
    );
}

#[test]
fn metadata_declares_what_the_check_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    plugin.assert_declares(
        &["data.visits", "data.staff", "tasks.create"],
        &["period-days", "norm-percent"],
    );
}

#[test]
fn a_large_unit_gets_one_readable_task_linking_everyone() {
    // Sixty social workers with no visits under one manager: the text lists fifty, the task
    // links all sixty.
    let workers: Vec<String> = (2..=61)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "unit_id": 1, "full_name": "Соцработник {i}", "role": "social-worker",
                    "manager_id": 1, "normative_load": 60, "active": true}}"#
            )
        })
        .collect();
    let region = format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [
                {{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}},
                {}]}}"#,
        workers.join(",")
    );
    let report = zemstvo_sdk::plugin_under_test!()
        .run()
        .region_json(&region)
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("\n• ").count(), 50);
    assert!(
        task.description.contains("… и ещё 10 сотрудников"),
        "{}",
        task.description
    );
    assert_eq!(task.records.len(), 60);
    assert_eq!(
        task.subject, None,
        "a task about many employees has no one subject"
    );
    assert!(task.title.contains("60 сотрудников"), "{}", task.title);
}
