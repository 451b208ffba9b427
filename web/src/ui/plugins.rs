//! The plugins of the region for those who may read them (administrators change them): the
//! list with version, signer, state, grants, schedule and next run, enable and disable, and
//! one plugin's page with a configuration form generated from the schema its installed
//! version declares, checked field by field with the host's own rules.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_core::capabilities::config::{ConfigError, ConfigKind, ConfigParam};
use zemstvo_store::StoreError;
use zemstvo_store::plugins::{Edit, Installation};

use super::forms::PostedForm;
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::{self, Arg};
use crate::api::runs::RunView;
use crate::policy::Action;
use crate::state::WebState;
use crate::unix_now;

/// A plugin in the list.
#[derive(Debug, Serialize)]
struct PluginRow {
    name: String,
    version: String,
    kind: String,
    signer: Option<String>,
    enabled: bool,
    pinned: bool,
    refused: Option<String>,
    grants: Vec<String>,
    schedule: Option<String>,
    next_run: Option<i64>,
}

async fn plugin_row(state: &WebState, i: Installation) -> Result<PluginRow, PageError> {
    let store = state.store();
    let signer = store.package(&i.sha256).await?.and_then(|p| p.signer);
    let grants = store
        .grants(&i.name)
        .await?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let refused = state
        .host
        .runs()
        .refusal(&i.name)
        .await
        .map_err(crate::problem::Problem::from)?;
    // A disabled or refused plugin has no next run: that is what disabling means.
    let next_run = match (&i.schedule, i.enabled && refused.is_none()) {
        (Some(cron), true) => {
            zemstvo_service::next_occurrence(cron, unix_now(), state.host.time_zone())
                .ok()
                .flatten()
        }
        _ => None,
    };
    Ok(PluginRow {
        kind: kind_label(i.kind.name()),
        name: i.name,
        version: i.version,
        signer,
        enabled: i.enabled,
        pinned: i.pinned,
        refused,
        grants,
        schedule: i.schedule,
        next_run,
    })
}

fn kind_label(kind: &str) -> String {
    let id = format!("kind-{kind}");
    if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        kind.to_string()
    }
}

/// `/plugins`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadPlugins)?;
    let mut rows = Vec::new();
    for i in state.store().installations().await? {
        rows.push(plugin_row(&state, i).await?);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let flash = pairs
        .into_iter()
        .find(|(k, _)| k == "enabled" || k == "disabled")
        .map(|(what, name)| t_with(&format!("plugin-{what}-done"), &[("name", Arg::Text(name))]));
    Ok(viewer.page(
        StatusCode::OK,
        "plugins.html",
        "/plugins",
        context! {
            title => t("plugins-title"),
            plugins => Value::from_serialize(&rows),
            can_change => viewer.may(Action::ChangePlugins),
            flash => flash,
        },
    ))
}

async fn set_enabled(
    state: &WebState,
    form: PostedForm,
    name: String,
    enabled: bool,
) -> Result<Response, PageError> {
    form.viewer.require(Action::ChangePlugins)?;
    let actor = form.viewer.principal.actor();
    state
        .store()
        .set_enabled(&name, enabled, Edit::if_revision(&actor, None))
        .await?;
    let what = if enabled { "enabled" } else { "disabled" };
    let query = serde_urlencoded::to_string([(what, name.as_str())]).unwrap_or_default();
    Ok(Redirect::to(&format!("/plugins?{query}")).into_response())
}

/// Enables a plugin: its schedule starts again on every host.
pub async fn enable(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    set_enabled(&state, form, name, true).await
}

/// Disables a plugin: no host starts its runs any more; runs in flight finish.
pub async fn disable(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    set_enabled(&state, form, name, false).await
}

/// A bound of a setting as the page writes it: `30`, `0,5`.
fn bound(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        text::number(x as i64)
    } else {
        text::decimal(x, 2)
    }
}

/// One field of the configuration form.
#[derive(Debug, Serialize)]
struct ConfigField {
    key: String,
    id: String,
    description: String,
    kind: &'static str,
    value: String,
    default: Option<String>,
    hint: Option<String>,
    choices: Vec<String>,
}

fn config_field(plugin: &str, p: &ConfigParam, value: String) -> ConfigField {
    let hint = match (p.minimum, p.maximum) {
        (Some(min), Some(max)) => Some(t_with(
            "plugin-config-range",
            &[
                ("min", Arg::Text(bound(min))),
                ("max", Arg::Text(bound(max))),
            ],
        )),
        (Some(min), None) => Some(t_with(
            "plugin-config-min",
            &[("min", Arg::Text(bound(min)))],
        )),
        (None, Some(max)) => Some(t_with(
            "plugin-config-max",
            &[("max", Arg::Text(bound(max)))],
        )),
        (None, None) => None,
    };
    let default = p
        .default
        .as_ref()
        .filter(|d| !d.to_string().is_empty())
        .map(|d| {
            let shown = match d {
                zemstvo_core::capabilities::config::ConfigValue::Flag(true) => t("flag-yes"),
                zemstvo_core::capabilities::config::ConfigValue::Flag(false) => t("flag-no"),
                zemstvo_core::capabilities::config::ConfigValue::Decimal(x) => bound(*x),
                other => other.to_string(),
            };
            t_with("plugin-config-default", &[("value", Arg::Text(shown))])
        });
    ConfigField {
        key: p.key.clone(),
        id: format!("cfg-{}", p.key),
        description: text::plugin_text(plugin, &format!("config-{}", p.key), &p.description),
        kind: match p.kind {
            ConfigKind::Text if !p.choices.is_empty() => "choice",
            ConfigKind::Text => "text",
            ConfigKind::Integer => "integer",
            ConfigKind::Decimal => "decimal",
            ConfigKind::Flag => "flag",
        },
        value,
        default,
        hint,
        choices: p.choices.clone(),
    }
}

/// What the form sends for one setting, as the host reads it: a decimal comma becomes a point.
fn normalized(p: &ConfigParam, raw: &str) -> String {
    let raw = raw.trim();
    match p.kind {
        ConfigKind::Decimal => raw.replace(',', ".").replace([' ', '\u{a0}'], ""),
        ConfigKind::Integer => raw.replace([' ', '\u{a0}'], ""),
        _ => raw.to_string(),
    }
}

/// The host's verdict on one setting, in words for the field.
fn field_message(p: &ConfigParam, error: &ConfigError) -> Option<String> {
    Some(match error {
        ConfigError::Missing { key } if *key != p.key => return None,
        ConfigError::Missing { .. } => t("error-config-required"),
        ConfigError::WrongType { .. } => match p.kind {
            ConfigKind::Integer => t("error-config-integer"),
            ConfigKind::Decimal => t("error-config-decimal"),
            ConfigKind::Flag => t("error-config-flag"),
            ConfigKind::Text => t("error-config-required"),
        },
        ConfigError::OutOfRange { .. } => match (p.minimum, p.maximum) {
            (Some(min), Some(max)) => t_with(
                "error-config-range",
                &[
                    ("min", Arg::Text(bound(min))),
                    ("max", Arg::Text(bound(max))),
                ],
            ),
            (Some(min), None) => t_with("error-config-min", &[("min", Arg::Text(bound(min)))]),
            (_, max) => t_with(
                "error-config-max",
                &[("max", Arg::Text(bound(max.unwrap_or(0.0))))],
            ),
        },
        ConfigError::NotAChoice { .. } => t("error-config-choice"),
        other => t_with(
            "error-config-other",
            &[("detail", Arg::Text(other.to_string()))],
        ),
    })
}

/// What the forms of a plugin's page had typed when one comes back refused: shown as typed.
#[derive(Debug, Default)]
struct Typed {
    config: Option<Vec<(String, String)>>,
    schedule: Option<String>,
    grants: Option<Vec<String>>,
}

/// A capability that may be granted, for the grants form.
#[derive(Debug, Serialize)]
struct GrantBox {
    /// `data.smev`.
    name: String,
    /// The field's id on the page.
    id: String,
    /// What it allows, in Russian.
    label: String,
    declared: bool,
    checked: bool,
}

/// What a capability allows, as the page says it: `cap-data-smev` in ru.ftl.
fn capability_label(name: &str) -> String {
    let id = format!("cap-{}", name.replace('.', "-"));
    if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        name.to_string()
    }
}

/// The plugin's page; `typed` are a refused form's values.
async fn plugin_page(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    status: StatusCode,
    typed: &Typed,
    errors: &[FieldError],
    flash: Option<String>,
) -> Result<Response, PageError> {
    plugin_page_verified(state, viewer, name, status, typed, errors, flash, false).await
}

/// The plugin's page; with `verified`, just installed: the verification of its package
/// (signer, sha256, what it asks to be granted) is shown first.
#[allow(clippy::too_many_arguments)]
async fn plugin_page_verified(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    status: StatusCode,
    typed: &Typed,
    errors: &[FieldError],
    flash: Option<String>,
    verified: bool,
) -> Result<Response, PageError> {
    let values = typed.config.as_deref();
    viewer.require(Action::ReadPlugins)?;
    let installation = state
        .store()
        .installation(name)
        .await?
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))?;
    let revision = installation.revision;
    let sha256 = installation.sha256.clone();
    let row = plugin_row(state, installation).await?;
    let loaded = state.host.installations().installed_plugin(name).await.ok();
    let config = state.store().config(name).await?;
    let fields: Vec<ConfigField> = loaded
        .as_ref()
        .map(|p| {
            p.metadata
                .config
                .params
                .iter()
                .map(|param| {
                    let value = match values {
                        Some(values) => values
                            .iter()
                            .find(|(k, _)| *k == param.key)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        None => config
                            .iter()
                            .find(|(k, _)| *k == param.key)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                    };
                    config_field(name, param, value)
                })
                .collect()
        })
        .unwrap_or_default();
    let granted: Vec<String> = row.grants.clone();
    let mut offered: Vec<(String, bool)> = loaded
        .as_ref()
        .map(|p| {
            p.metadata
                .capabilities
                .iter()
                .map(|c| (c.to_string(), true))
                .collect()
        })
        .unwrap_or_default();
    for g in &granted {
        if !offered.iter().any(|(c, _)| c == g) {
            offered.push((g.clone(), false));
        }
    }
    let grant_boxes: Vec<GrantBox> = offered
        .into_iter()
        .map(|(c, declared)| GrantBox {
            id: format!("grant-{}", c.replace('.', "-")),
            label: capability_label(&c),
            checked: match &typed.grants {
                Some(ticked) => ticked.contains(&c),
                None => granted.contains(&c),
            },
            name: c,
            declared,
        })
        .collect();
    let schedule_value = typed
        .schedule
        .clone()
        .unwrap_or_else(|| row.schedule.clone().unwrap_or_default());
    let requested: Vec<Value> = grant_boxes
        .iter()
        .filter(|g| g.declared)
        .map(|g| {
            context! {
                name => g.name.clone(),
                label => g.label.clone(),
                granted => granted.contains(&g.name),
            }
        })
        .collect();
    let vendor = match (&row.signer, verified) {
        (Some(signer), true) => crate::api::trust::current(state)
            .await?
            .keys
            .into_iter()
            .find(|k| &k.key_id == signer)
            .map(|k| k.vendor),
        _ => None,
    };
    let history = state.store().history(name).await?;
    let history: Vec<Value> = history
        .into_iter()
        .map(|h| {
            context! {
                version => h.version,
                action => super::journal::action_label(&h.action),
                actor => h.actor,
                at => h.at,
            }
        })
        .collect();
    let last_run = state
        .store()
        .recent_runs(Some(name), 1)
        .await?
        .into_iter()
        .next()
        .map(RunView::from);
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "plugin.html",
        "/plugins",
        context! {
            title => loaded.as_ref().map(|p| p.metadata.title.clone()).unwrap_or_else(|| name.to_string()),
            description => loaded.as_ref().map(|p| text::plugin_text(name, "description", &p.metadata.description)),
            plugin => Value::from_serialize(&row),
            sha256 => sha256,
            revision => revision,
            fields => Value::from_serialize(&fields),
            history => history,
            last_run => Value::from_serialize(&last_run),
            can_change => viewer.may(Action::ChangePlugins),
            grant_boxes => Value::from_serialize(&grant_boxes),
            verified => verified,
            vendor => vendor,
            ungranted_any => grant_boxes.iter().any(|g| g.declared && !granted.contains(&g.name)),
            requested => requested,
            registry => state.host.settings().registry.is_some(),
            shadowable => viewer.may(Action::ReadAudit)
                && loaded.as_ref().is_some_and(|p| p.kind() == zemstvo_host::PluginKind::EligibilityRule),
            replayable => viewer.may(Action::ReadAudit),
            schedule_value => schedule_value,
            errors => errors,
            field_errors => field_errors,
            flash => flash,
        },
    ))
}

/// `/plugins/{name}`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let param = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let flash = match (param("saved"), param("done")) {
        (Some("1"), _) => Some(t("plugin-config-saved")),
        (_, Some("pinned")) => Some(t("plugin-pinned-done")),
        (_, Some("unpinned")) => Some(t("plugin-unpinned-done")),
        (_, Some("rolled-back")) if param("from").is_none() => Some(t("plugin-rolled-back-done")),
        (_, Some("grants")) => Some(t("plugin-grants-done")),
        (_, Some("schedule")) => Some(t("plugin-schedule-done")),
        (
            _,
            Some(
                what @ ("installed" | "upgraded" | "downgraded" | "rolled-back"
                | "already-installed"),
            ),
        ) => Some(t_with(
            &format!("plugin-{what}-done"),
            &[(
                "from",
                Arg::Text(param("from").unwrap_or_default().to_string()),
            )],
        )),
        _ => None,
    };
    let verified = matches!(
        param("done"),
        Some("installed" | "upgraded" | "downgraded" | "already-installed")
    ) || (param("done") == Some("rolled-back") && param("from").is_some());
    plugin_page_verified(
        &state,
        &viewer,
        &name,
        StatusCode::OK,
        &Typed::default(),
        &[],
        flash,
        verified,
    )
    .await
}

/// The plugin's page again with the refusal of an upgrade by its button.
pub(super) async fn refused_upgrade(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    message: String,
) -> Result<Response, PageError> {
    plugin_page(
        state,
        viewer,
        name,
        StatusCode::UNPROCESSABLE_ENTITY,
        &Typed::default(),
        &[FieldError::new("upgrade", message)],
        None,
    )
    .await
}

/// Saves the configuration: every field is checked against the schema first, and a wrong one
/// sends the form back with its message and nothing saved.
pub async fn configure(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let plugin = state
        .host
        .installations()
        .installed_plugin(&name)
        .await
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND))?;
    let schema = &plugin.metadata.config;
    let typed: Vec<(String, String)> = form
        .with_prefix("cfg-")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut settings = Vec::new();
    let mut errors = Vec::new();
    for param in &schema.params {
        let raw = form.get(&format!("cfg-{}", param.key));
        let value = normalized(param, raw);
        if value.is_empty() {
            if param.default.is_none() {
                errors.push(FieldError::new(
                    format!("cfg-{}", param.key),
                    t("error-config-required"),
                ));
            }
            continue;
        }
        if let Err(e) = schema.resolve([(param.key.as_str(), value.as_str())])
            && let Some(message) = field_message(param, &e)
        {
            errors.push(FieldError::new(format!("cfg-{}", param.key), message));
            continue;
        }
        settings.push((param.key.clone(), value));
    }
    if !errors.is_empty() {
        return plugin_page(
            &state,
            viewer,
            &name,
            StatusCode::UNPROCESSABLE_ENTITY,
            &Typed {
                config: Some(typed.clone()),
                ..Typed::default()
            },
            &errors,
            None,
        )
        .await;
    }
    let actor = viewer.principal.actor();
    let revision = form.get("revision").parse::<i64>().ok();
    match state
        .host
        .installations()
        .configure(&name, &settings, Edit::if_revision(&actor, revision))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/plugins/{name}?saved=1")).into_response()),
        Err(zemstvo_service::InstallError::Store(StoreError::Stale(_))) => {
            let errors = [FieldError::new("config", t("error-config-stale"))];
            plugin_page(
                &state,
                viewer,
                &name,
                StatusCode::PRECONDITION_FAILED,
                &Typed {
                    config: Some(typed.clone()),
                    ..Typed::default()
                },
                &errors,
                None,
            )
            .await
        }
        Err(zemstvo_service::InstallError::Store(e)) => Err(e.into()),
        Err(other) => {
            let errors = [FieldError::new(
                "config",
                t_with(
                    "error-config-other",
                    &[("detail", Arg::Text(other.to_string()))],
                ),
            )];
            plugin_page(
                &state,
                viewer,
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                &Typed {
                    config: Some(typed.clone()),
                    ..Typed::default()
                },
                &errors,
                None,
            )
            .await
        }
    }
}

async fn set_pinned(
    state: &WebState,
    form: PostedForm,
    name: String,
    pinned: bool,
) -> Result<Response, PageError> {
    form.viewer.require(Action::ChangePlugins)?;
    let actor = form.viewer.principal.actor();
    state
        .store()
        .set_pinned(&name, pinned, Edit::if_revision(&actor, None))
        .await?;
    let done = if pinned { "pinned" } else { "unpinned" };
    Ok(Redirect::to(&format!("/plugins/{name}?done={done}")).into_response())
}

/// Pins the installed version: upgrades and rollbacks are refused until unpinned.
pub async fn pin(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    set_pinned(&state, form, name, true).await
}

/// Unpins the plugin.
pub async fn unpin(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    set_pinned(&state, form, name, false).await
}

/// Goes back to the version installed before, verified again against the trust store; a
/// refusal (pinned, nothing to go back to, a package that no longer verifies) is shown on the
/// plugin's page and changes nothing.
pub async fn rollback(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let options = zemstvo_service::InstallOptions {
        actor: viewer.principal.actor(),
        ..zemstvo_service::InstallOptions::default()
    };
    match state.host.installations().rollback(&name, &options).await {
        Ok(_) => Ok(Redirect::to(&format!("/plugins/{name}?done=rolled-back")).into_response()),
        Err(zemstvo_service::InstallError::Store(e)) => Err(e.into()),
        Err(refused) => {
            let errors = [FieldError::new(
                "rollback",
                t_with(
                    "error-rollback",
                    &[("detail", Arg::Text(refused.to_string()))],
                ),
            )];
            plugin_page(
                &state,
                viewer,
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                &Typed::default(),
                &errors,
                None,
            )
            .await
        }
    }
}

/// Sets the capabilities the plugin is granted: the boxes ticked, from those it declares (and
/// any it was granted before). Nothing is changed when one is not on offer or someone changed
/// the plugin meanwhile.
pub async fn grants(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    if state.store().installation(&name).await?.is_none() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let ticked: Vec<String> = form.get_all("grant").map(str::to_string).collect();
    let mut offered: Vec<String> = state
        .store()
        .grants(&name)
        .await?
        .iter()
        .map(|c| c.to_string())
        .collect();
    if let Ok(plugin) = state.host.installations().installed_plugin(&name).await {
        offered.extend(plugin.metadata.capabilities.iter().map(|c| c.to_string()));
    }
    let typed = Typed {
        grants: Some(ticked.clone()),
        ..Typed::default()
    };
    let refuse = |message: String, status: StatusCode| {
        let errors = vec![FieldError::new("grants", message)];
        (errors, status)
    };
    let refusal = if ticked.iter().any(|c| !offered.contains(c)) {
        Some(refuse(
            t("error-grants-unknown"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    } else {
        match zemstvo_service::install::parse_grants(&ticked) {
            Err(_) => Some(refuse(
                t("error-grants-unknown"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )),
            Ok(set) => {
                let actor = viewer.principal.actor();
                let revision = form.get("revision").parse::<i64>().ok();
                match state
                    .store()
                    .set_grants(&name, &set, Edit::if_revision(&actor, revision))
                    .await
                {
                    Ok(()) => None,
                    Err(StoreError::Stale(_)) => Some(refuse(
                        t("error-plugin-stale"),
                        StatusCode::PRECONDITION_FAILED,
                    )),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    };
    match refusal {
        None => Ok(Redirect::to(&format!("/plugins/{name}?done=grants")).into_response()),
        Some((errors, status)) => {
            plugin_page(&state, viewer, &name, status, &typed, &errors, None).await
        }
    }
}

/// Sets or clears (an empty field) the plugin's schedule, a cron expression in the region's
/// time zone; a wrong one comes back with its message by the field and changes nothing.
pub async fn schedule(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    if state.store().installation(&name).await?.is_none() {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    }
    let typed_value = form.get("schedule").to_string();
    let cron = typed_value.split_whitespace().collect::<Vec<_>>().join(" ");
    let typed = Typed {
        schedule: Some(typed_value.clone()),
        ..Typed::default()
    };
    let refused =
        |message: String, status: StatusCode| (vec![FieldError::new("schedule", message)], status);
    let refusal = if !cron.is_empty() && zemstvo_service::check_schedule(&cron).is_err() {
        Some(refused(
            t("error-schedule"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    } else {
        let actor = viewer.principal.actor();
        let revision = form.get("revision").parse::<i64>().ok();
        let cron = (!cron.is_empty()).then_some(cron.as_str());
        match state
            .host
            .installations()
            .set_schedule(&name, cron, Edit::if_revision(&actor, revision))
            .await
        {
            Ok(()) => None,
            Err(zemstvo_service::InstallError::Store(StoreError::Stale(_))) => Some(refused(
                t("error-plugin-stale"),
                StatusCode::PRECONDITION_FAILED,
            )),
            Err(zemstvo_service::InstallError::Store(e)) => return Err(e.into()),
            Err(other) => Some(refused(
                t_with(
                    "error-config-other",
                    &[("detail", Arg::Text(other.to_string()))],
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )),
        }
    };
    match refusal {
        None => Ok(Redirect::to(&format!("/plugins/{name}?done=schedule")).into_response()),
        Some((errors, status)) => {
            plugin_page(&state, viewer, &name, status, &typed, &errors, None).await
        }
    }
}
