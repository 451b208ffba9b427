//! The replay page: an auditor sees what another version of a rule would decide differently
//! on the recorded decisions, and whether a deviation check's recorded run is reproduced;
//! every refused form runs nothing and says which field to change.

use super::*;

/// Income rule 1.0.0 approves up to 30,000 rubles and 1.1.0 up to 25,000: of two recorded
/// decisions, the auditor sees the installed version reproduce both and 1.1.0 turn one
/// approval into a denial, linked to its case. A version that is not one, a day that is not a
/// date, a range that ends before it starts and a version nobody has are refused by their
/// field, as typed; an employee may not replay.
#[tokio::test]
async fn an_auditor_replays_a_rules_decisions_on_another_version() {
    let site = site().await;
    common::income_rule_live_with_candidate(&site.host).await;
    let flips = common::submit_income(&site.store, "26000").await;
    common::submit_income(&site.store, "10000").await;
    let decided = site.host.decisions().decide_applications(10).await.unwrap();
    assert_eq!(decided.len(), 2);

    let auditor = site.sign_in("auditor").await;
    let page = "/plugins/income-rule/replay";
    let (status, html) = site.get(&auditor, "/plugins/income-rule").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"{page}\"")), "{html}");
    let (status, html) = site.get(&auditor, page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("В регионе есть:") && html.contains("1.1.0"),
        "{html}"
    );
    assert!(!html.contains("id=\"result\""), "no report before a replay");

    let form = |version: &'static str, since: &'static str, until: &'static str| {
        [("version", version), ("since", since), ("until", until)]
    };
    let (status, _, html) = site.post(&auditor, page, &form("", "", "")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Версия 1.0.0 принимает все проверенные решения так же"),
        "{html}"
    );

    let (status, _, html) = site.post(&auditor, page, &form("1.1.0", "", "")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let summary = section(&html, "id=\"result\"", "</dl>");
    assert!(
        summary.contains("Решено иначе</dt><dd><strong>1</strong>"),
        "{summary}"
    );
    assert!(
        html.contains("одобрено → отказ: <strong>1</strong>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a href=\"/cases/{flips}\">{flips}</a>")),
        "{html}"
    );
    // What was typed stays in the form beside the report.
    assert!(html.contains("value=\"1.1.0\""), "{html}");

    let (status, _, html) = site.post(&auditor, page, &form("latest", "", "")).await;
    assert_refused(
        status,
        &html,
        "Укажите номер версии, например 1.1.0.",
        "latest",
    );
    let (status, _, html) = site.post(&auditor, page, &form("", "вчера", "")).await;
    assert_refused(status, &html, "Введите дату в виде 01.11.2026.", "вчера");
    let (status, _, html) = site
        .post(&auditor, page, &form("", "02.11.2026", "01.11.2026"))
        .await;
    assert_refused(
        status,
        &html,
        "Дата «до» должна быть позже даты «с».",
        "01.11.2026",
    );
    let (status, _, html) = site.post(&auditor, page, &form("9.9.9", "", "")).await;
    assert_refused(
        status,
        &html,
        "Версии 9.9.9 нет ни в регионе, ни в реестре.",
        "9.9.9",
    );
    assert!(!html.contains("id=\"result\""), "{html}");

    let employee = site.sign_in("employee").await;
    let (status, _) = site.get(&employee, page).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = site.post(&employee, page, &form("", "", "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = site.get(&auditor, "/plugins/no-such-plugin/replay").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The daily briefing's recorded run, made again from the page: the data is what the run
/// read, the recorded version reproduces it and the installed version emits the same tasks.
/// A run the region never recorded, and a range without one, are refused by their field.
#[tokio::test]
async fn an_auditor_replays_a_deviation_checks_recorded_run() {
    let site = site().await;
    let auditor = site.sign_in("auditor").await;
    let page = format!("/plugins/{PLUGIN}/replay");
    let (status, html) = site.get(&auditor, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("id=\"run\""),
        "a batch plugin's form names a run"
    );

    let form = |run: &'static str, since: &'static str| {
        [
            ("version", ""),
            ("run", run),
            ("since", since),
            ("until", ""),
        ]
    };
    let (status, _, html) = site.post(&auditor, &page, &form("", "")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("не изменились с записанного запуска"),
        "{html}"
    );
    assert!(
        html.contains("повторила записанный запуск в точности"),
        "{html}"
    );
    assert!(html.contains("выдаёт то же, что версия"), "{html}");
    let tallies = section(&html, "id=\"tallies\"", "</table>");
    assert!(tallies.contains("<td>задачи</td>"), "{tallies}");
    let run = html
        .split("<a href=\"/runs/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no link to the recorded run: {html}"))
        .to_string();
    assert!(
        site.store.run_report(&run).await.unwrap().is_some(),
        "{run}"
    );

    let (status, _, html) = site.post(&auditor, &page, &form("no-such-run", "")).await;
    assert_refused(
        status,
        &html,
        "Такого записанного запуска нет.",
        "no-such-run",
    );
    let (status, _, html) = site.post(&auditor, &page, &form("", "01.01.2099")).await;
    assert_refused(
        status,
        &html,
        "В этих датах нет записанного запуска.",
        "01.01.2099",
    );
}
