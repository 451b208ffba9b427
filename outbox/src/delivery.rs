//! The notification delivery worker: claim due messages, re-check consent, send through the
//! channel's adapter, then mark sent, retry with backoff, or give up.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zemstvo_store::notifications::OutgoingNotification;
use zemstvo_store::{Store, StoreError};

use crate::senders::{NotificationSender, SendError};
use crate::{RetryPolicy, now};

/// What one pass delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryStats {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub cancelled: u64,
}

/// Delivers the outbox's messages through the configured senders.
pub struct NotificationWorker {
    store: Store,
    host: String,
    senders: HashMap<String, Arc<dyn NotificationSender>>,
    policy: RetryPolicy,
    /// How long a claim lasts: longer than one send can take.
    lease: Duration,
}

impl NotificationWorker {
    pub fn new(store: Store, host: impl Into<String>, policy: RetryPolicy) -> Self {
        NotificationWorker {
            store,
            host: host.into(),
            senders: HashMap::new(),
            policy,
            lease: Duration::from_secs(120),
        }
    }

    /// The adapter for a channel (`sms`, `voice`, `email`, `portal`).
    pub fn with_sender(mut self, channel: &str, sender: Arc<dyn NotificationSender>) -> Self {
        self.senders.insert(channel.to_string(), sender);
        self
    }

    /// Delivers up to `limit` due messages.
    pub async fn deliver_once(&self, limit: u32) -> Result<DeliveryStats, StoreError> {
        let mut stats = DeliveryStats::default();
        for m in self
            .store
            .claim_notifications(&self.host, limit, self.lease)
            .await?
        {
            self.deliver(&m, &mut stats).await?;
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
        match sender.send(m).await {
            Ok(()) => {
                stats.sent += 1;
                self.store.notification_sent(m.id, &self.host).await
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
