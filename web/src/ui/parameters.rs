//! A plugin's effective-dated parameters: each with its history (from which day, the value,
//! its unit and the act that set it; which entry is in force), and for administrators a form
//! that adds the region's entry from a date — what a new act changes without a new build. The
//! checks are the host's, through the API's own functions (`api::parameters`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_core::capabilities::config::ParameterValue;

use super::forms::{PostedForm, iso_day};
use super::page::{FieldError, PageError, Viewer, errors_context, t, t_with};
use super::text::{self, Arg};
use crate::api::parameters::{ParameterView, list_of, problem};
use crate::policy::Action;
use crate::state::WebState;

#[derive(Debug, Serialize)]
struct Line {
    from: String,
    value: String,
    unit: String,
    legal_basis: String,
    region: bool,
    in_force: bool,
}

#[derive(Debug, Serialize)]
struct Parameter {
    name: String,
    description: String,
    lines: Vec<Line>,
}

/// `2027-01-01` as the page writes it: `01.01.2027`.
fn day(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}

/// A parameter's unit as the page writes it: `RUB/month` is «₽ в месяц»; a unit without a
/// text stays as the vendor wrote it.
fn unit_text(unit: &str) -> String {
    let id = format!("unit-{}", unit.replace('/', "-"));
    if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        unit.to_string()
    }
}

fn parameter(plugin: &str, p: ParameterView) -> Parameter {
    Parameter {
        lines: p
            .history
            .into_iter()
            .map(|l| Line {
                from: day(&l.from),
                value: if l.value.fract() == 0.0 && l.value.abs() < 1e15 {
                    text::number(l.value as i64)
                } else {
                    text::decimal(l.value, 2)
                },
                unit: unit_text(&l.unit),
                legal_basis: l.legal_basis,
                region: l.source == "region",
                in_force: l.in_force,
            })
            .collect(),
        description: text::plugin_text(plugin, &format!("parameter-{}", p.name), &p.description),
        name: p.name,
    }
}

/// What the form keeps of a refused entry.
#[derive(Default, Serialize)]
struct Typed {
    parameter: String,
    from: String,
    value: String,
    basis: String,
}

async fn page(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    status: StatusCode,
    typed: Typed,
    errors: &[FieldError],
    flash: Option<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadPlugins)?;
    let parameters: Vec<Parameter> = list_of(state, name)
        .await
        .map_err(PageError::from)?
        .into_iter()
        .map(|p| parameter(name, p))
        .collect();
    let (errors, field_errors) = errors_context(errors);
    Ok(viewer.page(
        status,
        "parameters.html",
        "/plugins",
        context! {
            title => t_with("parameters-title", &[("name", Arg::Text(name.to_string()))]),
            plugin => name,
            parameters => Value::from_serialize(&parameters),
            can_change => viewer.may(Action::ChangePlugins),
            typed => Value::from_serialize(&typed),
            errors => errors,
            field_errors => field_errors,
            flash => flash,
        },
    ))
}

/// `/plugins/{name}/parameters`.
pub async fn show(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let flash = (query.as_deref() == Some("added=1")).then(|| t("parameters-added"));
    page(
        &state,
        &viewer,
        &name,
        StatusCode::OK,
        Typed::default(),
        &[],
        flash,
    )
    .await
}

/// Adds (or replaces) the region's entry of a parameter from a date.
pub async fn add(
    State(state): State<Arc<WebState>>,
    Path(name): Path<String>,
    form: PostedForm,
) -> Result<Response, PageError> {
    let viewer = &form.viewer;
    viewer.require(Action::ChangePlugins)?;
    let typed = Typed {
        parameter: form.get("parameter").to_string(),
        from: form.get("from").to_string(),
        value: form.get("value").to_string(),
        basis: form.get("basis").to_string(),
    };
    let current = list_of(&state, &name).await.map_err(PageError::from)?;
    let Some(declared) = current.iter().find(|p| p.name == typed.parameter) else {
        return Err(PageError::Status(StatusCode::NOT_FOUND));
    };
    // Each parameter has its form; its fields' ids are prefixed with its name.
    let id = |field: &str| format!("{}-{field}", typed.parameter);
    let mut errors = Vec::new();
    let from = iso_day(&typed.from);
    if from.is_none() {
        errors.push(FieldError::new(id("from"), t("error-parameter-date")));
    }
    let value = typed
        .value
        .trim()
        .replace(',', ".")
        .replace([' ', '\u{a0}'], "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite());
    if value.is_none() {
        errors.push(FieldError::new(id("value"), t("error-parameter-value")));
    }
    if typed.basis.trim().is_empty() {
        errors.push(FieldError::new(id("basis"), t("error-parameter-basis")));
    }
    let (Some(from), Some(value), true) = (from, value, errors.is_empty()) else {
        return page(
            &state,
            viewer,
            &name,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            &errors,
            None,
        )
        .await;
    };
    let entry = ParameterValue {
        // `iso_day` gave a day the host parses.
        effective_from: zemstvo_service::parameters::parse_day(&from).unwrap_or_default(),
        value,
        unit: declared
            .history
            .last()
            .map(|l| l.unit.clone())
            .unwrap_or_default(),
        legal_basis: typed.basis.trim().to_string(),
    };
    match state
        .host
        .set_parameter(&name, &typed.parameter, entry, &viewer.principal.actor())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/plugins/{name}/parameters?added=1")).into_response()),
        Err(e) => {
            let problem = problem(e);
            if problem.status != 422 {
                return Err(problem.into());
            }
            let field = problem.field.clone().unwrap_or_else(|| "value".into());
            let field = match field.as_str() {
                "legal_basis" => "basis",
                "from" => "from",
                _ => "value",
            };
            let errors = [FieldError::new(
                id(field),
                t_with(
                    "error-config-other",
                    &[("detail", Arg::Text(problem.detail))],
                ),
            )];
            page(
                &state,
                viewer,
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                &errors,
                None,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_typed_and_shown_the_russian_way() {
        assert_eq!(day("2027-01-01"), "01.01.2027");
        assert_eq!(iso_day("01.01.2027").as_deref(), Some("2027-01-01"));
        assert_eq!(iso_day("1.1.2027").as_deref(), Some("2027-01-01"));
        assert_eq!(iso_day("2027-01-01").as_deref(), Some("2027-01-01"));
        assert_eq!(iso_day("31.02.2027"), None);
        assert_eq!(iso_day("завтра"), None);
    }
}
