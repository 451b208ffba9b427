//! SMEV requests through their lifecycle, with the simulator and with an HTTP adapter on
//! loopback: sent once, answered or rejected, each delivery processed once and acknowledged.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use common::*;
use zemstvo_core::capabilities::smev::{SmevQuery, agency_profile};
use zemstvo_core::clock::Clock;
use zemstvo_outbox::RetryPolicy;
use zemstvo_outbox::smev::{
    HttpSmevConfig, HttpSmevTransport, SimulatorConfig, SmevSimulator, SmevStats, SmevWorker,
};
use zemstvo_store::on_both_databases;
use zemstvo_store::smev::{DeliveryOutcome, SmevDelivery};
use zemstvo_store::testing::TestDatabase;

fn queries(n: u64) -> Vec<SmevQuery> {
    let agencies = ["fns", "pfr", "mvd", "zags", "rosreestr", "fss", "gis-zhkh"];
    (0..n)
        .map(|i| SmevQuery {
            agency: agencies[(i % agencies.len() as u64) as usize].into(),
            kind: "income".into(),
            subject: 1 + i,
            application: Some(1 + i % 50),
            params: vec![],
        })
        .collect()
}

fn add(total: &mut SmevStats, s: SmevStats) {
    total.sent += s.sent;
    total.applied += s.applied;
    total.duplicates += s.duplicates;
    total.unmatched += s.unmatched;
    total.send_retried += s.send_retried;
}

async fn the_simulator_answers_like_the_agencies(db: TestDatabase) {
    let store = region_store(&db).await;
    let before = store.pending_smev().await.unwrap().len();
    commit_requests(&store, "run-1", queries(140)).await;
    // A rerun queuing the same requests adds none.
    commit_requests(&store, "run-2", queries(140)).await;
    let simulator = Arc::new(SmevSimulator::new(SimulatorConfig {
        seconds_per_day: 0.05,
        rejection_rate: 0.05,
        redelivery_rate: 0.3,
        seed: 7,
    }));
    let worker = SmevWorker::new(store.clone(), "host-a", simulator, RetryPolicy::default());
    let mut total = SmevStats::default();
    add(&mut total, worker.send_once(1_000).await.unwrap());
    assert_eq!(total.sent, 140, "each request is sent once");
    assert_eq!(store.pending_smev().await.unwrap().len(), before + 140);
    for _ in 0..100 {
        add(&mut total, worker.receive_once(1_000).await.unwrap());
        if total.applied == 140 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(total.applied, 140, "{total:?}");
    assert!(
        total.duplicates > 10,
        "redelivered answers are recognised: {total:?}"
    );
    assert_eq!(store.pending_smev().await.unwrap().len(), before);
    let stats = store.agency_stats(NOW + 1).await.unwrap();
    assert!(
        stats.iter().map(|s| s.rejected).sum::<u64>() > 0,
        "{stats:?}"
    );
    // The simulator compresses an agency's days into milliseconds, but an answer is dated when
    // the region had it, never at the simulated arrival days ahead: every answer here came
    // within the test's few seconds.
    for s in &stats {
        let days = s.mean_answer_days.unwrap_or(0.0);
        assert!((0.0..0.01).contains(&days), "{stats:?}");
    }
}
on_both_databases!(
    the_simulator_answers_like_the_agencies_and_redeliveries_count_once,
    the_simulator_answers_like_the_agencies
);

/// A demonstration's clock follows the simulated agencies: each answer is dated the days its
/// agency took after the request (not the milliseconds the simulator took), the clock moves to
/// the latest, and nothing is dated after the clock.
async fn a_clock_following_the_agencies(db: TestDatabase) {
    let store = region_store(&db).await;
    commit_requests(&store, "run-1", queries(140)).await;
    let clock = Clock::following_agencies(NOW);
    let simulator = Arc::new(
        SmevSimulator::new(SimulatorConfig {
            seconds_per_day: 0.02,
            rejection_rate: 0.0,
            redelivery_rate: 0.0,
            seed: 5,
        })
        .with_clock(clock.clone()),
    );
    let worker = SmevWorker::new(store.clone(), "host-a", simulator, RetryPolicy::default())
        .with_clock(clock.clone());
    let mut total = SmevStats::default();
    add(&mut total, worker.send_once(1_000).await.unwrap());
    assert_eq!(total.sent, 140);
    assert_eq!(clock.now(), NOW, "sending does not move the clock");
    for _ in 0..200 {
        add(&mut total, worker.receive_once(1_000).await.unwrap());
        if total.applied == 140 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(total.applied, 140, "{total:?}");
    assert!(
        clock.now() > NOW + 86_400,
        "the clock moved with the answers"
    );
    let stats = store.agency_stats(NOW).await.unwrap();
    let answered: u64 = stats.iter().map(|s| s.answered).sum();
    assert_eq!(answered, 140, "{stats:?}");
    // Each agency's answers take about the days its profile says (the ISU seed's table),
    // not the milliseconds the simulator took: within a factor of three over 20 answers.
    for s in &stats {
        let days = s.mean_answer_days.expect("answered");
        let expected = agency_profile(&s.agency)
            .expect("a seed agency")
            .mean_answer_days;
        assert!(
            (expected / 3.0..expected * 3.0).contains(&days),
            "{}: {days} days against {expected}: {stats:?}",
            s.agency
        );
    }
    let ids: Vec<u64> = (1..=50).collect();
    let answers = store.answers_for_many(&ids).await.unwrap();
    let received: Vec<i64> = answers.values().flatten().map(|a| a.received).collect();
    assert!(received.len() >= 140, "{}", received.len());
    assert!(
        received.iter().all(|&r| r <= clock.now()),
        "no answer is dated after the clock"
    );
    assert!(
        received.iter().any(|&r| r > NOW + 86_400),
        "answers carry their agencies' days"
    );
}
on_both_databases!(
    a_clock_following_the_agencies_dates_answers_by_their_days,
    a_clock_following_the_agencies
);

/// Two hosts of one region, each with its own simulator on the same seed, send half the
/// requests each: every answer is applied once and none is taken for another's duplicate (the
/// simulators' message and delivery ids used to be plain counters, equal on both hosts).
async fn two_simulators(db: TestDatabase) {
    let store = region_store(&db).await;
    let before = store.pending_smev().await.unwrap().len();
    commit_requests(&store, "run-1", queries(60)).await;
    let config = SimulatorConfig {
        seconds_per_day: 0.0,
        rejection_rate: 0.0,
        redelivery_rate: 0.0,
        seed: 7,
    };
    let workers: Vec<SmevWorker> = ["host-a", "host-b"]
        .into_iter()
        .map(|host| {
            let simulator = Arc::new(SmevSimulator::new(config.clone()));
            SmevWorker::new(store.clone(), host, simulator, RetryPolicy::default())
        })
        .collect();
    let mut total = SmevStats::default();
    add(&mut total, workers[0].send_once(30).await.unwrap());
    add(&mut total, workers[1].send_once(30).await.unwrap());
    assert_eq!(total.sent, 60, "{total:?}");
    for _ in 0..100 {
        for worker in &workers {
            add(&mut total, worker.receive_once(1_000).await.unwrap());
        }
        if total.applied == 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!((total.applied, total.duplicates), (60, 0), "{total:?}");
    assert_eq!(store.pending_smev().await.unwrap().len(), before);
}
on_both_databases!(
    two_hosts_simulators_answer_every_request_once,
    two_simulators
);

/// A loopback SMEV adapter: requests get message ids; deliveries stay until acknowledged; the
/// first acknowledgement fails, as a lost acknowledgement would.
#[derive(Clone, Default)]
struct Adapter {
    requests: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    inbox: Arc<Mutex<Vec<SmevDelivery>>>,
    acks: Arc<Mutex<Vec<String>>>,
    failed_acks: Arc<Mutex<usize>>,
}

async fn adapter_request(
    State(a): State<Adapter>,
    headers: HeaderMap,
    body: axum::Json<serde_json::Value>,
) -> axum::Json<serde_json::Value> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut requests = a.requests.lock().unwrap();
    requests.push((key, body.0));
    axum::Json(serde_json::json!({ "message_id": format!("adapter-{}", requests.len()) }))
}

async fn adapter_deliveries(
    State(a): State<Adapter>,
    Query(q): Query<HashMap<String, usize>>,
) -> axum::Json<Vec<SmevDelivery>> {
    let limit = q.get("limit").copied().unwrap_or(10);
    axum::Json(
        a.inbox
            .lock()
            .unwrap()
            .iter()
            .take(limit)
            .cloned()
            .collect(),
    )
}

async fn adapter_ack(State(a): State<Adapter>, Path(id): Path<String>) -> StatusCode {
    let mut failed = a.failed_acks.lock().unwrap();
    if *failed == 0 {
        *failed += 1;
        return StatusCode::BAD_GATEWAY;
    }
    a.acks.lock().unwrap().push(id.clone());
    a.inbox.lock().unwrap().retain(|d| d.delivery_id != id);
    StatusCode::OK
}

async fn adapter() -> (String, Adapter) {
    let a = Adapter::default();
    let app = Router::new()
        .route("/requests", post(adapter_request))
        .route("/deliveries", get(adapter_deliveries))
        .route("/deliveries/{id}/ack", post(adapter_ack))
        .with_state(a.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, a)
}

async fn the_http_adapter_carries_the_lifecycle(db: TestDatabase) {
    let store = region_store(&db).await;
    commit_requests(&store, "run-1", queries(2)).await;
    let (url, adapter) = adapter().await;
    let transport = Arc::new(
        HttpSmevTransport::new(HttpSmevConfig {
            url,
            token: None,
            timeout_ms: 2_000,
        })
        .unwrap(),
    );
    let worker = SmevWorker::new(store.clone(), "host-a", transport, RetryPolicy::default());
    assert_eq!(worker.send_once(10).await.unwrap().sent, 2);
    let requests = adapter.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].1["agency"], "fns");
    assert_eq!(
        requests[0].0.len(),
        64,
        "the request key is the idempotency key"
    );
    adapter.inbox.lock().unwrap().extend([
        SmevDelivery {
            delivery_id: "dlv-1".into(),
            message_id: "adapter-1".into(),
            // A clock a month ahead (or a simulator compressing days): the region dates the
            // answer when it applied it, never later.
            received_at: wall_now() + 30 * 86_400,
            outcome: DeliveryOutcome::Answered {
                facts: vec![("income-rub-month".into(), "31000".into())],
            },
        },
        SmevDelivery {
            delivery_id: "dlv-2".into(),
            message_id: "adapter-2".into(),
            received_at: NOW + 7_200,
            outcome: DeliveryOutcome::Rejected {
                code: "INVALID_REQUEST".into(),
                reason: "bad SNILS".into(),
            },
        },
    ]);
    let first = worker.receive_once(10).await.unwrap();
    assert_eq!(first.applied, 2);
    // dlv-1's acknowledgement failed, so the adapter delivers it again: acknowledged, not reapplied.
    let second = worker.receive_once(10).await.unwrap();
    assert_eq!((second.applied, second.duplicates), (0, 1));
    assert!(adapter.inbox.lock().unwrap().is_empty());
    assert_eq!(adapter.acks.lock().unwrap().len(), 2);
    let answers = store.answers_for(1).await.unwrap();
    let dated = answers
        .iter()
        .find(|a| a.message_id == "adapter-1")
        .unwrap_or_else(|| panic!("{answers:?}"));
    assert!(dated.received <= wall_now(), "{dated:?}");
    assert!(
        store
            .pending_smev()
            .await
            .unwrap()
            .iter()
            .all(|p| !p.message_id.starts_with("adapter-"))
    );
}
on_both_databases!(
    an_http_smev_adapter_carries_requests_answers_and_acknowledgements,
    the_http_adapter_carries_the_lifecycle
);

async fn a_down_adapter_keeps_requests_queued(db: TestDatabase) {
    let store = region_store(&db).await;
    commit_requests(&store, "run-1", queries(1)).await;
    let url = format!("http://127.0.0.1:{}", closed_port().await);
    let transport = Arc::new(
        HttpSmevTransport::new(HttpSmevConfig {
            url,
            token: None,
            timeout_ms: 1_000,
        })
        .unwrap(),
    );
    let worker = SmevWorker::new(store.clone(), "host-a", transport, RetryPolicy::default());
    let stats = worker.send_once(10).await.unwrap();
    assert_eq!((stats.sent, stats.send_retried), (0, 1));
    assert_eq!(worker.receive_once(10).await.unwrap(), SmevStats::default());
}
on_both_databases!(
    an_unreachable_smev_adapter_keeps_requests_queued_for_retry,
    a_down_adapter_keeps_requests_queued
);

fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
