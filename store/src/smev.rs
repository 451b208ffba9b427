//! SMEV requests through their lifecycle: queued by a run (`smev_outbox`), sent with a message
//! id (`smev_requests`, which plugins read), then answered, rejected with a reason code, or
//! given a status — each delivery recorded once (`smev_deliveries`), so a redelivered answer is
//! acknowledged again but never processed twice. Send and answer times stay for analytics.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use zemstvo_core::capabilities::smev::SmevQuery;

use crate::{Store, StoreError, audit, now};

/// The identity of a request for deduplication: the same plugin asking the same agency the
/// same thing about the same citizen and application is one request, however many runs ask.
pub fn request_key(plugin: &str, q: &SmevQuery) -> String {
    let canonical =
        serde_json::json!([plugin, q.agency, q.kind, q.subject, q.application, q.params]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// A queued request a sender has claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingSmev {
    pub id: i64,
    pub request_key: String,
    pub plugin: String,
    pub query: SmevQuery,
    pub attempts: i64,
    /// Set when this claim took the request over from a host whose lease ran out: `claimed`
    /// (never sent) or `sending` (it may have been sent; it is sent again with the same
    /// request key, which the adapter deduplicates on).
    pub takeover: Option<String>,
}

/// A request that was sent and awaits its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingSmev {
    pub message_id: String,
    pub agency: String,
    pub kind: String,
    /// The citizen the request is about (0 when unknown, for imported records).
    pub subject: u64,
    pub sent_at: i64,
}

/// What an agency delivered for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Answered {
        facts: Vec<(String, String)>,
    },
    Rejected {
        code: String,
        reason: String,
    },
    /// An intermediate status (e.g. `accepted`, `in-progress`); the request stays open.
    Status {
        status: String,
    },
}

/// One delivery from SMEV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SmevDelivery {
    /// Unique per delivery attempt of the transport; a redelivery repeats it.
    pub delivery_id: String,
    /// The message id of the request it answers.
    pub message_id: String,
    pub received_at: i64,
    pub outcome: DeliveryOutcome,
}

/// How a delivery was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeliveryResult {
    /// Recorded and applied to its request.
    Applied,
    /// Seen before: acknowledge again, change nothing.
    Duplicate,
    /// No open request has this message id (late, or foreign): recorded, not applied.
    Unmatched,
}

/// Request volume and answer times of one agency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyStats {
    pub agency: String,
    pub requests: u64,
    pub answered: u64,
    pub rejected: u64,
    pub pending: u64,
    /// Mean days from sending to answer, over answered requests.
    pub mean_answer_days: Option<f64>,
}

impl Store {
    /// Claims up to `limit` queued requests that are due to be sent.
    pub async fn claim_smev_outbox(
        &self,
        host: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutgoingSmev>, StoreError> {
        let rows: Vec<(
            i64,
            String,
            String,
            Option<i64>,
            String,
            String,
            i64,
            String,
            i64,
            Option<String>,
        )> = self
            .claim_outbox(
                "smev_outbox",
                "id, request_key, plugin, application_id, agency, kind, subject, params, attempts, takeover",
                host,
                limit,
                lease,
            )
            .await?;
        let mut claimed: Vec<OutgoingSmev> = rows
            .into_iter()
            .map(
                |(
                    id,
                    request_key,
                    plugin,
                    application,
                    agency,
                    kind,
                    subject,
                    params,
                    attempts,
                    takeover,
                )| {
                    Ok(OutgoingSmev {
                        id,
                        request_key,
                        plugin,
                        query: SmevQuery {
                            agency,
                            kind,
                            subject: subject as u64,
                            application: application.map(|a| a as u64),
                            params: serde_json::from_str(&params)?,
                        },
                        attempts,
                        takeover,
                    })
                },
            )
            .collect::<Result<_, StoreError>>()?;
        // RETURNING gives no order (PostgreSQL's follows the rows' places on disk): the
        // batch goes out in the order it was queued.
        claimed.sort_by_key(|r| r.id);
        let taken_over = claimed.iter().filter(|r| r.takeover.is_some()).count();
        if taken_over > 0 {
            metrics::counter!(crate::counters::LEASE_EXPIRIES, "kind" => "smev")
                .increment(taken_over as u64);
        }
        Ok(claimed)
    }

    /// Extends `host`'s lease on the claimed requests `ids` it still holds; returns how many.
    pub async fn renew_smev_claims(
        &self,
        host: &str,
        ids: &[i64],
        lease: Duration,
    ) -> Result<u64, StoreError> {
        self.renew_outbox("smev_outbox", host, ids, lease).await
    }

    /// Marks a claimed request `sending` just before it goes to the transport; `false` if
    /// `host` no longer holds it (another host took it over), and then it must not be sent.
    pub async fn smev_sending(
        &self,
        id: i64,
        host: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.mark_outbox_sending("smev_outbox", id, host, lease)
            .await
    }

    /// Puts back the requests `host` claimed but has not started sending (orderly shutdown).
    pub async fn release_smev_claims(&self, host: &str) -> Result<u64, StoreError> {
        self.release_outbox("smev_outbox", host).await
    }

    /// Records that a claimed request was sent with `message_id`: it becomes a sent SMEV
    /// request the region's data shows, in the same transaction.
    pub async fn smev_sent(
        &self,
        outgoing: &OutgoingSmev,
        host: &str,
        message_id: &str,
        sent_at: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = smev_sent_in(&mut tx, outgoing, host, message_id, sent_at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records several sent requests (request, message id, sent at) in one transaction, each
    /// as [`Store::smev_sent`] does and under its own savepoint: a request another host took
    /// over meanwhile is answered [`StoreError::Conflict`] in its place and the others are
    /// recorded.
    pub async fn smev_sent_many(
        &self,
        sent: &[(&OutgoingSmev, String, i64)],
        host: &str,
    ) -> Result<Vec<Result<i64, StoreError>>, StoreError> {
        let mut out = Vec::with_capacity(sent.len());
        if sent.is_empty() {
            return Ok(out);
        }
        let mut tx = self.begin_write().await?;
        for (outgoing, message_id, sent_at) in sent {
            sqlx::query("SAVEPOINT smev_sent").execute(&mut *tx).await?;
            match smev_sent_in(&mut tx, outgoing, host, message_id, *sent_at).await {
                Ok(id) => out.push(Ok(id)),
                Err(StoreError::Conflict(why)) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT smev_sent")
                        .execute(&mut *tx)
                        .await?;
                    out.push(Err(StoreError::Conflict(why)));
                }
                Err(e) => return Err(e),
            }
            sqlx::query("RELEASE SAVEPOINT smev_sent")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Puts a claimed request back for another attempt, or gives it up.
    pub async fn smev_send_failed(
        &self,
        id: i64,
        host: &str,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE smev_outbox SET status = $1, last_error = $2, next_attempt_at = $3, claimed_until = NULL \
             WHERE id = $4 AND claimed_by = $5",
        )
        .bind(if give_up { "failed" } else { "queued" })
        .bind(error.to_string())
        .bind(next_attempt_at)
        .bind(id)
        .bind(host.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Requests sent and still awaiting an answer.
    pub async fn pending_smev(&self) -> Result<Vec<PendingSmev>, StoreError> {
        let rows: Vec<(String, String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT message_id, agency, kind, subject, sent_at FROM smev_requests WHERE status = 'sent' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(message_id, agency, kind, subject, sent_at)| PendingSmev {
                message_id,
                agency,
                kind,
                subject: subject.unwrap_or(0) as u64,
                sent_at,
            })
            .collect())
    }

    /// Takes one delivery: recorded once, applied to its request once.
    pub async fn record_delivery(&self, d: &SmevDelivery) -> Result<DeliveryResult, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = record_delivery_in(&mut tx, d, crate::now()).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Takes several deliveries in one transaction (one wait for the disk for the lot), each
    /// recorded once and applied to its request once, as [`Store::record_delivery`] does;
    /// answers each one's result in order. `taken_at` is the moment the region takes them by
    /// its clock (wall time, or a demonstration's clock that follows the simulated agencies):
    /// no answer is dated after it.
    pub async fn record_deliveries(
        &self,
        deliveries: &[SmevDelivery],
        taken_at: i64,
    ) -> Result<Vec<DeliveryResult>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            out.push(record_delivery_in(&mut tx, d, taken_at).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records that deliveries were acknowledged to the transport, in one statement per 500.
    pub async fn deliveries_acked(&self, delivery_ids: &[String]) -> Result<(), StoreError> {
        let at = now();
        for chunk in delivery_ids.chunks(500) {
            let sql = format!(
                "UPDATE smev_deliveries SET acked_at = {} WHERE delivery_id IN ({})",
                self.dialect().mark(1),
                self.dialect().marks(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(at);
            for id in chunk {
                q = q.bind(id.clone());
            }
            q.execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Records that a delivery was acknowledged to the transport.
    pub async fn delivery_acked(&self, delivery_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE smev_deliveries SET acked_at = $1 WHERE delivery_id = $2")
            .bind(now())
            .bind(delivery_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Per-agency volumes and mean answer times of requests sent since `since` (the ISU
    /// dashboard's SMEV analytics).
    pub async fn agency_stats(&self, since: i64) -> Result<Vec<AgencyStats>, StoreError> {
        let rows: Vec<(String, i64, i64, i64, i64, Option<f64>)> = sqlx::query_as(
            "SELECT agency, COUNT(*), \
             SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), \
             CAST(AVG(CASE WHEN status = 'answered' THEN (answered_at - sent_at) / 86400.0 END) AS DOUBLE PRECISION) \
             FROM smev_requests WHERE sent_at >= $1 GROUP BY agency ORDER BY COUNT(*) DESC, agency",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(agency, requests, answered, rejected, pending, mean)| AgencyStats {
                    agency,
                    requests: requests as u64,
                    answered: answered as u64,
                    rejected: rejected as u64,
                    pending: pending as u64,
                    mean_answer_days: mean,
                },
            )
            .collect())
    }
}

impl Store {
    /// The SMEV outbox as (request key, status), oldest first.
    pub async fn smev_outbox(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT request_key, status FROM smev_outbox ORDER BY id")
                .fetch_all(self.pool())
                .await?,
        )
    }
}

/// One delivery inside `tx`: recorded (a delivery id seen before is a duplicate and changes
/// nothing) and applied to the sent request its message id names.
async fn record_delivery_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    d: &SmevDelivery,
    taken_at: i64,
) -> Result<DeliveryResult, StoreError> {
    // An answer is never dated after the moment the region applied it: a simulator that
    // compresses agencies' days, or an adapter whose clock runs ahead, would otherwise let a
    // decision taken now rest on an answer "received" next week.
    let received_at = d.received_at.min(taken_at);
    let kind = match &d.outcome {
        DeliveryOutcome::Answered { .. } => "answer",
        DeliveryOutcome::Rejected { .. } => "rejection",
        DeliveryOutcome::Status { .. } => "status",
    };
    let new = sqlx::query(
            "INSERT INTO smev_deliveries (delivery_id, message_id, kind, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (delivery_id) DO NOTHING",
        )
        .bind(d.delivery_id.clone())
        .bind(d.message_id.clone())
        .bind(kind)
        .bind(received_at)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if new == 0 {
        return Ok(DeliveryResult::Duplicate);
    }
    let applied = match &d.outcome {
            DeliveryOutcome::Answered { facts } => {
                sqlx::query(
                    "UPDATE smev_requests SET status = 'answered', answered_at = $1, answer = $2 \
                     WHERE message_id = $3 AND status = 'sent'",
                )
                .bind(received_at)
                .bind(serde_json::to_string(facts)?)
                .bind(d.message_id.clone())
                .execute(&mut **tx)
                .await?
                .rows_affected()
            }
            DeliveryOutcome::Rejected { code, reason } => {
                sqlx::query(
                    "UPDATE smev_requests SET status = 'rejected', answered_at = $1, rejection_code = $2, answer = $3 \
                     WHERE message_id = $4 AND status = 'sent'",
                )
                .bind(received_at)
                .bind(code.clone())
                .bind(serde_json::json!({ "reason": reason }).to_string())
                .bind(d.message_id.clone())
                .execute(&mut **tx)
                .await?
                .rows_affected()
            }
            DeliveryOutcome::Status { .. } => 1,
        };
    if applied == 0 {
        audit::record(
            &mut **tx,
            "smev",
            "smev-unmatched",
            &d.message_id,
            serde_json::json!({ "delivery": d.delivery_id }),
        )
        .await?;
    }
    Ok(if applied == 0 {
        DeliveryResult::Unmatched
    } else {
        DeliveryResult::Applied
    })
}

/// One sent request recorded inside `tx` (see [`Store::smev_sent`]).
async fn smev_sent_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    outgoing: &OutgoingSmev,
    host: &str,
    message_id: &str,
    sent_at: i64,
) -> Result<i64, StoreError> {
    let q = &outgoing.query;
    // The id comes from the table's sequence (PostgreSQL identity, SQLite rowid): two
    // hosts never race for it.
    let (next,): (i64,) = sqlx::query_as(
            "INSERT INTO smev_requests (application_id, agency, kind, message_id, sent_at, status, subject, params, request_key, plugin) \
             VALUES ($1, $2, $3, $4, $5, 'sent', $6, $7, $8, $9) RETURNING id",
        )
        .bind(q.application.map(|a| a as i64))
        .bind(q.agency.clone())
        .bind(q.kind.clone())
        .bind(message_id.to_string())
        .bind(sent_at)
        .bind(q.subject as i64)
        .bind(serde_json::to_string(&q.params)?)
        .bind(outgoing.request_key.clone())
        .bind(outgoing.plugin.clone())
        .fetch_one(&mut **tx)
        .await?;
    let updated = sqlx::query("UPDATE smev_outbox SET status = 'sent', smev_request_id = $1, claimed_until = NULL WHERE id = $2 AND claimed_by = $3")
            .bind(next)
            .bind(outgoing.id)
            .bind(host.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if updated != 1 {
        return Err(StoreError::Conflict(format!(
            "SMEV request {} was claimed by another host meanwhile",
            outgoing.request_key
        )));
    }
    Ok(next)
}
