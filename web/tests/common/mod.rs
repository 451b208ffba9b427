//! What the web service's tests share: a demo region with one reference plugin installed by a
//! trusted test vendor, users with known tokens, and the API served on a free port.

#![allow(dead_code)]

use std::sync::Arc;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::{HostSettings, InstallOptions, RegionHost, SmevSettings};
use zemstvo_store::Store;
use zemstvo_store::accounts::{NewUser, Role};
use zemstvo_store::load::RegionInfo;
use zemstvo_store::testing::TestDatabase;
use zemstvo_web::WebState;
use zemstvo_web::auth::{hash_password, hash_secret};

pub const NOW: i64 = 1_795_413_600;
/// The daily briefing gives every specialist a task, so employees and managers have some.
pub const PLUGIN: &str = "isu-daily-briefing";
/// Every test user's password.
pub const PASSWORD: &str = "a long enough password";

/// The API token of the test user `login`.
pub fn token(login: &str) -> String {
    format!("token-of-the-{login}")
}

/// A small demo region in `db` with [`PLUGIN`] installed and enabled, and its host.
pub async fn region_with_plugin(db: &TestDatabase) -> (Store, Arc<RegionHost>) {
    region_with_plugin_at(db, DemoScale::SMALL, NOW).await
}

/// A demo region of `scale` generated at `now` in `db`, with [`PLUGIN`] installed and enabled.
pub async fn region_with_plugin_at(
    db: &TestDatabase,
    scale: DemoScale,
    now: i64,
) -> (Store, Arc<RegionHost>) {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "demo".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(scale, 11, now), &|_, _| {})
        .await
        .unwrap();
    let settings = HostSettings {
        host_id: "host-a".into(),
        smev: SmevSettings::None,
        ..HostSettings::default()
    };
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    let host = Arc::new(
        RegionHost::open(store.clone(), runtime, settings)
            .await
            .unwrap(),
    );
    install_signed(
        &host,
        zemstvo_plugin_artifacts::reference(PLUGIN).unwrap().bytes,
    )
    .await;
    (store, host)
}

/// Installs `component` signed by a test vendor the region trusts, enabled with the grants it
/// declares.
pub async fn install_signed(host: &RegionHost, component: &[u8]) {
    let key = SecretKey::from_seed(&[7; 32]);
    let vendor = VendorId::new("test-vendor").unwrap();
    host.installations()
        .update_trust("test", "trust-add", json!({}), |t| {
            t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()])
        })
        .await
        .unwrap();
    let options = InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "test".into(),
        ..InstallOptions::default()
    };
    zemstvo_service::pack_and_install(host, component, &vendor, &key, &options)
        .await
        .unwrap();
}

/// The test income rule at `version` (`1-0-0`, `1-1-0`): 1.0.0 approves an income up to
/// 30,000 rubles, 1.1.0 up to 25,000.
pub fn income_rule(version: &str) -> Vec<u8> {
    zemstvo_plugin_artifacts::fixture(&format!("fixture-income-rule-v{version}"))
}

/// Installs income rule 1.0.0 as the live version, with 1.1.0 held by the region beside it: a
/// candidate that decides otherwise, for replays and shadows.
pub async fn income_rule_live_with_candidate(host: &RegionHost) {
    install_signed(host, &income_rule("1-0-0")).await;
    install_signed(host, &income_rule("1-1-0")).await;
    host.installations()
        .rollback("income-rule", &Default::default())
        .await
        .unwrap();
}

/// Submits an application for the income rule's measure with `income` (rubles) in its form;
/// returns its id.
pub async fn submit_income(store: &Store, income: &str) -> u64 {
    store
        .submit_application(
            &zemstvo_store::eligibility::NewApplication {
                citizen: 1,
                measure: "test-allowance".into(),
                channel: "portal".into(),
                number: None,
                term_days: 10,
                fields: vec![("income".into(), income.into())],
            },
            "test",
        )
        .await
        .unwrap()
        .id
}

/// Adds a user with [`PASSWORD`] and the API token [`token`]`(login)`.
pub async fn add_user(store: &Store, login: &str, role: Role, employee_id: Option<u64>) {
    store
        .add_user(
            &NewUser {
                login: login.into(),
                full_name: format!("{login} user"),
                role,
                employee_id,
                password_hash: Some(hash_password(PASSWORD).unwrap()),
            },
            "test",
        )
        .await
        .unwrap();
    store
        .add_token(login, "test", &hash_secret(&token(login)), NOW * 2, "test")
        .await
        .unwrap();
}

/// Serves the API over `host` on a free port until the returned sender is dropped.
pub async fn serve_api(host: Arc<RegionHost>) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(zemstvo_web::serve(
        listener,
        Arc::new(WebState::new(host)),
        async {
            let _ = stopped.await;
        },
    ));
    (base, stop)
}

/// A region served on an ephemeral port: the plugin run once, a token per role.
pub struct Served {
    pub base: String,
    pub client: Client,
    pub db: TestDatabase,
    /// The employee's employee id, and their manager's.
    pub employee: u64,
    pub manager: u64,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Serves a region in `db` with [`PLUGIN`] run once (so that there are tasks), and users
/// `admin`, `manager`, `employee` (one of the tasks' assignee and their manager) and `auditor`.
pub async fn serve(db: TestDatabase) -> Served {
    // The recorder first, as `zemstvo serve` does, so that the run below is counted.
    let _ = zemstvo_web::metrics_handle();
    let (store, host) = region_with_plugin(&db).await;
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();
    let outcome = host.runs().run_next().await.unwrap().unwrap();
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    let tasks = store.tasks(&Default::default()).await.unwrap();
    let task = tasks
        .iter()
        .find(|t| t.overseer.is_some())
        .expect("a task with an overseer");
    let (employee, manager) = (task.assignee, task.overseer.unwrap());
    add_user(&store, "admin", Role::Administrator, None).await;
    add_user(&store, "manager", Role::Manager, Some(manager)).await;
    add_user(&store, "employee", Role::Employee, Some(employee)).await;
    add_user(&store, "auditor", Role::Auditor, None).await;
    let (base, stop) = serve_api(host).await;
    Served {
        base,
        client: Client::new(),
        db,
        employee,
        manager,
        _stop: stop,
    }
}

impl Served {
    /// Calls the API as `role` (a login whose token [`token`] makes), or anonymously.
    pub async fn call<'a>(
        &self,
        role: impl Into<Option<&'a str>>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(role) = role.into() {
            request = request.bearer_auth(token(role));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(path, request.send().await.unwrap()).await
    }

    pub async fn audit_entries(&self) -> usize {
        self.db
            .store()
            .await
            .audit_log(None, 100_000)
            .await
            .unwrap()
            .len()
    }
}

/// The status and JSON body of a response; every error must be a problem document.
pub async fn answer(path: &str, response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let text = response.text().await.unwrap();
    if status.is_client_error() || status.is_server_error() {
        assert!(
            problem,
            "{path}: {status} is not a problem document: {text}"
        );
    }
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
