//! Staged rollouts over HTTP: an administrator lets a rule's shadow decide a share of its
//! applications with thresholds; the host evaluates it window by window and rolls it back by
//! itself. Auditors read.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_service::RolloutError;
use zemstvo_store::rollouts::{Evaluation, Rollout, RolloutSettings};

use super::{JsonBody, PathParam};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// The target and thresholds of a rollout; the thresholds have the CLI's defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutStart {
    /// The percentage (1–100) of applications the candidate decides, by a stable hash.
    pub share_percent: u8,
    /// Only applications of these measures; all when absent or empty.
    #[serde(default)]
    pub measures: Vec<String>,
    /// The candidate's decisions per evaluation (1–10,000); 100 by default.
    pub window: Option<u32>,
    /// The most of the candidate's calls in a window that may fail (0–1); 0.02 by default.
    pub max_failure_rate: Option<f64>,
    /// The most of the live decisions in a window it may decide otherwise (0–1); 0.05.
    pub max_changed_rate: Option<f64>,
    /// Its mean run time against the live version's (1–1000); 2 by default.
    pub max_duration_ratio: Option<f64>,
    /// Failed evaluations (in all) before the host rolls it back (1–100); 2 by default.
    pub failure_limit: Option<u32>,
}

/// One evaluation window's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    /// The decision records evaluated: after `from_seq`, up to and including `to_seq`.
    pub from_seq: i64,
    pub to_seq: i64,
    pub candidate_decisions: u64,
    pub candidate_failures: u64,
    pub live_decisions: u64,
    /// Live decisions the shadow decided otherwise.
    pub differing: u64,
    pub candidate_mean_us: u64,
    pub live_mean_us: Option<u64>,
    pub failure_rate: f64,
    /// Absent when the window held no live decision (a share of 100 %).
    pub changed_rate: Option<f64>,
    pub duration_ratio: Option<f64>,
    pub passed: bool,
    /// The thresholds crossed.
    pub breaches: Vec<String>,
    pub evaluated_at: i64,
}

/// A rollout and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct RolloutView {
    pub plugin: String,
    /// The candidate (the rule's shadow).
    pub sha256: String,
    /// `running`, or `rolled-back` when the host took the share back.
    pub state: String,
    pub share_percent: u8,
    pub measures: Vec<String>,
    pub window: u32,
    pub max_failure_rate: f64,
    pub max_changed_rate: f64,
    pub max_duration_ratio: f64,
    pub failure_limit: u32,
    pub evaluations: u64,
    pub failed_evaluations: u64,
    pub last_evaluation: Option<EvaluationView>,
    pub started_at: i64,
    pub started_by: String,
    pub ended_at: Option<i64>,
    /// Why the host rolled it back.
    pub ended_reason: Option<String>,
}

impl From<Evaluation> for EvaluationView {
    fn from(e: Evaluation) -> Self {
        EvaluationView {
            passed: e.passed(),
            from_seq: e.from_seq,
            to_seq: e.to_seq,
            candidate_decisions: e.candidate_decisions,
            candidate_failures: e.candidate_failures,
            live_decisions: e.live_decisions,
            differing: e.differing,
            candidate_mean_us: e.candidate_mean_us,
            live_mean_us: e.live_mean_us,
            failure_rate: e.failure_rate,
            changed_rate: e.changed_rate,
            duration_ratio: e.duration_ratio,
            breaches: e.breaches,
            evaluated_at: e.evaluated_at,
        }
    }
}

impl From<Rollout> for RolloutView {
    fn from(r: Rollout) -> Self {
        let s = r.settings;
        RolloutView {
            plugin: r.plugin,
            sha256: r.sha256,
            state: r.state.name().to_string(),
            share_percent: s.share_percent,
            measures: s.measures,
            window: s.window,
            max_failure_rate: s.max_failure_rate,
            max_changed_rate: s.max_changed_rate,
            max_duration_ratio: s.max_duration_ratio,
            failure_limit: s.failure_limit,
            evaluations: r.evaluations,
            failed_evaluations: r.failed_evaluations,
            last_evaluation: r.last_evaluation.map(Into::into),
            started_at: r.started_at,
            started_by: r.started_by,
            ended_at: r.ended_at,
            ended_reason: r.ended_reason,
        }
    }
}

impl From<RolloutStart> for RolloutSettings {
    fn from(b: RolloutStart) -> Self {
        RolloutSettings {
            share_percent: b.share_percent,
            measures: b.measures,
            window: b.window.unwrap_or(100),
            max_failure_rate: b.max_failure_rate.unwrap_or(0.02),
            max_changed_rate: b.max_changed_rate.unwrap_or(0.05),
            max_duration_ratio: b.max_duration_ratio.unwrap_or(2.0),
            failure_limit: b.failure_limit.unwrap_or(2),
        }
    }
}

pub(crate) fn problem(e: RolloutError) -> Problem {
    match e {
        RolloutError::Store(e) => e.into(),
        RolloutError::Shadow(e) => super::shadow::problem(*e),
        e @ (RolloutError::NoShadow(_) | RolloutError::NoRollout(_)) => {
            Problem::not_found(e.to_string())
        }
        RolloutError::Invalid { field, why } => {
            Problem::unprocessable(format!("{field} {why}")).field(field)
        }
    }
}

/// The plugin's rollout: target, thresholds, evaluations and state.
#[utoipa::path(get, path = "/api/v1/plugins/{name}/rollout", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's name")),
    responses((status = 200, body = RolloutView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<Json<RolloutView>, Problem> {
    principal.require(Action::ReadAudit)?;
    let rollout = state.host.rollout(&name).await.map_err(problem)?;
    Ok(Json(rollout.into()))
}

/// Starts a rollout of the rule's shadow: from the next decision on it decides (and
/// delivers) its share; the host rolls it back after `failure_limit` failed evaluations.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/rollout", tag = "audit", request_body = RolloutStart,
    params(("name" = String, Path, description = "The eligibility rule's name")),
    responses((status = 201, body = RolloutView), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<RolloutStart>,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    let rollout = state
        .host
        .start_rollout(&name, &body.into(), &principal.actor())
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(RolloutView::from(rollout))).into_response())
}

/// Ends the rollout: the live version decides every application again; the shadow stays.
#[utoipa::path(delete, path = "/api/v1/plugins/{name}/rollout", tag = "audit",
    params(("name" = String, Path, description = "The eligibility rule's name")),
    responses((status = 200, body = RolloutView), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn stop(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<Json<RolloutView>, Problem> {
    principal.require(Action::ChangePlugins)?;
    let rollout = state
        .host
        .stop_rollout(&name, &principal.actor())
        .await
        .map_err(problem)?;
    Ok(Json(rollout.into()))
}
