//! Installing and upgrading plugins from the pages, for administrators: from the region's
//! configured registry or mirror (a name and a version requirement, never a URL), or from a
//! package file. The same service calls as the API and the CLI, so every package passes the
//! region's trust store; a refusal is shown by the field it concerns with what to do, and
//! changes nothing. After an install the plugin's page shows the verification: who signed the
//! package, its sha256, and what it asks to be granted.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use zemstvo_registry::{PackageName, PackageSource, PackageSpec, TrustError};
use zemstvo_service::{InstallAction, InstallError, InstallOptions, InstallOutcome};

use super::forms::{PostedForm, UploadedForm};
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::Arg;
use crate::policy::Action;
use crate::state::WebState;

/// What the install page's registry form had typed.
#[derive(Debug, Default)]
struct Typed {
    name: String,
    version: String,
    enable: bool,
    grant_declared: bool,
}

/// A refusal in words: what happened and what to do (Russian, by kind), with the service's
/// own text for the details.
pub fn refusal_text(error: &InstallError) -> String {
    let id = match error {
        InstallError::NoTrustedKeys => "install-refused-no-keys",
        InstallError::Pinned { .. } => "install-refused-pinned",
        InstallError::Downgrade { .. } => "install-refused-downgrade",
        InstallError::NothingToRollBack(_) => "install-refused-nothing-to-roll-back",
        InstallError::Source(_) => "install-refused-source",
        InstallError::Trust(TrustError::Malformed(_)) => "install-refused-malformed",
        InstallError::Trust(TrustError::UnknownKey { .. }) => "install-refused-unknown-key",
        InstallError::Trust(TrustError::RevokedKey { .. }) => "install-refused-revoked-key",
        InstallError::Trust(TrustError::OutsideScope { .. }) => "install-refused-scope",
        InstallError::Trust(_) | InstallError::Manifest(_) => "install-refused-trust",
        InstallError::Load(_) => "install-refused-load",
        InstallError::HostTooOld { .. } => "install-refused-host-too-old",
        _ => "install-refused-other",
    };
    t_with(id, &[("detail", Arg::Text(error.to_string()))])
}

/// The region's configured package source, or why there is none (for the page).
fn source(state: &WebState) -> Result<PackageSource, String> {
    let Some(location) = &state.host.settings().registry else {
        return Err(t("install-no-registry"));
    };
    PackageSource::open(location).map_err(|e| {
        t_with(
            "install-registry-broken",
            &[
                ("registry", Arg::Text(location.clone())),
                ("detail", Arg::Text(e.to_string())),
            ],
        )
    })
}

/// Where an install leads: the plugin's page with the verification shown.
fn installed(outcome: &InstallOutcome) -> Response {
    let action = match outcome.action {
        InstallAction::Installed => "installed",
        InstallAction::Upgraded => "upgraded",
        InstallAction::Downgraded => "downgraded",
        InstallAction::RolledBack => "rolled-back",
        InstallAction::AlreadyInstalled => "already-installed",
    };
    let mut query = vec![("done", action.to_string())];
    if let Some(previous) = &outcome.previous {
        query.push(("from", previous.clone()));
    }
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    Redirect::to(&format!("/plugins/{}?{query}#verified", outcome.name)).into_response()
}

async fn install_page(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    typed: &Typed,
    upload: (bool, bool),
    errors: &[FieldError],
) -> Result<Response, PageError> {
    viewer.require(Action::ChangePlugins)?;
    let registry = state.host.settings().registry.clone();
    let registry_problem = source(state).err();
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "install.html",
        "/plugins",
        context! {
            title => t("install-title"),
            registry => registry,
            registry_problem => registry_problem,
            name => typed.name.clone(),
            version => typed.version.clone(),
            enable => typed.enable,
            grant_declared => typed.grant_declared,
            upload_enable => upload.0,
            upload_grant_declared => upload.1,
            max_mib => crate::api::packages::max_package_bytes(state) >> 20,
            errors => errors,
            field_errors => field_errors,
        },
    ))
}

/// `/packages`: install from the region's registry or from a package file.
pub async fn form(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    install_page(
        &state,
        &viewer,
        StatusCode::OK,
        &Typed::default(),
        (false, false),
        &[],
    )
    .await
}

/// Installs a version from the region's registry or mirror.
pub async fn install(
    State(state): State<Arc<WebState>>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let typed = Typed {
        name: form.get("name").to_string(),
        version: form.get("version").to_string(),
        enable: form.get("enable") == "true",
        grant_declared: form.get("grant_declared") == "true",
    };
    let name = typed.name.trim();
    let version = typed.version.trim();
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError::new("name", t("error-install-name-empty")));
    } else if PackageName::new(name).is_err() {
        errors.push(FieldError::new("name", t("error-install-name")));
    }
    let spec = if version.is_empty() {
        name.to_string()
    } else {
        format!("{name}@{version}")
    };
    let spec = match spec.parse::<PackageSpec>() {
        Ok(spec) => Some(spec),
        Err(_) => {
            if errors.is_empty() {
                errors.push(FieldError::new("version", t("error-install-version")));
            }
            None
        }
    };
    let source = match source(&state) {
        Ok(source) => Some(source),
        Err(problem) => {
            errors.push(FieldError::new("name", problem));
            None
        }
    };
    if let (true, Some(spec), Some(source)) = (errors.is_empty(), spec, source) {
        let options = InstallOptions {
            enable: typed.enable,
            grant_declared: typed.grant_declared,
            actor: viewer.principal.actor(),
            ..InstallOptions::default()
        };
        match state
            .host
            .installations()
            .install_from(&source, &spec, &options, &mut |_| {})
            .await
        {
            Ok(outcome) => return Ok(installed(&outcome)),
            Err(InstallError::Store(e)) => return Err(e.into()),
            Err(refused) => errors.push(FieldError::new("name", refusal_text(&refused))),
        }
    }
    install_page(
        &state,
        viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        &typed,
        (false, false),
        &errors,
    )
    .await
}

/// Installs an uploaded package file, verified against the region's trust store.
pub async fn upload(
    State(state): State<Arc<WebState>>,
    request: Request,
) -> Result<Response, PageError> {
    // The file and a little room for the form's other fields.
    let limit = crate::api::packages::max_package_bytes(&state) + (64 << 10);
    let form = UploadedForm::read(request, &state, Action::ChangePlugins, limit).await?;
    let viewer = &form.viewer;
    let enable = form.get("enable") == "true";
    let grant_declared = form.get("grant_declared") == "true";
    let message = match form.file("package") {
        None => t("error-upload-none"),
        Some(file) if file.bytes.is_empty() => t("error-upload-empty"),
        Some(file) => {
            let options = InstallOptions {
                enable,
                grant_declared,
                actor: viewer.principal.actor(),
                ..InstallOptions::default()
            };
            match state
                .host
                .installations()
                .install_package(&file.bytes, &options)
                .await
            {
                Ok(outcome) => return Ok(installed(&outcome)),
                Err(InstallError::Store(e)) => return Err(e.into()),
                Err(refused) => refusal_text(&refused),
            }
        }
    };
    install_page(
        &state,
        viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        &Typed::default(),
        (enable, grant_declared),
        &[FieldError::new("package", message)],
    )
    .await
}

/// Upgrades the plugin to the newest version the region's registry has; the plugin's page
/// shows the verification, or the refusal by the button.
pub async fn upgrade(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let package = PackageName::new(&name).map_err(|_| PageError::Status(StatusCode::NOT_FOUND))?;
    if state.store().installation(&name).await?.is_none() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let message = match source(&state) {
        Err(problem) => problem,
        Ok(source) => {
            let spec = PackageSpec {
                name: package,
                req: semver::VersionReq::STAR,
            };
            let options = InstallOptions {
                grant_declared: form.get("grant_declared") == "true",
                actor: viewer.principal.actor(),
                if_revision: form.get("revision").parse::<i64>().ok(),
                ..InstallOptions::default()
            };
            match state
                .host
                .installations()
                .install_from(&source, &spec, &options, &mut |_| {})
                .await
            {
                Ok(outcome) => return Ok(installed(&outcome)),
                Err(InstallError::Store(zemstvo_store::StoreError::Stale(_))) => {
                    t("error-plugin-stale")
                }
                Err(InstallError::Store(e)) => return Err(e.into()),
                Err(refused) => refusal_text(&refused),
            }
        }
    };
    super::plugins::refused_upgrade(&state, viewer, &name, message).await
}
