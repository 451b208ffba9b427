//! The host side of `assessments`: the grant, the batch's shape, the objects against the
//! region, the run's distinct names and caps.

use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::assessments::{
    AssessmentBatch, MAX_RUN_CATEGORIES, MAX_RUN_FACTORS, validate,
};
use zemstvo_core::capabilities::data::{DataError, Entity};
use zemstvo_core::capabilities::held_str;

use crate::state::RunState;
use crate::state::within_budget;

/// Why a batch was refused; each WIT version names these in its `assessment-error`.
#[derive(Debug)]
pub(crate) enum AssessmentRefusal {
    Denied(String),
    Invalid(String),
    UnknownObject(u64),
}

impl RunState {
    pub(crate) async fn record_assessments(
        &mut self,
        batch: AssessmentBatch,
    ) -> wasmtime::Result<Result<(), AssessmentRefusal>> {
        self.ensure_running("assessments")?;
        if let Err(denied) = self.require(Capability::AssessmentsWrite) {
            return Ok(Err(AssessmentRefusal::Denied(denied)));
        }
        if let Err(why) = validate(&batch) {
            return Ok(Err(AssessmentRefusal::Invalid(why)));
        }
        match within_budget(
            self.deadline(),
            self.limits.time_budget,
            self.region
                .first_missing(Entity::InspectedObjects, &batch.objects),
        )
        .await?
        {
            Ok(None) => {}
            Ok(Some(id)) => return Ok(Err(AssessmentRefusal::UnknownObject(id))),
            Err(DataError::Unavailable(why)) => {
                return Err(wasmtime::Error::msg(format!(
                    "could not check the assessed objects: the region's data is unavailable: {why}"
                )));
            }
        }
        // Names are interned across the run's batches and referred to by 16-bit codes: the
        // run's distinct names are capped so that the codes stay valid and interning cheap.
        let held = &self.outputs.assessments;
        let new_names = |names: &[String], known: &[String]| {
            names.iter().filter(|n| !known.contains(n)).count()
        };
        if held.category_names.len() + new_names(&batch.category_names, &held.category_names)
            > MAX_RUN_CATEGORIES
            || held.factor_names.len() + new_names(&batch.factor_names, &held.factor_names)
                > MAX_RUN_FACTORS
        {
            return Ok(Err(AssessmentRefusal::Invalid(format!(
                "a run names at most {MAX_RUN_CATEGORIES} categories and {MAX_RUN_FACTORS} \
                 factors in all its batches; reuse the names"
            ))));
        }
        let rows = batch.objects.len();
        let names: usize = batch
            .category_names
            .iter()
            .chain(&batch.factor_names)
            .map(|n| held_str(n))
            .sum();
        // object (8) + category (2) + score (4); factor row (4) + code (2) + weight (4).
        let weight = rows * 14 + batch.factor_rows.len() * 10 + names;
        let after = self.outputs.assessments.len() + rows;
        self.count_output("assessments", after, self.limits.max_assessments, weight)?;
        self.outputs.assessments.append(batch);
        Ok(Ok(()))
    }
}
