//! Rendering a page: the templates (embedded, parsed once), the frame every page shares (who
//! is signed in, the menu their role has), the signed-in viewer of a request and the pages
//! that answer errors.

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, State};
use serde::Serialize;
use zemstvo_store::accounts::Role;

use super::text::{self, Arg, Texts};
use crate::auth::{Credential, Principal, SessionLookup, session_principal};
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// The templates, by name: embedded so that the binary is the whole site.
const TEMPLATES: [(&str, &str); 27] = [
    (
        "replay.html",
        include_str!("../../ui/templates/replay.html"),
    ),
    ("base.html", include_str!("../../ui/templates/base.html")),
    (
        "macros.html",
        include_str!("../../ui/templates/macros.html"),
    ),
    ("error.html", include_str!("../../ui/templates/error.html")),
    (
        "sign_in.html",
        include_str!("../../ui/templates/sign_in.html"),
    ),
    (
        "cabinet.html",
        include_str!("../../ui/templates/cabinet.html"),
    ),
    ("task.html", include_str!("../../ui/templates/task.html")),
    (
        "reassign.html",
        include_str!("../../ui/templates/reassign.html"),
    ),
    ("unit.html", include_str!("../../ui/templates/unit.html")),
    (
        "plugins.html",
        include_str!("../../ui/templates/plugins.html"),
    ),
    (
        "plugin.html",
        include_str!("../../ui/templates/plugin.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../ui/templates/dashboard.html"),
    ),
    ("runs.html", include_str!("../../ui/templates/runs.html")),
    ("run.html", include_str!("../../ui/templates/run.html")),
    (
        "install.html",
        include_str!("../../ui/templates/install.html"),
    ),
    ("audit.html", include_str!("../../ui/templates/audit.html")),
    ("cases.html", include_str!("../../ui/templates/cases.html")),
    ("case.html", include_str!("../../ui/templates/case.html")),
    ("trust.html", include_str!("../../ui/templates/trust.html")),
    ("users.html", include_str!("../../ui/templates/users.html")),
    ("user.html", include_str!("../../ui/templates/user.html")),
    (
        "user_new.html",
        include_str!("../../ui/templates/user_new.html"),
    ),
    (
        "parameters.html",
        include_str!("../../ui/templates/parameters.html"),
    ),
    (
        "shadow.html",
        include_str!("../../ui/templates/shadow.html"),
    ),
    (
        "appeals.html",
        include_str!("../../ui/templates/appeals.html"),
    ),
    (
        "appeal.html",
        include_str!("../../ui/templates/appeal.html"),
    ),
    (
        "appeals_section.html",
        include_str!("../../ui/templates/appeals_section.html"),
    ),
];

/// The template environment, built once per process.
fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Undefined values are errors, as in the outbox's templates: a typo shows in tests.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            // The templates ship in the binary; `every_template_compiles` proves they parse.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env.add_function("t", translate);
        env.add_filter("date", |state: &State, unix: Option<i64>| {
            unix.map(|u| text::date(u, zone(state))).unwrap_or_default()
        });
        env.add_filter("datetime", |state: &State, unix: Option<i64>| {
            unix.map(|u| text::date_time(u, zone(state)))
                .unwrap_or_default()
        });
        env.add_filter("number", |n: i64| text::number(n));
        env.add_filter("decimal", |x: f64| text::decimal(x, 2));
        env
    })
}

/// The region's time zone, which every page's context names as `tz`.
fn zone(state: &State) -> chrono_tz::Tz {
    state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(chrono_tz::Europe::Moscow)
}

/// `t("id", name=value, …)` in a template: the text `id` of the Fluent file; numbers choose
/// plural forms.
fn translate(id: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let arg = if value.kind() == ValueKind::Number {
            Arg::Number(f64::try_from(value)?)
        } else {
            Arg::Text(value.to_string())
        };
        args.push((name, arg));
    }
    Ok(Texts::russian().get(id, &args))
}

/// A text of the Fluent file, for the handlers.
pub fn t(id: &str) -> String {
    Texts::russian().get(id, &[])
}

/// A text with arguments, for the handlers.
pub fn t_with(id: &str, args: &[(&str, Arg)]) -> String {
    Texts::russian().get(id, args)
}

/// Renders `template` with `context` (which names `frame` for signed-in pages).
pub fn render(status: StatusCode, template: &str, context: Value) -> Response {
    let result = environment()
        .get_template(template)
        .and_then(|t| t.render(context));
    match result {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("page {template}: {e:#}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><html lang=\"ru\"><title>Ошибка</title><h1>Ошибка страницы</h1></html>"),
            )
                .into_response()
        }
    }
}

/// One entry of the menu.
#[derive(Debug, Serialize)]
struct MenuItem {
    href: &'static str,
    /// The text's id.
    label: &'static str,
    current: bool,
}

/// What every signed-in page shows around its content.
#[derive(Debug, Serialize)]
pub struct Frame {
    user: String,
    role: String,
    csrf: String,
    menu: Vec<MenuItem>,
}

/// The signed-in user of a page, by their session cookie.
pub struct Viewer {
    pub principal: Principal,
    /// The session's CSRF token, which every form on the page carries.
    pub csrf: String,
    /// The region's time zone, for the dates on the page.
    pub tz: String,
}

impl Viewer {
    pub fn may(&self, action: Action) -> bool {
        crate::policy::allows(self.principal.user.role, action)
    }

    /// Refuses the page (403) unless the viewer's role may do `action`.
    pub fn require(&self, action: Action) -> Result<(), PageError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(PageError::Status(StatusCode::FORBIDDEN))
        }
    }

    pub fn role(&self) -> Role {
        self.principal.user.role
    }

    /// Where the viewer starts: their own tasks, or the first page their role has.
    pub fn home(&self) -> &'static str {
        if self.principal.user.employee_id.is_some() {
            "/"
        } else if self.may(Action::ChangePlugins) {
            "/plugins"
        } else if self.may(Action::ReadAnalytics) {
            "/dashboard"
        } else {
            "/plugins"
        }
    }

    /// The frame of a page at `current` (the menu entry to mark).
    pub fn frame(&self, current: &str) -> Frame {
        let user = &self.principal.user;
        let mut menu = Vec::new();
        if user.employee_id.is_some() && self.may(Action::WorkOnTasks) {
            menu.push(("/", "nav-cabinet"));
        }
        if user.role == Role::Manager && user.employee_id.is_some() {
            menu.push(("/unit", "nav-unit"));
        }
        if self.may(Action::ReadAnalytics) {
            menu.push(("/dashboard", "nav-dashboard"));
        }
        if self.may(Action::ReadPlugins) {
            menu.push(("/plugins", "nav-plugins"));
        }
        if self.may(Action::ReadCases) {
            menu.push(("/cases", "nav-cases"));
        }
        if self.may(Action::ReadAppeals) {
            menu.push(("/appeals", "nav-appeals"));
        }
        if self.may(Action::ReadRuns) {
            menu.push(("/runs", "nav-runs"));
        }
        if self.may(Action::ReadAudit) {
            menu.push(("/audit", "nav-audit"));
        }
        if self.may(Action::ReadTrust) {
            menu.push(("/trust", "nav-trust"));
        }
        if self.may(Action::ManageUsers) {
            menu.push(("/users", "nav-users"));
        }
        Frame {
            user: user.full_name.clone(),
            role: t(&format!("role-{}", user.role.name())),
            csrf: self.csrf.clone(),
            menu: menu
                .into_iter()
                .map(|(href, label)| MenuItem {
                    href,
                    label,
                    current: href == current,
                })
                .collect(),
        }
    }

    /// Renders a signed-in page: `context` gets the frame and the time zone.
    pub fn page(
        &self,
        status: StatusCode,
        template: &str,
        current: &str,
        context: Value,
    ) -> Response {
        let context = minijinja::context! {
            frame => Value::from_serialize(self.frame(current)),
            tz => self.tz.clone(),
            ..context
        };
        render(status, template, context)
    }
}

/// Where to come back to after signing in: the page asked for, or for a form post the page
/// the form was on.
fn return_path(parts: &Parts) -> String {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
    }
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_else(|| "/".into())
}

impl FromRequestParts<Arc<WebState>> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Self::Rejection> {
        match session_principal(&parts.headers, state).await? {
            SessionLookup::Live(principal) => {
                let csrf = match &principal.credential {
                    Credential::Session { csrf, .. } => csrf.clone(),
                    Credential::Token => String::new(),
                };
                Ok(Viewer {
                    principal,
                    csrf,
                    tz: state.host.time_zone().name().to_string(),
                })
            }
            SessionLookup::None => Err(PageError::SignIn {
                next: return_path(parts),
                expired: false,
            }),
            SessionLookup::Ended => Err(PageError::SignIn {
                next: return_path(parts),
                expired: true,
            }),
        }
    }
}

/// Why a page is not shown: the viewer must sign in first, or an error page.
#[derive(Debug)]
pub enum PageError {
    /// To the sign-in page, and back to `next` after it.
    SignIn { next: String, expired: bool },
    /// A Russian page for the status (403, 404, 503, other 4xx).
    Status(StatusCode),
    /// A form post without the session's CSRF token (403).
    Csrf,
    /// A one-time sign-in link used before or expired (401).
    LinkUsed,
}

impl From<Problem> for PageError {
    fn from(p: Problem) -> Self {
        match p.status {
            401 => PageError::SignIn {
                next: "/".into(),
                expired: true,
            },
            status => {
                PageError::Status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
            }
        }
    }
}

impl From<zemstvo_store::StoreError> for PageError {
    fn from(e: zemstvo_store::StoreError) -> Self {
        Problem::from(e).into()
    }
}

/// A safe place to go back to after signing in: a path on this site, never another site.
pub fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
    if local { next } else { "/" }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next, expired } => {
                let mut query = vec![("next", local_path(&next).to_string())];
                if expired {
                    query.push(("expired", "1".into()));
                }
                let query = serde_urlencoded::to_string(&query).unwrap_or_default();
                Redirect::to(&format!("/sign-in?{query}")).into_response()
            }
            PageError::Csrf => error_page(StatusCode::FORBIDDEN, Some(t("error-csrf"))),
            PageError::LinkUsed => error_page(StatusCode::UNAUTHORIZED, Some(t("error-link-used"))),
            PageError::Status(status) => error_page(status, None),
        }
    }
}

fn error_page(status: StatusCode, detail: Option<String>) -> Response {
    let key = match status.as_u16() {
        401 => "401",
        403 => "403",
        404 => "404",
        500..=599 => "503",
        _ => "other",
    };
    let mut response = render(
        status,
        "error.html",
        minijinja::context! {
            title => t(&format!("error-{key}-title")),
            text => detail.unwrap_or_else(|| t(&format!("error-{key}-text"))),
            tz => "Europe/Moscow",
        },
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A field's error: shown next to the field and, linked, in the summary at the top.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// The field's id on the page.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The errors of a form as the templates read them: a list for the summary, a map for the
/// fields.
pub fn errors_context(errors: &[FieldError]) -> (Value, Value) {
    let map: std::collections::BTreeMap<&str, &str> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    (Value::from_serialize(errors), Value::from_serialize(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_names_only_known_texts() {
        let env = environment();
        let texts = Texts::russian();
        for (name, source) in TEMPLATES {
            env.get_template(name).unwrap();
            // Every `t("id"` or `t('id'` in a template is a message of ru.ftl.
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                for (at, _) in source.match_indices(open.as_str()) {
                    let before = source[..at].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' || before == '.' {
                        continue;
                    }
                    let id = source[at + 3..].split(quote).next().unwrap();
                    if id.ends_with('-') {
                        // A family of texts chosen by a value (`"task-status-" ~ status`).
                        continue;
                    }
                    assert!(texts.has(id), "{name} uses the unknown text `{id}`");
                }
            }
        }
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/tasks/5"), "/tasks/5");
        assert_eq!(local_path("//evil.example/x"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
    }
}
