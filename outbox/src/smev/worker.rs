//! The SMEV worker: sends queued requests, takes deliveries (each processed once, each
//! acknowledged), and retries sends with backoff.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zemstvo_store::smev::DeliveryResult;
use zemstvo_store::{Store, StoreError};

use super::SmevTransport;
use crate::senders::SendError;
use crate::{RetryPolicy, now};

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SmevStats {
    pub sent: u64,
    pub send_retried: u64,
    pub send_failed: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub unmatched: u64,
}

pub struct SmevWorker {
    store: Store,
    host: String,
    transport: Arc<dyn SmevTransport>,
    policy: RetryPolicy,
}

impl SmevWorker {
    pub fn new(
        store: Store,
        host: impl Into<String>,
        transport: Arc<dyn SmevTransport>,
        policy: RetryPolicy,
    ) -> Self {
        SmevWorker {
            store,
            host: host.into(),
            transport,
            policy,
        }
    }

    /// Hands the transport the requests still open (after a restart).
    pub async fn resume(&self) -> Result<(), StoreError> {
        let pending = self.store.pending_smev().await?;
        self.transport.resume(&pending).await;
        Ok(())
    }

    /// Sends up to `limit` queued requests.
    pub async fn send_once(&self, limit: u32) -> Result<SmevStats, StoreError> {
        let mut stats = SmevStats::default();
        for out in self
            .store
            .claim_smev_outbox(&self.host, limit, Duration::from_secs(120))
            .await?
        {
            match self.transport.send(&out.request_key, &out.query).await {
                Ok(message_id) => {
                    self.store
                        .smev_sent(&out, &self.host, &message_id, now())
                        .await?;
                    stats.sent += 1;
                }
                Err(SendError::Permanent(why)) => {
                    stats.send_failed += 1;
                    self.store
                        .smev_send_failed(out.id, &self.host, &why, now(), true)
                        .await?;
                }
                Err(SendError::Transient(why)) => {
                    let attempts = out.attempts.max(1) as u32;
                    let give_up = attempts >= self.policy.max_attempts;
                    if give_up {
                        stats.send_failed += 1;
                    } else {
                        stats.send_retried += 1;
                    }
                    let next = now() + self.policy.backoff(attempts).as_secs().max(1) as i64;
                    self.store
                        .smev_send_failed(out.id, &self.host, &why, next, give_up)
                        .await?;
                }
            }
        }
        Ok(stats)
    }

    /// Takes up to `limit` deliveries. A delivery is recorded before it is acknowledged, so a
    /// crash in between means a redelivery, which is recognised and only acknowledged.
    pub async fn receive_once(&self, limit: usize) -> Result<SmevStats, StoreError> {
        let mut stats = SmevStats::default();
        let deliveries = match self.transport.receive(limit).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("SMEV: cannot receive deliveries now: {e}");
                return Ok(stats);
            }
        };
        for d in deliveries {
            match self.store.record_delivery(&d).await? {
                DeliveryResult::Applied => stats.applied += 1,
                DeliveryResult::Duplicate => stats.duplicates += 1,
                DeliveryResult::Unmatched => stats.unmatched += 1,
            }
            match self.transport.ack(&d.delivery_id).await {
                Ok(()) => self.store.delivery_acked(&d.delivery_id).await?,
                Err(e) => {
                    tracing::warn!(delivery = %d.delivery_id, "SMEV: acknowledgement failed, it will be delivered again: {e}")
                }
            }
        }
        Ok(stats)
    }
}
