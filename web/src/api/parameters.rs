//! Effective-dated parameters over HTTP: when a new act changes an amount or a threshold from
//! a date, the administrator adds the region's entry with its legal basis and the next run or
//! decision uses it — no new build of the plugin, no reinstall. The checks are the host's
//! (a declared parameter, its unit, a finite value, a basis, a whole day), as on the CLI.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_core::capabilities::config::ParameterValue;
use zemstvo_service::{ParameterError, ParameterHistory};
use zemstvo_store::parameters::EntryChange;

use super::{JsonBody, PathParam};
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// One entry of a parameter's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterLineView {
    /// The first day it applies, `YYYY-MM-DD`.
    pub from: String,
    pub value: f64,
    pub unit: String,
    pub legal_basis: String,
    /// `plugin` (the vendor ships it) or `region` (an administrator added it).
    pub source: String,
    pub added_by: Option<String>,
    pub added_at: Option<i64>,
    /// The region's entry replaces a value the plugin ships for the same day.
    pub replaces_plugin_value: bool,
    /// This entry is the one in force today.
    pub in_force: bool,
}

/// A parameter with its merged history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterView {
    pub name: String,
    pub description: String,
    pub history: Vec<ParameterLineView>,
}

fn view(p: ParameterHistory, now: i64) -> ParameterView {
    let current = p.in_force(now).map(|l| l.value.effective_from);
    ParameterView {
        history: p
            .lines
            .into_iter()
            .map(|l| ParameterLineView {
                from: date(l.value.effective_from),
                in_force: current == Some(l.value.effective_from),
                value: l.value.value,
                unit: l.value.unit,
                legal_basis: l.value.legal_basis,
                source: if l.added_by.is_some() {
                    "region"
                } else {
                    "plugin"
                }
                .into(),
                added_at: l.added_by.as_ref().map(|(_, at)| *at),
                added_by: l.added_by.map(|(who, _)| who),
                replaces_plugin_value: l.replaces_plugin_value,
            })
            .collect(),
        name: p.name,
        description: p.description,
    }
}

fn date(ts: i64) -> String {
    zemstvo_service::parameters::format_day(ts)
}

/// A calendar day `YYYY-MM-DD` as its UTC midnight.
fn parse_date(text: &str, field: &str) -> Result<i64, Problem> {
    zemstvo_service::parameters::parse_day(text).ok_or_else(|| {
        Problem::unprocessable(format!("`{text}` is not a date such as 2027-01-01")).field(field)
    })
}

pub(crate) fn problem(e: ParameterError) -> Problem {
    match e {
        ParameterError::NotInstalled(_) | ParameterError::NoSuchEntry { .. } => {
            Problem::not_found(e.to_string())
        }
        ParameterError::Store(e) => e.into(),
        ParameterError::Unit { .. } => Problem::unprocessable(e.to_string()).field("unit"),
        ParameterError::NotFinite(_) => Problem::unprocessable(e.to_string()).field("value"),
        ParameterError::NoBasis => Problem::unprocessable(e.to_string()).field("legal_basis"),
        ParameterError::NotADate(_) => Problem::unprocessable(e.to_string()).field("from"),
        ParameterError::Unknown { .. } => Problem::not_found(e.to_string()),
        ParameterError::Load { .. } => Problem::unprocessable(e.to_string()),
    }
}

pub(crate) async fn list_of(state: &WebState, plugin: &str) -> Result<Vec<ParameterView>, Problem> {
    let now = crate::unix_now();
    Ok(state
        .host
        .parameters(plugin)
        .await
        .map_err(problem)?
        .into_iter()
        .map(|p| view(p, now))
        .collect())
}

/// A plugin's effective-dated parameters: the values it ships and the region's entries.
#[utoipa::path(get, path = "/api/v1/plugins/{name}/parameters", tag = "parameters",
    params(("name" = String, Path, description = "The plugin's name")),
    responses((status = 200, body = [ParameterView]), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam(name): PathParam<String>,
) -> Result<Json<Vec<ParameterView>>, Problem> {
    principal.require(Action::ReadPlugins)?;
    Ok(Json(list_of(&state, &name).await?))
}

/// A new value of a parameter from a day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterEntryRequest {
    /// The first day the value applies, `YYYY-MM-DD`.
    pub from: String,
    pub value: f64,
    /// The unit; by default the one the plugin counts the parameter in.
    pub unit: Option<String>,
    /// The act that sets the value, e.g. `Закон ХМАО – Югры от 07.07.2004 № 45-оз`.
    pub legal_basis: String,
}

/// Gives a parameter a new value from a day (a region's entry for that day is replaced).
#[utoipa::path(put, path = "/api/v1/plugins/{name}/parameters/{parameter}", tag = "parameters",
    request_body = ParameterEntryRequest,
    params(("name" = String, Path, description = "The plugin's name"),
           ("parameter" = String, Path, description = "The parameter's name")),
    responses((status = 201, body = ParameterView), (status = 200, body = ParameterView),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam((name, parameter)): PathParam<(String, String)>,
    JsonBody(request): JsonBody<ParameterEntryRequest>,
) -> Result<(StatusCode, Json<ParameterView>), Problem> {
    principal.require(Action::ChangePlugins)?;
    let effective_from = parse_date(&request.from, "from")?;
    let current = list_of(&state, &name).await?;
    let Some(declared) = current.iter().find(|p| p.name == parameter) else {
        let names: Vec<&str> = current.iter().map(|p| p.name.as_str()).collect();
        return Err(Problem::not_found(format!(
            "`{name}` has no effective-dated parameter `{parameter}`; it declares: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let unit = match request.unit {
        Some(u) => u,
        None => declared
            .history
            .last()
            .map(|l| l.unit.clone())
            .unwrap_or_default(),
    };
    let entry = ParameterValue {
        effective_from,
        value: request.value,
        unit,
        legal_basis: request.legal_basis,
    };
    let change = state
        .host
        .set_parameter(&name, &parameter, entry, &principal.actor())
        .await
        .map_err(problem)?;
    let answer = one(&state, &name, &parameter).await?;
    let status = match change {
        EntryChange::Added => StatusCode::CREATED,
        EntryChange::Replaced => StatusCode::OK,
    };
    Ok((status, Json(answer)))
}

async fn one(state: &WebState, plugin: &str, parameter: &str) -> Result<ParameterView, Problem> {
    list_of(state, plugin)
        .await?
        .into_iter()
        .find(|p| p.name == parameter)
        .ok_or_else(|| Problem::not_found(format!("`{plugin}` has no parameter `{parameter}`")))
}

/// Removes the region's entry of a parameter from a day (entries the plugin ships stay).
#[utoipa::path(delete, path = "/api/v1/plugins/{name}/parameters/{parameter}/{from}", tag = "parameters",
    params(("name" = String, Path, description = "The plugin's name"),
           ("parameter" = String, Path, description = "The parameter's name"),
           ("from" = String, Path, description = "The entry's first day, YYYY-MM-DD")),
    responses((status = 200, body = ParameterView), (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    PathParam((name, parameter, from)): PathParam<(String, String, String)>,
) -> Result<Json<ParameterView>, Problem> {
    principal.require(Action::ChangePlugins)?;
    let effective_from = parse_date(&from, "from")?;
    state
        .host
        .remove_parameter(&name, &parameter, effective_from, &principal.actor())
        .await
        .map_err(problem)?;
    Ok(Json(one(&state, &name, &parameter).await?))
}
