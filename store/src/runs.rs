//! Runs: the queue hosts take runs from, the run history, and what runs produced (committing a
//! run is `commit.rs`).
//!
//! Idempotency makes a killed host harmless: a run that never committed left nothing, its
//! queue claim expires and any host runs it again; tasks, messages and requests are keyed, so
//! a rerun that commits finds what an earlier commit created and adds nothing twice. A host
//! whose claim expired while it ran cannot commit over the host that took the run over.

use std::time::Duration;

use serde::Serialize;

pub use crate::commit::{CaseCommit, CommitSummary, RoutingRecord, RunCommit};
use crate::{Store, StoreError, audit, now};

/// A run waiting in the queue (or claimed by a host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedRun {
    pub id: i64,
    pub plugin: String,
    /// Why it runs: `schedule`, `manual`, `demo`, an event.
    pub cause: String,
    /// The run's logical time.
    pub logical_time: i64,
    /// How many times a host has claimed it (1 on the first run).
    pub attempts: i64,
}

impl QueuedRun {
    /// The id of this attempt's run: stable for the attempt, unique across attempts.
    pub fn run_id(&self) -> String {
        format!("{}-q{}a{}", self.plugin, self.id, self.attempts)
    }
}

/// The cause of a run someone asked for by hand.
pub const MANUAL_CAUSE: &str = "manual";

/// A run queued by hand, waiting for a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggeredRun {
    /// The queue item.
    pub queue_id: i64,
    pub plugin: String,
    /// The run's logical time: when it was asked for.
    pub logical_time: i64,
    /// A manual run of the plugin was already waiting; nothing new was queued.
    pub already_queued: bool,
}

impl Store {
    /// Queues a run of `plugin` at `logical_time`, due at `due_at`. A run already queued for
    /// the same plugin, cause and time is not queued twice; returns whether it was new.
    pub async fn enqueue_run(
        &self,
        plugin: &str,
        cause: &str,
        logical_time: i64,
        due_at: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO run_queue (plugin, cause, due_at, logical_time, status, attempts, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', 0, $5) ON CONFLICT (plugin, cause, logical_time) DO NOTHING",
        )
        .bind(plugin.to_string())
        .bind(cause.to_string())
        .bind(due_at)
        .bind(logical_time)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Queues a run of `plugin` asked for by `actor` (`zemstvo runs trigger`, the API's "run
    /// now"), due at once with logical time `at`, and wakes the hosts listening on PostgreSQL.
    /// A manual run of the plugin still waiting (or running) is not queued twice: it is
    /// returned with `already_queued` set. The audit log names who asked.
    pub async fn trigger_run(
        &self,
        plugin: &str,
        actor: &str,
        at: i64,
    ) -> Result<TriggeredRun, StoreError> {
        // Two hosts (or administrators) triggering at once may pick the same logical time;
        // the loser of that unique key looks again and finds the winner's run waiting.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.trigger_run_once(plugin, actor, at).await {
                Err(StoreError::Conflict(why)) if attempts < 3 => {
                    tracing::info!(plugin, "triggering again after a conflict: {why}");
                }
                done => return done,
            }
        }
    }

    async fn trigger_run_once(
        &self,
        plugin: &str,
        actor: &str,
        at: i64,
    ) -> Result<TriggeredRun, StoreError> {
        let mut tx = self.begin_write().await?;
        let waiting: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, logical_time FROM run_queue WHERE plugin = $1 AND cause = $2 \
             AND status IN ('queued', 'running') ORDER BY id LIMIT 1",
        )
        .bind(plugin.to_string())
        .bind(MANUAL_CAUSE)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((queue_id, logical_time)) = waiting {
            return Ok(TriggeredRun {
                queue_id,
                plugin: plugin.to_string(),
                logical_time,
                already_queued: true,
            });
        }
        // Two triggers within one second are two runs: the later one's logical time moves on
        // by a second, since a queue item is keyed by plugin, cause and logical time.
        let (latest,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(logical_time) FROM run_queue WHERE plugin = $1 AND cause = $2",
        )
        .bind(plugin.to_string())
        .bind(MANUAL_CAUSE)
        .fetch_one(&mut *tx)
        .await?;
        let logical_time = latest.map_or(at, |l| at.max(l + 1));
        let (queue_id,): (i64,) = sqlx::query_as(
            "INSERT INTO run_queue (plugin, cause, due_at, logical_time, status, attempts, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', 0, $5) RETURNING id",
        )
        .bind(plugin.to_string())
        .bind(MANUAL_CAUSE)
        // Due at once even when the logical time moved on past `at`: a run asked for now must
        // not wait for the clock to reach the second its key was moved to.
        .bind(at)
        .bind(logical_time)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "run-triggered",
            plugin,
            serde_json::json!({ "queue_id": queue_id, "logical_time": logical_time }),
        )
        .await?;
        self.notify_change(&mut tx, plugin).await?;
        tx.commit().await?;
        Ok(TriggeredRun {
            queue_id,
            plugin: plugin.to_string(),
            logical_time,
            already_queued: false,
        })
    }

    /// Claims the next due run for `host` for `lease`: a queued run, or one whose previous
    /// claim expired (its host died). Several hosts may call this at once; each run goes to
    /// one of them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite).
    pub async fn claim_run(
        &self,
        host: &str,
        lease: Duration,
    ) -> Result<Option<QueuedRun>, StoreError> {
        let at = now();
        let lock = self.dialect().skip_locked();
        let sql = format!(
            "UPDATE run_queue SET status = 'running', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM run_queue WHERE due_at <= $3 AND \
                 (status = 'queued' OR (status = 'running' AND claimed_until < $3)) \
                 ORDER BY due_at, id LIMIT 1{lock}) \
             RETURNING id, plugin, cause, logical_time, attempts"
        );
        let row: Option<(i64, String, String, i64, i64)> = sqlx::query_as(&sql)
            .bind(host.to_string())
            .bind(at + lease.as_secs().max(1) as i64)
            .bind(at)
            .fetch_optional(self.pool())
            .await?;
        if let Some((_, _, _, _, attempts)) = &row {
            metrics::counter!(crate::counters::CLAIMS, "kind" => "run").increment(1);
            if *attempts > 1 {
                // A run is claimed again only after its claim expired under another host.
                metrics::counter!(crate::counters::LEASE_EXPIRIES, "kind" => "run").increment(1);
            }
        }
        Ok(
            row.map(|(id, plugin, cause, logical_time, attempts)| QueuedRun {
                id,
                plugin,
                cause,
                logical_time,
                attempts,
            }),
        )
    }

    /// Puts back every run `host` has claimed (an orderly shutdown), so another host takes
    /// them without waiting for the lease; returns how many.
    pub async fn release_runs(&self, host: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE run_queue SET status = 'queued', claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = $1 AND status = 'running'",
        )
        .bind(host.to_string())
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Gives up a claimed run that could not start (e.g. its plugin no longer loads), with the
    /// reason in the audit log; it is not retried.
    pub async fn abandon_run(
        &self,
        queued: &QueuedRun,
        host: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE run_queue SET status = 'abandoned' WHERE id = $1 AND claimed_by = $2")
            .bind(queued.id)
            .bind(host.to_string())
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            host,
            "run-abandoned",
            &queued.plugin,
            serde_json::json!({ "queue_id": queued.id, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many runs are queued or running.
    pub async fn pending_runs(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM run_queue WHERE status IN ('queued', 'running')")
                .fetch_one(self.pool())
                .await?;
        Ok(n as u64)
    }

    /// Recent runs of a plugin (or all), newest first: (run id, plugin, status, logical time,
    /// tasks created, tasks already present).
    pub async fn recent_runs(
        &self,
        plugin: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        let sql = "SELECT id, plugin, status, logical_time, finished_at, tasks_created, tasks_existing, failure FROM runs";
        let rows: Vec<(String, String, String, i64, i64, i64, i64, Option<String>)> = match plugin {
            Some(p) => {
                sqlx::query_as(&format!(
                    "{sql} WHERE plugin = $1 ORDER BY finished_at DESC, id DESC LIMIT $2"
                ))
                .bind(p.to_string())
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "{sql} ORDER BY finished_at DESC, id DESC LIMIT $1"
                ))
                .bind(limit as i64)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(
                |(id, plugin, status, logical_time, finished_at, created, existing, failure)| {
                    RunRow {
                        id,
                        plugin,
                        status,
                        logical_time,
                        finished_at,
                        tasks_created: created as u64,
                        tasks_existing: existing as u64,
                        failure,
                    }
                },
            )
            .collect())
    }
}

/// A run's line in the run history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub id: String,
    pub plugin: String,
    pub status: String,
    pub logical_time: i64,
    pub finished_at: i64,
    pub tasks_created: u64,
    pub tasks_existing: u64,
    pub failure: Option<String>,
}

#[cfg(feature = "testing")]
impl Store {
    /// Expires every claim, as if the hosts holding them had died (tests only).
    pub async fn expire_claims_for_tests(&self) -> Result<(), StoreError> {
        for table in ["run_queue", "notifications", "smev_outbox"] {
            sqlx::query(&format!(
                "UPDATE {table} SET claimed_until = 0 WHERE claimed_until IS NOT NULL"
            ))
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// The run queue as (plugin, status, attempts), oldest first.
    pub async fn run_queue(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT plugin, status, attempts FROM run_queue ORDER BY id")
                .fetch_all(self.pool())
                .await?,
        )
    }
}

/// How much the region's runs have produced, by kind of output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutputCounts {
    pub runs: u64,
    pub tasks: u64,
    pub notifications: u64,
    pub smev_outbox: u64,
    pub risk_assessments: u64,
    pub visit_exceptions: u64,
    pub decided_cases: u64,
    pub assignments: u64,
}

impl Store {
    /// Counts of everything runs produced (for the demo's summary and for tests).
    pub async fn output_counts(&self) -> Result<OutputCounts, StoreError> {
        let count = |sql: &'static str| async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(self.pool()).await?;
            Ok::<u64, StoreError>(n as u64)
        };
        Ok(OutputCounts {
            runs: count("SELECT COUNT(*) FROM runs").await?,
            tasks: count("SELECT COUNT(*) FROM tasks").await?,
            notifications: count("SELECT COUNT(*) FROM notifications").await?,
            smev_outbox: count("SELECT COUNT(*) FROM smev_outbox").await?,
            risk_assessments: count("SELECT COUNT(*) FROM risk_assessments").await?,
            visit_exceptions: count("SELECT COUNT(*) FROM visit_exceptions").await?,
            decided_cases: count("SELECT COUNT(*) FROM eligibility_cases WHERE status = 'decided'")
                .await?,
            assignments: count("SELECT COUNT(*) FROM assignments").await?,
        })
    }
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub plugin: Option<String>,
    /// `succeeded` or `failed`.
    pub status: Option<String>,
    /// Runs finished at or after this time.
    pub since: Option<i64>,
    /// Runs finished before this time (paging: the last `finished_at` of the previous page).
    pub until: Option<i64>,
    pub limit: u32,
}

impl Store {
    /// Runs matching the filter, latest first.
    pub async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if filter.plugin.is_some() {
            conditions.push(format!("plugin = {}", next()));
        }
        if filter.status.is_some() {
            conditions.push(format!("status = {}", next()));
        }
        if filter.since.is_some() {
            conditions.push(format!("finished_at >= {}", next()));
        }
        if filter.until.is_some() {
            conditions.push(format!("finished_at < {}", next()));
        }
        let limit = next();
        let sql = format!(
            "SELECT id, plugin, status, logical_time, finished_at, tasks_created, tasks_existing, failure \
             FROM runs{} ORDER BY finished_at DESC, id DESC LIMIT {limit}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            }
        );
        let mut q =
            sqlx::query_as::<_, (String, String, String, i64, i64, i64, i64, Option<String>)>(&sql);
        if let Some(p) = &filter.plugin {
            q = q.bind(p.clone());
        }
        if let Some(s) = &filter.status {
            q = q.bind(s.clone());
        }
        if let Some(s) = filter.since {
            q = q.bind(s);
        }
        if let Some(u) = filter.until {
            q = q.bind(u);
        }
        let rows = q.bind(filter.limit as i64).fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| RunRow {
                id: r.0,
                plugin: r.1,
                status: r.2,
                logical_time: r.3,
                finished_at: r.4,
                tasks_created: r.5 as u64,
                tasks_existing: r.6 as u64,
                failure: r.7,
            })
            .collect())
    }

    /// One run's stored record (`RunReport` as JSON), if the run exists.
    pub async fn run_report(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT report FROM runs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|(r,)| serde_json::from_str(&r).map_err(StoreError::from))
            .transpose()
    }
}

impl Store {
    /// The version and the configuration (as JSON) each run of `plugin` ran with, oldest
    /// first: what a run in flight used, whatever changed meanwhile.
    pub async fn run_configs(
        &self,
        plugin: &str,
    ) -> Result<Vec<(String, String, serde_json::Value)>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, version, config FROM runs WHERE plugin = $1 ORDER BY finished_at, id",
        )
        .bind(plugin.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, version, config)| Ok((id, version, serde_json::from_str(&config)?)))
            .collect()
    }
}
