//! The audit log: who did what to the region, when. Written in the same transaction as the
//! change it records.

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::{Store, StoreError, now};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
}

/// Appends an entry through `executor` (a transaction, so it commits with the change).
pub(crate) async fn record<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    actor: &str,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now())
    .bind(actor.to_string())
    .bind(action.to_string())
    .bind(subject.to_string())
    .bind(details.to_string())
    .execute(executor)
    .await?;
    Ok(())
}

impl Store {
    /// The latest `limit` entries, newest first, optionally about one subject.
    pub async fn audit_log(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = match subject {
            Some(s) => {
                sqlx::query_as(
                    "SELECT at, actor, action, subject, details FROM audit_log WHERE subject = $1 \
                     ORDER BY seq DESC LIMIT $2",
                )
                .bind(s.to_string())
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as("SELECT at, actor, action, subject, details FROM audit_log ORDER BY seq DESC LIMIT $1")
                    .bind(limit as i64)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.into_iter()
            .map(|(at, actor, action, subject, details)| {
                Ok(AuditEntry {
                    at,
                    actor,
                    action,
                    subject,
                    details: serde_json::from_str(&details)?,
                })
            })
            .collect()
    }
}
