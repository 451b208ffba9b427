//! Committing a finished run: the run's record and everything it emitted — tasks, messages,
//! SMEV requests, assessments, visit exceptions, an eligibility case with its decision and
//! assignment, the queue item and the audit entry — in one transaction, or not at all.

use std::collections::BTreeMap;

use serde::Serialize;
use zemstvo_core::appeals::Routing;
use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::assessments::Assessments;
use zemstvo_core::capabilities::config::{ConfigValue, ParameterSpec};
use zemstvo_core::capabilities::notify::Notification;
use zemstvo_core::capabilities::smev::{OutgoingRequest, SmevAnswer};
use zemstvo_core::capabilities::tasks::Task;
use zemstvo_core::capabilities::visit_checks::VisitException;
use zemstvo_core::eligibility::Outcome;
use zemstvo_core::report::{RunReport, RunStatus, Summary};

use crate::notifications::NewNotification;
use crate::records::{self, RecordHead};
use crate::runs::QueuedRun;
use crate::smev::request_key;
use crate::{Store, StoreError, audit, now};

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
    /// For an eligibility rule's call: the application it was called for.
    pub case: Option<CaseCommit<'a>>,
    /// The WIT version the plugin was built against, for its decision record.
    pub wit_version: &'a str,
    /// The effective-dated parameters in force for the run, for its decision record.
    pub parameters: &'a [ParameterSpec],
}

/// What committing an eligibility rule's call needs beyond the run.
pub struct CaseCommit<'a> {
    pub application: &'a zemstvo_core::eligibility::Application,
    /// How many answers the rule saw, so it is called again only when more arrive.
    pub answers_seen: u64,
    /// The SMEV answers the rule was called with (with their message ids), for the record.
    pub answers: &'a [SmevAnswer],
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
    /// Commits a finished run. A failed run records only itself: none of its outputs.
    pub async fn commit_run(&self, c: RunCommit<'_>) -> Result<CommitSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let summary = self.commit_in(&mut tx, &c).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Commits several finished runs in one transaction: one wait for the disk instead of one
    /// per run, which is what bounds how many eligibility decisions a host makes a second.
    /// Each run goes in under its own savepoint, so a run another host committed first (a
    /// [`StoreError::Conflict`], answered in its place) is left out alone while the others
    /// commit; any other error commits none of them.
    pub async fn commit_runs(
        &self,
        commits: &[RunCommit<'_>],
    ) -> Result<Vec<Result<CommitSummary, StoreError>>, StoreError> {
        let mut out = Vec::with_capacity(commits.len());
        if commits.is_empty() {
            return Ok(out);
        }
        let mut tx = self.begin_write().await?;
        for c in commits {
            sqlx::query("SAVEPOINT run_commit")
                .execute(&mut *tx)
                .await?;
            match self.commit_in(&mut tx, c).await {
                Ok(summary) => out.push(Ok(summary)),
                Err(StoreError::Conflict(why)) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT run_commit")
                        .execute(&mut *tx)
                        .await?;
                    out.push(Err(StoreError::Conflict(why)));
                }
                Err(e) => return Err(e),
            }
            sqlx::query("RELEASE SAVEPOINT run_commit")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Writes one run and its outputs inside `tx`.
    async fn commit_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        c: &RunCommit<'_>,
    ) -> Result<CommitSummary, StoreError> {
        let report = c.report;
        let plugin = report.plugin.name.as_str();
        let run_id = report.run_id.as_str();
        let at = now();
        let mut summary = CommitSummary::default();
        if let Some(q) = c.queued {
            let status = if report.succeeded() { "done" } else { "failed" };
            let claimed = sqlx::query(
                "UPDATE run_queue SET status = $1, run_id = $2 WHERE id = $3 AND claimed_by = $4 AND status = 'running'",
            )
            .bind(status)
            .bind(run_id.to_string())
            .bind(q.id)
            .bind(c.host.to_string())
            .execute(&mut **tx)
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
                .fetch_optional(&mut **tx)
                .await?;
                match id {
                    Some((id,)) => {
                        summary.tasks_created += 1;
                        sqlx::query("INSERT INTO task_history (task_id, status, reason, actor, at) VALUES ($1, 'new', NULL, $2, $3)")
                            .bind(id)
                            .bind(format!("plugin:{plugin}"))
                            .bind(at)
                            .execute(&mut **tx)
                            .await?;
                    }
                    None => summary.tasks_existing += 1,
                }
            }
            for n in &c.notifications {
                let id: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO notifications (plugin, key, citizen_id, channel, template, params, recipient, subject, body, \
                     idempotency_id, status, attempts, next_attempt_at, run_id, created_at, last_error) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $13, 0, $11, $12, $11, $14) \
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
                .bind(if n.undeliverable.is_some() {
                    "failed"
                } else {
                    "queued"
                })
                .bind(n.undeliverable.clone())
                .fetch_optional(&mut **tx)
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
                .fetch_optional(&mut **tx)
                .await?;
                match id {
                    Some(_) => summary.smev_queued += 1,
                    None => summary.smev_existing += 1,
                }
            }
            summary.assessments = self.upsert_assessments(tx, plugin, run_id, report).await?;
            for e in &o.visit_exceptions {
                let q = sqlx::query(
                    "INSERT INTO visit_exceptions (visit_id, plugin, kind, reason, distance_m, duration_min, run_id, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (visit_id, plugin, kind) DO UPDATE SET \
                     reason = excluded.reason, distance_m = excluded.distance_m, duration_min = excluded.duration_min, \
                     run_id = excluded.run_id, recorded_at = excluded.recorded_at",
                )
                .bind(e.visit as i64)
                .bind(plugin.to_string())
                .bind(serde_json::to_value(e.kind)?.as_str().unwrap_or_default().to_string())
                .bind(e.reason.clone());
                crate::bind_double(crate::bind_double(q, e.distance_m), e.duration_min)
                    .bind(run_id.to_string())
                    .bind(at)
                    .execute(&mut **tx)
                    .await?;
                summary.visit_exceptions += 1;
            }
        }
        if let Some(case) = &c.case {
            self.commit_case(tx, case, report, plugin, run_id, at)
                .await?;
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
        .execute(&mut **tx)
        .await?;
        let record = if self.records_off() {
            None
        } else {
            Some(
                records::append(
                    tx,
                    self.checkpoint_signer(),
                    RecordHead {
                        run_id,
                        plugin,
                        version: &report.plugin.version,
                        logical_time: report.logical_time,
                    },
                    record_body(c, status, &summary)?,
                )
                .await?,
            )
        };
        audit::record(
            &mut **tx,
            c.host,
            "run",
            plugin,
            serde_json::json!({ "run": run_id, "status": status, "committed": &summary, "record": record }),
        )
        .await?;
        Ok(summary)
    }

    /// Records an eligibility rule's call: waiting for answers, decided (with the assignment
    /// and the application's new status), or failed.
    async fn commit_case(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        case: &CaseCommit<'_>,
        report: &RunReport,
        plugin: &str,
        run_id: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        use zemstvo_core::eligibility::Verdict;
        let app = case.application;
        let (status, verdict, decision) = match &report.outputs.eligibility {
            Some(Outcome::Need { .. }) => ("waiting", None, None),
            Some(Outcome::Decided { decision }) => {
                let verdict = match &decision.verdict {
                    Verdict::Approve { .. } => "approve",
                    Verdict::Deny { .. } => "deny",
                };
                (
                    "decided",
                    Some(verdict),
                    Some(serde_json::to_string(decision)?),
                )
            }
            None => ("failed", None, report.failure().map(|f| f.to_string())),
        };
        sqlx::query(
            "INSERT INTO eligibility_cases (application_id, plugin, status, answers_seen, calls, verdict, decision, run_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $8) ON CONFLICT (application_id, plugin) DO UPDATE SET \
             status = excluded.status, answers_seen = excluded.answers_seen, calls = eligibility_cases.calls + 1, verdict = excluded.verdict, \
             decision = excluded.decision, run_id = excluded.run_id, updated_at = excluded.updated_at",
        )
        .bind(app.id as i64)
        .bind(plugin.to_string())
        .bind(status)
        .bind(case.answers_seen as i64)
        .bind(verdict)
        .bind(decision.clone())
        .bind(run_id.to_string())
        // Dated by the call's time, as the decision is (the region's clock, which a
        // demonstration moves with its simulated agencies), not by when the commit ran.
        .bind(report.logical_time)
        .execute(&mut **tx)
        .await?;
        if let Some(Outcome::Decided { decision }) = &report.outputs.eligibility {
            if let Verdict::Approve { assignment } = &decision.verdict {
                sqlx::query(
                    "INSERT INTO assignments (application_id, measure, citizen_id, monthly_amount, start_at, end_at, payments, \
                     decided_by, run_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (application_id, measure) DO NOTHING",
                )
                .bind(app.id as i64)
                .bind(assignment.measure.clone())
                .bind(app.applicant as i64)
                .bind(assignment.monthly_amount)
                .bind(assignment.start)
                .bind(assignment.end)
                .bind(serde_json::to_string(&assignment.payments)?)
                .bind(format!("system:{plugin}@{}", report.plugin.version))
                .bind(run_id.to_string())
                .bind(at)
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query("UPDATE applications SET status = 'decided', decided_at = $1 WHERE id = $2 AND status = 'registered'")
                .bind(report.logical_time)
                .bind(app.id as i64)
                .execute(&mut **tx)
                .await?;
            sqlx::query("INSERT INTO application_events (application_id, status, at, employee_id) VALUES ($1, 'decided', $2, NULL)")
                .bind(app.id as i64)
                .bind(report.logical_time)
                .execute(&mut **tx)
                .await?;
            audit::record(
                &mut **tx,
                &format!("system:{plugin}"),
                "decision",
                &format!("application:{}", app.id),
                serde_json::json!({ "run": run_id, "decision": decision }),
            )
            .await?;
        }
        Ok(())
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
}

/// The decision record of a run: what ran (name, version, component hash, signer, WIT
/// version), with what (grants, configuration, parameters in force, logical time, the seed
/// the sandbox's randomness comes from — the run id's sha256), what it used, what it decided
/// and from which inputs. An eligibility call's inputs are all of its input (the form and the
/// SMEV answers), so it replays exactly; a batch run's outputs name the records they are about
/// (a task's `records`, an assessment's object and factors). Rendered messages are left out:
/// they hold citizens' contacts, and the plugin's template and parameters say what was sent.
/// Borrowed, so a run with a million assessments is written out once, with no copy between.
#[derive(Serialize)]
struct RecordBody<'a> {
    record: u32,
    region: &'a str,
    run: &'a str,
    plugin: RecordedPlugin<'a>,
    cause: &'a str,
    host: &'a str,
    logical_time: i64,
    seed: String,
    grants: &'a Grants,
    config: &'a BTreeMap<String, ConfigValue>,
    parameters: &'a [ParameterSpec],
    status: &'a str,
    summary: Option<&'a Summary>,
    failure: Option<String>,
    resources: Resources,
    inputs: RecordedInputs<'a>,
    outputs: RecordedOutputs<'a>,
    committed: &'a CommitSummary,
}

#[derive(Serialize)]
struct RecordedPlugin<'a> {
    name: &'a str,
    version: &'a str,
    sha256: &'a str,
    kind: &'static str,
    signer: Option<&'a str>,
    wit: &'a str,
}

#[derive(Serialize)]
struct Resources {
    duration_us: u64,
    peak_memory: u64,
    rows_read: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RecordedInputs<'a> {
    Case {
        application: &'a zemstvo_core::eligibility::Application,
        answers: &'a [SmevAnswer],
    },
    /// A batch run's input is the region's data, which changes after the run: the record
    /// keeps how much it read and the digest of what it read (`data_sha256`), so a replay
    /// can tell whether the data is still the same without a copy of the rows.
    Batch {
        rows_read: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        data_sha256: Option<&'a str>,
    },
    /// An appeal-routing call's input: the appeal and the open incidents it was shown, and
    /// the catalogue by version and digest (the store keeps every version's text).
    Appeal {
        appeal: &'a zemstvo_core::appeals::Appeal,
        open_incidents: &'a [zemstvo_core::appeals::OpenIncident],
        catalogue_version: &'a str,
        catalogue_sha256: &'a str,
    },
}

/// A run's outputs without its logs: those are the run's own, in `runs.report`, and a
/// decision does not rest on them.
#[derive(Serialize)]
struct RecordedOutputs<'a> {
    tasks: &'a [Task],
    notifications: &'a [Notification],
    smev_requests: &'a [OutgoingRequest],
    #[serde(skip_serializing_if = "no_assessments")]
    assessments: &'a Assessments,
    visit_exceptions: &'a [VisitException],
    #[serde(skip_serializing_if = "Option::is_none")]
    eligibility: Option<&'a Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    routing: Option<&'a Routing>,
    denied: &'a [Capability],
    rows_read: u64,
}

fn no_assessments(a: &&Assessments) -> bool {
    a.is_empty()
}

/// The canonical text of a run's decision record (see [`RecordBody`]).
fn record_body(
    c: &RunCommit<'_>,
    status: &str,
    summary: &CommitSummary,
) -> Result<String, StoreError> {
    let o = &c.report.outputs;
    let inputs = match &c.case {
        Some(case) => RecordedInputs::Case {
            application: case.application,
            answers: case.answers,
        },
        None => RecordedInputs::Batch {
            rows_read: o.rows_read,
            data_sha256: o.data_sha256.as_deref(),
        },
    };
    let what = Recorded {
        report: c.report,
        cause: c.cause,
        host: c.host,
        grants: c.grants,
        config: c.config,
        signer: c.signer,
        wit_version: c.wit_version,
        parameters: c.parameters,
    };
    body_text(&what, inputs, status, summary)
}

/// What every decision record says about the run besides its inputs.
struct Recorded<'a> {
    report: &'a RunReport,
    cause: &'a str,
    host: &'a str,
    grants: &'a Grants,
    config: &'a BTreeMap<String, ConfigValue>,
    signer: Option<&'a str>,
    wit_version: &'a str,
    parameters: &'a [ParameterSpec],
}

fn body_text(
    c: &Recorded<'_>,
    inputs: RecordedInputs<'_>,
    status: &str,
    summary: &CommitSummary,
) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let report = c.report;
    let o = &report.outputs;
    let body = RecordBody {
        record: 1,
        region: &report.region,
        run: &report.run_id,
        plugin: RecordedPlugin {
            name: &report.plugin.name,
            version: &report.plugin.version,
            sha256: &report.plugin.sha256,
            kind: report.plugin.kind.name(),
            signer: c.signer,
            wit: c.wit_version,
        },
        cause: c.cause,
        host: c.host,
        logical_time: report.logical_time,
        seed: hex::encode(Sha256::digest(report.run_id.as_bytes())),
        grants: c.grants,
        config: c.config,
        parameters: c.parameters,
        status,
        summary: match &report.status {
            RunStatus::Succeeded { summary } => Some(summary),
            RunStatus::Failed { .. } => None,
        },
        failure: report.failure().map(|f| f.to_string()),
        resources: Resources {
            duration_us: report.duration.as_micros() as u64,
            peak_memory: report.peak_memory as u64,
            rows_read: o.rows_read,
        },
        inputs,
        outputs: RecordedOutputs {
            tasks: &o.tasks,
            notifications: &o.notifications,
            smev_requests: &o.smev_requests,
            assessments: &o.assessments,
            visit_exceptions: &o.visit_exceptions,
            eligibility: o.eligibility.as_ref(),
            routing: o.routing.as_ref(),
            denied: &o.denied,
            rows_read: o.rows_read,
        },
        committed: summary,
    };
    Ok(serde_json::to_string(&body)?)
}

/// An appeal-routing call, for its decision record: what ran, with what, on which appeal.
pub struct RoutingRecord<'a> {
    pub report: &'a RunReport,
    /// The host that ran it.
    pub host: &'a str,
    pub grants: &'a Grants,
    pub config: &'a BTreeMap<String, ConfigValue>,
    pub signer: Option<&'a str>,
    pub wit_version: &'a str,
    pub parameters: &'a [ParameterSpec],
    pub input: &'a zemstvo_core::appeals::AppealInput,
    /// [`crate::appeals::catalogue_sha256`] of the input's catalogue, computed once for all
    /// the calls that share it.
    pub catalogue_sha256: &'a str,
}

impl Store {
    /// Appends the decision record of an appeal-routing call inside `tx`, the transaction
    /// that acts on its answer, so a routing the store kept always has its record.
    pub(crate) async fn append_routing_record(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        r: &RoutingRecord<'_>,
    ) -> Result<Option<i64>, StoreError> {
        if self.records_off() {
            return Ok(None);
        }
        let what = Recorded {
            report: r.report,
            cause: "appeal",
            host: r.host,
            grants: r.grants,
            config: r.config,
            signer: r.signer,
            wit_version: r.wit_version,
            parameters: r.parameters,
        };
        let inputs = RecordedInputs::Appeal {
            appeal: &r.input.appeal,
            open_incidents: &r.input.open_incidents,
            catalogue_version: &r.input.catalogue.version,
            catalogue_sha256: r.catalogue_sha256,
        };
        let status = if r.report.succeeded() {
            "succeeded"
        } else {
            "failed"
        };
        let body = body_text(&what, inputs, status, &CommitSummary::default())?;
        let seq = records::append(
            tx,
            self.checkpoint_signer(),
            RecordHead {
                run_id: &r.report.run_id,
                plugin: &r.report.plugin.name,
                version: &r.report.plugin.version,
                logical_time: r.report.logical_time,
            },
            body,
        )
        .await?;
        Ok(Some(seq))
    }
}
