//! The region's trust store, for administrators and auditors: the vendor keys the region
//! trusts with their scopes and the revoked ones. Read here; changed with the CLI or the API.
//! (Users and tokens are managed in [`super::users`].)

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;

use super::page::{PageError, Viewer, t};
use crate::policy::Action;
use crate::state::WebState;

/// `/trust`.
pub async fn trust(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadTrust)?;
    let trust = crate::api::trust::current(&state).await?;
    Ok(viewer.page(
        StatusCode::OK,
        "trust.html",
        "/trust",
        context! {
            title => t("trust-title"),
            trust => Value::from_serialize(&trust),
        },
    ))
}
