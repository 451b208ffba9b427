//! Publishing, and registering a rotated key: the two changes a vendor makes itself, each
//! proved by a signature instead of a password.
//!
//! A publish is checked in this order, and nothing is written until every check passed:
//! 1. the request carries `x-zemstvo-key-id`, `x-zemstvo-nonce`, `x-zemstvo-signature`
//!    (else 401 `missing_credentials`, before the body is read);
//! 2. the key is registered (401 `unknown_key`) and not revoked (403 `revoked_key`), before
//!    the body is read;
//! 3. the upload is within the size limit (413 `too_large`, by `Content-Length` before
//!    reading and by counting while reading), and the signature over
//!    `nonce "\n" sha256(body)` verifies (401 `bad_request_signature`);
//! 4. the body is a well-formed package (400 `invalid_package`) naming the key's vendor (403);
//! 5. the package's own signatures pass the same [`TrustStore::verify`] a region runs, with
//!    the vendor's registered keys and scope (422 `component_changed` / `bad_signature`, 403
//!    `unknown_key` / `revoked_key` / `outside_scope`);
//!    where the registry checks components (`ServerSettings::components`), the component
//!    loads as a plugin (422 `not_a_plugin`) whose own metadata — name, version, kind,
//!    capabilities, configuration — is the manifest's (422 `manifest_mismatch`);
//! 6. in one transaction: the challenge is consumed (401 `challenge_invalid`), the name is
//!    the vendor's (403 `name_owned`), the version is new (409 `version_exists`).

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};

use super::conn::ClientAddr;
use super::error::{ApiError, ApiJson};
use super::{AppState, unix_now};
use crate::api::{Challenge, Published, VersionInfo, headers, publish_request_body};
use crate::keys::{KeyId, random_hex};
use crate::package::{Package, package_sha256};
use crate::rotation::RotationStatement;
use crate::signature::SignedDomain;
use crate::store::packages::ChallengeRequester;
use crate::store::{NewVersion, StoreError};
use crate::trust::TrustStore;

/// A one-time publish challenge. A request naming a registered, unrevoked key
/// (`x-zemstvo-key-id`, as `zemstvo plugin publish` does) draws on that key's own share, which
/// anonymous requests cannot touch; anonymous requests are limited per client address and in
/// all (see [`Store::add_challenge`](crate::store::Store::add_challenge)).
pub async fn challenge(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    extensions: Extensions,
) -> Result<(StatusCode, Json<Challenge>), ApiError> {
    let nonce = random_hex(32).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "registry_failure",
            e.to_string(),
        )
    })?;
    let client = extensions
        .get::<ConnectInfo<ClientAddr>>()
        .map(|ConnectInfo(ClientAddr(addr))| addr.ip().to_string())
        .unwrap_or_default();
    let named = request_headers
        .get(headers::KEY_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<KeyId>().ok());
    let key_id = match named {
        // Only a registered key that still signs gets its own share.
        Some(id) => state
            .store()
            .key(&id)
            .await?
            .filter(|k| k.revocation.is_none())
            .map(|_| id.to_string()),
        None => None,
    };
    let now = unix_now();
    let expires_at = now + state.settings().challenge_ttl.as_secs() as i64;
    state
        .store()
        .add_challenge(
            &nonce,
            expires_at,
            now,
            &ChallengeRequester { client, key_id },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Challenge {
            nonce,
            expires_at,
            max_upload_bytes: state.settings().max_upload_bytes as u64,
        }),
    ))
}

fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "missing_credentials",
                format!(
                    "a publish must be signed by one of the vendor's registered keys: header \
                     `{name}` is missing; publish with `zemstvo plugin publish FILE --key \
                     signing-key.json`"
                ),
            )
            .with("header", name)
        })
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "the upload is larger than this registry's limit of {limit} bytes; nothing was stored"
        ),
    )
    .with("limit", limit as u64)
}

pub async fn publish(
    State(state): State<AppState>,
    request_headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let key_id = required(&request_headers, headers::KEY_ID)?;
    let nonce = required(&request_headers, headers::NONCE)?.to_string();
    let signature = required(&request_headers, headers::SIGNATURE)?.to_string();
    let key_id: KeyId = key_id
        .parse()
        .map_err(|e: crate::keys::KeyError| ApiError::unauthorized("unknown_key", e.to_string()))?;

    // Who is asking comes first: an unknown or revoked key uploads nothing.
    let key = state.store().key(&key_id).await?.ok_or_else(|| {
        ApiError::unauthorized(
            "unknown_key",
            format!(
                "key {key_id} is not registered at this registry; ask the operator to register \
                 your public key with `zemstvo registry key add`"
            ),
        )
    })?;
    if let Some(revocation) = &key.revocation {
        return Err(StoreError::KeyRevoked {
            key_id,
            reason: revocation.reason.clone(),
        }
        .into());
    }
    let limit = state.settings().max_upload_bytes;
    let declared = request_headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))?;
    let sha256 = package_sha256(&bytes);

    key.public_key
        .verify(
            SignedDomain::PublishRequest,
            &publish_request_body(&nonce, &sha256),
            &signature,
        )
        .map_err(|_| {
            ApiError::unauthorized(
                "bad_request_signature",
                format!(
                    "the request's signature does not verify with key {key_id} over this upload \
                     and challenge; sign with the key you name, and do not change the file after \
                     signing"
                ),
            )
        })?;

    let package = Package::read(&bytes)?;
    // What no region would load is refused here, with the limit named.
    let cap = zemstvo_core::limits::DEFAULT_MAX_COMPONENT_BYTES;
    if package.component().len() > cap {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "component_too_large",
            format!(
                "the package's component is {} bytes; regions load plugins of at most {cap} \
                 bytes by default; build the plugin in release mode (`zemstvo plugin build`)",
                package.component().len()
            ),
        ));
    }
    let manifest = package.manifest();
    if manifest.vendor != key.vendor {
        return Err(ApiError::forbidden(
            "vendor_mismatch",
            format!(
                "the request is signed by a key of vendor {}, but the package names vendor {}; \
                 publish your own packages with your own key",
                key.vendor, manifest.vendor
            ),
        ));
    }
    let vendor = state
        .store()
        .vendor(&key.vendor)
        .await?
        .ok_or_else(|| StoreError::UnknownVendor(key.vendor.clone()))?;
    // The registry checks the package exactly as a region will, with the vendor's keys.
    let mut trust = TrustStore::new();
    let events = state.store().key_events().await?;
    for revocation in events.revocations {
        trust.revoke(revocation);
    }
    for k in &vendor.keys {
        // Revoked keys are refused by `trust`; they are in the revocations above anyway.
        let _ = trust.trust(
            k.public_key.clone(),
            vendor.id.clone(),
            vendor.scope.clone(),
        );
    }
    let verified = trust.verify(&package)?;
    if let Some(check) = &state.settings().components {
        // The manifest must describe its component: a re-signed manifest naming another
        // plugin or version than the code it carries is refused here, not at a region.
        let loaded = check.0.load(package.component()).await.map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_plugin",
                format!("the package's component does not load as a zemstvo plugin: {e}"),
            )
        })?;
        manifest.check_matches(loaded.as_ref()).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "manifest_mismatch",
                e.to_string(),
            )
        })?;
    }

    let info = VersionInfo {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        kind: manifest.kind,
        vendor: manifest.vendor.clone(),
        title: manifest.title.clone(),
        description: manifest.description.clone(),
        package_sha256: sha256.clone(),
        component_sha256: manifest.component_sha256.clone(),
        size: bytes.len() as u64,
        signed_by: verified.key_id.clone(),
        yanked: false,
        published_at: unix_now(),
    };
    let new = NewVersion {
        manifest: String::from_utf8_lossy(package.manifest_bytes()).into_owned(),
        bytes: bytes.to_vec(),
        info,
    };
    state
        .store()
        .publish(&new, Some(&nonce), new.info.published_at)
        .await?;
    tracing::info!(name = %new.info.name, version = %new.info.version, "published");
    Ok((
        StatusCode::CREATED,
        Json(Published {
            name: new.info.name,
            version: new.info.version,
            package_sha256: sha256,
            signed_by: verified.key_id,
        }),
    ))
}

/// Registers the new key of a rotation statement for the old key's vendor. The statement is
/// its own proof: signed by a registered, unrevoked key and by the new key.
pub async fn rotation(
    State(state): State<AppState>,
    ApiJson(statement): ApiJson<RotationStatement>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    statement
        .verify()
        .map_err(|e| ApiError::bad_request("invalid_rotation", e.to_string()))?;
    let old_id = statement.old_key_id();
    let old = state.store().key(&old_id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_key",
            format!(
                "the old key {old_id} is not registered here, so it cannot introduce a new key; \
                 ask the operator to register the new key with `zemstvo registry key add`"
            ),
        )
    })?;
    if let Some(revocation) = old.revocation {
        return Err(StoreError::KeyRevoked {
            key_id: old_id,
            reason: revocation.reason,
        }
        .into());
    }
    let new_id = state
        .store()
        .add_key(
            &old.vendor,
            &statement.new_key,
            Some(&statement),
            unix_now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"key_id": new_id, "vendor": old.vendor, "rotated_from": old_id})),
    ))
}
