//! Notifications reach a real SMTP server and an HTTP gateway on loopback; failures are
//! retried with backoff and the same idempotency id; nothing goes to a citizen without
//! consent.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use zemstvo_core::capabilities::notify::Channel;
use zemstvo_outbox::RetryPolicy;
use zemstvo_outbox::delivery::NotificationWorker;
use zemstvo_outbox::senders::{GatewayConfig, HttpGatewaySender, SmtpConfig, SmtpSender};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    }
}

fn sms(url: &str) -> Arc<HttpGatewaySender> {
    Arc::new(
        HttpGatewaySender::new(GatewayConfig {
            url: url.to_string(),
            token: None,
            timeout_ms: 2_000,
        })
        .unwrap(),
    )
}

/// Delivers until nothing is due, waiting out backoffs (bounded).
async fn drain(worker: &NotificationWorker) -> zemstvo_outbox::delivery::DeliveryStats {
    let mut total = zemstvo_outbox::delivery::DeliveryStats::default();
    for _ in 0..10 {
        let s = worker.deliver_once(100).await.unwrap();
        total.sent += s.sent;
        total.retried += s.retried;
        total.failed += s.failed;
        total.cancelled += s.cancelled;
        if s.retried == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    total
}

async fn email_reaches_the_smtp_server(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizen = reachable_citizens(&store, true, 1).await[0];
    commit_messages(
        &store,
        "run-1",
        &[(citizen, Channel::Email, "48-2026-000001")],
    )
    .await;
    let (port, mailbox) = smtp_server().await;
    let smtp = SmtpSender::new(
        &SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: "none".into(),
            username: None,
            password: None,
            from: "ЦСЗН <noreply@uszn.example.ru>".into(),
        },
        "lipetsk-demo",
    )
    .unwrap();
    let worker = NotificationWorker::new(store.clone(), "host-a", fast_retries(3))
        .with_sender("email", Arc::new(smtp));
    let stats = drain(&worker).await;
    assert_eq!(stats.sent, 1);
    let mail = mailbox.0.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains(&format!("citizen{citizen}@example.ru")),
        "{}",
        mail[0]
    );
    let rows = store.notifications(Some("sent")).await.unwrap();
    assert_eq!(rows.len(), 1);
    let message_id = format!("<{}@lipetsk-demo.zemstvo>", rows[0].idempotency_id);
    assert!(
        mail[0].contains(&format!("Message-ID: {message_id}")),
        "the Message-ID is the notification's idempotency id at the region: {}",
        mail[0]
    );
}
on_both_databases!(
    an_email_reaches_a_real_smtp_server,
    email_reaches_the_smtp_server
);

async fn gateway_retries_with_the_same_id(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizens = reachable_citizens(&store, false, 2).await;
    commit_messages(
        &store,
        "run-1",
        &[
            (citizens[0], Channel::Sms, "1"),
            (citizens[1], Channel::Voice, "2"),
        ],
    )
    .await;
    let (url, gateway) = gateway(2).await;
    let worker = NotificationWorker::new(store.clone(), "host-a", fast_retries(5))
        .with_sender("sms", sms(&url))
        .with_sender("voice", sms(&url));
    let stats = drain(&worker).await;
    assert_eq!((stats.sent, stats.retried), (2, 2), "{stats:?}");
    let requests = gateway.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 4, "two failed attempts and two deliveries");
    let delivered = gateway.delivered.lock().unwrap().clone();
    assert_eq!(delivered.len(), 2);
    let first_key = &requests[0].0;
    assert_eq!(
        requests.iter().filter(|(k, _)| k == first_key).count(),
        2,
        "a retry repeats the idempotency id"
    );
    assert!(
        requests[0].1["text"]
            .as_str()
            .unwrap()
            .contains("принято решение")
    );
}
on_both_databases!(
    a_failing_gateway_is_retried_with_the_same_idempotency_id,
    gateway_retries_with_the_same_id
);

async fn a_crash_after_sending_resends_the_same_id(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizen = reachable_citizens(&store, false, 1).await[0];
    commit_messages(&store, "run-1", &[(citizen, Channel::Sms, "1")]).await;
    let (url, gateway) = gateway(0).await;
    // Host A claims and sends, then dies before marking the message sent.
    let claimed = store
        .claim_notifications("host-a", 10, Duration::from_secs(60))
        .await
        .unwrap();
    use zemstvo_outbox::senders::NotificationSender;
    sms(&url).send(&claimed[0]).await.unwrap();
    store.expire_claims_for_tests().await.unwrap();
    // Host B finds the message unfinished and sends it again, with the same id.
    let worker = NotificationWorker::new(store.clone(), "host-b", fast_retries(3))
        .with_sender("sms", sms(&url));
    assert_eq!(drain(&worker).await.sent, 1);
    let requests = gateway.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].0, requests[1].0);
    assert_eq!(
        gateway.delivered.lock().unwrap().len(),
        1,
        "the gateway delivered it once"
    );
}
on_both_databases!(
    a_host_dying_after_sending_never_sends_twice_to_an_idempotent_gateway,
    a_crash_after_sending_resends_the_same_id
);

async fn unreachable_endpoints_are_retried_then_given_up(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizen = reachable_citizens(&store, true, 1).await[0];
    commit_messages(
        &store,
        "run-1",
        &[(citizen, Channel::Sms, "1"), (citizen, Channel::Email, "2")],
    )
    .await;
    let dead = closed_port().await;
    let smtp = SmtpSender::new(
        &SmtpConfig {
            host: "127.0.0.1".into(),
            port: dead,
            tls: "none".into(),
            username: None,
            password: None,
            from: "noreply@uszn.example.ru".into(),
        },
        "lipetsk-demo",
    )
    .unwrap();
    let worker = NotificationWorker::new(store.clone(), "host-a", fast_retries(2))
        .with_sender("sms", sms(&format!("http://127.0.0.1:{dead}/sms")))
        .with_sender("email", Arc::new(smtp));
    let first = worker.deliver_once(10).await.unwrap();
    assert_eq!((first.sent, first.retried), (0, 2));
    let queued = store.notifications(Some("queued")).await.unwrap();
    assert_eq!(queued.len(), 2, "nothing is lost while endpoints are down");
    assert!(
        queued
            .iter()
            .all(|n| n.last_error.as_deref().is_some_and(|e| !e.is_empty()))
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let second = worker.deliver_once(10).await.unwrap();
    assert_eq!(second.failed, 2);
    let failed = store.notifications(Some("failed")).await.unwrap();
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("gave up after 2 attempts"),
        "{failed:?}"
    );
}
on_both_databases!(
    unreachable_smtp_and_gateway_are_retried_then_given_up,
    unreachable_endpoints_are_retried_then_given_up
);

async fn withdrawn_consent_cancels_a_queued_message(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizen = reachable_citizens(&store, false, 1).await[0];
    commit_messages(&store, "run-1", &[(citizen, Channel::Sms, "1")]).await;
    store.set_consent_for_tests(citizen, false).await.unwrap();
    let (url, gateway) = gateway(0).await;
    let worker = NotificationWorker::new(store.clone(), "host-a", fast_retries(3))
        .with_sender("sms", sms(&url));
    assert_eq!(drain(&worker).await.cancelled, 1);
    assert!(gateway.requests.lock().unwrap().is_empty());
    assert_eq!(
        store.notifications(Some("cancelled")).await.unwrap().len(),
        1
    );
}
on_both_databases!(
    a_message_to_a_citizen_who_withdrew_consent_is_not_sent,
    withdrawn_consent_cancels_a_queued_message
);
