//! A region installs, upgrades, pins and rolls back signed plugins from a real registry on
//! loopback, or from an air-gapped mirror; refuses what its trust store does not accept,
//! changing nothing; and keeps running installed plugins when the registry is away.

use std::sync::Arc;

use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{FailureReason, Runtime, RuntimeSettings};
use zemstvo_registry::api::NewVendor;
use zemstvo_registry::manifest::current_host_version;
use zemstvo_registry::server::{self, AdminToken, AppState, ServerSettings};
use zemstvo_registry::{
    Client, Manifest, NamePattern, Package, PackageSource, PackageSpec, SecretKey, TrustError,
    VendorId,
};
use zemstvo_service::{
    HostSettings, InstallAction, InstallError, InstallOptions, RegionHost, SmevSettings,
};
use zemstvo_store::load::RegionInfo;
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

const NOW: i64 = 1_795_413_600;
const PLUGIN: &str = "versioned-check";
const VENDOR: &str = "lipetsk-soft";

/// A registry on a loopback port, with the vendor registered, serving until dropped.
struct Registry {
    url: String,
    store: zemstvo_registry::store::Store,
    admin: Client,
    key: SecretKey,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn registry() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let store = zemstvo_registry::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("registry.db").display()
    ))
    .await
    .unwrap();
    let token = AdminToken::generate().unwrap();
    let state = AppState::new(store.clone(), &token, ServerSettings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, state, async {
        let _ = stopped.await;
    }));
    let admin = Client::new(&url).unwrap().with_admin_token(token.as_str());
    let vendor = VendorId::new(VENDOR).unwrap();
    admin
        .add_vendor(&NewVendor {
            id: vendor.clone(),
            display_name: None,
            scope: Some(vec![NamePattern::new("versioned-*").unwrap()]),
        })
        .await
        .unwrap();
    let key = SecretKey::generate().unwrap();
    admin.add_key(&vendor, &key.public_key()).await.unwrap();
    Registry {
        url,
        store,
        admin,
        key,
        _dir: dir,
        _stop: stop,
    }
}

/// Packs and publishes the fixture built at `version` (1.0.0, 1.2.0 or 1.3.0).
async fn publish(r: &Registry, runtime: &Runtime, version: &str) {
    let fixture = match version {
        "1.0.0" => "fixture-versioned-v1-0-0",
        "1.2.0" => "fixture-versioned-v1-2-0",
        "1.3.0" => "fixture-versioned-v1-3-0",
        other => panic!("no fixture builds versioned-check {other}"),
    };
    let component = zemstvo_plugin_artifacts::fixture(fixture);
    let plugin = runtime.load(&component).await.unwrap();
    let manifest = Manifest::from_plugin(
        &plugin,
        &component,
        VendorId::new(VENDOR).unwrap(),
        current_host_version(),
    )
    .unwrap();
    let package = Package::sign(manifest, component, &[&r.key]).unwrap();
    r.admin
        .publish(package.to_bytes(), &r.key, &mut |_| {})
        .await
        .unwrap();
}

async fn region(db: &TestDatabase) -> (Store, RegionHost) {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "lipetsk".into(),
            name: "Липецкая область".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(DemoScale::SMALL, 2, NOW), &|_, _| {})
        .await
        .unwrap();
    let settings = HostSettings {
        host_id: "region-host".into(),
        smev: SmevSettings::None,
        ..HostSettings::default()
    };
    let host = RegionHost::open(
        store.clone(),
        Arc::new(Runtime::new(RuntimeSettings::default()).unwrap()),
        settings,
    )
    .await
    .unwrap();
    (store, host)
}

async fn trust(host: &RegionHost, key: &SecretKey, scope: &str) {
    host.installations()
        .update_trust("admin", "trust-add", serde_json::json!({}), |t| {
            t.trust(
                key.public_key(),
                VendorId::new(VENDOR).unwrap(),
                vec![NamePattern::new(scope).unwrap()],
            )
        })
        .await
        .unwrap();
}

fn spec(s: &str) -> PackageSpec {
    s.parse().unwrap()
}

fn options() -> InstallOptions {
    InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "admin".into(),
        ..InstallOptions::default()
    }
}

async fn installed(store: &Store) -> String {
    store.installation(PLUGIN).await.unwrap().unwrap().version
}

async fn install_upgrade_rollback(db: TestDatabase) {
    let r = registry().await;
    let runtime = Runtime::new(RuntimeSettings::default()).unwrap();
    for v in ["1.0.0", "1.2.0", "1.3.0"] {
        publish(&r, &runtime, v).await;
    }
    let (store, host) = region(&db).await;
    let source = PackageSource::open(&r.url).unwrap();

    let refused = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@^1.2"),
            &options(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, InstallError::NoTrustedKeys), "{refused}");
    trust(&host, &r.key, "versioned-*").await;

    let first = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@=1.2.0"),
            &options(),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        (first.action.clone(), first.version.as_str()),
        (InstallAction::Installed, "1.2.0")
    );
    assert_eq!(first.vendor, VENDOR);

    let up = host
        .installations()
        .install_from(&source, &spec("versioned-check"), &options(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        (up.action, up.version.as_str(), up.previous.as_deref()),
        (InstallAction::Upgraded, "1.3.0", Some("1.2.0"))
    );

    let back = host
        .installations()
        .rollback(PLUGIN, &options())
        .await
        .unwrap();
    assert_eq!(
        (back.action, back.version.as_str()),
        (InstallAction::RolledBack, "1.2.0")
    );

    let down = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@=1.0.0"),
            &options(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        down.to_string().contains("needs --allow-downgrade"),
        "{down}"
    );
    assert_eq!(
        installed(&store).await,
        "1.2.0",
        "a refused downgrade changes nothing"
    );
    let allowed = InstallOptions {
        allow_downgrade: true,
        ..options()
    };
    let forced = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@=1.0.0"),
            &allowed,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(forced.action, InstallAction::Downgraded);

    store.set_pinned(PLUGIN, true, "admin").await.unwrap();
    let pinned = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@^1.3"),
            &options(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(pinned, InstallError::Pinned { .. }), "{pinned}");
    assert_eq!(installed(&store).await, "1.0.0");

    let actions: Vec<String> = store
        .history(PLUGIN)
        .await
        .unwrap()
        .into_iter()
        .map(|h| format!("{} {}", h.action, h.version))
        .collect();
    assert_eq!(
        actions,
        [
            "install 1.2.0",
            "upgrade 1.3.0",
            "rollback 1.2.0",
            "downgrade 1.0.0"
        ]
    );

    // The registry goes away: the installed plugin keeps running; installs say why they fail.
    drop(r);
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();
    let outcome = host
        .runs()
        .run_next()
        .await
        .unwrap()
        .expect("the installed plugin runs");
    assert!(outcome.report.succeeded(), "{:?}", outcome.report.failure());
    match &outcome.report.status {
        zemstvo_host::RunStatus::Succeeded { summary } => {
            assert_eq!(summary.message, "version 1.0.0")
        }
        other => panic!("{other:?}"),
    }
    store.set_pinned(PLUGIN, false, "admin").await.unwrap();
    let down = host
        .installations()
        .install_from(&source, &spec("versioned-check"), &options(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(down, InstallError::Source(_)), "{down}");
    assert_eq!(installed(&store).await, "1.0.0");
}
on_both_databases!(
    a_region_installs_upgrades_rolls_back_and_survives_the_registry_going_away,
    install_upgrade_rollback
);

async fn refusals_change_nothing(db: TestDatabase) {
    let r = registry().await;
    let runtime = Runtime::new(RuntimeSettings::default()).unwrap();
    publish(&r, &runtime, "1.2.0").await;
    let (store, host) = region(&db).await;
    let source = PackageSource::open(&r.url).unwrap();

    // A key the region does not trust.
    let stranger = SecretKey::generate().unwrap();
    trust(&host, &stranger, "*").await;
    let unknown = host
        .installations()
        .install_from(&source, &spec(PLUGIN), &options(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, InstallError::Trust(TrustError::UnknownKey { .. })),
        "{unknown}"
    );

    // The vendor's key, but trusted only for other names.
    trust(&host, &r.key, "isu-*").await;
    let scope = host
        .installations()
        .install_from(&source, &spec(PLUGIN), &options(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(scope, InstallError::Trust(TrustError::OutsideScope { .. })),
        "{scope}"
    );
    assert!(
        store.installation(PLUGIN).await.unwrap().is_none(),
        "nothing was installed"
    );
    assert!(
        store.package_versions(PLUGIN).await.unwrap().is_empty(),
        "nothing was stored"
    );

    // Trusted properly, it installs; once the registry revokes the key, the region learns it
    // at the next install and the plugin stops loading.
    trust(&host, &r.key, "versioned-*").await;
    host.installations()
        .install_from(&source, &spec(PLUGIN), &options(), &mut |_| {})
        .await
        .unwrap();
    r.admin.revoke_key(&r.key.key_id(), "leaked").await.unwrap();
    let revoked = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@=1.2.0"),
            &options(),
            &mut |_| {},
        )
        .await;
    assert!(
        revoked.is_ok(),
        "the same version is already installed: {revoked:?}"
    );
    let trust_store = host.installations().trust_store().await.unwrap();
    assert!(
        trust_store.revocation(&r.key.key_id()).is_some(),
        "the revocation was learned"
    );
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();
    // A package signed by a revoked key does not run: the run is recorded as refused.
    let refused = host
        .runs()
        .run_next()
        .await
        .unwrap()
        .expect("the queued run is taken");
    match refused.report.failure() {
        Some(FailureReason::Refused { message }) => {
            assert!(message.contains("revoked"), "{message}")
        }
        other => panic!("a package signed by a revoked key ran: {other:?}"),
    }
    assert!(refused.report.outputs.tasks.is_empty());
    // The run history keeps the refusal and its reason for the administrator.
    let runs = store.recent_runs(Some(PLUGIN), 1).await.unwrap();
    assert_eq!(runs[0].status, "failed");
    assert!(
        runs[0]
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("revoked")),
        "{runs:?}"
    );
}
on_both_databases!(
    an_unknown_out_of_scope_or_revoked_key_is_refused,
    refusals_change_nothing
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_installs_from_an_air_gapped_mirror() {
    let r = registry().await;
    let runtime = Runtime::new(RuntimeSettings::default()).unwrap();
    publish(&r, &runtime, "1.0.0").await;
    publish(&r, &runtime, "1.2.0").await;
    let mirror = tempfile::tempdir().unwrap();
    let exported = zemstvo_registry::mirror::export_store(&r.store, mirror.path(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(exported, 2);
    drop(r);
    let db = TestDatabase::sqlite().await;
    let (store, host) = region(&db).await;
    let source = PackageSource::open(mirror.path().to_str().unwrap()).unwrap();
    let key_from_mirror = zemstvo_registry::DirectorySource::open(mirror.path())
        .unwrap()
        .vendors()
        .unwrap();
    assert_eq!(key_from_mirror.len(), 1);
    let vendor_key = key_from_mirror[0].keys[0].public_key.clone();
    host.installations()
        .update_trust("admin", "trust-add", serde_json::json!({}), |t| {
            t.trust(
                vendor_key,
                VendorId::new(VENDOR).unwrap(),
                vec![NamePattern::new("versioned-*").unwrap()],
            )
        })
        .await
        .unwrap();
    let out = host
        .installations()
        .install_from(
            &source,
            &spec("versioned-check@^1"),
            &options(),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(out.version, "1.2.0");
    assert_eq!(installed(&store).await, "1.2.0");
}
