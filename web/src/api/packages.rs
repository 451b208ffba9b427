//! Installing and upgrading plugins over HTTP: from the region's configured registry or
//! mirror (`registry` in `region.toml`), or from a package file the administrator uploads.
//!
//! Every package goes through the same checks as `zemstvo plugin install`: the region's trust
//! store, the signature, the component's load limits, the host version. A refusal changes
//! nothing. A caller names a package, never a URL: the service fetches only from the source the
//! region configured, so the API cannot be made to reach anywhere else.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_registry::{PackageName, PackageSource, PackageSpec};
use zemstvo_service::{InstallAction, InstallOptions, InstallOutcome};

use super::plugins::if_match;
use super::{JsonBody, PathParam, QueryParams};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// What an install, upgrade or upload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallView {
    pub name: String,
    pub version: String,
    /// The version installed before, if any.
    pub previous: Option<String>,
    /// installed, upgraded, downgraded, rolled_back or already_installed.
    pub action: String,
    /// The vendor and key that signed the package.
    pub vendor: String,
    pub signer: String,
    /// Capabilities it declares that the region has not granted: grant them before enabling.
    pub ungranted: Vec<String>,
}

impl From<InstallOutcome> for InstallView {
    fn from(o: InstallOutcome) -> Self {
        InstallView {
            name: o.name,
            version: o.version,
            previous: o.previous,
            action: match o.action {
                InstallAction::Installed => "installed",
                InstallAction::Upgraded => "upgraded",
                InstallAction::Downgraded => "downgraded",
                InstallAction::RolledBack => "rolled_back",
                InstallAction::AlreadyInstalled => "already_installed",
            }
            .into(),
            vendor: o.vendor,
            signer: o.signer,
            ungranted: o.ungranted.iter().map(|c| c.to_string()).collect(),
        }
    }
}

fn answer(outcome: InstallOutcome) -> (StatusCode, Json<InstallView>) {
    let status = if outcome.action == InstallAction::Installed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(outcome.into()))
}

/// The region's configured package source.
fn source(state: &WebState) -> Result<PackageSource, Problem> {
    let Some(location) = &state.host.settings().registry else {
        return Err(Problem::unprocessable(
            "this region has no registry or mirror configured: set `registry` in region.toml \
             and restart the host, or upload the package file to /api/v1/packages",
        ));
    };
    PackageSource::open(location).map_err(|e| {
        Problem::unprocessable(format!(
            "the region's registry `{location}` cannot be used: {e}; fix `registry` in region.toml"
        ))
    })
}

/// Install a plugin from the registry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// The package's name, e.g. `isu-smev-answer-delay`.
    pub name: String,
    /// A version requirement (`^1.2`, `=1.2.3`); the newest version by default.
    pub version: Option<String>,
    /// Enable it once installed.
    #[serde(default)]
    pub enable: bool,
    /// Grant every capability it declares.
    #[serde(default)]
    pub grant_declared: bool,
    /// Allow installing a lower version than the installed one.
    #[serde(default)]
    pub allow_downgrade: bool,
}

/// Installs (or upgrades to) a version from the region's registry or mirror.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", request_body = InstallRequest,
    responses((status = 201, body = InstallView), (status = 200, body = InstallView), (status = 422, body = Problem)))]
pub async fn install(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    JsonBody(request): JsonBody<InstallRequest>,
) -> Result<(StatusCode, Json<InstallView>), Problem> {
    principal.require(Action::ChangePlugins)?;
    let spec = match &request.version {
        Some(req) => format!("{}@{req}", request.name),
        None => request.name.clone(),
    };
    let spec: PackageSpec = spec
        .parse()
        .map_err(|e| Problem::unprocessable(format!("{e}")).field("name"))?;
    let source = source(&state)?;
    let options = InstallOptions {
        enable: request.enable,
        grant_declared: request.grant_declared,
        allow_downgrade: request.allow_downgrade,
        actor: principal.actor(),
        if_revision: None,
    };
    let outcome = state
        .host
        .installations()
        .install_from(&source, &spec, &options, &mut |_| {})
        .await?;
    Ok(answer(outcome))
}

/// Upgrade an installed plugin.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    /// Grant every capability the new version declares.
    #[serde(default)]
    pub grant_declared: bool,
}

/// Upgrades a plugin to the newest version the registry has (yanked versions skipped).
/// `If-Match` makes it happen only if nobody changed the plugin meanwhile.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/upgrade", tag = "plugins", request_body = UpgradeRequest,
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = InstallView), (status = 422, body = Problem), (status = 412, body = Problem)))]
pub async fn upgrade(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<UpgradeRequest>,
) -> Result<(StatusCode, Json<InstallView>), Problem> {
    principal.require(Action::ChangePlugins)?;
    let if_revision = if_match(&headers)?;
    let name = PackageName::new(&name).map_err(|e| Problem::not_found(e.to_string()))?;
    if state.store().installation(name.as_str()).await?.is_none() {
        return Err(Problem::not_found(format!(
            "no plugin `{name}` is installed; install it with POST /api/v1/plugins"
        )));
    }
    let source = source(&state)?;
    let spec = PackageSpec {
        name,
        req: semver::VersionReq::STAR,
    };
    let options = InstallOptions {
        grant_declared: request.grant_declared,
        actor: principal.actor(),
        if_revision,
        ..InstallOptions::default()
    };
    let outcome = state
        .host
        .installations()
        .install_from(&source, &spec, &options, &mut |_| {})
        .await?;
    Ok((StatusCode::OK, Json(outcome.into())))
}

/// How an uploaded package is installed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadOptions {
    /// Enable it once installed.
    pub enable: Option<bool>,
    /// Grant every capability it declares.
    pub grant_declared: Option<bool>,
    /// Allow installing a lower version than the installed one.
    pub allow_downgrade: Option<bool>,
}

/// The content type of a package file.
pub const PACKAGE_MEDIA_TYPE: &str = "application/octet-stream";

/// Refuses an uploaded package file of another media type or an empty one, before anything
/// reads it (its size is bounded by the route's body limit).
pub(crate) fn check_upload(headers: &HeaderMap, body: &Bytes) -> Result<(), Problem> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media.starts_with(PACKAGE_MEDIA_TYPE) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid-body",
            format!("send the package file as {PACKAGE_MEDIA_TYPE}"),
        ));
    }
    if body.is_empty() {
        return Err(Problem::unprocessable("the package file is empty").field("body"));
    }
    Ok(())
}

/// Installs an uploaded package file (`.zpkg`, as `zemstvo plugin pack` writes it), verified
/// against the region's trust store.
#[utoipa::path(post, path = "/api/v1/packages", tag = "plugins", params(UploadOptions),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The package file"),
    responses((status = 201, body = InstallView), (status = 200, body = InstallView), (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(upload): QueryParams<UploadOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<InstallView>), Problem> {
    principal.require(Action::ChangePlugins)?;
    check_upload(&headers, &body)?;
    let options = InstallOptions {
        enable: upload.enable.unwrap_or(false),
        grant_declared: upload.grant_declared.unwrap_or(false),
        allow_downgrade: upload.allow_downgrade.unwrap_or(false),
        actor: principal.actor(),
        if_revision: None,
    };
    let outcome = state
        .host
        .installations()
        .install_package(&body, &options)
        .await?;
    Ok(answer(outcome))
}

/// The largest package file the API reads: the region's component limit and room for the
/// manifest and signatures.
pub fn max_package_bytes(state: &WebState) -> usize {
    state
        .host
        .runtime_settings()
        .max_component_bytes
        .saturating_add(1 << 20)
}
