//! After routing: the executor's answer, the applicant's verdict (a rejected answer reopens
//! the incident under the curator's watch), root-cause records and change requests for
//! incidents past their deadline, and the curators' figures.

use super::{AppealFigures, AppealReport, DAY, close_task, history, insert_task, short};
use crate::{Store, StoreError, audit, now};

impl Store {
    /// The executor's answer to an incident at `at`: every appeal of it becomes `answered`
    /// (the applicants are asked for their verdict) and the executor's task is done.
    pub async fn answer_incident(
        &self,
        incident: u64,
        answer: &str,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT status, task_id FROM incidents WHERE id = $1")
                .bind(incident as i64)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, task)) = row else {
            return Err(StoreError::NotFound(format!(
                "incident {incident} does not exist"
            )));
        };
        if !matches!(status.as_str(), "open" | "reopened") {
            return Err(StoreError::Invalid(format!(
                "incident {incident} is {status}; only an open or reopened incident is answered"
            )));
        }
        sqlx::query("UPDATE incidents SET status = 'answered', answer = $1, answered_by = $2, answered_at = $3, updated_at = $3 WHERE id = $4")
            .bind(answer.to_string())
            .bind(actor.to_string())
            .bind(at)
            .bind(incident as i64)
            .execute(&mut *tx)
            .await?;
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM appeals WHERE incident_id = $1 AND status IN ('assigned', 'reopened')",
        )
        .bind(incident as i64)
        .fetch_all(&mut *tx)
        .await?;
        for (id,) in ids {
            sqlx::query("UPDATE appeals SET status = 'answered', updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            history(&mut tx, id, "answered", None, actor, at).await?;
        }
        if let Some(task) = task {
            close_task(&mut tx, task, actor, at).await?;
        }
        audit::record(
            &mut *tx,
            actor,
            "appeals.answer",
            &format!("incident/{incident}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The applicant's verdict on the answer: accepted closes the appeal (and the incident
    /// when all its appeals are closed); rejected reopens the incident to its executor with a
    /// new task the curator oversees, and a control task for the curator.
    pub async fn appeal_verdict(
        &self,
        appeal_id: u64,
        accepted: bool,
        rating: Option<u8>,
        comment: Option<&str>,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        if rating.is_some_and(|r| !(1..=5).contains(&r)) {
            return Err(StoreError::Invalid("a rating is from 1 to 5".into()));
        }
        let mut tx = self.begin_write().await?;
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT status, incident_id FROM appeals WHERE id = $1")
                .bind(appeal_id as i64)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, Some(incident))) = row else {
            return Err(StoreError::NotFound(format!(
                "appeal {appeal_id} does not exist or has no incident"
            )));
        };
        if status != "answered" {
            return Err(StoreError::Invalid(format!(
                "appeal {appeal_id} is {status}; a verdict is given on an answered appeal"
            )));
        }
        let (new_status, verdict) = if accepted {
            ("closed", "accepted")
        } else {
            ("reopened", "rejected")
        };
        sqlx::query("UPDATE appeals SET status = $1, verdict = $2, rating = $3, updated_at = $4 WHERE id = $5")
            .bind(new_status)
            .bind(verdict)
            .bind(rating.map(|r| r as i64))
            .bind(at)
            .bind(appeal_id as i64)
            .execute(&mut *tx)
            .await?;
        history(&mut tx, appeal_id as i64, new_status, comment, actor, at).await?;
        audit::record(
            &mut *tx,
            actor,
            "appeals.verdict",
            &format!("appeal/{appeal_id}"),
            serde_json::json!({ "verdict": verdict, "rating": rating }),
        )
        .await?;
        if accepted {
            sqlx::query(
                "UPDATE incidents SET status = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM appeals WHERE incident_id = $2 AND status <> 'closed')",
            )
            .bind(at)
            .bind(incident)
            .execute(&mut *tx)
            .await?;
        } else {
            let (authority, due, category): (Option<String>, i64, String) =
                sqlx::query_as("SELECT authority, due_at, category FROM incidents WHERE id = $1")
                    .bind(incident)
                    .fetch_one(&mut *tx)
                    .await?;
            let staff: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT executor_id, curator_id FROM appeal_authorities WHERE code = $1",
            )
            .bind(authority.unwrap_or_default())
            .fetch_optional(&mut *tx)
            .await?;
            // A reopened incident keeps its deadline, but never less than five days from the
            // reopening: the executor needs time to remove the cause the answer did not.
            let new_due = (at + 5 * DAY).max(due);
            let reopenings: (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM appeal_history h JOIN appeals a ON a.id = h.appeal_id \
                 WHERE a.incident_id = $1 AND h.status = 'reopened'",
            )
            .bind(incident)
            .fetch_one(&mut *tx)
            .await?;
            let mut task = None;
            if let Some((executor, curator)) = staff {
                let note = comment
                    .map(|c| format!(" Заявитель: «{}».", short(c)))
                    .unwrap_or_default();
                task = Some(
                    insert_task(
                        &mut tx,
                        &format!("incident-{incident}-reopened-{}", reopenings.0),
                        executor,
                        curator,
                        &format!(
                            "Повторно: заявитель не согласен с ответом по инциденту {incident}"
                        ),
                        &format!("Категория {category}. Устраните причину и ответьте снова.{note}"),
                        "high",
                        new_due,
                        "appeals",
                        at,
                    )
                    .await?,
                );
                if let Some(curator) = curator {
                    insert_task(
                        &mut tx,
                        &format!("incident-{incident}-control-{}", reopenings.0),
                        curator,
                        None,
                        &format!("На контроле: инцидент {incident} открыт повторно"),
                        &format!(
                            "Заявитель обращения {appeal_id} не согласен с ответом исполнителя. \
                             Проследите, чтобы причина была устранена до срока.{note}"
                        ),
                        "high",
                        new_due,
                        "appeals",
                        at,
                    )
                    .await?;
                }
            }
            sqlx::query("UPDATE incidents SET status = 'reopened', due_at = $1, task_id = COALESCE($2, task_id), reminded_at = NULL, updated_at = $3 WHERE id = $4")
                .bind(new_due)
                .bind(task)
                .bind(at)
                .bind(incident)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Reminds the executors of incidents due within `ahead` seconds of `at` (once per
    /// deadline): the executor's task becomes urgent and gets a comment with the deadline, so
    /// it rises to the top of their cabinet. Returns how many were reminded.
    pub async fn remind_due_incidents(&self, at: i64, ahead: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let due: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, due_at, task_id FROM incidents WHERE status IN ('open', 'reopened') \
             AND due_at >= $1 AND due_at <= $2 AND reminded_at IS NULL \
             ORDER BY id",
        )
        .bind(at)
        .bind(at + ahead)
        .fetch_all(&mut *tx)
        .await?;
        for (incident, due_at, task) in &due {
            sqlx::query("UPDATE incidents SET reminded_at = $1 WHERE id = $2")
                .bind(at)
                .bind(*incident)
                .execute(&mut *tx)
                .await?;
            if let Some(task) = task {
                let days = ((due_at - at) as f64 / DAY as f64).ceil() as i64;
                sqlx::query(
                    "UPDATE tasks SET priority = 'urgent', updated_at = $1 WHERE id = $2 AND status IN ('new', 'in_progress')",
                )
                .bind(at)
                .bind(*task)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO task_comments (task_id, actor, body, at) VALUES ($1, $2, $3, $4)",
                )
                .bind(*task)
                .bind(super::TASK_SOURCE)
                .bind(format!(
                    "Напоминание: до срока ответа по инциденту {incident} осталось дней: {days}. \
                         Если причину не устранить в срок, откроется разбор первопричины."
                ))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(due.len() as u64)
    }

    /// Opens a root-cause record, with a task for the curator, for every open or reopened
    /// incident past its deadline at `at` that has none yet; returns how many were opened.
    pub async fn open_root_causes(&self, at: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let overdue: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT i.id, i.category, i.authority FROM incidents i \
             WHERE i.status IN ('open', 'reopened') AND i.due_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM root_causes r WHERE r.incident_id = i.id) ORDER BY i.id",
        )
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        for (incident, category, authority) in &overdue {
            sqlx::query("INSERT INTO root_causes (incident_id, status, opened_at, updated_at) VALUES ($1, 'open', $2, $2)")
                .bind(*incident)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let curator: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT curator_id FROM appeal_authorities WHERE code = $1")
                    .bind(authority.clone().unwrap_or_default())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((Some(curator),)) = curator {
                insert_task(
                    &mut tx,
                    &format!("incident-{incident}-root-cause"),
                    curator,
                    None,
                    &format!("Срок ответа по инциденту {incident} истёк: найдите причину"),
                    &format!(
                        "Категория {category}. Быстрый ответ не устранил проблему в срок: запишите \
                         причину и, если нужно, заявку на изменение инфраструктуры."
                    ),
                    "high",
                    at + 10 * DAY,
                    "appeals",
                    at,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(overdue.len() as u64)
    }

    /// Records the finding of an incident's root cause and, when the problem needs a change of
    /// the infrastructure, the change request; returns the request's id.
    pub async fn record_root_cause(
        &self,
        incident: u64,
        finding: &str,
        change: Option<(&str, &str)>,
        actor: &str,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = now();
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM root_causes WHERE incident_id = $1")
                .bind(incident as i64)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((root,)) = row else {
            return Err(StoreError::NotFound(format!(
                "incident {incident} has no root-cause record; one opens when its deadline passes"
            )));
        };
        let status = if change.is_some() {
            "change-requested"
        } else {
            "resolved"
        };
        sqlx::query(
            "UPDATE root_causes SET status = $1, finding = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(finding.to_string())
        .bind(at)
        .bind(root)
        .execute(&mut *tx)
        .await?;
        let mut request = None;
        if let Some((title, description)) = change {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO change_requests (root_cause_id, title, description, status, actor, created_at) \
                 VALUES ($1, $2, $3, 'requested', $4, $5) RETURNING id",
            )
            .bind(root)
            .bind(title.to_string())
            .bind(description.to_string())
            .bind(actor.to_string())
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            request = Some(id as u64);
        }
        audit::record(
            &mut *tx,
            actor,
            "appeals.root-cause",
            &format!("incident/{incident}"),
            serde_json::json!({ "status": status }),
        )
        .await?;
        tx.commit().await?;
        Ok(request)
    }

    /// The curators' figures: counts by state, and per category, territory and authority the
    /// time to answer, the share reopened and the applicants' mean rating.
    pub async fn appeal_report(&self, at: i64) -> Result<AppealReport, StoreError> {
        let counts: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM appeals GROUP BY status")
                .fetch_all(self.pool())
                .await?;
        let count = |s: &str| {
            counts
                .iter()
                .find(|(k, _)| k == s)
                .map_or(0, |(_, n)| *n as u64)
        };
        let one = |sql: &'static str| async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(self.pool()).await?;
            Ok::<u64, StoreError>(n as u64)
        };
        let (overdue,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM incidents WHERE status IN ('open', 'reopened') AND due_at < $1",
        )
        .bind(at)
        .fetch_one(self.pool())
        .await?;
        let incidents = one("SELECT COUNT(*) FROM incidents").await?;
        let with_incident =
            one("SELECT COUNT(*) FROM appeals WHERE incident_id IS NOT NULL").await?;
        let reopened_ever = |by: &'static str| {
            format!(
                "SELECT COALESCE({by}, '—'), COUNT(*), \
                 SUM(CASE WHEN i.answered_at IS NOT NULL THEN 1 ELSE 0 END), \
                 CAST(AVG(CASE WHEN i.answered_at IS NOT NULL THEN (i.answered_at - a.received_at) / 86400.0 END) AS DOUBLE PRECISION), \
                 SUM(CASE WHEN EXISTS (SELECT 1 FROM appeal_history h WHERE h.appeal_id = a.id AND h.status = 'reopened') THEN 1 ELSE 0 END), \
                 CAST(AVG(a.rating * 1.0) AS DOUBLE PRECISION) \
                 FROM appeals a LEFT JOIN incidents i ON i.id = a.incident_id GROUP BY COALESCE({by}, '—') ORDER BY 2 DESC, 1"
            )
        };
        let mut groups = Vec::new();
        for by in ["a.category", "a.territory", "a.authority"] {
            let rows: Vec<(
                String,
                i64,
                Option<i64>,
                Option<f64>,
                Option<i64>,
                Option<f64>,
            )> = sqlx::query_as(&reopened_ever(by))
                .fetch_all(self.pool())
                .await?;
            groups.push(
                rows.into_iter()
                    .map(|r| AppealFigures {
                        key: r.0,
                        appeals: r.1 as u64,
                        answered: r.2.unwrap_or(0) as u64,
                        mean_days_to_answer: r.3,
                        reopened: r.4.unwrap_or(0) as u64,
                        mean_rating: r.5,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        let by_authority = groups.pop().unwrap_or_default();
        let by_territory = groups.pop().unwrap_or_default();
        let by_category = groups.pop().unwrap_or_default();
        Ok(AppealReport {
            appeals: counts.iter().map(|(_, n)| *n as u64).sum(),
            incidents,
            merged: with_incident.saturating_sub(incidents),
            in_review: count("review"),
            open: count("assigned") + count("received"),
            answered: count("answered"),
            closed: count("closed"),
            reopened: count("reopened"),
            overdue: overdue as u64,
            root_causes: one("SELECT COUNT(*) FROM root_causes").await?,
            change_requests: one("SELECT COUNT(*) FROM change_requests").await?,
            by_category,
            by_territory,
            by_authority,
        })
    }
}
