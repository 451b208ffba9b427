//! A rule's shadow version: what it would have decided differently from the live version, on
//! the same applications and the same agencies' answers, decision by decision; for
//! administrators the buttons that start, promote and discard it. The work is the host's
//! (`RegionHost::start_shadow` and the rest); the page only shows and asks.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_host::PluginKind;
use zemstvo_service::{Candidate, ReplayError, ShadowError, ShadowReport};

use super::forms::PostedForm;
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// Differences the page lists; the rest are counted.
const LISTED: u32 = 200;

#[derive(Debug, Serialize)]
struct Change {
    kind: String,
    count: String,
}

#[derive(Debug, Serialize)]
struct Line {
    application: u64,
    kind: String,
    live: String,
    shadow: String,
}

#[derive(Debug, Serialize)]
struct Summary {
    version: String,
    live_version: String,
    started_at: i64,
    started_by: String,
    compared: String,
    identical: String,
    explained: String,
    changed: String,
    failed: String,
    behind: String,
    more: String,
}

/// A kind of change as people read it.
fn kind_text(kind: &str) -> String {
    let id = match kind {
        "approved → denied" => "shadow-kind-approved-denied",
        "denied → approved" => "shadow-kind-denied-approved",
        "amount changed" => "shadow-kind-amount",
        "assignment changed" => "shadow-kind-assignment",
        "reasons changed" => "shadow-kind-reasons",
        "requests changed" => "shadow-kind-requests",
        "asked → decided" => "shadow-kind-asked-decided",
        "decided → asks for more" => "shadow-kind-decided-asks",
        "failed → answered" => "shadow-kind-failed-answered",
        "candidate failed" => "shadow-kind-failed",
        _ => return kind.to_string(),
    };
    t(id)
}

fn summary(r: &ShadowReport) -> Summary {
    let c = &r.shadow.counts;
    let listed = r.differences.len() as u64;
    Summary {
        version: r.shadow.version.clone(),
        live_version: r.live_version.clone().unwrap_or_default(),
        started_at: r.shadow.started_at,
        started_by: r.shadow.started_by.clone(),
        compared: text::number(c.compared as i64),
        identical: text::number((c.identical + c.explained_differently) as i64),
        explained: text::number(c.explained_differently as i64),
        changed: text::number(c.changed as i64),
        failed: text::number(c.failed as i64),
        behind: text::number(r.behind as i64),
        more: text::number((c.changed + c.failed).saturating_sub(listed) as i64),
    }
}

async fn page(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    status: StatusCode,
    typed_version: &str,
    errors: &[FieldError],
    flash: Option<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAudit)?;
    let installation = state
        .store()
        .installation(name)
        .await?
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))?;
    if installation.kind != PluginKind::EligibilityRule {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let report = match state.host.shadow_report(name, LISTED).await {
        Ok(report) => Some(report),
        Err(ShadowError::NoShadow(_)) => None,
        Err(ShadowError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(Problem::unprocessable(other.to_string()).into()),
    };
    // The versions the region holds besides the live one: what the form offers first.
    let held: Vec<String> = state
        .store()
        .package_versions(name)
        .await?
        .into_iter()
        .map(|(version, _)| version)
        .filter(|v| *v != installation.version)
        .collect();
    let changes: Vec<Change> = report
        .as_ref()
        .map(|r| {
            r.changes
                .iter()
                .map(|(kind, n)| Change {
                    kind: kind_text(kind),
                    count: text::number(*n as i64),
                })
                .collect()
        })
        .unwrap_or_default();
    let lines: Vec<Line> = report
        .as_ref()
        .map(|r| {
            r.differences
                .iter()
                .map(|d| Line {
                    application: d.application,
                    kind: kind_text(&d.kind),
                    live: d.live.clone(),
                    shadow: d.shadow.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "shadow.html",
        "/plugins",
        context! {
            title => t_with("shadow-title", &[("name", Arg::Text(name.to_string()))]),
            plugin => name,
            live_version => installation.version,
            summary => report.as_ref().map(|r| Value::from_serialize(summary(r))),
            changes => Value::from_serialize(&changes),
            lines => Value::from_serialize(&lines),
            held => held,
            typed_version => typed_version,
            can_change => viewer.may(Action::ChangePlugins),
            errors => errors,
            field_errors => field_errors,
            flash => flash,
        },
    ))
}

/// `/plugins/{name}/shadow`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let flash = match query.as_deref() {
        Some("done=started") => Some(t("shadow-started")),
        Some("done=discarded") => Some(t("shadow-discarded")),
        _ => None,
    };
    page(&state, &viewer, &name, StatusCode::OK, "", &[], flash).await
}

/// Starts a shadow of the version typed or chosen; a refusal (unknown version, the live one,
/// a package that does not verify, one already running) is shown by the field.
pub async fn start(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let version = form.get("version").trim().to_string();
    let refused = |message: String| {
        let state = &state;
        let name = &name;
        let version = &version;
        async move {
            let errors = [FieldError::new("version", message)];
            page(
                state,
                viewer,
                name,
                StatusCode::UNPROCESSABLE_ENTITY,
                version,
                &errors,
                None,
            )
            .await
        }
    };
    if semver::Version::parse(&version).is_err() {
        return refused(t("error-shadow-version")).await;
    }
    match state
        .host
        .start_shadow(
            &name,
            &Candidate::Version(version.clone()),
            &viewer.principal.actor(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plugins/{name}/shadow?done=started")).into_response()),
        Err(ShadowError::Store(zemstvo_store::StoreError::Conflict(_))) => {
            refused(t("error-shadow-exists")).await
        }
        Err(ShadowError::Store(e)) => Err(e.into()),
        Err(other) => refused(refusal(&other, &version)).await,
    }
}

/// Why a shadow did not start, as the administrator reads it.
fn refusal(e: &ShadowError, version: &str) -> String {
    let version = || ("version", Arg::Text(version.to_string()));
    match e {
        ShadowError::Candidate(ReplayError::UnknownVersion { .. }) => {
            t_with("error-shadow-unknown", &[version()])
        }
        ShadowError::SameAsInstalled { .. } => t_with("error-shadow-live", &[version()]),
        ShadowError::Unsigned { .. } => t_with("error-shadow-unsigned", &[version()]),
        ShadowError::Candidate(ReplayError::Refused(detail)) => t_with(
            "error-shadow-refused",
            &[("detail", Arg::Text(detail.clone()))],
        ),
        other => t_with("error-shadow", &[("detail", Arg::Text(other.to_string()))]),
    }
}

/// Installs the shadow as the live version and ends it; the plugin's page says so.
pub async fn promote(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    match state
        .host
        .promote_shadow(&name, &viewer.principal.actor(), None)
        .await
    {
        Ok((outcome, _)) => Ok(Redirect::to(&format!(
            "/plugins/{name}?done={}&from={}",
            match outcome.action {
                zemstvo_service::InstallAction::Downgraded => "downgraded",
                _ => "upgraded",
            },
            outcome.previous.unwrap_or_default()
        ))
        .into_response()),
        Err(ShadowError::Store(e)) => Err(e.into()),
        Err(other) => {
            let errors = [FieldError::new(
                "promote",
                t_with("error-shadow", &[("detail", Arg::Text(other.to_string()))]),
            )];
            page(
                &state,
                viewer,
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                &errors,
                None,
            )
            .await
        }
    }
}

/// Ends the shadow without installing it.
pub async fn discard(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    form.viewer.require(Action::ChangePlugins)?;
    match state
        .host
        .discard_shadow(&name, &form.viewer.principal.actor())
        .await
    {
        Ok(_) | Err(ShadowError::NoShadow(_)) => {
            Ok(Redirect::to(&format!("/plugins/{name}/shadow?done=discarded")).into_response())
        }
        Err(ShadowError::Store(e)) => Err(e.into()),
        Err(other) => Err(Problem::unprocessable(other.to_string()).into()),
    }
}
