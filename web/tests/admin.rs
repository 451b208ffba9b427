//! What an administrator, a manager and an employee do over HTTP beyond reading: upload a
//! signed package, keep effective-dated parameters and the trust store current, edit one
//! plugin from two places at once, comment on and reassign tasks, register an application —
//! on SQLite and PostgreSQL, over real HTTP, with every refusal changing nothing.

mod common;

use common::{PLUGIN, Served, answer, serve, token};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zemstvo_registry::manifest::current_host_version;
use zemstvo_registry::{Manifest, Package, SecretKey, VendorId};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

/// The eligibility rule with effective-dated parameters.
const RULE: &str = "yugra-child-allowance";

/// Uploads a package file as `role`.
async fn upload(s: &Served, role: &str, bytes: Vec<u8>, query: &str) -> (StatusCode, Value) {
    let response = s
        .client
        .post(format!("{}/api/v1/packages{query}", s.base))
        .bearer_auth(token(role))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    answer("/api/v1/packages", response).await
}

/// `name`'s reference component signed by `key` for the test vendor, as a package file.
async fn package(name: &str, key: &SecretKey) -> Vec<u8> {
    let component = zemstvo_plugin_artifacts::reference(name)
        .unwrap()
        .bytes
        .to_vec();
    let runtime = zemstvo_host::Runtime::new(zemstvo_host::RuntimeSettings::default()).unwrap();
    let plugin = runtime.load(&component).await.unwrap();
    let manifest = Manifest::from_plugin(
        &plugin,
        &component,
        VendorId::new("test-vendor").unwrap(),
        current_host_version(),
    )
    .unwrap();
    Package::sign(manifest, component, &[key])
        .unwrap()
        .to_bytes()
}

/// The test vendor's key `common::region_with_plugin` trusts.
fn trusted_key() -> SecretKey {
    SecretKey::from_seed(&[7; 32])
}

async fn packages_parameters_and_trust(db: TestDatabase) {
    let s = serve(db).await;
    let before = s.audit_entries().await;

    // Refusals first: nothing changes.
    let key = trusted_key();
    let signed = package(RULE, &key).await;
    let (status, _) = upload(&s, "manager", signed.clone(), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = upload(&s, "admin", b"not a package".to_vec(), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let stranger = SecretKey::from_seed(&[9; 32]);
    let unsigned_by_us = package(RULE, &stranger).await;
    let (status, body) = upload(&s, "admin", unsigned_by_us, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("refused"),
        "{body}"
    );
    let (status, body) = s
        .call(
            "admin",
            Method::POST,
            "/api/v1/plugins",
            Some(json!({"name": RULE})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("registry"),
        "no registry configured: {body}"
    );
    assert_eq!(s.audit_entries().await, before, "refusals changed nothing");
    let (status, _) = s
        .call(
            "admin",
            Method::GET,
            &format!("/api/v1/plugins/{RULE}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The signed package installs, enabled with what it declares; again is a no-op.
    let (status, installed) = upload(
        &s,
        "admin",
        signed.clone(),
        "?enable=true&grant_declared=true",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{installed}");
    assert_eq!(installed["action"], "installed");
    assert_eq!(installed["vendor"], "test-vendor");
    let (status, again) = upload(&s, "admin", signed, "").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["action"], "already_installed");
    let (_, detail) = s
        .call(
            "auditor",
            Method::GET,
            &format!("/api/v1/plugins/{RULE}"),
            None,
        )
        .await;
    assert_eq!(detail["plugin"]["enabled"], true);
    let schema = detail["declarations"]["config_schema"].as_array().unwrap();
    let months = schema
        .iter()
        .find(|p| p["key"] == "schedule-months")
        .unwrap_or_else(|| panic!("{schema:?}"));
    assert_eq!(months["kind"], "integer");
    assert_eq!(months["default"], "12");
    assert_eq!(months["maximum"], 36.0);
    assert!(
        detail["declarations"]["capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("smev.send")),
        "{detail}"
    );

    // Effective-dated parameters: the plugin's history, the region's entry, its removal.
    let parameters = format!("/api/v1/plugins/{RULE}/parameters");
    let (status, list) = s.call("manager", Method::GET, &parameters, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let amount = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["history"].as_array().unwrap().len() == 2)
        .expect("an amount indexed from 2026")
        .clone();
    let name = amount["name"].as_str().unwrap().to_string();
    assert!(
        amount["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["source"] == "plugin")
    );
    let one = format!("{parameters}/{name}");
    let entry = json!({"from": "2027-01-01", "value": 3300.5, "legal_basis": "Закон ХМАО – Югры № 45-оз; индексация с 01.01.2027"});
    let (status, _) = s
        .call("manager", Method::PUT, &one, Some(entry.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (bad, field) in [
        (
            json!({"from": "01.01.2027", "value": 1.0, "legal_basis": "x"}),
            "from",
        ),
        (
            json!({"from": "2027-01-01", "value": 1.0, "legal_basis": "  "}),
            "legal_basis",
        ),
        (
            json!({"from": "2027-01-01", "value": 1.0, "unit": "USD", "legal_basis": "x"}),
            "unit",
        ),
    ] {
        let (status, body) = s.call("admin", Method::PUT, &one, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, body) = s
        .call(
            "admin",
            Method::PUT,
            &format!("{parameters}/no-such-parameter"),
            Some(entry.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, set) = s
        .call("admin", Method::PUT, &one, Some(entry.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{set}");
    let last = set["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["from"], "2027-01-01");
    assert_eq!(last["value"], 3300.5);
    assert_eq!(last["source"], "region");
    assert_eq!(last["added_by"], "user:admin");
    let (status, _) = s.call("admin", Method::PUT, &one, Some(entry)).await;
    assert_eq!(status, StatusCode::OK, "the same day again replaces");
    let (status, removed) = s
        .call("admin", Method::DELETE, &format!("{one}/2027-01-01"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["history"].as_array().unwrap().len(), 2);
    let (status, _) = s
        .call("admin", Method::DELETE, &format!("{one}/2019-01-01"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the plugin's own entries cannot be removed"
    );

    // The trust store: the auditor reads it, only the administrator changes it.
    let (status, trust) = s.call("auditor", Method::GET, "/api/v1/trust", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trust["keys"].as_array().unwrap().len(), 1);
    let (status, _) = s.call("employee", Method::GET, "/api/v1/trust", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let newcomer = SecretKey::from_seed(&[11; 32]).public_key();
    let add =
        json!({"public_key": newcomer.to_string(), "vendor": "other-vendor", "scope": ["isu-*"]});
    let (status, _) = s
        .call(
            "auditor",
            Method::POST,
            "/api/v1/trust/keys",
            Some(add.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = s
        .call(
            "admin",
            Method::POST,
            "/api/v1/trust/keys",
            Some(json!({"public_key": "ed25519:zz", "vendor": "v"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "public_key");
    let (status, trust) = s
        .call(
            "admin",
            Method::POST,
            "/api/v1/trust/keys",
            Some(add.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{trust}");
    let id = newcomer.key_id().to_string();
    let added = trust["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(added["scope"], json!(["isu-*"]));
    let revoke = format!("/api/v1/trust/keys/{id}/revoke");
    let (status, body) = s
        .call("admin", Method::POST, &revoke, Some(json!({"reason": " "})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, trust) = s
        .call(
            "admin",
            Method::POST,
            &revoke,
            Some(json!({"reason": "ключ утёк"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trust}");
    assert_eq!(trust["revocations"][0]["key_id"], id.as_str());
    let (status, body) = s
        .call("admin", Method::POST, "/api/v1/trust/keys", Some(add))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a revoked key cannot be trusted again: {body}"
    );
    let (status, _) = s
        .call(
            "admin",
            Method::DELETE,
            &format!(
                "/api/v1/trust/keys/{}",
                SecretKey::from_seed(&[12; 32]).public_key().key_id()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let log = s.db.store().await.audit_log(None, 1_000).await.unwrap();
    for action in ["install", "parameter-set", "trust-add", "trust-revoke"] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.actor == "user:admin"),
            "{action} in the audit log with its actor: {log:?}"
        );
    }
}
on_both_databases!(
    packages_parameters_and_the_trust_store_change_over_http,
    packages_parameters_and_trust
);

/// Two administrators change one plugin at once from the same revision: one wins, the other
/// gets 412 and its change is not applied — the comparison is inside the change's transaction.
async fn concurrent_edits(db: TestDatabase) {
    let s = serve(db).await;
    let plugin = format!("/api/v1/plugins/{PLUGIN}");
    for round in 0..10 {
        let (_, current) = s.call("admin", Method::GET, &plugin, None).await;
        let revision = current["plugin"]["revision"].as_str().unwrap().to_string();
        let edit = |value: &'static str| {
            s.client
                .put(format!("{}{plugin}/schedule", s.base))
                .bearer_auth(token("admin"))
                .header("if-match", &revision)
                .json(&json!({"cron": value}))
                .send()
        };
        let (a, b) = tokio::join!(edit("0 7 * * 1-5"), edit("0 8 * * 1-5"));
        let (a, b) = (a.unwrap().status(), b.unwrap().status());
        let mut statuses = [a.as_u16(), b.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}: {a} {b}");
    }
    // A malformed If-Match names no revision: refused.
    let response = s
        .client
        .post(format!("{}{plugin}/disable", s.base))
        .bearer_auth(token("admin"))
        .header("if-match", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
}
on_both_databases!(
    two_editors_of_one_revision_one_wins_the_other_gets_412,
    concurrent_edits
);

async fn tasks_and_applications(db: TestDatabase) {
    let s = serve(db).await;
    let (_, mine) = s.call("employee", Method::GET, "/api/v1/tasks", None).await;
    let task = mine[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tasks/{task}");

    // Comments: the assignee writes; blank or huge is refused; the auditor may not.
    let (status, body) = s
        .call(
            "employee",
            Method::POST,
            &format!("{path}/comments"),
            Some(json!({"body": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "body");
    let (status, _) = s
        .call(
            "employee",
            Method::POST,
            &format!("{path}/comments"),
            Some(json!({"body": "ж".repeat(2_001)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = s
        .call(
            "auditor",
            Method::POST,
            &format!("{path}/comments"),
            Some(json!({"body": "ok"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, comment) = s
        .call(
            "employee",
            Method::POST,
            &format!("{path}/comments"),
            Some(json!({"body": "Позвонила заявителю, документы будут завтра"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let (_, detail) = s.call("manager", Method::GET, &path, None).await;
    assert_eq!(
        detail["comments"][0]["body"],
        "Позвонила заявителю, документы будут завтра"
    );
    assert_eq!(detail["comments"][0]["actor"], "user:employee");

    // Reassignment: the manager within their unit; never the employee; never outside.
    let store = s.db.store().await;
    let unit = store.unit_staff(s.manager).await.unwrap();
    let colleague = *unit
        .iter()
        .find(|e| **e != s.employee && **e != s.manager)
        .expect("a colleague in the unit");
    let reassign = format!("{path}/assignee");
    let (status, _) = s
        .call(
            "employee",
            Method::POST,
            &reassign,
            Some(json!({"assignee": colleague})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let outsider = store
        .tasks(&Default::default())
        .await
        .unwrap()
        .iter()
        .map(|t| t.assignee)
        .find(|a| !unit.contains(a))
        .expect("an employee outside the manager's unit");
    let (status, body) = s
        .call(
            "manager",
            Method::POST,
            &reassign,
            Some(json!({"assignee": outsider})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "assignee");
    let (status, moved) = s
        .call(
            "manager",
            Method::POST,
            &reassign,
            Some(json!({"assignee": colleague, "reason": "в отпуске"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["assignee"], colleague);
    let (status, _) = s.call("employee", Method::GET, &path, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the former assignee no longer sees it"
    );
    let (_, detail) = s.call("manager", Method::GET, &path, None).await;
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["assignee"], colleague);
    assert_eq!(last["reason"], "в отпуске");
    let (_, filtered) = s
        .call(
            "manager",
            Method::GET,
            &format!("/api/v1/tasks?assignee={colleague}"),
            None,
        )
        .await;
    assert!(
        filtered
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["assignee"] == colleague)
            && filtered.as_array().unwrap().iter().any(|t| t["id"] == task),
        "{filtered}"
    );

    // An application: the employee registers one; bad ones change nothing.
    // The demo region's citizens are numbered from 1.
    let citizen = (1,);
    let before = s.audit_entries().await;
    let good = json!({"citizen": citizen.0, "measure": "disabled-child-allowance", "channel": "portal",
                      "fields": {"child_birth_date": "2015-04-01"}});
    for (bad, field) in [
        (
            json!({"citizen": 999_999_999, "measure": "m", "channel": "portal"}),
            "citizen",
        ),
        (
            json!({"citizen": citizen.0, "measure": "Bad Measure", "channel": "portal"}),
            "measure",
        ),
        (
            json!({"citizen": citizen.0, "measure": "m", "channel": "fax"}),
            "channel",
        ),
        (
            json!({"citizen": citizen.0, "measure": "m", "channel": "mfc", "term_days": 0}),
            "term_days",
        ),
    ] {
        let (status, body) = s
            .call("employee", Method::POST, "/api/v1/applications", Some(bad))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, _) = s
        .call(
            "auditor",
            Method::POST,
            "/api/v1/applications",
            Some(good.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(s.audit_entries().await, before, "refusals changed nothing");
    let (status, registered) = s
        .call("employee", Method::POST, "/api/v1/applications", Some(good))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(
        registered["rules"],
        json!([]),
        "no rule for the measure is installed here"
    );
    let id = registered["id"].as_i64().unwrap();
    let (status, case) = s
        .call(
            "manager",
            Method::GET,
            registered["case"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["application_status"], "registered");
    assert_eq!(case["cases"], json!([]), "no rule called yet");
    let (status, _) = s
        .call("manager", Method::GET, "/api/v1/cases/999999999", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(registered["number"], format!("З-{id}"));
    let fields = store.application_fields(id as u64).await.unwrap();
    assert_eq!(
        fields,
        vec![("child_birth_date".to_string(), "2015-04-01".to_string())]
    );
    let (status, second) = s
        .call(
            "manager",
            Method::POST,
            "/api/v1/applications",
            Some(
                json!({"citizen": citizen.0, "measure": "m", "channel": "mfc", "number": "МФЦ-1"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["id"].as_i64().unwrap(), id + 1);
    assert_eq!(second["number"], "МФЦ-1");
}
on_both_databases!(
    tasks_take_comments_and_reassignment_and_applications_register,
    tasks_and_applications
);
