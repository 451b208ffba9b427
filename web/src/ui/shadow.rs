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
use zemstvo_service::{Candidate, ReplayError, RolloutError, ShadowError, ShadowReport};
use zemstvo_store::rollouts::{Rollout, RolloutSettings, RolloutState};

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

/// A kind of changed decision as people read it (a replay names the same kinds, and an
/// appeal router's too).
pub(super) fn kind_text(kind: &str) -> String {
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
        "outcome changed" => "shadow-kind-outcome",
        "category changed" => "shadow-kind-category",
        "authority changed" => "shadow-kind-authority",
        "routed → to a specialist" => "shadow-kind-to-specialist",
        "to a specialist → routed" => "shadow-kind-from-specialist",
        "merge proposal changed" => "shadow-kind-merge",
        "urgency or impact changed" => "shadow-kind-urgency",
        "deadline changed" => "shadow-kind-deadline",
        "confidence changed" => "shadow-kind-confidence",
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
    (typed_version, typed_rollout): (&str, &RolloutTyped),
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
    let mut held = held_versions(state, name).await?;
    held.retain(|v| *v != installation.version);
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
    let rollout = match &report {
        Some(_) => state.store().rollout(name).await?.map(|r| rollout_view(&r)),
        None => None,
    };
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
            rollout => rollout.map(Value::from_serialize),
            typed_rollout => Value::from_serialize(typed_rollout),
            can_change => viewer.may(Action::ChangePlugins),
            errors => errors,
            field_errors => field_errors,
            flash => flash,
        },
    ))
}

/// The versions of `name` the region holds packages of, which a form can name without the
/// registry.
pub(super) async fn held_versions(state: &WebState, name: &str) -> Result<Vec<String>, PageError> {
    Ok(state
        .store()
        .package_versions(name)
        .await?
        .into_iter()
        .map(|(version, _)| version)
        .collect())
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
        Some("done=rollout-started") => Some(t("rollout-started")),
        Some("done=rollout-stopped") => Some(t("rollout-stopped")),
        _ => None,
    };
    page(
        &state,
        &viewer,
        &name,
        StatusCode::OK,
        ("", &RolloutTyped::default()),
        &[],
        flash,
    )
    .await
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
                (version, &RolloutTyped::default()),
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
                ("", &RolloutTyped::default()),
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

/// A rollout as the page shows it.
#[derive(Debug, Serialize)]
struct RolloutView {
    running: bool,
    share: String,
    measures: String,
    window: String,
    max_failure: String,
    max_changed: String,
    max_duration: String,
    failure_limit: String,
    evaluations: String,
    failed: String,
    started_at: i64,
    started_by: String,
    ended_at: Option<i64>,
    reason: Option<String>,
    last: Option<LastEvaluation>,
}

#[derive(Debug, Serialize)]
struct LastEvaluation {
    passed: bool,
    candidate: String,
    failures: String,
    failure_rate: String,
    live: String,
    differing: String,
    changed_rate: String,
    duration_ratio: String,
}

/// A share (0–1) as people read it, to a tenth of a percent: `2,5 %`.
fn share(x: f64) -> String {
    format!("{}\u{a0}%", text::decimal(x * 100.0, 1))
}

fn rollout_view(r: &Rollout) -> RolloutView {
    let s = &r.settings;
    RolloutView {
        running: r.state == RolloutState::Running,
        share: format!("{}\u{a0}%", s.share_percent),
        measures: s.measures.join(", "),
        window: text::number(i64::from(s.window)),
        max_failure: share(s.max_failure_rate),
        max_changed: share(s.max_changed_rate),
        max_duration: text::decimal(s.max_duration_ratio, 2),
        failure_limit: text::number(i64::from(s.failure_limit)),
        evaluations: text::number(r.evaluations as i64),
        failed: text::number(r.failed_evaluations as i64),
        started_at: r.started_at,
        started_by: r.started_by.clone(),
        ended_at: r.ended_at,
        reason: r.ended_reason.clone(),
        last: r.last_evaluation.as_ref().map(|e| LastEvaluation {
            passed: e.passed(),
            candidate: text::number(e.candidate_decisions as i64),
            failures: text::number(e.candidate_failures as i64),
            failure_rate: share(e.failure_rate),
            live: text::number(e.live_decisions as i64),
            differing: text::number(e.differing as i64),
            changed_rate: e.changed_rate.map(share).unwrap_or_else(|| "—".into()),
            duration_ratio: e
                .duration_ratio
                .map(|r| text::decimal(r, 2))
                .unwrap_or_else(|| "—".into()),
        }),
    }
}

/// What the administrator typed into the rollout form (percentages for the shares), shown
/// again beside a refusal; the CLI's defaults at first.
#[derive(Debug, Serialize)]
pub(crate) struct RolloutTyped {
    share: String,
    window: String,
    max_failure: String,
    max_changed: String,
    max_duration: String,
    failure_limit: String,
}

impl Default for RolloutTyped {
    fn default() -> Self {
        RolloutTyped {
            share: "10".into(),
            window: "100".into(),
            max_failure: "2".into(),
            max_changed: "5".into(),
            max_duration: "2".into(),
            failure_limit: "2".into(),
        }
    }
}

impl RolloutTyped {
    /// The settings, or the fields that are not numbers.
    fn settings(&self) -> Result<RolloutSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        fn number(text: &str) -> Option<f64> {
            text.trim()
                .replace(',', ".")
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
        }
        let mut field = |name: &'static str, text: &str| match number(text) {
            Some(x) => x,
            None => {
                errors.push(FieldError::new(name, t("error-rollout-number")));
                0.0
            }
        };
        let share = field("share", &self.share);
        let window = field("window", &self.window);
        let max_failure = field("max_failure", &self.max_failure);
        let max_changed = field("max_changed", &self.max_changed);
        let max_duration = field("max_duration", &self.max_duration);
        let failure_limit = field("failure_limit", &self.failure_limit);
        if !errors.is_empty() {
            return Err(errors);
        }
        // Out-of-range whole numbers become 0, which the host's validation refuses by field.
        let whole = |x: f64| {
            if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) {
                x as u32
            } else {
                0
            }
        };
        Ok(RolloutSettings {
            share_percent: u8::try_from(whole(share)).unwrap_or(0),
            measures: Vec::new(),
            window: whole(window),
            max_failure_rate: max_failure / 100.0,
            max_changed_rate: max_changed / 100.0,
            max_duration_ratio: max_duration,
            failure_limit: whole(failure_limit),
        })
    }
}

/// The form field of a refused setting, and what to type instead.
fn rollout_field(field: &str) -> (&'static str, &'static str) {
    match field {
        "share_percent" => ("share", "rollout-share-hint"),
        "window" => ("window", "rollout-window-hint"),
        "max_failure_rate" => ("max_failure", "rollout-percent-hint"),
        "max_changed_rate" => ("max_changed", "rollout-percent-hint"),
        "max_duration_ratio" => ("max_duration", "rollout-max-duration-hint"),
        "failure_limit" => ("failure_limit", "rollout-failure-limit-hint"),
        _ => ("rollout", "error-rollout-measures"),
    }
}

/// Starts a rollout of the shadow with the typed target and thresholds; a refusal is shown by
/// its field.
pub async fn start_rollout(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let typed = RolloutTyped {
        share: form.get("share").to_string(),
        window: form.get("window").to_string(),
        max_failure: form.get("max_failure").to_string(),
        max_changed: form.get("max_changed").to_string(),
        max_duration: form.get("max_duration").to_string(),
        failure_limit: form.get("failure_limit").to_string(),
    };
    let errors = match typed.settings() {
        Err(errors) => errors,
        Ok(settings) => match state
            .host
            .start_rollout(&name, &settings, &viewer.principal.actor())
            .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/plugins/{name}/shadow?done=rollout-started"))
                        .into_response(),
                );
            }
            Err(RolloutError::Store(zemstvo_store::StoreError::Conflict(_))) => {
                vec![FieldError::new("rollout", t("error-rollout-exists"))]
            }
            Err(RolloutError::Store(e)) => return Err(e.into()),
            Err(RolloutError::Invalid { field, .. }) => {
                let (name, message) = rollout_field(field);
                vec![FieldError::new(name, t(message))]
            }
            Err(other) => vec![FieldError::new(
                "rollout",
                t_with("error-shadow", &[("detail", Arg::Text(other.to_string()))]),
            )],
        },
    };
    page(
        &state,
        viewer,
        &name,
        StatusCode::UNPROCESSABLE_ENTITY,
        ("", &typed),
        &errors,
        None,
    )
    .await
}

/// Ends the rollout: the live version decides everything again.
pub async fn stop_rollout(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    form.viewer.require(Action::ChangePlugins)?;
    match state
        .host
        .stop_rollout(&name, &form.viewer.principal.actor())
        .await
    {
        Ok(_) | Err(RolloutError::NoRollout(_)) => Ok(Redirect::to(&format!(
            "/plugins/{name}/shadow?done=rollout-stopped"
        ))
        .into_response()),
        Err(RolloutError::Store(e)) => Err(e.into()),
        Err(other) => Err(Problem::unprocessable(other.to_string()).into()),
    }
}
