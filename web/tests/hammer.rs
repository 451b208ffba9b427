//! Four administrators change one plugin at once — enable, disable, grant, configure — 200 times
//! while its runs execute: every change lands whole (no run sees half of one configuration),
//! every run completes on one consistent configuration, and no task is duplicated.

mod common;

use std::sync::Arc;

use common::{PLUGIN, add_user, region_with_plugin, serve_api};
use reqwest::Client;
use serde_json::json;
use zemstvo_store::accounts::Role;
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

const CLIENTS: usize = 4;
const CHANGES_PER_CLIENT: usize = 50;

async fn hammer(db: TestDatabase) {
    let (store, host) = region_with_plugin(&db).await;
    add_user(&store, "admin", Role::Administrator, None).await;
    let (base, _stop) = serve_api(host.clone()).await;

    // Runs execute while the clients change the plugin: each asks for a run and takes it.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = {
        let (host, done) = (host.clone(), done.clone());
        tokio::spawn(async move {
            let mut succeeded = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) || succeeded.is_empty() {
                // A disabled plugin refuses a trigger, and a run queued before it was disabled
                // does not start: it is recorded as refused. Every run that starts completes.
                let triggered = match host.runs().trigger(PLUGIN, "test").await {
                    Ok(_) => true,
                    Err(zemstvo_service::ServiceError::Plugin(why)) if why.contains("disabled") => {
                        false
                    }
                    // A busy database is waited for, never an error.
                    Err(e) => panic!("run now failed: {e}"),
                };
                if triggered && let Some(outcome) = host.runs().run_next().await.unwrap() {
                    match outcome.report.failure() {
                        None => succeeded.push(outcome.report.run_id.clone()),
                        Some(zemstvo_host::FailureReason::Refused { message })
                            if message.contains("no longer installed and enabled") => {}
                        Some(other) => panic!("a run failed: {other}"),
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            succeeded
        })
    };
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (base, client) = (base.clone(), Client::new());
        clients.spawn(async move {
            let url = |p: &str| format!("{base}/api/v1/plugins/{PLUGIN}{p}");
            for i in 0..CHANGES_PER_CLIENT {
                let response = match i % 6 {
                    0 => client.post(url("/disable")),
                    1 => client.post(url("/enable")),
                    // The plugin's declared grants, set again: concurrent grants take turns.
                    2 => client.put(url("/grants")).json(&json!({"capabilities": [
                        "data.applications", "data.smev", "data.staff", "tasks.create"
                    ]})),
                    _ => {
                        // One configuration is two keys that belong together: a run that saw
                        // one key of one change and the other of another would break the pair.
                        let days = 1 + ((c * CHANGES_PER_CLIENT + i) % 60);
                        client.put(url("/config")).json(&json!({"settings": {
                            "max-wait-days": days.to_string(),
                            "send-empty": (days % 2 == 1).to_string(),
                        }}))
                    }
                }
                .bearer_auth(common::token("admin"))
                .send()
                .await
                .unwrap();
                let status = response.status();
                assert!(
                    status.is_success(),
                    "{status}: {}",
                    response.text().await.unwrap()
                );
            }
        });
    }
    while let Some(client) = clients.join_next().await {
        client.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    store.set_enabled(PLUGIN, true, "test").await.unwrap();
    let succeeded = runner.await.unwrap();
    assert!(!succeeded.is_empty());

    let configs = store.run_configs(PLUGIN).await.unwrap();
    let ran: Vec<_> = configs
        .iter()
        .filter(|(id, _, _)| succeeded.contains(id))
        .collect();
    assert_eq!(
        ran.len(),
        succeeded.len(),
        "every succeeded run was kept once"
    );
    for (id, version, config) in ran {
        assert_eq!(version, "1.0.0", "{id}");
        let days = config["max-wait-days"].as_u64().expect("an integer");
        let send_empty = config["send-empty"].as_bool().expect("a flag");
        // The default (4, false) is a pair too: 4 is even.
        assert_eq!(
            send_empty,
            days % 2 == 1,
            "run {id} saw half of a change: {config}"
        );
    }
    // Every change is in the audit log, with its actor.
    let audit = store.audit_log(Some(PLUGIN), 10_000).await.unwrap();
    let by_api = audit.iter().filter(|e| e.actor == "user:admin").count();
    assert!(by_api >= CLIENTS * CHANGES_PER_CLIENT * 4 / 6, "{by_api}");
}
on_both_databases!(concurrent_changes_while_runs_execute_land_whole, hammer);
