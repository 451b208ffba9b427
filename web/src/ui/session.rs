//! The sign-in page (login and password; the one-time links of `api::session` land on `/`)
//! and signing out. After signing in the browser goes back to the page it was sent here from.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::forms::PostedForm;
use super::page::{FieldError, PageError, errors_context, local_path, render, t};
use crate::api::session::{authenticate, session_cookie, start_session};
use crate::auth::{Credential, SessionLookup, session_principal};
use crate::state::WebState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInQuery {
    next: String,
    expired: Option<String>,
}

fn form_page(
    status: StatusCode,
    login: &str,
    next: &str,
    expired: bool,
    errors: &[FieldError],
) -> Response {
    let (errors, field_errors) = errors_context(errors);
    render(
        status,
        "sign_in.html",
        context! {
            title => t("sign-in-title"),
            login => login,
            next => local_path(next),
            expired => expired,
            errors => errors,
            field_errors => field_errors,
            tz => "Europe/Moscow",
        },
    )
}

/// The sign-in form; a viewer already signed in goes on to where they were headed.
pub async fn form(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query: SignInQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    if let SessionLookup::Live(_) = session_principal(&headers, &state).await? {
        let next = if query.next.is_empty() {
            "/"
        } else {
            &query.next
        };
        return Ok(Redirect::to(local_path(next)).into_response());
    }
    Ok(form_page(
        StatusCode::OK,
        "",
        &query.next,
        query.expired.is_some(),
        &[],
    ))
}

/// Whether a post comes from a page of this site: its `Origin` (which browsers send with
/// every form post) names the host it was sent to. The sign-in form has no session and so no
/// CSRF token yet; this keeps another site from signing a browser into an account of its
/// choosing. A request without `Origin` (not a browser's form) passes.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Checks the login and password: a session and a redirect back, or the form again with the
/// errors and the login as typed.
pub async fn sign_in(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_origin(&headers) {
        return PageError::Csrf.into_response();
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (login, password, next) = (get("login").trim(), get("password"), get("next"));
    let mut errors = Vec::new();
    if login.is_empty() {
        errors.push(FieldError::new("login", t("error-login-empty")));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", t("error-password-empty")));
    }
    if !errors.is_empty() {
        return form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            login,
            next,
            false,
            &errors,
        );
    }
    let user = match authenticate(&state, login, password).await {
        Ok(user) => user,
        Err(problem) => {
            let (status, message) = match problem.status {
                401 => (StatusCode::UNAUTHORIZED, t("error-sign-in-wrong")),
                429 => (StatusCode::TOO_MANY_REQUESTS, t("error-sign-in-throttled")),
                _ => return PageError::from(problem).into_response(),
            };
            let errors = [FieldError::new("login", message)];
            return form_page(status, login, next, false, &errors);
        }
    };
    match start_session(&state, &user).await {
        Ok((cookie, _)) => {
            let next = if next.is_empty() { "/" } else { next };
            let mut response = Redirect::to(local_path(next)).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(problem) => PageError::from(problem).into_response(),
    }
}

/// Ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<Arc<WebState>>,
    form: PostedForm,
) -> Result<Response, PageError> {
    if let Credential::Session { token_hash, .. } = &form.viewer.principal.credential {
        state.store().end_session(token_hash).await?;
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.secure_cookies),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn sign_in_posts_come_from_this_site() {
        assert!(same_origin(&headers(None, "127.0.0.1:8080")));
        assert!(same_origin(&headers(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(!same_origin(&headers(
            Some("https://evil.example"),
            "127.0.0.1:8080"
        )));
        assert!(!same_origin(&headers(Some("null"), "127.0.0.1:8080")));
    }
}
