//! Verifying the chain: every record's hash and link, the numbering, every checkpoint's
//! signature, and that nothing a checkpoint or the head vouches for is gone. Reads a page at
//! a time and stops at the first break, which it names.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use serde::Serialize;

use super::{GENESIS, VERIFY_PAGE, checkpoint_message, key_id, record_hash};
use crate::{Store, StoreError};

/// How a chain fails to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakKind {
    /// The record's content does not hash to its stored hash.
    Altered,
    /// The record does not link to the record before it.
    Unlinked,
    /// The record is missing: the numbers jump over it.
    Missing,
    /// Records a checkpoint or the chain's head vouch for are gone.
    Truncated,
    /// A checkpoint's signature or hash does not match.
    BadCheckpoint,
}

impl BreakKind {
    /// The kind as the CLI and the API name it.
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::Altered => "altered",
            BreakKind::Unlinked => "unlinked",
            BreakKind::Missing => "missing",
            BreakKind::Truncated => "truncated",
            BreakKind::BadCheckpoint => "bad-checkpoint",
        }
    }
}

/// The first place a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The first record that does not verify.
    pub seq: i64,
    /// Its run, when the record is there.
    pub run_id: Option<String>,
    pub kind: BreakKind,
    /// What is wrong and what it means, for the auditor.
    pub message: String,
}

/// What `zemstvo audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Records checked before the first break (all of them when intact).
    pub records: i64,
    /// Bytes of record bodies checked.
    pub body_bytes: u64,
    pub checkpoints: u64,
    /// The last checkpoint that verified.
    pub last_checkpoint: Option<i64>,
    /// The keys whose checkpoints verified, with the hosts that registered them.
    pub keys: BTreeMap<String, String>,
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.broken.is_none()
    }
}

impl Store {
    /// Verifies the whole chain from the first record: every record's hash and link, the
    /// numbering, every checkpoint's signature (by a registered key, or only by `trusted`
    /// keys when given) and that nothing a checkpoint or the head vouches for is gone.
    /// Stops at the first break and names it. Reads a page at a time.
    pub async fn verify_decision_chain(
        &self,
        trusted: Option<&[String]>,
    ) -> Result<ChainReport, StoreError> {
        let keys: Vec<(String, String, String)> =
            sqlx::query_as("SELECT key_id, public_key, host FROM decision_keys")
                .fetch_all(self.pool())
                .await?;
        // Key id → (public key, the host that registered it).
        let mut public = BTreeMap::new();
        for (id, key, host) in keys {
            let parsed = hex::decode(&key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|b| VerifyingKey::from_bytes(&b).ok());
            // A key whose id is not its own hash is treated as unknown.
            if let Some(k) = parsed.filter(|k| key_id(k) == id) {
                public.insert(id, (k, host));
            }
        }
        let checkpoints: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, hash, key_id, signature FROM decision_checkpoints ORDER BY seq",
        )
        .fetch_all(self.pool())
        .await?;
        let checkpoints: BTreeMap<i64, (String, String, String)> = checkpoints
            .into_iter()
            .map(|(seq, hash, key, sig)| (seq, (hash, key, sig)))
            .collect();
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM decision_chain WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        let mut report = ChainReport {
            records: 0,
            body_bytes: 0,
            checkpoints: 0,
            last_checkpoint: None,
            keys: BTreeMap::new(),
            broken: None,
        };
        let mut prev = GENESIS.to_string();
        let mut expected = 1i64;
        let broken = |seq, run_id: Option<&str>, kind, message: String| ChainBreak {
            seq,
            run_id: run_id.map(str::to_string),
            kind,
            message,
        };
        'pages: loop {
            let page: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                "SELECT seq, run_id, prev_hash, hash, body FROM decision_records WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected)
            .bind(VERIFY_PAGE)
            .fetch_all(self.pool())
            .await?;
            if page.is_empty() {
                break;
            }
            for (seq, run_id, link, hash, body) in page {
                if seq != expected {
                    report.broken = Some(broken(
                        expected,
                        None,
                        BreakKind::Missing,
                        format!(
                            "record #{expected} is missing: the chain goes from #{} to #{seq}; records were removed",
                            expected - 1
                        ),
                    ));
                    break 'pages;
                }
                if link != prev {
                    report.broken = Some(broken(
                        seq,
                        Some(&run_id),
                        BreakKind::Unlinked,
                        format!(
                            "record #{seq} (run {run_id}) does not link to record #{}: a record was removed, moved or replaced here",
                            seq - 1
                        ),
                    ));
                    break 'pages;
                }
                if record_hash(seq, &link, &body) != hash {
                    report.broken = Some(broken(
                        seq,
                        Some(&run_id),
                        BreakKind::Altered,
                        format!(
                            "record #{seq} (run {run_id}) was altered: its content does not match its hash"
                        ),
                    ));
                    break 'pages;
                }
                if let Some((signed_hash, key, signature)) = checkpoints.get(&seq) {
                    let why =
                        check_checkpoint(seq, &hash, signed_hash, key, signature, &public, trusted);
                    if let Some(why) = why {
                        report.broken =
                            Some(broken(seq, Some(&run_id), BreakKind::BadCheckpoint, why));
                        break 'pages;
                    }
                    report.checkpoints += 1;
                    report.last_checkpoint = Some(seq);
                    report.keys.insert(key.clone(), public[key].1.clone());
                }
                report.records += 1;
                report.body_bytes += body.len() as u64;
                prev = hash;
                expected += 1;
            }
        }
        if report.broken.is_none() {
            let last = expected - 1;
            if let Some((&seq, _)) = checkpoints.range(last + 1..).next() {
                report.broken = Some(broken(
                    last + 1,
                    None,
                    BreakKind::Truncated,
                    format!(
                        "the chain ends at record #{last}, but a signed checkpoint vouches for #{seq}: records #{}–#{seq} were removed",
                        last + 1
                    ),
                ));
            } else if head_seq != last || head_hash != prev {
                report.broken = Some(broken(
                    last + 1,
                    None,
                    BreakKind::Truncated,
                    format!(
                        "the chain ends at record #{last}, but its head says #{head_seq}: the last records were removed or the head was changed"
                    ),
                ));
            }
        }
        Ok(report)
    }
}

/// Why the checkpoint at `seq` does not verify, if it does not.
fn check_checkpoint(
    seq: i64,
    hash: &str,
    signed_hash: &str,
    key: &str,
    signature: &str,
    public: &BTreeMap<String, (VerifyingKey, String)>,
    trusted: Option<&[String]>,
) -> Option<String> {
    if trusted.is_some_and(|t| !t.iter().any(|k| k == key)) {
        return Some(format!(
            "the checkpoint at record #{seq} is signed by key {key}, which is not among the trusted keys"
        ));
    }
    let Some((public, _)) = public.get(key) else {
        return Some(format!(
            "the checkpoint at record #{seq} is signed by key {key}, which no host registered"
        ));
    };
    let signature = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    let valid = signature.is_some_and(|s| {
        public
            .verify(&checkpoint_message(seq, signed_hash), &s)
            .is_ok()
    });
    if !valid {
        return Some(format!(
            "the checkpoint at record #{seq} has a signature that does not verify with key {key}"
        ));
    }
    if signed_hash != hash {
        return Some(format!(
            "record #{seq} is not the record key {key} signed: the records up to #{seq} were rewritten after the checkpoint"
        ));
    }
    None
}
