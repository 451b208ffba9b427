//! Messages to citizens: templates, the outbox rows runs create, and the queue the delivery
//! workers take them from.
//!
//! A message enters the outbox in its run's transaction, already rendered and addressed, with
//! an idempotency id derived from (plugin, key): a gateway that honours the id never delivers
//! it twice, whatever crashes happen between sending and marking it sent.
//!
//! Lifecycle: `queued` → `claimed` (leased to one host, renewed while it works) → `sending`
//! (marked just before the send, only by the host still holding the claim) → `sent`, or back
//! to `queued` for a retry, or `failed` / `cancelled`. In healthy operation each message is
//! handed to its channel once; a host that dies after the `sending` mark leaves that one
//! message in doubt, and the host that takes it over sends it again with the same id.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, audit, now};

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub key: String,
    pub citizen: u64,
    /// `sms`, `voice`, `email`, `portal`.
    pub channel: String,
    pub template: String,
    pub params: Vec<(String, String)>,
    /// Phone number, e-mail address, or the citizen id for the portal.
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    /// Why the message cannot be delivered (the citizen has no contact for the channel): it
    /// is kept as failed with this reason, never sent.
    pub undeliverable: Option<String>,
}

/// A message template the region keeps (minijinja syntax: `{{ name }}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub name: String,
    /// For e-mail.
    pub subject: Option<String>,
    pub body: String,
}

/// What addressing a message to a citizen needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub citizen: u64,
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent: bool,
}

/// A message a delivery worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingNotification {
    pub id: i64,
    pub plugin: String,
    pub citizen: u64,
    pub channel: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub idempotency_id: String,
    /// Including this one.
    pub attempts: i64,
    /// Set when this claim took the message over from a host whose lease ran out: the state
    /// it was left in — `claimed` (never sent) or `sending` (it may have been sent; it goes
    /// out again with the same idempotency id).
    pub takeover: Option<String>,
}

impl OutgoingNotification {
    /// Whether an earlier attempt may have reached the recipient (taken over mid-send).
    pub fn in_doubt(&self) -> bool {
        self.takeover.as_deref() == Some("sending")
    }
}

/// A message's line in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub plugin: String,
    pub key: String,
    pub citizen: u64,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    pub idempotency_id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The id gateways deduplicate on: the same for every attempt of one message.
pub fn idempotency_id(plugin: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{plugin}\n{key}").as_bytes());
    hex::encode(&digest[..16])
}

impl Store {
    /// Adds or replaces a template.
    pub async fn put_template(&self, t: &Template, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO templates (name, subject, body) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, body = excluded.body",
        )
        .bind(t.name.clone())
        .bind(t.subject.clone())
        .bind(t.body.clone())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "template",
            &t.name,
            serde_json::json!({ "body": t.body }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn template(&self, name: &str) -> Result<Option<Template>, StoreError> {
        let row: Option<(String, Option<String>, String)> =
            sqlx::query_as("SELECT name, subject, body FROM templates WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(name, subject, body)| Template {
            name,
            subject,
            body,
        }))
    }

    pub async fn contact(&self, citizen: u64) -> Result<Option<Contact>, StoreError> {
        let row: Option<(i64, String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT id, full_name, phone, email, consent FROM citizens WHERE id = $1",
        )
        .bind(citizen as i64)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id, full_name, phone, email, consent)| Contact {
            citizen: id as u64,
            full_name,
            phone,
            email,
            consent: consent != 0,
        }))
    }

    /// Claims up to `limit` messages that are due, for `lease` (see [`Store::claim_outbox`]):
    /// the worker renews the lease while it works ([`Store::renew_notification_claims`]) and
    /// marks each message before sending it ([`Store::notification_sending`]).
    pub async fn claim_notifications(
        &self,
        host: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutgoingNotification>, StoreError> {
        let rows: Vec<(
            i64,
            String,
            i64,
            String,
            String,
            Option<String>,
            String,
            String,
            i64,
            Option<String>,
        )> = self
            .claim_outbox(
                "notifications",
                "id, plugin, citizen_id, channel, recipient, subject, body, idempotency_id, attempts, takeover",
                host,
                limit,
                lease,
            )
            .await?;
        let mut claimed: Vec<OutgoingNotification> = rows
            .into_iter()
            .map(
                |(
                    id,
                    plugin,
                    citizen,
                    channel,
                    recipient,
                    subject,
                    body,
                    idempotency_id,
                    attempts,
                    takeover,
                )| OutgoingNotification {
                    id,
                    plugin,
                    citizen: citizen as u64,
                    channel,
                    recipient,
                    subject,
                    body,
                    idempotency_id,
                    attempts,
                    takeover,
                },
            )
            .collect();
        // RETURNING gives no order (PostgreSQL's follows the rows' places on disk): the
        // batch goes out in the order it was queued.
        claimed.sort_by_key(|m| m.id);
        let taken_over = claimed.iter().filter(|m| m.takeover.is_some()).count();
        if taken_over > 0 {
            metrics::counter!(crate::counters::LEASE_EXPIRIES, "kind" => "notification")
                .increment(taken_over as u64);
        }
        Ok(claimed)
    }

    /// Extends `host`'s lease on the claimed messages `ids` it still holds; returns how many.
    pub async fn renew_notification_claims(
        &self,
        host: &str,
        ids: &[i64],
        lease: Duration,
    ) -> Result<u64, StoreError> {
        self.renew_outbox("notifications", host, ids, lease).await
    }

    /// Marks a claimed message `sending` just before its send; `false` if `host` no longer
    /// holds it (another host took it over), and then it must not be sent.
    pub async fn notification_sending(
        &self,
        id: i64,
        host: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.mark_outbox_sending("notifications", id, host, lease)
            .await
    }

    /// Puts back the messages `host` claimed but has not started sending (orderly shutdown).
    pub async fn release_notification_claims(&self, host: &str) -> Result<u64, StoreError> {
        self.release_outbox("notifications", host).await
    }

    /// Marks a claimed message delivered.
    pub async fn notification_sent(&self, id: i64, host: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE notifications SET status = 'sent', sent_at = $1, last_error = NULL, claimed_until = NULL WHERE id = $2 AND claimed_by = $3")
            .bind(now())
            .bind(id)
            .bind(host.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Puts a claimed message back for another attempt at `next_attempt_at`, or gives it up
    /// (`failed`) when `give_up`.
    pub async fn notification_failed(
        &self,
        id: i64,
        host: &str,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = $1, last_error = $2, next_attempt_at = $3, claimed_until = NULL \
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

    /// Cancels a claimed message that must not be sent (e.g. consent was withdrawn).
    pub async fn notification_cancelled(
        &self,
        id: i64,
        host: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE notifications SET status = 'cancelled', last_error = $1, claimed_until = NULL WHERE id = $2 AND claimed_by = $3")
            .bind(reason.to_string())
            .bind(id)
            .bind(host.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The outbox, oldest first, optionally in one status.
    pub async fn notifications(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let sql = "SELECT id, plugin, key, citizen_id, channel, recipient, body, idempotency_id, status, attempts, last_error \
                   FROM notifications";
        let rows: Vec<(
            i64,
            String,
            String,
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
            Option<String>,
        )> = match status {
            Some(s) => {
                sqlx::query_as(&format!("{sql} WHERE status = $1 ORDER BY id"))
                    .bind(s.to_string())
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query_as(&format!("{sql} ORDER BY id"))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|r| NotificationRow {
                id: r.0,
                plugin: r.1,
                key: r.2,
                citizen: r.3 as u64,
                channel: r.4,
                recipient: r.5,
                body: r.6,
                idempotency_id: r.7,
                status: r.8,
                attempts: r.9,
                last_error: r.10,
            })
            .collect())
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Sets a citizen's consent (tests only; consent comes from the region's systems).
    pub async fn set_consent_for_tests(
        &self,
        citizen: u64,
        consent: bool,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE citizens SET consent = $1 WHERE id = $2")
            .bind(consent as i64)
            .bind(citizen as i64)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
