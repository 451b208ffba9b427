//! Russian wording for the task texts: numbers with the right noun form, decimals and
//! percentages with a decimal comma. Staff read these every day, so "2 сотрудника" and
//! "16,7 %" rather than "2 сотрудник(ов)" and "16.7%".

/// `n` followed by the noun form Russian grammar asks for: `one` after 1, 21, 31…; `few`
/// after 2–4, 22–24…; `many` after 0, 5–20, 25–30…
///
/// `plural(2, "сотрудник", "сотрудника", "сотрудников")` is "2 сотрудника".
pub fn plural(n: u64, one: &str, few: &str, many: &str) -> String {
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    };
    format!("{n} {word}")
}

/// A number with at most one decimal and a decimal comma: `20`, `9,5`.
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    text.replace('.', ",")
}

/// A percentage written the same way: `2 %`, `0,7 %`, `16,7 %`.
pub fn percent(value: f64) -> String {
    format!("{} %", decimal(value))
}

/// The host refuses a task description over 20,000 characters. The lists are already
/// bounded, but names and numbers come from the region's data and may be long: past this
/// many characters the text is cut, and the records linked to the task still hold everything.
const DESCRIPTION_CHARS: usize = 19_000;

/// `text`, cut to fit a task description if it has to be.
pub fn bounded(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(DESCRIPTION_CHARS) {
        text.truncate(cut);
        text.push_str("\n… текст сокращён: полный список — в записях задачи.\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nouns_agree_with_their_numbers() {
        let f = |n| plural(n, "сотрудник", "сотрудника", "сотрудников");
        assert_eq!(f(1), "1 сотрудник");
        assert_eq!(f(3), "3 сотрудника");
        assert_eq!(f(5), "5 сотрудников");
        assert_eq!(f(11), "11 сотрудников");
        assert_eq!(f(12), "12 сотрудников");
        assert_eq!(f(21), "21 сотрудник");
        assert_eq!(f(104), "104 сотрудника");
        assert_eq!(f(0), "0 сотрудников");
    }

    #[test]
    fn percentages_are_written_the_russian_way() {
        assert_eq!(percent(2.0), "2 %");
        assert_eq!(percent(0.7), "0,7 %");
        assert_eq!(percent(100.0 / 6.0), "16,7 %");
        assert_eq!(percent(10.0), "10 %");
        assert_eq!(decimal(9.5), "9,5");
    }

    #[test]
    fn an_overlong_description_is_cut_to_fit() {
        let short = "коротко".to_string();
        assert_eq!(bounded(short.clone()), short);
        let long = bounded("ж".repeat(25_000));
        assert!(long.chars().count() < 20_000);
        assert!(long.ends_with("в записях задачи.\n"));
    }
}
