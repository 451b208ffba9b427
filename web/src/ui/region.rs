//! The region's set-up an administrator keeps (auditors read the trust store): the vendor
//! keys the region trusts with their scopes and the revoked ones, and the users with their
//! roles. Read here; changed with the CLI or the API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;

use super::page::{PageError, Viewer, t};
use crate::api::session::UserView;
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

/// `/users`.
pub async fn users(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageUsers)?;
    let users: Vec<UserView> = state
        .store()
        .users()
        .await?
        .iter()
        .map(UserView::from)
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "users.html",
        "/users",
        context! {
            title => t("users-title"),
            users => Value::from_serialize(&users),
        },
    ))
}
