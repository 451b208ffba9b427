//! Who may change the registry.
//!
//! - **The operator** holds the admin token and sends it as `Authorization: Bearer TOKEN` to
//!   register vendors and keys, yank and un-yank, and revoke keys. The server keeps only the
//!   token's sha256 and compares digests in constant time.
//! - **A vendor** proves, per publish, that it holds a registered key: it asks for a one-time
//!   challenge, signs `nonce "\n" sha256(upload)` with the key, and sends key id, nonce and
//!   signature in headers (see [`crate::server::publish`]). No vendor passwords exist.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::keys::{KeyError, random_hex};

/// The operator's secret. At least 32 characters; `generate` makes 64 hex digits.
#[derive(Clone)]
pub struct AdminToken(String);

/// The environment variable `zemstvo registry serve` and the admin commands read the token
/// from, when set.
pub const ADMIN_TOKEN_ENV: &str = "ZEMSTVO_REGISTRY_ADMIN_TOKEN";

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "the admin token is too short ({0} characters); use at least 32, e.g. the one `zemstvo \
         registry serve` writes to its data directory"
    )]
    TooShort(usize),
    #[error(transparent)]
    Random(#[from] KeyError),
}

impl AdminToken {
    pub fn generate() -> Result<AdminToken, TokenError> {
        Ok(AdminToken(random_hex(32)?))
    }

    pub fn new(token: &str) -> Result<AdminToken, TokenError> {
        let token = token.trim();
        if token.chars().count() < 32 {
            return Err(TokenError::TooShort(token.chars().count()));
        }
        Ok(AdminToken(token.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

/// Proof, in a handler's arguments, that the request carried the admin token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "missing_credentials",
                format!(
                    "this needs the registry's admin token: send `Authorization: Bearer TOKEN` \
                     (the zemstvo CLI reads it from --admin-token-file or {ADMIN_TOKEN_ENV})"
                ),
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let digest: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        if !constant_time_eq(&digest, &state.admin_digest()) {
            return Err(ApiError::unauthorized(
                "invalid_credentials",
                "the admin token is wrong; use the token of this registry (written to its data \
                 directory at first start, or set in ZEMSTVO_REGISTRY_ADMIN_TOKEN)",
            ));
        }
        Ok(Admin)
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
