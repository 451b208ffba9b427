//! What only the registry operator may do (the [`Admin`] extractor checks the token first):
//! register vendors and their keys, revoke keys, yank and un-yank versions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::Admin;
use super::error::{ApiError, ApiJson, ApiPath};
use super::{AppState, unix_now};
use crate::api::{NewKey, NewVendor, RevokeKey, VendorInfo, VersionInfo};
use crate::keys::KeyId;
use crate::name::{NamePattern, PackageName, VendorId};
use crate::resolve::parse_version;
use crate::rotation::Revocation;
use crate::store::StoreError;

pub async fn add_vendor(
    _: Admin,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewVendor>,
) -> Result<(StatusCode, Json<VendorInfo>), ApiError> {
    let scope = new.scope.unwrap_or_else(|| vec![NamePattern::any()]);
    if scope.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_scope",
            "a vendor needs at least one name pattern; use `*` for every name",
        ));
    }
    let display_name = new
        .display_name
        .unwrap_or_else(|| new.id.to_string())
        .trim()
        .to_string();
    state
        .store()
        .add_vendor(&new.id, &display_name, &scope, unix_now())
        .await?;
    let vendor = state
        .store()
        .vendor(&new.id)
        .await?
        .ok_or_else(|| StoreError::UnknownVendor(new.id.clone()))?;
    Ok((StatusCode::CREATED, Json(vendor)))
}

pub async fn add_key(
    _: Admin,
    State(state): State<AppState>,
    ApiPath(vendor): ApiPath<String>,
    ApiJson(new): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let vendor = VendorId::new(vendor)?;
    let key_id = state
        .store()
        .add_key(&vendor, &new.public_key, None, unix_now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"key_id": key_id, "vendor": vendor})),
    ))
}

pub async fn revoke_key(
    _: Admin,
    State(state): State<AppState>,
    ApiPath(key_id): ApiPath<String>,
    ApiJson(body): ApiJson<RevokeKey>,
) -> Result<(StatusCode, Json<Revocation>), ApiError> {
    let key_id: KeyId = key_id.parse().map_err(|e: crate::keys::KeyError| {
        ApiError::bad_request("invalid_key_id", e.to_string())
    })?;
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_reason",
            "say why the key is revoked (e.g. \"key leaked\"); regions show it to administrators",
        ));
    }
    let revocation = state
        .store()
        .revoke_key(&key_id, reason, unix_now())
        .await?;
    Ok((StatusCode::CREATED, Json(revocation)))
}

pub async fn yank(
    admin: Admin,
    state: State<AppState>,
    path: ApiPath<(String, String)>,
) -> Result<Json<VersionInfo>, ApiError> {
    set_yanked(admin, state, path, true).await
}

pub async fn unyank(
    admin: Admin,
    state: State<AppState>,
    path: ApiPath<(String, String)>,
) -> Result<Json<VersionInfo>, ApiError> {
    set_yanked(admin, state, path, false).await
}

async fn set_yanked(
    _: Admin,
    State(state): State<AppState>,
    ApiPath((name, version)): ApiPath<(String, String)>,
    yanked: bool,
) -> Result<Json<VersionInfo>, ApiError> {
    let name = PackageName::new(name)?;
    let version = parse_version(&version)?;
    Ok(Json(
        state.store().set_yanked(&name, &version, yanked).await?,
    ))
}
