//! Staged rollouts: a shadow candidate promoted to decide — and deliver — a share of a rule's
//! applications, evaluated window by window against thresholds and rolled back by the host
//! after too many failed evaluations. The store keeps the target and thresholds, how far
//! through the decision records the evaluations have come, and the latest evaluation; every
//! step (start, each evaluation, a rollback, a stop) writes the audit log in the same
//! transaction.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Store, StoreError, audit, now};

/// What a rollout targets and when it is rolled back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSettings {
    /// The percentage (1–100) of the rule's applications the candidate decides, chosen by a
    /// stable hash of the application, so every call of one case goes to the same version.
    pub share_percent: u8,
    /// When not empty, only applications of these measures are in the rollout.
    #[serde(default)]
    pub measures: Vec<String>,
    /// The candidate's own decisions per evaluation.
    pub window: u32,
    /// The most of the candidate's calls in a window that may fail (0–1).
    pub max_failure_rate: f64,
    /// The most of the live decisions in a window the candidate may decide otherwise (0–1):
    /// the shadow's comparison of the live share.
    pub max_changed_rate: f64,
    /// The most the candidate's mean run time may be, as a multiple of the live version's.
    pub max_duration_ratio: f64,
    /// Failed evaluations (in all, as Argo Rollouts' `failureLimit`) before the rollback.
    pub failure_limit: u32,
}

/// One evaluation window's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The decision records evaluated: after `from_seq`, up to and including `to_seq`.
    pub from_seq: i64,
    pub to_seq: i64,
    pub candidate_decisions: u64,
    pub candidate_failures: u64,
    /// Live decisions in the window, and how many of them the shadow decided otherwise.
    pub live_decisions: u64,
    pub differing: u64,
    pub candidate_mean_us: u64,
    pub live_mean_us: Option<u64>,
    pub failure_rate: f64,
    /// None when the window held no live decision to compare (a share of 100 %).
    pub changed_rate: Option<f64>,
    pub duration_ratio: Option<f64>,
    /// The thresholds crossed, in words; empty when the evaluation passed.
    pub breaches: Vec<String>,
    pub evaluated_at: i64,
}

impl Evaluation {
    pub fn passed(&self) -> bool {
        self.breaches.is_empty()
    }
}

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutState {
    /// The candidate decides its share.
    Running,
    /// The host took the share back after too many failed evaluations; the shadow stays.
    RolledBack,
}

impl RolloutState {
    pub fn name(self) -> &'static str {
        match self {
            RolloutState::Running => "running",
            RolloutState::RolledBack => "rolled-back",
        }
    }
}

/// A rollout as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollout {
    pub plugin: String,
    /// The candidate (the plugin's shadow) it delivers.
    pub sha256: String,
    pub settings: RolloutSettings,
    pub state: RolloutState,
    /// The last decision record evaluated.
    pub after_seq: i64,
    pub evaluations: u64,
    pub failed_evaluations: u64,
    pub last_evaluation: Option<Evaluation>,
    pub started_at: i64,
    pub started_by: String,
    pub ended_at: Option<i64>,
    /// Why the host rolled it back.
    pub ended_reason: Option<String>,
}

const COLUMNS: &str = "plugin, sha256, settings, state, after_seq, evaluations, failed_evaluations, \
     last_evaluation, started_at, started_by, ended_at, ended_reason";

fn rollout(row: &sqlx::any::AnyRow) -> Result<Rollout, StoreError> {
    let settings: String = row.try_get(2)?;
    let state: String = row.try_get(3)?;
    let last: Option<String> = row.try_get(7)?;
    Ok(Rollout {
        plugin: row.try_get(0)?,
        sha256: row.try_get(1)?,
        settings: serde_json::from_str(&settings)?,
        state: match state.as_str() {
            "running" => RolloutState::Running,
            _ => RolloutState::RolledBack,
        },
        after_seq: row.try_get(4)?,
        evaluations: row.try_get::<i64, _>(5)? as u64,
        failed_evaluations: row.try_get::<i64, _>(6)? as u64,
        last_evaluation: last.as_deref().map(serde_json::from_str).transpose()?,
        started_at: row.try_get(8)?,
        started_by: row.try_get(9)?,
        ended_at: row.try_get(10)?,
        ended_reason: row.try_get(11)?,
    })
}

impl Store {
    /// Starts a rollout of the shadow of `plugin` (the candidate `sha256`): from the next
    /// decision on, the candidate decides its share. A running rollout is refused until it is
    /// stopped; one the host rolled back is replaced.
    pub async fn start_rollout(
        &self,
        (plugin, sha256): (&str, &str),
        settings: &RolloutSettings,
        actor: &str,
    ) -> Result<Rollout, StoreError> {
        let mut tx = self.begin_write().await?;
        let shadow: Option<(String,)> =
            sqlx::query_as("SELECT version FROM shadows WHERE plugin = $1 AND sha256 = $2")
                .bind(plugin.to_string())
                .bind(sha256.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((version,)) = shadow else {
            return Err(StoreError::NotFound(format!(
                "{plugin} has no such shadow; `zemstvo shadow show {plugin}` shows its shadow"
            )));
        };
        let running: Option<(String,)> =
            sqlx::query_as("SELECT state FROM rollouts WHERE plugin = $1")
                .bind(plugin.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if running.is_some_and(|(state,)| state == RolloutState::Running.name()) {
            return Err(StoreError::Conflict(format!(
                "{plugin} {version} is already rolling out; stop it first with `zemstvo rollout \
                 stop {plugin}`"
            )));
        }
        sqlx::query("DELETE FROM rollouts WHERE plugin = $1")
            .bind(plugin.to_string())
            .execute(&mut *tx)
            .await?;
        let (head,): (i64,) = sqlx::query_as("SELECT seq FROM decision_chain WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let at = now();
        sqlx::query(
            "INSERT INTO rollouts (plugin, sha256, settings, state, after_seq, evaluations, \
             failed_evaluations, last_evaluation, started_at, started_by, ended_at, ended_reason) \
             VALUES ($1, $2, $3, $4, $5, 0, 0, NULL, $6, $7, NULL, NULL)",
        )
        .bind(plugin.to_string())
        .bind(sha256.to_string())
        .bind(serde_json::to_string(settings)?)
        .bind(RolloutState::Running.name())
        .bind(head)
        .bind(at)
        .bind(actor.to_string())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "rollout-start",
            plugin,
            serde_json::json!({
                "version": version,
                "sha256": sha256,
                "settings": settings,
                "after_record": head,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(Rollout {
            plugin: plugin.to_string(),
            sha256: sha256.to_string(),
            settings: settings.clone(),
            state: RolloutState::Running,
            after_seq: head,
            evaluations: 0,
            failed_evaluations: 0,
            last_evaluation: None,
            started_at: at,
            started_by: actor.to_string(),
            ended_at: None,
            ended_reason: None,
        })
    }

    /// Every rollout in the region, the rolled-back ones included.
    pub async fn rollouts(&self) -> Result<Vec<Rollout>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM rollouts ORDER BY plugin"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(rollout).collect()
    }

    /// The rollout of `plugin`, if it has one.
    pub async fn rollout(&self, plugin: &str) -> Result<Option<Rollout>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rollouts WHERE plugin = $1"))
            .bind(plugin.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(rollout).transpose()
    }

    /// Stores an evaluation of the records after `from_seq` and moves the cursor past them —
    /// only if the rollout still runs the same candidate from the same cursor, so hosts
    /// sharing the database evaluate each window once. A failed evaluation that reaches the
    /// failure limit rolls the rollout back in the same transaction. `None` when another host
    /// (or a stop, a promotion) came first; nothing is stored then.
    pub async fn record_evaluation(
        &self,
        (plugin, sha256): (&str, &str),
        from_seq: i64,
        evaluation: &Evaluation,
    ) -> Result<Option<Rollout>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM rollouts WHERE plugin = $1 AND sha256 = $2 AND after_seq = $3 \
             AND state = $4"
        ))
        .bind(plugin.to_string())
        .bind(sha256.to_string())
        .bind(from_seq)
        .bind(RolloutState::Running.name())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut r = rollout(&row)?;
        r.after_seq = evaluation.to_seq;
        r.evaluations += 1;
        if !evaluation.passed() {
            r.failed_evaluations += 1;
        }
        r.last_evaluation = Some(evaluation.clone());
        let rolled_back = r.failed_evaluations >= u64::from(r.settings.failure_limit.max(1));
        if rolled_back {
            r.state = RolloutState::RolledBack;
            r.ended_at = Some(evaluation.evaluated_at);
            r.ended_reason = Some(format!(
                "{} of {} evaluations failed (limit {}); last: {}",
                r.failed_evaluations,
                r.evaluations,
                r.settings.failure_limit,
                evaluation.breaches.join("; ")
            ));
        }
        sqlx::query(
            "UPDATE rollouts SET after_seq = $1, evaluations = $2, failed_evaluations = $3, \
             last_evaluation = $4, state = $5, ended_at = $6, ended_reason = $7 WHERE plugin = $8",
        )
        .bind(r.after_seq)
        .bind(r.evaluations as i64)
        .bind(r.failed_evaluations as i64)
        .bind(serde_json::to_string(evaluation)?)
        .bind(r.state.name())
        .bind(r.ended_at)
        .bind(r.ended_reason.clone())
        .bind(plugin.to_string())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            "host",
            "rollout-evaluation",
            plugin,
            serde_json::json!({
                "sha256": sha256,
                "passed": evaluation.passed(),
                "evaluation": evaluation,
                "failed_evaluations": r.failed_evaluations,
                "failure_limit": r.settings.failure_limit,
            }),
        )
        .await?;
        if rolled_back {
            audit::record(
                &mut *tx,
                "host",
                "rollout-rollback",
                plugin,
                serde_json::json!({
                    "sha256": sha256,
                    "reason": r.ended_reason,
                    "evaluations": r.evaluations,
                    "failed_evaluations": r.failed_evaluations,
                }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(r))
    }

    /// Ends the rollout of `plugin` by an administrator: the candidate decides nothing more
    /// and stays a shadow.
    pub async fn stop_rollout(&self, plugin: &str, actor: &str) -> Result<Rollout, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(stopped) = end_rollout(&mut tx, plugin, actor, "rollout-stop").await? else {
            return Err(StoreError::NotFound(format!(
                "{plugin} has no rollout; `zemstvo rollout start {plugin}` starts one"
            )));
        };
        tx.commit().await?;
        Ok(stopped)
    }

    /// How many of the shadow's differences of `plugin` lie in the records after `from_seq`
    /// up to and including `to_seq`.
    pub async fn shadow_differences_between(
        &self,
        plugin: &str,
        (from_seq, to_seq): (i64, i64),
    ) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM shadow_differences WHERE plugin = $1 AND seq > $2 AND seq <= $3",
        )
        .bind(plugin.to_string())
        .bind(from_seq)
        .bind(to_seq)
        .fetch_one(self.pool())
        .await?;
        Ok(n as u64)
    }
}

/// Deletes the rollout of `plugin`, if any, and writes `action` to the audit log with its
/// figures: a stop by an administrator, or the end of its shadow. Returns what it ended.
pub(crate) async fn end_rollout(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    plugin: &str,
    actor: &str,
    action: &str,
) -> Result<Option<Rollout>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rollouts WHERE plugin = $1"))
        .bind(plugin.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let ended = rollout(&row)?;
    sqlx::query("DELETE FROM rollouts WHERE plugin = $1")
        .bind(plugin.to_string())
        .execute(&mut **tx)
        .await?;
    audit::record(
        &mut **tx,
        actor,
        action,
        plugin,
        serde_json::json!({
            "sha256": ended.sha256,
            "state": ended.state.name(),
            "settings": ended.settings,
            "evaluations": ended.evaluations,
            "failed_evaluations": ended.failed_evaluations,
        }),
    )
    .await?;
    Ok(Some(ended))
}
