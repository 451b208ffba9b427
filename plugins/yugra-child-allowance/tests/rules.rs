//! The rule called as a region's host calls it: this crate built for wasm32-wasip2, loaded into
//! the real runtime, given an application and the SMEV answers so far. The cases in
//! `tests/cases/` hold the rules; the tests here check what a case file cannot express — exact
//! request lists, payment dates and amounts, reproducibility.

use zemstvo_sdk::testing::{EligibilityInput, Outcome, RunReport, Verdict};

/// The survivor application of `tests/fixtures/survivor-application.json`: child born
/// 2015-06-10, applied 2026-03-14, all four answers good.
fn survivor() -> EligibilityInput {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/survivor-application.json"
    ))
    .expect("the fixture is there");
    serde_json::from_str(&text).expect("the fixture is an eligibility input")
}

fn decide(input: EligibilityInput) -> RunReport {
    decide_with(input, &[])
}

fn decide_with(input: EligibilityInput, config: &[(&str, &str)]) -> RunReport {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let report = plugin
        .run()
        .now("2026-03-20T06:00:00Z")
        .application(input)
        .configs(config)
        .execute();
    assert!(report.succeeded(), "{:?}", report.failure());
    report
}

fn outcome(report: &RunReport) -> &Outcome {
    report
        .outputs
        .eligibility
        .as_ref()
        .expect("the rule returned an outcome")
}

/// What an approval assigned, as plain values: the monthly amount, the start and end days,
/// and each payment's due day and amount.
struct Assigned {
    monthly_amount: i64,
    start: String,
    end: Option<String>,
    payments: Vec<(String, i64)>,
}

fn approved(report: &RunReport) -> Assigned {
    match outcome(report) {
        Outcome::Decided { decision } => match &decision.verdict {
            Verdict::Approve { assignment: a } => Assigned {
                monthly_amount: a.monthly_amount,
                start: day(a.start),
                end: a.end.map(day),
                payments: a.payments.iter().map(|p| (day(p.due), p.amount)).collect(),
            },
            Verdict::Deny { reasons } => panic!("denied: {reasons:?}"),
        },
        Outcome::Need { requests } => panic!("needs {requests:?}"),
    }
}

fn set_field(input: &mut EligibilityInput, name: &str, value: &str) {
    let fields = &mut input.application.fields;
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

/// `YYYY-MM-DD` of a timestamp (UTC).
fn day(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), to keep the test free of date crates.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn the_rule_test_cases_hold() {
    zemstvo_sdk::plugin_under_test!().run_cases("tests/cases");
}

#[test]
fn an_approval_assigns_twelve_monthly_payments_from_the_month_of_the_application() {
    let a = approved(&decide(survivor()));
    assert_eq!(a.monthly_amount, 189_900);
    assert_eq!(a.start, "2026-03-01");
    // Born 2015-06-10: 18 on 2033-06-10, paid until the day before.
    assert_eq!(a.end.as_deref(), Some("2033-06-09"));
    let dues: Vec<&str> = a.payments.iter().map(|(due, _)| due.as_str()).collect();
    assert_eq!(
        dues,
        [
            "2026-03-25",
            "2026-04-25",
            "2026-05-25",
            "2026-06-25",
            "2026-07-25",
            "2026-08-25",
            "2026-09-25",
            "2026-10-25",
            "2026-11-25",
            "2026-12-25",
            "2027-01-25",
            "2027-02-25"
        ]
    );
    assert!(a.payments.iter().all(|(_, amount)| *amount == 189_900));
}

#[test]
fn the_payment_day_comes_from_the_configuration() {
    let a = approved(&decide_with(survivor(), &[("payment-day", "5")]));
    assert_eq!(a.payments[0].0, "2026-03-05");
    assert_eq!(a.payments[11].0, "2027-02-05");
}

#[test]
fn a_schedule_across_the_indexation_pays_each_month_at_the_amount_in_force() {
    let mut input = survivor();
    input.application.submitted = 1_767_175_200; // 2025-12-31T10:00:00Z
    let a = approved(&decide(input));
    assert_eq!(
        a.monthly_amount, 182_600,
        "the amount on the application's date"
    );
    assert_eq!(a.payments[0], ("2025-12-25".to_string(), 182_600));
    assert_eq!(a.payments[1], ("2026-01-25".to_string(), 189_900));
    assert_eq!(a.payments.len(), 12);
}

#[test]
fn a_child_one_day_short_of_eighteen_gets_the_days_of_the_last_month() {
    let mut input = survivor();
    set_field(&mut input, "child-birth-date", "2008-03-15");
    let a = approved(&decide(input));
    assert_eq!(a.start, "2026-03-01");
    assert_eq!(a.end.as_deref(), Some("2026-03-14"));
    // 14 of March's 31 days of 1,899.00 RUB = 857.61 RUB.
    assert_eq!(a.payments, [("2026-03-25".to_string(), 85_761)]);
}

#[test]
fn a_disability_period_ending_first_ends_the_assignment() {
    let mut input = survivor();
    input.application.measure = "disabled-child-allowance".into();
    set_field(&mut input, "child-disability-established", "2023-05-10");
    set_field(&mut input, "child-disability-until", "2026-06-30");
    let a = approved(&decide(input));
    assert_eq!(a.monthly_amount, 318_700);
    assert_eq!(a.end.as_deref(), Some("2026-06-30"));
    assert_eq!(a.payments.len(), 4);
    assert_eq!(a.payments[3], ("2026-06-25".to_string(), 318_700));
}

#[test]
fn the_rule_asks_only_for_what_is_not_answered_and_for_this_application() {
    let mut input = survivor();
    input.answers.retain(|a| a.query.agency == "sfr");
    let report = decide(input);
    let Outcome::Need { requests } = outcome(&report) else {
        panic!("{:?}", outcome(&report))
    };
    let asked: Vec<(&str, &str, u64, Option<u64>)> = requests
        .iter()
        .map(|q| (q.agency.as_str(), q.kind.as_str(), q.subject, q.application))
        .collect();
    assert_eq!(
        asked,
        [
            ("mvd", "residence-registration", 501, Some(9001)),
            ("mvd", "passport-validity", 501, Some(9001))
        ]
    );
}

#[test]
fn the_same_answers_in_any_order_give_the_same_decision() {
    let forward = decide(survivor());
    let mut input = survivor();
    input.answers.reverse();
    let backward = decide(input);
    assert_eq!(outcome(&forward), outcome(&backward));
    // And the same input twice gives the same decision, trace included.
    assert_eq!(outcome(&forward), outcome(&decide(survivor())));
}

#[test]
fn a_decision_explains_every_input_with_its_source() {
    let report = decide(survivor());
    let Outcome::Decided { decision } = outcome(&report) else {
        panic!()
    };
    let step = |name: &str| {
        decision
            .trace
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no trace step `{name}`: {:#?}", decision.trace))
    };
    assert_eq!(
        step("applicant-registered-in-region").source,
        "smev:mvd/residence-registration"
    );
    assert!(
        step("applicant-registered-in-region")
            .value
            .starts_with("yes")
    );
    assert_eq!(
        step("applicant-passport-valid").source,
        "smev:mvd/passport-validity"
    );
    assert_eq!(step("applicant-snils").source, "smev:sfr/snils");
    assert_eq!(step("applicant-pension").source, "smev:sfr/pension-fact");
    assert_eq!(
        step("monthly-amount").source,
        "parameter:survivor-child-allowance-amount"
    );
    assert_eq!(step("monthly-amount").value, "1899.00 RUB/month");
    assert!(step("monthly-amount-legal-basis").value.contains("№ 45-оз"));
    assert!(step("child-age-limit").value.starts_with("18 years"));
    assert_eq!(step("child-age").value, "10 full years on 2026-03-14");
    assert_eq!(step("child-comes-of-age").value, "2033-06-10");
    assert_eq!(step("assignment-start").value, "2026-03-01");
    assert_eq!(step("assignment-end").value, "2033-06-09");
    assert_eq!(
        step("child-birth-date").source,
        "application.fields.child-birth-date"
    );
}

#[test]
fn a_denial_gives_the_citizen_reasons_in_russian() {
    let mut input = survivor();
    for answer in &mut input.answers {
        if answer.query.kind == "residence-registration" {
            answer.outcome = serde_json::from_value(serde_json::json!({
                "outcome": "rejected", "code": "NO_DATA", "reason": "Сведения не найдены"
            }))
            .unwrap();
        }
    }
    let report = decide(input);
    let Outcome::Decided { decision } = outcome(&report) else {
        panic!()
    };
    let Verdict::Deny { reasons } = &decision.verdict else {
        panic!("{:?}", decision.verdict)
    };
    assert_eq!(
        reasons,
        &[
            "Запрос сведений о регистрации заявителя по месту жительства в МВД России отклонён \
             ведомством (код NO_DATA: Сведения не найдены)."
        ]
    );
}

#[test]
fn metadata_declares_the_requests_it_causes_and_its_parameters() {
    let plugin = zemstvo_sdk::plugin_under_test!();
    let meta = plugin.metadata();
    plugin.assert_declares(
        &["smev.send"],
        &["measures", "schedule-months", "payment-day"],
    );
    assert_eq!(meta.kind.name(), "eligibility-rule");
    let parameters: Vec<(&str, usize)> = meta
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.history.len()))
        .collect();
    assert_eq!(
        parameters,
        [
            ("child-age-limit", 1),
            ("disabled-child-allowance-amount", 2),
            ("survivor-child-allowance-amount", 2)
        ]
    );
    let survivor = &meta.parameters[2];
    assert_eq!(survivor.history[0].value, 1826.0, "the seed's amount");
    assert!(
        survivor
            .history
            .iter()
            .all(|v| v.unit == "RUB/month" && v.legal_basis.contains("45-оз"))
    );
}
