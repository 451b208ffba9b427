//! The risk categories: configuration, not code.
//!
//! Federal law 248-FZ "On state control (supervision) and municipal control" (art. 23) lets a
//! type of control use three to six risk categories — extremely high, high, significant,
//! medium, moderate and low — and "low" is always among them. Each category but low carries
//! the frequency of planned control measures; objects of low risk get no planned inspections.
//! The Moscow real-estate inspection (the seed) uses five: extremely high, high, medium,
//! moderate, low. Another region, or Moscow after a change of its provision on control, may
//! use another set, so the set is the JSON text key `categories`, most severe first:
//!
//! ```json
//! [
//!   { "name": "extremely-high", "threshold": 45, "frequency_months": 12 },
//!   { "name": "high",           "threshold": 35, "frequency_months": 24 },
//!   { "name": "medium",         "threshold": 25, "frequency_months": 36 },
//!   { "name": "moderate",       "threshold": 15, "frequency_months": 60 },
//!   { "name": "low" }
//! ]
//! ```
//!
//! `threshold` is the score (0 to 100) from which the category applies: an object scoring
//! exactly a threshold belongs to that category. `low` comes last and takes every object
//! below the others. `label` (optional) is the Russian name staff read in tasks; the six
//! names of 248-FZ have theirs built in.

use serde::Deserialize;

/// The key this module parses.
pub const CATEGORIES: &str = "categories";

/// The mandatory category of 248-FZ, and the one without planned inspections.
pub const LOW: &str = "low";

/// Moscow's five categories (the seed). The thresholds fit the scores of a region like the
/// demo one: about 1% extremely high, 5% high, 17% medium, 40% moderate, the rest low. The
/// frequencies are illustrative; a region sets those of its provision on control.
pub const DEFAULT_CATEGORIES: &str = r#"[
  {"name": "extremely-high", "threshold": 45, "frequency_months": 12},
  {"name": "high", "threshold": 35, "frequency_months": 24},
  {"name": "medium", "threshold": 25, "frequency_months": 36},
  {"name": "moderate", "threshold": 15, "frequency_months": 60},
  {"name": "low"}
]"#;

/// Fewest and most categories 248-FZ allows.
const MIN_CATEGORIES: usize = 3;
const MAX_CATEGORIES: usize = 6;

/// Scores run from 0 to 100 (see `scoring`), so thresholds do too.
const MAX_THRESHOLD: f64 = 100.0;

/// Twenty years: a longer frequency is a typo, not a plan.
const MAX_FREQUENCY_MONTHS: u32 = 240;

/// Category names and labels travel to the host, which accepts up to 100 characters.
const MAX_NAME: usize = 100;

/// One risk category as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskCategory {
    /// What the assessments record, e.g. `extremely-high`.
    pub name: String,
    /// What staff read, e.g. `чрезвычайно высокий`.
    pub label: String,
    /// The score from which the category applies.
    pub threshold: f64,
    /// How often objects of the category are inspected; `None` only for `low`.
    pub frequency_months: Option<u32>,
}

/// The validated category set, most severe first, `low` last.
#[derive(Debug, Clone)]
pub struct CategorySet {
    categories: Vec<RiskCategory>,
}

/// A category as written in the configuration, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    name: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    frequency_months: Option<u32>,
}

impl CategorySet {
    /// Parses and validates the `categories` key. Every problem is an error naming the key,
    /// the category and what to change.
    pub fn parse(json: &str) -> Result<Self, String> {
        let written: Vec<Written> = serde_json::from_str(json).map_err(|e| {
            format!(
                "`{CATEGORIES}` must be a JSON array of categories \
                 ({{\"name\", \"threshold\", \"frequency_months\"}}), most severe first: {e}"
            )
        })?;
        if !(MIN_CATEGORIES..=MAX_CATEGORIES).contains(&written.len()) {
            return Err(format!(
                "`{CATEGORIES}` lists {} categories; federal law 248-FZ allows \
                 {MIN_CATEGORIES} to {MAX_CATEGORIES}",
                written.len()
            ));
        }
        for (i, c) in written.iter().enumerate() {
            check_name(&format!("the name of category {}", i + 1), &c.name)?;
            if let Some(label) = &c.label {
                check_name(&format!("the label of `{}`", c.name), label)?;
            }
            if written[..i].iter().any(|earlier| earlier.name == c.name) {
                return Err(format!(
                    "`{CATEGORIES}` lists `{}` twice; category names must be unique",
                    c.name
                ));
            }
        }
        match written.iter().position(|c| c.name == LOW) {
            None => {
                return Err(format!(
                    "`{CATEGORIES}` has no `{LOW}` category; federal law 248-FZ makes it \
                     mandatory"
                ));
            }
            Some(i) if i != written.len() - 1 => {
                return Err(format!(
                    "`{CATEGORIES}`: `{LOW}` must be the last (least severe) category"
                ));
            }
            Some(_) => {}
        }

        let mut categories: Vec<RiskCategory> = Vec::with_capacity(written.len());
        for c in written {
            let is_low = c.name == LOW;
            let threshold = match (c.threshold, is_low) {
                (Some(t), _) if !t.is_finite() || !(0.0..=MAX_THRESHOLD).contains(&t) => {
                    return Err(format!(
                        "`{CATEGORIES}`: the threshold of `{}` must be a score from 0 to \
                         {MAX_THRESHOLD}, got {t}",
                        c.name
                    ));
                }
                (Some(t), true) if t != 0.0 => {
                    return Err(format!(
                        "`{CATEGORIES}`: `{LOW}` takes every object below the other \
                         categories, so its threshold must be 0 (or left out), got {t}"
                    ));
                }
                (Some(t), _) => t,
                (None, true) => 0.0,
                (None, false) => {
                    return Err(format!(
                        "`{CATEGORIES}`: `{}` needs a `threshold` (the score from 0 to \
                         {MAX_THRESHOLD} from which it applies)",
                        c.name
                    ));
                }
            };
            if let Some(more_severe) = categories.last()
                && threshold >= more_severe.threshold
            {
                return Err(format!(
                    "`{CATEGORIES}`: thresholds must decrease from the most severe category, \
                     but `{}` ({threshold}) is not below `{}` ({})",
                    c.name, more_severe.name, more_severe.threshold
                ));
            }
            match c.frequency_months {
                None if !is_low => {
                    return Err(format!(
                        "`{CATEGORIES}`: `{}` needs `frequency_months`, how often its objects \
                         are inspected (only `{LOW}` may have none)",
                        c.name
                    ));
                }
                Some(m) if !(1..=MAX_FREQUENCY_MONTHS).contains(&m) => {
                    return Err(format!(
                        "`{CATEGORIES}`: `frequency_months` of `{}` must be 1 to \
                         {MAX_FREQUENCY_MONTHS}, got {m}",
                        c.name
                    ));
                }
                _ => {}
            }
            if let (Some(months), Some(more_severe)) = (c.frequency_months, categories.last())
                && let Some(severe_months) = more_severe.frequency_months
                && months < severe_months
            {
                return Err(format!(
                    "`{CATEGORIES}`: `{}` would be inspected more often (every {months} \
                     months) than the more severe `{}` (every {severe_months} months)",
                    c.name, more_severe.name
                ));
            }
            let label = c
                .label
                .unwrap_or_else(|| default_label(&c.name).unwrap_or(&c.name).to_string());
            categories.push(RiskCategory {
                name: c.name,
                label,
                threshold,
                frequency_months: c.frequency_months,
            });
        }
        Ok(CategorySet { categories })
    }

    /// The index of the category a score falls into: the most severe whose threshold it
    /// reaches. `low` (threshold 0, last) catches the rest.
    pub fn categorise(&self, score: f64) -> usize {
        self.categories
            .iter()
            .position(|c| score >= c.threshold)
            .unwrap_or(self.categories.len() - 1)
    }

    pub fn get(&self, index: usize) -> &RiskCategory {
        &self.categories[index]
    }

    pub fn len(&self) -> usize {
        self.categories.len()
    }

    /// The names, most severe first: what an assessment batch refers to by index.
    pub fn names(&self) -> Vec<String> {
        self.categories.iter().map(|c| c.name.clone()).collect()
    }
}

/// The Russian names of the six categories of 248-FZ.
fn default_label(name: &str) -> Option<&'static str> {
    Some(match name {
        "extremely-high" => "чрезвычайно высокий",
        "high" => "высокий",
        "significant" => "значительный",
        "medium" => "средний",
        "moderate" => "умеренный",
        "low" => "низкий",
        _ => return None,
    })
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err(format!("`{CATEGORIES}`: {what} is empty"));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(format!(
            "`{CATEGORIES}`: {what} (`{name}`) has surrounding spaces or control characters"
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!(
            "`{CATEGORIES}`: {what} is longer than {MAX_NAME} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_is_moscows_five() {
        let set = CategorySet::parse(DEFAULT_CATEGORIES).unwrap();
        assert_eq!(
            set.names(),
            ["extremely-high", "high", "medium", "moderate", "low"]
        );
        assert_eq!(set.get(0).label, "чрезвычайно высокий");
        assert_eq!(set.get(4).frequency_months, None);
    }

    #[test]
    fn a_score_exactly_at_a_threshold_belongs_to_that_category() {
        let set = CategorySet::parse(DEFAULT_CATEGORIES).unwrap();
        assert_eq!(set.categorise(45.0), 0);
        assert_eq!(set.categorise(44.99), 1);
        assert_eq!(set.categorise(15.0), 3);
        assert_eq!(set.categorise(0.0), 4);
    }

    fn refusal(json: &str) -> String {
        CategorySet::parse(json).unwrap_err()
    }

    #[test]
    fn each_broken_rule_is_named() {
        assert!(refusal("{").contains("JSON array"));
        assert!(
            refusal(r#"[{"name":"high","threshold":1,"frequency_months":1},{"name":"low"}]"#)
                .contains("allows 3 to 6")
        );
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1},{"name":"c","threshold":0,"frequency_months":1}]"#).contains("no `low`"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":1},{"name":"a","threshold":1,"frequency_months":1},{"name":"low"}]"#).contains("twice"));
        assert!(refusal(r#"[{"name":"low"},{"name":"a","threshold":2,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1}]"#).contains("must be the last"));
        assert!(refusal(r#"[{"name":"a","threshold":1,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1},{"name":"low"}]"#).contains("must decrease"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":1},{"name":"b","threshold":1},{"name":"low"}]"#).contains("needs `frequency_months`"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":1},{"name":"b","frequency_months":1},{"name":"low"}]"#).contains("needs a `threshold`"));
        assert!(refusal(r#"[{"name":"a","threshold":200,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1},{"name":"low"}]"#).contains("from 0 to 100"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1},{"name":"low","threshold":0.5}]"#).contains("must be 0"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency_months":24},{"name":"b","threshold":1,"frequency_months":12},{"name":"low"}]"#).contains("more often"));
        assert!(refusal(r#"[{"name":"a","threshold":2,"frequency":24},{"name":"b","threshold":1,"frequency_months":12},{"name":"low"}]"#).contains("unknown field `frequency`"));
        assert!(refusal(r#"[{"name":" ","threshold":2,"frequency_months":1},{"name":"b","threshold":1,"frequency_months":1},{"name":"low"}]"#).contains("is empty"));
    }
}
