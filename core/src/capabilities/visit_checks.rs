//! `visit-checks`: exceptions found in home-care visits, recorded with their reason.

use serde::{Deserialize, Serialize};

use crate::checks::check_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    OutOfGeofence,
    TooShort,
    MissingEvidence,
    Unverifiable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitException {
    pub visit: u64,
    pub kind: ExceptionKind,
    pub reason: String,
    pub distance_m: Option<f64>,
    pub duration_min: Option<f64>,
}

/// Checks one exception a plugin recorded; the visit's existence is the host's to check.
pub fn validate(e: &VisitException) -> Result<(), String> {
    check_text("reason", &e.reason, 1_000, true)?;
    if e.distance_m.is_some_and(|d| !d.is_finite() || d < 0.0) {
        return Err(format!(
            "visit {}: distance-m must be a non-negative number",
            e.visit
        ));
    }
    if e.duration_min.is_some_and(|d| !d.is_finite()) {
        return Err(format!("visit {}: duration-min must be a number", e.visit));
    }
    Ok(())
}

impl VisitException {
    /// Bytes the host holds for the exception.
    pub fn weight(&self) -> usize {
        std::mem::size_of::<VisitException>() + self.reason.len()
    }
}
