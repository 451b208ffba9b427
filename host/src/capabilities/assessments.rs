//! `assessments`: risk categories of inspected objects, recorded in columnar batches.
//!
//! A region scores tens of thousands of objects (a million in the benchmark) per run, so the
//! outputs stay in columns here too; [`Assessments::rows`] gives a row view for reports.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;
use crate::capabilities::data::{DataError, Entity};
use crate::runtime::RunState;
use crate::runtime::state::within_budget;
use crate::runtime::wit::latest::zemstvo::platform::assessments as wit;

/// All categories a run recorded, in columns. Category and factor names are interned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessments {
    pub category_names: Vec<String>,
    pub objects: Vec<u64>,
    /// Index into `category_names`.
    pub categories: Vec<u16>,
    pub scores: Vec<f32>,
    pub factor_names: Vec<String>,
    /// Index into `objects`.
    pub factor_rows: Vec<u32>,
    /// Index into `factor_names`.
    pub factor_codes: Vec<u16>,
    pub factor_weights: Vec<f32>,
}

/// One object's assessment, as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment<'a> {
    pub object: u64,
    pub category: &'a str,
    pub score: f32,
    pub factors: Vec<(&'a str, f32)>,
}

impl Assessments {
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Row views (allocates the factor lists; for reports, not hot paths).
    pub fn rows(&self) -> Vec<Assessment<'_>> {
        let mut factors: Vec<Vec<(&str, f32)>> = vec![Vec::new(); self.objects.len()];
        for j in 0..self.factor_rows.len() {
            factors[self.factor_rows[j] as usize].push((
                self.factor_names[self.factor_codes[j] as usize].as_str(),
                self.factor_weights[j],
            ));
        }
        self.objects
            .iter()
            .zip(&self.categories)
            .zip(&self.scores)
            .zip(factors)
            .map(|(((object, category), score), factors)| Assessment {
                object: *object,
                category: &self.category_names[*category as usize],
                score: *score,
                factors,
            })
            .collect()
    }

    /// Appends a checked batch, re-basing its name indices onto the interned names.
    fn append(&mut self, b: wit::AssessmentBatch) {
        let categories: Vec<u16> = b
            .category_names
            .iter()
            .map(|n| intern(&mut self.category_names, n))
            .collect();
        let factors: Vec<u16> = b
            .factor_names
            .iter()
            .map(|n| intern(&mut self.factor_names, n))
            .collect();
        let base = self.objects.len() as u32;
        self.objects.extend_from_slice(&b.objects);
        self.categories
            .extend(b.categories.iter().map(|&c| categories[c as usize]));
        self.scores.extend_from_slice(&b.scores);
        self.factor_rows
            .extend(b.factor_rows.iter().map(|&r| base + r));
        self.factor_codes
            .extend(b.factor_codes.iter().map(|&c| factors[c as usize]));
        self.factor_weights.extend_from_slice(&b.factor_weights);
    }
}

/// Distinct category names one run may use across its batches.
const MAX_RUN_CATEGORIES: usize = 256;
/// Distinct factor names one run may use across its batches.
const MAX_RUN_FACTORS: usize = 4_096;

fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u16,
        None => {
            names.push(name.to_string());
            (names.len() - 1) as u16
        }
    }
}

fn validate(b: &wit::AssessmentBatch) -> Result<(), String> {
    let rows = b.objects.len();
    if b.categories.len() != rows || b.scores.len() != rows {
        return Err(format!(
            "objects, categories and scores must have one entry per object; got {}, {} and {}",
            rows,
            b.categories.len(),
            b.scores.len()
        ));
    }
    if b.category_names.is_empty() || b.category_names.len() > 16 {
        return Err("category-names must list 1 to 16 categories".into());
    }
    if b.factor_names.len() > 256 {
        return Err("factor-names lists at most 256 factors".into());
    }
    for name in b.category_names.iter().chain(&b.factor_names) {
        super::tasks::check_text("a category or factor name", name, 100, true)?;
    }
    if let Some(i) = b
        .categories
        .iter()
        .position(|&c| c as usize >= b.category_names.len())
    {
        return Err(format!(
            "categories[{i}] = {} has no entry in category-names",
            b.categories[i]
        ));
    }
    if let Some(i) = b.scores.iter().position(|s| !s.is_finite()) {
        return Err(format!("scores[{i}] is not a finite number"));
    }
    let factors = b.factor_rows.len();
    if b.factor_codes.len() != factors || b.factor_weights.len() != factors {
        return Err(
            "factor-rows, factor-codes and factor-weights must have the same length".into(),
        );
    }
    if let Some(j) = b.factor_rows.iter().position(|&r| r as usize >= rows) {
        return Err(format!(
            "factor-rows[{j}] = {} is not a row of this batch",
            b.factor_rows[j]
        ));
    }
    if let Some(j) = b
        .factor_codes
        .iter()
        .position(|&c| c as usize >= b.factor_names.len())
    {
        return Err(format!(
            "factor-codes[{j}] = {} has no entry in factor-names",
            b.factor_codes[j]
        ));
    }
    Ok(())
}

impl wit::Host for RunState {
    async fn record_batch(
        &mut self,
        batch: wit::AssessmentBatch,
    ) -> wasmtime::Result<Result<(), wit::AssessmentError>> {
        self.ensure_running("assessments")?;
        if let Err(denied) = self.require(Capability::AssessmentsWrite) {
            return Ok(Err(wit::AssessmentError::Denied(denied)));
        }
        if let Err(why) = validate(&batch) {
            return Ok(Err(wit::AssessmentError::Invalid(why)));
        }
        match within_budget(
            self.deadline(),
            self.limits.cpu_budget,
            self.region
                .first_missing(Entity::InspectedObjects, &batch.objects),
        )
        .await?
        {
            Ok(None) => {}
            Ok(Some(id)) => return Ok(Err(wit::AssessmentError::UnknownObject(id))),
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
            return Ok(Err(wit::AssessmentError::Invalid(format!(
                "a run names at most {MAX_RUN_CATEGORIES} categories and {MAX_RUN_FACTORS} \
                 factors in all its batches; reuse the names"
            ))));
        }
        let rows = batch.objects.len();
        let names: usize = batch
            .category_names
            .iter()
            .chain(&batch.factor_names)
            .map(|n| crate::capabilities::held_str(n))
            .sum();
        // object (8) + category (2) + score (4); factor row (4) + code (2) + weight (4).
        let weight = rows * 14 + batch.factor_rows.len() * 10 + names;
        let after = self.outputs.assessments.len() + rows;
        self.count_output("assessments", after, self.limits.max_assessments, weight)?;
        self.outputs.assessments.append(batch);
        Ok(Ok(()))
    }
}
