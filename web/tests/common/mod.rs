//! What the web service's tests share: a demo region with one reference plugin installed by a
//! trusted test vendor, users with known tokens, and the API served on a free port.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::json;
use zemstvo_host::region::demo::{DemoScale, demo_region};
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
        .load_region(&demo_region(DemoScale::SMALL, 11, NOW), &|_, _| {})
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
    let key = SecretKey::from_seed(&[7; 32]);
    let vendor = VendorId::new("test-vendor").unwrap();
    host.update_trust("test", "trust-add", json!({}), |t| {
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
    host.install_signed_by(
        zemstvo_plugin_artifacts::reference(PLUGIN).unwrap().bytes,
        &vendor,
        &key,
        &options,
    )
    .await
    .unwrap();
    (store, host)
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
