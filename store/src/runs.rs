//! Runs: the queue hosts take runs from, and committing a finished run with everything it
//! emitted — the run's record, its tasks, messages, SMEV requests, assessments and visit
//! exceptions, the queue item and the audit entry — in one transaction, or not at all.
//!
//! Idempotency makes a killed host harmless: a run that never committed left nothing, its
//! queue claim expires and any host runs it again; tasks, messages and requests are keyed, so
//! a rerun that commits finds what an earlier commit created and adds nothing twice. A host
//! whose claim expired while it ran cannot commit over the host that took the run over.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use zemstvo_host::capabilities::Grants;
use zemstvo_host::capabilities::config::ConfigValue;
use zemstvo_host::report::{RunReport, RunStatus};

use crate::notifications::NewNotification;
use crate::smev::request_key;
use crate::{Dialect, Store, StoreError, audit, now};

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

/// A finished run, ready to commit.
pub struct RunCommit<'a> {
    pub report: &'a RunReport,
    /// The queue item the run came from, if any.
    pub queued: Option<&'a QueuedRun>,
    pub cause: &'a str,
    /// The host that ran it.
    pub host: &'a str,
    /// Wall-clock start, seconds since the epoch.
    pub started_at: i64,
    pub grants: &'a Grants,
    pub config: &'a BTreeMap<String, ConfigValue>,
    /// The key id that signed the plugin's package (`None` for an unsigned development
    /// install).
    pub signer: Option<&'a str>,
    /// The run's notifications, rendered and addressed (see `notifications`).
    pub notifications: Vec<NewNotification>,
}

/// What a commit created, and what it found already there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitSummary {
    pub tasks_created: u64,
    pub tasks_existing: u64,
    pub notifications_queued: u64,
    pub notifications_existing: u64,
    pub smev_queued: u64,
    pub smev_existing: u64,
    pub assessments: u64,
    pub visit_exceptions: u64,
}

/// Rows per multi-row upsert of assessments.
const ASSESSMENTS_PER_STATEMENT: usize = 300;

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

    /// Claims the next due run for `host` for `lease`: a queued run, or one whose previous
    /// claim expired (its host died). Several hosts may call this at once; each run goes to
    /// one of them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite).
    pub async fn claim_run(
        &self,
        host: &str,
        lease: Duration,
    ) -> Result<Option<QueuedRun>, StoreError> {
        let at = now();
        let lock = match self.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
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

    /// Gives up a claimed run that could not start (e.g. its plugin no longer loads), with the
    /// reason in the audit log; it is not retried.
    pub async fn abandon_run(
        &self,
        queued: &QueuedRun,
        host: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
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

    /// Commits a finished run. A failed run records only itself: none of its outputs.
    pub async fn commit_run(&self, c: RunCommit<'_>) -> Result<CommitSummary, StoreError> {
        let report = c.report;
        let plugin = report.plugin.name.as_str();
        let run_id = report.run_id.as_str();
        let at = now();
        let mut summary = CommitSummary::default();
        let mut tx = self.pool().begin().await?;
        if let Some(q) = c.queued {
            let status = if report.succeeded() { "done" } else { "failed" };
            let claimed = sqlx::query(
                "UPDATE run_queue SET status = $1, run_id = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'",
            )
            .bind(status)
            .bind(run_id.to_string())
            .bind(q.id)
            .bind(c.host.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                return Err(StoreError::Conflict(format!(
                    "run {run_id}: this host's claim on queue item {} expired and another host took the run; \
                     nothing was committed",
                    q.id
                )));
            }
        }
        if report.succeeded() {
            let o = &report.outputs;
            for t in &o.tasks {
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO tasks (plugin, key, assignee, overseer, subject, title, description, records, steps, \
                     priority, due, status, reason, run_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, (SELECT manager_id FROM employees WHERE id = $3), $4, $5, $6, $7, $8, $9, $10, \
                     'new', NULL, $11, $12, $12) ON CONFLICT (plugin, key) DO NOTHING RETURNING id",
                )
                .bind(plugin.to_string())
                .bind(t.key.clone())
                .bind(t.assignee as i64)
                .bind(t.subject.map(|s| s as i64))
                .bind(t.title.clone())
                .bind(t.description.clone())
                .bind(serde_json::to_string(&t.records)?)
                .bind(serde_json::to_string(&t.steps)?)
                .bind(crate::tasks::priority_name(t.priority).to_string())
                .bind(t.due)
                .bind(run_id.to_string())
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?;
                match id {
                    Some((id,)) => {
                        summary.tasks_created += 1;
                        sqlx::query("INSERT INTO task_history (task_id, status, reason, actor, at) VALUES ($1, 'new', NULL, $2, $3)")
                            .bind(id)
                            .bind(format!("plugin:{plugin}"))
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => summary.tasks_existing += 1,
                }
            }
            for n in &c.notifications {
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO notifications (plugin, key, citizen_id, channel, template, params, recipient, subject, body, \
                     idempotency_id, status, attempts, next_attempt_at, run_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $12, $11) \
                     ON CONFLICT (plugin, key) DO NOTHING RETURNING id",
                )
                .bind(plugin.to_string())
                .bind(n.key.clone())
                .bind(n.citizen as i64)
                .bind(n.channel.clone())
                .bind(n.template.clone())
                .bind(serde_json::to_string(&n.params)?)
                .bind(n.recipient.clone())
                .bind(n.subject.clone())
                .bind(n.body.clone())
                .bind(crate::notifications::idempotency_id(plugin, &n.key))
                .bind(at)
                .bind(run_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                match id {
                    Some(_) => summary.notifications_queued += 1,
                    None => summary.notifications_existing += 1,
                }
            }
            for r in &o.smev_requests {
                let q = &r.query;
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO smev_outbox (request_key, plugin, application_id, agency, kind, subject, params, status, \
                     attempts, next_attempt_at, run_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9, $8) \
                     ON CONFLICT (request_key) DO NOTHING RETURNING id",
                )
                .bind(request_key(plugin, q))
                .bind(plugin.to_string())
                .bind(q.application.map(|a| a as i64))
                .bind(q.agency.clone())
                .bind(q.kind.clone())
                .bind(q.subject as i64)
                .bind(serde_json::to_string(&q.params)?)
                .bind(at)
                .bind(run_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                match id {
                    Some(_) => summary.smev_queued += 1,
                    None => summary.smev_existing += 1,
                }
            }
            summary.assessments = self
                .upsert_assessments(&mut tx, plugin, run_id, report)
                .await?;
            for e in &o.visit_exceptions {
                sqlx::query(
                    "INSERT INTO visit_exceptions (visit_id, plugin, kind, reason, distance_m, duration_min, run_id, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (visit_id, plugin, kind) DO UPDATE SET \
                     reason = excluded.reason, distance_m = excluded.distance_m, duration_min = excluded.duration_min, \
                     run_id = excluded.run_id, recorded_at = excluded.recorded_at",
                )
                .bind(e.visit as i64)
                .bind(plugin.to_string())
                .bind(serde_json::to_value(e.kind)?.as_str().unwrap_or_default().to_string())
                .bind(e.reason.clone())
                .bind(e.distance_m)
                .bind(e.duration_min)
                .bind(run_id.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                summary.visit_exceptions += 1;
            }
        }
        let (status, failure, run_summary) = match &report.status {
            RunStatus::Succeeded { summary } => {
                ("succeeded", None, Some(serde_json::to_string(summary)?))
            }
            RunStatus::Failed { reason } => ("failed", Some(serde_json::to_string(reason)?), None),
        };
        sqlx::query(
            "INSERT INTO runs (id, plugin, version, sha256, kind, cause, host, logical_time, started_at, finished_at, status, \
             failure, summary, grants, config, duration_us, peak_memory, rows_read, tasks_created, tasks_existing, report, signer) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(run_id.to_string())
        .bind(plugin.to_string())
        .bind(report.plugin.version.clone())
        .bind(report.plugin.sha256.clone())
        .bind(report.plugin.kind.name().to_string())
        .bind(c.cause.to_string())
        .bind(c.host.to_string())
        .bind(report.logical_time)
        .bind(c.started_at)
        .bind(at)
        .bind(status)
        .bind(failure)
        .bind(run_summary)
        .bind(serde_json::to_string(c.grants)?)
        .bind(serde_json::to_string(c.config)?)
        .bind(report.duration.as_micros() as i64)
        .bind(report.peak_memory as i64)
        .bind(report.outputs.rows_read as i64)
        .bind(summary.tasks_created as i64)
        .bind(summary.tasks_existing as i64)
        .bind(serde_json::to_string(report)?)
        .bind(c.signer.map(str::to_string))
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            c.host,
            "run",
            plugin,
            serde_json::json!({ "run": run_id, "status": status, "committed": &summary }),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn upsert_assessments(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        plugin: &str,
        run_id: &str,
        report: &RunReport,
    ) -> Result<u64, StoreError> {
        let rows = report.outputs.assessments.rows();
        let at = now();
        for chunk in rows.chunks(ASSESSMENTS_PER_STATEMENT) {
            let mut values = Vec::with_capacity(chunk.len());
            for i in 0..chunk.len() {
                let b = i * 7;
                values.push(format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                ));
            }
            let sql = format!(
                "INSERT INTO risk_assessments (object_id, plugin, category, score, factors, run_id, assessed_at) VALUES {} \
                 ON CONFLICT (object_id, plugin) DO UPDATE SET category = excluded.category, score = excluded.score, \
                 factors = excluded.factors, run_id = excluded.run_id, assessed_at = excluded.assessed_at",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q
                    .bind(a.object as i64)
                    .bind(plugin.to_string())
                    .bind(a.category.to_string())
                    .bind(a.score as f64)
                    .bind(serde_json::to_string(&a.factors)?)
                    .bind(run_id.to_string())
                    .bind(at);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(rows.len() as u64)
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
