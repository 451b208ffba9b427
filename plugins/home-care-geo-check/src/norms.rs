//! Service norms: the least time a home-care visit of each service must last.
//!
//! The norms come from the region's contracts for guaranteed social services, so they are
//! configuration, not code: the `service-norms` key holds a JSON object of service → minutes.
//! The host checks only that the key is text; this module checks the rest and names the bad
//! entry, so an administrator who types `"hygiene-care": 0` learns exactly what to fix.

use std::collections::BTreeMap;

/// The configuration key that holds the norms.
pub const KEY: &str = "service-norms";

/// The norms shipped as the key's default: an hour's escort to a clinic, half an hour of
/// household help or hygiene care, a quarter of an hour to bring food.
pub const DEFAULT: &str =
    r#"{"household-help": 30, "medical-escort": 60, "food-delivery": 15, "hygiene-care": 30}"#;

/// The longest norm accepted: a whole day. Anything longer is a typo (seconds for minutes).
const MAX_MINUTES: u64 = 1_440;

/// Minimum minutes per service, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNorms(BTreeMap<String, u32>);

impl ServiceNorms {
    /// Parses the key's text. The error names the key and the offending entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "`{KEY}` is not valid JSON ({e}); write an object of service → minutes, e.g. {DEFAULT}"
            )
        })?;
        let serde_json::Value::Object(entries) = value else {
            return Err(format!(
                "`{KEY}` must be a JSON object of service → minutes, e.g. {DEFAULT}"
            ));
        };
        let mut norms = BTreeMap::new();
        for (service, minutes) in entries {
            if service.trim().is_empty() || service.trim() != service {
                return Err(format!(
                    "`{KEY}`: entry `{service}`: a service name must be non-empty, without surrounding spaces"
                ));
            }
            let whole = minutes.as_u64().filter(|m| (1..=MAX_MINUTES).contains(m));
            let Some(whole) = whole else {
                return Err(format!(
                    "`{KEY}`: entry `{service}`: {minutes} is not a whole number of minutes from 1 to {MAX_MINUTES}"
                ));
            };
            // Bounded by MAX_MINUTES above, so the conversion cannot truncate.
            norms.insert(service, whole as u32);
        }
        Ok(ServiceNorms(norms))
    }

    /// The norm of a service in minutes, if the region set one.
    pub fn minutes(&self, service: &str) -> Option<u32> {
        self.0.get(service).copied()
    }
}

/// The service as staff read it in a task or a reason.
pub fn service_name(service: &str) -> &str {
    match service {
        "household-help" => "помощь по хозяйству",
        "medical-escort" => "сопровождение в медицинскую организацию",
        "food-delivery" => "доставка продуктов и горячего питания",
        "hygiene-care" => "гигиенические услуги",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_norms_parse() {
        let norms = ServiceNorms::parse(DEFAULT).unwrap();
        assert_eq!(norms.minutes("medical-escort"), Some(60));
        assert_eq!(norms.minutes("food-delivery"), Some(15));
        assert_eq!(norms.minutes("gardening"), None);
    }

    #[test]
    fn a_bad_entry_is_named() {
        let err = ServiceNorms::parse(r#"{"household-help": 30, "hygiene-care": 0}"#).unwrap_err();
        assert!(
            err.contains("service-norms") && err.contains("hygiene-care"),
            "{err}"
        );
        let err = ServiceNorms::parse(r#"{"food-delivery": "15"}"#).unwrap_err();
        assert!(err.contains("food-delivery"), "{err}");
        let err = ServiceNorms::parse(r#"{"food-delivery": 12.5}"#).unwrap_err();
        assert!(err.contains("whole number"), "{err}");
    }

    #[test]
    fn text_that_is_not_an_object_is_refused() {
        assert!(
            ServiceNorms::parse("[30]")
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            ServiceNorms::parse("{30")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
