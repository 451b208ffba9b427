//! Russian wording for the briefing: the dative after «по», waits and agencies as the staff
//! name them. The seed's own task reads "в работе у Вас находится 70 обращений … по 11
//! обращениям", and so does this one (the counts' noun forms come from `zemstvo_sdk::text`).

/// "по 11 обращениям", "по 1 обращению", "по 21 обращению": the dative after «по».
pub fn applications_dative(n: usize) -> String {
    let word = if n % 10 == 1 && n % 100 != 11 {
        "обращению"
    } else {
        "обращениям"
    };
    format!("{n} {word}")
}

/// A wait in days, hours and minutes, minutes rounded up: `4 дн. 1 ч.`, `7 дн.`,
/// `4 дн. 1 мин.`. Decimal days would print a wait of 4 days and 59 minutes as "4,0" next to
/// "more than 4 days"; this never reads as on-time when it was late.
pub fn wait(seconds: i64) -> String {
    let minutes = (seconds.max(0) + 59) / 60;
    let (days, hours, minutes) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60);
    let mut text = format!("{days} дн.");
    if hours > 0 {
        text.push_str(&format!(" {hours} ч."));
    }
    if minutes > 0 {
        text.push_str(&format!(" {minutes} мин."));
    }
    text
}

/// An SMEV agency code as staff write it.
pub fn agency(code: &str) -> String {
    match code {
        "fns" => "ФНС".into(),
        "pfr" => "ПФР".into(),
        "sfr" => "СФР".into(),
        "mvd" => "МВД".into(),
        "zags" => "ЗАГС".into(),
        "rosreestr" => "Росреестр".into(),
        "fss" => "ФСС".into(),
        "municipality" => "муниципалитет".into(),
        "gis-zhkh" => "ГИС ЖКХ".into(),
        other => other.to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_task_reads_as_it_did() {
        assert_eq!(applications_dative(11), "11 обращениям");
        assert_eq!(applications_dative(1), "1 обращению");
        assert_eq!(applications_dative(21), "21 обращению");
        assert_eq!(applications_dative(3), "3 обращениям");
    }

    #[test]
    fn agencies_and_days_are_written_for_people() {
        assert_eq!(agency("fns"), "ФНС");
        assert_eq!(agency("new-agency"), "NEW-AGENCY");
        assert_eq!(wait(6 * 86_400 + 3_600), "6 дн. 1 ч.");
        assert_eq!(wait(7 * 86_400), "7 дн.");
        assert_eq!(wait(4 * 86_400 + 1), "4 дн. 1 мин.");
        assert_eq!(wait(90 * 60), "0 дн. 1 ч. 30 мин.");
    }
}
