//! Risk categories of inspected objects, recorded in columnar batches.
//!
//! Collect a batch's results with [`AssessmentBatch`] and [`record`] it; one call per batch
//! of objects keeps a run over tens of thousands of objects cheap.

use crate::bindings::risk_scoring::zemstvo::platform::assessments as wit;

pub use wit::AssessmentError;

/// Results for a slice of objects, built row by row.
#[derive(Debug, Clone)]
pub struct AssessmentBatch(wit::AssessmentBatch);

impl AssessmentBatch {
    /// `categories`: the category names, most severe first (indices into it are what
    /// [`AssessmentBatch::push`] takes).
    pub fn new(categories: &[String], factors: &[&str]) -> Self {
        AssessmentBatch(wit::AssessmentBatch {
            category_names: categories.to_vec(),
            objects: Vec::new(),
            categories: Vec::new(),
            scores: Vec::new(),
            factor_names: factors.iter().map(|f| f.to_string()).collect(),
            factor_rows: Vec::new(),
            factor_codes: Vec::new(),
            factor_weights: Vec::new(),
        })
    }

    /// One object's category and score; returns its row for [`AssessmentBatch::factor`].
    pub fn push(&mut self, object: u64, category: u8, score: f32) -> u32 {
        self.0.objects.push(object);
        self.0.categories.push(category);
        self.0.scores.push(score);
        (self.0.objects.len() - 1) as u32
    }

    /// A factor that contributed `weight` to row `row`'s score.
    pub fn factor(&mut self, row: u32, factor: u16, weight: f32) {
        self.0.factor_rows.push(row);
        self.0.factor_codes.push(factor);
        self.0.factor_weights.push(weight);
    }

    /// Rows in the batch: record it before it grows past the host's batch limit.
    pub fn len(&self) -> usize {
        self.0.objects.len()
    }

    /// Whether the batch has no rows; recording an empty batch is a wasted host call.
    pub fn is_empty(&self) -> bool {
        self.0.objects.is_empty()
    }
}

/// Records a batch (needs `assessments.write`).
pub fn record(batch: &AssessmentBatch) -> Result<(), AssessmentError> {
    wit::record_batch(&batch.0)
}
