//! Signing in and out: a password gives a session cookie and the CSRF token its changes must
//! carry; a one-time link (the demo prints one per role) does the same from a click.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_store::accounts::User;

use super::{JsonBody, PathParam};
use crate::auth::{
    Credential, Principal, SESSION_COOKIE, SESSION_SECS, THROTTLE_FAILURES, THROTTLE_WINDOW_SECS,
    hash_secret, new_secret, verify_password,
};
use crate::problem::Problem;
use crate::state::WebState;
use crate::unix_now as now;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub login: String,
    pub password: String,
}

/// A user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub login: String,
    pub full_name: String,
    /// administrator, manager, employee or auditor.
    pub role: String,
    pub employee_id: Option<u64>,
    pub disabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            login: u.login.clone(),
            full_name: u.full_name.clone(),
            role: u.role.name().to_string(),
            employee_id: u.employee_id,
            disabled: u.disabled,
        }
    }
}

/// The signed-in user, and the token to echo in `X-CSRF-Token` on changes made with the
/// session cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    pub csrf: Option<String>,
}

pub(crate) fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("a cookie of hex and ASCII")
}

/// Starts a session for `user`: the cookie to set and the session's CSRF token.
pub(crate) async fn start_session(
    state: &WebState,
    user: &User,
) -> Result<(HeaderValue, String), Problem> {
    let value = new_secret()?;
    let csrf = new_secret()?;
    state
        .store()
        .create_session(user.id, &hash_secret(&value), &csrf, now() + SESSION_SECS)
        .await?;
    Ok((
        session_cookie(&value, SESSION_SECS, state.secure_cookies),
        csrf,
    ))
}

/// Signs in with a login and password.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = SessionView), (status = 401, body = Problem),
              (status = 429, body = Problem)))]
pub async fn sign_in(
    State(state): State<Arc<WebState>>,
    JsonBody(body): JsonBody<SignIn>,
) -> Result<Response, Problem> {
    let user = authenticate(&state, &body.login, &body.password).await?;
    let (cookie, csrf) = start_session(&state, &user).await?;
    let mut response = Json(SessionView {
        user: (&user).into(),
        csrf: Some(csrf),
    })
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The user whose login and password these are: refused with 401 when they are wrong or the
/// account is disabled, and with 429 past [`THROTTLE_FAILURES`] recent failures of the login.
/// The API's sign-in and the sign-in page both ask this.
pub(crate) async fn authenticate(
    state: &WebState,
    login: &str,
    password: &str,
) -> Result<User, Problem> {
    let store = state.store();
    let failures = store
        .sign_in_failures(login, now() - THROTTLE_WINDOW_SECS)
        .await?;
    if failures >= THROTTLE_FAILURES {
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            format!(
                "{failures} failed sign-ins for this login in the last {} minutes; wait and try \
                 again, or ask the administrator to set a new password",
                THROTTLE_WINDOW_SECS / 60
            ),
        );
        problem.retry_after = Some(60);
        return Err(problem);
    }
    let user = store.user_by_login(login).await?;
    let ok = match &user {
        Some(u) if !u.disabled => u
            .password_hash
            .as_deref()
            .is_some_and(|h| verify_password(password, h)),
        // Hash anyway, so that a wrong login takes as long as a wrong password.
        _ => {
            let _ = verify_password(password, crate::auth::dummy_hash());
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        store.record_sign_in_failure(login).await?;
        return Err(Problem::unauthorized(
            "the login or the password is wrong, or the account is disabled",
        ));
    };
    Ok(user)
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionView), (status = 401, body = Problem)))]
pub async fn whoami(principal: Principal) -> Json<SessionView> {
    let csrf = match &principal.credential {
        Credential::Session { csrf, .. } => Some(csrf.clone()),
        Credential::Token => None,
    };
    Json(SessionView {
        user: (&principal.user).into(),
        csrf,
    })
}

/// Signs out: the session ends on the server, the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn sign_out(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Response, Problem> {
    if let Credential::Session { token_hash, .. } = &principal.credential {
        state.store().end_session(token_hash).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.secure_cookies),
    );
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Follows a one-time sign-in link: a session starts and the browser goes to the start page
/// (the cabinet). A used or expired link answers a page (401) that says so and offers the
/// sign-in form: links are opened in browsers.
pub async fn sign_in_link(
    State(state): State<Arc<WebState>>,
    PathParam(token): PathParam<String>,
) -> Result<Response, Problem> {
    let Some(user) = state.store().use_sign_in_link(&hash_secret(&token)).await? else {
        return Ok(crate::ui::PageError::LinkUsed.into_response());
    };
    let (cookie, _) = start_session(&state, &user).await?;
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
