//! The indicators a score is made of, and their weights (the JSON text key `weights`).
//!
//! The seed names the sources the Moscow inspection scores objects from: the results of
//! drones and artificial intelligence, citizens' appeals, open data and federal and municipal
//! registries, and the results of earlier control measures. In the region's data these are
//! the `object_signals.source` values `drone`, `appeal`, `violation` (an earlier violation)
//! and `registry-mismatch`; the fifth indicator is the time since the last inspection.
//!
//! Weights are relative shares, not points: the score divides by their sum (see `scoring`),
//! so `{"drone": 3, "appeal": 2, …}` means the same as `{"drone": 0.3, "appeal": 0.2, …}`.
//! A key left out keeps its default; a weight of 0 switches the indicator off.

use serde_json::Value;

/// The key this module parses.
pub const WEIGHTS: &str = "weights";

/// Drone and AI findings weigh most: they are direct evidence of a use that departs from the
/// registered one. Earlier violations come next (repeat offenders), then appeals (numerous
/// but often unconfirmed), then the time since the last inspection and registry mismatches
/// (frequently clerical).
pub const DEFAULT_WEIGHTS: &str = r#"{"drone": 0.3, "appeal": 0.2, "violation": 0.25, "registry-mismatch": 0.1, "time-since-inspection": 0.15}"#;

/// One indicator of the score. Its position in [`Factor::ALL`] is its factor code in the
/// recorded assessments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Drone,
    Appeal,
    Violation,
    RegistryMismatch,
    TimeSinceInspection,
}

impl Factor {
    pub const ALL: [Factor; 5] = [
        Factor::Drone,
        Factor::Appeal,
        Factor::Violation,
        Factor::RegistryMismatch,
        Factor::TimeSinceInspection,
    ];

    /// The indicators that come from `object_signals`, in the order of [`Factor::ALL`].
    pub const SIGNALS: [Factor; 4] = [
        Factor::Drone,
        Factor::Appeal,
        Factor::Violation,
        Factor::RegistryMismatch,
    ];

    /// The name in the configuration and the recorded assessments; for signal indicators
    /// also their `object_signals.source`.
    pub const fn name(self) -> &'static str {
        match self {
            Factor::Drone => "drone",
            Factor::Appeal => "appeal",
            Factor::Violation => "violation",
            Factor::RegistryMismatch => "registry-mismatch",
            Factor::TimeSinceInspection => "time-since-inspection",
        }
    }

    /// What an inspector reads in a task.
    pub const fn label(self) -> &'static str {
        match self {
            Factor::Drone => "снимки БПЛА и находки искусственного интеллекта",
            Factor::Appeal => "обращения граждан",
            Factor::Violation => "ранее выявленные нарушения",
            Factor::RegistryMismatch => "расхождения со сведениями реестров",
            Factor::TimeSinceInspection => "время с последней проверки",
        }
    }

    pub const fn code(self) -> usize {
        self as usize
    }

    /// The signal indicator of an `object_signals.source`, if it is one.
    pub fn of_source(source: &str) -> Option<Factor> {
        Factor::SIGNALS.into_iter().find(|f| f.name() == source)
    }
}

/// The names of [`Factor::ALL`], as an assessment batch lists them.
pub fn factor_names() -> [&'static str; 5] {
    Factor::ALL.map(Factor::name)
}

/// Validated weights: finite, non-negative, at least one positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights([f64; 5]);

impl Weights {
    /// Parses the `weights` key over the defaults. Every problem names the key and the
    /// weight.
    pub fn parse(json: &str) -> Result<Self, String> {
        let mut weights = Self::defaults();
        let given: serde_json::Map<String, Value> = serde_json::from_str(json).map_err(|e| {
            format!(
                "`{WEIGHTS}` must be a JSON object of weights by indicator, e.g. \
                 {DEFAULT_WEIGHTS}: {e}"
            )
        })?;
        for (name, value) in &given {
            let Some(factor) = Factor::ALL.into_iter().find(|f| f.name() == name) else {
                let known: Vec<&str> = factor_names().to_vec();
                return Err(format!(
                    "`{WEIGHTS}`: `{name}` is not an indicator; the indicators are {}",
                    known.join(", ")
                ));
            };
            let weight = value.as_f64().ok_or_else(|| {
                format!("`{WEIGHTS}`: the weight of `{name}` must be a number, got {value}")
            })?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!(
                    "`{WEIGHTS}`: the weight of `{name}` must be a finite number of 0 or more, \
                     got {weight}"
                ));
            }
            weights.0[factor.code()] = weight;
        }
        if weights.total() <= 0.0 {
            return Err(format!(
                "`{WEIGHTS}`: every weight is 0; give at least one indicator a positive weight"
            ));
        }
        Ok(weights)
    }

    /// The weights of [`DEFAULT_WEIGHTS`], in the order of [`Factor::ALL`] (a unit test keeps
    /// the two in step).
    fn defaults() -> Self {
        Weights([0.3, 0.2, 0.25, 0.1, 0.15])
    }

    pub fn of(&self, factor: Factor) -> f64 {
        self.0[factor.code()]
    }

    pub fn total(&self) -> f64 {
        self.0.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_sum_to_one_and_missing_keys_keep_them() {
        let text: serde_json::Map<String, Value> = serde_json::from_str(DEFAULT_WEIGHTS).unwrap();
        assert_eq!(text.len(), Factor::ALL.len());
        for f in Factor::ALL {
            assert_eq!(
                text[f.name()].as_f64(),
                Some(Weights::defaults().of(f)),
                "{f:?}"
            );
        }
        let w = Weights::parse(DEFAULT_WEIGHTS).unwrap();
        assert_eq!(Weights::parse("{}").unwrap(), w);
        assert!((w.total() - 1.0).abs() < 1e-12);
        let partial = Weights::parse(r#"{"drone": 0}"#).unwrap();
        assert_eq!(partial.of(Factor::Drone), 0.0);
        assert_eq!(partial.of(Factor::Appeal), 0.2);
    }

    #[test]
    fn a_bad_weight_is_refused_by_name() {
        let err = |json| Weights::parse(json).unwrap_err();
        assert!(err(r#"{"drone": -1}"#).contains("`drone`"));
        assert!(err(r#"{"drone": "a lot"}"#).contains("must be a number"));
        assert!(err(r#"{"drones": 1}"#).contains("`drones` is not an indicator"));
        assert!(err(r#"[1, 2]"#).contains("JSON object"));
        assert!(err(r#"{"drone": 0, "appeal": 0, "violation": 0, "registry-mismatch": 0, "time-since-inspection": 0}"#).contains("every weight is 0"));
    }
}
