//! Shadow candidates over HTTP: an administrator starts a candidate version of an eligibility
//! rule beside the installed one (its outputs are never delivered), reads what it would have
//! decided differently, and promotes or discards it. Auditors read.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_service::{Candidate, ReplayError, ShadowError, ShadowReport};
use zemstvo_store::shadows::Shadow;

use super::{JsonBody, PathParam, QueryParams};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// Differences one response carries at most.
const MAX_DIFFERENCES: u32 = 1_000;

/// The candidate to shadow the installed version with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowStart {
    /// A version the region holds (installed before) or its registry has.
    pub version: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ShadowQuery {
    /// Differences returned, oldest first: 0 to 1,000; 100 by default.
    pub max_differences: Option<u32>,
}

/// One decision the shadow would have taken differently.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShadowDifferenceView {
    /// The live decision's record number.
    pub seq: i64,
    pub run_id: String,
    pub application: u64,
    /// `changed`, or `failed` when the shadow failed where the live version answered.
    pub outcome: String,
    /// `approved → denied`, `amount changed`, `decided → asks for more`, …
    pub kind: String,
    pub live: String,
    pub shadow: String,
}

/// A shadow and what it has found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShadowView {
    pub plugin: String,
    pub version: String,
    pub sha256: String,
    pub signer: String,
    pub started_at: i64,
    pub started_by: String,
    /// The installed version it runs beside (absent in the answer to a discard).
    pub live_version: Option<String>,
    pub compared: u64,
    pub identical: u64,
    pub explained_differently: u64,
    pub changed: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Live decisions not compared yet (each round of the host compares them).
    pub behind: u64,
    /// Differing decisions by kind (`candidate failed` for failures).
    pub changes: BTreeMap<String, u64>,
    pub differences: Vec<ShadowDifferenceView>,
}

impl ShadowView {
    fn of(s: Shadow) -> Self {
        ShadowView {
            plugin: s.plugin,
            version: s.version,
            sha256: s.sha256,
            signer: s.signer,
            started_at: s.started_at,
            started_by: s.started_by,
            live_version: None,
            compared: s.counts.compared,
            identical: s.counts.identical,
            explained_differently: s.counts.explained_differently,
            changed: s.counts.changed,
            failed: s.counts.failed,
            skipped: s.counts.skipped,
            behind: 0,
            changes: BTreeMap::new(),
            differences: Vec::new(),
        }
    }
}

impl From<ShadowReport> for ShadowView {
    fn from(r: ShadowReport) -> Self {
        ShadowView {
            live_version: r.live_version,
            behind: r.behind,
            changes: r.changes,
            differences: r
                .differences
                .into_iter()
                .map(|d| ShadowDifferenceView {
                    seq: d.seq,
                    run_id: d.run_id,
                    application: d.application,
                    outcome: d.outcome,
                    kind: d.kind,
                    live: d.live,
                    shadow: d.shadow,
                })
                .collect(),
            ..ShadowView::of(r.shadow)
        }
    }
}

pub(crate) fn problem(e: ShadowError) -> Problem {
    match e {
        ShadowError::Store(e) | ShadowError::Candidate(ReplayError::Store(e)) => e.into(),
        ShadowError::Install(e) => e.into(),
        e @ (ShadowError::NoShadow(_) | ShadowError::Candidate(ReplayError::NotInstalled(_))) => {
            Problem::not_found(e.to_string())
        }
        e => Problem::unprocessable(e.to_string()),
    }
}

/// The plugin's shadow: its counts, its differences by kind and the first differences.
#[utoipa::path(get, path = "/api/v1/plugins/{name}/shadow", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's name"), ShadowQuery),
    responses((status = 200, body = ShadowView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    QueryParams(query): QueryParams<ShadowQuery>,
) -> Result<Json<ShadowView>, Problem> {
    principal.require(Action::ReadAudit)?;
    let max = match query.max_differences {
        None => 100,
        Some(n) if n <= MAX_DIFFERENCES => n,
        Some(n) => {
            return Err(Problem::bad_request(format!(
                "max_differences is {n}; give 0 to {MAX_DIFFERENCES}"
            ))
            .field("max_differences"));
        }
    };
    let report = state
        .host
        .shadow_report(&name, max)
        .await
        .map_err(problem)?;
    Ok(Json(report.into()))
}

/// Starts a shadow: the version is verified as an install would verify it and compared on
/// every decision the installed version takes from now on; nothing it decides is delivered.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/shadow", tag = "audit", request_body = ShadowStart,
    params(("name" = String, Path, description = "The installed eligibility rule's name")),
    responses((status = 201, body = ShadowView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<ShadowStart>,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    let candidate = super::replay::candidate_version(body.version)?;
    let shadow = state
        .host
        .start_shadow(&name, &candidate, &principal.actor())
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(ShadowView::of(shadow))).into_response())
}

/// Starts a shadow from an uploaded package file (`.zpkg`, as `zemstvo plugin pack` writes
/// it): for a candidate neither the region nor its registry holds. Verified as an install
/// would verify it; nothing is installed.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/shadow/package", tag = "audit",
    params(("name" = String, Path, description = "The installed eligibility rule's name")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The signed package file"),
    responses((status = 201, body = ShadowView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem)))]
pub async fn start_package(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    super::packages::check_upload(&headers, &body)?;
    let shadow = state
        .host
        .start_shadow(
            &name,
            &Candidate::Package(body.to_vec()),
            &principal.actor(),
        )
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(ShadowView::of(shadow))).into_response())
}

/// Ends the shadow without installing it; the audit log keeps its summary.
#[utoipa::path(delete, path = "/api/v1/plugins/{name}/shadow", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's name")),
    responses((status = 200, body = ShadowView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn discard(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<Json<ShadowView>, Problem> {
    principal.require(Action::ChangePlugins)?;
    let ended = state
        .host
        .discard_shadow(&name, &principal.actor())
        .await
        .map_err(problem)?;
    Ok(Json(ShadowView::of(ended)))
}

/// Installs the shadow as the live version (its state, grants and configuration stay) and
/// ends the shadow; answers with the plugin as it now stands.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/shadow/promote", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's name")),
    responses((status = 200, body = super::plugins::PluginView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn promote(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    let revision = super::plugins::if_match(&headers)?;
    state
        .host
        .promote_shadow(&name, &principal.actor(), revision)
        .await
        .map_err(problem)?;
    super::plugins::answer(&state, &name).await
}
