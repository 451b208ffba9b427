//! Cron schedules of installed plugins, in the region's time zone (an IANA zone such as
//! `Europe/Moscow` or `Asia/Yekaterinburg`): "09:00 on work days" means 09:00 there, across
//! daylight-saving changes. After downtime a schedule's missed occurrences are not run one by
//! one: the latest is queued once (each occurrence is a queue key), the others are skipped.

use std::str::FromStr;

use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;
use croner::Cron;

/// ISU's morning checks: 09:00 in the region, Monday to Friday.
pub const DEFAULT_SCHEDULE: &str = "0 9 * * 1-5";

/// Reads a region's time zone.
pub fn parse_time_zone(zone: &str) -> Result<Tz, String> {
    zone.parse::<Tz>().map_err(|_| {
        format!(
            "`{zone}` is not an IANA time zone; give one such as Europe/Moscow, Europe/Samara or \
             Asia/Yekaterinburg"
        )
    })
}

/// The first moment of calendar day `day` (`YYYY-MM-DD`) in `zone`: where "since
/// 2026-11-01" begins for the region.
pub fn day_start(day: &str, zone: Tz) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    zone.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp())
}

/// Checks that `schedule` is a cron expression the host can follow.
pub fn check_schedule(schedule: &str) -> Result<(), String> {
    Cron::from_str(schedule)
        .map(|_| ())
        .map_err(|e| format!("schedule `{schedule}` is not a cron expression (minute hour day month weekday, in the region's time zone, e.g. `{DEFAULT_SCHEDULE}`): {e}"))
}

/// The latest occurrence of `schedule` in `zone` at or before `now` (seconds since the epoch),
/// if the schedule parses and has one.
pub fn due_occurrence(schedule: &str, now: i64, zone: Tz) -> Result<Option<i64>, String> {
    occurrence(schedule, now, zone, |cron, at| {
        cron.find_previous_occurrence(at, true)
    })
}

/// The first occurrence of `schedule` in `zone` after `now`, if the schedule parses and has
/// one.
pub fn next_occurrence(schedule: &str, now: i64, zone: Tz) -> Result<Option<i64>, String> {
    occurrence(schedule, now, zone, |cron, at| {
        cron.find_next_occurrence(at, false)
    })
}

fn occurrence<E>(
    schedule: &str,
    now: i64,
    zone: Tz,
    find: impl Fn(&Cron, &DateTime<Tz>) -> Result<DateTime<Tz>, E>,
) -> Result<Option<i64>, String> {
    let cron = Cron::from_str(schedule)
        .map_err(|e| format!("schedule `{schedule}` is not a cron expression: {e}"))?;
    let Some(now) = zone.timestamp_opt(now, 0).single() else {
        return Ok(None);
    };
    Ok(find(&cron, &now).ok().map(|t| t.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOSCOW: Tz = chrono_tz::Europe::Moscow;

    #[test]
    fn seven_on_work_days_is_seven_in_the_region() {
        // Monday 2026-11-23, 00:00 UTC: in Yekaterinburg (UTC+5) it is already 05:00.
        let monday_midnight_utc = 1_795_392_000;
        let seven = "0 7 * * 1-5";
        // 07:00 in Yekaterinburg is 02:00 UTC; in Moscow 04:00 UTC.
        assert_eq!(
            next_occurrence(seven, monday_midnight_utc, chrono_tz::Asia::Yekaterinburg).unwrap(),
            Some(monday_midnight_utc + 2 * 3600)
        );
        assert_eq!(
            next_occurrence(seven, monday_midnight_utc, MOSCOW).unwrap(),
            Some(monday_midnight_utc + 4 * 3600)
        );
    }

    #[test]
    fn a_daylight_saving_change_keeps_the_local_hour() {
        // Berlin moves from UTC+2 to UTC+1 on 2026-10-25: 09:00 local is 07:00 UTC before
        // and 08:00 UTC after.
        let berlin = chrono_tz::Europe::Berlin;
        let friday_oct_23_utc = 1_792_713_600; // 2026-10-23 00:00 UTC
        let monday_oct_26_utc = 1_792_972_800; // 2026-10-26 00:00 UTC
        assert_eq!(
            next_occurrence(DEFAULT_SCHEDULE, friday_oct_23_utc, berlin).unwrap(),
            Some(friday_oct_23_utc + 7 * 3600)
        );
        assert_eq!(
            next_occurrence(DEFAULT_SCHEDULE, monday_oct_26_utc, berlin).unwrap(),
            Some(monday_oct_26_utc + 8 * 3600)
        );
    }

    #[test]
    fn an_unknown_zone_says_what_to_give() {
        assert!(
            parse_time_zone("Moscow")
                .unwrap_err()
                .contains("Europe/Moscow")
        );
        assert_eq!(
            parse_time_zone("Asia/Yekaterinburg").unwrap(),
            chrono_tz::Asia::Yekaterinburg
        );
    }

    #[test]
    fn the_morning_check_is_due_from_six_on_workdays() {
        // 2026-11-23 is a Monday.
        let monday_0700 = 1_795_417_200;
        assert_eq!(
            due_occurrence(DEFAULT_SCHEDULE, monday_0700, MOSCOW).unwrap(),
            Some(1_795_413_600)
        );
        // Sunday noon: the last one was Friday 06:00.
        let sunday_noon = 1_795_348_800;
        assert_eq!(
            due_occurrence(DEFAULT_SCHEDULE, sunday_noon, MOSCOW).unwrap(),
            Some(1_795_154_400)
        );
    }

    #[test]
    fn the_next_morning_check_is_on_the_next_workday() {
        // Sunday noon: the next one is Monday 06:00.
        let sunday_noon = 1_795_348_800;
        assert_eq!(
            next_occurrence(DEFAULT_SCHEDULE, sunday_noon, MOSCOW).unwrap(),
            Some(1_795_413_600)
        );
    }

    #[test]
    fn a_bad_schedule_says_so() {
        assert!(
            due_occurrence("every morning", 0, MOSCOW)
                .unwrap_err()
                .contains("not a cron expression")
        );
    }
}
