//! Decision records: what every run and every eligibility call decided, on which version,
//! from which inputs — kept in one hash chain per region with checkpoints the hosts sign.
//!
//! Invariants: records are only appended, in the transaction that commits the run they
//! describe (a run that did not commit has no record); record `n`'s hash is
//! `sha256("zemstvo-record/1" \n n \n hash(n-1) \n body)`, so changing a byte, removing a record
//! or moving one breaks the chain exactly there; the single-row head (`decision_chain`) is
//! updated by every append, which serialises appends of several hosts on one database;
//! a checkpoint is a host's ed25519 signature over a record's number and hash, so neither a
//! chain rewritten from some record on nor a tail cut off past a checkpoint verifies.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, now};

mod verify;

pub use verify::{BreakKind, ChainBreak, ChainReport};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Records read per query while verifying: memory stays bounded however long the chain.
const VERIFY_PAGE: i64 = 1_000;

/// The hash of record `seq` whose predecessor's hash is `prev` and whose body is `body`.
pub fn record_hash(seq: i64, prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"zemstvo-record/1\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// What a checkpoint's signature covers.
fn checkpoint_message(seq: i64, hash: &str) -> Vec<u8> {
    format!("zemstvo-checkpoint/1\n{seq}\n{hash}").into_bytes()
}

/// A host's checkpoint key. Kept in a file the host alone reads (`[audit] key_file`), or made
/// afresh at every start when none is configured: then no one, the host included, can sign
/// for it once the host has stopped.
pub struct CheckpointSigner {
    key: SigningKey,
    key_id: String,
    host: String,
    /// Sign a checkpoint every this many records.
    every: u64,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("key_id", &self.key_id)
            .field("host", &self.host)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// The id of a checkpoint key: the first 16 hex digits of its public key's sha256.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(public.as_bytes()))[..16].to_string()
}

impl CheckpointSigner {
    /// A signer with a fresh key that lives only as long as this process.
    pub fn ephemeral(host: &str, every: u64) -> Result<Self, StoreError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| {
            StoreError::Invalid(format!("cannot make a checkpoint key (no randomness): {e}"))
        })?;
        Ok(Self::from_secret(secret, host, every))
    }

    /// The key kept in `path` (64 hex digits), made there (readable by the owner only) when
    /// the file does not exist yet.
    pub fn from_file(path: &Path, host: &str, every: u64) -> Result<Self, StoreError> {
        let invalid =
            |why: String| StoreError::Invalid(format!("checkpoint key {}: {why}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let secret: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| {
                        invalid("not 64 hex digits; remove it to make a new key".into())
                    })?;
                Ok(Self::from_secret(secret, host, every))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let signer = Self::ephemeral(host, every)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(path)
                    .map_err(|e| invalid(format!("cannot create it: {e}")))?;
                writeln!(file, "{}", hex::encode(signer.key.to_bytes()))
                    .map_err(|e| invalid(format!("cannot write it: {e}")))?;
                Ok(signer)
            }
            Err(e) => Err(invalid(format!("cannot read it: {e}"))),
        }
    }

    fn from_secret(secret: [u8; 32], host: &str, every: u64) -> Self {
        let key = SigningKey::from_bytes(&secret);
        CheckpointSigner {
            key_id: key_id(&key.verifying_key()),
            key,
            host: host.to_string(),
            every: every.max(1),
        }
    }

    /// The key's id, as checkpoints and `zemstvo audit verify` name it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// One decision record as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    pub seq: i64,
    pub run_id: String,
    pub plugin: String,
    pub version: String,
    pub logical_time: i64,
    pub prev_hash: String,
    pub hash: String,
    pub body: serde_json::Value,
    pub recorded_at: i64,
}

/// A record's body as stored (canonical JSON text), with the columns a reader pages by.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub seq: i64,
    pub run_id: String,
    pub version: String,
    pub logical_time: i64,
    pub body: String,
}

/// Appends a record inside `tx` (the run's own transaction) and signs a checkpoint when one
/// is due; returns the record's number.
pub(crate) async fn append(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    signer: Option<&CheckpointSigner>,
    head: RecordHead<'_>,
    body: String,
) -> Result<i64, StoreError> {
    // Taking the head's row lock first makes every other host's append wait for this
    // transaction, so numbers and links never fork.
    let (seq, prev): (i64, String) =
        sqlx::query_as("UPDATE decision_chain SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **tx)
            .await?;
    let hash = record_hash(seq, &prev, &body);
    let at = now();
    sqlx::query(
        "INSERT INTO decision_records (seq, run_id, plugin, version, logical_time, prev_hash, hash, body, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(head.run_id.to_string())
    .bind(head.plugin.to_string())
    .bind(head.version.to_string())
    .bind(head.logical_time)
    .bind(prev)
    .bind(hash.clone())
    .bind(body)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE decision_chain SET hash = $1 WHERE id = 1")
        .bind(hash.clone())
        .execute(&mut **tx)
        .await?;
    if let Some(signer) = signer
        && (seq as u64).is_multiple_of(signer.every)
    {
        insert_checkpoint(tx, signer, seq, &hash, at).await?;
    }
    Ok(seq)
}

/// The columns of a record besides its body.
pub(crate) struct RecordHead<'a> {
    pub run_id: &'a str,
    pub plugin: &'a str,
    pub version: &'a str,
    pub logical_time: i64,
}

async fn insert_checkpoint(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    signer: &CheckpointSigner,
    seq: i64,
    hash: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO decision_keys (key_id, public_key, host, registered_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key_id) DO NOTHING",
    )
    .bind(signer.key_id.clone())
    .bind(hex::encode(signer.key.verifying_key().as_bytes()))
    .bind(signer.host.clone())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    let signature = signer.key.sign(&checkpoint_message(seq, hash));
    sqlx::query(
        "INSERT INTO decision_checkpoints (seq, hash, key_id, signature, host, signed_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (seq) DO NOTHING",
    )
    .bind(seq)
    .bind(hash.to_string())
    .bind(signer.key_id.clone())
    .bind(hex::encode(signature.to_bytes()))
    .bind(signer.host.clone())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Has `signer` sign checkpoints of the decision records this store appends. Its public
    /// key is registered with its first checkpoint.
    pub fn sign_checkpoints(&mut self, signer: CheckpointSigner) {
        self.checkpoints = Some(Arc::new(signer));
    }

    pub(crate) fn checkpoint_signer(&self) -> Option<&CheckpointSigner> {
        self.checkpoints.as_deref()
    }

    /// Signs a checkpoint of the chain's head now (at shutdown, so the tail a host wrote is
    /// covered); returns its number, or `None` without a signer or records.
    pub async fn checkpoint_now(&self) -> Result<Option<i64>, StoreError> {
        let Some(signer) = self.checkpoint_signer() else {
            return Ok(None);
        };
        let mut tx = self.begin_write().await?;
        let (seq, hash): (i64, String) =
            sqlx::query_as("UPDATE decision_chain SET seq = seq WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *tx)
                .await?;
        if seq == 0 {
            return Ok(None);
        }
        insert_checkpoint(&mut tx, signer, seq, &hash, now()).await?;
        tx.commit().await?;
        Ok(Some(seq))
    }

    /// The latest `limit` decision records, newest first, optionally of one plugin.
    pub async fn decision_records(
        &self,
        plugin: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT seq, run_id, plugin, version, logical_time, prev_hash, hash, body, recorded_at FROM decision_records \
             WHERE ($1 = '' OR plugin = $1) ORDER BY seq DESC LIMIT $2",
        )
        .bind(plugin.unwrap_or_default().to_string())
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(into_record).collect()
    }

    /// How many of `plugin`'s records come after record `after`: how far a shadow is behind.
    pub async fn decision_records_after(
        &self,
        plugin: &str,
        after: i64,
    ) -> Result<u64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM decision_records WHERE plugin = $1 AND seq > $2")
                .bind(plugin.to_string())
                .bind(after)
                .fetch_one(self.pool())
                .await?;
        Ok(n as u64)
    }

    /// One page of `plugin`'s records whose logical time lies in `[from, until)`, after record
    /// `after` in chain order, with their bodies as stored: what a replay reads, a page at a
    /// time, so its memory does not grow with the number of decisions.
    pub async fn decision_record_page(
        &self,
        plugin: &str,
        (from, until): (i64, i64),
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT seq, run_id, version, logical_time, body FROM decision_records \
             WHERE plugin = $1 AND logical_time >= $2 AND logical_time < $3 AND seq > $4 \
             ORDER BY seq LIMIT $5",
        )
        .bind(plugin.to_string())
        .bind(from)
        .bind(until)
        .bind(after)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, run_id, version, logical_time, body)| StoredRecord {
                seq,
                run_id,
                version,
                logical_time,
                body,
            })
            .collect())
    }

    /// `plugin`'s newest record whose logical time lies in `[from, until)`, or the record of
    /// run `run` (when it is `plugin`'s): the run a replay of a batch plugin stands on.
    pub async fn latest_decision_record(
        &self,
        plugin: &str,
        (from, until): (i64, i64),
        run: Option<&str>,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let row: Option<(i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT seq, run_id, version, logical_time, body FROM decision_records \
             WHERE plugin = $1 AND logical_time >= $2 AND logical_time < $3 \
             AND ($4 = '' OR run_id = $4) ORDER BY seq DESC LIMIT 1",
        )
        .bind(plugin.to_string())
        .bind(from)
        .bind(until)
        .bind(run.unwrap_or_default().to_string())
        .fetch_optional(self.pool())
        .await?;
        Ok(
            row.map(|(seq, run_id, version, logical_time, body)| StoredRecord {
                seq,
                run_id,
                version,
                logical_time,
                body,
            }),
        )
    }

    /// The record of run `run_id`, if it committed.
    pub async fn decision_record(
        &self,
        run_id: &str,
    ) -> Result<Option<DecisionRecord>, StoreError> {
        let row: Option<RecordRow> = sqlx::query_as(
            "SELECT seq, run_id, plugin, version, logical_time, prev_hash, hash, body, recorded_at FROM decision_records \
             WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(run_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(into_record).transpose()
    }
}

type RecordRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    i64,
);

fn into_record(row: RecordRow) -> Result<DecisionRecord, StoreError> {
    let (seq, run_id, plugin, version, logical_time, prev_hash, hash, body, recorded_at) = row;
    Ok(DecisionRecord {
        seq,
        run_id,
        plugin,
        version,
        logical_time,
        prev_hash,
        hash,
        body: serde_json::from_str(&body)?,
        recorded_at,
    })
}

#[cfg(feature = "testing")]
impl Store {
    /// This store committing runs without decision records: what `cargo bench --bench
    /// decisions` compares the records' cost against. Testing only: a region's store always
    /// records.
    pub fn without_decision_records(mut self) -> Self {
        self.records_off = true;
        self
    }
}

impl Store {
    /// Whether commits skip the decision record (only [`Store::without_decision_records`]).
    pub(crate) fn records_off(&self) -> bool {
        self.records_off
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// The connection pool, for tests that play an attacker with write access to the
    /// database (tests only).
    pub fn pool_for_tests(&self) -> &sqlx::AnyPool {
        self.pool()
    }

    /// Runs one statement as that attacker would; returns the rows it changed (tests only).
    pub async fn execute_for_tests(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(sql).execute(self.pool()).await?.rows_affected())
    }

    /// Runs one query whose rows are one integer each and returns them (tests only).
    pub async fn query_i64s_for_tests(&self, sql: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(sql).fetch_all(self.pool()).await?)
    }
}
