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
use utoipa::ToSchema;
use zemstvo_core::capabilities::config::ConfigKind;
use zemstvo_host::LoadedPlugin;
use zemstvo_service::{InstallOptions, TriggeredRun};
use zemstvo_store::plugins::{Edit, Installation};

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
    /// The key id that signed the installed package.
    pub signer: Option<String>,
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
    /// What the installed version declares; none when its component does not load (then
    /// `plugin.refused` says why).
    pub declarations: Option<DeclarationsView>,
    pub history: Vec<HistoryView>,
}

/// What a plugin's installed version declares: shown so that an administrator configures and
/// grants it without reading its source.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationsView {
    pub title: String,
    pub description: String,
    /// The capabilities it asks for (grant them with `PUT …/grants`).
    pub capabilities: Vec<String>,
    /// The settings `PUT …/config` accepts.
    pub config_schema: Vec<ConfigParamView>,
    /// Its effective-dated parameters (see `…/parameters`).
    pub parameters: Vec<String>,
}

/// One setting of a plugin's configuration schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigParamView {
    pub key: String,
    pub description: String,
    /// text, integer, decimal or flag.
    pub kind: String,
    pub default: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// The only values allowed, when the schema lists them.
    pub choices: Vec<String>,
}

impl From<&LoadedPlugin> for DeclarationsView {
    fn from(p: &LoadedPlugin) -> Self {
        let m = &p.metadata;
        DeclarationsView {
            title: m.title.clone(),
            description: m.description.clone(),
            capabilities: m.capabilities.iter().map(|c| c.to_string()).collect(),
            config_schema: m
                .config
                .params
                .iter()
                .map(|c| ConfigParamView {
                    key: c.key.clone(),
                    description: c.description.clone(),
                    kind: match c.kind {
                        ConfigKind::Text => "text",
                        ConfigKind::Integer => "integer",
                        ConfigKind::Decimal => "decimal",
                        ConfigKind::Flag => "flag",
                    }
                    .into(),
                    default: c.default.as_ref().map(|d| d.to_string()),
                    minimum: c.minimum,
                    maximum: c.maximum,
                    choices: c.choices.clone(),
                })
                .collect(),
            parameters: m.parameters.iter().map(|p| p.name.clone()).collect(),
        }
    }
}

async fn view(state: &WebState, i: Installation) -> Result<PluginView, Problem> {
    let store = state.store();
    let grants: Vec<String> = store
        .grants(&i.name)
        .await?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let config: BTreeMap<String, String> = store.config(&i.name).await?.into_iter().collect();
    let refused = state.host.runs().refusal(&i.name).await?;
    let last_run = store
        .recent_runs(Some(&i.name), 1)
        .await?
        .into_iter()
        .next()
        .map(RunView::from);
    Ok(PluginView {
        revision: etag(i.revision),
        name: i.name,
        version: i.version,
        kind: i.kind.name().to_string(),
        enabled: i.enabled,
        pinned: i.pinned,
        schedule: i.schedule,
        sha256: i.sha256,
        signer: i.signer,
        grants,
        config,
        updated_at: i.updated_at,
        refused,
        last_run,
    })
}

/// The entity tag of a plugin's revision.
fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

async fn installed(state: &WebState, name: &str) -> Result<Installation, Problem> {
    state
        .store()
        .installation(name)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no plugin `{name}` is installed")))
}

/// The revision `If-Match` names: none when absent or `*` (any revision). The comparison
/// itself happens in the change's transaction ([`Edit`]), so a change made between the read
/// and the write is always caught.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.strip_prefix("W/").unwrap_or(value);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale",
                format!(
                    "If-Match is `{value}`, which names no revision of this plugin; send the ETag a read of it answered, e.g. \"3\""
                ),
            )
            .field("If-Match")
        })
}

fn with_etag(view: PluginView) -> Response {
    let etag = HeaderValue::from_str(&view.revision).ok();
    let mut response = Json(view).into_response();
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

pub(crate) async fn answer(state: &WebState, name: &str) -> Result<Response, Problem> {
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
    let declarations = state
        .host
        .installations()
        .installed_plugin(&name)
        .await
        .ok()
        .map(|p| DeclarationsView::from(&p));
    let etag = HeaderValue::from_str(&plugin.revision).ok();
    let mut response = Json(PluginDetail {
        plugin,
        declarations,
        history,
    })
    .into_response();
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
    let actor = principal.actor();
    state
        .store()
        .set_enabled(
            &name,
            enabled,
            Edit::if_revision(&actor, if_match(&headers)?),
        )
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
    let actor = principal.actor();
    let edit = Edit::if_revision(&actor, if_match(&headers)?);
    let settings: Vec<(String, String)> = change.settings.into_iter().collect();
    state
        .host
        .installations()
        .configure(&name, &settings, edit)
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
    let actor = principal.actor();
    let edit = Edit::if_revision(&actor, if_match(&headers)?);
    let grants = zemstvo_service::install::parse_grants(&change.capabilities)
        .map_err(|e| Problem::unprocessable(e).field("capabilities"))?;
    state.store().set_grants(&name, &grants, edit).await?;
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
    let actor = principal.actor();
    let edit = Edit::if_revision(&actor, if_match(&headers)?);
    if let Some(cron) = &change.cron {
        zemstvo_service::check_schedule(cron)
            .map_err(|e| Problem::unprocessable(e).field("cron"))?;
    }
    state
        .host
        .installations()
        .set_schedule(&name, change.cron.as_deref(), edit)
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
    let actor = principal.actor();
    state
        .store()
        .set_pinned(
            &name,
            pinned,
            Edit::if_revision(&actor, if_match(&headers)?),
        )
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
    let options = InstallOptions {
        actor: principal.actor(),
        if_revision: if_match(&headers)?,
        ..InstallOptions::default()
    };
    state.host.installations().rollback(&name, &options).await?;
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
    let run = state.host.runs().trigger(&name, &principal.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}
