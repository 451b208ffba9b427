//! Citizens' appeals and incidents: an appeal arrives from a channel, an appeal-routing
//! plugin classifies it against the region's versioned catalogue, it joins an incident (a new
//! one, or an open one about the same problem close by), the authority's executor gets a task,
//! answers, and the applicant accepts or rejects the answer; a rejected answer reopens the
//! incident under the curator's watch, and an incident past its deadline opens a root-cause
//! record. Every change is a line of the appeal's history, written in the change's transaction.

use std::sync::Arc;

use serde::Serialize;
use zemstvo_core::appeals::{Appeal, Catalogue, OpenIncident, Place};

mod lifecycle;
mod routing;

pub use routing::Correction;

use crate::{Store, StoreError, audit, bind_double_as, now};

/// The sha256 of a catalogue's canonical text: what a routing call's decision record names the
/// catalogue by, beside its version, and what a replay checks the stored version against.
pub fn catalogue_sha256(catalogue: &Catalogue) -> Result<String, StoreError> {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(catalogue)?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// The `plugin` column of the tasks the appeals lifecycle creates: the cabinet shows them as
/// the work of "appeals", whichever router classified the appeal.
pub const TASK_SOURCE: &str = "appeals";

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Days to answer an appeal when the category names none: the national platform's 30 days.
pub const DEFAULT_DEADLINE_DAYS: u32 = 30;

/// How many open incidents a router is shown for one appeal: the nearest ones, so that a
/// region with thousands of open incidents does not hand them all to every call.
pub const OPEN_INCIDENTS_PER_APPEAL: usize = 50;

/// An appeal as a channel files it (checked by the caller: bounded fields, a known service).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewAppeal {
    pub channel: String,
    pub service_code: Option<String>,
    pub text: String,
    pub place: Option<Place>,
    /// The address when the applicant gave one without a point on the map (a point's own
    /// address is `place.address`).
    pub address: Option<String>,
    pub territory: Option<String>,
    pub media_url: Option<String>,
    pub applicant_name: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_phone: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub received_at: i64,
}

/// An appeal as staff and the channel's status requests see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppealRow {
    pub id: u64,
    pub channel: String,
    pub service_code: Option<String>,
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub territory: Option<String>,
    pub media_url: Option<String>,
    pub received_at: i64,
    pub due_at: Option<i64>,
    /// received, review, assigned, answered, closed, reopened
    pub status: String,
    pub category: Option<String>,
    pub catalogue_version: Option<String>,
    pub urgency: Option<String>,
    pub impact: Option<String>,
    pub authority: Option<String>,
    pub incident_id: Option<u64>,
    /// The router's proposal as JSON.
    pub routing: Option<String>,
    pub routed_by: Option<String>,
    /// The authority's answer, once given.
    pub answer: Option<String>,
    pub verdict: Option<String>,
    pub rating: Option<i64>,
    pub updated_at: i64,
}

/// Which appeals to list (the Open311 filters).
#[derive(Debug, Clone, Default)]
pub struct AppealFilter {
    pub ids: Vec<u64>,
    pub service_code: Option<String>,
    /// Any of these statuses.
    pub statuses: Vec<String>,
    pub received_from: Option<i64>,
    pub received_to: Option<i64>,
    pub limit: u32,
}

/// An incident with the number of its appeals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRow {
    pub id: u64,
    pub category: String,
    pub authority: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub territory: Option<String>,
    /// open, answered, closed, reopened
    pub status: String,
    pub opened_at: i64,
    pub due_at: i64,
    pub answer: Option<String>,
    pub appeals: u64,
    pub task_id: Option<i64>,
}

/// A line of an appeal's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppealChange {
    pub status: String,
    pub note: Option<String>,
    pub actor: String,
    pub at: i64,
}

/// What became of a routed appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routed {
    /// A new incident, with a task for the authority's executor.
    NewIncident { incident: u64 },
    /// Joined an open incident about the same problem.
    Merged { incident: u64 },
    /// A first-line specialist classifies it (the router was unsure, or nobody is responsible).
    Review,
}

/// Who reads the first-line review tasks when a router is unsure.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoutingPolicy {
    /// The first-line specialist; without one, appeals that need review wait in the list.
    pub first_line: Option<u64>,
}

/// The region's figures on appeals, for curators.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppealReport {
    pub appeals: u64,
    pub incidents: u64,
    pub merged: u64,
    pub in_review: u64,
    pub open: u64,
    pub answered: u64,
    pub closed: u64,
    pub reopened: u64,
    pub overdue: u64,
    pub root_causes: u64,
    pub change_requests: u64,
    /// Per category: appeals, mean days from receipt to answer, share reopened, mean rating.
    pub by_category: Vec<AppealFigures>,
    /// The same per territory.
    pub by_territory: Vec<AppealFigures>,
    /// The same per authority (the executor).
    pub by_authority: Vec<AppealFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppealFigures {
    pub key: String,
    pub appeals: u64,
    pub answered: u64,
    pub mean_days_to_answer: Option<f64>,
    pub reopened: u64,
    pub mean_rating: Option<f64>,
}

type AppealTuple = (
    i64,
    String,
    Option<String>,
    String,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const APPEAL_COLUMNS: &str = "a.id, a.channel, a.service_code, a.text, a.lat, a.lon, a.address, a.territory, \
     a.media_url, a.received_at, a.due_at, a.status, a.category, a.catalogue_version, a.urgency, a.impact";
const APPEAL_COLUMNS_2: &str = "a.authority, a.incident_id, a.routing, a.routed_by, i.answer, a.verdict, a.rating, a.updated_at";

type AppealTuple2 = (
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

fn appeal_row(t: AppealTuple, u: AppealTuple2) -> AppealRow {
    AppealRow {
        id: t.0 as u64,
        channel: t.1,
        service_code: t.2,
        text: t.3,
        lat: t.4,
        lon: t.5,
        address: t.6,
        territory: t.7,
        media_url: t.8,
        received_at: t.9,
        due_at: t.10,
        status: t.11,
        category: t.12,
        catalogue_version: t.13,
        urgency: t.14,
        impact: t.15,
        authority: u.0,
        incident_id: u.1.map(|i| i as u64),
        routing: u.2,
        routed_by: u.3,
        answer: u.4,
        verdict: u.5,
        rating: u.6,
        updated_at: u.7,
    }
}

fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Store {
    /// Loads a version of the classifier catalogue and makes it the active one. Loading the
    /// same version again with the same content only makes it active; a different content
    /// under a version already loaded is refused, because appeals classified with that
    /// version must keep meaning what they meant.
    pub async fn load_appeal_catalogue(
        &self,
        catalogue: &Catalogue,
        actor: &str,
    ) -> Result<(), StoreError> {
        zemstvo_core::appeals::check_catalogue(catalogue).map_err(StoreError::Invalid)?;
        let body = serde_json::to_string(catalogue)?;
        let mut tx = self.begin_write().await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT body FROM appeal_catalogues WHERE version = $1")
                .bind(catalogue.version.clone())
                .fetch_optional(&mut *tx)
                .await?;
        match existing {
            Some((stored,)) if stored != body => {
                return Err(StoreError::Invalid(format!(
                    "catalogue version {} is already loaded with a different content; give the \
                     changed catalogue a new version",
                    catalogue.version
                )));
            }
            Some(_) => {}
            None => {
                sqlx::query(
                    "INSERT INTO appeal_catalogues (version, body, active, loaded_by, loaded_at) VALUES ($1, $2, 0, $3, $4)",
                )
                .bind(catalogue.version.clone())
                .bind(body)
                .bind(actor.to_string())
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "UPDATE appeal_catalogues SET active = CASE WHEN version = $1 THEN 1 ELSE 0 END",
        )
        .bind(catalogue.version.clone())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "appeals.catalogue",
            &catalogue.version,
            serde_json::json!({
                "categories": catalogue.categories.len(),
                "authorities": catalogue.authorities.len(),
                "territories": catalogue.territories.len(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active classifier catalogue, if the region has loaded one. Read once per version:
    /// while the same version stays active (on any host) this costs one indexed lookup.
    pub async fn appeal_catalogue(&self) -> Result<Option<Arc<Catalogue>>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT version FROM appeal_catalogues WHERE active = 1")
                .fetch_optional(self.pool())
                .await?;
        let Some((version,)) = row else {
            return Ok(None);
        };
        let cached =
            |c: &Option<Arc<Catalogue>>| c.as_ref().filter(|c| c.version == version).cloned();
        if let Some(c) = cached(&self.catalogue.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(Some(c));
        }
        // Versions are never removed, so the one just found active is there.
        let Some(catalogue) = self.appeal_catalogue_version(&version).await? else {
            return Ok(None);
        };
        let catalogue = Arc::new(catalogue);
        *self.catalogue.lock().unwrap_or_else(|e| e.into_inner()) = Some(catalogue.clone());
        Ok(Some(catalogue))
    }

    /// Catalogue `version` as it was loaded, active or not: what a replay of a routing call
    /// hands the candidate.
    pub async fn appeal_catalogue_version(
        &self,
        version: &str,
    ) -> Result<Option<Catalogue>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT body FROM appeal_catalogues WHERE version = $1")
                .bind(version.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            Some((body,)) => Some(serde_json::from_str(&body)?),
            None => None,
        })
    }

    /// Names the employee who executes an authority's incidents and the curator who watches
    /// them.
    pub async fn set_appeal_authority(
        &self,
        code: &str,
        executor: u64,
        curator: Option<u64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO appeal_authorities (code, executor_id, curator_id) VALUES ($1, $2, $3) \
             ON CONFLICT (code) DO UPDATE SET executor_id = $2, curator_id = $3",
        )
        .bind(code.to_string())
        .bind(executor as i64)
        .bind(curator.map(|c| c as i64))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Registers a channel that files appeals over Open311, by the sha256 of its key.
    pub async fn add_appeal_channel(&self, name: &str, key_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO appeal_channels (name, key_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET key_hash = $2, revoked_at = NULL",
        )
        .bind(name.to_string())
        .bind(key_hash.to_string())
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The channel whose key hashes to `key_hash`, unless revoked.
    pub async fn appeal_channel(&self, key_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_as::<_, (String,)>(
            "SELECT name FROM appeal_channels WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash.to_string())
        .fetch_optional(self.pool())
        .await?
        .map(|(n,)| n))
    }

    /// Stores a new appeal, waiting to be routed; returns its id.
    pub async fn file_appeal(&self, a: &NewAppeal) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let q = sqlx::query_as::<_, (i64,)>(
            "INSERT INTO appeals (channel, service_code, text, lat, lon, address, territory, media_url, \
             applicant_name, applicant_email, applicant_phone, attributes, received_at, status, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'received', $13) RETURNING id",
        )
        .bind(a.channel.clone())
        .bind(a.service_code.clone())
        .bind(a.text.clone());
        let q = bind_double_as(q, a.place.as_ref().map(|p| p.lat));
        let q = bind_double_as(q, a.place.as_ref().map(|p| p.lon));
        let (id,) = q
            .bind(
                a.place
                    .as_ref()
                    .and_then(|p| p.address.clone())
                    .or_else(|| a.address.clone()),
            )
            .bind(a.territory.clone())
            .bind(a.media_url.clone())
            .bind(a.applicant_name.clone())
            .bind(a.applicant_email.clone())
            .bind(a.applicant_phone.clone())
            .bind(serde_json::to_string(&a.attributes)?)
            .bind(a.received_at)
            .fetch_one(&mut *tx)
            .await?;
        history(
            &mut tx,
            id,
            "received",
            None,
            &format!("channel:{}", a.channel),
            a.received_at,
        )
        .await?;
        tx.commit().await?;
        Ok(id as u64)
    }

    /// Up to `limit` appeals waiting to be routed, oldest first, as a router is called with them.
    pub async fn appeals_to_route(&self, limit: u32) -> Result<Vec<Appeal>, StoreError> {
        let rows: Vec<(
            i64,
            String,
            Option<String>,
            String,
            Option<f64>,
            Option<f64>,
            Option<String>,
            Option<String>,
            i64,
            String,
        )> = sqlx::query_as(
            "SELECT id, channel, service_code, text, lat, lon, address, territory, received_at, attributes \
             FROM appeals WHERE status = 'received' ORDER BY id LIMIT $1",
        )
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Appeal {
                    id: r.0 as u64,
                    channel: r.1,
                    service_code: r.2,
                    text: r.3,
                    place: match (r.4, r.5) {
                        (Some(lat), Some(lon)) => Some(Place {
                            lat,
                            lon,
                            address: r.6,
                        }),
                        _ => None,
                    },
                    territory: r.7,
                    received: r.8,
                    attributes: serde_json::from_str(&r.9)?,
                })
            })
            .collect()
    }

    /// The open incidents an appeal might join: those near its place (nearest first) or, for
    /// an appeal without a place, those of its territory (newest first); at most
    /// [`OPEN_INCIDENTS_PER_APPEAL`].
    pub async fn open_incidents_for(
        &self,
        appeal: &Appeal,
    ) -> Result<Vec<OpenIncident>, StoreError> {
        let rows: Vec<(i64, String, Option<f64>, Option<f64>, Option<String>, i64, i64)> =
            match &appeal.place {
                Some(p) => {
                    // ~2 km around the place: a box the index narrows, then exact distances.
                    let dlat = 0.02;
                    let dlon = 0.02 / p.lat.to_radians().cos().max(0.01);
                    sqlx::query_as(
                        "SELECT i.id, i.category, i.lat, i.lon, i.territory, i.opened_at, \
                         (SELECT COUNT(*) FROM appeals a WHERE a.incident_id = i.id) \
                         FROM incidents i WHERE i.status IN ('open', 'reopened') \
                         AND i.lat BETWEEN $1 AND $2 AND i.lon BETWEEN $3 AND $4",
                    )
                    .bind(p.lat - dlat)
                    .bind(p.lat + dlat)
                    .bind(p.lon - dlon)
                    .bind(p.lon + dlon)
                    .fetch_all(self.pool())
                    .await?
                }
                None => {
                    sqlx::query_as(
                        "SELECT i.id, i.category, i.lat, i.lon, i.territory, i.opened_at, \
                         (SELECT COUNT(*) FROM appeals a WHERE a.incident_id = i.id) \
                         FROM incidents i WHERE i.status IN ('open', 'reopened') AND i.territory = $1 \
                         ORDER BY i.id DESC LIMIT $2",
                    )
                    .bind(appeal.territory.clone().unwrap_or_default())
                    .bind(OPEN_INCIDENTS_PER_APPEAL as i64)
                    .fetch_all(self.pool())
                    .await?
                }
            };
        let mut incidents: Vec<OpenIncident> = rows
            .into_iter()
            .map(|r| OpenIncident {
                id: r.0 as u64,
                category: r.1,
                place: match (r.2, r.3) {
                    (Some(lat), Some(lon)) => Some(Place {
                        lat,
                        lon,
                        address: None,
                    }),
                    _ => None,
                },
                territory: r.4,
                opened: r.5,
                appeals: r.6 as u32,
            })
            .collect();
        if let Some(p) = &appeal.place {
            let d = |i: &OpenIncident| i.place.as_ref().map_or(f64::MAX, |q| p.distance_m(q));
            incidents.sort_by(|a, b| d(a).total_cmp(&d(b)).then(a.id.cmp(&b.id)));
            incidents.truncate(OPEN_INCIDENTS_PER_APPEAL);
        }
        Ok(incidents)
    }

    /// Appeals matching `filter`, newest first.
    pub async fn appeals(&self, filter: &AppealFilter) -> Result<Vec<AppealRow>, StoreError> {
        let mut sql = format!(
            "SELECT {APPEAL_COLUMNS}, {APPEAL_COLUMNS_2} FROM appeals a LEFT JOIN incidents i ON i.id = a.incident_id WHERE 1 = 1"
        );
        let mut n = 0;
        let mut mark = || {
            n += 1;
            format!("${n}")
        };
        if !filter.ids.is_empty() {
            let list = filter
                .ids
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" AND a.id IN ({list})"));
        }
        if filter.service_code.is_some() {
            sql.push_str(&format!(" AND a.service_code = {}", mark()));
        }
        if !filter.statuses.is_empty() {
            let marks: Vec<String> = filter.statuses.iter().map(|_| mark()).collect();
            sql.push_str(&format!(" AND a.status IN ({})", marks.join(", ")));
        }
        if filter.received_from.is_some() {
            sql.push_str(&format!(" AND a.received_at >= {}", mark()));
        }
        if filter.received_to.is_some() {
            sql.push_str(&format!(" AND a.received_at <= {}", mark()));
        }
        sql.push_str(&format!(" ORDER BY a.id DESC LIMIT {}", mark()));
        let mut q = sqlx::query(&sql);
        if let Some(code) = &filter.service_code {
            q = q.bind(code.clone());
        }
        for s in &filter.statuses {
            q = q.bind(s.clone());
        }
        if let Some(from) = filter.received_from {
            q = q.bind(from);
        }
        if let Some(to) = filter.received_to {
            q = q.bind(to);
        }
        let rows = q
            .bind(filter.limit.max(1) as i64)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(decode_appeal).collect()
    }

    /// One appeal.
    pub async fn appeal(&self, id: u64) -> Result<AppealRow, StoreError> {
        self.appeals(&AppealFilter {
            ids: vec![id],
            limit: 1,
            ..AppealFilter::default()
        })
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("appeal {id} does not exist")))
    }

    /// An appeal's history, oldest first.
    pub async fn appeal_history(&self, id: u64) -> Result<Vec<AppealChange>, StoreError> {
        let rows: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT status, note, actor, at FROM appeal_history WHERE appeal_id = $1 ORDER BY seq",
        )
        .bind(id as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(status, note, actor, at)| AppealChange {
                status,
                note,
                actor,
                at,
            })
            .collect())
    }

    /// One incident with the number of its appeals.
    pub async fn incident(&self, id: u64) -> Result<IncidentRow, StoreError> {
        let row: Option<(i64, String, Option<String>, Option<f64>, Option<f64>, Option<String>, String, i64, i64, Option<String>, i64, Option<i64>)> =
            sqlx::query_as(
                "SELECT i.id, i.category, i.authority, i.lat, i.lon, i.territory, i.status, i.opened_at, i.due_at, i.answer, \
                 (SELECT COUNT(*) FROM appeals a WHERE a.incident_id = i.id), i.task_id FROM incidents i WHERE i.id = $1",
            )
            .bind(id as i64)
            .fetch_optional(self.pool())
            .await?;
        let r = row.ok_or_else(|| StoreError::NotFound(format!("incident {id} does not exist")))?;
        Ok(IncidentRow {
            id: r.0 as u64,
            category: r.1,
            authority: r.2,
            lat: r.3,
            lon: r.4,
            territory: r.5,
            status: r.6,
            opened_at: r.7,
            due_at: r.8,
            answer: r.9,
            appeals: r.10 as u64,
            task_id: r.11,
        })
    }
}

fn decode_appeal(row: &sqlx::any::AnyRow) -> Result<AppealRow, StoreError> {
    use sqlx::Row;
    let t: AppealTuple = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
        row.try_get(7)?,
        row.try_get(8)?,
        row.try_get(9)?,
        row.try_get(10)?,
        row.try_get(11)?,
        row.try_get(12)?,
        row.try_get(13)?,
        row.try_get(14)?,
        row.try_get(15)?,
    );
    let u: AppealTuple2 = (
        row.try_get(16)?,
        row.try_get(17)?,
        row.try_get(18)?,
        row.try_get(19)?,
        row.try_get(20)?,
        row.try_get(21)?,
        row.try_get(22)?,
        row.try_get(23)?,
    );
    Ok(appeal_row(t, u))
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn history(
    tx: &mut Tx,
    appeal: i64,
    status: &str,
    note: Option<&str>,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO appeal_history (appeal_id, status, note, actor, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(appeal)
        .bind(status.to_string())
        .bind(note.map(str::to_string))
        .bind(actor.to_string())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn set_incident(tx: &mut Tx, appeal: u64, incident: u64) -> Result<(), StoreError> {
    sqlx::query("UPDATE appeals SET status = 'assigned', incident_id = $1 WHERE id = $2")
        .bind(incident as i64)
        .bind(appeal as i64)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A task of the appeals lifecycle, through the same table and history as a plugin's; an
/// existing task with the same key is kept (returns its id).
#[allow(clippy::too_many_arguments)]
async fn insert_task(
    tx: &mut Tx,
    key: &str,
    assignee: i64,
    overseer: Option<i64>,
    title: &str,
    description: &str,
    priority: &str,
    due: i64,
    run_id: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO tasks (plugin, key, assignee, overseer, subject, title, description, records, steps, \
         priority, due, status, reason, run_id, created_at, updated_at) \
         VALUES ($1, $2, $3, COALESCE($4, (SELECT manager_id FROM employees WHERE id = $3)), NULL, $5, $6, '[]', $7, $8, $9, \
         'new', NULL, $10, $11, $11) ON CONFLICT (plugin, key) DO NOTHING RETURNING id",
    )
    .bind(TASK_SOURCE)
    .bind(key.to_string())
    .bind(assignee)
    .bind(overseer)
    .bind(title.to_string())
    .bind(description.to_string())
    .bind(serde_json::to_string(&[
        "Прочитайте обращение и историю инцидента",
        "Устраните причину или поручите её устранение",
        "Ответьте заявителю до срока",
    ])?)
    .bind(priority.to_string())
    .bind(due)
    .bind(run_id.to_string())
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?;
    match id {
        Some((id,)) => {
            sqlx::query("INSERT INTO task_history (task_id, status, reason, actor, at) VALUES ($1, 'new', NULL, $2, $3)")
                .bind(id)
                .bind("appeals")
                .bind(at)
                .execute(&mut **tx)
                .await?;
            Ok(id)
        }
        None => {
            let (id,): (i64,) =
                sqlx::query_as("SELECT id FROM tasks WHERE plugin = $1 AND key = $2")
                    .bind(TASK_SOURCE)
                    .bind(key.to_string())
                    .fetch_one(&mut **tx)
                    .await?;
            Ok(id)
        }
    }
}

/// Marks a task done (if it is not already final), with a line of history.
async fn close_task(tx: &mut Tx, task: i64, actor: &str, at: i64) -> Result<(), StoreError> {
    let changed = sqlx::query(
        "UPDATE tasks SET status = 'done', updated_at = $1 WHERE id = $2 AND status IN ('new', 'in_progress')",
    )
    .bind(at)
    .bind(task)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 1 {
        sqlx::query("INSERT INTO task_history (task_id, status, reason, actor, at) VALUES ($1, 'done', $2, $3, $4)")
            .bind(task)
            .bind("ответ дан заявителю")
            .bind(actor.to_string())
            .bind(at)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn priority(u: zemstvo_core::appeals::Urgency) -> &'static str {
    use zemstvo_core::appeals::Urgency;
    match u {
        Urgency::Low => "low",
        Urgency::Medium => "normal",
        Urgency::High => "high",
        Urgency::Critical => "urgent",
    }
}

/// The first 80 characters of a text, for titles.
fn short(text: &str) -> String {
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}
