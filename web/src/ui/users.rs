//! Users and API tokens, for administrators: the list, adding a user, one user's page with
//! their role, sign-in (disable, enable, a new password) and tokens (a new one, shown once;
//! revoking). The same store calls and rules as the API (`api::admin`): an administrator may
//! not disable themselves or give up their own role; a wrong field comes back with its message
//! and changes nothing; every change is in the audit log with the administrator as its actor.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_store::StoreError;
use zemstvo_store::accounts::{NewUser, Role};

use super::forms::PostedForm;
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::Arg;
use crate::api::session::UserView;
use crate::auth::{hash_password, hash_secret, new_secret};
use crate::policy::Action;
use crate::state::WebState;

const ROLES: [&str; 4] = ["employee", "manager", "auditor", "administrator"];

/// The days a new token lives by default, and at most.
const TOKEN_DAYS: u32 = 365;
const TOKEN_MAX_DAYS: u32 = 730;

fn flash(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let done = pairs.iter().find(|(k, _)| k == "done")?.1.as_str();
    matches!(
        done,
        "added" | "role" | "disabled" | "enabled" | "password" | "revoked"
    )
    .then(|| t(&format!("users-done-{done}")))
}

/// `/users`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
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
            flash => flash(query.as_deref()),
        },
    ))
}

/// What the new-user form had typed.
#[derive(Debug, Default, Serialize)]
struct NewUserTyped {
    login: String,
    full_name: String,
    role: String,
    employee_id: String,
}

async fn new_user_page(
    viewer: &Viewer,
    status: StatusCode,
    typed: &NewUserTyped,
    errors: &[FieldError],
) -> Result<Response, PageError> {
    viewer.require(Action::ManageUsers)?;
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "user_new.html",
        "/users",
        context! {
            title => t("users-new-title"),
            roles => ROLES.to_vec(),
            typed => Value::from_serialize(typed),
            errors => errors,
            field_errors => field_errors,
        },
    ))
}

/// `/users/new`.
pub async fn new_form(viewer: Viewer) -> Result<Response, PageError> {
    new_user_page(&viewer, StatusCode::OK, &NewUserTyped::default(), &[]).await
}

/// Adds a user.
pub async fn add(
    State(state): State<Arc<WebState>>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ManageUsers)?;
    let typed = NewUserTyped {
        login: form.get("login").to_string(),
        full_name: form.get("full_name").to_string(),
        role: form.get("role").to_string(),
        employee_id: form.get("employee_id").to_string(),
    };
    let login = typed.login.trim();
    let full_name = typed.full_name.trim();
    let password = form.get("password");
    let mut errors = Vec::new();
    let login_ok = (2..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !login_ok {
        errors.push(FieldError::new("login", t("error-user-login")));
    }
    if full_name.is_empty() || full_name.chars().count() > 200 {
        errors.push(FieldError::new("full_name", t("error-user-name")));
    }
    let role = Role::parse(&typed.role).ok();
    if role.is_none() {
        errors.push(FieldError::new("role", t("error-user-role")));
    }
    let employee = typed.employee_id.trim();
    let employee_id = if employee.is_empty() {
        if matches!(role, Some(Role::Employee | Role::Manager)) {
            errors.push(FieldError::new(
                "employee_id",
                t("error-user-employee-needed"),
            ));
        }
        None
    } else {
        match employee.parse::<u64>() {
            Ok(id) if state.store().employee_names(&[id]).await?.contains_key(&id) => Some(id),
            Ok(_) => {
                errors.push(FieldError::new(
                    "employee_id",
                    t("error-user-employee-unknown"),
                ));
                None
            }
            Err(_) => {
                errors.push(FieldError::new("employee_id", t("error-user-employee")));
                None
            }
        }
    };
    let password_hash = if password.is_empty() {
        None
    } else {
        match hash_password(password) {
            Ok(hash) => Some(hash),
            Err(_) => {
                errors.push(FieldError::new("password", t("error-user-password")));
                None
            }
        }
    };
    if let (true, Some(role)) = (errors.is_empty(), role) {
        let new = NewUser {
            login: login.to_string(),
            full_name: full_name.to_string(),
            role,
            employee_id,
            password_hash,
        };
        match state
            .store()
            .add_user(&new, &viewer.principal.actor())
            .await
        {
            Ok(user) => {
                let query = serde_urlencoded::to_string([("done", "added")]).unwrap_or_default();
                return Ok(Redirect::to(&format!("/users/{}?{query}", user.login)).into_response());
            }
            Err(StoreError::Conflict(_)) => {
                errors.push(FieldError::new("login", t("error-user-login-taken")))
            }
            Err(StoreError::Invalid(message)) if message.contains("employee") => errors.push(
                FieldError::new("employee_id", t("error-user-employee-unknown")),
            ),
            Err(StoreError::Invalid(message)) => errors.push(FieldError::new(
                "login",
                t_with("error-user-other", &[("detail", Arg::Text(message))]),
            )),
            Err(e) => return Err(e.into()),
        }
    }
    new_user_page(viewer, StatusCode::UNPROCESSABLE_ENTITY, &typed, &errors).await
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: i64,
    name: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    expired: bool,
}

/// What a user's page shows besides the user: a refused form's values and errors, or a new
/// token's value (shown this once).
#[derive(Debug, Default)]
struct UserForms {
    token_name: String,
    token_days: String,
    new_token: Option<(String, i64)>,
    errors: Vec<FieldError>,
    flash: Option<String>,
}

async fn user_page(
    state: &WebState,
    viewer: &Viewer,
    login: &str,
    status: StatusCode,
    forms: UserForms,
) -> Result<Response, PageError> {
    viewer.require(Action::ManageUsers)?;
    let user = state
        .store()
        .user_by_login(login)
        .await?
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))?;
    let employee_name = match user.employee_id {
        Some(id) => state.store().employee_names(&[id]).await?.remove(&id),
        None => None,
    };
    let now = crate::unix_now();
    let tokens: Vec<TokenRow> = state
        .store()
        .tokens()
        .await?
        .into_iter()
        .filter(|t| t.login == user.login)
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            expired: t.expires_at <= now,
        })
        .collect();
    let (errors, field_errors) = errors_context(&forms.errors);
    let shows_secret = forms.new_token.is_some();
    let mut response = viewer.page(
        status,
        "user.html",
        "/users",
        context! {
            title => t_with("user-title", &[("login", Arg::Text(user.login.clone()))]),
            user => Value::from_serialize(UserView::from(&user)),
            employee_name => employee_name,
            is_self => user.login == viewer.principal.user.login,
            roles => ROLES.to_vec(),
            tokens => Value::from_serialize(&tokens),
            token_name => forms.token_name,
            token_days => if forms.token_days.is_empty() { TOKEN_DAYS.to_string() } else { forms.token_days },
            token_max_days => TOKEN_MAX_DAYS,
            new_token => forms.new_token.as_ref().map(|(v, _)| v.clone()),
            new_token_expires => forms.new_token.as_ref().map(|(_, e)| *e),
            errors => errors,
            field_errors => field_errors,
            flash => forms.flash,
        },
    );
    if shows_secret {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// `/users/{login}`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(login): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let forms = UserForms {
        flash: flash(query.as_deref()),
        ..UserForms::default()
    };
    user_page(&state, &viewer, &login, StatusCode::OK, forms).await
}

fn done(login: &str, what: &str) -> Response {
    let query = serde_urlencoded::to_string([("done", what)]).unwrap_or_default();
    Redirect::to(&format!("/users/{login}?{query}")).into_response()
}

/// Changes a user's role, disables or enables them, or sets a new password: what the posted
/// `change` says.
pub async fn change(
    State(state): State<Arc<WebState>>,
    Path(login): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ManageUsers)?;
    if state.store().user_by_login(&login).await?.is_none() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let is_self = login == viewer.principal.user.login;
    // A refused change names its field and why; it is shown once, below.
    let change = match form.get("change") {
        "role" => match Role::parse(form.get("role")) {
            Err(_) => Err(("role", "error-user-role")),
            Ok(role) if is_self && role != Role::Administrator => Err(("role", "error-user-self")),
            Ok(role) => Ok((Some(role), None, None, "role")),
        },
        "disable" if is_self => Err(("sign-in", "error-user-self")),
        "disable" => Ok((None, Some(true), None, "disabled")),
        "enable" => Ok((None, Some(false), None, "enabled")),
        "password" => match hash_password(form.get("password")) {
            Ok(hash) => Ok((None, None, Some(hash), "password")),
            Err(_) => Err(("password", "error-user-password")),
        },
        _ => return Err(PageError::Status(StatusCode::BAD_REQUEST)),
    };
    let (role, disabled, password_hash, what) = match change {
        Ok(change) => change,
        Err((field, message)) => {
            let forms = UserForms {
                errors: vec![FieldError::new(field, t(message))],
                ..UserForms::default()
            };
            return user_page(
                &state,
                viewer,
                &login,
                StatusCode::UNPROCESSABLE_ENTITY,
                forms,
            )
            .await;
        }
    };
    state
        .store()
        .update_user(
            &login,
            role,
            disabled,
            password_hash,
            &viewer.principal.actor(),
        )
        .await?;
    Ok(done(&login, what))
}

/// Makes an API token for the user: its value is on the page that answers, once.
pub async fn add_token(
    State(state): State<Arc<WebState>>,
    Path(login): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ManageUsers)?;
    if state.store().user_by_login(&login).await?.is_none() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let mut forms = UserForms {
        token_name: form.get("token_name").to_string(),
        token_days: form.get("token_days").to_string(),
        ..UserForms::default()
    };
    let name = forms.token_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        forms
            .errors
            .push(FieldError::new("token_name", t("error-token-name")));
    }
    let days = match forms.token_days.trim() {
        "" => Some(TOKEN_DAYS),
        d => d
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=TOKEN_MAX_DAYS).contains(d)),
    };
    if days.is_none() {
        forms.errors.push(FieldError::new(
            "token_days",
            t_with(
                "error-token-days",
                &[("max", Arg::Text(TOKEN_MAX_DAYS.to_string()))],
            ),
        ));
    }
    let Some(days) = days.filter(|_| forms.errors.is_empty()) else {
        return user_page(
            &state,
            viewer,
            &login,
            StatusCode::UNPROCESSABLE_ENTITY,
            forms,
        )
        .await;
    };
    let token = new_secret().map_err(PageError::from)?;
    let expires_at = crate::unix_now() + i64::from(days) * 86_400;
    state
        .store()
        .add_token(
            &login,
            &name,
            &hash_secret(&token),
            expires_at,
            &viewer.principal.actor(),
        )
        .await?;
    let forms = UserForms {
        new_token: Some((token, expires_at)),
        flash: Some(t("users-done-token")),
        ..UserForms::default()
    };
    user_page(&state, viewer, &login, StatusCode::OK, forms).await
}

/// Revokes a token at once.
pub async fn revoke_token(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ManageUsers)?;
    let id: i64 = id
        .parse()
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))?;
    let token = state
        .store()
        .tokens()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))?;
    state
        .store()
        .revoke_token(id, &viewer.principal.actor())
        .await?;
    Ok(done(&token.login, "revoked"))
}
