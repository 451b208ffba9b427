//! Liveness and readiness for the region's orchestration.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use crate::problem::Problem;
use crate::state::WebState;

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database is reachable and holds the region (its schema is current: the host migrated
/// it when it started).
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = String), (status = 503, body = Problem)))]
pub async fn readyz(
    State(state): State<Arc<WebState>>,
) -> Result<(StatusCode, &'static str), Problem> {
    match state.store().region().await {
        Ok(Some(_)) => Ok((StatusCode::OK, "ready")),
        Ok(None) => Err(Problem::unavailable("the database holds no region")),
        Err(e) => Err(Problem::unavailable(format!(
            "the database is not reachable: {e}"
        ))),
    }
}
