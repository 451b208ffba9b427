//! The API over real HTTP on an ephemeral port, on SQLite and PostgreSQL: a region with the
//! reference plugin run once, one user per role, and what each of them sees and may change;
//! bad input of every kind answered with a problem document and nothing changed.

mod common;

use common::{PASSWORD, PLUGIN, serve, token};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

/// Every endpoint × every role: who may, who gets 403.
async fn role_matrix(db: TestDatabase) {
    let s = serve(db).await;
    let all = ["admin", "manager", "employee", "auditor"];
    let reads: &[(&str, &[&str])] = &[
        ("/api/v1/plugins", &["admin", "manager", "auditor"]),
        (
            &format!("/api/v1/plugins/{PLUGIN}"),
            &["admin", "manager", "auditor"],
        ),
        ("/api/v1/runs", &["admin", "manager", "auditor"]),
        ("/api/v1/tasks", &all),
        ("/api/v1/analytics/tasks", &["admin", "manager", "auditor"]),
        ("/api/v1/analytics/smev", &["admin", "manager", "auditor"]),
        (
            "/api/v1/analytics/correlation",
            &["admin", "manager", "auditor"],
        ),
        ("/api/v1/users", &["admin"]),
        ("/api/v1/tokens", &["admin"]),
        ("/api/v1/audit", &["admin", "auditor"]),
        ("/api/v1/audit/verify", &["admin", "auditor"]),
        ("/api/v1/audit/records", &["admin", "auditor"]),
        ("/api/v1/cases", &["admin", "manager", "auditor"]),
        ("/api/v1/session", &all),
        ("/api/v1/trust", &["admin", "auditor"]),
        (
            &format!("/api/v1/plugins/{PLUGIN}/parameters"),
            &["admin", "manager", "auditor"],
        ),
    ];
    for (path, allowed) in reads {
        for role in all {
            let (status, body) = s.call(Some(role), Method::GET, path, None).await;
            if allowed.contains(&role) {
                assert_eq!(status, StatusCode::OK, "{role} GET {path}: {body}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} GET {path}: {body}");
                assert!(
                    body["detail"].as_str().unwrap().contains(role_name(role)),
                    "{body}"
                );
            }
        }
        let (status, _) = s.call(None::<&str>, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous GET {path}");
    }
    // Changes: only the administrator; the others get 403 and nothing changes.
    let before = s.audit_entries().await;
    let changes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, format!("/api/v1/plugins/{PLUGIN}/runs"), None),
        (
            Method::POST,
            format!("/api/v1/plugins/{PLUGIN}/disable"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/plugins/{PLUGIN}/schedule"),
            Some(json!({"cron": "0 7 * * 1-5"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/plugins/{PLUGIN}/grants"),
            Some(json!({"capabilities": ["data.smev"]})),
        ),
        (
            Method::PUT,
            format!("/api/v1/plugins/{PLUGIN}/config"),
            Some(json!({"settings": {}})),
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"login": "x1", "full_name": "X", "role": "auditor"})),
        ),
        (
            Method::POST,
            "/api/v1/users/auditor/tokens".into(),
            Some(json!({"name": "portal"})),
        ),
        (Method::POST, format!("/api/v1/plugins/{PLUGIN}/pin"), None),
        (
            Method::POST,
            format!("/api/v1/plugins/{PLUGIN}/unpin"),
            None,
        ),
    ];
    for role in ["manager", "employee", "auditor"] {
        for (method, path, body) in &changes {
            let (status, answer) = s.call(Some(role), method.clone(), path, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} {method} {path}: {answer}"
            );
        }
    }
    assert_eq!(
        s.audit_entries().await,
        before,
        "a refused change wrote nothing"
    );
    for (method, path, body) in &changes {
        let (status, answer) = s
            .call(Some("admin"), method.clone(), path, body.clone())
            .await;
        assert!(
            status.is_success(),
            "admin {method} {path}: {status} {answer}"
        );
    }
    assert!(s.audit_entries().await > before);

    // Tasks: the employee sees their own, the manager their unit's, the auditor all.
    let (_, mine) = s
        .call(Some("employee"), Method::GET, "/api/v1/tasks", None)
        .await;
    let mine = mine.as_array().unwrap().clone();
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|t| t["assignee"] == json!(s.employee)),
        "{mine:?}"
    );
    let (_, unit) = s
        .call(Some("manager"), Method::GET, "/api/v1/tasks", None)
        .await;
    let unit = unit.as_array().unwrap().clone();
    assert!(unit.len() >= mine.len());
    assert!(unit.iter().any(|t| t["assignee"] == json!(s.employee)));
    let (_, every) = s
        .call(
            Some("auditor"),
            Method::GET,
            "/api/v1/tasks?limit=500",
            None,
        )
        .await;
    let every = every.as_array().unwrap().clone();
    assert!(every.len() >= unit.len());
    // Another employee's task by id: 404, as if it did not exist.
    let other = every
        .iter()
        .find(|t| t["assignee"] != json!(s.employee))
        .expect("a task of someone else");
    let path = format!("/api/v1/tasks/{}", other["id"]);
    let (status, _) = s.call(Some("employee"), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .call(
            Some("employee"),
            Method::POST,
            &format!("{path}/status"),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An employee may not widen their scope.
    let (status, _) = s
        .call(
            Some("employee"),
            Method::GET,
            "/api/v1/tasks?scope=all",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Their own task: take into work, then done; the auditor may not.
    let own = format!("/api/v1/tasks/{}/status", mine[0]["id"]);
    let (status, _) = s
        .call(
            Some("auditor"),
            Method::POST,
            &own,
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, task) = s
        .call(
            Some("employee"),
            Method::POST,
            &own,
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(task["status"], "in_progress");
    let (status, problem) = s
        .call(
            Some("employee"),
            Method::POST,
            &own,
            Some(json!({"status": "rejected"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "status");
}
on_both_databases!(
    every_endpoint_answers_each_role_as_the_policy_says,
    role_matrix
);

fn role_name(login: &str) -> &'static str {
    match login {
        "admin" => "administrator",
        "manager" => "manager",
        "employee" => "employee",
        _ => "auditor",
    }
}

/// Bad input of every kind: a problem document naming what to fix, and nothing changed.
async fn bad_input(db: TestDatabase) {
    let s = serve(db).await;
    let before = s.audit_entries().await;
    let plugin = format!("/api/v1/plugins/{PLUGIN}");
    let send = |method: Method, path: String, body: &'static str, content_type: &'static str| {
        let request = s
            .client
            .request(method, format!("{}{path}", s.base))
            .bearer_auth(token("admin"))
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let ct = response.headers().get("content-type").cloned();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_eq!(ct.unwrap(), "application/problem+json", "{body}");
            (status, body)
        }
    };
    let (status, body) = send(
        Method::PUT,
        format!("{plugin}/schedule"),
        "{not json",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = send(
        Method::PUT,
        format!("{plugin}/schedule"),
        r#"{"cron": 7}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("cron"), "{body}");
    let (status, body) = send(
        Method::PUT,
        format!("{plugin}/schedule"),
        r#"{"cron": "every day"}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "cron");
    let (status, _) = send(
        Method::PUT,
        format!("{plugin}/schedule"),
        r#"{"cron": null, "extra": 1}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        Method::PUT,
        format!("{plugin}/schedule"),
        r#"{"cron": null}"#,
        "text/plain",
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = send(
        Method::PUT,
        format!("{plugin}/grants"),
        r#"{"capabilities": ["root"]}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "capabilities");
    let (status, body) = send(
        Method::PUT,
        format!("{plugin}/config"),
        r#"{"settings": {"no-such-key": "1"}}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = send(
        Method::POST,
        "/api/v1/plugins/no-such-plugin/disable".into(),
        "",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        Method::GET,
        "/api/v1/tasks/not-a-number".into(),
        "",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(
        Method::GET,
        "/api/v1/runs?limit=100000".into(),
        "",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "limit");
    let (status, _) = send(
        Method::GET,
        "/api/v1/no-such-thing".into(),
        "",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        Method::DELETE,
        "/api/v1/plugins".into(),
        "",
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let huge: &'static str = Box::leak(
        format!(r#"{{"settings": {{"k": "{}"}}}}"#, "x".repeat(1 << 20)).into_boxed_str(),
    );
    // On a connection of its own: the service answers before reading such a body and closes
    // the connection, which a pooled client would otherwise reuse.
    let response = Client::new()
        .put(format!("{}{plugin}/config", s.base))
        .bearer_auth(token("admin"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A stale If-Match.
    let (_, current) = s.call(Some("admin"), Method::GET, &plugin, None).await;
    let revision = current["plugin"]["revision"].as_str().unwrap().to_string();
    let stale = s
        .client
        .post(format!("{}{plugin}/disable", s.base))
        .bearer_auth(token("admin"))
        .header("if-match", "\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // A wrong or revoked token.
    let (status, _) = s
        .call(Some("nobody"), Method::GET, "/api/v1/plugins", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.audit_entries().await, before, "bad input changed nothing");
    let (_, after) = s.call(Some("admin"), Method::GET, &plugin, None).await;
    assert_eq!(after["plugin"]["revision"], revision);
    // The matching If-Match goes through and changes the revision.
    let fresh = s
        .client
        .post(format!("{}{plugin}/disable", s.base))
        .bearer_auth(token("admin"))
        .header("if-match", &revision)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    let etag = fresh
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(etag, revision);
}
on_both_databases!(
    bad_input_is_a_problem_document_and_changes_nothing,
    bad_input
);

/// A browser session: password sign-in, the CSRF token on changes, throttled failures,
/// sign-out.
async fn sessions(db: TestDatabase) {
    let s = serve(db).await;
    let client = Client::new();
    let url = |p: &str| format!("{}{p}", s.base);
    let sign_in = |password: &'static str| {
        client
            .post(url("/api/v1/session"))
            .json(&json!({"login": "admin", "password": password}))
            .send()
    };
    let response = sign_in(PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    let csrf = body["csrf"].as_str().unwrap().to_string();
    let disable = url(&format!("/api/v1/plugins/{PLUGIN}/disable"));
    let without = client
        .post(&disable)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let with = client
        .post(&disable)
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::OK);
    let out = client
        .delete(url("/api/v1/session"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let ended = client
        .get(url("/api/v1/plugins"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED);
    // Five wrong passwords, then even the right one waits.
    for _ in 0..5 {
        assert_eq!(
            sign_in("wrong password!").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = sign_in(PASSWORD).await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().get("retry-after").is_some());
}
on_both_databases!(
    a_session_signs_in_needs_csrf_for_changes_and_signs_out,
    sessions
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route_and_the_reference_page_ships_inside() {
    let s = serve(TestDatabase::sqlite().await).await;
    let doc: Value = s
        .client
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/plugins/{name}/config",
        "/api/v1/tasks/{id}/status",
        "/api/v1/analytics/smev",
        "/api/v1/audit",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let page = s
        .client
        .get(format!("{}/api/v1/docs", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/api/v1/openapi.json"));
    assert!(
        !page.contains("https://"),
        "the reference page loads nothing from the internet"
    );
    let metrics = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("zemstvo_http_requests_total"), "{metrics}");
    // The region's run was counted by the host beside the API.
    assert!(
        metrics.contains("zemstvo_runs_total{plugin=\"isu-daily-briefing\",status=\"succeeded\"}"),
        "{metrics}"
    );
    // Each answer carries its request's id: the caller's, or one made for it.
    let echoed = s
        .client
        .get(format!("{}/healthz", s.base))
        .header("x-request-id", "portal-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "portal-42");
    let made = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(made.headers()["x-request-id"].len(), 36, "a UUID");
    let (_, plugins) = s
        .call("auditor", Method::GET, "/api/v1/plugins", None)
        .await;
    assert!(
        plugins[0]["signer"].as_str().is_some_and(|k| !k.is_empty()),
        "the signer's key id is shown: {plugins}"
    );
    assert_eq!(
        s.client
            .get(format!("{}/readyz", s.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
