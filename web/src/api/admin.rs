//! Users, API tokens and the audit log: the administrator's side (the auditor reads the log).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::accounts::{NewUser, Role};

use super::session::UserView;
use super::{JsonBody, PathParam, QueryParams, page_size};
use crate::auth::{Principal, hash_password, hash_secret, new_secret};
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// Every user.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [UserView]), (status = 403, body = Problem)))]
pub async fn users(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Json<Vec<UserView>>, Problem> {
    principal.require(Action::ManageUsers)?;
    Ok(Json(
        state
            .store()
            .users()
            .await?
            .iter()
            .map(UserView::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub login: String,
    pub full_name: String,
    /// administrator, manager, employee or auditor.
    pub role: String,
    /// The employee the user is (employees and managers need one).
    pub employee_id: Option<u64>,
    /// At least 10 characters; without one the user signs in by link or token only.
    pub password: Option<String>,
}

fn role(name: &str) -> Result<Role, Problem> {
    Role::parse(name).map_err(|e| Problem::unprocessable(e.to_string()).field("role"))
}

/// Adds a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_user(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    principal.require(Action::ManageUsers)?;
    let role = role(&body.role)?;
    if matches!(role, Role::Employee | Role::Manager) && body.employee_id.is_none() {
        return Err(Problem::unprocessable(format!(
            "a {} must be tied to an employee: give employee_id",
            role.name()
        ))
        .field("employee_id"));
    }
    let password_hash = body
        .password
        .as_deref()
        .map(hash_password)
        .transpose()
        .map_err(|e| Problem::unprocessable(e).field("password"))?;
    let user = state
        .store()
        .add_user(
            &NewUser {
                login: body.login,
                full_name: body.full_name,
                role,
                employee_id: body.employee_id,
                password_hash,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&user).into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<String>,
    /// A disabled user's sessions end at once and their tokens stop working.
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Changes a user's role, password, or disables them.
#[utoipa::path(patch, path = "/api/v1/users/{login}", tag = "users", request_body = UserChange,
    params(("login" = String, Path, description = "The user's login")),
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_user(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(login): PathParam<String>,
    JsonBody(change): JsonBody<UserChange>,
) -> Result<Json<UserView>, Problem> {
    principal.require(Action::ManageUsers)?;
    let role = change.role.as_deref().map(role).transpose()?;
    if login == principal.user.login
        && (change.disabled == Some(true) || role.is_some_and(|r| r != Role::Administrator))
    {
        return Err(Problem::unprocessable(
            "you cannot disable yourself or give up your own administrator role; another \
             administrator can",
        ));
    }
    let password_hash = change
        .password
        .as_deref()
        .map(hash_password)
        .transpose()
        .map_err(|e| Problem::unprocessable(e).field("password"))?;
    let user = state
        .store()
        .update_user(
            &login,
            role,
            change.disabled,
            password_hash,
            &principal.actor(),
        )
        .await?;
    Ok(Json((&user).into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// Every API token (never their values).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = [TokenView]), (status = 403, body = Problem)))]
pub async fn tokens(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Json<Vec<TokenView>>, Problem> {
    principal.require(Action::ManageUsers)?;
    Ok(Json(
        state
            .store()
            .tokens()
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                login: t.login,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// The system that will use it, e.g. `portal`.
    pub name: String,
    /// 1 to 730 days; 365 by default.
    pub days: Option<u32>,
}

/// A new token: its value is shown here once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    pub id: i64,
    pub token: String,
    pub expires_at: i64,
}

/// Makes an API token for a user (the region's other systems sign in as such users).
#[utoipa::path(post, path = "/api/v1/users/{login}/tokens", tag = "users", request_body = NewTokenBody,
    params(("login" = String, Path, description = "The user's login")),
    responses((status = 201, body = NewTokenView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_token(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(login): PathParam<String>,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<(StatusCode, Json<NewTokenView>), Problem> {
    principal.require(Action::ManageUsers)?;
    let days = body.days.unwrap_or(365);
    if !(1..=730).contains(&days) {
        return Err(Problem::unprocessable(format!("days is {days}; give 1 to 730")).field("days"));
    }
    let token = new_secret()?;
    let expires_at = crate::unix_now() + i64::from(days) * 86_400;
    let record = state
        .store()
        .add_token(
            &login,
            &body.name,
            &hash_secret(&token),
            expires_at,
            &principal.actor(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            id: record.id,
            token,
            expires_at,
        }),
    ))
}

/// Revokes an API token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode, Problem> {
    principal.require(Action::ManageUsers)?;
    state.store().revoke_token(id, &principal.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries about one subject, e.g. `isu-smev-answer-delay` or `user:ivanova`.
    pub subject: Option<String>,
    /// 1 to 500; 50 by default.
    pub limit: Option<u32>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// What changed: `before` and `after` where the change has them.
    pub details: serde_json::Value,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditView]), (status = 403, body = Problem)))]
pub async fn audit(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, Problem> {
    principal.require(Action::ReadAudit)?;
    let entries = state
        .store()
        .audit_log(q.subject.as_deref(), page_size(q.limit)?)
        .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                at: e.at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                details: e.details,
            })
            .collect(),
    ))
}
