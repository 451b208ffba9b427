//! The analytics dashboard for managers, administrators and auditors: the tasks the
//! algorithms issued in a period (per algorithm) and the SMEV requests per agency with their
//! answer times, each as a table and a chart ([`super::chart`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_store::smev::AgencyStats;

use super::chart::{self, Bar};
use super::page::{PageError, Viewer, t, t_with};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::state::WebState;
use crate::unix_now;

/// The periods the dashboard offers, in days.
const PERIODS: [i64; 3] = [7, 30, 90];

/// One algorithm's tasks in the period.
#[derive(Debug, Default, Serialize)]
struct PluginTasks {
    plugin: String,
    tasks: u64,
    open: u64,
    done: u64,
    rejected: u64,
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
    /// Requests against the previous period of the same length: `−5 701`.
    requests_change: Option<String>,
    /// Mean answer days against the previous period: `+0,55`.
    days_change: Option<String>,
}

/// One agency's figures in the previous period of the same length, from its figures since
/// the previous period's start (`both`) less the current period's: the store answers periods
/// up to now, and a mean over answered requests splits exactly by their counts.
fn previous(both: &AgencyStats, current: &AgencyStats) -> (u64, Option<f64>) {
    let requests = both.requests.saturating_sub(current.requests);
    let answered = both.answered.saturating_sub(current.answered);
    let mean = match (both.mean_answer_days, current.mean_answer_days) {
        _ if answered == 0 => None,
        (Some(all), Some(now)) => {
            Some((all * both.answered as f64 - now * current.answered as f64) / answered as f64)
        }
        (Some(all), None) => Some(all),
        (None, _) => None,
    };
    (requests, mean)
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
    let since = unix_now() - days * 86_400;
    let mut per_plugin: BTreeMap<String, PluginTasks> = BTreeMap::new();
    for c in state.store().task_counts(since).await? {
        let entry = per_plugin.entry(c.plugin.clone()).or_default();
        entry.plugin = c.plugin;
        entry.tasks += c.tasks;
        match c.status.as_str() {
            "done" => entry.done += c.tasks,
            "rejected" => entry.rejected += c.tasks,
            _ => entry.open += c.tasks,
        }
    }
    let mut plugins: Vec<PluginTasks> = per_plugin.into_values().collect();
    plugins.sort_by(|a, b| b.tasks.cmp(&a.tasks).then(a.plugin.cmp(&b.plugin)));
    let total: u64 = plugins.iter().map(|p| p.tasks).sum();
    let done: u64 = plugins.iter().map(|p| p.done).sum();
    let rejected: u64 = plugins.iter().map(|p| p.rejected).sum();
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
    let agencies = state.store().agency_stats(since).await?;
    let smev_chart = chart::bars(
        "smev-chart",
        &t("dashboard-smev-chart"),
        &agencies
            .iter()
            .map(|a| Bar {
                label: agency_name(&a.agency),
                value: a.mean_answer_days.unwrap_or(0.0),
                shown: a
                    .mean_answer_days
                    .map(days_text)
                    .unwrap_or_else(|| t("no-answers")),
            })
            .collect::<Vec<_>>(),
    );
    let both = state.store().agency_stats(since - days * 86_400).await?;
    let agencies: Vec<AgencyRow> = agencies
        .into_iter()
        .map(|a| {
            let before = both
                .iter()
                .find(|b| b.agency == a.agency)
                .map(|b| previous(b, &a));
            let requests_change = before
                .filter(|(requests, _)| *requests > 0)
                .map(|(requests, _)| text::signed(a.requests as i64 - requests as i64));
            let days_change = match (a.mean_answer_days, before.and_then(|(_, mean)| mean)) {
                (Some(now), Some(then)) => Some(text::signed_decimal(now - then, 2)),
                _ => None,
            };
            AgencyRow {
                agency: agency_name(&a.agency),
                requests: a.requests,
                answered: a.answered,
                rejected: a.rejected,
                pending: a.pending,
                mean_days: a.mean_answer_days.map(days_text),
                requests_change,
                days_change,
            }
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
            total => total,
            algorithms => plugins.len(),
            done => done,
            rejected => rejected,
            plugins => Value::from_serialize(&plugins),
            tasks_chart => Value::from_safe_string(tasks_chart),
            agencies => Value::from_serialize(&agencies),
            smev_chart => Value::from_safe_string(smev_chart),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, answered: u64, mean: Option<f64>) -> AgencyStats {
        AgencyStats {
            agency: "fns".into(),
            requests,
            answered,
            rejected: 0,
            pending: 0,
            mean_answer_days: mean,
        }
    }

    #[test]
    fn the_previous_period_is_both_periods_less_the_current_one() {
        // 10 answered at 1.34 now, 10 answered at 0.79 before: 20 at 1.065 in both.
        let now = stats(12, 10, Some(1.34));
        let both = stats(30, 20, Some(1.065));
        let (requests, mean) = previous(&both, &now);
        assert_eq!(requests, 18);
        assert!((mean.unwrap() - 0.79).abs() < 1e-9);
        assert_eq!(text::signed_decimal(1.34 - mean.unwrap(), 2), "+0,55");
        assert_eq!(previous(&now, &now), (0, None));
    }
}
