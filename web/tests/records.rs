//! Decision records over real HTTP on SQLite and PostgreSQL: the auditor verifies the chain,
//! reads a run's record and replays an eligibility rule's decisions.

mod common;

use common::{PLUGIN, add_user, install_signed, region_with_plugin, serve, serve_api, token};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use zemstvo_store::accounts::Role;
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
/// The auditor replays the daily briefing's recorded run over HTTP on the installed version:
/// the data is what the run read and every task is reproduced. Bad requests name the field; an
/// eligibility rule is refused with where to go; an employee may not replay.
async fn run_replay_scenario(db: TestDatabase) {
    let s = serve(db).await;
    let path = format!("/api/v1/plugins/{PLUGIN}/replay/run");
    let (status, report) = s
        .call(Some("auditor"), Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["kind"], "deviation-check", "{report}");
    assert_eq!(report["data"], "unchanged", "{report}");
    assert_eq!(report["reproduced"], true, "{report}");
    assert!(
        report["tasks"]["identical"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert_eq!(report["tasks"]["changed"], 0, "{report}");
    assert!(
        report["differences"].as_array().unwrap().is_empty(),
        "{report}"
    );
    assert!(report["record"]["data_sha256"].is_string(), "{report}");
    let run = report["record"]["run_id"].as_str().unwrap().to_string();
    let (status, again) = s
        .call(
            Some("auditor"),
            Method::POST,
            &path,
            Some(json!({"run": run, "max_differences": 0, "since": "2020-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["record"]["run_id"], run.as_str(), "{again}");

    for (body, field) in [
        (json!({"max_differences": 5000}), "max_differences"),
        (json!({"run": ""}), "run"),
        (json!({"until": "yesterday"}), "until"),
        (json!({"version": "latest"}), "version"),
    ] {
        let (status, problem) = s
            .call(Some("auditor"), Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (status, problem) = s
        .call(
            Some("auditor"),
            Method::POST,
            &path,
            Some(json!({"run": "no-such-run"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("zemstvo audit records"),
        "{problem}"
    );
    let (status, problem) = s
        .call(
            Some("auditor"),
            Method::POST,
            &path,
            Some(json!({"runs": 1})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field: {problem}"
    );
    let (status, problem) = s
        .call(Some("employee"), Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = s
        .call(
            Some("auditor"),
            Method::POST,
            "/api/v1/plugins/no-such-plugin/replay/run",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

on_both_databases!(replaying_a_batch_run_over_http, run_replay_scenario);

/// The auditor replays the Yugra rule's recorded calls on the installed version over HTTP: every
/// one is reproduced. Bad requests are problems that name the field; an employee may not
/// replay; a batch plugin is refused with the reason.
async fn replay_scenario(db: TestDatabase) {
    let (store, host) = region_with_plugin(&db).await;
    let rule = "yugra-child-allowance";
    install_signed(
        &host,
        zemstvo_plugin_artifacts::reference(rule).unwrap().bytes,
    )
    .await;
    let decided = host.decisions().decide_applications(40).await.unwrap();
    assert!(
        !decided.is_empty(),
        "the demo region has applications to decide"
    );
    add_user(&store, "auditor", Role::Auditor, None).await;
    add_user(&store, "employee", Role::Employee, Some(1)).await;
    // The installed version as its vendor ships it, for a replay of an uploaded package.
    let signed = zemstvo_service::pack(
        host.runtime(),
        zemstvo_plugin_artifacts::reference(rule).unwrap().bytes,
        &zemstvo_registry::VendorId::new("test-vendor").unwrap(),
        &[&zemstvo_registry::SecretKey::from_seed(&[7; 32])],
        semver::Version::new(0, 1, 0),
    )
    .await
    .unwrap()
    .to_bytes();
    let (base, _stop) = serve_api(host).await;
    let client = Client::new();
    let upload = |query: &'static str, media: &'static str, body: Vec<u8>| {
        let path = format!("/api/v1/plugins/{rule}/replay/package{query}");
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(token("auditor"))
            .header("content-type", media)
            .body(body);
        async move { common::answer(&path, request.send().await.unwrap()).await }
    };
    let (status, report) = upload("", "application/octet-stream", signed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["replayed"], decided.len() as u64, "{report}");
    assert_eq!(report["identical"], report["replayed"], "{report}");
    let (status, problem) = upload("?limit=0", "application/octet-stream", signed.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "limit", "{problem}");
    let (status, problem) = upload("", "application/json", signed.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    let (status, problem) = upload("", "application/octet-stream", b"PK broken".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let post = |login: &'static str, path: String, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(token(login))
            .json(&body);
        async move { common::answer(&path, request.send().await.unwrap()).await }
    };
    let path = format!("/api/v1/plugins/{rule}/replay");
    let (status, report) = post("auditor", path.clone(), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["replayed"], decided.len() as u64, "{report}");
    assert_eq!(report["identical"], report["replayed"], "{report}");
    assert_eq!(report["changed"], 0, "{report}");
    assert!(report["differences"].as_array().unwrap().is_empty());

    for (body, field) in [
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 20_001}), "limit"),
        (json!({"max_differences": 5000}), "max_differences"),
        (json!({"since": "01.11.2026"}), "since"),
        (json!({"version": "latest"}), "version"),
    ] {
        let (status, problem) = post("auditor", path.clone(), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let (status, problem) = post("auditor", path.clone(), json!({"candidate": "x"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field: {problem}"
    );
    let (status, problem) = post("auditor", path.clone(), json!({"version": "9.9.9"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("9.9.9"),
        "{problem}"
    );
    let (status, problem) = post("employee", path.clone(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = post(
        "auditor",
        format!("/api/v1/plugins/{PLUGIN}/replay"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/plugins/isu-daily-briefing/replay/run"),
        "{problem}"
    );
    let (status, problem) = post(
        "auditor",
        "/api/v1/plugins/no-such-rule/replay".into(),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

on_both_databases!(replaying_decisions_over_http, replay_scenario);

/// An administrator shadows the installed income rule with the version the region held
/// before, over HTTP: the host's round compares it on the live calls, the auditor reads the
/// differences, an employee and an auditor may not start or promote one, bad bodies are
/// problems that name the field, and the promotion answers with the plugin now live.
async fn shadow_scenario(db: TestDatabase) {
    let (store, host) = region_with_plugin(&db).await;
    common::income_rule_live_with_candidate(&host).await;
    add_user(&store, "admin", Role::Administrator, None).await;
    add_user(&store, "auditor", Role::Auditor, None).await;
    add_user(&store, "employee", Role::Employee, Some(1)).await;
    let (base, _stop) = serve_api(host.clone()).await;
    let client = Client::new();
    let call = |login: &'static str, method: Method, path: &'static str, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(token(login));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { common::answer(path, request.send().await.unwrap()).await }
    };
    const SHADOW: &str = "/api/v1/plugins/income-rule/shadow";
    let (status, problem) = call("auditor", Method::GET, SHADOW, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    for who in ["auditor", "employee"] {
        let (status, problem) =
            call(who, Method::PUT, SHADOW, Some(json!({"version": "1.1.0"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {problem}");
    }
    let (status, problem) = call("admin", Method::PUT, SHADOW, Some(json!({"version": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["field"], "version");
    let (status, problem) = call(
        "admin",
        Method::PUT,
        SHADOW,
        Some(json!({"version": "1.0.0"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "itself: {problem}"
    );
    let (status, shadow) = call(
        "admin",
        Method::PUT,
        SHADOW,
        Some(json!({"version": "1.1.0"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{shadow}");
    assert_eq!(shadow["version"], "1.1.0");
    let (status, problem) = call(
        "admin",
        Method::PUT,
        SHADOW,
        Some(json!({"version": "1.1.0"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "a second shadow: {problem}");

    for income in ["26000", "10000"] {
        common::submit_income(&store, income).await;
    }
    host.tick().await.unwrap();
    let (status, report) = call("auditor", Method::GET, SHADOW, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["compared"], 2, "{report}");
    assert_eq!(report["changed"], 1, "{report}");
    assert_eq!(report["live_version"], "1.0.0", "{report}");
    assert_eq!(report["changes"]["approved → denied"], 1, "{report}");
    assert_eq!(report["differences"][0]["kind"], "approved → denied");
    let (status, problem) = call(
        "auditor",
        Method::GET,
        "/api/v1/plugins/income-rule/shadow?max_differences=5000",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

    // A rollout of the shadow to every application, evaluated at each of its decisions.
    const ROLLOUT: &str = "/api/v1/plugins/income-rule/rollout";
    let (status, problem) = call("auditor", Method::GET, ROLLOUT, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let all = json!({"share_percent": 100, "window": 1, "failure_limit": 1});
    let (status, problem) = call("auditor", Method::PUT, ROLLOUT, Some(all.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = call(
        "admin",
        Method::PUT,
        ROLLOUT,
        Some(json!({"share_percent": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "share_percent");
    let (status, problem) = call(
        "admin",
        Method::PUT,
        ROLLOUT,
        Some(json!({"share_percent": 10, "max_failure_rate": 2.0})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "max_failure_rate");
    let (status, problem) = call(
        "admin",
        Method::PUT,
        ROLLOUT,
        Some(json!({"share_percent": 10, "share": 20})),
    )
    .await;
    assert!(status.is_client_error(), "an unknown field: {problem}");
    let (status, rollout) = call("admin", Method::PUT, ROLLOUT, Some(all.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{rollout}");
    assert_eq!(rollout["state"], "running");
    let (status, problem) = call("admin", Method::PUT, ROLLOUT, Some(all)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    common::submit_income(&store, "27000").await;
    host.tick().await.unwrap();
    let (status, rollout) = call("auditor", Method::GET, ROLLOUT, None).await;
    assert_eq!(status, StatusCode::OK, "{rollout}");
    assert_eq!(rollout["evaluations"], 1, "{rollout}");
    assert_eq!(rollout["last_evaluation"]["passed"], true, "{rollout}");
    assert_eq!(
        rollout["last_evaluation"]["candidate_decisions"], 1,
        "{rollout}"
    );
    // The candidate decided it, and its decision was delivered: denied at 27,000.
    let cases = store.eligibility_cases(&Default::default()).await.unwrap();
    let newest = cases.iter().max_by_key(|c| c.application_id).unwrap();
    assert_eq!(newest.verdict.as_deref(), Some("deny"), "{cases:?}");
    let (status, stopped) = call("admin", Method::DELETE, ROLLOUT, None).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    let (status, _) = call("admin", Method::DELETE, ROLLOUT, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    const PROMOTE: &str = "/api/v1/plugins/income-rule/shadow/promote";
    let (status, problem) = call("auditor", Method::POST, PROMOTE, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, plugin) = call("admin", Method::POST, PROMOTE, None).await;
    assert_eq!(status, StatusCode::OK, "{plugin}");
    assert_eq!(plugin["version"], "1.1.0", "{plugin}");
    let (status, problem) = call("admin", Method::DELETE, SHADOW, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "promoted, gone: {problem}");
    let entries = store.audit_log(Some("income-rule"), 10).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "shadow-promote" && e.actor.contains("admin")),
        "{entries:?}"
    );

    // A candidate nobody holds arrives as a package file: a broken file and the wrong media
    // type are refused and start nothing; the vendor's signed package starts the shadow.
    let package_path = format!("{base}/api/v1/plugins/income-rule/shadow/package");
    let upload = |body: Vec<u8>, media: &'static str, login: &'static str| {
        let request = client
            .put(&package_path)
            .bearer_auth(token(login))
            .header("content-type", media)
            .body(body);
        async move { common::answer("shadow/package", request.send().await.unwrap()).await }
    };
    let signed = zemstvo_service::pack(
        host.runtime(),
        &common::income_rule("1-0-0"),
        &zemstvo_registry::VendorId::new("test-vendor").unwrap(),
        &[&zemstvo_registry::SecretKey::from_seed(&[7; 32])],
        semver::Version::new(0, 1, 0),
    )
    .await
    .unwrap()
    .to_bytes();
    let (status, problem) = upload(signed.clone(), "application/octet-stream", "auditor").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = upload(signed.clone(), "application/json", "admin").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    let (status, problem) = upload(
        b"not a package".to_vec(),
        "application/octet-stream",
        "admin",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut changed = signed.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let (status, problem) = upload(changed, "application/octet-stream", "admin").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a changed byte: {problem}"
    );
    assert!(store.shadow("income-rule").await.unwrap().is_none());
    let (status, shadow) = upload(signed, "application/octet-stream", "admin").await;
    assert_eq!(status, StatusCode::CREATED, "{shadow}");
    assert_eq!(shadow["version"], "1.0.0", "{shadow}");
}

on_both_databases!(shadowing_a_rule_over_http, shadow_scenario);
