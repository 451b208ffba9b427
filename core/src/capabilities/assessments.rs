//! `assessments`: risk categories of inspected objects, recorded in columnar batches.
//!
//! A region scores tens of thousands of objects (a million in the benchmark) per run, so the
//! outputs stay in columns here too; [`Assessments::rows`] gives a row view for reports.

use serde::{Deserialize, Serialize};

use crate::checks::check_text;

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
    pub fn append(&mut self, b: AssessmentBatch) {
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

/// One batch of categories as a plugin records it: per object a category (an index into
/// `category-names`) and a score; factors as (row, code, weight) triples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssessmentBatch {
    pub objects: Vec<u64>,
    pub category_names: Vec<String>,
    pub categories: Vec<u8>,
    pub scores: Vec<f32>,
    pub factor_names: Vec<String>,
    pub factor_rows: Vec<u32>,
    pub factor_codes: Vec<u16>,
    pub factor_weights: Vec<f32>,
}

/// Distinct category names one run may use across its batches.
pub const MAX_RUN_CATEGORIES: usize = 256;
/// Distinct factor names one run may use across its batches.
pub const MAX_RUN_FACTORS: usize = 4_096;

fn intern(names: &mut Vec<String>, name: &str) -> u16 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u16,
        None => {
            names.push(name.to_string());
            (names.len() - 1) as u16
        }
    }
}

/// Checks a batch's shape: one entry per object, indices within their name lists, finite
/// scores. The objects' existence is the host's to check.
pub fn validate(b: &AssessmentBatch) -> Result<(), String> {
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
        check_text("a category or factor name", name, 100, true)?;
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
