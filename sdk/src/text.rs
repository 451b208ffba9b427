//! Russian wording for the texts staff and citizens read: nouns after numbers and decimal
//! commas. A task says "2 сотрудника" and "16,7 %", never "2 сотрудник(ов)" or "16.7%".

/// The noun form Russian grammar asks for after `n`: `one` after 1, 21, 31…; `few` after
/// 2–4, 22–24…; `many` after 0, 5–20, 25–30… and 11–14 of every hundred.
///
/// `noun(23, "обращение", "обращения", "обращений")` is "обращения".
pub fn noun<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// `n` followed by its noun: `count(2, "сотрудник", "сотрудника", "сотрудников")` is
/// "2 сотрудника".
pub fn count(n: u64, one: &str, few: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, few, many))
}

/// A number with at most one decimal and a decimal comma: `20`, `9,5`.
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    text.replace('.', ",")
}

/// A percentage as Russian documents write it: `2 %`, `0,7 %`, `16,7 %`.
pub fn percent(value: f64) -> String {
    format!("{} %", decimal(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nouns_agree_with_numbers() {
        let forms = |n| noun(n, "обращение", "обращения", "обращений");
        for (n, want) in [
            (0, "обращений"),
            (1, "обращение"),
            (2, "обращения"),
            (4, "обращения"),
            (5, "обращений"),
            (11, "обращений"),
            (12, "обращений"),
            (14, "обращений"),
            (21, "обращение"),
            (22, "обращения"),
            (111, "обращений"),
            (101, "обращение"),
            (1_004, "обращения"),
        ] {
            assert_eq!(forms(n), want, "{n}");
        }
        assert_eq!(
            count(70, "обращение", "обращения", "обращений"),
            "70 обращений"
        );
    }

    #[test]
    fn decimals_use_a_comma() {
        assert_eq!(decimal(20.0), "20");
        assert_eq!(decimal(9.46), "9,5");
        assert_eq!(percent(16.666), "16,7 %");
        assert_eq!(percent(2.0), "2 %");
    }
}
