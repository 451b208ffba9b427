//! Exceptions of home-care visits (electronic visit verification): out of the geofence, too
//! short, without evidence, or unverifiable — recorded with their reason, never dropped.

use crate::bindings::geo_check::zemstvo::platform::visit_checks as wit;

pub use wit::{ExceptionKind, VisitCheckError, VisitException};

/// Records exceptions (needs `visits.record-exceptions`). Pass many at once: every call
/// crosses the sandbox, and a run of thousands of visits should take a handful of calls.
pub fn record(exceptions: &[VisitException]) -> Result<(), VisitCheckError> {
    wit::record_exceptions(exceptions)
}
