//! The region's web service: the HTTP API under `/api/v1` that administrators, managers,
//! employees, auditors and the region's other systems use, its OpenAPI document and reference
//! page (shipped in the binary: regions run air-gapped), health checks and Prometheus metrics.
//!
//! It runs inside `zemstvo serve` beside the host's queue, schedules and deliveries, over the
//! same [`RegionHost`]: a change made here is in the database at once, and every host of the
//! region takes it on its next run.

pub mod api;
pub mod auth;
mod docs;
pub mod policy;
pub mod problem;
pub mod state;
pub mod ui;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use zemstvo_service::RegionHost;

use crate::problem::Problem;
pub use crate::state::WebState;

/// Seconds since the epoch: the time sessions, tokens and periods are measured in.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 256 << 10;

/// The OpenAPI document, generated from the handlers and their types.
#[derive(OpenApi)]
#[openapi(
    info(title = "zemstvo region API", version = "1", description = "Plugins, runs, tasks, analytics, users and the audit log of one region. Errors are RFC 9457 problem documents, except under /open311/v2 (Open311 GeoReport v2, for appeal channels), which answers errors in GeoReport's own format."),
    paths(
        api::session::sign_in, api::session::whoami, api::session::sign_out,
        api::plugins::list, api::plugins::show, api::plugins::enable, api::plugins::disable,
        api::plugins::configure, api::plugins::grant, api::plugins::schedule,
        api::plugins::rollback, api::plugins::trigger,
        api::runs::list, api::runs::show,
        api::tasks::list, api::tasks::show, api::tasks::change_status,
        api::analytics::tasks, api::analytics::smev, api::analytics::correlation,
        api::cases::list, api::cases::show, api::cases::retry,
        api::plugins::pin, api::plugins::unpin,
        api::packages::install, api::packages::upgrade, api::packages::upload,
        api::parameters::list, api::parameters::set, api::parameters::remove,
        api::trust::show, api::trust::add, api::trust::remove, api::trust::revoke, api::trust::rotate,
        api::tasks::comment, api::tasks::reassign,
        api::applications::submit,
        api::admin::users, api::admin::add_user, api::admin::change_user,
        api::admin::tokens, api::admin::add_token, api::admin::revoke_token, api::admin::audit,
        api::records::verify, api::records::list, api::records::show,
        api::replay::replay, api::replay::replay_package, api::replay_run::replay_run,
        api::shadow::show, api::shadow::start, api::shadow::discard, api::shadow::promote,
        api::shadow::start_package,
        api::rollout::show, api::rollout::start, api::rollout::stop,
        api::health::healthz, api::health::readyz,
        api::appeals::list, api::appeals::show, api::appeals::classify, api::appeals::verdict,
        api::appeals::report, api::appeals::answer, api::appeals::root_cause,
        api::open311::services, api::open311::service_definition, api::open311::create_request,
        api::open311::requests, api::open311::request,
    ),
    components(schemas(problem::Problem)),
    modifiers(&SecuritySchemes, &ProblemResponses),
    security(("session" = []), ("token" = [])),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation may answer the problems every request can meet (a missing or wrong
/// credential, a role that may not, bad parameters, a body too large or of the wrong type, the
/// database away), all as `application/problem+json`: documented once here rather than on
/// every handler.
struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        let common = [
            ("400", "The request's parameters or body are malformed"),
            ("401", "No valid session or API token"),
            (
                "403",
                "The caller's role may not do this, or a CSRF token is missing",
            ),
            ("404", "No such resource (or none the caller may see)"),
            ("405", "The resource does not answer this method"),
            ("409", "A conflicting change was made meanwhile"),
            ("412", "If-Match names a stale revision"),
            ("413", "The body is too large"),
            ("415", "The body is not JSON"),
            (
                "422",
                "The request is well-formed but its values are refused",
            ),
            ("429", "Too many failed sign-ins"),
            ("503", "The region's database is unavailable"),
        ];
        // Open311 answers errors in GeoReport v2's own format, documented on its handlers.
        for (_, item) in openapi
            .paths
            .paths
            .iter_mut()
            .filter(|(path, _)| !path.starts_with("/open311/"))
        {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (status, response) in op.responses.responses.iter_mut() {
                    if status.starts_with('4') || status.starts_with('5') {
                        *response = utoipa::openapi::RefOr::T(problem(status_text(status)));
                    }
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| utoipa::openapi::RefOr::T(problem(description)));
                }
            }
        }
        fn status_text(status: &str) -> &'static str {
            match status {
                "401" => "No valid session or API token",
                "403" => "The caller's role may not do this",
                "404" => "No such resource (or none the caller may see)",
                "409" => "A conflicting change was made meanwhile",
                "412" => "If-Match names a stale revision",
                "422" => "The values are refused",
                "429" => "Too many failed sign-ins",
                "503" => "The region's database is unavailable",
                _ => "The request is refused",
            }
        }
    }
}

/// The process-wide Prometheus recorder: installed once, shared by every service in the
/// process (tests start several).
pub fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new().install_recorder().ok()?;
            zemstvo_store::counters::describe();
            Some(handle)
        })
        .clone()
}

impl WebState {
    /// The state of a service over `host` with the region's local accounts.
    pub fn new(host: Arc<RegionHost>) -> Self {
        let store = host.store().clone();
        WebState {
            host,
            identity: Box::new(auth::LocalAccounts { store }),
            metrics: metrics_handle(),
            secure_cookies: false,
            replays: tokio::sync::Semaphore::new(1),
        }
    }
}

/// The service's routes.
pub fn router(state: Arc<WebState>) -> Router {
    use api::*;
    let package_limit = packages::max_package_bytes(&state);
    let api = Router::new()
        .route(
            "/session",
            post(session::sign_in)
                .get(session::whoami)
                .delete(session::sign_out),
        )
        .route("/plugins", get(plugins::list).post(packages::install))
        .route("/plugins/{name}/upgrade", post(packages::upgrade))
        .route(
            "/packages",
            post(packages::upload).layer(DefaultBodyLimit::max(package_limit)),
        )
        .route("/plugins/{name}/parameters", get(parameters::list))
        .route(
            "/plugins/{name}/parameters/{parameter}",
            put(parameters::set),
        )
        .route(
            "/plugins/{name}/parameters/{parameter}/{from}",
            delete(parameters::remove),
        )
        .route("/trust", get(trust::show))
        .route("/trust/keys", post(trust::add))
        .route("/trust/keys/{key_id}", delete(trust::remove))
        .route("/trust/keys/{key_id}/revoke", post(trust::revoke))
        .route("/trust/rotations", post(trust::rotate))
        .route("/tasks/{id}/comments", post(tasks::comment))
        .route("/tasks/{id}/assignee", post(tasks::reassign))
        .route("/applications", post(applications::submit))
        .route("/plugins/{name}", get(plugins::show))
        .route("/plugins/{name}/enable", post(plugins::enable))
        .route("/plugins/{name}/disable", post(plugins::disable))
        .route("/plugins/{name}/config", put(plugins::configure))
        .route("/plugins/{name}/grants", put(plugins::grant))
        .route("/plugins/{name}/schedule", put(plugins::schedule))
        .route("/plugins/{name}/rollback", post(plugins::rollback))
        .route("/plugins/{name}/runs", post(plugins::trigger))
        .route("/plugins/{name}/replay", post(replay::replay))
        .route("/plugins/{name}/replay/run", post(replay_run::replay_run))
        .route(
            "/plugins/{name}/replay/package",
            post(replay::replay_package).layer(DefaultBodyLimit::max(package_limit)),
        )
        .route(
            "/plugins/{name}/shadow",
            get(shadow::show).put(shadow::start).delete(shadow::discard),
        )
        .route("/plugins/{name}/shadow/promote", post(shadow::promote))
        .route(
            "/plugins/{name}/shadow/package",
            put(shadow::start_package).layer(DefaultBodyLimit::max(package_limit)),
        )
        .route(
            "/plugins/{name}/rollout",
            get(rollout::show).put(rollout::start).delete(rollout::stop),
        )
        .route("/runs", get(runs::list))
        .route("/runs/{id}", get(runs::show))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{id}", get(tasks::show))
        .route("/tasks/{id}/status", post(tasks::change_status))
        .route("/analytics/tasks", get(analytics::tasks))
        .route("/analytics/smev", get(analytics::smev))
        .route("/analytics/correlation", get(analytics::correlation))
        .route("/cases", get(cases::list))
        .route("/cases/{application}", get(cases::show))
        .route("/cases/{application}/retry", post(cases::retry))
        .route("/plugins/{name}/pin", post(plugins::pin))
        .route("/plugins/{name}/unpin", post(plugins::unpin))
        .route("/users", get(admin::users).post(admin::add_user))
        .route("/users/{login}", patch(admin::change_user))
        .route("/users/{login}/tokens", post(admin::add_token))
        .route("/tokens", get(admin::tokens))
        .route("/tokens/{id}", delete(admin::revoke_token))
        .route("/audit", get(admin::audit))
        .route("/audit/verify", get(records::verify))
        .route("/audit/records", get(records::list))
        .route("/audit/records/{run}", get(records::show))
        .route("/appeals", get(appeals::list))
        .route("/appeals/report", get(appeals::report))
        .route("/appeals/{id}", get(appeals::show))
        .route("/appeals/{id}/classification", post(appeals::classify))
        .route("/appeals/{id}/verdict", post(appeals::verdict))
        .route("/incidents/{id}/answer", post(appeals::answer))
        .route("/incidents/{id}/root-cause", post(appeals::root_cause))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs::page));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics))
        .route("/sign-in/{token}", get(session::sign_in_link))
        .nest("/open311", open311::router())
        .merge(ui::router())
        .fallback(ui::fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(count_requests))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(problem_for_plain_errors))
        // Every request is logged in a span carrying its id — the caller's `x-request-id` (the
        // portal's, say) or one made here — and the id is sent back, so that a complaint, the
        // log and the portal's own log can be matched.
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

fn request_span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    )
}

async fn openapi() -> Response {
    let mut response = ApiDoc::openapi()
        .to_json()
        .unwrap_or_default()
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this resource does not answer this method; see /api/v1/openapi.json",
    )
}

/// Errors axum answers by itself (a body past the limit, a wrong content type) become problem
/// documents too; the pages' own error pages (HTML) stay pages.
async fn problem_for_plain_errors(request: Request, next: Next) -> Response {
    // Open311 answers every error in GeoReport v2's format itself.
    let open311 = request.uri().path().starts_with("/open311/");
    let response = next.run(request).await;
    let status = response.status();
    let is_problem_or_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if status.is_client_error() && !is_problem_or_page && !open311 {
        let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the request body is larger than this resource accepts ({MAX_BODY_BYTES} bytes; \
                 package files up to the region's component limit and 1 MiB)"
            )
        } else {
            let bytes = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        return Problem::new(status, "request", detail).into_response();
    }
    response
}

/// Counts requests by route and status, and their latency.
async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("zemstvo_http_requests_total", "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!("zemstvo_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Prometheus metrics: the counters of the host, the outbox and the API, and the queue and
/// outbox depths read at scrape time.
async fn metrics(State(state): State<Arc<WebState>>) -> Response {
    let Some(handle) = &state.metrics else {
        return Problem::unavailable("metrics are not recorded in this process").into_response();
    };
    if let Ok(pending) = state.store().pending_runs().await {
        metrics::gauge!("zemstvo_run_queue_depth").set(pending as f64);
    }
    // SMEV requests waiting for an answer, per agency.
    if let Ok(agencies) = state.store().agency_stats(0).await {
        for a in agencies {
            metrics::gauge!("zemstvo_smev_waiting", "agency" => a.agency).set(a.pending as f64);
        }
    }
    // Messages waiting in the outbox and those that failed, per channel.
    if let Ok(channels) = state.store().notification_outbox().await {
        for c in channels {
            metrics::gauge!("zemstvo_outbox_depth", "channel" => c.channel.clone())
                .set(c.waiting as f64);
            metrics::gauge!("zemstvo_outbox_failed", "channel" => c.channel).set(c.failed as f64);
        }
    }
    // SMEV requests runs queued that are not sent yet, per agency.
    if let Ok(agencies) = state.store().smev_outbox_depth().await {
        for (agency, waiting) in agencies {
            metrics::gauge!("zemstvo_smev_outbox_depth", "agency" => agency).set(waiting as f64);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

impl axum::extract::OptionalFromRequestParts<Arc<WebState>> for auth::Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<WebState>,
    ) -> Result<Option<Self>, Self::Rejection> {
        use axum::extract::FromRequestParts;
        Ok(
            <auth::Principal as FromRequestParts<Arc<WebState>>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// Serves the API on `listener` until `shutdown` resolves; requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<WebState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
