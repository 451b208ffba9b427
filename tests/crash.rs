//! A host killed in the middle of a run (a real child process, killed) loses nothing and
//! duplicates nothing when it restarts: the run's outputs commit with it or not at all, its
//! claim expires, the restarted host runs it again, and keys keep reruns from duplicating.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::{HostSettings, InstallOptions, RegionHost};
use zemstvo_store::load::RegionInfo;
use zemstvo_store::notifications::Template;
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

const NOW: i64 = 1_795_413_600;
const PLUGIN: &str = "fixture-slow-reporter";

async fn prepared(db: &TestDatabase) -> Store {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "crash".into(),
            name: "crash".into(),
            timezone: "UTC".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(DemoScale::SMALL, 9, NOW), &|_, _| {})
        .await
        .unwrap();
    store
        .put_template(
            &Template {
                name: "decision-made".into(),
                subject: None,
                body: "{{ full_name }}: {{ number }} — {{ decision }}".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    let host = RegionHost::open(store.clone(), runtime, HostSettings::default())
        .await
        .unwrap();
    let key = SecretKey::from_seed(&[9; 32]);
    let vendor = VendorId::new("test-vendor").unwrap();
    host.installations()
        .update_trust("test", "trust-add", serde_json::json!({}), |t| {
            t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()])
        })
        .await
        .unwrap();
    let options = InstallOptions {
        enable: true,
        grant_declared: true,
        ..InstallOptions::default()
    };
    zemstvo_service::pack_and_install(
        &host,
        &zemstvo_plugin_artifacts::fixture(PLUGIN),
        &vendor,
        &key,
        &options,
    )
    .await
    .unwrap();
    // About two seconds of computation after emitting: time to kill the host mid-run.
    store
        .set_config(
            PLUGIN,
            &[("spin-rounds".into(), "2000000000".into())],
            "test",
        )
        .await
        .unwrap();
    store
}

fn serve_once(url: &str, cache: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zemstvo"))
        .args(["serve", "--once", "--run-lease", "2", "--database", url])
        .env("ZEMSTVO_LOG", "info")
        .env("ZEMSTVO_CACHE_DIR", cache)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zemstvo serve starts")
}

/// Waits (bounded) until the child logs that the run started, then kills it.
fn kill_mid_run(mut child: Child) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("run started") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the host starts the run");
    std::thread::sleep(Duration::from_millis(400));
    child.kill().expect("the host is killed");
    child.wait().unwrap();
}

fn finish(mut child: Child) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the restarted host failed");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the restarted host did not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn killed_mid_run(db: TestDatabase) {
    let store = prepared(&db).await;
    let cache = tempfile::tempdir().unwrap();
    store.enqueue_run(PLUGIN, "manual", NOW, 0).await.unwrap();

    kill_mid_run(serve_once(&db.url, cache.path()));
    assert!(
        store.recent_runs(None, 10).await.unwrap().is_empty(),
        "no run was recorded"
    );
    assert!(
        store.tasks(&Default::default()).await.unwrap().is_empty(),
        "no task was half-written"
    );
    assert!(store.notifications(None).await.unwrap().is_empty());
    assert!(store.smev_outbox().await.unwrap().is_empty());
    assert_eq!(
        store.run_queue().await.unwrap(),
        [(PLUGIN.to_string(), "running".to_string(), 1)]
    );

    // The dead host's claim expires; the restarted host runs it again and commits it once.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    finish(serve_once(&db.url, cache.path()));
    let runs = store.recent_runs(None, 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0].status.as_str(), runs[0].tasks_created),
        ("succeeded", 3)
    );
    assert_eq!(
        store.run_queue().await.unwrap(),
        [(PLUGIN.to_string(), "done".to_string(), 2)]
    );
    assert_eq!(store.tasks(&Default::default()).await.unwrap().len(), 3);
    assert_eq!(store.notifications(None).await.unwrap().len(), 2);
    assert_eq!(store.smev_outbox().await.unwrap().len(), 1);

    // Running the check again finds everything already there.
    store
        .enqueue_run(PLUGIN, "manual-again", NOW, 0)
        .await
        .unwrap();
    finish(serve_once(&db.url, cache.path()));
    let runs = store.recent_runs(None, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].tasks_created, runs[0].tasks_existing), (0, 3));
    assert_eq!(store.tasks(&Default::default()).await.unwrap().len(), 3);
    assert_eq!(store.notifications(None).await.unwrap().len(), 2);
    assert_eq!(store.smev_outbox().await.unwrap().len(), 1);
}
on_both_databases!(
    a_host_killed_mid_run_loses_nothing_and_duplicates_nothing,
    killed_mid_run
);

/// Waits (bounded) until the child logs that a run started.
fn wait_for_run_start(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the host starts the run");
        if line.contains("run started") {
            return rx;
        }
    }
}

#[cfg(unix)]
async fn terminated_mid_run(db: TestDatabase) {
    let store = prepared(&db).await;
    let cache = tempfile::tempdir().unwrap();
    store.enqueue_run(PLUGIN, "manual-1", NOW, 0).await.unwrap();
    store.enqueue_run(PLUGIN, "manual-2", NOW, 0).await.unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zemstvo"))
        .args([
            "serve",
            "--run-lease",
            "600",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db.url,
        ])
        .env("ZEMSTVO_LOG", "info")
        .env("ZEMSTVO_CACHE_DIR", cache.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zemstvo serve starts");
    let lines = wait_for_run_start(&mut child);
    // SIGTERM, as a service manager stops a host.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the host did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let said: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "{said:?}");
    assert!(said.iter().any(|l| l.contains("stopping")), "{said:?}");
    // The run in flight was finished and kept; the next one was left for any host at once.
    assert_eq!(
        store.run_queue().await.unwrap(),
        [
            (PLUGIN.to_string(), "done".to_string(), 1),
            (PLUGIN.to_string(), "queued".to_string(), 0)
        ]
    );
    assert_eq!(store.recent_runs(None, 10).await.unwrap().len(), 1);
}
#[cfg(unix)]
on_both_databases!(
    a_host_told_to_stop_finishes_its_run_and_leaves_the_rest_to_other_hosts,
    terminated_mid_run
);
