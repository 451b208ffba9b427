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

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError, now};

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
}
