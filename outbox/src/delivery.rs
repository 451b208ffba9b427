//! The notification delivery worker: claim due messages a small batch at a time, re-check
//! consent, mark each `sending` and send it through the channel's adapter, then mark it sent,
//! retry with backoff, or give up — renewing the batch's lease all the while, so that a claim
//! never expires under a host that is working on it however slow the relay.
//!
//! Guarantee per channel (several hosts on one database):
//!
//! - **In healthy operation, exactly once**: a message is handed to its channel by the one
//!   host that holds its claim, and only after that host marked it `sending` while still
//!   holding the claim; a host that lost a claim (it stalled past its lease) skips the message.
//! - **A host killed mid-send** leaves at most the one message it was sending in doubt; the
//!   host that takes it over after the lease sends it again with the same id:
//!   - SMS, voice, portal (HTTP gateway): the same `Idempotency-Key` and body `id`, so a
//!     gateway that honours them delivers it once;
//!   - e-mail (SMTP has no idempotency key): the same `Message-ID`
//!     (`<idempotency-id@region.zemstvo>`), by which a relay or a mail client drops the second
//!     copy; one that does not shows it twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use zemstvo_store::notifications::OutgoingNotification;
use zemstvo_store::{Store, StoreError};

use crate::senders::{NotificationSender, SendError};
use crate::{OutboxLeases, RetryPolicy, now, record_patiently, while_renewing};

/// What one pass delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryStats {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Messages this host had claimed but another host took over before they were sent here
    /// (this host stalled past its lease): not sent here.
    pub taken_over: u64,
}

/// Delivers the outbox's messages through the configured senders.
pub struct NotificationWorker {
    store: Store,
    host: String,
    senders: HashMap<String, Arc<dyn NotificationSender>>,
    policy: RetryPolicy,
    leases: OutboxLeases,
    /// Set when the host is shutting down: no new claims, and the rest of a batch is left for
    /// the host's release.
    stop: Arc<AtomicBool>,
}

impl NotificationWorker {
    pub fn new(store: Store, host: impl Into<String>, policy: RetryPolicy) -> Self {
        NotificationWorker {
            store,
            host: host.into(),
            senders: HashMap::new(),
            policy,
            leases: OutboxLeases::default(),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Shares the host's shutdown flag: once set, the worker finishes the item in flight and
    /// claims nothing more; what it had claimed but not started is released by the host.
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// How long claims last and how many messages are claimed at once.
    pub fn with_leases(mut self, leases: OutboxLeases) -> Self {
        self.leases = leases;
        self
    }

    /// The adapter for a channel (`sms`, `voice`, `email`, `portal`).
    pub fn with_sender(mut self, channel: &str, sender: Arc<dyn NotificationSender>) -> Self {
        self.senders.insert(channel.to_string(), sender);
        self
    }

    /// Delivers up to `limit` due messages, claiming them a batch at a time and renewing the
    /// batch's lease while sending.
    pub async fn deliver_once(&self, limit: u32) -> Result<DeliveryStats, StoreError> {
        let mut stats = DeliveryStats::default();
        let mut left = limit;
        while left > 0 && !self.stopping() {
            let batch = self
                .store
                .claim_notifications(
                    &self.host,
                    left.min(self.leases.batch.max(1)),
                    self.leases.lease,
                )
                .await?;
            if batch.is_empty() {
                break;
            }
            left = left.saturating_sub(batch.len() as u32);
            let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
            let work = async {
                for m in &batch {
                    if self.stopping() {
                        break;
                    }
                    self.deliver(m, &mut stats).await?;
                }
                Ok::<(), StoreError>(())
            };
            while_renewing(self.leases.lease, work, || {
                self.store
                    .renew_notification_claims(&self.host, &ids, self.leases.lease)
            })
            .await?;
        }
        Ok(stats)
    }

    async fn deliver(
        &self,
        m: &OutgoingNotification,
        stats: &mut DeliveryStats,
    ) -> Result<(), StoreError> {
        // Consent may have been withdrawn since the run: check again at the last moment.
        let consent = self.store.contact(m.citizen).await?.map(|c| c.consent);
        if consent != Some(true) {
            stats.cancelled += 1;
            let reason = "the citizen no longer consents to proactive informing";
            tracing::info!(message = m.id, "{reason}; not sent");
            return self
                .store
                .notification_cancelled(m.id, &self.host, reason)
                .await;
        }
        let Some(sender) = self.senders.get(&m.channel) else {
            return self
                .retry_or_fail(
                    m,
                    format!("no adapter is configured for the {} channel", m.channel),
                    stats,
                )
                .await;
        };
        if !self
            .store
            .notification_sending(m.id, &self.host, self.leases.lease)
            .await?
        {
            stats.taken_over += 1;
            tracing::warn!(
                message = m.id,
                host = %self.host,
                "another host took this message over (this host held it past its lease); not sent here"
            );
            return Ok(());
        }
        if m.in_doubt() {
            tracing::warn!(
                message = m.id,
                channel = %m.channel,
                idempotency_id = %m.idempotency_id,
                "the host that was sending this message stopped before recording it; sending it again with the same id"
            );
        }
        match sender.send(m).await {
            Ok(()) => {
                stats.sent += 1;
                record_patiently(&format!("message {}", m.id), || {
                    self.store.notification_sent(m.id, &self.host)
                })
                .await
            }
            Err(SendError::Permanent(why)) => {
                stats.failed += 1;
                tracing::warn!(message = m.id, channel = %m.channel, "giving up: {why}");
                self.store
                    .notification_failed(m.id, &self.host, &why, now(), true)
                    .await
            }
            Err(SendError::Transient(why)) => self.retry_or_fail(m, why, stats).await,
        }
    }

    async fn retry_or_fail(
        &self,
        m: &OutgoingNotification,
        why: String,
        stats: &mut DeliveryStats,
    ) -> Result<(), StoreError> {
        let attempts = m.attempts.max(1) as u32;
        if attempts >= self.policy.max_attempts {
            stats.failed += 1;
            tracing::warn!(
                message = m.id,
                attempts,
                "giving up after {attempts} attempts: {why}"
            );
            let why = format!("gave up after {attempts} attempts: {why}");
            return self
                .store
                .notification_failed(m.id, &self.host, &why, now(), true)
                .await;
        }
        stats.retried += 1;
        let next = now() + self.policy.backoff(attempts).as_secs().max(1) as i64;
        tracing::info!(message = m.id, attempts, "will retry: {why}");
        self.store
            .notification_failed(m.id, &self.host, &why, next, false)
            .await
    }
}
