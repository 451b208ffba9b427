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
            "isu-returns-for-revision/10/2026-11-23",
            "isu-returns-for-revision/20/2026-11-23"
        ]
    );
}

#[test]
fn metadata_declares_what_the_check_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    plugin.assert_declares(
        &["data.applications", "data.staff", "tasks.create"],
        &["lookback-days", "threshold-percent", "min-applications"],
    );
}

#[test]
fn every_returned_case_is_linked_even_when_the_text_lists_only_some() {
    // One employee with 120 applications, 60 of them returned: the text lists 50 cases, the
    // task links all 60 and the employee.
    let mut applications = Vec::new();
    for i in 1..=120 {
        let returns = u32::from(i <= 60);
        applications.push(format!(
            r#"{{"id": {i}, "number": "N-{i}", "citizen_id": 1, "measure": "m", "channel": "portal",
                "status": "decided", "assignee_id": 2, "submitted_at": "2026-11-10",
                "deadline_at": "2026-12-01", "returns": {returns}, "off_standard": false}}"#
        ));
    }
    let region = format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [
                {{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}},
                {{"id": 2, "unit_id": 1, "full_name": "Специалист", "role": "specialist", "manager_id": 1, "normative_load": 100, "active": true}}],
            "citizens": [{{"id": 1, "consent": true, "district": "d", "full_name": "c", "address": "a"}}],
            "applications": [{}]}}"#,
        applications.join(",")
    );
    let report = zemstvo_sdk::plugin_under_test!()
        .run()
        .region_json(&region)
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("• дело").count(), 50);
    assert!(
        task.description.contains("показано 50 из 60"),
        "{}",
        task.description
    );
    assert!(
        task.description
            .contains("возвращено 60 из 120 обращений (50 %)"),
        "{}",
        task.description
    );
    assert_eq!(task.records.len(), 61);
    assert_eq!(task.subject, Some(2));
}
