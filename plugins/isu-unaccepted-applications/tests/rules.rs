//! The check run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host, against the fixture region in `tests/fixtures/region.json` and the rule test cases in
//! `tests/cases/`. The tests here cover what a case file cannot say: what must be absent, what
//! two runs share, and what the metadata declares.

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn applications_in_time_taken_or_unmeasurable_are_not_listed() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let text: String = report
        .outputs
        .tasks
        .iter()
        .map(|t| t.description.as_str())
        .collect();
    // 2000 waited exactly 8 hours; 2005 and 2007 were taken; 2006 has no assignment time;
    // 2010 is not assigned; 2004 and 2008 have nobody to report to (logged).
    for number in ["2000", "2004", "2005", "2006", "2007", "2008", "2010"] {
        assert!(
            !text.contains(&format!("48-2026-{number}")),
            "{number} is listed:\n{text}"
        );
    }
}

#[test]
fn the_longest_waits_are_listed_first() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let task = report
        .outputs
        .tasks
        .iter()
        .find(|t| t.assignee == 10)
        .expect("a task for manager 10");
    let at = |n: &str| task.description.find(n).unwrap_or_else(|| panic!("{n}"));
    // 2002 (72 h) before 2009 (24 h) before 2001 (8 h).
    assert!(at("48-2026-2002") < at("48-2026-2009"));
    assert!(at("48-2026-2009") < at("48-2026-2001"));
    assert_eq!(task.steps.len(), 4);
    assert!(task.steps[1].contains("переназначьте"), "{:?}", task.steps);
}

#[test]
fn a_rerun_on_the_same_day_produces_the_same_tasks() {
    zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .assert_rerun_is_identical();
}

#[test]
fn metadata_declares_what_the_check_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    plugin.assert_declares(
        &["data.applications", "data.staff", "tasks.create"],
        &["max-wait-hours", "high-after-hours"],
    );
}

#[test]
fn a_manager_with_many_waiting_cases_gets_one_readable_task_with_every_record() {
    let applications: Vec<String> = (1..=120)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "number": "N-{i}", "citizen_id": 1, "measure": "m", "channel": "portal",
                    "status": "assigned", "assignee_id": 2, "submitted_at": "2026-11-20",
                    "assigned_at": "2026-11-20T{:02}:00:00Z", "deadline_at": "2026-12-04",
                    "returns": 0, "off_standard": false}}"#,
                i % 24
            )
        })
        .collect();
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
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin.run().region_json(&region).execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("• дело").count(), 50);
    assert!(
        task.description.contains("… и ещё 70 обращений"),
        "{}",
        task.description
    );
    assert_eq!(task.records.len(), 120, "every application is linked");
    assert!(task.title.contains("120 обращений"), "{}", task.title);
}
