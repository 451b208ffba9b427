//! The registry's HTTP service (axum): [`app`] builds the router a test can drive with
//! `oneshot`, [`run`] serves it on a listener until `shutdown` resolves.
//!
//! | method and path | who | what |
//! |---|---|---|
//! | `GET /api/v1/packages?q=TEXT` | anyone | search (all packages without `q`) |
//! | `GET /api/v1/packages/{name}` | anyone | all versions, yanked ones marked |
//! | `GET /api/v1/packages/{name}/resolve?req=^1.2` | anyone | highest unyanked match (an exact `=x.y.z` pin also a yanked one) |
//! | `GET /api/v1/packages/{name}/{version}` | anyone | one version |
//! | `GET /api/v1/packages/{name}/{version}/download` | anyone | the package file |
//! | `POST /api/v1/challenges` | anyone | a one-time publish challenge (two minutes; naming a registered key in `x-zemstvo-key-id` gives the key its own share) |
//! | `POST /api/v1/packages` | vendor (signed) | publish a package file |
//! | `POST /api/v1/rotations` | vendor (signed) | register a key a rotation introduces |
//! | `GET /api/v1/vendors`, `/api/v1/vendors/{id}` | anyone | vendors and their keys |
//! | `GET /api/v1/keys/events` | anyone | revocations and rotations, for trust stores |
//! | `POST /api/v1/vendors` | operator | register a vendor |
//! | `POST /api/v1/vendors/{id}/keys` | operator | register a vendor's key |
//! | `POST /api/v1/keys/{key_id}/revoke` | operator | revoke a key |
//! | `POST /api/v1/packages/{name}/{version}/yank`, `/unyank` | operator | (un)yank |
//!
//! **Invariants:** only this module knows HTTP; every answer that is not a success is an
//! [`error::ApiError`] JSON body; a refused request changes nothing (each change is one
//! statement or one transaction, and checks run before it).

pub mod admin;
pub mod auth;
pub mod conn;
pub mod error;
pub mod publish;
pub mod read;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use zemstvo_core::metadata::ComponentFacts;

pub use auth::{ADMIN_TOKEN_ENV, AdminToken};
pub use error::ApiError;

use crate::store::Store;

/// How a registry behaves; the defaults suit a region's registry.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The largest package file a publish may upload (default 32 MiB).
    pub max_upload_bytes: usize,
    /// How long a publish challenge stays valid (default 2 minutes: a publish asks for one
    /// right before it uploads).
    pub challenge_ttl: Duration,
    /// When set, a publish loads the package's component with this runtime and refuses it
    /// (422 `manifest_mismatch`) unless the component's own metadata — name, version, kind,
    /// capabilities, configuration — is what the manifest says. `zemstvo registry serve` sets
    /// it; without it the registry checks signatures and hashes only.
    pub components: Option<ComponentCheck>,
}

/// Loads a published component the way a region would, to compare it with its manifest. The
/// region host's runtime implements it (`zemstvo_service::registry_component_check`); the
/// registry itself links no wasmtime.
pub trait ComponentLoader: Send + Sync {
    /// The component's facts, or why it does not load as a plugin.
    fn load<'a>(&'a self, component: &'a [u8]) -> Loading<'a>;
}

/// What [`ComponentLoader::load`] returns: the loaded component's facts, or why it does not
/// load as a plugin.
pub type Loading<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Box<dyn ComponentFacts + Send>, String>>
            + Send
            + 'a,
    >,
>;

/// The loader a registry checks published components with.
#[derive(Clone)]
pub struct ComponentCheck(pub Arc<dyn ComponentLoader>);

impl std::fmt::Debug for ComponentCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ComponentCheck")
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_upload_bytes: 32 << 20,
            challenge_ttl: Duration::from_secs(120),
            components: None,
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// Only the digest is kept, so the token is not in the server's memory to leak.
    admin_digest: [u8; 32],
    settings: ServerSettings,
}

impl AppState {
    pub fn new(store: Store, admin_token: &AdminToken, settings: ServerSettings) -> Self {
        AppState {
            inner: Arc::new(Inner {
                store,
                admin_digest: admin_token.digest(),
                settings,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.inner.settings
    }

    pub(crate) fn admin_digest(&self) -> [u8; 32] {
        self.inner.admin_digest
    }
}

/// The registry's router.
pub fn app(state: AppState) -> Router {
    let packages = "/api/v1/packages";
    Router::new()
        .route("/api/v1/health", get(read::health))
        .route(packages, get(read::search).post(publish::publish))
        .route(&format!("{packages}/{{name}}"), get(read::versions))
        .route(&format!("{packages}/{{name}}/resolve"), get(read::resolve))
        .route(
            &format!("{packages}/{{name}}/{{version}}"),
            get(read::version),
        )
        .route(
            &format!("{packages}/{{name}}/{{version}}/download"),
            get(read::download),
        )
        .route(
            &format!("{packages}/{{name}}/{{version}}/yank"),
            post(admin::yank),
        )
        .route(
            &format!("{packages}/{{name}}/{{version}}/unyank"),
            post(admin::unyank),
        )
        .route("/api/v1/challenges", post(publish::challenge))
        .route("/api/v1/rotations", post(publish::rotation))
        .route(
            "/api/v1/vendors",
            get(read::vendors).post(admin::add_vendor),
        )
        .route("/api/v1/vendors/{id}", get(read::vendor))
        .route("/api/v1/vendors/{id}/keys", post(admin::add_key))
        .route("/api/v1/keys/events", get(read::key_events))
        .route("/api/v1/keys/{key_id}/revoke", post(admin::revoke_key))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the registry on `listener` until `shutdown` resolves, then finishes the requests
/// in flight. Each request knows its client's address ([`conn::ClientAddr`]), and the errors
/// hyper answers by itself (414, 431, a malformed request) are JSON too ([`conn`]).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        conn::JsonErrorListener(listener),
        app(state).into_make_service_with_connect_info::<conn::ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The largest body an endpoint other than publish takes (JSON; axum's default limit).
pub const JSON_BODY_LIMIT: usize = 2 << 20;

/// Refuses a request whose declared `Content-Length` exceeds what its endpoint takes, before
/// reading the body, with the JSON 413 every other refusal has. Publish checks its own larger
/// limit after it knows who is asking (see `publish`).
async fn refuse_declared_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let publish = request.uri().path() == "/api/v1/packages";
    if !publish && declared.is_some_and(|n| n > JSON_BODY_LIMIT as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request body is larger than this endpoint's limit of {JSON_BODY_LIMIT} \
                 bytes; nothing was read"
            ),
        )
        .with("limit", JSON_BODY_LIMIT as u64)
        .into_response();
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_endpoint",
        "no such endpoint; the registry's API is under /api/v1 (see registry/README.md)",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method (see registry/README.md)",
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "registry_failure",
        "the registry failed while answering; try again, and tell the operator if it persists",
    )
    .into_response()
}

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
