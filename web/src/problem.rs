//! Errors as RFC 9457 problem documents: a status, a short title, a detail that says what to
//! fix, and — where one field is at fault — its name. Every 4xx the service gives is one of
//! these, and a request answered with one changed nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use zemstvo_service::InstallError;
use zemstvo_service::ServiceError;
use zemstvo_store::StoreError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (throttled sign-ins).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://zemstvo.invalid/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let retry_after = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound(_) => Problem::not_found(e.to_string()),
            StoreError::Invalid(_) => Problem::unprocessable(e.to_string()),
            StoreError::Conflict(_) => Problem::conflict(e.to_string()),
            StoreError::Stale(_) => {
                Problem::new(StatusCode::PRECONDITION_FAILED, "stale", e.to_string())
                    .field("If-Match")
            }
            StoreError::Busy(_) | StoreError::Unavailable(_) | StoreError::Connect { .. } => {
                tracing::warn!("the database is unavailable: {e}");
                Problem::unavailable(format!("{e}; try again in a moment"))
            }
            _ => {
                tracing::error!("store error: {e}");
                Problem::unavailable(
                    "the region's database could not complete the request; try again, and if \
                     it persists tell the region's IT team (the host's log has the cause)",
                )
            }
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(e) => e.into(),
            ServiceError::Plugin(m) => Problem::unprocessable(m),
            other => Problem::unprocessable(other.to_string()),
        }
    }
}

impl From<InstallError> for Problem {
    fn from(e: InstallError) -> Self {
        match e {
            InstallError::Store(e) => e.into(),
            other => Problem::unprocessable(other.to_string()),
        }
    }
}
