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
//! | `POST /api/v1/challenges` | anyone | a one-time publish challenge |
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

pub use auth::{ADMIN_TOKEN_ENV, AdminToken};
pub use error::ApiError;

use crate::store::Store;

/// How a registry behaves; the defaults suit a region's registry.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The largest package file a publish may upload (default 32 MiB).
    pub max_upload_bytes: usize,
    /// How long a publish challenge stays valid (default 5 minutes).
    pub challenge_ttl: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_upload_bytes: 32 << 20,
            challenge_ttl: Duration::from_secs(300),
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
        .layer(CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the registry on `listener` until `shutdown` resolves, then finishes the requests
/// in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
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
