//! The check run as a region runs it: this crate built for wasm32-wasip2, loaded into the real
//! host, against the fixture region in `tests/fixtures/region.json` and the rule test cases in
//! `tests/cases/`. The tests here cover what a case file cannot say: what must be absent, the
//! order of the lists, what two runs share, and what the metadata declares.

use zemstvo_sdk::testing::RunReport;

/// The position of the manager's task among the run's tasks.
fn task_for(report: &RunReport, manager: u64) -> usize {
    report
        .outputs
        .tasks
        .iter()
        .position(|t| t.assignee == manager)
        .unwrap_or_else(|| panic!("no task for manager {manager}: {:#?}", report.outputs.tasks))
}

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn a_share_at_the_threshold_and_a_small_sample_are_not_listed() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute_successfully();
    let task = &report.outputs.tasks[task_for(&report, 10)];
    // Климова: 1 of 20 = exactly 5 %, counting the application she registered for Попова.
    // Попова: 5 of 9, under the minimum of 10.
    for name in ["Климова", "Попова"] {
        assert!(
            !task.description.contains(name),
            "{name} is listed:\n{}",
            task.description
        );
    }
    // An off-standard case before the window is not listed.
    assert!(!task.description.contains("48-2026-3070"));
}

#[test]
fn employees_are_listed_by_share_highest_first() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("min-applications", "9"), ("max-share-percent", "4.99")])
        .execute_successfully();
    let task = &report.outputs.tasks[task_for(&report, 10)];
    let at = |n: &str| task.description.find(n).unwrap_or_else(|| panic!("{n}"));
    // Попова 55.6 % before Зайцев 15 % before Климова 5 %.
    assert!(at("Попова Елена Ивановна — 5 из 9") < at("Зайцев Игорь Николаевич — 3 из 20"));
    assert!(at("Зайцев Игорь Николаевич — 3 из 20") < at("Климова Анна Сергеевна — 1 из 20"));
    assert!(task.title.contains("3 сотрудника"), "{}", task.title);
    assert_eq!(
        task.subject, None,
        "a task about several employees has no subject"
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
        &["lookback-days", "max-share-percent", "min-applications"],
    );
}

#[test]
fn a_manager_of_many_employees_gets_one_readable_task_with_every_record() {
    // 60 specialists under one manager, each with 10 applications of which 2 off the standard.
    let mut employees = vec![
        r#"{"id": 1, "unit_id": 1, "full_name": "Руководитель", "role": "manager", "normative_load": 0, "active": true}"#
            .to_string(),
    ];
    let mut applications = Vec::new();
    for e in 2..=61 {
        employees.push(format!(
            r#"{{"id": {e}, "unit_id": 1, "full_name": "Специалист {e}", "role": "specialist", "manager_id": 1, "normative_load": 100, "active": true}}"#
        ));
        for k in 0..10 {
            let id = e * 100 + k;
            applications.push(format!(
                r#"{{"id": {id}, "number": "N-{id}", "citizen_id": 1, "measure": "m", "channel": "office",
                    "status": "in-work", "assignee_id": {e}, "submitted_at": "2026-11-{:02}T08:00:00Z",
                    "deadline_at": "2026-12-20", "returns": 0, "off_standard": {}}}"#,
                k + 1,
                k < 2
            ));
        }
    }
    let region = format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z",
            "units": [{{"id": 1, "name": "u", "head_id": 1}}],
            "employees": [{}],
            "citizens": [{{"id": 1, "consent": true, "district": "d", "full_name": "c", "address": "a"}}],
            "applications": [{}]}}"#,
        employees.join(","),
        applications.join(",")
    );
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin.run().region_json(&region).execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert_eq!(task.description.matches("— 2 из 10 (20,0 %)").count(), 50);
    assert!(
        task.description.contains("… и ещё 10 сотр."),
        "{}",
        task.description
    );
    assert_eq!(task.description.matches("• дело").count(), 50);
    assert!(
        task.description.contains("… и ещё 70 обращений"),
        "{}",
        task.description
    );
    assert_eq!(task.records.len(), 120, "every off-standard case is linked");
    assert!(task.title.contains("60 сотрудников"), "{}", task.title);
}
