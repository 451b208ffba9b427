//! Who is asking: a browser session (cookie, with a CSRF token for every change) or an API
//! token (`Authorization: Bearer`), resolved to a [`User`] with a role. The identity source is
//! a trait, so that a region's OpenID Connect provider can be added without touching handlers.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};
use zemstvo_store::Store;
use zemstvo_store::accounts::User;

use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// The cookie that carries a session.
pub const SESSION_COOKIE: &str = "zemstvo_session";
/// The header a session's changes must carry (double submit: the value is in the session).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lives.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Failed sign-ins of one login within [`THROTTLE_WINDOW_SECS`] before further tries wait.
pub const THROTTLE_FAILURES: u64 = 5;
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session { token_hash: String, csrf: String },
    Token,
}

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
}

impl Principal {
    /// The audit log's name for the caller.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.login)
    }

    /// Refuses the request unless the caller's role may do `action`.
    pub fn require(&self, action: Action) -> Result<(), Problem> {
        if crate::policy::allows(self.user.role, action) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "your role ({}) may not {}; ask the region's administrator",
                self.user.role.name(),
                action.describe()
            )))
        }
    }
}

/// Where users and their credentials come from. Local accounts in the region's database
/// today; an OpenID Connect provider can implement it later.
#[async_trait::async_trait]
pub trait IdentitySource: Send + Sync {
    /// The user of a session cookie's value, if it is live.
    async fn session(&self, token: &str) -> Result<Option<(User, String)>, Problem>;
    /// The user of an API token, if it is live.
    async fn token(&self, token: &str) -> Result<Option<User>, Problem>;
}

/// Accounts kept in the region's database.
pub struct LocalAccounts {
    pub store: Store,
}

#[async_trait::async_trait]
impl IdentitySource for LocalAccounts {
    async fn session(&self, token: &str) -> Result<Option<(User, String)>, Problem> {
        Ok(self
            .store
            .session(&hash_secret(token))
            .await?
            .map(|s| (s.user, s.csrf)))
    }

    async fn token(&self, token: &str) -> Result<Option<User>, Problem> {
        Ok(self.store.token_user(&hash_secret(token)).await?)
    }
}

/// What secrets (session values, tokens, link tokens) are kept as.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh random secret, 32 bytes as hex.
pub fn new_secret() -> Result<String, Problem> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Problem::unavailable(format!("no randomness for a secret: {e}")))?;
    Ok(hex::encode(bytes))
}

/// An argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 10 {
        return Err("a password has at least 10 characters".into());
    }
    if password.len() > 1024 {
        return Err("a password has at most 1024 bytes".into());
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A hash no password matches: checked against when the login is unknown, so that a wrong
/// login takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no password is this one").unwrap_or_default())
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.len() <= 1024
        && PasswordHash::new(hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<Arc<WebState>> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    Problem::unauthorized(
                        "the Authorization header must be `Bearer TOKEN` with an API token",
                    )
                })?;
            let user = state.identity.token(token).await?.ok_or_else(|| {
                Problem::unauthorized(
                    "the API token is unknown, revoked or expired; ask the administrator for a \
                     new one",
                )
            })?;
            return Ok(Principal {
                user,
                credential: Credential::Token,
            });
        }
        let principal = match session_principal(&parts.headers, state).await? {
            SessionLookup::Live(principal) => principal,
            SessionLookup::None => {
                return Err(Problem::unauthorized(
                    "sign in first (POST /api/v1/session) or send an API token as \
                     `Authorization: Bearer TOKEN`",
                ));
            }
            SessionLookup::Ended => {
                return Err(Problem::unauthorized(
                    "your session has ended or was signed out; sign in again",
                ));
            }
        };
        // A session lookup always gives a session credential; an empty token never matches.
        let csrf = match &principal.credential {
            Credential::Session { csrf, .. } => csrf.as_str(),
            Credential::Token => "",
        };
        // A change made with a cookie must prove it comes from our own page: browsers send
        // cookies with cross-site form posts, but cannot read or set this header.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !csrf_matches(sent, csrf) {
                return Err(Problem::forbidden(
                    "the request lacks the session's CSRF token: send the `csrf` value the \
                     sign-in answered in the X-CSRF-Token header",
                )
                .field("X-CSRF-Token"));
            }
        }
        Ok(principal)
    }
}

/// What the session cookie of a request names.
pub enum SessionLookup {
    /// No session cookie.
    None,
    /// A cookie whose session ended, expired or was signed out.
    Ended,
    Live(Principal),
}

/// The caller of a request by its session cookie alone, before any CSRF check: the API's
/// extractor checks the `X-CSRF-Token` header after it, the pages check their forms' hidden
/// `csrf` field (`ui::forms`).
pub async fn session_principal(
    headers: &HeaderMap,
    state: &Arc<WebState>,
) -> Result<SessionLookup, Problem> {
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(SessionLookup::None);
    };
    Ok(match state.identity.session(&value).await? {
        None => SessionLookup::Ended,
        Some((user, csrf)) => SessionLookup::Live(Principal {
            user,
            credential: Credential::Session {
                token_hash: hash_secret(&value),
                csrf,
            },
        }),
    })
}

/// Whether `sent` is the session's CSRF token (compared in constant time).
pub fn csrf_matches(sent: &str, csrf: &str) -> bool {
    !sent.is_empty() && constant_time_eq(sent.as_bytes(), csrf.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(hash_password("short").is_err());
    }
}
