//! Decision records over real HTTP on SQLite and PostgreSQL: the auditor verifies the chain
//! and reads a run's record.

mod common;

use common::{PLUGIN, serve};
use reqwest::{Method, StatusCode};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

/// The auditor verifies the decision records over HTTP and reads the reference plugin's run's
/// record: what ran, with which grants, deciding what.
async fn decision_records_scenario(db: TestDatabase) {
    let s = serve(db).await;
    let (status, report) = s
        .call(Some("auditor"), Method::GET, "/api/v1/audit/verify", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["intact"], true, "{report}");
    assert!(report["records"].as_i64().unwrap() >= 1, "{report}");
    let (status, list) = s
        .call(
            Some("auditor"),
            Method::GET,
            &format!("/api/v1/audit/records?plugin={PLUGIN}&limit=5"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let run = list[0]["run_id"].as_str().unwrap().to_string();
    let (status, record) = s
        .call(
            Some("auditor"),
            Method::GET,
            &format!("/api/v1/audit/records/{run}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["body"]["plugin"]["name"], PLUGIN, "{record}");
    assert_eq!(record["body"]["run"], run.as_str(), "{record}");
    assert!(
        record["body"]["grants"].is_object() || record["body"]["grants"].is_array(),
        "{record}"
    );
    let (status, problem) = s
        .call(
            Some("auditor"),
            Method::GET,
            "/api/v1/audit/records/no-such-run",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) = s
        .call(
            Some("auditor"),
            Method::GET,
            "/api/v1/audit/verify?trusted_keys=0123456789abcdef",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{problem}");
}

on_both_databases!(decision_records_over_http, decision_records_scenario);
