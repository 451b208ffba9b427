//! The region's trust store over HTTP: which vendor keys it accepts and for which packages,
//! and the keys it revoked. A revoked key's packages no longer install or run on any host; a
//! rotation moves a vendor to a new key signed over by the old one. Administrators change it;
//! auditors read it. Each change is one transaction with its audit entry.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_registry::{KeyId, NamePattern, PublicKey, Revocation, RotationStatement, VendorId};

use super::{JsonBody, PathParam};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// A key the region trusts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrustedKeyView {
    pub key_id: String,
    /// `ed25519:` and the key in hex.
    pub public_key: String,
    pub vendor: String,
    /// The package names it may sign (`*` for any, `isu-*` for a prefix).
    pub scope: Vec<String>,
    /// The key it was rotated from, if a rotation introduced it.
    pub rotated_from: Option<String>,
}

/// A key the region revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationView {
    pub key_id: String,
    pub reason: String,
    pub revoked_at: i64,
}

/// The region's trust store.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrustView {
    pub keys: Vec<TrustedKeyView>,
    pub revocations: Vec<RevocationView>,
}

pub(crate) async fn current(state: &WebState) -> Result<TrustView, Problem> {
    let trust = state.host.installations().trust_store().await?;
    Ok(TrustView {
        keys: trust
            .keys()
            .map(|(id, k)| TrustedKeyView {
                key_id: id.to_string(),
                public_key: k.public_key.to_string(),
                vendor: k.vendor.to_string(),
                scope: k.scope.iter().map(|s| s.to_string()).collect(),
                rotated_from: k.rotated_from.as_ref().map(|r| r.to_string()),
            })
            .collect(),
        revocations: trust
            .revocations()
            .map(|r| RevocationView {
                key_id: r.key_id.to_string(),
                reason: r.reason.clone(),
                revoked_at: r.revoked_at,
            })
            .collect(),
    })
}

/// The keys the region trusts and the ones it revoked.
#[utoipa::path(get, path = "/api/v1/trust", tag = "trust",
    responses((status = 200, body = TrustView), (status = 403, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Json<TrustView>, Problem> {
    principal.require(Action::ReadTrust)?;
    Ok(Json(current(&state).await?))
}

/// Trust a vendor's key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustRequest {
    /// `ed25519:` and the key in lowercase hex, as `zemstvo keys generate` prints it.
    pub public_key: String,
    pub vendor: String,
    /// The package names it may sign; any name when empty or absent.
    #[serde(default)]
    pub scope: Vec<String>,
}

/// Trusts a vendor's key for the packages its scope names (adding it again replaces its
/// vendor and scope; a revoked key cannot be trusted again).
#[utoipa::path(post, path = "/api/v1/trust/keys", tag = "trust", request_body = TrustRequest,
    responses((status = 201, body = TrustView), (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    JsonBody(request): JsonBody<TrustRequest>,
) -> Result<(StatusCode, Json<TrustView>), Problem> {
    principal.require(Action::ChangeTrust)?;
    let key: PublicKey = request
        .public_key
        .trim()
        .parse()
        .map_err(|e| Problem::unprocessable(format!("{e}")).field("public_key"))?;
    let vendor = VendorId::new(request.vendor)
        .map_err(|e| Problem::unprocessable(e.to_string()).field("vendor"))?;
    let scope = if request.scope.is_empty() {
        vec![NamePattern::any()]
    } else {
        request
            .scope
            .into_iter()
            .map(NamePattern::new)
            .collect::<Result<_, _>>()
            .map_err(|e| Problem::unprocessable(e.to_string()).field("scope"))?
    };
    let shown: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
    state
        .host
        .installations().update_trust(
            &principal.actor(),
            "trust-add",
            serde_json::json!({ "key": key.key_id().to_string(), "vendor": vendor.to_string(), "scope": shown }),
            |t| t.trust(key, vendor, scope),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(current(&state).await?)))
}

fn key_id(text: &str) -> Result<KeyId, Problem> {
    text.parse()
        .map_err(|e| Problem::not_found(format!("`{text}` is not a key id: {e}")))
}

/// Stops trusting a key without revoking it (it may be trusted again).
#[utoipa::path(delete, path = "/api/v1/trust/keys/{key_id}", tag = "trust",
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 200, body = TrustView), (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<String>,
) -> Result<Json<TrustView>, Problem> {
    principal.require(Action::ChangeTrust)?;
    let key = key_id(&id)?;
    let removed = state
        .host
        .installations()
        .update_trust(
            &principal.actor(),
            "trust-remove",
            serde_json::json!({ "key": id }),
            |t| Ok(t.distrust(&key)),
        )
        .await?;
    if !removed {
        return Err(Problem::not_found(format!(
            "the region does not trust key {id}; see GET /api/v1/trust"
        )));
    }
    Ok(Json(current(&state).await?))
}

/// Revoke a key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why, shown to administrators when one of its packages is refused.
    pub reason: String,
}

/// Revokes a key: packages it signed no longer install or run, on every host.
#[utoipa::path(post, path = "/api/v1/trust/keys/{key_id}/revoke", tag = "trust", request_body = RevokeRequest,
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 200, body = TrustView), (status = 422, body = Problem)))]
pub async fn revoke(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(id): PathParam<String>,
    JsonBody(request): JsonBody<RevokeRequest>,
) -> Result<Json<TrustView>, Problem> {
    principal.require(Action::ChangeTrust)?;
    let key = key_id(&id)?;
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Problem::unprocessable(
            "say why the key is revoked (a leak, a vendor's request)",
        )
        .field("reason"));
    }
    state
        .host
        .installations()
        .update_trust(
            &principal.actor(),
            "trust-revoke",
            serde_json::json!({ "key": id, "reason": reason }),
            |t| {
                t.revoke(Revocation {
                    key_id: key,
                    reason,
                    revoked_at: crate::unix_now(),
                });
                Ok(())
            },
        )
        .await?;
    Ok(Json(current(&state).await?))
}

/// Applies a vendor's rotation statement (signed by the old key and the new one): the new key
/// is trusted for the old key's vendor and scope.
#[utoipa::path(post, path = "/api/v1/trust/rotations", tag = "trust", request_body(content = Object, description = "The rotation statement as the vendor's `zemstvo keys rotate` wrote it"),
    responses((status = 200, body = TrustView), (status = 422, body = Problem)))]
pub async fn rotate(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    JsonBody(statement): JsonBody<RotationStatement>,
) -> Result<Json<TrustView>, Problem> {
    principal.require(Action::ChangeTrust)?;
    state
        .host
        .installations().update_trust(
            &principal.actor(),
            "trust-rotate",
            serde_json::json!({ "old": statement.old_key_id().to_string(), "new": statement.new_key_id().to_string() }),
            |t| t.apply_rotation(&statement),
        )
        .await?;
    Ok(Json(current(&state).await?))
}
