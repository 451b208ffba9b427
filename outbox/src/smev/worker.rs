//! The SMEV worker: sends queued requests, takes deliveries (each processed once, each
//! acknowledged), and retries sends with backoff.
//!
//! Requests are claimed a small batch at a time under a lease the worker renews while it
//! sends, and each is marked `sending` (only while this host still holds it) just before it
//! goes to the transport: in healthy operation each request is sent once. A host killed
//! mid-send leaves that one request in doubt; the host that takes it over sends it again with
//! the same request key, which the adapter treats as the idempotency key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use zemstvo_core::clock::Clock;
use zemstvo_store::smev::{DeliveryResult, OutgoingSmev};
use zemstvo_store::{Store, StoreError, counters};

use super::SmevTransport;
use crate::senders::SendError;
use crate::{OutboxLeases, RetryPolicy, now, record_patiently, while_renewing};

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SmevStats {
    pub sent: u64,
    pub send_retried: u64,
    pub send_failed: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub unmatched: u64,
    /// Requests another host took over before this one sent them (this host stalled past its
    /// lease): not sent here.
    pub taken_over: u64,
    /// Sent requests another host had already recorded (it took the request over): this
    /// host's record was dropped.
    pub conflicts: u64,
}

pub struct SmevWorker {
    store: Store,
    host: String,
    transport: Arc<dyn SmevTransport>,
    policy: RetryPolicy,
    leases: OutboxLeases,
    /// Set when the host is shutting down: no new claims, and the rest of a batch is left for
    /// the host's release.
    stop: Arc<AtomicBool>,
    /// Dates what is sent (the transport dates answers by the same clock).
    clock: Clock,
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
            leases: OutboxLeases::default(),
            stop: Arc::new(AtomicBool::new(false)),
            clock: Clock::wall(),
        }
    }

    /// Dates sent requests by the host's clock (the one the transport dates answers by).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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

    /// How long claims last and how many requests are claimed at once.
    pub fn with_leases(mut self, leases: OutboxLeases) -> Self {
        self.leases = leases;
        self
    }

    /// Hands the transport the requests still open (after a restart).
    pub async fn resume(&self) -> Result<(), StoreError> {
        let pending = self.store.pending_smev().await?;
        self.transport.resume(&pending).await;
        Ok(())
    }

    /// Sends up to `limit` queued requests, claiming them a batch at a time and renewing the
    /// batch's lease while sending.
    pub async fn send_once(&self, limit: u32) -> Result<SmevStats, StoreError> {
        let mut stats = SmevStats::default();
        let mut left = limit;
        while left > 0 && !self.stopping() {
            let batch = self
                .store
                .claim_smev_outbox(
                    &self.host,
                    left.min(self.leases.batch.max(1)),
                    self.leases.lease,
                )
                .await?;
            if batch.is_empty() {
                break;
            }
            left = left.saturating_sub(batch.len() as u32);
            let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
            let work = async {
                // What went out is recorded in one transaction after the batch (a crash before
                // that re-sends those requests with their same keys, as for one request).
                let mut sent = Vec::new();
                let mut failed = None;
                for out in &batch {
                    if self.stopping() {
                        break;
                    }
                    match self.send(out, &mut stats).await {
                        Ok(Some(message_id)) => sent.push((out, message_id, self.clock.now())),
                        Ok(None) => {}
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                self.record_sent(&sent, &mut stats).await?;
                failed.map_or(Ok(()), Err)
            };
            while_renewing(self.leases.lease, work, || {
                self.store
                    .renew_smev_claims(&self.host, &ids, self.leases.lease)
            })
            .await?;
        }
        Ok(stats)
    }

    /// Records the requests of a batch that went out; one another host took over meanwhile
    /// keeps that host's record.
    async fn record_sent(
        &self,
        sent: &[(&OutgoingSmev, String, i64)],
        stats: &mut SmevStats,
    ) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        let results = record_patiently(&format!("{} SMEV requests", sent.len()), || {
            self.store.smev_sent_many(sent, &self.host)
        })
        .await?;
        for ((out, _, _), result) in sent.iter().zip(results) {
            match result {
                Ok(_) => stats.sent += 1,
                Err(StoreError::Conflict(why)) => {
                    stats.conflicts += 1;
                    metrics::counter!(counters::DUPLICATES_AVOIDED, "kind" => "smev").increment(1);
                    tracing::warn!(request = %out.request_key, "{why}");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends one claimed request; answers its message id when it went out (to be recorded
    /// with its batch), `None` when it did not.
    async fn send(
        &self,
        out: &OutgoingSmev,
        stats: &mut SmevStats,
    ) -> Result<Option<String>, StoreError> {
        if !self
            .store
            .smev_sending(out.id, &self.host, self.leases.lease)
            .await?
        {
            stats.taken_over += 1;
            tracing::warn!(
                request = %out.request_key,
                host = %self.host,
                "another host took this SMEV request over (this host held it past its lease); not sent here"
            );
            return Ok(None);
        }
        if out.takeover.as_deref() == Some("sending") {
            tracing::warn!(
                request = %out.request_key,
                "the host that was sending this SMEV request stopped before recording it; sending it again with the same key"
            );
        }
        match self.transport.send(&out.request_key, &out.query).await {
            Ok(message_id) => return Ok(Some(message_id)),
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
        Ok(None)
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
        // All recorded in one transaction before any is acknowledged: a crash in between
        // means redeliveries, recognised as duplicates. Taken by the host's clock, which a
        // simulator following the agencies has just moved to their answers.
        let results = self
            .store
            .record_deliveries(&deliveries, self.clock.now())
            .await?;
        let mut acked = Vec::with_capacity(deliveries.len());
        for (d, result) in deliveries.iter().zip(results) {
            match result {
                DeliveryResult::Applied => stats.applied += 1,
                DeliveryResult::Duplicate => {
                    stats.duplicates += 1;
                    metrics::counter!(counters::DUPLICATES_AVOIDED, "kind" => "smev-delivery")
                        .increment(1);
                }
                DeliveryResult::Unmatched => stats.unmatched += 1,
            }
            match self.transport.ack(&d.delivery_id).await {
                Ok(()) => acked.push(d.delivery_id.clone()),
                Err(e) => {
                    tracing::warn!(delivery = %d.delivery_id, "SMEV: acknowledgement failed, it will be delivered again: {e}")
                }
            }
        }
        self.store.deliveries_acked(&acked).await?;
        Ok(stats)
    }
}
