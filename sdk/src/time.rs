//! Time as plugins see it: whole seconds since the epoch (UTC), from the run's logical clock.

pub use ::time::{Date, Month, OffsetDateTime};

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// Seconds in a minute, hour and day: norms in configuration are minutes, hours or days,
/// timestamps are seconds (`ctx.now - 4 * DAY`).
pub const MINUTE: i64 = 60;
/// Seconds in an hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Seconds in a day (a calendar day in UTC; for the region's day see [`crate::RunContext`]).
pub const DAY: i64 = 24 * HOUR;

/// A calendar date, for the constants a plugin declares (effective dates of parameters).
/// Panics, naming the date, if there is no such day — a mistake the plugin's first test finds.
pub fn ymd(year: i32, month: u8, day: u8) -> Date {
    Month::try_from(month)
        .and_then(|m| Date::from_calendar_date(year, m, day))
        .unwrap_or_else(|_| panic!("{year:04}-{month:02}-{day:02} is not a calendar date"))
}

/// The timestamp of UTC midnight at the start of `date`.
pub fn midnight(date: Date) -> Timestamp {
    date.midnight().assume_utc().unix_timestamp()
}

/// The UTC calendar date of a timestamp.
pub fn date_of(ts: Timestamp) -> Date {
    OffsetDateTime::from_unix_timestamp(ts)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date()
}

/// `DD.MM.YYYY`, as dates are written in Russian documents.
pub fn format_date(ts: Timestamp) -> String {
    let d = date_of(ts);
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to - from).div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ymd_makes_the_dates_parameters_take_effect_from() {
        assert_eq!(midnight(ymd(2026, 1, 1)), 1_767_225_600);
        assert_eq!(format_date(midnight(ymd(2024, 2, 29))), "29.02.2024");
    }

    #[test]
    #[should_panic(expected = "2025-02-29 is not a calendar date")]
    fn ymd_names_a_day_that_does_not_exist() {
        ymd(2025, 2, 29);
    }
}
