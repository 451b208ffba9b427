//! Eligibility cases: the applications an eligibility rule decides, the SMEV answers gathered
//! for them, and the decisions and assignments that come out — kept between calls of the
//! rule, so that no thread waits for an agency and a restart loses nothing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::Row;
use zemstvo_core::capabilities::smev::{AnswerOutcome, SmevAnswer, SmevQuery};
use zemstvo_core::eligibility::{Application, ApplicationChannel};

use crate::{Store, StoreError};

/// An application a rule should be called for, with how many answers it has so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub application: Application,
    pub answers: u64,
    /// How many times the rule was called for it before.
    pub calls: u64,
}

/// A case's line, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub application_id: u64,
    pub plugin: String,
    /// `waiting` (for SMEV answers), `decided` or `failed` (a specialist decides).
    pub status: String,
    /// `approve` or `deny` once decided.
    pub verdict: Option<String>,
    /// The decision as JSON (verdict, reasons or assignment, trace), or why the call failed.
    pub decision: Option<String>,
    pub run_id: String,
    pub calls: u64,
    pub updated_at: i64,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub plugin: Option<String>,
    pub status: Option<String>,
    pub application: Option<u64>,
    pub limit: Option<u32>,
}

/// A citizen's application as the portal, the MFC or a specialist registers it (checked by
/// the caller: known measure and channel, bounded fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    pub citizen: u64,
    pub measure: String,
    /// portal, mfc or office.
    pub channel: String,
    /// The registering system's number; `З-<id>` when none.
    pub number: Option<String>,
    /// Days until the decision is due.
    pub term_days: u32,
    pub fields: Vec<(String, String)>,
}

/// A registered application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmittedApplication {
    pub id: u64,
    pub number: String,
    pub submitted_at: i64,
    pub deadline_at: i64,
}

/// Why a case cannot be retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryRefused {
    #[error("application {0} has no case with an eligibility rule; see `zemstvo cases list`")]
    NoCase(u64),
    #[error(
        "application {application} is already decided by {plugin}; a decision is changed by an official, not by calling the rule again"
    )]
    Decided { application: u64, plugin: String },
    #[error("application {0} has cases with several rules; name one with --plugin")]
    Ambiguous(u64),
}

/// How far a rule has got with its applications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    pub waiting: u64,
    pub approved: u64,
    pub denied: u64,
    /// Calls that failed (a form the rule cannot read, a trap): a specialist decides these.
    pub failed: u64,
}

type CaseTuple = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

/// An assignment an approval created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentRow {
    pub application_id: u64,
    pub measure: String,
    pub citizen: u64,
    pub monthly_amount: i64,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub payments: String,
    pub decided_by: String,
}

fn channel(s: &str) -> ApplicationChannel {
    match s {
        "mfc" => ApplicationChannel::Mfc,
        "office" => ApplicationChannel::Office,
        _ => ApplicationChannel::Portal,
    }
}

impl Store {
    /// Applications `plugin` should decide now: registered (nobody works on them), of one of
    /// `measures`, and either new to the rule or waiting with answers it has not seen yet.
    pub async fn eligibility_candidates(
        &self,
        plugin: &str,
        measures: &[String],
        limit: u32,
    ) -> Result<Vec<Candidate>, StoreError> {
        if measures.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> =
            (0..measures.len()).map(|i| format!("${}", i + 3)).collect();
        // A waiting case is called again only when an answer it has not seen arrived, and the
        // filter is in SQL so that many quiet waiting cases cannot crowd new ones out.
        let sql = format!(
            "SELECT id, citizen_id, measure, submitted_at, channel, answers, calls FROM ( \
                 SELECT a.id, a.citizen_id, a.measure, a.submitted_at, a.channel, c.status, c.answers_seen, c.calls, \
                        (SELECT COUNT(*) FROM smev_requests r WHERE r.application_id = a.id AND r.status <> 'sent') AS answers \
                 FROM applications a LEFT JOIN eligibility_cases c ON c.application_id = a.id AND c.plugin = $1 \
                 WHERE a.status = 'registered' AND a.measure IN ({}) AND (c.status IS NULL OR c.status = 'waiting') \
             ) candidates \
             WHERE status IS NULL OR answers_seen < answers \
             ORDER BY id LIMIT $2",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(plugin.to_string())
            .bind(i64::from(limit));
        for m in measures {
            q = q.bind(m.clone());
        }
        let mut out = Vec::new();
        for r in q.fetch_all(self.pool()).await? {
            let id: i64 = r.try_get(0)?;
            let answers: i64 = r.try_get(5)?;
            let calls: Option<i64> = r.try_get(6)?;
            out.push(Candidate {
                application: Application {
                    id: id as u64,
                    applicant: r.try_get::<i64, _>(1)? as u64,
                    measure: r.try_get(2)?,
                    submitted: r.try_get(3)?,
                    channel: channel(r.try_get(4)?),
                    fields: self.application_fields(id as u64).await?,
                },
                answers: answers as u64,
                calls: calls.unwrap_or(0) as u64,
            });
        }
        Ok(out)
    }

    /// Each rule's cases by state.
    pub async fn case_counts(&self) -> Result<BTreeMap<String, CaseCounts>, StoreError> {
        let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT plugin, status, verdict, COUNT(*) FROM eligibility_cases GROUP BY plugin, status, verdict",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out: BTreeMap<String, CaseCounts> = BTreeMap::new();
        for (plugin, status, verdict, n) in rows {
            let c = out.entry(plugin).or_default();
            let n = n as u64;
            match (status.as_str(), verdict.as_deref()) {
                ("waiting", _) => c.waiting += n,
                ("decided", Some("approve")) => c.approved += n,
                ("decided", _) => c.denied += n,
                _ => c.failed += n,
            }
        }
        Ok(out)
    }

    /// Registers a citizen's application (the portal, the MFC, a specialist): status
    /// `registered`, so the eligibility rules for its measure decide it on their next round.
    /// Everything — the application, its first event, its form — is one transaction.
    pub async fn submit_application(
        &self,
        new: &NewApplication,
        actor: &str,
    ) -> Result<SubmittedApplication, StoreError> {
        let citizen: Option<(i64,)> = sqlx::query_as("SELECT id FROM citizens WHERE id = $1")
            .bind(new.citizen as i64)
            .fetch_optional(self.pool())
            .await?;
        if citizen.is_none() {
            return Err(StoreError::NotFound(format!(
                "there is no citizen {} in the region's register",
                new.citizen
            )));
        }
        self.insert_application(new, actor).await
    }

    async fn insert_application(
        &self,
        new: &NewApplication,
        actor: &str,
    ) -> Result<SubmittedApplication, StoreError> {
        let at = crate::now();
        let mut tx = self.begin_write().await?;
        let id = next_id(&mut tx, "applications").await?;
        let number = new.number.clone().unwrap_or_else(|| format!("З-{id}"));
        let deadline = at + i64::from(new.term_days) * 86_400;
        sqlx::query(
            "INSERT INTO applications (id, number, citizen_id, measure, channel, status, assignee_id, \
             submitted_at, assigned_at, taken_at, deadline_at, decided_at, returns, off_standard) \
             VALUES ($1, $2, $3, $4, $5, 'registered', NULL, $6, NULL, NULL, $7, NULL, 0, 0)",
        )
        .bind(id)
        .bind(number.clone())
        .bind(new.citizen as i64)
        .bind(new.measure.clone())
        .bind(new.channel.clone())
        .bind(at)
        .bind(deadline)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO application_events (application_id, status, at, employee_id) VALUES ($1, 'registered', $2, NULL)",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        for (name, value) in &new.fields {
            sqlx::query(
                "INSERT INTO application_fields (application_id, name, value) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(name.clone())
            .bind(value.clone())
            .execute(&mut *tx)
            .await?;
        }
        crate::audit::record(
            &mut *tx,
            actor,
            "application-submit",
            &format!("application:{id}"),
            serde_json::json!({ "measure": new.measure, "channel": new.channel, "number": number }),
        )
        .await?;
        tx.commit().await?;
        Ok(SubmittedApplication {
            id: id as u64,
            number,
            submitted_at: at,
            deadline_at: deadline,
        })
    }

    /// Where an application stands (`registered`, `in_work`, `decided`, …); none if the region
    /// has no such application.
    pub async fn application_status(&self, application: u64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM applications WHERE id = $1")
                .bind(application as i64)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(s,)| s))
    }

    /// The application form's fields.
    pub async fn application_fields(
        &self,
        application: u64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT name, value FROM application_fields WHERE application_id = $1 ORDER BY name",
        )
        .bind(application as i64)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records application forms (imports, the demo), all in one transaction: a field given
    /// again replaces its value.
    pub async fn set_application_fields(
        &self,
        forms: &[(u64, Vec<(String, String)>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (application, fields) in forms {
            for (name, value) in fields {
                sqlx::query(
                    "INSERT INTO application_fields (application_id, name, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (application_id, name) DO UPDATE SET value = excluded.value",
                )
                .bind(*application as i64)
                .bind(name.clone())
                .bind(value.clone())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The answers (and rejections) received for an application's SMEV requests.
    pub async fn answers_for(&self, application: u64) -> Result<Vec<SmevAnswer>, StoreError> {
        Ok(self
            .answers_for_many(&[application])
            .await?
            .remove(&application)
            .unwrap_or_default())
    }

    /// The answers received for each of `applications`, in one query (a host deciding a batch
    /// of applications asks once, not once per application). An application without answers
    /// has no entry.
    pub async fn answers_for_many(
        &self,
        applications: &[u64],
    ) -> Result<HashMap<u64, Vec<SmevAnswer>>, StoreError> {
        let mut out: HashMap<u64, Vec<SmevAnswer>> = HashMap::new();
        for chunk in applications.chunks(500) {
            let sql = format!(
                "SELECT agency, kind, subject, params, message_id, answered_at, status, answer, rejection_code, application_id \
                 FROM smev_requests WHERE application_id IN ({}) AND status IN ('answered', 'rejected') ORDER BY id",
                self.dialect().marks(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for &a in chunk {
                q = q.bind(a as i64);
            }
            for r in q.fetch_all(self.pool()).await? {
                let application = r.try_get::<i64, _>(9)? as u64;
                let answer = answer_from_row(&r, application)?;
                out.entry(application).or_default().push(answer);
            }
        }
        Ok(out)
    }

    /// Cases, most recently changed first.
    pub async fn eligibility_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRow>, StoreError> {
        let mut conditions = Vec::new();
        if filter.plugin.is_some() {
            conditions.push(format!("plugin = ${}", conditions.len() + 1));
        }
        if filter.status.is_some() {
            conditions.push(format!("status = ${}", conditions.len() + 1));
        }
        if filter.application.is_some() {
            conditions.push(format!("application_id = ${}", conditions.len() + 1));
        }
        let sql = format!(
            "SELECT application_id, plugin, status, verdict, decision, run_id, calls, updated_at FROM eligibility_cases \
             {} ORDER BY updated_at DESC, application_id LIMIT {}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            },
            filter.limit.map_or(i64::MAX, i64::from)
        );
        let mut q = sqlx::query_as::<_, CaseTuple>(&sql);
        if let Some(p) = &filter.plugin {
            q = q.bind(p.clone());
        }
        if let Some(s) = &filter.status {
            q = q.bind(s.clone());
        }
        if let Some(a) = filter.application {
            q = q.bind(a as i64);
        }
        Ok(q.fetch_all(self.pool())
            .await?
            .into_iter()
            .map(
                |(application_id, plugin, status, verdict, decision, run_id, calls, updated_at)| {
                    CaseRow {
                        application_id: application_id as u64,
                        plugin,
                        status,
                        verdict,
                        decision,
                        run_id,
                        calls: calls as u64,
                        updated_at,
                    }
                },
            )
            .collect())
    }

    /// Puts a failed (or waiting) case back in the rule's queue: it is called again at the
    /// next tick, with the form as it is now. Returns the rule's name.
    pub async fn retry_case(
        &self,
        application: u64,
        plugin: Option<&str>,
        actor: &str,
    ) -> Result<Result<String, RetryRefused>, StoreError> {
        let filter = CaseFilter {
            plugin: plugin.map(str::to_string),
            application: Some(application),
            ..CaseFilter::default()
        };
        let cases = self.eligibility_cases(&filter).await?;
        let case = match cases.as_slice() {
            [] => return Ok(Err(RetryRefused::NoCase(application))),
            [one] => one,
            _ => return Ok(Err(RetryRefused::Ambiguous(application))),
        };
        if case.status == "decided" {
            return Ok(Err(RetryRefused::Decided {
                application,
                plugin: case.plugin.clone(),
            }));
        }
        let mut tx = self.begin_write().await?;
        // Fewer answers seen than any case has makes it a candidate again.
        sqlx::query(
            "UPDATE eligibility_cases SET status = 'waiting', answers_seen = -1, updated_at = $1 \
             WHERE application_id = $2 AND plugin = $3 AND status <> 'decided'",
        )
        .bind(crate::now())
        .bind(application as i64)
        .bind(case.plugin.clone())
        .execute(&mut *tx)
        .await?;
        crate::audit::record(
            &mut *tx,
            actor,
            "case-retry",
            &format!("application:{application}"),
            serde_json::json!({ "plugin": case.plugin, "was": case.status }),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(case.plugin.clone()))
    }

    /// Assignments approvals created: all, or those of one application.
    pub async fn assignments(
        &self,
        application: Option<u64>,
    ) -> Result<Vec<AssignmentRow>, StoreError> {
        let rows: Vec<(i64, String, i64, i64, i64, Option<i64>, String, String)> = sqlx::query_as(
            "SELECT application_id, measure, citizen_id, monthly_amount, start_at, end_at, payments, decided_by \
             FROM assignments WHERE $1 < 0 OR application_id = $1 ORDER BY application_id",
        )
        .bind(application.map_or(-1, |a| a as i64))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    application_id,
                    measure,
                    citizen,
                    monthly_amount,
                    start_at,
                    end_at,
                    payments,
                    decided_by,
                )| AssignmentRow {
                    application_id: application_id as u64,
                    measure,
                    citizen: citizen as u64,
                    monthly_amount,
                    start_at,
                    end_at,
                    payments,
                    decided_by,
                },
            )
            .collect())
    }
}

/// The next id of `table` from `id_sequences`, under that row's lock in `tx`: concurrent
/// registrations take turns instead of colliding, and the sequence never falls below the ids
/// the region's imports brought (`table` is one of ours, never input).
async fn next_id(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO id_sequences (name, next) VALUES ($1, 1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(table)
    .execute(&mut **tx)
    .await?;
    let (next,): (i64,) = sqlx::query_as(&format!(
        "UPDATE id_sequences SET next = 1 + CASE \
             WHEN next > (SELECT COALESCE(MAX(id), 0) FROM {table}) THEN next \
             ELSE (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}) END \
         WHERE name = $1 RETURNING next"
    ))
    .bind(table)
    .fetch_one(&mut **tx)
    .await?;
    Ok(next - 1)
}

/// One answer from a row of `smev_requests` (columns as [`Store::answers_for_many`] selects them).
fn answer_from_row(r: &sqlx::any::AnyRow, application: u64) -> Result<SmevAnswer, StoreError> {
    let params: Option<String> = r.try_get(3)?;
    let answer: Option<String> = r.try_get(7)?;
    let status: String = r.try_get(6)?;
    let outcome = if status == "answered" {
        AnswerOutcome::Answered {
            facts: answer
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?
                .unwrap_or_default(),
        }
    } else {
        let reason = answer
            .as_deref()
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|v| v["reason"].as_str().map(str::to_string))
            .unwrap_or_default();
        AnswerOutcome::Rejected {
            code: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
            reason,
        }
    };
    Ok(SmevAnswer {
        query: SmevQuery {
            agency: r.try_get(0)?,
            kind: r.try_get(1)?,
            subject: r.try_get::<Option<i64>, _>(2)?.unwrap_or(0) as u64,
            application: Some(application),
            params: params
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?
                .unwrap_or_default(),
        },
        message_id: r.try_get(4)?,
        received: r.try_get::<Option<i64>, _>(5)?.unwrap_or(0),
        outcome,
    })
}
