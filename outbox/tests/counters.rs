//! The counters a host keeps for `/metrics` (through the `metrics` facade), as a recorder sees
//! them: claims, lease renewals while a slow batch is sent, a lease that ran out under a
//! stalled host and was taken over, and the send that stalled host did not make.
//! One test in its own binary: the recorder is process-wide.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use zemstvo_core::capabilities::notify::Channel;
use zemstvo_outbox::delivery::NotificationWorker;
use zemstvo_outbox::senders::{GatewayConfig, HttpGatewaySender};
use zemstvo_outbox::{OutboxLeases, RetryPolicy};
use zemstvo_store::counters;
use zemstvo_store::testing::TestDatabase;

/// Sums each counter over its labels.
#[derive(Default, Clone)]
struct Totals(Arc<Mutex<BTreeMap<String, Arc<AtomicU64>>>>);

struct Count(Arc<AtomicU64>);

impl metrics::CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }

    fn absolute(&self, value: u64) {
        self.0.fetch_max(value, Ordering::SeqCst);
    }
}

impl Recorder for Totals {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let total = self
            .0
            .lock()
            .unwrap()
            .entry(key.name().to_string())
            .or_default()
            .clone();
        Counter::from_arc(Arc::new(Count(total)))
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

impl Totals {
    fn get(&self, name: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::SeqCst))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_counts_claims_renewals_expiries_and_duplicates_avoided() {
    let totals = Totals::default();
    metrics::set_global_recorder(totals.clone()).unwrap();
    let db = TestDatabase::sqlite().await;
    let store = region_store(&db).await;
    let citizens = reachable_citizens(&store, false, 4).await;
    let messages: Vec<(u64, Channel, String)> = citizens
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, Channel::Sms, format!("{i}")))
        .collect();
    let borrowed: Vec<(u64, Channel, &str)> = messages
        .iter()
        .map(|(c, ch, n)| (*c, *ch, n.as_str()))
        .collect();
    commit_messages(&store, "run-1", &borrowed).await;
    let (url, _gateway) = slow_gateway(0, Duration::from_millis(500)).await;
    let sms = || {
        Arc::new(
            HttpGatewaySender::new(GatewayConfig {
                url: url.clone(),
                token: None,
                timeout_ms: 5_000,
            })
            .unwrap(),
        )
    };
    let retries = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    };
    // A stalled host held two messages; its lease ran out.
    let lease = Duration::from_secs(1);
    let stalled = store.claim_notifications("host-a", 2, lease).await.unwrap();
    assert_eq!(totals.get(counters::CLAIMS), 2);
    store.expire_claims_for_tests().await.unwrap();
    // Host B takes them over with the other two, in one batch of four sent at 0.5 s each:
    // its 1 s lease is renewed while it sends.
    let b = NotificationWorker::new(store.clone(), "host-b", retries)
        .with_leases(OutboxLeases { lease, batch: 4 })
        .with_sender("sms", sms());
    assert_eq!(b.deliver_once(10).await.unwrap().sent, 4);
    assert_eq!(totals.get(counters::CLAIMS), 6);
    assert_eq!(totals.get(counters::LEASE_EXPIRIES), 2, "two taken over");
    assert!(
        totals.get(counters::LEASE_RENEWALS) >= 3,
        "renewed every third of the lease over two seconds: {}",
        totals.get(counters::LEASE_RENEWALS)
    );
    // The stalled host wakes up and would send: the mark refuses, and that is counted.
    assert_eq!(totals.get(counters::DUPLICATES_AVOIDED), 0);
    assert!(
        !store
            .notification_sending(stalled[0].id, "host-a", lease)
            .await
            .unwrap()
    );
    assert_eq!(totals.get(counters::DUPLICATES_AVOIDED), 1);
}
