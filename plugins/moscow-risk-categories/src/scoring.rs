//! The score of an object, from 0 to 100 points, and the one pass over the signals it needs.
//!
//! Each indicator is a number from 0 to 1:
//! - a **signal indicator** (drone, appeal, violation, registry mismatch) is the strongest
//!   recent signal of that source: `severity × (1 − age / horizon)`, the largest over the
//!   object's signals of the source. A signal observed now counts in full, one half a horizon
//!   old counts half, one older than the horizon (`signal-horizon-days`) not at all. The
//!   strongest rather than the sum, so that twenty appeals about one fence do not outweigh a
//!   drone photograph of an unauthorised building; the decay, so that an object whose
//!   violation was found and removed years ago drifts back down.
//! - the **time indicator** grows linearly from 0 on the day of the last inspection to 1 after
//!   `inspection-gap-days`; an object never inspected counts as inspected long ago (1).
//!
//! The score is `100 × Σ weightᵢ × indicatorᵢ / Σ weightᵢ`, rounded to hundredths of a point so
//! that a score and a threshold compare exactly as they are printed. Each term is the factor's
//! contribution, recorded with the assessment and listed in the task.

use std::collections::HashMap;

use zemstvo_sdk::PluginError;
use zemstvo_sdk::data::{any_of, gt, le};
use zemstvo_sdk::prelude::*;

use crate::weights::{Factor, Weights};

/// The signal indicators of one object, in the order of [`Factor::SIGNALS`].
pub type SignalStrengths = [f32; 4];

/// The signal indicators of every object that has a recent signal.
pub struct SignalIndex {
    by_object: HashMap<u64, SignalStrengths>,
    /// Signals read (recent, of a weighted source).
    pub read: u64,
    /// Signals whose severity was outside 0..1 (clamped) or not a number (ignored).
    pub out_of_range: u64,
}

impl SignalIndex {
    /// Takes an object's indicators out of the index (all 0 when it has no recent signal);
    /// what is left after every object was scored belongs to no known object.
    pub fn take(&mut self, object: u64) -> SignalStrengths {
        self.by_object.remove(&object).unwrap_or_default()
    }

    /// Objects with signals that were never taken.
    pub fn left_over(&self) -> usize {
        self.by_object.len()
    }
}

/// Reads the recent signals in one pass and keeps, per object, the strongest decayed signal
/// of each source.
///
/// Why one pass rather than a lookup per batch of objects (`any_of` on the batch's ids): the
/// region has a few signals per object, so one cursor over the signals is the same number of
/// rows as all the lookups together, without sending the ids across the boundary and back
/// (16,384 ids per object batch, in chunks of 5,000), and without one more query per chunk for
/// the host to plan. The index it builds is small — four `f32` per object with a recent signal
/// — and the filters (the horizon, the weighted sources) run on the host, so old signals never
/// cross the boundary at all.
pub fn read_signals(
    now: Timestamp,
    horizon_days: i64,
    weights: &Weights,
) -> Result<SignalIndex, PluginError> {
    let mut index = SignalIndex {
        by_object: HashMap::new(),
        read: 0,
        out_of_range: 0,
    };
    let sources: Vec<&str> = Factor::SIGNALS
        .into_iter()
        .filter(|&f| weights.of(f) > 0.0)
        .map(Factor::name)
        .collect();
    if sources.is_empty() {
        // Only the time since the last inspection is weighted: no signal can change a score.
        return Ok(index);
    }
    let horizon = horizon_days * DAY;
    let cursor = object_signals::query()
        .columns(&[
            object_signals::OBJECT_ID,
            object_signals::SOURCE,
            object_signals::SEVERITY,
            object_signals::OBSERVED_AT,
        ])
        // A signal exactly a horizon old has decayed to nothing.
        .filter(object_signals::OBSERVED_AT, gt(now - horizon))
        // A signal dated after the run's time was not known then: a replay of an earlier run
        // must see what that run saw.
        .filter(object_signals::OBSERVED_AT, le(now))
        .filter(object_signals::SOURCE, any_of(sources))
        .open()?;
    for batch in cursor {
        let batch = batch?;
        for row in object_signals::rows(&batch).iter() {
            index.read += 1;
            let Some(factor) = Factor::of_source(row.source()) else {
                continue;
            };
            let severity = row.severity();
            if !(0.0..=1.0).contains(&severity) {
                index.out_of_range += 1;
            }
            // A signal without a usable severity adds nothing.
            if severity.is_nan() || severity <= 0.0 {
                continue;
            }
            let strength = severity.min(1.0) * recency(now, row.observed_at(), horizon) as f32;
            let slot = &mut index.by_object.entry(row.object_id()).or_default()[factor.code()];
            *slot = slot.max(strength);
        }
    }
    Ok(index)
}

/// How much of a signal's severity is left at `now`: 1 when just observed, 0 at `horizon`
/// seconds old.
pub fn recency(now: Timestamp, observed: Timestamp, horizon: i64) -> f64 {
    let age = (now - observed).max(0) as f64;
    (1.0 - age / horizon as f64).clamp(0.0, 1.0)
}

/// The time indicator: 0 on the day of the last inspection, 1 after `gap_days` or when the
/// object was never inspected.
pub fn time_indicator(now: Timestamp, last_inspection: Option<Timestamp>, gap_days: i64) -> f64 {
    match last_inspection {
        None => 1.0,
        Some(at) => ((now - at).max(0) as f64 / (gap_days * DAY) as f64).min(1.0),
    }
}

/// An object's score and what each indicator contributed to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// 0 to 100, in hundredths of a point.
    pub points: f64,
    /// Points per factor, in the order of [`Factor::ALL`], in hundredths of a point (their sum
    /// may differ from `points` by rounding).
    pub contributions: [f64; 5],
}

/// Scores one object from its indicators.
pub fn score(weights: &Weights, signals: &SignalStrengths, time: f64) -> Score {
    let total = weights.total();
    let mut contributions = [0.0; 5];
    let mut points = 0.0;
    for factor in Factor::ALL {
        let indicator = match factor {
            Factor::TimeSinceInspection => time,
            signal => f64::from(signals[signal.code()]),
        };
        let points_of_factor = 100.0 * weights.of(factor) * indicator / total;
        points += points_of_factor;
        contributions[factor.code()] = hundredths(points_of_factor);
    }
    Score {
        points: hundredths(points),
        contributions,
    }
}

fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::DEFAULT_WEIGHTS;

    #[test]
    fn signals_decay_linearly_to_nothing_at_the_horizon() {
        let h = 100 * DAY;
        assert_eq!(recency(1000 * DAY, 1000 * DAY, h), 1.0);
        assert_eq!(recency(1000 * DAY, 950 * DAY, h), 0.5);
        assert_eq!(recency(1000 * DAY, 900 * DAY, h), 0.0);
        assert_eq!(recency(1000 * DAY, 800 * DAY, h), 0.0);
    }

    #[test]
    fn never_inspected_counts_as_long_ago() {
        assert_eq!(time_indicator(1000 * DAY, None, 365), 1.0);
        assert_eq!(time_indicator(1000 * DAY, Some(1000 * DAY), 365), 0.0);
        assert_eq!(time_indicator(1000 * DAY, Some(0), 365), 1.0);
        assert_eq!(time_indicator(1000 * DAY, Some(900 * DAY), 200), 0.5);
    }

    #[test]
    fn the_score_is_the_sum_of_weighted_indicators_in_points() {
        let w = Weights::parse(DEFAULT_WEIGHTS).unwrap();
        let s = score(&w, &[1.0, 0.0, 0.5, 0.0], 1.0);
        // drone 30 + violation 12.5 + time 15
        assert_eq!(s.points, 57.5);
        assert_eq!(s.contributions, [30.0, 0.0, 12.5, 0.0, 15.0]);
        // 0.15 × 100 is 15.000000000000002 in floating point: rounding makes it 15.
        assert_eq!(score(&w, &[0.0; 4], 1.0).points, 15.0);
    }
}
