//! What the pages say and how they write numbers and dates: the texts come from one Fluent
//! file per language (`web/ui/ru.ftl`, embedded in the binary), whose plural rules pick
//! «1 задача», «2 задачи», «5 задач»; numbers and dates follow Russian conventions —
//! `01.12.2026`, `146 295`, `1 826 ₽`, `1,34` — written here rather than in the Fluent file,
//! because fluent-bundle formats numbers without grouping or a decimal comma.

use std::sync::OnceLock;

use chrono::TimeZone;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The Russian texts.
const RU: &str = include_str!("../../ui/ru.ftl");

/// A language's texts.
pub struct Texts {
    bundle: FluentBundle<FluentResource>,
}

/// An argument of a text: a number (which also chooses the plural form) or a string.
#[derive(Debug, Clone)]
pub enum Arg {
    Number(f64),
    Text(String),
}

impl Texts {
    /// The Russian texts, parsed once per process.
    pub fn russian() -> &'static Texts {
        static RUSSIAN: OnceLock<Texts> = OnceLock::new();
        // ru.ftl ships in the binary and `the_russian_texts_parse` proves it parses.
        RUSSIAN.get_or_init(|| Texts::parse(RU, "ru").expect("web/ui/ru.ftl parses"))
    }

    /// Parses a Fluent file for the language `lang`; the errors say where it is wrong.
    pub fn parse(source: &str, lang: &str) -> Result<Texts, String> {
        let resource = FluentResource::try_new(source.to_string())
            .map_err(|(_, errors)| format!("{errors:?}"))?;
        let lang: unic_langid::LanguageIdentifier =
            lang.parse().map_err(|e| format!("language {lang}: {e}"))?;
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // The texts go into HTML, escaped by the templates: no Unicode isolation marks.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|errors| format!("{errors:?}"))?;
        Ok(Texts { bundle })
    }

    /// Whether the file has a message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// The message `id` with its arguments; the id itself when the file lacks it (a test
    /// checks that every id the templates use is there).
    pub fn get(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!("no text `{id}` in the page texts");
            return id.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Number(n) => fluent_args.set(*name, FluentValue::from(*n)),
                Arg::Text(t) => fluent_args.set(*name, FluentValue::from(t.clone())),
            }
        }
        let mut errors = Vec::new();
        let text = self
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!("text `{id}`: {errors:?}");
        }
        text.into_owned()
    }
}

/// What a plugin's vendor wrote (its description, a setting's, a parameter's) as the pages
/// show it: the translation `plugin-NAME-WHAT` of ru.ftl where there is one, the vendor's own
/// text otherwise. `what` is `description`, `config-KEY` or `parameter-KEY`.
pub fn plugin_text(plugin: &str, what: &str, vendor_text: &str) -> String {
    let id = format!("plugin-{plugin}-{what}");
    let texts = Texts::russian();
    if texts.has(&id) {
        texts.get(&id, &[])
    } else {
        vendor_text.to_string()
    }
}

/// A whole number with its thousands grouped by a no-break space: `146 295`.
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2 + 1);
    if n < 0 {
        out.push('−');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// A decimal with `places` digits after a comma: `1,34`; thousands grouped as in [`number`].
pub fn decimal(x: f64, places: usize) -> String {
    let fixed = format!("{:.*}", places, x.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if x < 0.0 && fixed.chars().any(|c| matches!(c, '1'..='9')) {
        "−"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{}", number(whole))
    } else {
        format!("{sign}{},{fraction}", number(whole))
    }
}

/// A change with its sign, as the seed's dashboard writes it: `+3 209`, `−5 701`, `0`.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", number(n))
    } else {
        number(n)
    }
}

/// A change of a decimal with its sign: `+0,55`, `−0,06`, `0,00`.
pub fn signed_decimal(x: f64, places: usize) -> String {
    let shown = decimal(x, places);
    if x > 0.0 && shown.chars().any(|c| matches!(c, '1'..='9')) {
        format!("+{shown}")
    } else {
        shown
    }
}

/// A share in percent, whole: `75 %` (a no-break space before the sign, as Russian writes it).
pub fn percent(x: f64) -> String {
    format!("{}\u{a0}%", decimal(x, 0))
}

/// An amount of roubles: `1 826 ₽`, kopecks only when there are some (`1 826,50 ₽`).
pub fn money(roubles: f64) -> String {
    if (roubles.fract()).abs() < 0.005 {
        format!("{}\u{a0}₽", number(roubles.round() as i64))
    } else {
        format!("{}\u{a0}₽", decimal(roubles, 2))
    }
}

/// A day in the region's time zone: `01.12.2026`.
pub fn date(unix: i64, zone: chrono_tz::Tz) -> String {
    zone.timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%d.%m.%Y").to_string())
        .unwrap_or_default()
}

/// A moment in the region's time zone: `01.12.2026 07:00`.
pub fn date_time(unix: i64, zone: chrono_tz::Tz) -> String {
    zone.timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%d.%m.%Y %H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_russian_texts_parse() {
        Texts::parse(RU, "ru").unwrap();
    }

    #[test]
    fn plugin_texts_are_translated_where_ru_ftl_has_them() {
        assert!(plugin_text("isu-home-care-load", "description", "Counts").starts_with("Считает"));
        assert!(
            plugin_text("isu-home-care-load", "config-period-days", "How many")
                .starts_with("За сколько")
        );
        assert_eq!(
            plugin_text("vendor-x", "description", "As written"),
            "As written"
        );
    }

    #[test]
    fn plural_forms_follow_russian_rules() {
        let t = Texts::russian();
        let lead = |n: i64| {
            t.get(
                "cabinet-lead",
                &[
                    ("count", Arg::Number(n as f64)),
                    ("n", Arg::Text(number(n))),
                ],
            )
        };
        assert_eq!(lead(0), "У вас нет задач.");
        assert_eq!(lead(1), "У вас 1 задача.");
        assert_eq!(lead(3), "У вас 3 задачи.");
        assert_eq!(lead(5), "У вас 5 задач.");
        assert_eq!(lead(11), "У вас 11 задач.");
        assert_eq!(lead(21), "У вас 21 задача.");
        assert_eq!(lead(1024), "У вас 1\u{a0}024 задачи.");
        let days = |x: f64| {
            t.get(
                "days",
                &[("count", Arg::Number(x)), ("n", Arg::Text(decimal(x, 2)))],
            )
        };
        assert_eq!(days(1.34), "1,34 дня");
        assert_eq!(days(0.5), "0,50 дня");
    }

    #[test]
    fn numbers_money_and_dates_are_written_the_russian_way() {
        assert_eq!(number(146_295), "146\u{a0}295");
        assert_eq!(number(-5_701), "−5\u{a0}701");
        assert_eq!(number(42), "42");
        assert_eq!(decimal(1.344, 2), "1,34");
        assert_eq!(decimal(-0.06, 2), "−0,06");
        assert_eq!(money(1826.0), "1\u{a0}826\u{a0}₽");
        assert_eq!(signed(3_209), "+3\u{a0}209");
        assert_eq!(signed(-5_701), "−5\u{a0}701");
        assert_eq!(signed_decimal(0.55, 2), "+0,55");
        assert_eq!(signed_decimal(-0.06, 2), "−0,06");
        assert_eq!(percent(74.6), "75\u{a0}%");
        assert_eq!(money(1826.5), "1\u{a0}826,50\u{a0}₽");
        let moscow = chrono_tz::Europe::Moscow;
        // 2026-11-30 23:30 UTC is already the 1st of December in Moscow.
        assert_eq!(date(1_796_081_400, moscow), "01.12.2026");
        assert_eq!(date_time(1_796_081_400, moscow), "01.12.2026 02:30");
    }
}
