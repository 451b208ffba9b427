//! What anyone may read: search, versions, resolution, downloads, vendors and their keys,
//! revocations and rotations.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, ApiPath, ApiQuery};
use crate::api::{KeyEvents, PackageSummary, PackageVersions, VendorInfo, VersionInfo, headers};
use crate::name::{PackageName, VendorId};
use crate::package::package_sha256;
use crate::resolve::{ResolveError, parse_requirement, parse_version, resolve as pick};

pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<PackageSummary>>, ApiError> {
    Ok(Json(state.store().search(&query.q).await?))
}

pub async fn versions(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<PackageVersions>, ApiError> {
    let name = PackageName::new(name)?;
    Ok(Json(state.store().versions(&name).await?))
}

#[derive(Deserialize)]
pub struct ResolveQuery {
    req: Option<String>,
}

pub async fn resolve(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ResolveQuery>,
) -> Result<Json<VersionInfo>, ApiError> {
    let name = PackageName::new(name)?;
    let req = parse_requirement(query.req.as_deref().unwrap_or("*"))?;
    let versions = state.store().versions(&name).await?;
    Ok(Json(pick(&name, &versions.versions, &req)?.clone()))
}

pub async fn version(
    State(state): State<AppState>,
    ApiPath((name, version)): ApiPath<(String, String)>,
) -> Result<Json<VersionInfo>, ApiError> {
    let name = PackageName::new(name)?;
    let version = parse_version(&version)?;
    let versions = state.store().versions(&name).await?;
    versions
        .versions
        .into_iter()
        .find(|v| v.version == version)
        .map(Json)
        .ok_or_else(|| ResolveError::UnknownVersion { name, version }.into())
}

/// The package file, exactly as published. The bytes are checked against the sha256
/// recorded at publish before they leave, so a damaged database is noticed here, not at
/// every region.
pub async fn download(
    State(state): State<AppState>,
    ApiPath((name, version)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let name = PackageName::new(name)?;
    let version = parse_version(&version)?;
    let (bytes, recorded) = state.store().package_file(&name, &version).await?;
    if package_sha256(&bytes) != recorded {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "stored_package_corrupt",
            format!(
                "the stored file of {name} {version} no longer has the sha256 recorded at \
                 publish; the registry refuses to serve it; tell the operator"
            ),
        ));
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.zemstvo.package".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-{version}.zpkg\""),
            ),
            (
                header::HeaderName::from_static(headers::PACKAGE_SHA256),
                recorded,
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

pub async fn vendors(State(state): State<AppState>) -> Result<Json<Vec<VendorInfo>>, ApiError> {
    Ok(Json(state.store().vendors().await?))
}

pub async fn vendor(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VendorInfo>, ApiError> {
    let id = VendorId::new(id)?;
    state
        .store()
        .vendor(&id)
        .await?
        .map(Json)
        .ok_or_else(|| crate::store::StoreError::UnknownVendor(id).into())
}

pub async fn key_events(State(state): State<AppState>) -> Result<Json<KeyEvents>, ApiError> {
    Ok(Json(state.store().key_events().await?))
}
