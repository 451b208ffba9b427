//! A host recovers or stops as it should: the change listener comes back after its connection
//! is cut, a host whose SQLite file is deleted or replaced (or whose database lost its tables)
//! stops with an error saying so instead of working on into the void, and an orderly shutdown
//! gives this host's claims back at once.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, Connection, Executor};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_service::listen::listen_for_changes;
use zemstvo_service::{HostSettings, RegionHost, Released, SmevSettings};
use zemstvo_store::load::RegionInfo;
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

const NOW: i64 = 1_795_413_600;

async fn region(db: &TestDatabase) -> Store {
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
        .load_region(&demo_region(DemoScale::SMALL, 3, NOW), &|_, _| {})
        .await
        .unwrap();
    store
}

async fn host(store: &Store, id: &str) -> RegionHost {
    let settings = HostSettings {
        host_id: id.into(),
        smev: SmevSettings::None,
        poll_interval_ms: 50,
        ..HostSettings::default()
    };
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    RegionHost::open(store.clone(), runtime, settings)
        .await
        .unwrap()
}

/// Serves until it stops by itself (bounded), returning why.
async fn serve_until_it_stops(h: &RegionHost) -> String {
    tokio::time::timeout(
        Duration::from_secs(20),
        h.serve(std::future::pending::<()>()),
    )
    .await
    .expect("the host stops by itself")
    .expect_err("the host stops with an error")
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_listener_comes_back_after_its_connection_is_cut() {
    let Some(db) =
        TestDatabase::postgres("the_change_listener_comes_back_after_its_connection_is_cut").await
    else {
        return;
    };
    let store = region(&db).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    let listening = tokio::spawn(listen_for_changes(store.clone(), move |change| {
        let _ = tx.send(change.map(str::to_string));
    }));
    let mut admin = AnyConnection::connect(&db.url).await.unwrap();
    let cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = current_database() AND query LIKE 'LISTEN%'";
    // Wait for the listener to be connected, then cut its connection, twice.
    for round in 0..2 {
        let mut terminated = 0;
        for _ in 0..100 {
            terminated = admin.fetch_all(cut).await.unwrap().len();
            if terminated > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(terminated, 1, "round {round}: the listener was connected");
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the listener reconnects")
            .unwrap();
        assert_eq!(event, None, "a reconnect is reported");
    }
    // And it hears changes again.
    admin
        .execute(
            format!(
                "NOTIFY {}, 'some-plugin'",
                zemstvo_store::plugins::CHANGES_CHANNEL
            )
            .as_str(),
        )
        .await
        .unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a change is heard after reconnecting")
        .unwrap();
    assert_eq!(heard.as_deref(), Some("some-plugin"));
    listening.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_whose_sqlite_file_is_deleted_stops_and_says_so() {
    let db = TestDatabase::sqlite().await;
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    let path = db.url.strip_prefix("sqlite://").unwrap().to_string();
    let serving = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::remove_file(&path).unwrap();
    };
    let (why, ()) = tokio::join!(serve_until_it_stops(&h), serving);
    assert!(why.contains(&path) && why.contains("was deleted"), "{why}");
    // Started again, the host refuses to create an empty region in its place.
    let err = Store::open_existing(&db.url).await.unwrap_err().to_string();
    assert!(
        err.contains("does not exist") && err.contains("region-init"),
        "{err}"
    );
    assert!(!std::path::Path::new(&path).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_whose_sqlite_file_is_replaced_stops_and_says_so() {
    let db = TestDatabase::sqlite().await;
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    let path = db.url.strip_prefix("sqlite://").unwrap().to_string();
    let other = format!("{path}.restored");
    std::fs::copy(&path, &other).unwrap();
    let serving = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::rename(&other, &path).unwrap();
    };
    let (why, ()) = tokio::join!(serve_until_it_stops(&h), serving);
    assert!(why.contains("replaced by another file"), "{why}");
}

async fn dropped_tables_stop_the_host(db: TestDatabase) {
    let store = region(&db).await;
    let h = host(&store, "host-a").await;
    let url = db.url.clone();
    let dropping = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut conn = AnyConnection::connect(&url).await.unwrap();
        if url.starts_with("postgres") {
            conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                .await
                .unwrap();
        } else {
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            conn.execute("PRAGMA foreign_keys = OFF").await.unwrap();
            for (t,) in tables {
                conn.execute(format!("DROP TABLE \"{t}\"").as_str())
                    .await
                    .unwrap();
            }
        }
    };
    let (why, ()) = tokio::join!(serve_until_it_stops(&h), dropping);
    assert!(why.contains("no longer holds the region's tables"), "{why}");
}
on_both_databases!(
    a_host_whose_database_lost_its_tables_stops_instead_of_looping,
    dropped_tables_stop_the_host
);

async fn shutdown_releases_claims(db: TestDatabase) {
    let store = region(&db).await;
    let a = host(&store, "host-a").await;
    store
        .enqueue_run("some-plugin", "manual", NOW, 0)
        .await
        .unwrap();
    // Host A holds a run (as if it had just claimed it) when it is told to stop.
    let held = store
        .claim_run("host-a", Duration::from_secs(600))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .claim_run("host-b", Duration::from_secs(600))
            .await
            .unwrap()
            .is_none()
    );
    a.serve(async {}).await.unwrap();
    // Host B takes it at once, not after the 600 s lease.
    let taken = store
        .claim_run("host-b", Duration::from_secs(600))
        .await
        .unwrap()
        .expect("the released run is claimable at once");
    assert_eq!(taken.id, held.id);
    assert_eq!(a.release_claims().await.unwrap(), Released::default());
}
on_both_databases!(
    an_orderly_shutdown_releases_the_hosts_claims_at_once,
    shutdown_releases_claims
);
