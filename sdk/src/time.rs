//! Time as plugins see it: whole seconds since the epoch (UTC), from the run's logical clock.

pub use ::time::macros::date;
pub use ::time::{Date, Month, OffsetDateTime};

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

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
