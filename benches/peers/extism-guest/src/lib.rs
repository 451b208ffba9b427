//! The peers rule as an Extism plugin: `score` takes one batch of objects and their signals as
//! raw little-endian columns and returns the batch's [`Outcome`].
//!
//! Input: `n: u32`, `ns: u32`, then the columns `last_inspection: [i64; n]`,
//! `observed_at: [i64; ns]`, `severity: [f32; ns]`, `object: [u32; ns]` (counted from the
//! batch's first object) and `source: [u8; ns]`. Output: the five counts (`u64`) and the
//! checksum (`i64`), little-endian.

use extism_pdk::*;
use peers_rule::{Columns, Outcome};

#[plugin_fn]
pub fn score(input: Vec<u8>) -> FnResult<Vec<u8>> {
    let mut at = 0;
    let mut take = |len: usize| {
        let bytes = &input[at..at + len];
        at += len;
        bytes
    };
    let n = u32::from_le_bytes(take(4).try_into()?) as usize;
    let ns = u32::from_le_bytes(take(4).try_into()?) as usize;
    let last: Vec<i64> = take(8 * n)
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let observed: Vec<i64> = take(8 * ns)
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let severity: Vec<f32> = take(4 * ns)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let object: Vec<u32> = take(4 * ns)
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let source = take(ns);
    let outcome: Outcome = peers_rule::native(Columns {
        last_inspection: &last,
        sig_object: &object,
        sig_source: source,
        sig_severity: &severity,
        sig_observed: &observed,
    });
    let mut out = Vec::with_capacity(48);
    for count in outcome.counts {
        out.extend_from_slice(&count.to_le_bytes());
    }
    out.extend_from_slice(&outcome.checksum.to_le_bytes());
    Ok(out)
}
