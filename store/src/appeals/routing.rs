//! Acting on a router's answer, or a first-line specialist's correction of it: the appeal
//! joins an open incident or opens one with a task for the authority's executor, or waits for
//! the specialist — in one transaction with its history.

use serde::Deserialize;
use zemstvo_core::appeals::{Classification, MergeCandidate, Routing, Urgency};

use super::{
    DAY, DEFAULT_DEADLINE_DAYS, Routed, RoutingPolicy, close_task, history, insert_task, name,
    priority, set_incident, short,
};
use crate::commit::RoutingRecord;
use crate::{Store, StoreError, bind_double, bind_double_as};

/// A first-line specialist's classification of an appeal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Correction {
    pub category: String,
    pub authority: String,
    /// Raise or lower the category's urgency.
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// An open incident of the same category to join.
    #[serde(default)]
    pub merge_into: Option<u64>,
}

/// Who routes: the router plugin (an unsure answer goes to review) or a specialist (whose
/// answer is final).
enum By<'a> {
    Router {
        name: &'a str,
        run_id: &'a str,
        policy: RoutingPolicy,
        /// The call's decision record, appended in the routing's transaction.
        record: Option<&'a RoutingRecord<'a>>,
    },
    Specialist {
        actor: &'a str,
    },
}

impl Store {
    /// Acts on a router's answer for a `received` appeal, in one transaction: a confident
    /// answer with a responsible, staffed authority joins the proposed open incident (the
    /// first proposal that is still open and of the same category) or opens a new one with a
    /// task for the authority's executor; anything else goes to the first-line specialist.
    /// An appeal another host routed meanwhile is a [`StoreError::Conflict`].
    pub async fn apply_routing(
        &self,
        appeal_id: u64,
        routing: &Routing,
        routed_by: &str,
        run_id: &str,
        policy: RoutingPolicy,
        at: i64,
    ) -> Result<Routed, StoreError> {
        let by = By::Router {
            name: routed_by,
            run_id,
            policy,
            record: None,
        };
        self.route(appeal_id, routing, &by, at).await
    }

    /// [`Store::apply_routing`] for a router's call the host made: its decision record is
    /// appended in the same transaction, so a routing the store keeps always has its record.
    pub async fn apply_recorded_routing(
        &self,
        appeal_id: u64,
        routing: &Routing,
        routed_by: &str,
        policy: RoutingPolicy,
        record: &RoutingRecord<'_>,
        at: i64,
    ) -> Result<Routed, StoreError> {
        let by = By::Router {
            name: routed_by,
            run_id: &record.report.run_id,
            policy,
            record: Some(record),
        };
        self.route(appeal_id, routing, &by, at).await
    }

    /// A first-line specialist's classification of an appeal in review (or one no router has
    /// looked at): the category and authority must be in the active catalogue and the
    /// authority staffed; `merge_into` names an open incident of the same category to join.
    /// The router's proposal is kept beside the correction, and the review task is done.
    pub async fn correct_appeal(
        &self,
        appeal_id: u64,
        correction: &Correction,
        actor: &str,
        at: i64,
    ) -> Result<Routed, StoreError> {
        let catalogue = self.appeal_catalogue().await?.ok_or_else(|| {
            StoreError::Invalid(
                "no appeal catalogue is loaded; load one with `zemstvo appeals catalogue`".into(),
            )
        })?;
        let category = catalogue.category(&correction.category).ok_or_else(|| {
            StoreError::Invalid(format!(
                "category `{}` is not in catalogue {}",
                correction.category, catalogue.version
            ))
        })?;
        if !catalogue
            .authorities
            .iter()
            .any(|a| a.code == correction.authority)
        {
            return Err(StoreError::Invalid(format!(
                "authority `{}` is not in catalogue {}",
                correction.authority, catalogue.version
            )));
        }
        let routing = Routing {
            classification: Classification {
                category: Some(category.code.clone()),
                catalogue_version: catalogue.version.clone(),
                urgency: correction.urgency.unwrap_or(category.urgency),
                impact: category.impact,
                confidence: 1.0,
            },
            authority: Some(correction.authority.clone()),
            deadline_days: category.deadline_days.unwrap_or(DEFAULT_DEADLINE_DAYS),
            merge_candidates: correction
                .merge_into
                .map(|incident| MergeCandidate {
                    incident,
                    distance_m: None,
                    reason: "выбрано специалистом".into(),
                })
                .into_iter()
                .collect(),
            needs_review: false,
            trace: Vec::new(),
        };
        self.route(appeal_id, &routing, &By::Specialist { actor }, at)
            .await
    }

    async fn route(
        &self,
        appeal_id: u64,
        routing: &Routing,
        by: &By<'_>,
        at: i64,
    ) -> Result<Routed, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<(
            String,
            i64,
            Option<f64>,
            Option<f64>,
            Option<String>,
            String,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT status, received_at, lat, lon, territory, text, category FROM appeals WHERE id = $1",
        )
        .bind(appeal_id as i64)
        .fetch_optional(&mut *tx)
        .await?;
        // `previous` is the category before this routing: none, or the router's for a review.
        let Some((status, received, lat, lon, territory, text, previous)) = row else {
            return Err(StoreError::NotFound(format!(
                "appeal {appeal_id} does not exist"
            )));
        };
        match (by, status.as_str()) {
            (_, "received") | (By::Specialist { .. }, "review") => {}
            (By::Router { .. }, _) => {
                return Err(StoreError::Conflict(format!(
                    "appeal {appeal_id} was already routed (it is {status})"
                )));
            }
            (By::Specialist { .. }, _) => {
                return Err(StoreError::Invalid(format!(
                    "appeal {appeal_id} is {status}; a specialist classifies an appeal in review"
                )));
            }
        }
        let (actor, run_id, policy) = match by {
            By::Router {
                name,
                run_id,
                policy,
                record,
            } => {
                if let Some(record) = record {
                    self.append_routing_record(&mut tx, record).await?;
                }
                (format!("plugin:{name}"), *run_id, *policy)
            }
            By::Specialist { actor } => (actor.to_string(), "appeals", RoutingPolicy::default()),
        };
        let c = &routing.classification;
        let due = received + routing.deadline_days as i64 * DAY;
        let executor: Option<(i64, Option<i64>)> = match &routing.authority {
            Some(code) => {
                sqlx::query_as(
                    "SELECT executor_id, curator_id FROM appeal_authorities WHERE code = $1",
                )
                .bind(code.clone())
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let routed = match (&c.category, &routing.authority, executor) {
            (Some(category), Some(authority), Some((executor, curator)))
                if !routing.needs_review =>
            {
                let mut merged = None;
                for m in &routing.merge_candidates {
                    let open: Option<(i64,)> = sqlx::query_as(
                        "SELECT id FROM incidents WHERE id = $1 AND category = $2 AND status IN ('open', 'reopened')",
                    )
                    .bind(m.incident as i64)
                    .bind(category.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if open.is_some() {
                        merged = Some((m.incident, m.reason.clone()));
                        break;
                    }
                }
                match merged {
                    Some((incident, reason)) => {
                        history(
                            &mut tx,
                            appeal_id as i64,
                            "assigned",
                            Some(&format!("объединено с инцидентом {incident}: {reason}")),
                            &actor,
                            at,
                        )
                        .await?;
                        set_incident(&mut tx, appeal_id, incident).await?;
                        Routed::Merged { incident }
                    }
                    None => {
                        let q = sqlx::query_as::<_, (i64,)>(
                            "INSERT INTO incidents (category, authority, lat, lon, territory, status, opened_at, due_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8) RETURNING id",
                        )
                        .bind(category.clone())
                        .bind(authority.clone());
                        let q = bind_double_as(bind_double_as(q, lat), lon);
                        // The incident opened when its first appeal arrived.
                        let (incident,) = q
                            .bind(territory.clone())
                            .bind(received)
                            .bind(due)
                            .bind(at)
                            .fetch_one(&mut *tx)
                            .await?;
                        let task = insert_task(
                            &mut tx,
                            &format!("incident-{incident}"),
                            executor,
                            curator,
                            &format!("Обращение граждан: {}", short(&text)),
                            &format!(
                                "Инцидент {incident}, категория {category}. Ответьте заявителю до срока; \
                                 обращения о той же проблеме рядом присоединяются к инциденту."
                            ),
                            priority(c.urgency),
                            due,
                            run_id,
                            at,
                        )
                        .await?;
                        sqlx::query("UPDATE incidents SET task_id = $1 WHERE id = $2")
                            .bind(task)
                            .bind(incident)
                            .execute(&mut *tx)
                            .await?;
                        history(
                            &mut tx,
                            appeal_id as i64,
                            "assigned",
                            Some(&format!("инцидент {incident}, орган {authority}")),
                            &actor,
                            at,
                        )
                        .await?;
                        set_incident(&mut tx, appeal_id, incident as u64).await?;
                        Routed::NewIncident {
                            incident: incident as u64,
                        }
                    }
                }
            }
            (_, Some(authority), None) if matches!(by, By::Specialist { .. }) => {
                return Err(StoreError::Invalid(format!(
                    "authority `{authority}` has no executor; name one with `zemstvo appeals authority {authority} --executor ID`"
                )));
            }
            (category, authority, executor) => {
                let why = if category.is_none() {
                    "категория не определена".to_string()
                } else if authority.is_none() {
                    "нет ответственного органа для темы и территории".to_string()
                } else if executor.is_none() {
                    format!(
                        "у органа {} не назначен исполнитель",
                        authority.as_deref().unwrap_or_default()
                    )
                } else {
                    format!("классификатор не уверен ({:.0} %)", c.confidence * 100.0)
                };
                if let Some(first_line) = policy.first_line {
                    insert_task(
                        &mut tx,
                        &format!("appeal-{appeal_id}-review"),
                        first_line as i64,
                        None,
                        &format!("Проверьте классификацию обращения {appeal_id}"),
                        &format!("Обращение: «{}». Причина: {why}.", short(&text)),
                        "normal",
                        received + DAY,
                        run_id,
                        at,
                    )
                    .await?;
                }
                sqlx::query("UPDATE appeals SET status = 'review' WHERE id = $1")
                    .bind(appeal_id as i64)
                    .execute(&mut *tx)
                    .await?;
                history(&mut tx, appeal_id as i64, "review", Some(&why), &actor, at).await?;
                Routed::Review
            }
        };
        let q = sqlx::query(
            "UPDATE appeals SET category = $1, catalogue_version = $2, urgency = $3, impact = $4, confidence = $5, \
             authority = $6, due_at = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(c.category.clone())
        .bind(c.catalogue_version.clone())
        .bind(name(&c.urgency))
        .bind(name(&c.impact));
        bind_double(q, Some(c.confidence as f64))
            .bind(routing.authority.clone())
            .bind(due)
            .bind(at)
            .bind(appeal_id as i64)
            .execute(&mut *tx)
            .await?;
        match by {
            By::Router { name, run_id, .. } => {
                sqlx::query(
                    "UPDATE appeals SET routing = $1, routed_by = $2, run_id = $3 WHERE id = $4",
                )
                .bind(serde_json::to_string(routing)?)
                .bind(name.to_string())
                .bind(run_id.to_string())
                .bind(appeal_id as i64)
                .execute(&mut *tx)
                .await?;
            }
            By::Specialist { actor } => {
                // The correction is a line of the history; the router's proposal stays.
                let note = format!(
                    "классификация специалиста: {} → {}",
                    previous.as_deref().unwrap_or("не определена"),
                    c.category.as_deref().unwrap_or_default()
                );
                history(
                    &mut tx,
                    appeal_id as i64,
                    "corrected",
                    Some(&note),
                    actor,
                    at,
                )
                .await?;
                let review: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM tasks WHERE plugin = $1 AND key = $2")
                        .bind(super::TASK_SOURCE)
                        .bind(format!("appeal-{appeal_id}-review"))
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((task,)) = review {
                    close_task(&mut tx, task, actor, at).await?;
                }
                crate::audit::record(
                    &mut *tx,
                    actor,
                    "appeals.correct",
                    &format!("appeal/{appeal_id}"),
                    serde_json::json!({
                        "from": previous,
                        "category": c.category,
                        "authority": routing.authority,
                    }),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(routed)
    }

    /// Sends an appeal the router could not handle (the call failed) to the first-line
    /// specialist, with the reason in its history.
    pub async fn appeal_to_review(
        &self,
        appeal_id: u64,
        why: &str,
        actor: &str,
        record: Option<&RoutingRecord<'_>>,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE appeals SET status = 'review', updated_at = $1 WHERE id = $2 AND status = 'received'",
        )
        .bind(at)
        .bind(appeal_id as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            history(&mut tx, appeal_id as i64, "review", Some(why), actor, at).await?;
            // The failed call's record goes with its consequence; a call another host
            // answered first leaves none.
            if let Some(record) = record {
                self.append_routing_record(&mut tx, record).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
