//! Calendar arithmetic the rule needs: ISO dates on the form, birthdays, months of a payment
//! schedule. Everything is a calendar date in UTC, as the platform's timestamps are.

use zemstvo_sdk::time::{Date, Month};

/// A date written `YYYY-MM-DD`, as the portal's form sends it; `None` if it is not one.
pub fn parse_iso(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// `YYYY-MM-DD`, for trace steps (machine-readable).
pub fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `DD.MM.YYYY`, as Russian documents write dates (for the citizen's reasons).
pub fn russian(date: Date) -> String {
    format!(
        "{:02}.{:02}.{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// The day someone born on `birth` turns `years` old. A child born on 29 February turns a
/// year older on 28 February of a common year: a term in years that ends on a day the month
/// lacks ends on its last day (Civil Code of the Russian Federation, art. 192). `None` past
/// the calendar's range.
pub fn anniversary(birth: Date, years: i32) -> Option<Date> {
    let year = birth.year().checked_add(years)?;
    let month = birth.month();
    let day = birth.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).ok()
}

/// Whole years of age on `on` (0 before the first birthday).
pub fn full_years(birth: Date, on: Date) -> i32 {
    let years = on.year() - birth.year();
    match anniversary(birth, years) {
        Some(birthday) if birthday > on => years - 1,
        _ => years,
    }
}

/// The first day of `date`'s month.
pub fn first_of_month(date: Date) -> Date {
    // Day 1 exists in every month of every representable year.
    date.replace_day(1).unwrap_or(date)
}

/// The first day of the month `months` after the month of `first`; `None` past the calendar's
/// range.
pub fn months_after(first: Date, months: u32) -> Option<Date> {
    let index =
        i64::from(first.year()) * 12 + i64::from(u8::from(first.month()) - 1) + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    Date::from_calendar_date(year, month, 1).ok()
}

/// Day `day` of the month that starts on `first` (the month's last day if it is shorter).
pub fn day_of_month(first: Date, day: u8) -> Date {
    let day = day.clamp(1, first.month().length(first.year()));
    first.replace_day(day).unwrap_or(first)
}

/// The last day of the month that starts on `first`.
pub fn last_of_month(first: Date) -> Date {
    day_of_month(first, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        parse_iso(text).unwrap()
    }

    #[test]
    fn iso_dates_are_read_strictly() {
        assert_eq!(iso(d("2008-03-15")), "2008-03-15");
        for bad in [
            "",
            "2008-3-15",
            "15.03.2008",
            "2008-02-30",
            "2008-13-01",
            "2008-03-15T00:00",
            "２００８-03-15",
            "+008-03-15",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_child_turns_eighteen_on_the_birthday_not_the_day_after() {
        assert_eq!(full_years(d("2008-03-14"), d("2026-03-14")), 18);
        assert_eq!(full_years(d("2008-03-15"), d("2026-03-14")), 17);
        assert_eq!(full_years(d("2026-03-14"), d("2026-03-14")), 0);
    }

    #[test]
    fn a_leap_day_child_is_a_year_older_on_the_28th_of_february() {
        let birth = d("2008-02-29");
        assert_eq!(anniversary(birth, 18), Some(d("2026-02-28")));
        assert_eq!(full_years(birth, d("2026-02-27")), 17);
        assert_eq!(full_years(birth, d("2026-02-28")), 18);
        assert_eq!(anniversary(birth, 16), Some(d("2024-02-29")));
    }

    #[test]
    fn months_step_over_the_year_end() {
        assert_eq!(months_after(d("2025-12-01"), 1), Some(d("2026-01-01")));
        assert_eq!(months_after(d("2026-03-01"), 11), Some(d("2027-02-01")));
        assert_eq!(months_after(d("2026-03-01"), 0), Some(d("2026-03-01")));
        assert_eq!(day_of_month(d("2026-02-01"), 30), d("2026-02-28"));
        assert_eq!(last_of_month(d("2024-02-01")), d("2024-02-29"));
        assert_eq!(first_of_month(d("2026-03-14")), d("2026-03-01"));
    }
}
