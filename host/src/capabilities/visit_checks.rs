//! The host side of `visit-checks`: the grant, each exception's shape, the visits against the
//! region, the run's cap.

use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::data::{DataError, Entity};
use zemstvo_core::capabilities::visit_checks::{VisitException, validate};

use crate::state::RunState;
use crate::state::within_budget;

/// Why exceptions were refused; each WIT version names these in its `visit-check-error`.
#[derive(Debug)]
pub(crate) enum VisitCheckRefusal {
    Denied(String),
    Invalid(String),
    UnknownVisit(u64),
}

impl RunState {
    pub(crate) async fn record_visit_exceptions(
        &mut self,
        exceptions: Vec<VisitException>,
    ) -> wasmtime::Result<Result<(), VisitCheckRefusal>> {
        self.ensure_running("visit-checks")?;
        if let Err(denied) = self.require(Capability::VisitsRecordExceptions) {
            return Ok(Err(VisitCheckRefusal::Denied(denied)));
        }
        if let Some(why) = exceptions.iter().find_map(|e| validate(e).err()) {
            return Ok(Err(VisitCheckRefusal::Invalid(why)));
        }
        let ids: Vec<u64> = exceptions.iter().map(|e| e.visit).collect();
        match within_budget(
            self.deadline(),
            self.limits.time_budget,
            self.region.first_missing(Entity::Visits, &ids),
        )
        .await?
        {
            Ok(None) => {}
            Ok(Some(id)) => return Ok(Err(VisitCheckRefusal::UnknownVisit(id))),
            Err(DataError::Unavailable(why)) => {
                return Err(wasmtime::Error::msg(format!(
                    "could not check the visits: the region's data is unavailable: {why}"
                )));
            }
        }
        for e in exceptions {
            let weight = e.weight();
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
