//! The rule every engine of the peers benchmark runs, its data, and its native Rust form.
//!
//! The rule is the one of the reference plugin `plugins/moscow-risk-categories` at its default
//! configuration: an object's score (0 to 100) is `100 × Σ weightᵢ × indicatorᵢ / Σ weightᵢ`
//! rounded to hundredths, where a signal indicator is the strongest recent signal of its
//! source, `min(severity, 1) × (1 − age / horizon)`, counted only when
//! `now − horizon < observed_at ≤ now` and `severity > 0`, and the time indicator is the time
//! since the last inspection over the inspection gap, capped at 1 (never inspected: 1). The
//! score falls into the first category whose threshold it reaches: extremely high (45), high
//! (35), medium (25), moderate (15), low. Each engine returns the per-category counts and the
//! sum of the scores in hundredths of a point, and every engine must return the native
//! [`Outcome`] exactly.
//!
//! The data is generated so that every engine, whatever its number type, computes the very
//! same scores: severities are multiples of 1/16 and signal ages multiples of 1/128 of the
//! horizon, so a signal's strength is exact in `f32` (as the plugin keeps it) and in `f64`
//! (as Lua and Rhai do), and the rest of the arithmetic is the same `f64` sequence everywhere.

use std::fmt;
use std::str::FromStr;

pub const DAY: i64 = 86_400;
/// The run's time: 2026-11-23T06:00:00Z.
pub const NOW: i64 = 1_795_413_600;
/// The plugin's defaults: `signal-horizon-days` and `inspection-gap-days`.
pub const HORIZON_DAYS: i64 = 365;
pub const GAP_DAYS: i64 = 1825;
pub const HORIZON: i64 = HORIZON_DAYS * DAY;
/// The plugin's default weights: drone, appeal, violation, registry mismatch, time since the
/// last inspection.
pub const WEIGHTS: [f64; 5] = [0.3, 0.2, 0.25, 0.1, 0.15];
/// The plugin's default category thresholds, most severe first; `low` takes the rest.
pub const THRESHOLDS: [f64; 4] = [45.0, 35.0, 25.0, 15.0];
pub const CATEGORIES: [&str; 5] = ["extremely-high", "high", "medium", "moderate", "low"];
/// `object_signals.source` of the signal indicators, by source code.
pub const SOURCES: [&str; 4] = ["drone", "appeal", "violation", "registry-mismatch"];
/// `last_inspection` of an object never inspected (every real value is positive).
pub const NEVER: i64 = -1;
/// The benchmark's size.
pub const OBJECTS: usize = 1_000_000;
/// The seed of the data; the Lua 5.4 child process generates the same data from it.
pub const SEED: u64 = 0x5EED_2026_1123;

/// The objects and their signals, in columns. Object `i` (0-based) has id `i + 1`; signals are
/// sorted by object.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// When each object was last inspected, [`NEVER`] if never.
    pub last_inspection: Vec<i64>,
    /// The object (0-based index) of each signal, ascending.
    pub sig_object: Vec<u32>,
    /// Index into [`SOURCES`].
    pub sig_source: Vec<u8>,
    pub sig_severity: Vec<f32>,
    pub sig_observed: Vec<i64>,
}

/// xorshift64*: enough for reproducible synthetic data, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

impl Data {
    /// `objects` objects with 0 to 5 signals each (1.5 on average) from a fixed seed. One
    /// object in ten was never inspected; the rest were inspected up to about eight years ago.
    /// Of the signals, about one in five is older than the horizon and one in fifty dated after
    /// the run's time (both count for nothing), and one in seventeen has severity 0 (ignored).
    pub fn generate(objects: usize) -> Data {
        let mut rng = Rng(SEED);
        let mut d = Data {
            last_inspection: Vec::with_capacity(objects),
            ..Data::default()
        };
        for object in 0..objects {
            let last = if rng.below(10) == 0 {
                NEVER
            } else {
                NOW - rng.below(3000) as i64 * DAY - rng.below(DAY as u64) as i64
            };
            d.last_inspection.push(last);
            let signals = [0, 0, 0, 1, 1, 2, 3, 5][rng.below(8) as usize];
            for _ in 0..signals {
                d.sig_object.push(object as u32);
                d.sig_source.push(rng.below(4) as u8);
                d.sig_severity.push(rng.below(17) as f32 / 16.0);
                let observed = if rng.below(50) == 0 {
                    NOW + 1 + rng.below(30 * DAY as u64) as i64
                } else {
                    // 0 to 159 128ths of the horizon old: from 128 on, too old.
                    NOW - rng.below(160) as i64 * (HORIZON / 128)
                };
                d.sig_observed.push(observed);
            }
        }
        d
    }

    pub fn objects(&self) -> usize {
        self.last_inspection.len()
    }

    pub fn signals(&self) -> usize {
        self.sig_object.len()
    }

    /// The first `objects` objects and their signals.
    pub fn prefix(&self, objects: usize) -> Data {
        let signals = self.sig_object.partition_point(|&o| (o as usize) < objects);
        Data {
            last_inspection: self.last_inspection[..objects].to_vec(),
            sig_object: self.sig_object[..signals].to_vec(),
            sig_source: self.sig_source[..signals].to_vec(),
            sig_severity: self.sig_severity[..signals].to_vec(),
            sig_observed: self.sig_observed[..signals].to_vec(),
        }
    }

    /// The range of signals of the objects `from..to`.
    pub fn signal_range(&self, from: usize, to: usize) -> std::ops::Range<usize> {
        let start = self.sig_object.partition_point(|&o| (o as usize) < from);
        let end = self.sig_object.partition_point(|&o| (o as usize) < to);
        start..end
    }

    /// The columns as the rule reads them.
    pub fn columns(&self) -> Columns<'_> {
        Columns {
            last_inspection: &self.last_inspection,
            sig_object: &self.sig_object,
            sig_source: &self.sig_source,
            sig_severity: &self.sig_severity,
            sig_observed: &self.sig_observed,
        }
    }
}

/// Borrowed columns of a run of objects and their signals; `sig_object` counts from the first
/// object of `last_inspection`.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub last_inspection: &'a [i64],
    pub sig_object: &'a [u32],
    pub sig_source: &'a [u8],
    pub sig_severity: &'a [f32],
    pub sig_observed: &'a [i64],
}

/// What a run of the rule found: objects per category and the sum of the scores in hundredths
/// of a point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub counts: [u64; 5],
    pub checksum: i64,
}

impl Outcome {
    pub fn add(&mut self, other: Outcome) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.checksum += other.checksum;
    }

    /// Counts one object of the score `hundredths` (the score × 100, an integer).
    pub fn count(&mut self, hundredths: i64) {
        self.counts[category(hundredths as f64 / 100.0)] += 1;
        self.checksum += hundredths;
    }
}

/// `counts=a/b/c/d/e checksum=n`: how the Lua 5.4 child reports it.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e] = self.counts;
        write!(f, "counts={a}/{b}/{c}/{d}/{e} checksum={}", self.checksum)
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut outcome = Outcome::default();
        for word in s.split_whitespace() {
            if let Some(counts) = word.strip_prefix("counts=") {
                let counts: Vec<u64> = counts
                    .split('/')
                    .map(|n| n.parse().map_err(|e| format!("{word}: {e}")))
                    .collect::<Result<_, _>>()?;
                outcome.counts = counts
                    .try_into()
                    .map_err(|_| format!("{word}: not five counts"))?;
            } else if let Some(n) = word.strip_prefix("checksum=") {
                outcome.checksum = n.parse().map_err(|e| format!("{word}: {e}"))?;
            }
        }
        Ok(outcome)
    }
}

/// The category index of a score: the first threshold it reaches, else `low`.
pub fn category(score: f64) -> usize {
    THRESHOLDS
        .iter()
        .position(|&t| score >= t)
        .unwrap_or(THRESHOLDS.len())
}

/// The rule in native Rust: one pass over the objects, merging in their signals (sorted by
/// object), with the plugin's arithmetic (`f32` signal strengths, `f64` scores).
pub fn native(c: Columns<'_>) -> Outcome {
    let total: f64 = WEIGHTS.iter().sum();
    let gap = (GAP_DAYS * DAY) as f64;
    let mut outcome = Outcome::default();
    let mut j = 0;
    for (i, &last) in c.last_inspection.iter().enumerate() {
        let mut strengths = [0f32; 4];
        while j < c.sig_object.len() && c.sig_object[j] as usize == i {
            let observed = c.sig_observed[j];
            let severity = c.sig_severity[j];
            if observed > NOW - HORIZON && observed <= NOW && severity > 0.0 {
                let recency = (1.0 - (NOW - observed) as f64 / HORIZON as f64).clamp(0.0, 1.0);
                let strength = severity.min(1.0) * recency as f32;
                let slot = &mut strengths[c.sig_source[j] as usize];
                *slot = slot.max(strength);
            }
            j += 1;
        }
        let time = if last < 0 {
            1.0
        } else {
            ((NOW - last).max(0) as f64 / gap).min(1.0)
        };
        let mut points = 0.0;
        for (factor, weight) in WEIGHTS.iter().enumerate() {
            let indicator = match strengths.get(factor) {
                Some(&s) => f64::from(s),
                None => time,
            };
            points += 100.0 * weight * indicator / total;
        }
        outcome.count((points * 100.0).round() as i64);
    }
    outcome
}

/// The rule in Lua (LuaJIT and Lua 5.4 alike): a chunk returning the function, which takes the
/// objects' and signals' columns as Lua arrays (signals' objects 1-based, sources 1 to 4,
/// timestamps as numbers, [`NEVER`] as -1) and returns the five counts and the checksum.
/// Written as a Lua user after speed writes it: locals for everything, no per-object tables.
pub const LUA_RULE: &str = r#"
return function(n, last, nsig, sobj, ssrc, ssev, sobs, now, horizon, gap)
  local w1, w2, w3, w4, w5 = 0.3, 0.2, 0.25, 0.1, 0.15
  local total = 0.3 + 0.2 + 0.25 + 0.1 + 0.15
  local floor = math.floor
  local from = now - horizon
  local c1, c2, c3, c4, c5, checksum = 0, 0, 0, 0, 0, 0
  local j = 1
  for i = 1, n do
    local s1, s2, s3, s4 = 0.0, 0.0, 0.0, 0.0
    while j <= nsig and sobj[j] == i do
      local obs = sobs[j]
      local sev = ssev[j]
      if obs > from and obs <= now and sev > 0 then
        if sev > 1 then sev = 1 end
        local st = sev * (1 - (now - obs) / horizon)
        local src = ssrc[j]
        if src == 1 then
          if st > s1 then s1 = st end
        elseif src == 2 then
          if st > s2 then s2 = st end
        elseif src == 3 then
          if st > s3 then s3 = st end
        else
          if st > s4 then s4 = st end
        end
      end
      j = j + 1
    end
    local at = last[i]
    local t = 1.0
    if at >= 0 then
      local age = now - at
      if age < 0 then age = 0 end
      t = age / gap
      if t > 1 then t = 1.0 end
    end
    local points = 0.0
    points = points + 100.0 * w1 * s1 / total
    points = points + 100.0 * w2 * s2 / total
    points = points + 100.0 * w3 * s3 / total
    points = points + 100.0 * w4 * s4 / total
    points = points + 100.0 * w5 * t / total
    local h = floor(points * 100.0 + 0.5)
    local score = h / 100.0
    if score >= 45 then
      c1 = c1 + 1
    elseif score >= 35 then
      c2 = c2 + 1
    elseif score >= 25 then
      c3 = c3 + 1
    elseif score >= 15 then
      c4 = c4 + 1
    else
      c5 = c5 + 1
    end
    checksum = checksum + h
  end
  return c1, c2, c3, c4, c5, checksum
end
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_line_round_trips() {
        let o = Outcome {
            counts: [1, 2, 3, 4, 5],
            checksum: 123_456,
        };
        assert_eq!(o.to_string().parse::<Outcome>().unwrap(), o);
    }

    #[test]
    fn scores_spread_over_every_category() {
        let o = native(Data::generate(100_000).columns());
        assert!(o.counts.iter().all(|&n| n > 0), "{o}");
    }
}
