//! Work days in the region's own time.
//!
//! The host's clock is UTC; the staff's day is not. Lipetsk keeps Moscow time (UTC+3), so a
//! run at 22:30 UTC on a Friday is already Saturday morning there, and "the end of the day"
//! a task is due by is 20:59:59 UTC. The run's context says how far the region's clock is
//! from UTC at the run's time (WIT 0.2.0), so the plugin needs no time-zone setting. A work day is Monday to Friday, less the public holidays the administrator lists
//! in `holidays`, plus the Saturdays or Sundays the production calendar makes work days
//! (`extra-work-days`) — or every day, when `every-day` is on.

use std::collections::BTreeSet;

use zemstvo_sdk::PluginError;
use zemstvo_sdk::time::{DAY, Date, Month, Timestamp, date_of, midnight};

/// How far back the previous work day is looked for. Russia's longest run of days off (the
/// New Year holidays) is under two weeks; a month of holidays is a configuration mistake.
const LONGEST_BREAK_DAYS: usize = 31;

/// The region's working calendar.
pub struct Calendar {
    /// Seconds the region's clock is ahead of UTC.
    offset: i64,
    every_day: bool,
    holidays: BTreeSet<Date>,
    extra_work_days: BTreeSet<Date>,
}

impl Calendar {
    pub fn new(
        offset_seconds: i64,
        every_day: bool,
        holidays: BTreeSet<Date>,
        extra_work_days: BTreeSet<Date>,
    ) -> Self {
        Calendar {
            offset: offset_seconds,
            every_day,
            holidays,
            extra_work_days,
        }
    }

    /// The region's calendar date at a moment.
    pub fn local_date(&self, at: Timestamp) -> Date {
        date_of(at + self.offset)
    }

    /// The moment the region's `date` begins.
    pub fn start_of(&self, date: Date) -> Timestamp {
        midnight(date) - self.offset
    }

    /// The last second of the region's `date`.
    pub fn end_of(&self, date: Date) -> Timestamp {
        self.start_of(date) + DAY - 1
    }

    pub fn is_work_day(&self, date: Date) -> bool {
        if self.every_day || self.extra_work_days.contains(&date) {
            return true;
        }
        !self.holidays.contains(&date) && date.weekday().number_from_monday() <= 5
    }

    /// The last work day before `date` (the day before, when every day is a work day).
    pub fn previous_work_day(&self, date: Date) -> Date {
        let mut day = date;
        for _ in 0..LONGEST_BREAK_DAYS {
            let Some(before) = day.previous_day() else {
                break;
            };
            day = before;
            if self.is_work_day(day) {
                return day;
            }
        }
        date.previous_day().unwrap_or(date)
    }
}

/// The day of the week in Russian, for the run's log and summary.
pub fn weekday_name(date: Date) -> &'static str {
    match date.weekday().number_from_monday() {
        1 => "понедельник",
        2 => "вторник",
        3 => "среда",
        4 => "четверг",
        5 => "пятница",
        6 => "суббота",
        _ => "воскресенье",
    }
}

/// `DD.MM.YYYY`, as dates are written in Russian documents.
pub fn russian_date(date: Date) -> String {
    format!(
        "{:02}.{:02}.{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// Dates in a text configuration key: `YYYY-MM-DD`, separated by commas, semicolons or
/// spaces. Anything else is refused naming the key and the entry, so the administrator knows
/// what to fix.
pub fn parse_dates(key: &str, text: &str) -> Result<BTreeSet<Date>, PluginError> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            parse_date(entry).ok_or_else(|| {
                PluginError::invalid_config(format!(
                    "`{key}`: `{entry}` is not a date; write dates as YYYY-MM-DD separated by \
                     commas, e.g. 2026-01-01, 2026-01-02"
                ))
            })
        })
        .collect()
}

fn parse_date(entry: &str) -> Option<Date> {
    let mut parts = entry.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A November 2026 date. (The SDK's `date!` needs the `time` crate itself as a dependency.)
    fn november(day: u8) -> Date {
        Date::from_calendar_date(2026, Month::November, day).expect("a real date")
    }

    fn moscow() -> Calendar {
        Calendar::new(
            3 * zemstvo_sdk::time::HOUR,
            false,
            BTreeSet::new(),
            BTreeSet::new(),
        )
    }

    #[test]
    fn the_region_date_follows_its_own_clock() {
        // 2026-11-27T21:30:00Z is Saturday 00:30 in Moscow.
        assert_eq!(moscow().local_date(1_795_815_000), november(28));
        assert_eq!(moscow().start_of(november(28)), 1_795_813_200);
        assert_eq!(moscow().end_of(november(27)), 1_795_813_199);
    }

    #[test]
    fn monday_follows_friday_and_holidays_are_skipped() {
        let calendar = moscow();
        assert_eq!(calendar.previous_work_day(november(23)), november(20));
        let holidays = parse_dates("holidays", "2026-11-20").unwrap();
        let calendar = Calendar::new(
            3 * zemstvo_sdk::time::HOUR,
            false,
            holidays,
            BTreeSet::new(),
        );
        assert_eq!(calendar.previous_work_day(november(23)), november(19));
    }

    #[test]
    fn dates_are_read_strictly() {
        let dates = parse_dates("holidays", "2026-01-01, 2026-01-02;2026-01-07 ").unwrap();
        assert_eq!(dates.len(), 3);
        for bad in [
            "01.01.2026",
            "2026-1-1",
            "2026-02-30",
            "2026-01-01-01",
            "завтра",
        ] {
            let err = parse_dates("holidays", bad).unwrap_err();
            assert!(format!("{err:?}").contains("`holidays`"), "{bad}: {err:?}");
        }
        assert!(parse_dates("holidays", "").unwrap().is_empty());
    }
}
