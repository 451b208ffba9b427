//! Analytics for a period, as the ISU dashboard of the seeds shows them: the tasks the
//! algorithms issued (per plugin and per unit), SMEV answer times per agency with their change
//! against the previous period and a weekly trend, and how an application's processing time
//! goes with its SMEV answer times. Also the outbox depths that `/metrics` reads at scrape time.
//!
//! Counts come from portable SQL; percentiles, trends and correlations are computed here over
//! the fetched values, because the two dialects share no percentile function.

use serde::Serialize;

use crate::{Store, StoreError};

const DAY: f64 = 86_400.0;

/// A half-open span of time, `since` ≤ t < `until`, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub since: i64,
    pub until: i64,
}

impl Period {
    /// The period of the same length just before this one: what a change is measured against.
    pub fn previous(self) -> Period {
        Period {
            since: self.since - (self.until - self.since),
            until: self.since,
        }
    }

    fn contains(self, at: i64) -> bool {
        (self.since..self.until).contains(&at)
    }
}

/// One bucket of a trend. The caller cuts the period into weeks, because where a week starts
/// depends on the region's time zone, which the store does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// The ISO week, e.g. `2026-W48`.
    pub label: String,
    pub start: i64,
    pub end: i64,
}

/// What the algorithms did for one slice of the staff (all, one plugin's, one unit's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaskFigures {
    /// Tasks created in the period.
    pub tasks: u64,
    /// Distinct employees the tasks went to.
    pub employees: u64,
    /// Tasks that stand as deviations: every task names one deviation (its key), except those
    /// the staff rejected as not being one.
    pub deviations: u64,
    /// Distinct algorithms: for the whole region those that ran or issued tasks in the period,
    /// for a unit those that issued it tasks, for a plugin 1.
    pub algorithms: u64,
}

/// One plugin's tasks in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginTasks {
    pub plugin: String,
    /// Runs started in the period, whatever their outcome: an algorithm in use that found
    /// nothing still shows.
    pub runs: u64,
    pub figures: TaskFigures,
}

/// The tasks that went to one unit's employees (the assignee's unit) in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitTasks {
    pub unit: u64,
    pub name: String,
    pub figures: TaskFigures,
}

/// The tasks dashboard of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskAnalytics {
    pub total: TaskFigures,
    pub plugins: Vec<PluginTasks>,
    pub units: Vec<UnitTasks>,
}

/// Volumes and answer times of one agency's requests sent in one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnswerFigures {
    pub requests: u64,
    pub answered: u64,
    pub rejected: u64,
    /// Still awaiting an answer.
    pub pending: u64,
    /// Mean days from sending to answer, over answered requests.
    pub mean_answer_days: Option<f64>,
    /// The 90th percentile of the same (linear interpolation between ranks).
    pub p90_answer_days: Option<f64>,
}

/// One week of an agency's trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekFigures {
    pub week: Week,
    /// Requests sent in the week.
    pub requests: u64,
    /// Of those, answered by now.
    pub answered: u64,
    pub mean_answer_days: Option<f64>,
}

/// One agency's SMEV figures in a period, beside the previous period's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyAnalytics {
    pub agency: String,
    pub current: AnswerFigures,
    pub previous: AnswerFigures,
    pub weeks: Vec<WeekFigures>,
}

/// How one agency's answer times go with the processing times of the applications waiting
/// for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyCorrelation {
    pub agency: String,
    /// Applications decided in the period with an answered request to this agency.
    pub applications: u64,
    /// Pearson's r between the application's days from submission to decision and the days
    /// its slowest answer from this agency took; `None` below 3 applications or when either
    /// side does not vary.
    pub r: Option<f64>,
    pub mean_processing_days: Option<f64>,
    pub mean_answer_days: Option<f64>,
}

/// What waits in one notification channel's outbox, and what failed there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelOutbox {
    pub channel: String,
    /// Queued, claimed or being sent.
    pub waiting: u64,
    /// Given up after retries, or undeliverable from the start.
    pub failed: u64,
}

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The `p`-th quantile (0 ≤ p ≤ 1) of `values`, interpolating linearly between the two
/// nearest ranks (PostgreSQL's `percentile_cont`, NumPy's default); `None` for no values.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64))
}

/// Pearson's correlation coefficient of the pairs; `None` for fewer than 3 pairs or when
/// either side has no variance (r is undefined there, not 0).
pub fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    // Relative to the values' scale: days measured in seconds' steps are never exactly equal.
    let negligible = |s: f64, m: f64| s <= f64::EPSILON * n * (m * m).max(1.0);
    if negligible(sxx, mx) || negligible(syy, my) {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// One SMEV request as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestTimes<'a> {
    pub status: &'a str,
    pub sent_at: i64,
    pub answered_at: Option<i64>,
}

impl RequestTimes<'_> {
    /// Days to an answer, for answered requests only (a rejection is not an answer).
    fn answer_days(&self) -> Option<f64> {
        match (self.status, self.answered_at) {
            ("answered", Some(at)) => Some((at - self.sent_at) as f64 / DAY),
            _ => None,
        }
    }
}

/// The figures of the requests sent in `period`.
pub fn answer_figures(requests: &[RequestTimes<'_>], period: Period) -> AnswerFigures {
    let mut f = AnswerFigures::default();
    let mut days = Vec::new();
    for r in requests.iter().filter(|r| period.contains(r.sent_at)) {
        f.requests += 1;
        match r.status {
            "answered" => f.answered += 1,
            "rejected" => f.rejected += 1,
            "sent" => f.pending += 1,
            _ => {}
        }
        days.extend(r.answer_days());
    }
    f.mean_answer_days = mean(&days);
    f.p90_answer_days = quantile(&days, 0.9);
    f
}

/// The requests of each week, by the week they were sent in. `weeks` are in order and do not
/// overlap; one pass over the requests, so a three-year period costs no more than a month.
pub fn weekly_trend(requests: &[RequestTimes<'_>], weeks: &[Week]) -> Vec<WeekFigures> {
    let mut counts = vec![(0u64, 0u64, 0.0f64); weeks.len()];
    for r in requests {
        let i = weeks.partition_point(|w| w.end <= r.sent_at);
        if weeks.get(i).is_some_and(|w| w.start <= r.sent_at) {
            let c = &mut counts[i];
            c.0 += 1;
            if let Some(days) = r.answer_days() {
                c.1 += 1;
                c.2 += days;
            }
        }
    }
    weeks
        .iter()
        .zip(counts)
        .map(|(w, (requests, answered, days))| WeekFigures {
            week: w.clone(),
            requests,
            answered,
            mean_answer_days: (answered > 0).then(|| days / answered as f64),
        })
        .collect()
}

impl Store {
    /// The tasks dashboard: tasks created in `period` per plugin and per the assignee's unit,
    /// and the runs started in it.
    pub async fn task_analytics(&self, period: Period) -> Result<TaskAnalytics, StoreError> {
        // Rejected tasks are not deviations; SUM over no rows is NULL.
        const FIGURES: &str = "COUNT(*), COUNT(DISTINCT t.assignee), \
            SUM(CASE WHEN t.status <> 'rejected' THEN 1 ELSE 0 END), COUNT(DISTINCT t.plugin)";
        let figures = |(tasks, employees, deviations, algorithms): (i64, i64, Option<i64>, i64)| {
            TaskFigures {
                tasks: tasks as u64,
                employees: employees as u64,
                deviations: deviations.unwrap_or(0) as u64,
                algorithms: algorithms as u64,
            }
        };
        let total: (i64, i64, Option<i64>, i64) = sqlx::query_as(&format!(
            "SELECT {FIGURES} FROM tasks t WHERE t.created_at >= $1 AND t.created_at < $2"
        ))
        .bind(period.since)
        .bind(period.until)
        .fetch_one(self.pool())
        .await?;
        let per_plugin: Vec<(String, i64, i64, Option<i64>, i64)> = sqlx::query_as(&format!(
            "SELECT t.plugin, {FIGURES} FROM tasks t WHERE t.created_at >= $1 AND t.created_at < $2 \
             GROUP BY t.plugin"
        ))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(self.pool())
        .await?;
        let runs: Vec<(String, i64)> = sqlx::query_as(
            "SELECT plugin, COUNT(*) FROM runs WHERE started_at >= $1 AND started_at < $2 GROUP BY plugin",
        )
        .bind(period.since)
        .bind(period.until)
        .fetch_all(self.pool())
        .await?;
        let per_unit: Vec<(i64, String, i64, i64, Option<i64>, i64)> = sqlx::query_as(&format!(
            "SELECT u.id, u.name, {FIGURES} FROM tasks t \
             JOIN employees e ON e.id = t.assignee JOIN units u ON u.id = e.unit_id \
             WHERE t.created_at >= $1 AND t.created_at < $2 GROUP BY u.id, u.name"
        ))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(self.pool())
        .await?;

        let mut plugins: Vec<PluginTasks> = per_plugin
            .into_iter()
            .map(|(plugin, a, b, c, d)| PluginTasks {
                plugin,
                runs: 0,
                figures: figures((a, b, c, d)),
            })
            .collect();
        for (plugin, n) in runs {
            match plugins.iter_mut().find(|p| p.plugin == plugin) {
                Some(p) => p.runs = n as u64,
                None => plugins.push(PluginTasks {
                    plugin,
                    runs: n as u64,
                    figures: TaskFigures {
                        algorithms: 1,
                        ..TaskFigures::default()
                    },
                }),
            }
        }
        plugins.sort_by(|a, b| {
            (b.figures.tasks, b.runs, &a.plugin).cmp(&(a.figures.tasks, a.runs, &b.plugin))
        });
        let mut total = figures(total);
        total.algorithms = plugins.len() as u64;
        let mut units: Vec<UnitTasks> = per_unit
            .into_iter()
            .map(|(unit, name, a, b, c, d)| UnitTasks {
                unit: unit as u64,
                name,
                figures: figures((a, b, c, d)),
            })
            .collect();
        units.sort_by(|a, b| (b.figures.tasks, a.unit).cmp(&(a.figures.tasks, b.unit)));
        Ok(TaskAnalytics {
            total,
            plugins,
            units,
        })
    }

    /// SMEV figures per agency for the requests sent in `period`, beside the previous period
    /// of the same length, with a trend over `weeks`. Agencies are ordered by requests in
    /// `period`, most first; an agency asked only in the previous period is listed too.
    pub async fn smev_analytics(
        &self,
        period: Period,
        weeks: &[Week],
    ) -> Result<Vec<AgencyAnalytics>, StoreError> {
        let earlier = period.previous();
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT agency, status, sent_at, answered_at FROM smev_requests \
             WHERE sent_at >= $1 AND sent_at < $2 ORDER BY agency",
        )
        .bind(earlier.since)
        .bind(period.until)
        .fetch_all(self.pool())
        .await?;
        let mut agencies = Vec::new();
        for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
            let requests: Vec<RequestTimes<'_>> = chunk
                .iter()
                .map(|(_, status, sent_at, answered_at)| RequestTimes {
                    status,
                    sent_at: *sent_at,
                    answered_at: *answered_at,
                })
                .collect();
            agencies.push(AgencyAnalytics {
                agency: chunk[0].0.clone(),
                current: answer_figures(&requests, period),
                previous: answer_figures(&requests, earlier),
                weeks: weekly_trend(&requests, weeks),
            });
        }
        agencies.sort_by(|a, b| {
            (b.current.requests, b.previous.requests, &a.agency).cmp(&(
                a.current.requests,
                a.previous.requests,
                &b.agency,
            ))
        });
        Ok(agencies)
    }

    /// Per agency, the correlation of the processing time of the applications decided in
    /// `period` with the answer time of their requests to that agency (the slowest one, when
    /// an application asked the agency more than once: the application waited for it).
    pub async fn smev_correlation(
        &self,
        period: Period,
    ) -> Result<Vec<AgencyCorrelation>, StoreError> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT s.agency, a.id, MAX(a.decided_at - a.submitted_at), MAX(s.answered_at - s.sent_at) \
             FROM smev_requests s JOIN applications a ON a.id = s.application_id \
             WHERE s.status = 'answered' AND s.answered_at IS NOT NULL AND a.decided_at IS NOT NULL \
             AND a.decided_at >= $1 AND a.decided_at < $2 \
             GROUP BY s.agency, a.id ORDER BY s.agency, a.id",
        )
        .bind(period.since)
        .bind(period.until)
        .fetch_all(self.pool())
        .await?;
        let mut agencies: Vec<AgencyCorrelation> = rows
            .chunk_by(|a, b| a.0 == b.0)
            .map(|chunk| {
                let pairs: Vec<(f64, f64)> = chunk
                    .iter()
                    .map(|(_, _, processing, answer)| {
                        (*processing as f64 / DAY, *answer as f64 / DAY)
                    })
                    .collect();
                let processing: Vec<f64> = pairs.iter().map(|p| p.0).collect();
                let answer: Vec<f64> = pairs.iter().map(|p| p.1).collect();
                AgencyCorrelation {
                    agency: chunk[0].0.clone(),
                    applications: pairs.len() as u64,
                    r: pearson(&pairs),
                    mean_processing_days: mean(&processing),
                    mean_answer_days: mean(&answer),
                }
            })
            .collect();
        agencies.sort_by(|a, b| (b.applications, &a.agency).cmp(&(a.applications, &b.agency)));
        Ok(agencies)
    }

    /// Per notification channel, the messages waiting to go out and those that failed; every
    /// channel ever used is listed, so a gauge falls back to 0 instead of keeping its last
    /// value.
    pub async fn notification_outbox(&self) -> Result<Vec<ChannelOutbox>, StoreError> {
        let rows: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT channel, \
             SUM(CASE WHEN status IN ('queued', 'claimed', 'sending') THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) \
             FROM notifications GROUP BY channel ORDER BY channel",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(channel, waiting, failed)| ChannelOutbox {
                channel,
                waiting: waiting.unwrap_or(0) as u64,
                failed: failed.unwrap_or(0) as u64,
            })
            .collect())
    }

    /// Per agency, the SMEV requests runs queued that are not sent yet (every agency ever
    /// queued for is listed, with 0 when none waits).
    pub async fn smev_outbox_depth(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT agency, SUM(CASE WHEN status IN ('queued', 'claimed', 'sending') THEN 1 ELSE 0 END) \
             FROM smev_outbox GROUP BY agency ORDER BY agency",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(agency, n)| (agency, n.unwrap_or(0) as u64))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn the_90th_percentile_interpolates_between_ranks() {
        let days: Vec<f64> = (1..=10).map(f64::from).collect();
        // rank 0.9 × 9 = 8.1: between the 9th (9) and the 10th (10) value.
        assert!(
            close(quantile(&days, 0.9), 9.1),
            "{:?}",
            quantile(&days, 0.9)
        );
        assert!(close(quantile(&days, 0.5), 5.5));
        // Order does not matter; one value is its own percentile; none has none.
        assert!(close(quantile(&[4.0, 1.0, 3.0, 2.0], 0.9), 3.7));
        assert!(close(quantile(&[2.5], 0.9), 2.5));
        assert_eq!(quantile(&[], 0.9), None);
    }

    #[test]
    fn pearson_r_matches_a_hand_computed_value_and_is_undefined_without_variance() {
        // Σdxdy = 6, Σdx² = 10, Σdy² = 6: r = 6 / √60.
        let pairs = [(1.0, 2.0), (2.0, 4.0), (3.0, 5.0), (4.0, 4.0), (5.0, 5.0)];
        assert!(
            close(pearson(&pairs), 6.0 / 60f64.sqrt()),
            "{:?}",
            pearson(&pairs)
        );
        let reversed: Vec<(f64, f64)> = pairs.iter().map(|(x, y)| (*x, -y)).collect();
        assert!(close(pearson(&reversed), -6.0 / 60f64.sqrt()));
        assert!(close(
            pearson(&[(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)]),
            1.0
        ));
        assert_eq!(pearson(&[(1.0, 2.0), (2.0, 3.0)]), None, "n < 3");
        assert_eq!(
            pearson(&[(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)]),
            None,
            "no variance"
        );
        assert_eq!(
            pearson(&[(0.3, 1.0), (0.3, 2.0), (0.3, 4.0)]),
            None,
            "no variance"
        );
    }

    fn request(status: &str, sent_at: i64, days: Option<f64>) -> RequestTimes<'_> {
        RequestTimes {
            status,
            sent_at,
            answered_at: days.map(|d| sent_at + (d * DAY) as i64),
        }
    }

    #[test]
    fn figures_count_requests_by_when_they_were_sent_and_average_answers_only() {
        let week = 7 * 86_400;
        let requests = [
            request("answered", 0, Some(1.0)),
            request("answered", 10, Some(3.0)),
            request("rejected", 20, Some(0.5)),
            request("sent", 30, None),
            request("answered", week, Some(2.0)),
            request("answered", week + 5, Some(4.0)),
            request("answered", 2 * week, Some(9.0)), // past the period
        ];
        let period = Period {
            since: 0,
            until: 2 * week,
        };
        let f = answer_figures(&requests, period);
        assert_eq!(
            (f.requests, f.answered, f.rejected, f.pending),
            (6, 4, 1, 1)
        );
        // Answers 1, 2, 3, 4 days: the rejection's hour does not count.
        assert!(close(f.mean_answer_days, 2.5));
        assert!(close(f.p90_answer_days, 3.7));
        let weeks = [
            Week {
                label: "1970-W01".into(),
                start: 0,
                end: week,
            },
            Week {
                label: "1970-W02".into(),
                start: week,
                end: 2 * week,
            },
        ];
        let trend = weekly_trend(&requests, &weeks);
        assert_eq!(
            trend
                .iter()
                .map(|w| (w.requests, w.answered))
                .collect::<Vec<_>>(),
            [(4, 2), (2, 2)]
        );
        assert!(close(trend[0].mean_answer_days, 2.0));
        assert!(close(trend[1].mean_answer_days, 3.0));
        assert_eq!(
            period.previous(),
            Period {
                since: -2 * week,
                until: 0
            }
        );
        assert_eq!(answer_figures(&requests, period.previous()).requests, 0);
    }
}
