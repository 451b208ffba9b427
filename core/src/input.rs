//! What a run is asked to do: a batch run over the region, or one call of a per-case plugin.

use crate::appeals::AppealInput;
use crate::eligibility::EligibilityInput;

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub enum RunInput {
    /// A batch run over the whole region (deviation checks, risk scoring, geo checks).
    Batch,
    /// One call of an eligibility rule.
    Eligibility(EligibilityInput),
    /// One call of an appeal-routing plugin.
    Appeal(AppealInput),
}
