//! Analytics for a period, as the Lipetsk ISU dashboard shows them: the tasks the algorithms
//! issued (per plugin and per unit), SMEV answer times per agency with their change against the
//! previous period and a weekly trend, and the correlation of application processing time with
//! SMEV answer time.
//!
//! The SMEV answers read every request of two periods; they are computed once per period and
//! served for [`FRESH_FOR`] (then recomputed in the background while the last answer is still
//! served), so a dashboard open in every office of the region costs one computation, not one
//! per viewer, and no viewer waits for it but the first.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zemstvo_store::analytics::{
    AgencyAnalytics, AgencyCorrelation, AnswerFigures, Period, TaskFigures, Week,
};

use super::QueryParams;
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

const DAY: i64 = 86_400;
/// The period when none is asked for.
const DEFAULT_SPAN: i64 = 30 * DAY;
/// The longest period one request may ask for (three years), which bounds what it reads.
const MAX_SPAN: i64 = 3 * 366 * DAY;
/// How long a computed SMEV answer is served again: answers arrive over days.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

/// The period of an analytics request.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// The period's start, seconds since the epoch; by default 30 days before its end.
    pub since: Option<i64>,
    /// The period's end (exclusive), seconds since the epoch, at most a day from now; by
    /// default the end of the current minute.
    pub until: Option<i64>,
}

/// The period asked for, checked: 0 ≤ since < until ≤ now + 1 day, at most three years long.
pub fn period(p: &PeriodParams, now: i64) -> Result<Period, Problem> {
    let latest = now + DAY;
    let until = match p.until {
        // The end of the current minute, so that the default period is one key of the cache
        // for a minute.
        None => (now.div_euclid(60) + 1) * 60,
        Some(u) if (1..=latest).contains(&u) => u,
        Some(u) => {
            return Err(Problem::bad_request(format!(
                "until is {u}; give seconds since the epoch, no later than a day from now ({latest})"
            ))
            .field("until"));
        }
    };
    let since = match p.since {
        None => (until - DEFAULT_SPAN).max(0),
        Some(s) if s >= 0 => s,
        Some(s) => {
            return Err(Problem::bad_request(format!(
                "since is {s}; give seconds since the epoch (0 or more)"
            ))
            .field("since"));
        }
    };
    if since >= until {
        return Err(Problem::bad_request(format!(
            "since ({since}) is not before until ({until}); give a period that starts before it ends"
        ))
        .field("since"));
    }
    if until - since > MAX_SPAN {
        return Err(Problem::bad_request(format!(
            "the period is {} days long; give at most {} days",
            (until - since) / DAY,
            MAX_SPAN / DAY
        ))
        .field("since"));
    }
    Ok(Period { since, until })
}

/// The ISO weeks (Monday to Monday in `zone`) that `period` touches, each cut to the period:
/// the buckets of the weekly trend.
pub fn iso_weeks(period: Period, zone: Tz) -> Vec<Week> {
    let Some(first) = DateTime::from_timestamp(period.since, 0) else {
        return Vec::new();
    };
    let first = first.with_timezone(&zone).date_naive();
    let mut monday = first - Days::new(u64::from(first.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    loop {
        let next = monday + Days::new(7);
        let (start, end) = (local_midnight(monday, zone), local_midnight(next, zone));
        let iso = monday.iso_week();
        weeks.push(Week {
            label: format!("{}-W{:02}", iso.year(), iso.week()),
            start: start.max(period.since),
            end: end.min(period.until),
        });
        if end >= period.until {
            return weeks;
        }
        monday = next;
    }
}

/// The first moment of `day` in `zone` (an hour later where midnight is skipped by a clock
/// change).
fn local_midnight(day: NaiveDate, zone: Tz) -> i64 {
    let midnight = day.and_time(NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + TimeDelta::hours(1)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp())
}

/// The period an answer covers, echoed so a chart can label its axis.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    /// Seconds since the epoch, inclusive.
    pub since: i64,
    /// Seconds since the epoch, exclusive.
    pub until: i64,
}

impl From<Period> for PeriodView {
    fn from(p: Period) -> Self {
        PeriodView {
            since: p.since,
            until: p.until,
        }
    }
}

/// The four figures of the ISU dashboard for one slice of the region's staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskFiguresView {
    /// Tasks the algorithms issued in the period.
    pub tasks: u64,
    /// Distinct algorithms: for the region those that ran or issued tasks, for a unit those
    /// that issued it tasks, for a plugin 1.
    pub algorithms: u64,
    /// Distinct employees the tasks went to.
    pub employees: u64,
    /// Tasks that stand as deviations: all but those the staff rejected as not being one.
    pub deviations: u64,
}

impl From<TaskFigures> for TaskFiguresView {
    fn from(f: TaskFigures) -> Self {
        TaskFiguresView {
            tasks: f.tasks,
            algorithms: f.algorithms,
            employees: f.employees,
            deviations: f.deviations,
        }
    }
}

/// One algorithm's tasks: which algorithms do the work.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginTasksView {
    pub plugin: String,
    /// Runs started in the period, whatever their outcome.
    pub runs: u64,
    #[serde(flatten)]
    pub figures: TaskFiguresView,
}

/// One unit's tasks (by the assignee's unit): where the deviations are.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitTasksView {
    /// The unit's id (`units.id`).
    pub unit: u64,
    pub name: String,
    #[serde(flatten)]
    pub figures: TaskFiguresView,
}

/// The tasks dashboard of a period: the region's totals, per algorithm and per unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskAnalyticsView {
    pub period: PeriodView,
    pub total: TaskFiguresView,
    /// Most tasks first.
    pub plugins: Vec<PluginTasksView>,
    /// Most tasks first.
    pub units: Vec<UnitTasksView>,
}

/// Tasks issued, algorithms in use, employees reached and deviations found in the period, in
/// total, per plugin and per unit.
#[utoipa::path(get, path = "/api/v1/analytics/tasks", tag = "analytics", params(PeriodParams),
    responses((status = 200, body = TaskAnalyticsView), (status = 400, body = Problem),
        (status = 403, body = Problem)))]
pub async fn tasks(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(p): QueryParams<PeriodParams>,
) -> Result<Json<TaskAnalyticsView>, Problem> {
    principal.require(Action::ReadAnalytics)?;
    let period = period(&p, crate::unix_now())?;
    let a = state.store().task_analytics(period).await?;
    Ok(Json(TaskAnalyticsView {
        period: period.into(),
        total: a.total.into(),
        plugins: a
            .plugins
            .into_iter()
            .map(|p| PluginTasksView {
                plugin: p.plugin,
                runs: p.runs,
                figures: p.figures.into(),
            })
            .collect(),
        units: a
            .units
            .into_iter()
            .map(|u| UnitTasksView {
                unit: u.unit,
                name: u.name,
                figures: u.figures.into(),
            })
            .collect(),
    }))
}

/// Volumes and answer times of one agency's requests sent in one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerFiguresView {
    pub requests: u64,
    pub answered: u64,
    pub rejected: u64,
    /// Sent and still awaiting an answer.
    pub pending: u64,
    /// Mean days from sending to answer, over answered requests.
    pub mean_answer_days: Option<f64>,
    /// The 90th percentile of the same: the slow tail the mean hides.
    pub p90_answer_days: Option<f64>,
}

impl From<&AnswerFigures> for AnswerFiguresView {
    fn from(f: &AnswerFigures) -> Self {
        AnswerFiguresView {
            requests: f.requests,
            answered: f.answered,
            rejected: f.rejected,
            pending: f.pending,
            mean_answer_days: f.mean_answer_days,
            p90_answer_days: f.p90_answer_days,
        }
    }
}

/// How the period compares with the previous one: is the agency getting slower?
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Requests now minus requests then.
    pub requests: i64,
    /// The same in percent of then; absent when there were none then.
    pub requests_percent: Option<f64>,
    /// Mean answer days now minus then; absent unless both have answers.
    pub mean_answer_days: Option<f64>,
    /// The 90th percentile now minus then; absent unless both have answers.
    pub p90_answer_days: Option<f64>,
}

/// One ISO week of an agency's trend (in the region's time zone, cut to the period).
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekView {
    /// The ISO week, e.g. `2026-W48`.
    pub week: String,
    /// Seconds since the epoch, inclusive.
    pub start: i64,
    /// Seconds since the epoch, exclusive.
    pub end: i64,
    /// Requests sent in the week.
    pub requests: u64,
    /// Of those, answered by now.
    pub answered: u64,
    pub mean_answer_days: Option<f64>,
}

/// One agency's SMEV figures: the dashboard's row and its chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyView {
    pub agency: String,
    #[serde(flatten)]
    pub current: AnswerFiguresView,
    /// The same figures for the previous period of the same length.
    pub previous: AnswerFiguresView,
    pub change: ChangeView,
    /// Every ISO week the period touches, oldest first.
    pub weeks: Vec<WeekView>,
}

impl From<&AgencyAnalytics> for AgencyView {
    fn from(a: &AgencyAnalytics) -> Self {
        let (now, then) = (&a.current, &a.previous);
        let delta = |x: Option<f64>, y: Option<f64>| Some(x? - y?);
        AgencyView {
            agency: a.agency.clone(),
            current: now.into(),
            previous: then.into(),
            change: ChangeView {
                requests: now.requests as i64 - then.requests as i64,
                requests_percent: (then.requests > 0).then(|| {
                    (now.requests as f64 - then.requests as f64) * 100.0 / then.requests as f64
                }),
                mean_answer_days: delta(now.mean_answer_days, then.mean_answer_days),
                p90_answer_days: delta(now.p90_answer_days, then.p90_answer_days),
            },
            weeks: a
                .weeks
                .iter()
                .map(|w| WeekView {
                    week: w.week.label.clone(),
                    start: w.week.start,
                    end: w.week.end,
                    requests: w.requests,
                    answered: w.answered,
                    mean_answer_days: w.mean_answer_days,
                })
                .collect(),
        }
    }
}

/// SMEV per agency in a period, beside the previous period of the same length.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmevAnalyticsView {
    pub period: PeriodView,
    /// The period the changes are measured against.
    pub previous_period: PeriodView,
    /// The IANA zone the weeks are cut in (the region's).
    pub time_zone: String,
    /// Most requests first.
    pub agencies: Vec<AgencyView>,
}

/// SMEV requests per agency in the period: volumes, mean and 90th-percentile answer days, the
/// change against the previous period and a weekly trend. Recomputed at most every 30 s.
#[utoipa::path(get, path = "/api/v1/analytics/smev", tag = "analytics", params(PeriodParams),
    responses((status = 200, body = SmevAnalyticsView), (status = 400, body = Problem),
        (status = 403, body = Problem)))]
pub async fn smev(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(p): QueryParams<PeriodParams>,
) -> Result<Response, Problem> {
    principal.require(Action::ReadAnalytics)?;
    let period = period(&p, crate::unix_now())?;
    static RECENT: Recent = Recent::new();
    let asked = p.since.is_some() || p.until.is_some();
    RECENT
        .get(&state, "smev", period, asked, move |state| async move {
            let zone = region_zone(&state).await?;
            let weeks = iso_weeks(period, zone);
            let agencies = state.store().smev_analytics(period, &weeks).await?;
            json(&SmevAnalyticsView {
                period: period.into(),
                previous_period: period.previous().into(),
                time_zone: zone.name().to_string(),
                agencies: agencies.iter().map(AgencyView::from).collect(),
            })
        })
        .await
}

/// How one agency's answer times go with the processing times of the applications that
/// waited for them: whether speeding the agency up would speed the region's decisions up.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrelationView {
    pub agency: String,
    /// Applications decided in the period with an answered request to this agency: the
    /// sample r is computed over.
    pub applications: u64,
    /// Pearson's r between days from submission to decision and the days the agency's
    /// (slowest) answer took; null below 3 applications or when either does not vary.
    pub r: Option<f64>,
    pub mean_processing_days: Option<f64>,
    pub mean_answer_days: Option<f64>,
}

impl From<AgencyCorrelation> for CorrelationView {
    fn from(c: AgencyCorrelation) -> Self {
        CorrelationView {
            agency: c.agency,
            applications: c.applications,
            r: c.r,
            mean_processing_days: c.mean_processing_days,
            mean_answer_days: c.mean_answer_days,
        }
    }
}

/// The correlation per agency of the applications decided in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrelationAnalyticsView {
    pub period: PeriodView,
    /// Most applications first.
    pub agencies: Vec<CorrelationView>,
}

/// The correlation of application processing time (submitted → decided, for applications
/// decided in the period) with SMEV answer time, per agency. Recomputed at most every 30 s.
#[utoipa::path(get, path = "/api/v1/analytics/correlation", tag = "analytics",
    params(PeriodParams),
    responses((status = 200, body = CorrelationAnalyticsView), (status = 400, body = Problem),
        (status = 403, body = Problem)))]
pub async fn correlation(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    QueryParams(p): QueryParams<PeriodParams>,
) -> Result<Response, Problem> {
    principal.require(Action::ReadAnalytics)?;
    let period = period(&p, crate::unix_now())?;
    static RECENT: Recent = Recent::new();
    let asked = p.since.is_some() || p.until.is_some();
    RECENT
        .get(
            &state,
            "correlation",
            period,
            asked,
            move |state| async move {
                let agencies = state.store().smev_correlation(period).await?;
                json(&CorrelationAnalyticsView {
                    period: period.into(),
                    agencies: agencies.into_iter().map(CorrelationView::from).collect(),
                })
            },
        )
        .await
}

/// The region's time zone, UTC when the region names none the host knows.
pub(crate) async fn region_zone(state: &WebState) -> Result<Tz, Problem> {
    Ok(state
        .store()
        .region()
        .await?
        .and_then(|r| zemstvo_service::parse_time_zone(&r.timezone).ok())
        .unwrap_or(Tz::UTC))
}

fn json(value: &impl Serialize) -> Result<Bytes, Problem> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Problem::unavailable(format!("the answer could not be rendered: {e}")))
}

/// Answers computed recently, as rendered JSON, per database and period. Requests for a
/// period being computed wait for that one computation instead of starting their own; once an
/// answer is older than [`FRESH_FOR`], the next request starts a new computation in the
/// background and it and the others are served the last answer until the new one is ready, so
/// a busy dashboard never waits for a recomputation.
struct Recent {
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    /// The database (one process may serve several regions: the tests do) and the period
    /// asked for (`None`: the default one, which moves with the clock).
    key: (String, Option<Period>),
    /// When `answer` was started.
    started: Instant,
    answer: Arc<tokio::sync::OnceCell<Bytes>>,
    /// The answer before, served while `answer` is computed.
    stale: Option<Bytes>,
}

/// Periods kept at once; the one started longest ago goes first.
const RECENT_PERIODS: usize = 16;
/// How long a stale answer may still be served while its successor is computed.
const STALE_FOR: Duration = Duration::from_secs(600);

impl Recent {
    const fn new() -> Self {
        Recent {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The answer for `period` (`asked`: whether the caller named it), computed by `compute`
    /// unless a recent one is at hand.
    async fn get<F, Fut>(
        &'static self,
        state: &Arc<WebState>,
        what: &str,
        period: Period,
        asked: bool,
        compute: F,
    ) -> Result<Response, Problem>
    where
        F: FnOnce(Arc<WebState>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Bytes, Problem>> + Send + 'static,
    {
        let key = (
            format!("{what} {}", state.store().url()),
            asked.then_some(period),
        );
        let (cell, stale, refresh) = {
            // Poisoned only if a thread panicked while holding it over plain Vec operations;
            // the entries are still whole.
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.retain(|e| e.started.elapsed() < STALE_FOR);
            match entries.iter_mut().find(|e| e.key == key) {
                Some(e) if e.started.elapsed() < FRESH_FOR => {
                    (e.answer.clone(), e.stale.clone(), false)
                }
                Some(e) => {
                    e.stale = e.answer.get().cloned().or(e.stale.take());
                    e.answer = Arc::new(tokio::sync::OnceCell::new());
                    e.started = Instant::now();
                    (e.answer.clone(), e.stale.clone(), true)
                }
                None => {
                    if entries.len() >= RECENT_PERIODS {
                        entries.remove(0);
                    }
                    let answer = Arc::new(tokio::sync::OnceCell::new());
                    entries.push(Entry {
                        key,
                        started: Instant::now(),
                        answer: answer.clone(),
                        stale: None,
                    });
                    (answer, None, false)
                }
            }
        };
        let state = state.clone();
        let body = match (cell.get(), stale) {
            (Some(body), _) => body.clone(),
            (None, Some(stale)) => {
                if refresh {
                    // A failure leaves the cell empty: the stale answer is served until the
                    // next refresh, FRESH_FOR later.
                    tokio::spawn(
                        async move { cell.get_or_try_init(|| compute(state)).await.is_ok() },
                    );
                }
                stale
            }
            (None, None) => cell.get_or_try_init(|| compute(state)).await?.clone(),
        };
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_181_600; // 2026-12-02 03:20 UTC, a Wednesday

    fn asked(since: Option<i64>, until: Option<i64>) -> Result<Period, Problem> {
        period(&PeriodParams { since, until }, NOW)
    }

    #[test]
    fn a_period_defaults_to_the_last_30_days_and_refuses_what_makes_no_sense() {
        let p = asked(None, None).unwrap();
        assert_eq!(p.until, 1_796_181_660, "the end of the current minute");
        assert_eq!(p.until - p.since, 30 * DAY);
        assert_eq!(asked(None, Some(100)).unwrap().since, 0);
        assert_eq!(asked(Some(NOW - DAY), None).unwrap().since, NOW - DAY);
        for (since, until, field) in [
            (Some(-1), None, "since"),
            (None, Some(NOW + 2 * DAY), "until"),
            (None, Some(0), "until"),
            (Some(NOW), Some(NOW), "since"),
            (Some(NOW + 3_600), None, "since"),
            (Some(0), Some(NOW), "since"),
        ] {
            let problem = asked(since, until).unwrap_err();
            assert_eq!(problem.status, 400);
            assert_eq!(problem.field.as_deref(), Some(field), "{since:?} {until:?}");
        }
        assert!(asked(Some(NOW - MAX_SPAN), Some(NOW)).is_ok());
    }

    #[test]
    fn weeks_run_monday_to_monday_in_the_regions_zone_and_are_cut_to_the_period() {
        // Wednesday 2026-11-25 12:00 UTC to Wednesday 2026-12-02 12:00 UTC, in Moscow (UTC+3).
        let period = Period {
            since: 1_795_608_000,
            until: 1_796_212_800,
        };
        let weeks = iso_weeks(period, chrono_tz::Europe::Moscow);
        let monday_msk = 1_795_986_000; // 2026-11-30 00:00 MSK = 2026-11-29 21:00 UTC
        assert_eq!(
            weeks,
            [
                Week {
                    label: "2026-W48".into(),
                    start: period.since,
                    end: monday_msk,
                },
                Week {
                    label: "2026-W49".into(),
                    start: monday_msk,
                    end: period.until,
                },
            ]
        );
        // In Yekaterinburg (UTC+5) the same Monday starts two hours earlier.
        let weeks = iso_weeks(period, chrono_tz::Asia::Yekaterinburg);
        assert_eq!(weeks[0].end, monday_msk - 2 * 3_600);
        // 2026 has 53 ISO weeks: the week of 2027-01-01 is 2026-W53.
        let new_year = Period {
            since: 1_798_761_600, // 2027-01-01 00:00 UTC
            until: 1_799_366_400, // 2027-01-08 00:00 UTC
        };
        let labels: Vec<String> = iso_weeks(new_year, Tz::UTC)
            .into_iter()
            .map(|w| w.label)
            .collect();
        assert_eq!(labels, ["2026-W53", "2027-W01"]);
    }
}
