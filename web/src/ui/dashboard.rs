//! The analytics dashboard for managers, administrators and auditors: the tasks the
//! algorithms issued in a period (per algorithm and week by week), the SMEV requests per
//! agency with their answer times (and per week), and each ISU algorithm's effect over time —
//! the share it watches, week by week, before and after it was enabled — each as a chart
//! ([`super::chart`]) and a table with the same numbers.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;
use zemstvo_store::analytics::{Period, Week};
use zemstvo_store::workload::WeekEffect;

use super::chart::{self, Bar, Column, Marker};
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

/// One week of the tasks the algorithms issued.
#[derive(Debug, Serialize)]
struct WeekRow {
    /// The week's first day, `23.11.2026`.
    from: String,
    tasks: u64,
    deviations: u64,
}

/// One agency's requests week by week.
#[derive(Debug, Serialize)]
struct AgencyWeeks {
    agency: String,
    weeks: Vec<AgencyWeek>,
}

#[derive(Debug, Serialize)]
struct AgencyWeek {
    requests: u64,
    mean_days: Option<String>,
}

/// One week of an algorithm's effect: how many of how many, and the share.
#[derive(Debug, Serialize)]
struct EffectRow {
    from: String,
    part: u64,
    whole: u64,
    share: Option<String>,
}

/// An ISU algorithm's effect over time: the share its check watches, week by week.
#[derive(Debug, Serialize)]
struct Effect {
    /// `returns`, `off-standard` or `norm`: names the texts.
    id: &'static str,
    plugin: &'static str,
    installed: bool,
    /// When it was first enabled, as the audit log has it.
    enabled_at: Option<i64>,
    /// The SVG, drawn here (escaped here too): the template marks it safe.
    chart: String,
    rows: Vec<EffectRow>,
    /// The share over the weeks wholly before and wholly after it was enabled.
    before: Option<String>,
    after: Option<String>,
}

/// The algorithm whose effect each share shows, and how a week's share is counted.
const EFFECTS: [(&str, &str); 3] = [
    ("returns", "isu-returns-for-revision"),
    ("off-standard", "isu-off-standard-acceptance"),
    ("norm", "isu-home-care-load"),
];

/// `(part, whole)` of a week for an effect, as the week's table row shows them.
fn effect_raw(id: &str, week: &WeekEffect) -> (u64, u64) {
    match id {
        "returns" => (week.returned, week.decided),
        "off-standard" => (week.off_standard, week.submitted),
        _ => (week.meeting_norm.unwrap_or(0), week.social_workers),
    }
}

/// `(part, whole)` of a week for an effect; `None` when the week has no data for it (nothing
/// decided or submitted; for the norm, no visit recorded at all).
fn effect_counts(id: &str, week: &WeekEffect) -> Option<(u64, u64)> {
    let (part, whole) = effect_raw(id, week);
    let has_data = whole > 0 && (id != "norm" || week.meeting_norm.is_some());
    has_data.then_some((part, whole))
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// A share as the page writes it: whole percent from 10 up, one decimal below (`2,4 %`).
fn share_text(x: f64) -> String {
    if x >= 10.0 || x == 0.0 {
        text::percent(x)
    } else {
        format!("{}\u{a0}%", text::decimal(x, 1))
    }
}

/// When `plugin` was first enabled, from the audit log (oldest `enable` about it).
async fn first_enabled(state: &WebState, plugin: &str) -> Result<Option<i64>, PageError> {
    Ok(state
        .store()
        .audit_log(Some(plugin), 10_000)
        .await?
        .iter()
        .rev()
        .find(|e| e.action == "enable")
        .map(|e| e.at))
}

fn effect(
    id: &'static str,
    plugin: &'static str,
    installed: bool,
    enabled_at: Option<i64>,
    weeks: &[WeekEffect],
    zone: chrono_tz::Tz,
) -> Effect {
    let counts: Vec<Option<(u64, u64)>> = weeks.iter().map(|w| effect_counts(id, w)).collect();
    let pooled = |keep: &dyn Fn(&Week) -> bool| {
        let (part, whole) = weeks
            .iter()
            .zip(&counts)
            .filter(|(w, _)| keep(&w.week))
            .filter_map(|(_, c)| *c)
            .fold((0, 0), |(p, w), (a, b)| (p + a, w + b));
        share(part, whole).map(share_text)
    };
    let (before, after) = match enabled_at {
        Some(at) => (pooled(&|w| w.end <= at), pooled(&|w| w.start >= at)),
        None => (None, None),
    };
    let marker = enabled_at.and_then(|at| {
        let first = weeks.first()?.week.start;
        let last = weeks.last()?.week.end;
        (first..last).contains(&at).then(|| {
            // Within the week it happened in, as far into it as it happened.
            let i = weeks.partition_point(|w| w.week.end <= at);
            let week = &weeks[i.min(weeks.len() - 1)].week;
            let into = (at - week.start) as f64 / (week.end - week.start).max(1) as f64;
            Marker {
                at: i as f64 + into.clamp(0.0, 1.0),
                label: t_with(
                    "effect-enabled-at",
                    &[("date", Arg::Text(text::date(at, zone)))],
                ),
            }
        })
    });
    let columns: Vec<Column> = weeks
        .iter()
        .zip(&counts)
        .map(|(w, c)| {
            let value = c.and_then(|(p, w)| share(p, w));
            Column {
                label: day_month(w.week.start, zone),
                value,
                shown: value.map(share_text).unwrap_or_default(),
            }
        })
        .collect();
    let svg = chart::columns(
        &format!("effect-{id}-chart"),
        &t(&format!("effect-{id}-chart")),
        &columns,
        marker.as_ref(),
    );
    Effect {
        id,
        plugin,
        installed,
        enabled_at,
        chart: svg,
        rows: weeks
            .iter()
            .zip(&counts)
            .map(|(w, c)| EffectRow {
                from: text::date(w.week.start, zone),
                part: effect_raw(id, w).0,
                whole: effect_raw(id, w).1,
                share: c.and_then(|(p, w)| share(p, w)).map(share_text),
            })
            .collect(),
        before,
        after,
    }
}

/// A week's first day, short: `23.11`.
fn day_month(unix: i64, zone: chrono_tz::Tz) -> String {
    text::date(unix, zone).chars().take(5).collect()
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
    let task_weeks = state.store().weekly_tasks(&weeks).await?;
    let weeks_chart = chart::columns(
        "weeks-chart",
        &t("dashboard-weeks-chart"),
        &task_weeks
            .iter()
            .map(|w| Column {
                label: day_month(w.week.start, zone),
                value: Some(w.tasks as f64),
                shown: text::number(w.tasks as i64),
            })
            .collect::<Vec<_>>(),
        None,
    );
    let week_rows: Vec<WeekRow> = task_weeks
        .iter()
        .map(|w| WeekRow {
            from: text::date(w.week.start, zone),
            tasks: w.tasks,
            deviations: w.deviations,
        })
        .collect();
    let week_starts: Vec<String> = weeks.iter().map(|w| text::date(w.start, zone)).collect();
    let smev_weeks: Vec<AgencyWeeks> = smev
        .iter()
        .map(|a| AgencyWeeks {
            agency: agency_name(&a.agency),
            weeks: a
                .weeks
                .iter()
                .map(|w| AgencyWeek {
                    requests: w.requests,
                    mean_days: w.mean_answer_days.map(|d| text::decimal(d, 2)),
                })
                .collect(),
        })
        .collect();
    // All agencies' answers week by week: the mean over the answered requests.
    let smev_weeks_chart = chart::columns(
        "smev-weeks-chart",
        &t("dashboard-smev-weeks-chart"),
        &weeks
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let (answered, days) = smev
                    .iter()
                    .filter_map(|a| a.weeks.get(i))
                    .filter_map(|w| w.mean_answer_days.map(|d| (w.answered, d)))
                    .fold((0u64, 0.0), |(n, sum), (a, d)| (n + a, sum + a as f64 * d));
                let mean = (answered > 0).then(|| days / answered as f64);
                Column {
                    label: day_month(w.start, zone),
                    value: mean,
                    shown: mean.map(|d| text::decimal(d, 2)).unwrap_or_default(),
                }
            })
            .collect::<Vec<_>>(),
        None,
    );
    let week_effects = state.store().weekly_effects(&weeks).await?;
    let mut effects = Vec::new();
    for (id, plugin) in EFFECTS {
        let installed = state.store().installation(plugin).await?.is_some();
        let enabled_at = first_enabled(&state, plugin).await?;
        effects.push(effect(
            id,
            plugin,
            installed,
            enabled_at,
            &week_effects,
            zone,
        ));
    }
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
    let appeals = super::appeals::dashboard_section(&state).await?;
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
            weeks_chart => Value::from_safe_string(weeks_chart),
            week_rows => Value::from_serialize(&week_rows),
            week_starts => week_starts,
            smev_weeks => Value::from_serialize(&smev_weeks),
            smev_weeks_chart => Value::from_safe_string(smev_weeks_chart),
            effects => Value::from_serialize(&effects),
            appeals => appeals,
        },
    ))
}
