//! The region's web pages, served by the same process as the API: the employee's cabinet,
//! the manager's unit, the plugins an administrator installs and runs (with their runs and
//! logs), the users and tokens, and the analytics dashboard.
//!
//! Pages are rendered on the server from minijinja templates and one stylesheet, all embedded
//! in the binary (`web/ui/`), so nothing is read from disk or fetched from the internet at
//! runtime — regions run air-gapped. They work without any script: links and form posts, each
//! post answered by a redirect (or, when a field is wrong, by the same form with the error
//! next to the field and in a summary at the top). Texts come from `web/ui/ru.ftl`
//! ([`text`]).
//!
//! Pages ask the same questions as the API, through the same functions: the policy table
//! (`Principal::require`) decides what a role may see, and a task outside the caller's scope
//! is "not found" here too. Signed-in pages use the session cookie only; every form post
//! carries the session's CSRF token in a hidden field and is refused without it
//! ([`forms::PostedForm`]; the package file's form, [`forms::UploadedForm`], too).

mod appeals;
mod cases;
mod chart;
mod dashboard;
mod forms;
mod install;
mod journal;
mod page;
mod parameters;
mod plugins;
mod region;
mod replay;
mod session;
mod shadow;
mod tasks;
pub mod text;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use page::{PageError, Viewer};

use crate::problem::Problem;
use crate::state::WebState;

/// The pages' stylesheet.
const STYLE: &str = include_str!("../../ui/style.css");

/// The pages' routes, merged into the service's router.
pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/", get(tasks::cabinet))
        .route("/ui/style.css", get(style))
        .route("/sign-in", get(session::form).post(session::sign_in))
        .route("/sign-out", post(session::sign_out))
        .route("/tasks/{id}", get(tasks::show))
        .route("/tasks/{id}/status", post(tasks::change_status))
        .route("/tasks/{id}/comments", post(tasks::comment))
        .route(
            "/tasks/{id}/reassign",
            get(tasks::reassign_form).post(tasks::reassign),
        )
        .route("/unit", get(tasks::unit))
        .route("/plugins", get(plugins::list))
        // Not under /plugins/: a plugin may be called `install`.
        .route("/packages", get(install::form).post(install::install))
        .route("/packages/upload", post(install::upload))
        .route("/plugins/{name}", get(plugins::show))
        .route("/plugins/{name}/upgrade", post(install::upgrade))
        .route("/plugins/{name}/enable", post(plugins::enable))
        .route("/plugins/{name}/disable", post(plugins::disable))
        .route("/plugins/{name}/config", post(plugins::configure))
        .route("/plugins/{name}/grants", post(plugins::grants))
        .route("/plugins/{name}/schedule", post(plugins::schedule))
        .route("/plugins/{name}/pin", post(plugins::pin))
        .route("/plugins/{name}/unpin", post(plugins::unpin))
        .route("/plugins/{name}/rollback", post(plugins::rollback))
        .route(
            "/plugins/{name}/parameters",
            get(parameters::show).post(parameters::add),
        )
        .route(
            "/plugins/{name}/shadow",
            get(shadow::show).post(shadow::start),
        )
        .route("/plugins/{name}/shadow/promote", post(shadow::promote))
        .route("/plugins/{name}/shadow/discard", post(shadow::discard))
        .route(
            "/plugins/{name}/replay",
            get(replay::form).post(replay::replay),
        )
        .route("/plugins/{name}/rollout", post(shadow::start_rollout))
        .route("/plugins/{name}/rollout/stop", post(shadow::stop_rollout))
        .route("/dashboard", get(dashboard::page))
        .route("/runs", get(journal::runs))
        .route("/runs/{id}", get(journal::run))
        .route("/appeals", get(appeals::list))
        .route("/appeals/{id}", get(appeals::show))
        .route("/appeals/{id}/classification", post(appeals::classify))
        .route("/appeals/{id}/answer", post(appeals::answer))
        .route("/cases", get(cases::list))
        .route("/cases/{application}", get(cases::show))
        .route("/cases/{application}/retry", post(cases::retry))
        .route("/audit", get(journal::audit))
        .route("/trust", get(region::trust))
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_form).post(users::add))
        .route("/users/{login}", get(users::show).post(users::change))
        .route("/users/{login}/tokens", post(users::add_token))
        .route("/tokens/{id}/revoke", post(users::revoke_token))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// What answers a path nothing else does: a problem document under `/api/` (and for the
/// service's machine endpoints), a Russian page everywhere else.
pub async fn fallback(request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path == "/api" {
        return Problem::not_found(
            "no such resource; the API is described at /api/v1/openapi.json",
        )
        .into_response();
    }
    PageError::Status(StatusCode::NOT_FOUND).into_response()
}
