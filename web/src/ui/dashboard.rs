//! The analytics dashboard for managers, administrators and auditors: the tasks the
//! algorithms issued in a period (per algorithm) and the SMEV requests per agency with their
//! answer times, each as a table and a chart ([`super::chart`]).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_store::analytics::Period;

use super::chart::{self, Bar};
use super::page::{PageError, Viewer, t, t_with};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::state::WebState;
use crate::unix_now;

/// The periods the dashboard offers, in days.
const PERIODS: [i64; 3] = [7, 30, 90];

/// One algorithm's figures in the period.
#[derive(Debug, Serialize)]
struct PluginRow {
    plugin: String,
    runs: u64,
    tasks: u64,
    employees: u64,
    deviations: u64,
}

/// One agency's SMEV requests in the period.
#[derive(Debug, Serialize)]
struct AgencyRow {
    agency: String,
    requests: u64,
    answered: u64,
    rejected: u64,
    pending: u64,
    mean_days: Option<String>,
    p90_days: Option<String>,
    /// Requests against the previous period of the same length: `−5 701`.
    requests_change: Option<String>,
    /// Mean answer days against the previous period: `+0,55`.
    days_change: Option<String>,
}

/// How one agency's answer times go with the region's processing times.
#[derive(Debug, Serialize)]
struct CorrelationRow {
    agency: String,
    applications: u64,
    /// Pearson's r, `0,66`; none when it cannot be computed.
    r: Option<String>,
}

/// An agency as the page names it: `fns` is «ФНС»; a code without a text stays as it is.
fn agency_name(code: &str) -> String {
    let id = format!("agency-{code}");
    if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        code.to_string()
    }
}

fn days_text(x: f64) -> String {
    t_with(
        "days",
        &[
            ("count", Arg::Number((x * 100.0).round() / 100.0)),
            ("n", Arg::Text(text::decimal(x, 2))),
        ],
    )
}

/// `/dashboard?days=30`.
pub async fn page(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAnalytics)?;
    let days = query
        .as_deref()
        .and_then(|q| q.strip_prefix("days="))
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(30);
    let now = unix_now();
    let period = Period {
        since: now - days * 86_400,
        until: now + 1,
    };
    let figures = state.store().task_analytics(period).await?;
    let plugins: Vec<PluginRow> = figures
        .plugins
        .iter()
        .map(|p| PluginRow {
            plugin: p.plugin.clone(),
            runs: p.runs,
            tasks: p.figures.tasks,
            employees: p.figures.employees,
            deviations: p.figures.deviations,
        })
        .collect();
    let tasks_chart = chart::bars(
        "tasks-chart",
        &t("dashboard-by-plugin-chart"),
        &plugins
            .iter()
            .map(|p| Bar {
                label: p.plugin.clone(),
                value: p.tasks as f64,
                shown: text::number(p.tasks as i64),
            })
            .collect::<Vec<_>>(),
    );
    let zone = crate::api::analytics::region_zone(&state).await?;
    let weeks = crate::api::analytics::iso_weeks(period, zone);
    let smev = state.store().smev_analytics(period, &weeks).await?;
    let smev_chart = chart::bars(
        "smev-chart",
        &t("dashboard-smev-chart"),
        &smev
            .iter()
            .map(|a| Bar {
                label: agency_name(&a.agency),
                value: a.current.mean_answer_days.unwrap_or(0.0),
                shown: a
                    .current
                    .mean_answer_days
                    .map(days_text)
                    .unwrap_or_else(|| t("no-answers")),
            })
            .collect::<Vec<_>>(),
    );
    let agencies: Vec<AgencyRow> = smev
        .iter()
        .map(|a| {
            let (now, then) = (&a.current, &a.previous);
            AgencyRow {
                agency: agency_name(&a.agency),
                requests: now.requests,
                answered: now.answered,
                rejected: now.rejected,
                pending: now.pending,
                mean_days: now.mean_answer_days.map(days_text),
                p90_days: now.p90_answer_days.map(days_text),
                requests_change: (then.requests > 0)
                    .then(|| text::signed(now.requests as i64 - then.requests as i64)),
                days_change: match (now.mean_answer_days, then.mean_answer_days) {
                    (Some(n), Some(p)) => Some(text::signed_decimal(n - p, 2)),
                    _ => None,
                },
            }
        })
        .collect();
    let correlation: Vec<CorrelationRow> = state
        .store()
        .smev_correlation(period)
        .await?
        .into_iter()
        .map(|c| CorrelationRow {
            agency: agency_name(&c.agency),
            applications: c.applications,
            r: c.r.map(|r| text::decimal(r, 2)),
        })
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "dashboard.html",
        "/dashboard",
        context! {
            title => t("dashboard-title"),
            days => days,
            periods => PERIODS.to_vec(),
            total => Value::from_serialize(&figures.total),
            plugins => Value::from_serialize(&plugins),
            correlation => Value::from_serialize(&correlation),
            tasks_chart => Value::from_safe_string(tasks_chart),
            agencies => Value::from_serialize(&agencies),
            smev_chart => Value::from_safe_string(smev_chart),
        },
    ))
}
