//! Shadow candidates: a version of an eligibility rule the region tries beside the installed
//! one. The store keeps the candidate's signed package, how far through the decision records
//! it has compared, its counts, and each decision on which it differs. Starting, promoting and
//! discarding write the audit log in the same transaction.

use serde::Serialize;
use sqlx::Row;

use crate::{Store, StoreError, audit, now};

/// A shadow as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shadow {
    pub plugin: String,
    pub version: String,
    pub sha256: String,
    pub signer: String,
    pub started_at: i64,
    pub started_by: String,
    /// The last decision record compared.
    pub after_seq: i64,
    pub counts: ShadowCounts,
}

/// How the shadow's decisions stand against the live version's so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShadowCounts {
    pub compared: u64,
    pub identical: u64,
    /// Decided alike, explained (traced) differently.
    pub explained_differently: u64,
    pub changed: u64,
    /// The shadow failed where the live version answered.
    pub failed: u64,
    /// Records that could not be compared (not an eligibility call, unreadable).
    pub skipped: u64,
}

/// One decision on which the shadow differs from the live version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowDifference {
    /// The live decision's record number.
    pub seq: i64,
    pub run_id: String,
    pub application: u64,
    /// `changed`, or `failed` when the shadow failed where the live version answered.
    pub outcome: String,
    /// `approved → denied`, `amount changed`, `decided → asks for more`, …
    pub kind: String,
    /// What the live version decided.
    pub live: String,
    /// What the shadow would have decided.
    pub shadow: String,
}

/// A new shadow.
#[derive(Debug, Clone)]
pub struct NewShadow<'a> {
    pub plugin: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub signer: &'a str,
    /// The signed package file.
    pub package: &'a [u8],
    pub actor: &'a str,
}

/// How a shadow ended, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShadowEnd {
    Promoted,
    Discarded,
}

const COLUMNS: &str = "plugin, version, sha256, signer, started_at, started_by, after_seq, \
     compared, identical, explained_differently, changed, failed, skipped";

fn shadow(row: &sqlx::any::AnyRow) -> Result<Shadow, StoreError> {
    let count = |i: usize| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(i)? as u64) };
    Ok(Shadow {
        plugin: row.try_get(0)?,
        version: row.try_get(1)?,
        sha256: row.try_get(2)?,
        signer: row.try_get(3)?,
        started_at: row.try_get(4)?,
        started_by: row.try_get(5)?,
        after_seq: row.try_get(6)?,
        counts: ShadowCounts {
            compared: count(7)?,
            identical: count(8)?,
            explained_differently: count(9)?,
            changed: count(10)?,
            failed: count(11)?,
            skipped: count(12)?,
        },
    })
}

impl Store {
    /// Starts a shadow of `plugin`: it will be compared on the decisions recorded from now on.
    /// A plugin has one shadow at a time; a second is refused until the first is promoted or
    /// discarded.
    pub async fn start_shadow(&self, new: &NewShadow<'_>) -> Result<Shadow, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT version FROM shadows WHERE plugin = $1")
                .bind(new.plugin.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((version,)) = existing {
            return Err(StoreError::Conflict(format!(
                "{} already has a shadow ({version}); promote or discard it first",
                new.plugin
            )));
        }
        let (head,): (i64,) = sqlx::query_as("SELECT seq FROM decision_chain WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let at = now();
        sqlx::query(
            "INSERT INTO shadows (plugin, version, sha256, signer, package, started_at, started_by, \
             after_seq, compared, identical, explained_differently, changed, failed, skipped) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, 0, 0, 0, 0)",
        )
        .bind(new.plugin.to_string())
        .bind(new.version.to_string())
        .bind(new.sha256.to_string())
        .bind(new.signer.to_string())
        .bind(new.package.to_vec())
        .bind(at)
        .bind(new.actor.to_string())
        .bind(head)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            new.actor,
            "shadow-start",
            new.plugin,
            serde_json::json!({
                "version": new.version,
                "sha256": new.sha256,
                "signer": new.signer,
                "after_record": head,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Shadow {
            plugin: new.plugin.to_string(),
            version: new.version.to_string(),
            sha256: new.sha256.to_string(),
            signer: new.signer.to_string(),
            started_at: at,
            started_by: new.actor.to_string(),
            after_seq: head,
            counts: ShadowCounts::default(),
        })
    }

    /// Every shadow in the region.
    pub async fn shadows(&self) -> Result<Vec<Shadow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM shadows ORDER BY plugin"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(shadow).collect()
    }

    /// The shadow of `plugin`, if it has one.
    pub async fn shadow(&self, plugin: &str) -> Result<Option<Shadow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM shadows WHERE plugin = $1"))
            .bind(plugin.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(shadow).transpose()
    }

    /// The shadow's signed package file.
    pub async fn shadow_package(&self, plugin: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT package FROM shadows WHERE plugin = $1")
                .bind(plugin.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(p,)| p))
    }

    /// Stores what the shadow made of the records after `from_seq` up to `to_seq`: the counts
    /// and the differences, and moves its cursor — only if the cursor is still at `from_seq`
    /// and the shadow is still the same candidate, so two hosts never store one comparison
    /// twice. `Ok(false)` when another host (or a promotion, a discard) came first; nothing
    /// is stored then.
    pub async fn advance_shadow(
        &self,
        (plugin, sha256): (&str, &str),
        (from_seq, to_seq): (i64, i64),
        counts: &ShadowCounts,
        differences: &[ShadowDifference],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE shadows SET after_seq = $1, compared = compared + $2, identical = identical + $3, \
             explained_differently = explained_differently + $4, changed = changed + $5, \
             failed = failed + $6, skipped = skipped + $7 \
             WHERE plugin = $8 AND sha256 = $9 AND after_seq = $10",
        )
        .bind(to_seq)
        .bind(counts.compared as i64)
        .bind(counts.identical as i64)
        .bind(counts.explained_differently as i64)
        .bind(counts.changed as i64)
        .bind(counts.failed as i64)
        .bind(counts.skipped as i64)
        .bind(plugin.to_string())
        .bind(sha256.to_string())
        .bind(from_seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        let at = now();
        for d in differences {
            sqlx::query(
                "INSERT INTO shadow_differences (plugin, seq, run_id, application, outcome, kind, live, shadow, compared_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(plugin.to_string())
            .bind(d.seq)
            .bind(d.run_id.clone())
            .bind(d.application as i64)
            .bind(d.outcome.clone())
            .bind(d.kind.clone())
            .bind(d.live.clone())
            .bind(d.shadow.clone())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The shadow's differences by kind of change (failures under `candidate failed`).
    pub async fn shadow_changes(
        &self,
        plugin: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*) FROM shadow_differences WHERE plugin = $1 GROUP BY kind",
        )
        .bind(plugin.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(k, n)| (k, n as u64)).collect())
    }

    /// The shadow's differences, oldest first: `limit` of them after record `after_seq`.
    pub async fn shadow_differences(
        &self,
        plugin: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<ShadowDifference>, StoreError> {
        let rows: Vec<(i64, String, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, run_id, application, outcome, kind, live, shadow FROM shadow_differences \
             WHERE plugin = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(plugin.to_string())
        .bind(after_seq)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, run_id, application, outcome, kind, live, shadow)| ShadowDifference {
                    seq,
                    run_id,
                    application: application as u64,
                    outcome,
                    kind,
                    live,
                    shadow,
                },
            )
            .collect())
    }

    /// Ends the shadow of `plugin` (after its promotion was installed, or on a discard): its
    /// row and differences go, the audit log keeps its summary. Only the shadow of `sha256`
    /// ends, so a discard racing a new start cannot end the new one.
    pub async fn end_shadow(
        &self,
        (plugin, sha256): (&str, &str),
        end: ShadowEnd,
        actor: &str,
    ) -> Result<Shadow, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shadows WHERE plugin = $1 AND sha256 = $2"
        ))
        .bind(plugin.to_string())
        .bind(sha256.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "{plugin} has no such shadow; `zemstvo shadow show {plugin}` shows its shadow"
            )));
        };
        let ended = shadow(&row)?;
        let (changes,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM shadow_differences WHERE plugin = $1")
                .bind(plugin.to_string())
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM shadow_differences WHERE plugin = $1")
            .bind(plugin.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM shadows WHERE plugin = $1")
            .bind(plugin.to_string())
            .execute(&mut *tx)
            .await?;
        // A rollout is a stage of its shadow and ends with it.
        crate::rollouts::end_rollout(&mut tx, plugin, actor, "rollout-end").await?;
        let action = match end {
            ShadowEnd::Promoted => "shadow-promote",
            ShadowEnd::Discarded => "shadow-discard",
        };
        audit::record(
            &mut *tx,
            actor,
            action,
            plugin,
            serde_json::json!({
                "version": ended.version,
                "sha256": ended.sha256,
                "started_at": ended.started_at,
                "counts": ended.counts,
                "differences": changes,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}
