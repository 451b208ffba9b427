//! Staff workload against the normative load, and the weekly figures the dashboard draws to
//! show what the algorithms changed over time.
//!
//! The norm is the employee's `normative_load` (cases a month; for social workers, visits a
//! month; 0 for managers and wherever no norm was set). What counts as work done is what the
//! reference plugins count: for a social worker, visits with an actual start in the period and
//! an actual end not before it (`isu-home-care-load`); for everyone else, applications they
//! decided in the period. A norm for a period is the monthly norm scaled to it, a month counted
//! as 30 days, and an employee exactly at the norm meets it; the comparison is in whole
//! numbers, so no rounding puts anyone on the wrong side of it.

use serde::Serialize;

use crate::analytics::{Period, Week};
use crate::{Store, StoreError};

/// Days a month counts when a monthly norm is scaled to a period.
pub const DAYS_PER_MONTH: i64 = 30;

const DAY: i64 = 86_400;

/// Whether `done` meets a monthly norm of `load` over `seconds`: `done ≥ load × days / 30`,
/// in whole numbers. No norm (0) is never met or missed: the caller shows it as "no norm".
pub fn meets_norm(done: u64, load: u64, seconds: i64) -> bool {
    u128::from(done) * (DAYS_PER_MONTH * DAY) as u128 >= u128::from(load) * seconds.max(0) as u128
}

/// The norm of `load` a month over `seconds`, for showing (may be fractional).
pub fn norm_for(load: u64, seconds: i64) -> f64 {
    load as f64 * seconds.max(0) as f64 / (DAYS_PER_MONTH * DAY) as f64
}

/// One employee's work in a period against their norm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffLoad {
    pub employee: u64,
    /// `social-worker`, `specialist`, `manager`, …
    pub role: String,
    /// Cases (visits, for social workers) a month; 0 when no norm is set.
    pub normative_load: u64,
    /// Visits completed (social workers) or applications decided (everyone else) in the period.
    pub done: u64,
    /// Applications assigned to them and not decided yet: what is on their desk now.
    pub open_applications: u64,
}

/// One week of the algorithms' effect: the shares their deviation checks watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekEffect {
    pub week: Week,
    /// Applications decided in the week, and of those, returned for revision at least once.
    pub decided: u64,
    pub returned: u64,
    /// Applications submitted in the week, and of those, accepted off the standard.
    pub submitted: u64,
    pub off_standard: u64,
    /// Active social workers with a norm, and of those, meeting it in the week (`None` when
    /// no visit at all was recorded in the week: no data, not a week of idleness).
    pub social_workers: u64,
    pub meeting_norm: Option<u64>,
}

/// One week of the tasks the algorithms issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekTasks {
    pub week: Week,
    pub tasks: u64,
    /// Tasks not rejected by the staff as not being a deviation.
    pub deviations: u64,
}

/// The index of the week `at` falls in; `weeks` are in order and do not overlap.
fn week_of(weeks: &[Week], at: i64) -> Option<usize> {
    let i = weeks.partition_point(|w| w.end <= at);
    weeks.get(i).filter(|w| w.start <= at).map(|_| i)
}

/// `$1, $2, …` from `first`, for an `IN` list of `n` values.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// `(employee, count)` rows of `sql`, bound to `first` and then to `ids`.
    async fn counts_by_employee(
        &self,
        sql: &str,
        first: &[i64],
        ids: &[u64],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut query = sqlx::query_as::<_, (i64, i64)>(sql);
        for value in first {
            query = query.bind(*value);
        }
        for id in ids {
            query = query.bind(*id as i64);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Each of `employees` with their norm and the work they did in `period` (employees the
    /// store does not know are left out).
    pub async fn staff_load(
        &self,
        employees: &[u64],
        period: Period,
    ) -> Result<Vec<StaffLoad>, StoreError> {
        let mut ids = employees.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut loads = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, role, normative_load FROM employees WHERE id IN ({}) ORDER BY id",
                marks(1, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql);
            for id in chunk {
                query = query.bind(*id as i64);
            }
            let staff = query.fetch_all(self.pool()).await?;
            let visits = self
                .counts_by_employee(
                    &format!(
                        "SELECT employee_id, COUNT(*) FROM visits WHERE actual_start >= $1 \
                         AND actual_start < $2 AND actual_end IS NOT NULL \
                         AND actual_end >= actual_start AND employee_id IN ({}) GROUP BY employee_id",
                        marks(3, chunk.len())
                    ),
                    &[period.since, period.until],
                    chunk,
                )
                .await?;
            let decided = self
                .counts_by_employee(
                    &format!(
                        "SELECT assignee_id, COUNT(*) FROM applications WHERE decided_at >= $1 \
                         AND decided_at < $2 AND assignee_id IN ({}) GROUP BY assignee_id",
                        marks(3, chunk.len())
                    ),
                    &[period.since, period.until],
                    chunk,
                )
                .await?;
            let open = self
                .counts_by_employee(
                    &format!(
                        "SELECT assignee_id, COUNT(*) FROM applications WHERE decided_at IS NULL \
                         AND assignee_id IN ({}) GROUP BY assignee_id",
                        marks(1, chunk.len())
                    ),
                    &[],
                    chunk,
                )
                .await?;
            let find = |rows: &[(i64, i64)], id: i64| {
                rows.iter()
                    .find(|(e, _)| *e == id)
                    .map_or(0, |(_, n)| *n as u64)
            };
            for (id, role, load) in staff {
                let done = if role == "social-worker" {
                    find(&visits, id)
                } else {
                    find(&decided, id)
                };
                loads.push(StaffLoad {
                    employee: id as u64,
                    role,
                    normative_load: load.max(0) as u64,
                    done,
                    open_applications: find(&open, id),
                });
            }
        }
        Ok(loads)
    }

    /// The tasks created in each of `weeks` (in order, not overlapping).
    pub async fn weekly_tasks(&self, weeks: &[Week]) -> Result<Vec<WeekTasks>, StoreError> {
        let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT created_at, status FROM tasks WHERE created_at >= $1 AND created_at < $2",
        )
        .bind(first.start)
        .bind(last.end)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<WeekTasks> = weeks
            .iter()
            .map(|w| WeekTasks {
                week: w.clone(),
                tasks: 0,
                deviations: 0,
            })
            .collect();
        for (at, status) in rows {
            if let Some(i) = week_of(weeks, at) {
                out[i].tasks += 1;
                out[i].deviations += u64::from(status != "rejected");
            }
        }
        Ok(out)
    }

    /// The shares the ISU checks watch, week by week: returns for revision among decided
    /// applications, acceptance off the standard among submitted ones, and social workers
    /// meeting their normative load (each week's norm is the monthly one scaled to the week).
    pub async fn weekly_effects(&self, weeks: &[Week]) -> Result<Vec<WeekEffect>, StoreError> {
        let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
            return Ok(Vec::new());
        };
        let (since, until) = (first.start, last.end);
        let decided: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT decided_at, returns FROM applications WHERE decided_at >= $1 AND decided_at < $2",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let submitted: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT submitted_at, off_standard FROM applications WHERE submitted_at >= $1 AND submitted_at < $2",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let workers: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, normative_load FROM employees WHERE role = 'social-worker' AND active <> 0 \
             AND normative_load > 0 ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let visits: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT employee_id, actual_start FROM visits WHERE actual_start >= $1 AND actual_start < $2 \
             AND actual_end IS NOT NULL AND actual_end >= actual_start",
        )
        .bind(since)
        .bind(until)
        .fetch_all(self.pool())
        .await?;

        let mut out: Vec<WeekEffect> = weeks
            .iter()
            .map(|w| WeekEffect {
                week: w.clone(),
                decided: 0,
                returned: 0,
                submitted: 0,
                off_standard: 0,
                social_workers: workers.len() as u64,
                meeting_norm: None,
            })
            .collect();
        for (at, returns) in decided {
            if let Some(i) = week_of(weeks, at) {
                out[i].decided += 1;
                out[i].returned += u64::from(returns > 0);
            }
        }
        for (at, off) in submitted {
            if let Some(i) = week_of(weeks, at) {
                out[i].submitted += 1;
                out[i].off_standard += u64::from(off != 0);
            }
        }
        // Visits per week per social worker with a norm (index into `workers`).
        let mut done = vec![vec![0u64; workers.len()]; weeks.len()];
        let mut any_visit = vec![false; weeks.len()];
        for (employee, at) in visits {
            let Some(i) = week_of(weeks, at) else {
                continue;
            };
            any_visit[i] = true;
            if let Ok(w) = workers.binary_search_by_key(&employee, |(id, _)| *id) {
                done[i][w] += 1;
            }
        }
        for (i, week) in out.iter_mut().enumerate() {
            if !any_visit[i] {
                continue;
            }
            let seconds = week.week.end - week.week.start;
            let meeting = workers
                .iter()
                .zip(&done[i])
                .filter(|((_, load), done)| meets_norm(**done, *load as u64, seconds))
                .count();
            week.meeting_norm = Some(meeting as u64);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_norm_is_scaled_to_the_period_and_met_exactly_at_it() {
        // 60 visits a month: 14 in a week is exactly the norm, 13 is below.
        assert!(meets_norm(14, 60, 7 * DAY));
        assert!(!meets_norm(13, 60, 7 * DAY));
        assert!(meets_norm(60, 60, 30 * DAY));
        assert!(!meets_norm(59, 60, 30 * DAY));
        assert!((norm_for(60, 7 * DAY) - 14.0).abs() < 1e-9);
    }

    #[test]
    fn a_moment_falls_in_its_week_or_none() {
        let weeks = [
            Week {
                label: "a".into(),
                start: 0,
                end: 10,
            },
            Week {
                label: "b".into(),
                start: 10,
                end: 20,
            },
        ];
        assert_eq!(week_of(&weeks, 0), Some(0));
        assert_eq!(week_of(&weeks, 10), Some(1));
        assert_eq!(week_of(&weeks, 20), None);
        assert_eq!(week_of(&weeks, -1), None);
    }
}
