//! Analytics over real HTTP, on SQLite and PostgreSQL: tasks, SMEV answer times and the
//! correlation over records written with chosen times into a period of their own (two ISO
//! weeks of June 2025, away from the demo region's records), with the figures worked out by
//! hand; and the outbox gauges `/metrics` reads at scrape time.

mod common;

use common::{add_user, region_with_plugin, serve_api, token};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::AnyPool;
use zemstvo_store::accounts::Role;
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// Monday 2025-06-02 00:00 in Moscow (ISO week 2025-W23): the period is this week and the next.
const T0: i64 = 1_748_811_600;
const UNTIL: i64 = T0 + 14 * DAY;

/// A SMEV request to write: agency, application, sent at, status, answered how long after.
type SmevRequest = (&'static str, Option<i64>, i64, &'static str, Option<i64>);

/// Writes the period's records: two units, three employees, tasks of three plugins, SMEV
/// requests of two agencies in this period and the previous one, the applications behind
/// them, and what waits in the outboxes.
async fn write_records(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let mut sql = vec![
        "INSERT INTO units (id, name) VALUES (900001, 'Отдел А'), (900002, 'Отдел Б')".to_string(),
        "INSERT INTO employees (id, unit_id, full_name, role, normative_load, active) VALUES \
         (900011, 900001, 'А. Первый', 'specialist', 10, 1), \
         (900012, 900001, 'А. Второй', 'specialist', 10, 1), \
         (900021, 900002, 'Б. Первый', 'specialist', 10, 1)"
            .to_string(),
        "INSERT INTO citizens (id, consent, district, full_name, address) VALUES \
         (900100, 1, 'Центральный', 'Гражданин', 'ул. Тестовая, 1')"
            .to_string(),
    ];
    // Tasks: (plugin, key, assignee, status, created).
    for (plugin, key, assignee, status, created) in [
        ("p-one", "k1", 900011, "new", T0 + DAY),
        ("p-one", "k2", 900012, "done", T0 + 2 * DAY),
        ("p-one", "k3", 900021, "rejected", T0 + 3 * DAY),
        ("p-two", "k1", 900011, "new", T0 + 8 * DAY),
        ("p-two", "k0", 900021, "new", T0 - DAY), // before the period
    ] {
        sql.push(format!(
            "INSERT INTO tasks (plugin, key, assignee, title, description, records, steps, priority, status, run_id, created_at, updated_at) \
             VALUES ('{plugin}', '{key}', {assignee}, 't', 'd', '[]', '[]', 'normal', '{status}', 'r', {created}, {created})"
        ));
    }
    // Runs: p-one ran once, p-three ran and found nothing.
    for (id, plugin, started) in [("r1", "p-one", T0 + DAY), ("r2", "p-three", T0 + 5 * DAY)] {
        sql.push(format!(
            "INSERT INTO runs (id, plugin, version, sha256, kind, cause, host, logical_time, started_at, finished_at, status, \
             grants, config, duration_us, peak_memory, rows_read, tasks_created, tasks_existing, report) \
             VALUES ('{id}', '{plugin}', '1.0.0', 'x', 'deviation-check', 'manual', 'h', {started}, {started}, {started}, \
             'succeeded', '[]', '{{}}', 1, 1, 1, 0, 0, '{{}}')"
        ));
    }
    // Applications submitted a day before the period, decided after 2, 4, 5 and 4 days; the
    // fifth is not decided.
    for (id, days) in [
        (900201, Some(2)),
        (900202, Some(4)),
        (900203, Some(5)),
        (900204, Some(4)),
        (900205, None),
    ] {
        let decided = days.map_or("NULL".into(), |d: i64| (T0 - DAY + d * DAY).to_string());
        sql.push(format!(
            "INSERT INTO applications (id, number, citizen_id, measure, channel, status, submitted_at, deadline_at, decided_at, returns, off_standard) \
             VALUES ({id}, 'n-{id}', 900100, 'm', 'portal', 'decided', {}, {}, {decided}, 0, 0)",
            T0 - DAY,
            T0 + 30 * DAY
        ));
    }
    let requests: [SmevRequest; 11] = [
        ("TEST-FNS", Some(900201), T0 + HOUR, "answered", Some(DAY)),
        (
            "TEST-FNS",
            Some(900202),
            T0 + 2 * HOUR,
            "answered",
            Some(2 * DAY),
        ),
        (
            "TEST-FNS",
            Some(900203),
            T0 + 3 * HOUR,
            "answered",
            Some(3 * DAY),
        ),
        ("TEST-FNS", None, T0 + 4 * HOUR, "rejected", Some(HOUR)),
        ("TEST-FNS", None, T0 + 5 * HOUR, "sent", None),
        (
            "TEST-FNS",
            Some(900204),
            T0 + 7 * DAY + HOUR,
            "answered",
            Some(4 * DAY),
        ),
        (
            "TEST-FNS",
            Some(900205),
            T0 + 8 * DAY,
            "answered",
            Some(10 * DAY),
        ),
        ("TEST-FNS", None, T0 - 10 * DAY, "answered", Some(DAY)),
        ("TEST-FNS", None, T0 - 9 * DAY, "answered", Some(3 * DAY)),
        (
            "TEST-PFR",
            Some(900201),
            T0 + DAY,
            "answered",
            Some(DAY / 2),
        ),
        ("TEST-FNS", None, UNTIL, "answered", Some(DAY)), // after the period
    ];
    for (i, (agency, application, sent, status, after)) in requests.into_iter().enumerate() {
        let application = application.map_or("NULL".into(), |a| a.to_string());
        let answered = after.map_or("NULL".into(), |a| (sent + a).to_string());
        sql.push(format!(
            "INSERT INTO smev_requests (id, application_id, agency, kind, message_id, sent_at, status, answered_at) \
             VALUES ({}, {application}, '{agency}', 'k', 'test-{i}', {sent}, '{status}', {answered})",
            900_300 + i
        ));
    }
    // Outboxes: two SMS waiting and one failed, one e-mail sent and one failed; two SMEV
    // requests of one agency waiting, one of another sent.
    for (i, (channel, status)) in [
        ("sms", "queued"),
        ("sms", "claimed"),
        ("sms", "failed"),
        ("email", "sent"),
        ("email", "failed"),
    ]
    .into_iter()
    .enumerate()
    {
        sql.push(format!(
            "INSERT INTO notifications (plugin, key, citizen_id, channel, template, params, recipient, body, idempotency_id, \
             status, attempts, next_attempt_at, run_id, created_at) \
             VALUES ('p-one', 'n{i}', 900100, '{channel}', 't', '{{}}', 'r', 'b', 'test-n{i}', '{status}', 0, {T0}, 'r1', {T0})"
        ));
    }
    for (i, (agency, status)) in [
        ("TEST-FNS", "queued"),
        ("TEST-FNS", "sending"),
        ("TEST-PFR", "sent"),
    ]
    .into_iter()
    .enumerate()
    {
        sql.push(format!(
            "INSERT INTO smev_outbox (request_key, plugin, agency, kind, subject, params, status, attempts, next_attempt_at, run_id, created_at) \
             VALUES ('test-s{i}', 'p-one', '{agency}', 'k', 900100, '{{}}', '{status}', 0, {T0}, 'r1', {T0})"
        ));
    }
    for statement in sql {
        sqlx::query(&statement)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    pool.close().await;
}

async fn get(client: &Client, base: &str, login: &str, path: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{base}{path}"))
        .bearer_auth(token(login))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-6)
}

/// The figures of the period as worked out by hand from [`write_records`].
async fn analytics_report_the_figures_of_the_period(db: TestDatabase) {
    let (store, host) = region_with_plugin(&db).await;
    write_records(&db.url).await;
    add_user(&store, "manager", Role::Manager, None).await;
    add_user(&store, "employee", Role::Employee, None).await;
    let (base, _stop) = serve_api(host).await;
    let client = Client::new();
    let period = format!("?since={T0}&until={UNTIL}");

    let (status, tasks) = get(
        &client,
        &base,
        "manager",
        &format!("/api/v1/analytics/tasks{period}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tasks}");
    assert_eq!(
        tasks["total"],
        serde_json::json!({ "tasks": 4, "algorithms": 3, "employees": 3, "deviations": 3 })
    );
    let plugins: Vec<(String, u64, u64, u64, u64)> = tasks["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["plugin"].as_str().unwrap().to_string(),
                p["runs"].as_u64().unwrap(),
                p["tasks"].as_u64().unwrap(),
                p["employees"].as_u64().unwrap(),
                p["deviations"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        plugins,
        [
            ("p-one".to_string(), 1, 3, 3, 2),
            ("p-two".to_string(), 0, 1, 1, 1),
            ("p-three".to_string(), 1, 0, 0, 0),
        ]
    );
    assert_eq!(
        tasks["units"],
        serde_json::json!([
            { "unit": 900001, "name": "Отдел А", "tasks": 3, "algorithms": 2, "employees": 2, "deviations": 3 },
            { "unit": 900002, "name": "Отдел Б", "tasks": 1, "algorithms": 1, "employees": 1, "deviations": 0 },
        ])
    );

    let (status, smev) = get(
        &client,
        &base,
        "manager",
        &format!("/api/v1/analytics/smev{period}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{smev}");
    assert_eq!(smev["time_zone"], "Europe/Moscow");
    assert_eq!(smev["previous_period"]["since"], T0 - 14 * DAY);
    let agencies = smev["agencies"].as_array().unwrap();
    assert_eq!(agencies.len(), 2, "{smev}");
    let fns = &agencies[0];
    assert_eq!(fns["agency"], "TEST-FNS");
    assert_eq!(
        [
            &fns["requests"],
            &fns["answered"],
            &fns["rejected"],
            &fns["pending"]
        ],
        [7, 5, 1, 1]
    );
    // Answers of 1, 2, 3, 4 and 10 days: the mean 4, the 90th percentile 4 + 0.6 × 6.
    assert!(close(&fns["mean_answer_days"], 4.0), "{fns}");
    assert!(close(&fns["p90_answer_days"], 7.6), "{fns}");
    // Before: answers of 1 and 3 days.
    assert_eq!(fns["previous"]["requests"], 2);
    assert!(close(&fns["previous"]["mean_answer_days"], 2.0), "{fns}");
    assert!(close(&fns["previous"]["p90_answer_days"], 2.8), "{fns}");
    assert_eq!(fns["change"]["requests"], 5);
    assert!(close(&fns["change"]["requests_percent"], 250.0), "{fns}");
    assert!(close(&fns["change"]["mean_answer_days"], 2.0), "{fns}");
    assert!(close(&fns["change"]["p90_answer_days"], 4.8), "{fns}");
    let weeks = fns["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 2, "{fns}");
    assert_eq!(
        (&weeks[0]["week"], &weeks[0]["start"], &weeks[0]["end"]),
        (&"2025-W23".into(), &T0.into(), &(T0 + 7 * DAY).into())
    );
    assert_eq!(
        (&weeks[0]["requests"], &weeks[0]["answered"]),
        (&5.into(), &3.into())
    );
    assert!(close(&weeks[0]["mean_answer_days"], 2.0), "{fns}");
    assert_eq!(weeks[1]["week"], "2025-W24");
    assert_eq!(
        (&weeks[1]["requests"], &weeks[1]["answered"]),
        (&2.into(), &2.into())
    );
    assert!(close(&weeks[1]["mean_answer_days"], 7.0), "{fns}");
    let pfr = &agencies[1];
    assert_eq!(
        (&pfr["agency"], &pfr["requests"]),
        (&"TEST-PFR".into(), &1.into())
    );
    assert!(close(&pfr["p90_answer_days"], 0.5), "{pfr}");
    // Nothing before to compare with.
    assert!(pfr["change"]["requests_percent"].is_null(), "{pfr}");
    assert!(pfr["change"]["mean_answer_days"].is_null(), "{pfr}");

    let (status, correlation) = get(
        &client,
        &base,
        "manager",
        &format!("/api/v1/analytics/correlation{period}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{correlation}");
    let agencies = correlation["agencies"].as_array().unwrap();
    // Processing 2, 4, 5, 4 days against answers 1, 2, 3, 4 days: r = 3.5 / √(4.75 × 5).
    assert_eq!(
        (&agencies[0]["agency"], &agencies[0]["applications"]),
        (&"TEST-FNS".into(), &4.into())
    );
    assert!(
        close(&agencies[0]["r"], 3.5 / (4.75f64 * 5.0).sqrt()),
        "{correlation}"
    );
    assert!(close(&agencies[0]["mean_processing_days"], 3.75));
    assert!(close(&agencies[0]["mean_answer_days"], 2.5));
    // One application is no sample.
    assert_eq!(agencies[1]["agency"], "TEST-PFR");
    assert_eq!(agencies[1]["applications"], 1);
    assert!(agencies[1]["r"].is_null());

    // A period that makes no sense names its field; employees read no analytics.
    for (query, field) in [
        (format!("?since={UNTIL}&until={T0}"), "since"),
        ("?until=99999999999".to_string(), "until"),
        ("?since=-5".to_string(), "since"),
        (format!("?since=0&until={UNTIL}"), "since"),
    ] {
        for path in ["tasks", "smev", "correlation"] {
            let (status, problem) = get(
                &client,
                &base,
                "manager",
                &format!("/api/v1/analytics/{path}{query}"),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}{query}: {problem}");
            assert_eq!(problem["field"], field, "{path}{query}: {problem}");
        }
    }
    let (status, _) = get(&client, &base, "employee", "/api/v1/analytics/correlation").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_databases!(
    analytics_report_the_figures_of_the_period,
    analytics_report_the_figures_of_the_period
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_the_outbox_depths_and_failures_at_scrape_time() {
    let _ = zemstvo_web::metrics_handle();
    let db = TestDatabase::sqlite().await;
    let (_store, host) = region_with_plugin(&db).await;
    write_records(&db.url).await;
    let (base, _stop) = serve_api(host).await;
    let metrics = Client::new()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "zemstvo_outbox_depth{channel=\"sms\"} 2",
        "zemstvo_outbox_depth{channel=\"email\"} 0",
        "zemstvo_outbox_failed{channel=\"sms\"} 1",
        "zemstvo_outbox_failed{channel=\"email\"} 1",
        "zemstvo_smev_outbox_depth{agency=\"TEST-FNS\"} 2",
        "zemstvo_smev_outbox_depth{agency=\"TEST-PFR\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
}
