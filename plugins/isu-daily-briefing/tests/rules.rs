//! The briefing run as a region runs it: this crate built for wasm32-wasip2, loaded into the
//! real host, against the fixture region in `tests/fixtures/region.json`. The rule cases in
//! `tests/cases/` carry most of the promises; the tests here cover what a case cannot say.

use zemstvo_sdk::testing::task_keys;
use zemstvo_sdk::time::{Date, HOUR, Month, midnight};

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn a_rerun_the_same_morning_produces_the_same_task_keys() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let keys_at = |now| task_keys(&plugin.run_on_fixture(&[]).now(now).execute());
    let first = keys_at("2026-11-24T06:00:00Z");
    assert_eq!(
        first,
        [
            "isu-daily-briefing/11/2026-11-24",
            "isu-daily-briefing/12/2026-11-24",
            "isu-daily-briefing/21/2026-11-24"
        ]
    );
    // Later the same morning: the same keys, so the host keeps one task per employee.
    assert_eq!(first, keys_at("2026-11-24T07:30:00Z"));
}

#[test]
fn the_briefing_is_due_by_the_end_of_the_regions_day() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .now("2026-11-24T06:00:00Z")
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    // 23:59:59 in Lipetsk (UTC+3) on 24.11.2026 is 20:59:59 UTC.
    let next_day = Date::from_calendar_date(2026, Month::November, 25).expect("a real date");
    let end_of_day = midnight(next_day) - 3 * HOUR - 1;
    for task in &report.outputs.tasks {
        assert_eq!(task.due, Some(end_of_day), "{}", task.key);
    }
}

#[test]
fn metadata_declares_what_the_briefing_reads_and_writes() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    plugin.assert_declares(
        &[
            "data.applications",
            "data.smev",
            "data.staff",
            "tasks.create",
        ],
        &[
            "max-wait-days",
            "every-day",
            "send-empty",
            "holidays",
            "extra-work-days",
        ],
    );
}

/// The seed's task #21712 for specialist Подстригаева: 70 in work, 23 not taken, late answers
/// for 11 applications — rebuilt as data, with the lists bounded.
#[test]
fn the_seed_task_is_reproduced_with_bounded_lists() {
    let mut applications = Vec::new();
    let mut requests = Vec::new();
    for i in 1..=93 {
        let status = if i <= 70 { "in-work" } else { "assigned" };
        applications.push(format!(
            r#"{{"id": {i}, "number": "{i:08}_2022", "citizen_id": 1, "measure": "m", "channel": "portal",
                "status": "{status}", "assignee_id": 2, "submitted_at": "2022-03-30T14:35:00Z",
                "assigned_at": "2022-03-31T09:00:00Z", "deadline_at": "2022-04-20", "returns": 0, "off_standard": false}}"#
        ));
    }
    // Late answers for eleven of the applications in work.
    for application in 60..=70 {
        requests.push(format!(
            r#"{{"id": {application}, "application_id": {application}, "agency": "fns", "kind": "income",
                "message_id": "m{application}", "sent_at": "2022-04-05T09:00:00Z", "status": "answered",
                "answered_at": "2022-04-11T10:00:00Z"}}"#
        ));
    }
    let region = format!(
        r#"{{"region": "lipetsk", "now": "2022-04-12T05:00:00Z",
            "units": [{{"id": 1, "name": "Отдел клиентской службы (Добровский район)"}}],
            "employees": [{{"id": 2, "unit_id": 1, "full_name": "Подстригаева Е.В.", "role": "specialist",
                            "normative_load": 120, "active": true}}],
            "citizens": [{{"id": 1, "consent": true, "district": "d", "full_name": "c", "address": "a"}}],
            "applications": [{}], "smev_requests": [{}]}}"#,
        applications.join(","),
        requests.join(",")
    );
    let report = zemstvo_sdk::plugin_under_test!()
        .run()
        .region_json(&region)
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let [task] = report.outputs.tasks.as_slice() else {
        panic!("{:#?}", report.outputs.tasks)
    };
    assert!(
        task.title
            .contains("в работе 70, не взято в работу 23, поздние ответы СМЭВ по 11 обращениям"),
        "{}",
        task.title
    );
    let d = &task.description;
    assert!(d.contains("на утро 12.04.2022"), "{d}");
    assert!(d.contains("в работе у Вас находится 70 обращений"), "{d}");
    assert!(d.contains("не взято Вами в работу 23 обращения"), "{d}");
    assert!(d.contains("(11.04.2022)"), "{d}");
    // Each list shows thirty lines at most and counts the rest.
    assert_eq!(d.matches("  • ").count(), 30 + 23 + 11);
    assert!(d.contains("… и ещё 40: полный список"), "{d}");
    // Every application and every late answer is linked.
    assert_eq!(task.records.len(), 70 + 23 + 11);
    assert!(
        task.description.chars().count() <= zemstvo_sdk::tasks::MAX_DESCRIPTION,
        "within the host's limit"
    );
}
