//! Cron schedules of installed plugins (in UTC): when a scheduled run is due.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

/// ISU's morning checks: 06:00 UTC (09:00 in Lipetsk), Monday to Friday.
pub const DEFAULT_SCHEDULE: &str = "0 6 * * 1-5";

/// Checks that `schedule` is a cron expression the host can follow.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    Cron::from_str(schedule)
        .map(|_| ())
        .map_err(|e| format!("schedule `{schedule}` is not a cron expression (minute hour day month weekday, UTC, e.g. `{DEFAULT_SCHEDULE}`): {e}"))
}

/// The latest occurrence of `schedule` at or before `now` (seconds since the epoch), if the
/// schedule parses and has one.
pub fn due_occurrence(schedule: &str, now: i64) -> Result<Option<i64>, String> {
    occurrence(schedule, now, |cron, at| {
        cron.find_previous_occurrence(at, true)
    })
}

/// The first occurrence of `schedule` after `now`, if the schedule parses and has one.
pub fn next_occurrence(schedule: &str, now: i64) -> Result<Option<i64>, String> {
    occurrence(schedule, now, |cron, at| {
        cron.find_next_occurrence(at, false)
    })
}

fn occurrence<E>(
    schedule: &str,
    now: i64,
    find: impl Fn(&Cron, &DateTime<Utc>) -> Result<DateTime<Utc>, E>,
) -> Result<Option<i64>, String> {
    let cron = Cron::from_str(schedule)
        .map_err(|e| format!("schedule `{schedule}` is not a cron expression: {e}"))?;
    let Some(now) = DateTime::<Utc>::from_timestamp(now, 0) else {
        return Ok(None);
    };
    Ok(find(&cron, &now).ok().map(|t| t.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_morning_check_is_due_from_six_on_workdays() {
        // 2026-11-23 is a Monday.
        let monday_0700 = 1_795_417_200;
        assert_eq!(
            due_occurrence(DEFAULT_SCHEDULE, monday_0700).unwrap(),
            Some(1_795_413_600)
        );
        // Sunday noon: the last one was Friday 06:00.
        let sunday_noon = 1_795_348_800;
        assert_eq!(
            due_occurrence(DEFAULT_SCHEDULE, sunday_noon).unwrap(),
            Some(1_795_154_400)
        );
    }

    #[test]
    fn the_next_morning_check_is_on_the_next_workday() {
        // Sunday noon: the next one is Monday 06:00.
        let sunday_noon = 1_795_348_800;
        assert_eq!(
            next_occurrence(DEFAULT_SCHEDULE, sunday_noon).unwrap(),
            Some(1_795_413_600)
        );
    }

    #[test]
    fn a_bad_schedule_says_so() {
        assert!(
            due_occurrence("every morning", 0)
                .unwrap_err()
                .contains("not a cron expression")
        );
    }
}
