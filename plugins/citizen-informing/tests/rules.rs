//! Citizen informing run as a region runs it: this crate built for wasm32-wasip2, loaded into
//! the real host, against the fixture region in `tests/fixtures/region.json` and the rule test
//! cases in `tests/cases/`.

use zemstvo_sdk::testing::RunReport;

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn message_keys_are_stable_per_citizen_event_and_application() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let first = plugin.run_on_fixture(&[]).assert_rerun_is_identical();
    let keys = |r: &RunReport| {
        let mut keys: Vec<String> = r
            .outputs
            .notifications
            .iter()
            .map(|n| n.key.clone())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(&first),
        [
            "citizen-informing/100/application-decided/1001",
            "citizen-informing/100/application-registered/1000",
            "citizen-informing/103/application-returned/1002",
            "citizen-informing/103/smev-answer-received/1003",
        ]
    );
    // A rerun with a longer window, which sees the same events again, repeats their keys.
    let wider = keys(&plugin.run_on_fixture(&[("window-hours", "72")]).execute());
    assert!(keys(&first).iter().all(|k| wider.contains(k)), "{wider:?}");
}

#[test]
fn nobody_without_consent_is_ever_messaged() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[("window-hours", "720")])
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    assert!(!report.outputs.notifications.is_empty());
    for n in &report.outputs.notifications {
        assert_ne!(n.citizen, 101, "citizen 101 did not consent: {n:?}");
        assert_ne!(n.citizen, 102, "citizen 102 has no phone: {n:?}");
    }
}

#[test]
fn metadata_declares_what_the_plugin_reads_and_sends() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let metadata = plugin.metadata();
    plugin.assert_declares(
        &[
            "data.applications",
            "data.smev",
            "data.citizens",
            "data.citizens.personal",
            "notify.send",
        ],
        &[
            "window-hours",
            "default-channel",
            "max-messages",
            "catalogue",
        ],
    );
    assert_eq!(metadata.kind.name(), "deviation-check");
}

#[test]
fn many_events_are_capped_earliest_first() {
    // 3,000 decisions in the window for 3,000 consenting citizens.
    let citizens: Vec<String> = (1..=3_000)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "consent": true, "district": "d", "full_name": "c{i}", "address": "a", "phone": "+7 900 000-{i:04}"}}"#
            )
        })
        .collect();
    let applications: Vec<String> = (1..=3_000)
        .map(|i| {
            format!(
                r#"{{"id": {i}, "number": "N-{i}", "citizen_id": {i}, "measure": "child-allowance", "channel": "portal",
                    "status": "decided", "submitted_at": "2026-11-01", "deadline_at": "2026-12-01", "returns": 0, "off_standard": false}}"#
            )
        })
        .collect();
    let events: Vec<String> = (1..=3_000)
        .map(|i| {
            format!(
                r#"{{"application_id": {i}, "status": "decided", "at": {}}}"#,
                1_795_413_600 - 20 * i64::from(i)
            )
        })
        .collect();
    let region = format!(
        r#"{{"region": "big", "now": "2026-11-23T06:00:00Z", "citizens": [{}], "applications": [{}], "application_events": [{}]}}"#,
        citizens.join(","),
        applications.join(","),
        events.join(",")
    );
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .region_json(&region)
        .config("max-messages", "1000")
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    assert_eq!(report.outputs.notifications.len(), 1_000);
    // The earliest events go first: application 3000 decided earliest.
    assert!(
        report
            .outputs
            .notifications
            .iter()
            .any(|n| n.key.ends_with("/3000"))
    );
    assert!(
        !report
            .outputs
            .notifications
            .iter()
            .any(|n| n.key.ends_with("/1"))
    );
}

/// The templates the region must keep for the shipped catalogue (name, subject, body), as
/// handed to the region's administrators; the host adds `full_name` itself.
const REGION_TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "application-registered",
        "Заявление № {{ number }} зарегистрировано",
        "{{ full_name }}, ваше заявление № {{ number }} ({{ measure }}) зарегистрировано {{ date }} \
         и передано на рассмотрение. Ход рассмотрения — в личном кабинете на портале госуслуг.",
    ),
    (
        "smev-answer-received",
        "Сведения по заявлению № {{ number }} получены",
        "{{ full_name }}, ответ {{ agency }} по заявлению № {{ number }} получен, заявление \
         рассматривается.",
    ),
    (
        "application-returned",
        "Заявление № {{ number }} возвращено на доработку",
        "{{ full_name }}, ваше заявление № {{ number }} ({{ measure }}) {{ date }} возвращено на \
         доработку. Что нужно исправить, можно узнать в личном кабинете на портале госуслуг или в МФЦ.",
    ),
    (
        "decision-made",
        "Решение по заявлению № {{ number }}",
        "{{ full_name }}, по вашему заявлению № {{ number }} принято решение: {{ decision }}.",
    ),
];

/// The names inside `{{ … }}`.
fn placeholders(text: &str) -> Vec<&str> {
    text.split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.trim()))
        .collect()
}

#[test]
fn every_message_fills_every_placeholder_of_its_template() {
    let report = zemstvo_sdk::plugin_under_test!()
        .run_on_fixture(&[])
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    let sent: std::collections::BTreeSet<&str> = report
        .outputs
        .notifications
        .iter()
        .map(|n| n.template.as_str())
        .collect();
    let listed: std::collections::BTreeSet<&str> =
        REGION_TEMPLATES.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(sent, listed, "the fixture exercises every shipped template");
    for n in &report.outputs.notifications {
        let (_, subject, body) = REGION_TEMPLATES
            .iter()
            .find(|(name, _, _)| *name == n.template)
            .unwrap();
        for name in placeholders(subject).into_iter().chain(placeholders(body)) {
            assert!(
                name == "full_name" || n.params.iter().any(|(k, _)| k == name),
                "{} leaves `{name}` of `{}` unfilled: {:?}",
                n.key,
                n.template,
                n.params
            );
        }
    }
}
