//! Two hosts on one database share the outbox through a slow SMTP relay, a slow SMS gateway and
//! a slow SMEV adapter — each taking longer per item than the lease divided by the batch, so a
//! batch outlasts its lease many times over — and every message and request is handed over
//! exactly once: counted by what the sinks received and by what the database recorded.
//!
//! And when a host does stall or die: a host that lost its claim does not send, and a host
//! killed mid-send leaves only that one item in doubt, sent again with the same id.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use zemstvo_core::capabilities::notify::Channel;
use zemstvo_core::capabilities::smev::SmevQuery;
use zemstvo_outbox::delivery::{DeliveryStats, NotificationWorker};
use zemstvo_outbox::senders::{
    GatewayConfig, HttpGatewaySender, NotificationSender, SmtpConfig, SmtpSender,
};
use zemstvo_outbox::smev::{HttpSmevConfig, HttpSmevTransport, SmevStats, SmevWorker};
use zemstvo_outbox::{OutboxLeases, RetryPolicy};
use zemstvo_store::on_both_databases;
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, StoreError};

/// Claims last 2 s and take 8 items; each item takes 0.5 s at the sink, so a batch takes 4 s:
/// without renewal every batch's lease would run out under the host sending it.
const LEASES: OutboxLeases = OutboxLeases {
    lease: Duration::from_secs(2),
    batch: 8,
};
const DELAY: Duration = Duration::from_millis(500);
/// Three batches of each: while one host sends the third, the other has nothing left and
/// keeps polling — it would take the third over the moment its lease ran out.
const EMAILS: usize = 12;
const SMS: usize = 12;
const REQUESTS: u64 = 24;

fn retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    }
}

fn notification_worker(
    store: Store,
    host: &str,
    smtp_port: u16,
    sms_url: &str,
) -> NotificationWorker {
    let smtp = SmtpSender::new(
        &SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp_port,
            tls: "none".into(),
            username: None,
            password: None,
            from: "ЦСЗН <noreply@uszn.example.ru>".into(),
        },
        "lipetsk-demo",
    )
    .unwrap();
    let sms = HttpGatewaySender::new(GatewayConfig {
        url: sms_url.to_string(),
        token: None,
        timeout_ms: 5_000,
    })
    .unwrap();
    NotificationWorker::new(store, host, retries())
        .with_leases(LEASES)
        .with_sender("email", Arc::new(smtp))
        .with_sender("sms", Arc::new(sms))
}

fn smev_worker(store: Store, host: &str, url: &str) -> SmevWorker {
    let transport = HttpSmevTransport::new(HttpSmevConfig {
        url: url.to_string(),
        token: None,
        timeout_ms: 5_000,
    })
    .unwrap();
    SmevWorker::new(store, host, Arc::new(transport), retries()).with_leases(LEASES)
}

/// Whether every message and request reached a final state.
async fn all_done(store: &Store) -> Result<bool, StoreError> {
    let open = |s: &str| matches!(s, "queued" | "claimed" | "sending");
    Ok(!store
        .notifications(None)
        .await?
        .iter()
        .any(|r| open(&r.status))
        && !store.smev_outbox().await?.iter().any(|(_, s)| open(s)))
}

/// One host's share, as `serve` does it: rounds of delivery and sending, polling while other
/// hosts still hold work (which may come back to this one when a lease runs out).
async fn host_works(
    store: &Store,
    notifications: &NotificationWorker,
    smev: &SmevWorker,
) -> Result<(DeliveryStats, SmevStats), StoreError> {
    let (mut d, mut s) = (DeliveryStats::default(), SmevStats::default());
    loop {
        let (delivered, sent) = tokio::join!(notifications.deliver_once(500), smev.send_once(500));
        let (delivered, sent) = (delivered?, sent?);
        if delivered == DeliveryStats::default() && sent == SmevStats::default() {
            if all_done(store).await? {
                return Ok((d, s));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        d.sent += delivered.sent;
        d.retried += delivered.retried;
        d.failed += delivered.failed;
        d.taken_over += delivered.taken_over;
        s.sent += sent.sent;
        s.send_retried += sent.send_retried;
        s.taken_over += sent.taken_over;
        s.conflicts += sent.conflicts;
    }
}

async fn two_hosts_send_each_item_once(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizens = reachable_citizens(&store, true, EMAILS + SMS).await;
    assert_eq!(citizens.len(), EMAILS + SMS);
    let messages: Vec<(u64, Channel, String)> = citizens
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let channel = if i < EMAILS {
                Channel::Email
            } else {
                Channel::Sms
            };
            (*c, channel, format!("48-2026-{i:06}"))
        })
        .collect();
    let borrowed: Vec<(u64, Channel, &str)> = messages
        .iter()
        .map(|(c, ch, n)| (*c, *ch, n.as_str()))
        .collect();
    commit_messages(&store, "run-1", &borrowed).await;
    let queries: Vec<SmevQuery> = (0..REQUESTS)
        .map(|i| SmevQuery {
            agency: "fns".into(),
            kind: "income".into(),
            subject: 1 + i,
            application: None,
            params: vec![],
        })
        .collect();
    commit_requests(&store, "run-2", queries).await;

    let (smtp_port, relay) = smtp_relay(DELAY).await;
    let (sms_url, gateway) = slow_gateway(0, DELAY).await;
    let (smev_url, adapter) = slow_adapter(DELAY).await;
    // Each host has its own connection pool, as two processes would.
    let (a, b) = (db.store().await, db.store().await);
    let host_a = (
        notification_worker(a.clone(), "host-a", smtp_port, &sms_url),
        smev_worker(a.clone(), "host-a", &smev_url),
    );
    let host_b = (
        notification_worker(b.clone(), "host-b", smtp_port, &sms_url),
        smev_worker(b.clone(), "host-b", &smev_url),
    );
    let (done_a, done_b) = tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(
            host_works(&a, &host_a.0, &host_a.1),
            host_works(&b, &host_b.0, &host_b.1)
        )
    })
    .await
    .expect("the hosts finish");
    let ((da, sa), (db_, sb)) = (done_a.unwrap(), done_b.unwrap());

    // What the sinks received: every item once.
    let mail = message_ids(&relay);
    let sms: Vec<String> = gateway
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    let requests = adapter.keys.lock().unwrap().clone();
    eprintln!(
        "two hosts, lease {:?}, batch {}, {DELAY:?} per item: {} e-mails received for {EMAILS}, \
         {} SMS requests for {SMS}, {} SMEV requests for {REQUESTS}",
        LEASES.lease,
        LEASES.batch,
        mail.len(),
        sms.len(),
        requests.len()
    );
    assert_eq!(repeated(&mail), vec![], "e-mails received twice");
    assert_eq!(mail.len(), EMAILS);
    assert_eq!(repeated(&sms), vec![], "SMS requested twice");
    assert_eq!(sms.len(), SMS);
    assert_eq!(repeated(&requests), vec![], "SMEV requests sent twice");
    assert_eq!(requests.len(), REQUESTS as usize);

    // What the database recorded: each sent once, on the first and only claim.
    let rows = store.notifications(None).await.unwrap();
    assert_eq!(rows.len(), EMAILS + SMS);
    assert!(
        rows.iter().all(|r| r.status == "sent" && r.attempts == 1),
        "every message sent on its first claim: {:?}",
        rows.iter()
            .filter(|r| r.status != "sent" || r.attempts != 1)
            .map(|r| (r.id, &r.status, r.attempts))
            .collect::<Vec<_>>()
    );
    let outbox = store.smev_outbox().await.unwrap();
    assert_eq!(outbox.len(), REQUESTS as usize);
    assert!(
        outbox.iter().all(|(_, status)| status == "sent"),
        "{outbox:?}"
    );
    let recorded: Vec<String> = store
        .pending_smev()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.message_id.starts_with("adapter-"))
        .map(|p| p.message_id)
        .collect();
    assert_eq!(recorded.len(), REQUESTS as usize);

    // Both hosts worked, and neither lost a claim to the other.
    assert!(da.sent > 0 && db_.sent > 0, "{da:?} {db_:?}");
    assert!(sa.sent > 0 && sb.sent > 0, "{sa:?} {sb:?}");
    assert_eq!(da.sent + db_.sent, (EMAILS + SMS) as u64);
    assert_eq!(sa.sent + sb.sent, REQUESTS);
    assert_eq!(
        (da.taken_over, db_.taken_over, sa.taken_over, sb.taken_over),
        (0, 0, 0, 0)
    );
}
on_both_databases!(
    two_hosts_behind_slow_endpoints_send_every_message_and_request_once,
    two_hosts_send_each_item_once
);

fn sms_sender(url: &str) -> HttpGatewaySender {
    HttpGatewaySender::new(GatewayConfig {
        url: url.to_string(),
        token: None,
        timeout_ms: 2_000,
    })
    .unwrap()
}

async fn a_stalled_host_does_not_send_what_it_lost(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizens = reachable_citizens(&store, false, 2).await;
    commit_messages(
        &store,
        "run-1",
        &[
            (citizens[0], Channel::Sms, "1"),
            (citizens[1], Channel::Sms, "2"),
        ],
    )
    .await;
    let (url, gateway) = gateway(0).await;
    let lease = Duration::from_secs(60);
    // Host A claims both, starts the first, then stalls past its lease.
    let claimed = store
        .claim_notifications("host-a", 10, lease)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        store
            .notification_sending(claimed[0].id, "host-a", lease)
            .await
            .unwrap()
    );
    sms_sender(&url).send(&claimed[0]).await.unwrap();
    store.expire_claims_for_tests().await.unwrap();
    // Host B takes both over: the first in doubt (it may have gone out), the second not.
    let worker = NotificationWorker::new(store.clone(), "host-b", retries())
        .with_sender("sms", Arc::new(sms_sender(&url)));
    let taken = store
        .claim_notifications("host-b", 10, lease)
        .await
        .unwrap();
    let states: Vec<Option<&str>> = taken.iter().map(|m| m.takeover.as_deref()).collect();
    assert_eq!(states, vec![Some("sending"), Some("claimed")]);
    assert!(taken[0].in_doubt() && !taken[1].in_doubt());
    store.expire_claims_for_tests().await.unwrap();
    assert_eq!(worker.deliver_once(10).await.unwrap().sent, 2);
    // Host A wakes up: it no longer holds the second message and must not send it.
    assert!(
        !store
            .notification_sending(claimed[1].id, "host-a", lease)
            .await
            .unwrap(),
        "a host that lost its claim may not mark the message sending"
    );
    let keys: Vec<String> = gateway
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        keys.len(),
        3,
        "the message in flight went out twice, no other"
    );
    assert_eq!(
        repeated(&keys),
        vec![(claimed[0].idempotency_id.clone(), 2)]
    );
    assert_eq!(
        gateway.delivered.lock().unwrap().len(),
        2,
        "the gateway delivered each once"
    );
    let rows = store.notifications(Some("sent")).await.unwrap();
    assert_eq!(rows.len(), 2);
}
on_both_databases!(
    a_host_that_lost_its_claim_does_not_send_and_a_kill_mid_send_duplicates_only_that_message,
    a_stalled_host_does_not_send_what_it_lost
);

async fn a_resent_email_keeps_its_message_id(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizen = reachable_citizens(&store, true, 1).await[0];
    commit_messages(&store, "run-1", &[(citizen, Channel::Email, "1")]).await;
    let (port, relay) = smtp_server().await;
    let smtp = || {
        SmtpSender::new(
            &SmtpConfig {
                host: "127.0.0.1".into(),
                port,
                tls: "none".into(),
                username: None,
                password: None,
                from: "noreply@uszn.example.ru".into(),
            },
            "lipetsk-demo",
        )
        .unwrap()
    };
    let lease = Duration::from_secs(60);
    // Host A is killed after handing the e-mail to the relay, before recording it.
    let claimed = store.claim_notifications("host-a", 1, lease).await.unwrap();
    assert!(
        store
            .notification_sending(claimed[0].id, "host-a", lease)
            .await
            .unwrap()
    );
    smtp().send(&claimed[0]).await.unwrap();
    store.expire_claims_for_tests().await.unwrap();
    let worker = NotificationWorker::new(store.clone(), "host-b", retries())
        .with_sender("email", Arc::new(smtp()));
    assert_eq!(worker.deliver_once(10).await.unwrap().sent, 1);
    let ids = message_ids(&relay);
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], ids[1],
        "the resend carries the same Message-ID, by which the copy can be dropped"
    );
    assert_eq!(
        ids[0],
        format!("<{}@lipetsk-demo.zemstvo>", claimed[0].idempotency_id)
    );
}
on_both_databases!(
    an_email_resent_after_a_kill_mid_send_keeps_its_message_id,
    a_resent_email_keeps_its_message_id
);

async fn two_hosts_record_sent_requests_without_id_races(db: TestDatabase) {
    let store = region_store(&db).await;
    let queries: Vec<SmevQuery> = (0..60)
        .map(|i| SmevQuery {
            agency: "pfr".into(),
            kind: "pension".into(),
            subject: 1 + i,
            application: None,
            params: vec![],
        })
        .collect();
    commit_requests(&store, "run-1", queries).await;
    let (url, adapter) = slow_adapter(Duration::ZERO).await;
    let one_at_a_time = OutboxLeases {
        lease: Duration::from_secs(30),
        batch: 1,
    };
    let (a, b) = (db.store().await, db.store().await);
    let host_a = smev_worker(a, "host-a", &url).with_leases(one_at_a_time);
    let host_b = smev_worker(b, "host-b", &url).with_leases(one_at_a_time);
    // Both hosts record sent requests at once, one commit per request.
    let (sa, sb) = tokio::join!(host_a.send_once(100), host_b.send_once(100));
    let (sa, sb) = (sa.unwrap(), sb.unwrap());
    assert_eq!(sa.sent + sb.sent, 60, "{sa:?} {sb:?}");
    assert!(sa.sent > 0 && sb.sent > 0, "{sa:?} {sb:?}");
    assert_eq!(repeated(&adapter.keys.lock().unwrap()), vec![]);
    let recorded = store.pending_smev().await.unwrap();
    let sent: Vec<_> = recorded
        .iter()
        .filter(|p| p.message_id.starts_with("adapter-"))
        .collect();
    assert_eq!(sent.len(), 60);

    // A host that recorded late what another host had taken over and recorded is told it
    // is a conflict — for that one request — not a database failure.
    commit_requests(
        &store,
        "run-2",
        vec![SmevQuery {
            agency: "fns".into(),
            kind: "income".into(),
            subject: 1,
            application: None,
            params: vec![],
        }],
    )
    .await;
    let lease = Duration::from_secs(60);
    let late = store.claim_smev_outbox("host-a", 1, lease).await.unwrap();
    store.expire_claims_for_tests().await.unwrap();
    let taken = store.claim_smev_outbox("host-b", 1, lease).await.unwrap();
    assert_eq!(taken[0].takeover.as_deref(), Some("claimed"));
    store
        .smev_sent(&taken[0], "host-b", "msg-b", NOW)
        .await
        .unwrap();
    match store.smev_sent(&late[0], "host-a", "msg-a", NOW).await {
        Err(StoreError::Conflict(why)) => assert!(why.contains("another host"), "{why}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}
on_both_databases!(
    two_hosts_recording_sent_smev_requests_at_once_never_collide_on_ids,
    two_hosts_record_sent_requests_without_id_races
);

async fn a_stopping_host_finishes_the_message_in_flight_and_gives_back_the_rest(db: TestDatabase) {
    let store = region_store(&db).await;
    let citizens = reachable_citizens(&store, false, 6).await;
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
    let (url, gateway) = slow_gateway(0, Duration::from_millis(300)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let long = OutboxLeases {
        lease: Duration::from_secs(600),
        batch: 10,
    };
    let a = NotificationWorker::new(store.clone(), "host-a", retries())
        .with_leases(long)
        .with_sender("sms", Arc::new(sms_sender(&url)))
        .with_stop(stop.clone());
    // Host A is told to stop while it sends its first message.
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (stats, ()) = tokio::join!(a.deliver_once(100), stopping);
    assert_eq!(stats.unwrap().sent, 1, "the message in flight was finished");
    assert_eq!(
        store.release_notification_claims("host-a").await.unwrap(),
        5
    );
    // Host B takes the rest at once, not after A's 600 s lease.
    let b = NotificationWorker::new(store.clone(), "host-b", retries())
        .with_leases(long)
        .with_sender("sms", Arc::new(sms_sender(&url)));
    assert_eq!(b.deliver_once(100).await.unwrap().sent, 5);
    let keys: Vec<String> = gateway
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(keys.len(), 6);
    assert_eq!(repeated(&keys), vec![]);
}
on_both_databases!(
    a_stopping_host_finishes_the_message_in_flight_and_its_claims_go_to_another_host_at_once,
    a_stopping_host_finishes_the_message_in_flight_and_gives_back_the_rest
);
