//! Every error the registry answers, as JSON: `{"error": "...", "code": "...", ...detail}`
//! with a 4xx status for what the caller got wrong and a 5xx for what the registry did. The
//! message says what to do next; the code is stable for programs.
//!
//! Also the extractors that turn axum's own rejections (a malformed JSON body, a path that is
//! not UTF-8, a bad query string) into the same JSON errors instead of plain text.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::api::ErrorBody;
use crate::name::NameError;
use crate::package::PackageError;
use crate::resolve::ResolveError;
use crate::store::StoreError;
use crate::trust::TrustError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub detail: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: Map::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    /// Adds a detail field to the body (e.g. the version that already exists).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.detail.insert(key.to_string(), value.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, "{}", self.message);
        }
        let body = ErrorBody {
            error: self.message,
            code: self.code.to_string(),
            detail: self.detail,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            StoreError::UnsupportedUrl(_)
            | StoreError::Open(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "registry_failure"),
            StoreError::Database(_) => (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
            StoreError::VendorExists(_) => (StatusCode::CONFLICT, "vendor_exists"),
            StoreError::UnknownVendor(_) => (StatusCode::NOT_FOUND, "unknown_vendor"),
            StoreError::KeyExists { .. } => (StatusCode::CONFLICT, "key_exists"),
            StoreError::UnknownKey(_) => (StatusCode::NOT_FOUND, "unknown_key"),
            StoreError::KeyRevoked { .. } => (StatusCode::FORBIDDEN, "revoked_key"),
            StoreError::AlreadyRevoked(_) => (StatusCode::CONFLICT, "already_revoked"),
            StoreError::VersionExists { .. } => (StatusCode::CONFLICT, "version_exists"),
            StoreError::NameOwned { .. } => (StatusCode::FORBIDDEN, "name_owned"),
            StoreError::UnknownPackage(_) => (StatusCode::NOT_FOUND, "unknown_package"),
            StoreError::UnknownVersion { .. } => (StatusCode::NOT_FOUND, "unknown_version"),
            StoreError::ChallengeInvalid => (StatusCode::UNAUTHORIZED, "challenge_invalid"),
            StoreError::TooManyChallenges | StoreError::TooManyChallengesFromClient(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_challenges")
            }
        };
        let error = ApiError::new(status, code, message);
        match e {
            StoreError::VersionExists { name, version } => error
                .with("name", name.to_string())
                .with("version", version.to_string()),
            StoreError::UnknownPackage(name) => error.with("name", name.to_string()),
            StoreError::UnknownVersion { name, version } => error
                .with("name", name.to_string())
                .with("version", version.to_string()),
            _ => error,
        }
    }
}

impl From<NameError> for ApiError {
    fn from(e: NameError) -> Self {
        ApiError::bad_request("invalid_name", e.to_string())
    }
}

impl From<ResolveError> for ApiError {
    fn from(e: ResolveError) -> Self {
        let (status, code) = match &e {
            ResolveError::InvalidRequirement { .. } => {
                (StatusCode::BAD_REQUEST, "invalid_requirement")
            }
            ResolveError::InvalidVersion { .. } => (StatusCode::BAD_REQUEST, "invalid_version"),
            ResolveError::Name(_) => (StatusCode::BAD_REQUEST, "invalid_name"),
            ResolveError::UnknownPackage(_) => (StatusCode::NOT_FOUND, "unknown_package"),
            ResolveError::UnknownVersion { .. } => (StatusCode::NOT_FOUND, "unknown_version"),
            ResolveError::NoMatch { .. } => (StatusCode::NOT_FOUND, "no_matching_version"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<PackageError> for ApiError {
    fn from(e: PackageError) -> Self {
        ApiError::bad_request("invalid_package", e.to_string())
    }
}

impl From<TrustError> for ApiError {
    fn from(e: TrustError) -> Self {
        let (status, code) = match &e {
            TrustError::Malformed(_) => (StatusCode::BAD_REQUEST, "invalid_package"),
            TrustError::ComponentChanged { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "component_changed")
            }
            TrustError::BadSignature { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature"),
            TrustError::UnsupportedAlgorithm(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_algorithm")
            }
            TrustError::UnknownKey { .. } => (StatusCode::FORBIDDEN, "unknown_key"),
            TrustError::RevokedKey { .. } => (StatusCode::FORBIDDEN, "revoked_key"),
            TrustError::VendorMismatch { .. } => (StatusCode::FORBIDDEN, "vendor_mismatch"),
            TrustError::OutsideScope { .. } => (StatusCode::FORBIDDEN, "outside_scope"),
            _ => (StatusCode::BAD_REQUEST, "invalid_key_event"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// `Path<T>` whose rejection is a JSON error.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// `Query<T>` whose rejection is a JSON error.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// `Json<T>` whose rejection is a JSON error naming what was wrong with the body.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(t)| ApiJson(t))
            .map_err(|e| ApiError::new(e.status(), "invalid_body", e.body_text()))
    }
}
