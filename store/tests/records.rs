//! Decision records on SQLite and PostgreSQL: every committed run leaves one in the region's
//! hash chain, and every way of tampering with the stored chain — one byte changed, a record
//! removed, two swapped, the tail cut off, the chain rewritten from a record on — is found
//! by `verify_decision_chain`, which names the first broken record.

use zemstvo_core::capabilities::Grants;
use zemstvo_core::metadata::PluginKind;
use zemstvo_core::report::{PluginRef, RunOutputs, RunReport, RunStatus, Summary};
use zemstvo_store::Store;
use zemstvo_store::on_both_databases;
use zemstvo_store::records::{BreakKind, CheckpointSigner, GENESIS, record_hash};
use zemstvo_store::runs::RunCommit;
use zemstvo_store::testing::TestDatabase;

const NOW: i64 = 1_795_413_600;
/// Records per checkpoint in these tests.
const EVERY: u64 = 4;

fn report(run_id: &str) -> RunReport {
    RunReport {
        run_id: run_id.into(),
        region: "lipetsk-demo".into(),
        plugin: PluginRef {
            name: "test-plugin".into(),
            version: "1.0.0".into(),
            kind: PluginKind::DeviationCheck,
            sha256: "ab".repeat(32),
        },
        logical_time: NOW,
        status: RunStatus::Succeeded {
            summary: Summary {
                examined: 3,
                found: 0,
                message: "nothing found".into(),
            },
        },
        duration: std::time::Duration::from_millis(2),
        peak_memory: 65_536,
        outputs: RunOutputs {
            rows_read: 3,
            ..RunOutputs::default()
        },
        stdout: String::new(),
        stderr: String::new(),
    }
}

async fn commit(store: &Store, run_id: &str, host: &str) {
    store
        .commit_run(RunCommit {
            report: &report(run_id),
            queued: None,
            cause: "test",
            host,
            started_at: NOW,
            grants: &Grants::none(),
            config: &Default::default(),
            signer: Some("vendor-key-1"),
            notifications: vec![],
            case: None,
            wit_version: "0.2.0",
            parameters: &[],
        })
        .await
        .unwrap();
}

/// Empties the chain and appends ten records (`tag-1` … `tag-10`); checkpoints at 4 and 8.
async fn fresh_chain(store: &Store, tag: &str) {
    for table in ["decision_records", "decision_checkpoints"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(store.pool_for_tests())
            .await
            .unwrap();
    }
    sqlx::query("UPDATE decision_chain SET seq = 0, hash = $1 WHERE id = 1")
        .bind(GENESIS)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    for i in 1..=10 {
        commit(store, &format!("{tag}-{i}"), "host-a").await;
    }
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
}

async fn body(store: &Store, seq: i64) -> String {
    let (body,): (String,) = sqlx::query_as("SELECT body FROM decision_records WHERE seq = $1")
        .bind(seq)
        .fetch_one(store.pool_for_tests())
        .await
        .unwrap();
    body
}

async fn set_body(store: &Store, seq: i64, body: &str) {
    sqlx::query("UPDATE decision_records SET body = $1 WHERE seq = $2")
        .bind(body.to_string())
        .bind(seq)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
}

async fn broken_at(store: &Store) -> (i64, Option<String>, BreakKind, String) {
    let report = store.verify_decision_chain(None).await.unwrap();
    let Some(b) = report.broken.clone() else {
        panic!("the tampered chain verified: {report:?}");
    };
    (b.seq, b.run_id, b.kind, b.message)
}

async fn tampering_scenario(db: TestDatabase) {
    let mut store = db.store().await;
    store.sign_checkpoints(CheckpointSigner::ephemeral("host-a", EVERY).unwrap());

    // Intact: ten records, checkpoints at 4 and 8; one more at the head when the host stops.
    fresh_chain(&store, "intact").await;
    let report = store.verify_decision_chain(None).await.unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!(
        (report.records, report.checkpoints, report.last_checkpoint),
        (10, 2, Some(8))
    );
    assert_eq!(store.checkpoint_now().await.unwrap(), Some(10));
    let report = store.verify_decision_chain(None).await.unwrap();
    assert_eq!((report.checkpoints, report.last_checkpoint), (3, Some(10)));
    let key = store_key(&report);
    assert!(
        store
            .verify_decision_chain(Some(std::slice::from_ref(&key)))
            .await
            .unwrap()
            .intact()
    );
    // A record says what ran and with what.
    let record = store.decision_record("intact-3").await.unwrap().unwrap();
    assert_eq!(record.seq, 3);
    assert_eq!(record.body["plugin"]["wit"], "0.2.0");
    assert_eq!(record.body["plugin"]["signer"], "vendor-key-1");
    assert_eq!(record.body["status"], "succeeded");
    assert_eq!(record.body["seed"].as_str().unwrap().len(), 64);

    // Checkpoints by a key the auditor does not trust do not count.
    let (seq, _, kind, message) = {
        let report = store
            .verify_decision_chain(Some(&["0123456789abcdef".to_string()]))
            .await
            .unwrap();
        let b = report.broken.unwrap();
        (b.seq, b.run_id, b.kind, b.message)
    };
    assert_eq!((seq, kind), (4, BreakKind::BadCheckpoint), "{message}");

    // One byte of one record changed.
    fresh_chain(&store, "byte").await;
    let original = body(&store, 5).await;
    let altered = original.replacen("\"examined\":3", "\"examined\":4", 1);
    assert_ne!(original, altered);
    set_body(&store, 5, &altered).await;
    let (seq, run, kind, message) = broken_at(&store).await;
    assert_eq!(
        (seq, run.as_deref(), kind),
        (5, Some("byte-5"), BreakKind::Altered)
    );
    assert!(message.contains("#5"), "{message}");

    // One record removed.
    fresh_chain(&store, "gone").await;
    exec(&store, "DELETE FROM decision_records WHERE seq = 6").await;
    let (seq, _, kind, message) = broken_at(&store).await;
    assert_eq!((seq, kind), (6, BreakKind::Missing), "{message}");

    // Two records swapped (their numbers exchanged).
    fresh_chain(&store, "swap").await;
    exec(&store, "UPDATE decision_records SET seq = -1 WHERE seq = 3").await;
    exec(&store, "UPDATE decision_records SET seq = 3 WHERE seq = 4").await;
    exec(&store, "UPDATE decision_records SET seq = 4 WHERE seq = -1").await;
    let (seq, run, kind, message) = broken_at(&store).await;
    assert_eq!(
        (seq, run.as_deref(), kind),
        (3, Some("swap-4"), BreakKind::Unlinked),
        "{message}"
    );

    // The tail cut off past a checkpoint, the head moved back to match.
    fresh_chain(&store, "tail").await;
    exec(&store, "DELETE FROM decision_records WHERE seq > 6").await;
    let six = store.decision_record("tail-6").await.unwrap().unwrap();
    sqlx::query("UPDATE decision_chain SET seq = 6, hash = $1 WHERE id = 1")
        .bind(six.hash)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    let (seq, _, kind, message) = broken_at(&store).await;
    assert_eq!((seq, kind), (7, BreakKind::Truncated), "{message}");
    assert!(message.contains("#8"), "{message}");

    // The last record removed (past the last checkpoint): the head still says 10.
    fresh_chain(&store, "last").await;
    exec(&store, "DELETE FROM decision_records WHERE seq = 10").await;
    let (seq, _, kind, message) = broken_at(&store).await;
    assert_eq!((seq, kind), (10, BreakKind::Truncated), "{message}");

    // The chain rewritten from record 5 on with every hash recomputed: only the host's
    // signature on checkpoint 8 gives it away.
    fresh_chain(&store, "rewrite").await;
    let mut prev = store
        .decision_record("rewrite-4")
        .await
        .unwrap()
        .unwrap()
        .hash;
    for seq in 5..=10 {
        let mut text = body(&store, seq).await;
        if seq == 5 {
            text = text.replacen("\"examined\":3", "\"examined\":9", 1);
        }
        let hash = record_hash(seq, &prev, &text);
        sqlx::query(
            "UPDATE decision_records SET body = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
        )
        .bind(text)
        .bind(prev.clone())
        .bind(hash.clone())
        .bind(seq)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE decision_chain SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(store.pool_for_tests())
        .await
        .unwrap();
    let (seq, _, kind, message) = broken_at(&store).await;
    assert_eq!((seq, kind), (8, BreakKind::BadCheckpoint), "{message}");
    assert!(message.contains("rewritten"), "{message}");
}

fn store_key(report: &zemstvo_store::records::ChainReport) -> String {
    assert_eq!(report.keys.len(), 1, "{report:?}");
    report.keys.keys().next().unwrap().clone()
}

on_both_databases!(every_kind_of_tampering_is_found, tampering_scenario);

/// Two hosts (two pools, two keys) appending at once keep one unbroken chain.
async fn two_hosts_scenario(db: TestDatabase) {
    let mut a = db.store().await;
    let mut b = db.store().await;
    a.sign_checkpoints(CheckpointSigner::ephemeral("host-a", 7).unwrap());
    b.sign_checkpoints(CheckpointSigner::ephemeral("host-b", 7).unwrap());
    let task = |store: Store, host: &'static str| {
        tokio::spawn(async move {
            for i in 0..40 {
                commit(&store, &format!("{host}-{i}"), host).await;
            }
        })
    };
    let (ra, rb) = tokio::join!(task(a.clone(), "host-a"), task(b.clone(), "host-b"));
    ra.unwrap();
    rb.unwrap();
    let report = a.verify_decision_chain(None).await.unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!((report.records, report.checkpoints), (80, 11));
}

on_both_databases!(two_hosts_keep_one_chain, two_hosts_scenario);
