//! The check run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host, against the fixture region in `tests/fixtures/region.json`.

use zemstvo_sdk::testing::FailureReason;

#[test]
fn late_answers_become_one_task_per_manager() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let summary = match &report.status {
        zemstvo_sdk::testing::RunStatus::Succeeded { summary } => summary.clone(),
        other => panic!("{other:?}"),
    };
    // Requests 1, 3, 4 and 5 waited more than 4 days; 5's case has no assignee.
    assert_eq!(summary.found, 4);
    // 1..6 are in the 30-day window and not rejected; 7 is rejected, 8 is too old.
    assert_eq!(summary.examined, 6);

    let tasks = &report.outputs.tasks;
    assert_eq!(tasks.len(), 2, "{tasks:#?}");
    let first = tasks
        .iter()
        .find(|t| t.assignee == 10)
        .expect("a task for manager 10");
    assert_eq!(first.key, "isu-smev-answer-delay/10/2026-11-23");
    assert!(first.title.contains("2 запрос"), "{}", first.title);
    assert!(
        first.description.contains("48-2026-1000"),
        "{}",
        first.description
    );
    assert!(
        first.description.contains("48-2026-1001"),
        "{}",
        first.description
    );
    assert!(
        first.description.contains("ответа нет"),
        "{}",
        first.description
    );
    assert!(
        first.description.contains("Зайцев"),
        "{}",
        first.description
    );
    assert_eq!(first.steps.len(), 4);
    assert!(
        first.steps[1].contains("FNS") && first.steps[1].contains("MVD"),
        "{:?}",
        first.steps
    );
    assert_eq!(format!("{:?}", first.priority), "Normal");

    // Employee 21 has no manager: the head of unit 2 gets the task.
    let second = tasks
        .iter()
        .find(|t| t.assignee == 20)
        .expect("a task for the unit head");
    assert!(
        second.description.contains("ожидание 8,0 дн."),
        "{}",
        second.description
    );
    assert_eq!(format!("{:?}", second.priority), "High");
}

#[test]
fn the_norm_comes_from_the_configuration() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("max-wait-days", "7")])
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let tasks = &report.outputs.tasks;
    assert_eq!(tasks.len(), 2);
    let first = tasks.iter().find(|t| t.assignee == 10).unwrap();
    assert!(first.title.contains("1 запрос"), "{}", first.title);
    assert!(
        !first.description.contains("48-2026-1000"),
        "request 1 waited 6 days, within 7"
    );
}

#[test]
fn a_rerun_on_the_same_day_produces_the_same_task_keys() {
    zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .assert_rerun_is_identical();
}

#[test]
fn a_config_out_of_range_is_refused_before_the_run() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let err = plugin
        .run_on_fixture(&[("max-wait-days", "0")])
        .try_execute()
        .unwrap_err();
    assert!(
        err.contains("max-wait-days") && err.contains("allowed 1 to 60"),
        "{err}"
    );
}

#[test]
fn an_empty_region_creates_no_task() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .region_json(r#"{"region": "empty", "now": "2026-11-23T06:00:00Z"}"#)
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    assert!(report.outputs.tasks.is_empty());
}

#[test]
fn without_the_tasks_grant_the_run_fails_and_names_it() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run_on_fixture(&[])
        .grant_only(&["data.smev", "data.applications", "data.staff"])
        .execute();
    match report.failure() {
        Some(FailureReason::PluginError { message, .. }) => {
            assert!(message.contains("tasks.create"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(report.outputs.tasks.is_empty());
}

#[test]
fn metadata_declares_what_the_check_reads_and_writes() {
    zemstvo_sdk::plugin_under_test!().assert_declares(
        &[
            "data.smev",
            "data.applications",
            "data.staff",
            "tasks.create",
        ],
        &["max-wait-days", "lookback-days"],
    );
}

#[test]
fn a_manager_with_many_late_cases_gets_one_readable_task_with_every_record() {
    let mut applications = Vec::new();
    let mut requests = Vec::new();
    for i in 1..=120 {
        applications.push(format!(
            r#"{{"id": {i}, "number": "N-{i}", "citizen_id": 1, "measure": "m", "channel": "portal",
                "status": "in-work", "assignee_id": 2, "submitted_at": "2026-11-01",
                "deadline_at": "2026-12-01", "returns": 0, "off_standard": false}}"#
        ));
        requests.push(format!(
            r#"{{"id": {i}, "application_id": {i}, "agency": "fns", "kind": "income", "message_id": "m{i}",
                "sent_at": "2026-11-10T09:00:00Z", "status": "sent"}}"#
        ));
    }
    let region = format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [
                {{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}},
                {{"id": 2, "unit_id": 1, "full_name": "Специалист", "role": "specialist", "manager_id": 1, "normative_load": 100, "active": true}}],
            "citizens": [{{"id": 1, "consent": true, "district": "d", "full_name": "c", "address": "a"}}],
            "applications": [{}], "smev_requests": [{}]}}"#,
        applications.join(","),
        requests.join(",")
    );
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin.run().region_json(&region).execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("• дело").count(), 50);
    assert!(
        task.description.contains("… и ещё 70 запрос(ов)"),
        "{}",
        task.description
    );
    assert_eq!(
        task.records.len(),
        240,
        "every request and application is linked"
    );
    assert!(task.title.contains("120 запрос"), "{}", task.title);
}

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}
