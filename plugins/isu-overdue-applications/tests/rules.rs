//! The check run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host, against the fixture region in `tests/fixtures/region.json` and the rule test cases in
//! `tests/cases/`. The tests here cover what a case file cannot say: what must be absent, what
//! two runs share, and what the metadata declares.

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn applications_in_time_decided_or_unregistered_are_not_listed() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let text: String = report
        .outputs
        .tasks
        .iter()
        .map(|t| t.description.as_str())
        .collect();
    for number in [
        "48-2026-1001",
        "48-2026-1006",
        "48-2026-1007",
        "48-2026-1010",
    ] {
        assert!(!text.contains(number), "{number} is listed:\n{text}");
    }
    // 1005 belongs to an employee nobody answers for, 1009 to nobody: logged, not listed.
    assert!(!text.contains("48-2026-1005") && !text.contains("48-2026-1009"));
}

#[test]
fn the_cases_are_listed_worst_first() {
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
    // 1000 (3 days) before 1008 (1.25 days) before 1002 (12 h) before 1003 (6 h).
    assert!(at("48-2026-1000") < at("48-2026-1008"));
    assert!(at("48-2026-1008") < at("48-2026-1002"));
    assert!(at("48-2026-1002") < at("48-2026-1003"));
}

#[test]
fn steps_name_what_the_stages_of_the_cases_need() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let steps = |manager: u64| {
        report
            .outputs
            .tasks
            .iter()
            .find(|t| t.assignee == manager)
            .map(|t| t.steps.join("\n"))
            .unwrap_or_default()
    };
    // Manager 10 has an assigned and a returned case; manager 20 only one in work.
    assert!(steps(10).contains("не взятые в работу"), "{}", steps(10));
    assert!(
        steps(10).contains("возвращённым на доработку"),
        "{}",
        steps(10)
    );
    assert!(!steps(20).contains("не взятые в работу"), "{}", steps(20));
    assert!(
        !steps(20).contains("возвращённым на доработку"),
        "{}",
        steps(20)
    );
    assert!(steps(20).contains("продление"), "{}", steps(20));
    assert!(
        steps(20).contains("Свяжитесь с заявителями"),
        "{}",
        steps(20)
    );
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
        &[
            "grace-hours",
            "include-assigned",
            "include-returned",
            "high-after-days",
            "urgent-after-days",
        ],
    );
}

#[test]
fn a_manager_with_many_overdue_cases_gets_one_readable_task_with_every_record() {
    let applications: Vec<String> = (1..=120)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "number": "N-{i}", "citizen_id": 1, "measure": "m", "channel": "portal",
                    "status": "in-work", "assignee_id": 2, "submitted_at": "2026-10-20",
                    "deadline_at": "2026-11-{:02}", "returns": 0, "off_standard": false}}"#,
                1 + i % 20
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
    assert_eq!(format!("{:?}", task.priority), "Urgent");
}
