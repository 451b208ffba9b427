//! Plugins: what is installed and how it is set up, and the changes an administrator makes at
//! runtime. Every change takes effect on the next run on every host (a run in flight finishes
//! on what it started with), writes the audit log with its actor, and can be guarded against
//! a concurrent edit with `If-Match` (the `revision` a read answered; `412` when stale).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use zemstvo_service::{InstallOptions, TriggeredRun};
use zemstvo_store::plugins::Installation;

use super::runs::RunView;
use super::{JsonBody, PathParam};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// An installed plugin and its set-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginView {
    pub name: String,
    pub version: String,
    /// deviation-check, eligibility-rule, risk-scoring or geo-check.
    pub kind: String,
    pub enabled: bool,
    pub pinned: bool,
    /// A cron expression in the region's time zone; none for rules called per application.
    pub schedule: Option<String>,
    pub sha256: String,
    pub grants: Vec<String>,
    pub config: BTreeMap<String, String>,
    pub updated_at: i64,
    /// Why the region would not load the plugin now (a revoked key, a changed byte).
    pub refused: Option<String>,
    pub last_run: Option<RunView>,
    /// Changes when anything above changes: send it as `If-Match` to make a change only if
    /// nobody changed the plugin meanwhile.
    pub revision: String,
}

/// One step of a plugin's installation history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub version: String,
    pub sha256: String,
    pub action: String,
    pub actor: String,
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PluginDetail {
    pub plugin: PluginView,
    pub history: Vec<HistoryView>,
}

/// What a plugin is set up with, and the revision that names that set-up.
struct SetUp {
    grants: Vec<String>,
    config: BTreeMap<String, String>,
    revision: String,
}

/// Reads the set-up of `i`: what `If-Match` compares, without verifying the package.
async fn set_up(state: &WebState, i: &Installation) -> Result<SetUp, Problem> {
    let store = state.store();
    let grants: Vec<String> = store
        .grants(&i.name)
        .await?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let config: BTreeMap<String, String> = store.config(&i.name).await?.into_iter().collect();
    let mut h = Sha256::new();
    for part in [
        i.version.as_str(),
        i.sha256.as_str(),
        if i.enabled { "enabled" } else { "disabled" },
        if i.pinned { "pinned" } else { "floating" },
        i.schedule.as_deref().unwrap_or("-"),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for g in &grants {
        h.update(g.as_bytes());
        h.update([0]);
    }
    for (k, v) in &config {
        h.update(k.as_bytes());
        h.update([1]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    let revision = format!("\"{}\"", &hex::encode(h.finalize())[..16]);
    Ok(SetUp {
        grants,
        config,
        revision,
    })
}

async fn view(state: &WebState, i: Installation) -> Result<PluginView, Problem> {
    let SetUp {
        grants,
        config,
        revision,
    } = set_up(state, &i).await?;
    let refused = state.host.refusal(&i.name).await?;
    let last_run = state
        .store()
        .recent_runs(Some(&i.name), 1)
        .await?
        .into_iter()
        .next()
        .map(RunView::from);
    Ok(PluginView {
        name: i.name,
        version: i.version,
        kind: i.kind,
        enabled: i.enabled,
        pinned: i.pinned,
        schedule: i.schedule,
        sha256: i.sha256,
        grants,
        config,
        updated_at: i.updated_at,
        refused,
        last_run,
        revision,
    })
}

async fn installed(state: &WebState, name: &str) -> Result<Installation, Problem> {
    state
        .store()
        .installation(name)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no plugin `{name}` is installed")))
}

/// Refuses a change when `If-Match` names another revision than the current one.
async fn check_if_match(state: &WebState, name: &str, headers: &HeaderMap) -> Result<(), Problem> {
    let Some(expected) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let expected = expected.to_str().unwrap_or("");
    let current = set_up(state, &installed(state, name).await?).await?;
    if expected != "*" && expected.trim() != current.revision {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale",
            format!(
                "{name} was changed meanwhile (now revision {}); reload it and apply your change again",
                current.revision
            ),
        )
        .field("If-Match"));
    }
    Ok(())
}

fn with_etag(view: PluginView) -> Response {
    let etag = HeaderValue::from_str(&view.revision).ok();
    let mut response = Json(view).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

async fn answer(state: &WebState, name: &str) -> Result<Response, Problem> {
    Ok(with_etag(view(state, installed(state, name).await?).await?))
}

/// Lists the installed plugins.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = [PluginView]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
) -> Result<Json<Vec<PluginView>>, Problem> {
    principal.require(Action::ReadPlugins)?;
    let mut out = Vec::new();
    for i in state.store().installations().await? {
        out.push(view(&state, i).await?);
    }
    Ok(Json(out))
}

/// One plugin with its installation history.
#[utoipa::path(get, path = "/api/v1/plugins/{name}", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<Response, Problem> {
    principal.require(Action::ReadPlugins)?;
    let plugin = view(&state, installed(&state, &name).await?).await?;
    let history = state
        .store()
        .history(&name)
        .await?
        .into_iter()
        .map(|h| HistoryView {
            version: h.version,
            sha256: h.sha256,
            action: h.action,
            actor: h.actor,
            at: h.at,
        })
        .collect();
    let etag = HeaderValue::from_str(&plugin.revision).ok();
    let mut response = Json(PluginDetail { plugin, history }).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

async fn set_enabled(
    state: Arc<WebState>,
    principal: Principal,
    name: String,
    headers: HeaderMap,
    enabled: bool,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    state
        .store()
        .set_enabled(&name, enabled, &principal.actor())
        .await?;
    answer(&state, &name).await
}

/// Enables a plugin: its schedule starts on every host.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/enable", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn enable(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    set_enabled(state, principal, name, headers, true).await
}

/// Disables a plugin: no host starts its runs any more; runs in flight finish.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/disable", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn disable(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    set_enabled(state, principal, name, headers, false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigChange {
    /// The plugin's settings by key, checked against its configuration schema; keys not
    /// given take their defaults.
    pub settings: BTreeMap<String, String>,
}

/// Configures a plugin (checked against its schema; nothing changes if any value is wrong).
#[utoipa::path(put, path = "/api/v1/plugins/{name}/config", tag = "plugins", request_body = ConfigChange,
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 422, body = Problem), (status = 412, body = Problem)))]
pub async fn configure(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
    JsonBody(change): JsonBody<ConfigChange>,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    let settings: Vec<(String, String)> = change.settings.into_iter().collect();
    state
        .host
        .configure(&name, &settings, &principal.actor())
        .await
        .map_err(|e| Problem::from(e).field("settings"))?;
    answer(&state, &name).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsChange {
    /// Every capability the plugin may use, e.g. `data.smev`, `tasks.create`.
    pub capabilities: Vec<String>,
}

/// Sets the capabilities a plugin is granted.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/grants", tag = "plugins", request_body = GrantsChange,
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 422, body = Problem), (status = 412, body = Problem)))]
pub async fn grant(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
    JsonBody(change): JsonBody<GrantsChange>,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    let grants = zemstvo_service::install::parse_grants(&change.capabilities)
        .map_err(|e| Problem::unprocessable(e).field("capabilities"))?;
    state
        .store()
        .set_grants(&name, &grants, &principal.actor())
        .await?;
    answer(&state, &name).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleChange {
    /// A cron expression (`0 7 * * 1-5`: 07:00 on work days), or null for none.
    pub cron: Option<String>,
}

/// Sets or clears a plugin's schedule.
#[utoipa::path(put, path = "/api/v1/plugins/{name}/schedule", tag = "plugins", request_body = ScheduleChange,
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 422, body = Problem), (status = 412, body = Problem)))]
pub async fn schedule(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
    JsonBody(change): JsonBody<ScheduleChange>,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    if let Some(cron) = &change.cron {
        zemstvo_service::check_schedule(cron)
            .map_err(|e| Problem::unprocessable(e).field("cron"))?;
    }
    state
        .host
        .set_schedule(&name, change.cron.as_deref(), &principal.actor())
        .await
        .map_err(|e| Problem::from(e).field("cron"))?;
    answer(&state, &name).await
}

async fn set_pinned(
    state: Arc<WebState>,
    principal: Principal,
    name: String,
    headers: HeaderMap,
    pinned: bool,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    state
        .store()
        .set_pinned(&name, pinned, &principal.actor())
        .await?;
    answer(&state, &name).await
}

/// Pins a plugin at its installed version: upgrades and rollbacks are refused until unpinned.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/pin", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView)))]
pub async fn pin(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    set_pinned(state, principal, name, headers, true).await
}

/// Unpins a plugin.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/unpin", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView)))]
pub async fn unpin(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    set_pinned(state, principal, name, headers, false).await
}

/// Goes back to the version installed before the current one.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/rollback", tag = "plugins",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = PluginView), (status = 422, body = Problem), (status = 412, body = Problem)))]
pub async fn rollback(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    principal.require(Action::ChangePlugins)?;
    check_if_match(&state, &name, &headers).await?;
    let options = InstallOptions {
        actor: principal.actor(),
        ..InstallOptions::default()
    };
    state.host.rollback(&name, &options).await?;
    answer(&state, &name).await
}

/// A run asked for by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggeredView {
    pub plugin: String,
    pub queue_id: i64,
    pub logical_time: i64,
    /// A run asked for earlier was still waiting; no second one was queued.
    pub already_queued: bool,
}

impl From<TriggeredRun> for TriggeredView {
    fn from(t: TriggeredRun) -> Self {
        TriggeredView {
            plugin: t.plugin,
            queue_id: t.queue_id,
            logical_time: t.logical_time,
            already_queued: t.already_queued,
        }
    }
}

/// Queues a run of the plugin now; the next free host takes it.
#[utoipa::path(post, path = "/api/v1/plugins/{name}/runs", tag = "runs",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 202, body = TriggeredView), (status = 422, body = Problem)))]
pub async fn trigger(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<(StatusCode, Json<TriggeredView>), Problem> {
    principal.require(Action::TriggerRuns)?;
    if state.store().installation(&name).await?.is_none() {
        return Err(Problem::not_found(format!(
            "no plugin `{name}` is installed"
        )));
    }
    let run = state.host.trigger_run(&name, &principal.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}
