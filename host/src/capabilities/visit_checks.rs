//! `visit-checks`: exceptions found in home-care visits, recorded with their reason.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;
use crate::capabilities::data::{DataError, Entity};
use crate::capabilities::tasks::check_text;
use crate::runtime::RunState;
use crate::runtime::state::within_budget;
use crate::runtime::wit::latest::zemstvo::platform::visit_checks as wit;

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

fn convert(e: wit::VisitException) -> Result<VisitException, String> {
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
    Ok(VisitException {
        visit: e.visit,
        kind: match e.kind {
            wit::ExceptionKind::OutOfGeofence => ExceptionKind::OutOfGeofence,
            wit::ExceptionKind::TooShort => ExceptionKind::TooShort,
            wit::ExceptionKind::MissingEvidence => ExceptionKind::MissingEvidence,
            wit::ExceptionKind::Unverifiable => ExceptionKind::Unverifiable,
        },
        reason: e.reason,
        distance_m: e.distance_m,
        duration_min: e.duration_min,
    })
}

impl wit::Host for RunState {
    async fn record_exceptions(
        &mut self,
        exceptions: Vec<wit::VisitException>,
    ) -> wasmtime::Result<Result<(), wit::VisitCheckError>> {
        self.ensure_running("visit-checks")?;
        if let Err(denied) = self.require(Capability::VisitsRecordExceptions) {
            return Ok(Err(wit::VisitCheckError::Denied(denied)));
        }
        let exceptions = match exceptions
            .into_iter()
            .map(convert)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(e) => e,
            Err(why) => return Ok(Err(wit::VisitCheckError::Invalid(why))),
        };
        let ids: Vec<u64> = exceptions.iter().map(|e| e.visit).collect();
        match within_budget(
            self.deadline(),
            self.limits.cpu_budget,
            self.region.first_missing(Entity::Visits, &ids),
        )
        .await?
        {
            Ok(None) => {}
            Ok(Some(id)) => return Ok(Err(wit::VisitCheckError::UnknownVisit(id))),
            Err(DataError::Unavailable(why)) => {
                return Err(wasmtime::Error::msg(format!(
                    "could not check the visits: the region's data is unavailable: {why}"
                )));
            }
        }
        for e in exceptions {
            let weight = std::mem::size_of::<VisitException>() + e.reason.len();
            self.count_output(
                "visit exceptions",
                self.outputs.visit_exceptions.len() + 1,
                self.limits.max_visit_exceptions,
                weight,
            )?;
            self.outputs.visit_exceptions.push(e);
        }
        Ok(Ok(()))
    }
}
