//! Decision records: verifying their hash chain, listing them, one run's record in full.
//! Auditors and administrators only: a record holds what a decision rested on, an
//! application's form and SMEV answers included.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::records::{ChainReport, DecisionRecord};

use super::{PathParam, QueryParams, page_size};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Accept checkpoints signed by these key ids only (comma-separated); by default any key
    /// a host registered.
    pub trusted_keys: Option<String>,
}

/// Where the chain first breaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainBreakView {
    /// The first record that does not verify.
    pub seq: i64,
    pub run_id: Option<String>,
    /// altered, unlinked, missing, truncated or bad-checkpoint.
    pub kind: String,
    pub message: String,
}

/// What verifying the chain found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainReportView {
    pub intact: bool,
    /// Records that verified (all of them when intact).
    pub records: i64,
    pub body_bytes: u64,
    pub checkpoints: u64,
    pub last_checkpoint: Option<i64>,
    /// Key id → the host that registered it, for the checkpoints that verified.
    pub keys: BTreeMap<String, String>,
    pub broken: Option<ChainBreakView>,
}

impl From<ChainReport> for ChainReportView {
    fn from(r: ChainReport) -> Self {
        ChainReportView {
            intact: r.intact(),
            records: r.records,
            body_bytes: r.body_bytes,
            checkpoints: r.checkpoints,
            last_checkpoint: r.last_checkpoint,
            keys: r.keys,
            broken: r.broken.map(|b| ChainBreakView {
                seq: b.seq,
                run_id: b.run_id,
                kind: b.kind.name().to_string(),
                message: b.message,
            }),
        }
    }
}

/// Verifies every decision record since the region started: hashes, links, numbering and
/// the hosts' signed checkpoints. A broken chain is a 200 with `intact: false` and the first
/// broken record: the check itself succeeded.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", params(VerifyQuery),
    responses((status = 200, body = ChainReportView), (status = 403, body = Problem)))]
pub async fn verify(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<VerifyQuery>,
) -> Result<Json<ChainReportView>, Problem> {
    principal.require(Action::ReadAudit)?;
    let trusted: Option<Vec<String>> = q.trusted_keys.map(|list| {
        list.split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect()
    });
    let report = state
        .store()
        .verify_decision_chain(trusted.as_deref())
        .await?;
    Ok(Json(report.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    pub plugin: Option<String>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

/// A decision record without its body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionRecordView {
    pub seq: i64,
    pub run_id: String,
    pub plugin: String,
    pub version: String,
    pub logical_time: i64,
    pub hash: String,
    pub recorded_at: i64,
}

impl From<DecisionRecord> for DecisionRecordView {
    fn from(r: DecisionRecord) -> Self {
        DecisionRecordView {
            seq: r.seq,
            run_id: r.run_id,
            plugin: r.plugin,
            version: r.version,
            logical_time: r.logical_time,
            hash: r.hash,
            recorded_at: r.recorded_at,
        }
    }
}

/// The latest decision records, newest first.
#[utoipa::path(get, path = "/api/v1/audit/records", tag = "audit", params(RecordQuery),
    responses((status = 200, body = [DecisionRecordView]), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<RecordQuery>,
) -> Result<Json<Vec<DecisionRecordView>>, Problem> {
    principal.require(Action::ReadAudit)?;
    let records = state
        .store()
        .decision_records(q.plugin.as_deref(), page_size(q.limit)?)
        .await?;
    Ok(Json(
        records.into_iter().map(DecisionRecordView::from).collect(),
    ))
}

/// One run's decision record in full: what ran, with what, from which inputs, deciding what.
#[utoipa::path(get, path = "/api/v1/audit/records/{run}", tag = "audit",
    params(("run" = String, Path, description = "The run's id")),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(run): PathParam<String>,
) -> Result<Json<DecisionRecord>, Problem> {
    principal.require(Action::ReadAudit)?;
    let record =
        state.store().decision_record(&run).await?.ok_or_else(|| {
            Problem::not_found(format!("there is no decision record of run `{run}`"))
        })?;
    Ok(Json(record))
}
