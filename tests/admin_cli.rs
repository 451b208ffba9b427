//! What a region's administrator does after the plugins are in, through the `zemstvo` binary:
//! a new act's amount as an effective-dated parameter entry, schedules, and the eligibility
//! cases — a decision explained, a spoiled form sent back to its rule once corrected. Every
//! refusal is checked by exit code and message, and changes nothing.

#[path = "support/cli.rs"]
mod support;

use support::*;
use zemstvo_demo::{DemoScale, FORM_MEASURES, application_forms, demo_region};

const NOW: &str = "2026-11-23T06:00:00Z";
const NOW_SECS: i64 = 1_795_413_600;
const RULE: &str = "yugra-child-allowance";
const AMOUNT: &str = "survivor-child-allowance-amount";

/// A small demo region in `db` with one form spoiled (a SNILS with a wrong check number), so
/// that the rule has a case it cannot decide; returns that application's id.
fn region_with_a_spoiled_form(db: &str) -> u64 {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = zemstvo_store::Store::open(db).await.unwrap();
        let region = demo_region(DemoScale::SMALL, 2026, NOW_SECS);
        zemstvo::commands::demo::load_region(&store, &region, 2026, &|_, _| {})
            .await
            .unwrap();
        let (application, mut form) = application_forms(&region, 2026)
            .into_iter()
            .find(|(id, _)| is_registered(&region, *id))
            .expect("a registered application with a form");
        for (name, value) in &mut form {
            if name == "child-snils" {
                *value = "112-233-445 96".into();
            }
        }
        store
            .set_application_fields(&[(application, form)])
            .await
            .unwrap();
        store.close().await;
        application
    })
}

/// Whether application `id` waits for the rule (registered, of a measure the rule decides).
fn is_registered(region: &zemstvo_core::region::InMemoryRegion, id: u64) -> bool {
    use zemstvo_core::capabilities::data::Entity;
    use zemstvo_core::region::Cell;
    let table = region.table(Entity::Applications);
    let col = |name: &str| {
        Entity::Applications
            .schema()
            .columns
            .iter()
            .position(|c| c.name == name)
            .unwrap()
    };
    (0..table.len()).any(|row| {
        table.cell(col("id"), row) == Cell::U64(id)
            && table.cell(col("status"), row) == Cell::Text("registered")
            && matches!(table.cell(col("measure"), row), Cell::Text(m) if FORM_MEASURES.contains(&m))
    })
}

#[test]
fn an_administrator_keeps_parameters_schedules_and_cases_through_the_binary() {
    let ws = Workspace::new();
    let db = format!("sqlite://{}", ws.p("region.db"));
    let spoiled = region_with_a_spoiled_form(&db);
    let region = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", &db]);
        ws.run(&all)
    };
    assert_success(&region(&["demo", "--once", "--now", NOW, "--show", "0"]));

    // Parameters: the plugin's history, then the region's entry for a new act.
    let before = region(&["plugin", "parameters", RULE]);
    assert_success(&before);
    assert!(
        stdout(&before).contains("1899 RUB/month  [plugin]"),
        "{}",
        stdout(&before)
    );
    let set = |extra: &[&str]| {
        let mut args = vec!["plugin", "set-parameter", RULE];
        args.extend(extra);
        region(&args)
    };
    for (args, says) in [
        (
            vec![
                AMOUNT,
                "--from",
                "2027-01-01",
                "--value",
                "1975",
                "--unit",
                "RUB/year",
                "--basis",
                "act",
            ],
            "counts `survivor-child-allowance-amount` in `RUB/month`, not `RUB/year`",
        ),
        (
            vec![
                "survivor-amount",
                "--from",
                "2027-01-01",
                "--value",
                "1975",
                "--basis",
                "act",
            ],
            "it declares: child-age-limit, disabled-child-allowance-amount, survivor-child-allowance-amount",
        ),
        (
            vec![
                AMOUNT,
                "--from",
                "2027-13-01",
                "--value",
                "1975",
                "--basis",
                "act",
            ],
            "is not a date such as 2027-01-01",
        ),
        (
            vec![
                AMOUNT,
                "--from",
                "2027-01-01",
                "--value",
                "1975",
                "--basis",
                " ",
            ],
            "name the act that sets the value",
        ),
        (
            vec![
                AMOUNT,
                "--from",
                "2027-01-01",
                "--value",
                "NaN",
                "--basis",
                "act",
            ],
            "must be a finite number",
        ),
    ] {
        assert_refused(&set(&args), 2, says);
    }
    let unchanged = region(&["plugin", "parameters", RULE]);
    assert_eq!(
        stdout(&unchanged),
        stdout(&before),
        "a refused entry changes nothing"
    );
    let added = set(&[
        AMOUNT,
        "--from",
        "2027-01-01",
        "--value",
        "1975",
        "--basis",
        "Постановление № 1",
    ]);
    assert_success(&added);
    assert!(
        stdout(&added).contains("1975 RUB/month from 2027-01-01 (added)"),
        "{}",
        stdout(&added)
    );
    let after = stdout(&region(&["plugin", "parameters", RULE]));
    assert!(
        after.contains("from 2027-01-01  1975 RUB/month  [region (by "),
        "{after}"
    );
    assert!(after.contains("Постановление № 1"), "{after}");
    assert_refused(
        &region(&[
            "plugin",
            "remove-parameter",
            RULE,
            AMOUNT,
            "--from",
            "2026-01-01",
        ]),
        2,
        "entries the plugin ships cannot be removed",
    );
    assert_success(&region(&[
        "plugin",
        "remove-parameter",
        RULE,
        AMOUNT,
        "--from",
        "2027-01-01",
    ]));
    assert_eq!(
        stdout(&region(&["plugin", "parameters", RULE])),
        stdout(&before)
    );

    // Schedules: a batch plugin takes one; a rule does not; nonsense is refused.
    assert_refused(
        &region(&["plugin", "schedule", RULE, "0 6 * * *"]),
        2,
        "is an eligibility rule",
    );
    assert_refused(
        &region(&[
            "plugin",
            "schedule",
            "isu-overdue-applications",
            "every morning",
        ]),
        2,
        "is not a cron expression",
    );
    assert_success(&region(&[
        "plugin",
        "schedule",
        "isu-overdue-applications",
        "30 5 * * 1-5",
    ]));
    let list = stdout(&region(&["plugin", "list"]));
    let line = list
        .lines()
        .find(|l| l.starts_with("isu-overdue-applications"))
        .unwrap();
    assert!(line.ends_with("schedule 30 5 * * 1-5"), "{line}");
    assert_success(&region(&[
        "plugin",
        "schedule",
        "isu-overdue-applications",
        "none",
    ]));
    let list = stdout(&region(&["plugin", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("isu-overdue-applications") && l.ends_with("schedule -")),
        "{list}"
    );

    // Cases: the spoiled form went to a specialist, with the field named.
    let spoiled_id = spoiled.to_string();
    let failed = stdout(&region(&["cases", "list", "--status", "failed"]));
    assert!(
        failed.contains(&format!("application {spoiled_id:<7}")),
        "{failed}"
    );
    let shown = stdout(&region(&["cases", "show", &spoiled_id]));
    assert!(shown.contains("failed: a specialist decides"), "{shown}");
    assert!(
        shown.contains("`child-snils` `112-233-445 96` is not a valid SNILS"),
        "{shown}"
    );
    // Once the form is corrected, the case goes back to its rule.
    assert_success(&region(&["cases", "retry", &spoiled_id]));
    let waiting = stdout(&region(&["cases", "list", "--status", "waiting"]));
    assert!(
        waiting.contains(&format!("application {spoiled_id:<7}")),
        "{waiting}"
    );

    // An approval, explained: the amount, the payments, and where every value came from.
    let decided = stdout(&region(&[
        "cases", "list", "--status", "decided", "--limit", "500",
    ]));
    let approved = decided
        .lines()
        .find(|l| l.contains(" approved "))
        .unwrap_or_else(|| panic!("{decided}"))
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let shown = stdout(&region(&["cases", "show", &approved]));
    for says in [
        "approved: ",
        "    due ",
        "how it was decided:",
        "from smev:mvd/residence-registration",
        "from parameter:",
        "assignment: ",
        "decided by system:yugra-child-allowance@1.0.0",
    ] {
        assert!(shown.contains(says), "`{says}` in {shown}");
    }
    assert_refused(
        &region(&["cases", "retry", &approved]),
        2,
        "is already decided",
    );
    assert_refused(&region(&["cases", "show", "999999"]), 2, "has no case");
}
