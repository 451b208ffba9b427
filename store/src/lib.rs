//! The region store: everything a region keeps, in SQLite (the embedded default: one file,
//! nothing to install) or PostgreSQL (several hosts sharing one region), with one schema.
//!
//! - [`data`]: the region's records as a [`RegionData`](zemstvo_core::capabilities::data::RegionData)
//!   backend — queries that read batches straight into columns, filters pushed into SQL.
//! - [`load`]: bulk loading of region records (the demo generator, imports).
//! - [`plugins`]: packages, installations, grants and configuration.
//! - [`runs`]: the run queue, and committing a run with everything it emitted in one
//!   transaction.
//! - [`tasks`], [`notifications`], [`smev`]: what runs emit, with their lifecycles.
//! - [`appeals`]: citizens' appeals and incidents, from intake to the applicant's verdict.
//! - [`audit`]: who did what, when.
//! - [`analytics`], [`workload`]: the dashboard's figures and the staff's load against the norm.
//!
//! Both dialects are reached through sqlx's `Any` driver with portable SQL (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`); where they differ (claiming work with `FOR UPDATE SKIP
//! LOCKED`, `LISTEN/NOTIFY`, the parameters of long generated lists: [`Dialect::mark`]) the
//! code says so.

// Rows are decoded as tuples in the order of their SELECT lists, next to the query.
#![allow(clippy::type_complexity)]

pub mod accounts;
pub mod analytics;
pub mod appeals;
pub mod audit;
mod commit;
pub mod counters;
pub mod data;
pub mod eligibility;
pub mod load;
pub mod notifications;
pub mod parameters;
pub mod plugins;
pub mod records;
pub mod rollouts;
pub mod runs;
pub mod shadows;
pub mod smev;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workload;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which database a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// What a claiming subquery adds so that concurrent hosts pass over each other's rows:
    /// PostgreSQL locks and skips; SQLite has a single writer and needs nothing.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }

    /// The `n`th bound parameter (from 1). PostgreSQL numbers parameters `$n`; SQLite reads
    /// `$n` as a *named* parameter and looks each name up among the statement's earlier ones,
    /// so preparing an `IN` list of 5,000 ids costs ~90 ms there against ~5 ms for its own
    /// numbered form `?n` (measured on the demo region; `cargo bench --bench region_checks`).
    /// Generated lists and rows use this; hand-written statements with a few `$n` need not.
    pub fn mark(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => format!("?{n}"),
        }
    }

    /// `n` parameters from the `first`th on, separated by commas: an `IN` list.
    pub fn marks(self, first: usize, n: usize) -> String {
        (first..first + n)
            .map(|i| self.mark(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why the store could not do what was asked. Messages say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL `{0}`: use sqlite://PATH (created if missing) or \
         postgres://USER@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("cannot open the database {url}: {source}; check that it exists and is reachable")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database is busy (locked by another writer); the operation can be retried: {0}")]
    Busy(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The SQLite file this host opened was deleted or replaced under it: whatever it
    /// committed since went into a file nobody will read again.
    #[error(
        "the database file {path} was {what} while this host was running; this host stops so that \
         nothing more is lost — restore the region's database (from a backup if it was deleted) \
         and start the host again"
    )]
    Lost { path: String, what: &'static str },
    /// The database answers but holds no zemstvo schema (dropped and created again empty).
    #[error(
        "the database no longer holds the region's tables ({0}): it was dropped or replaced while \
         this host was running; this host stops — restore the region's database, or create a \
         region in it with `zemstvo region-init`, then start the host again"
    )]
    SchemaMissing(String),
    /// A unique key was already taken — typically another host did the same work first;
    /// callers handle it for the one item and go on.
    #[error("{0}")]
    Conflict(String),
    /// The editor named a revision (`If-Match`) that is no longer the current one; nothing
    /// was changed.
    #[error("{0}")]
    Stale(String),
}

impl StoreError {
    /// Whether a host must stop rather than try again: its database is gone or replaced.
    pub fn is_fatal(&self) -> bool {
        matches!(self, StoreError::Lost { .. } | StoreError::SchemaMissing(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // A connection that cannot be made or broke off (a garbled handshake included):
            // the database is unreachable for now, and the operation can be retried.
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) => {
                let message = db.message();
                if is_unique_violation(db.code().as_deref(), db.is_unique_violation()) {
                    // Another host (or an earlier attempt) wrote the same key first: the
                    // caller handles it for that one item.
                    metrics::counter!(counters::DUPLICATES_AVOIDED, "kind" => "unique-key")
                        .increment(1);
                    StoreError::Conflict(format!(
                        "another host wrote the same record first ({}{message})",
                        db.constraint()
                            .map(|c| format!("{c}: "))
                            .unwrap_or_default()
                    ))
                } else if db.code().as_deref() == Some("42P01")
                    || message.starts_with("no such table")
                {
                    // The tables are gone: the database was dropped and created again empty
                    // (or another one put in its place).
                    StoreError::SchemaMissing(message.to_string())
                } else if message.contains("database is locked")
                    || message.contains("database is busy")
                {
                    StoreError::Busy(message.to_string())
                } else {
                    StoreError::Database(message.to_string())
                }
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// Whether a database error is a unique-key (or primary-key) violation: SQLSTATE 23505 on
/// PostgreSQL, SQLITE_CONSTRAINT_UNIQUE (2067) or SQLITE_CONSTRAINT_PRIMARYKEY (1555) on
/// SQLite; `kind_says` is the driver's own classification.
fn is_unique_violation(code: Option<&str>, kind_says: bool) -> bool {
    kind_says || matches!(code, Some("23505" | "2067" | "1555"))
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Database(format!("stored JSON is unreadable: {e}"))
    }
}

/// A connection pool to the region's database, with its schema up to date.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// For messages: without a password.
    url: String,
    /// For LISTEN on PostgreSQL, which needs its own connection.
    connect_url: String,
    /// The SQLite file and its identity (device, inode) when opened, to notice it being
    /// deleted or replaced under a running host.
    file: Option<(PathBuf, Option<(u64, u64)>)>,
    /// Signs checkpoints of the decision records (a host's key; see `records`).
    checkpoints: Option<std::sync::Arc<records::CheckpointSigner>>,
    /// Set only by [`Store::without_decision_records`], for the benchmark that prices them.
    records_off: bool,
    /// The active appeal catalogue as last read: a version never changes content once loaded,
    /// so a read that finds the same version active parses nothing (the public Open311
    /// endpoints read it on every request, outlines and all).
    catalogue:
        std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<zemstvo_core::appeals::Catalogue>>>>,
}

impl Store {
    /// Opens a database that must already exist (a region's host never creates one): a
    /// missing SQLite file is an error naming it rather than a new empty region.
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        if let Some(path) = sqlite_path(url)
            && !path.exists()
        {
            return Err(StoreError::NotFound(format!(
                "the database file {} does not exist; create the region with `zemstvo region-init` \
                 (or `zemstvo demo`), restore it from a backup, or check --database",
                path.display()
            )));
        }
        Store::open(url).await
    }

    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let connect_url = match dialect {
            Dialect::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options: AnyConnectOptions =
            connect_url.parse().map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
        let mut pool = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(match dialect {
                Dialect::Sqlite => 4,
                Dialect::Postgres => 8,
            });
        if dialect == Dialect::Sqlite {
            // WAL lets readers (plugin cursors) go on while a run commits; the busy timeout
            // turns brief lock contention into a wait instead of an error.
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
        match dialect {
            Dialect::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Dialect::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        // The file exists now; a connection opened later must not create it again (after the
        // file was deleted under a running host, that would be a new empty region).
        if dialect == Dialect::Sqlite && connect_url.ends_with("mode=rwc") {
            let existing = format!("{}mode=rw", connect_url.trim_end_matches("mode=rwc"));
            if let Ok(options) = existing.parse::<AnyConnectOptions>() {
                pool.set_connect_options(options);
            }
        }
        let file = sqlite_path(url).map(|path| {
            let identity = file_identity(&path);
            (path, identity)
        });
        Ok(Store {
            pool,
            dialect,
            url: redact(url),
            connect_url: connect_url.clone(),
            file,
            checkpoints: None,
            records_off: false,
            catalogue: Default::default(),
        })
    }

    /// Checks that this is still the database the host opened: on SQLite the same file
    /// (neither deleted nor replaced: same device and inode), and on both the region's tables
    /// still there. An error here is fatal ([`StoreError::is_fatal`]) when the database is gone
    /// or replaced, and the host must stop; a database that does not answer is `Unavailable`.
    pub async fn check_health(&self) -> Result<(), StoreError> {
        if let Some((path, Some(identity))) = &self.file {
            let lost = |what| StoreError::Lost {
                path: path.display().to_string(),
                what,
            };
            match file_identity(path) {
                None => return Err(lost("deleted")),
                Some(now) if now != *identity => return Err(lost("replaced by another file")),
                Some(_) => {}
            }
        }
        sqlx::query("SELECT COUNT(*) FROM regions")
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Leases up to `limit` due items of an outbox table (`notifications`, `smev_outbox`) to
    /// `host` for `lease`: queued ones, and ones whose lease ran out (their host died or
    /// stalled). Several hosts may call this at once; each item goes to one of them. Returns
    /// the `returning` columns of the claimed rows, soonest due first.
    ///
    /// A claimed item is `claimed`; its host renews the lease while it works
    /// ([`Store::renew_outbox`]) and marks it `sending` just before the send
    /// ([`Store::mark_outbox_sending`]). An item taken over after its lease ran out keeps in
    /// `takeover` the state it was in: `claimed` (it was never sent) or `sending` (the
    /// previous host may have sent it; it goes out again with the same idempotency id).
    pub(crate) async fn claim_outbox<R>(
        &self,
        table: &str,
        returning: &str,
        host: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let at = now();
        let lock = self.dialect().skip_locked();
        // The SET expressions see the row as it was: `takeover` records the expired state.
        let sql = format!(
            "UPDATE {table} SET status = 'claimed', claimed_by = $1, claimed_until = $2, attempts = attempts + 1, \
                 takeover = CASE WHEN status IN ('claimed', 'sending') THEN status ELSE NULL END, sending_at = NULL \
             WHERE id IN (SELECT id FROM {table} WHERE next_attempt_at <= $3 AND \
                 (status = 'queued' OR (status IN ('claimed', 'sending') AND claimed_until < $3)) ORDER BY next_attempt_at, id LIMIT $4{lock}) \
             RETURNING {returning}"
        );
        let rows: Vec<R> = sqlx::query_as(&sql)
            .bind(host.to_string())
            .bind(lease_end(at, lease))
            .bind(at)
            .bind(limit as i64)
            .fetch_all(self.pool())
            .await?;
        if !rows.is_empty() {
            metrics::counter!(counters::CLAIMS, "kind" => outbox_kind(table))
                .increment(rows.len() as u64);
        }
        Ok(rows)
    }

    /// Extends `host`'s lease on the outbox items `ids` it still holds (claimed or sending) to
    /// `lease` from now; returns how many it still holds. A host renews while it works through
    /// a batch, so a claim never expires under a host that is working on it.
    pub(crate) async fn renew_outbox(
        &self,
        table: &str,
        host: &str,
        ids: &[i64],
        lease: Duration,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let renewed = sqlx::query(&format!(
            "UPDATE {table} SET claimed_until = $1 \
             WHERE claimed_by = $2 AND status IN ('claimed', 'sending') AND id IN ({list})"
        ))
        .bind(lease_end(now(), lease))
        .bind(host.to_string())
        .execute(self.pool())
        .await?
        .rows_affected();
        metrics::counter!(counters::LEASE_RENEWALS, "kind" => outbox_kind(table)).increment(1);
        Ok(renewed)
    }

    /// Marks a claimed item `sending`, just before its send, if `host` still holds it; `false`
    /// when another host took it over meanwhile (then it must not be sent here). A crash after
    /// this mark leaves the item in doubt: the host that takes it over sends it again with the
    /// same idempotency id, so a crash duplicates at most the one item in flight.
    pub(crate) async fn mark_outbox_sending(
        &self,
        table: &str,
        id: i64,
        host: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let at = now();
        let marked = sqlx::query(&format!(
            "UPDATE {table} SET status = 'sending', sending_at = $1, claimed_until = $2 \
             WHERE id = $3 AND claimed_by = $4 AND status = 'claimed'"
        ))
        .bind(at)
        .bind(lease_end(at, lease))
        .bind(id)
        .bind(host.to_string())
        .execute(self.pool())
        .await?
        .rows_affected();
        if marked == 0 {
            metrics::counter!(counters::DUPLICATES_AVOIDED, "kind" => outbox_kind(table))
                .increment(1);
        }
        Ok(marked == 1)
    }

    /// Puts back every item of an outbox table that `host` has claimed but not started
    /// sending, at once (an orderly shutdown), so another host takes them without waiting for
    /// the lease; returns how many.
    pub(crate) async fn release_outbox(&self, table: &str, host: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(&format!(
            "UPDATE {table} SET status = 'queued', claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = $1 AND status = 'claimed'"
        ))
        .bind(host.to_string())
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// The database URL without a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a busy database is waited for (the busy timeout) rather than
    /// refused: a transaction that read first and then wrote would have to upgrade its lock,
    /// which SQLite refuses outright while another writer holds it.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    /// On PostgreSQL, a listener for the changes other hosts make to plugins (enable, disable,
    /// grants, configuration); `None` on SQLite, where one host owns the file.
    pub async fn listen_changes(&self) -> Result<Option<sqlx::postgres::PgListener>, StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.connect_url).await?;
        listener.listen(plugins::CHANGES_CHANNEL).await?;
        Ok(Some(listener))
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file of a `sqlite:` URL (`None` for other databases and in-memory ones).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// A file's (device, inode), or `None` if it does not exist (or on systems without inodes,
/// where a deleted file is still noticed).
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some((0, 0))
    }
}

/// When a lease taken at `at` runs out (whole seconds, at least one).
pub(crate) fn lease_end(at: i64, lease: Duration) -> i64 {
    at + lease.as_secs().max(1) as i64
}

/// The kind label of an outbox table's counters.
fn outbox_kind(table: &str) -> &'static str {
    match table {
        "notifications" => "notification",
        "smev_outbox" => "smev",
        _ => "other",
    }
}

/// Seconds since the epoch, now.
pub(crate) fn now() -> i64 {
    zemstvo_core::clock::wall_now()
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Binds an optional DOUBLE PRECISION value. sqlx 0.8.6's Any driver swaps the types of REAL
/// and DOUBLE nulls on their way to PostgreSQL (`None::<f64>` goes out as a float4 null), and a
/// statement PostgreSQL prepared around a float4 parameter then refuses the 8-byte doubles of
/// later executions ("incorrect binary data format"). `None::<f32>` goes out as a float8 null.
pub(crate) fn bind_double<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    value: Option<f64>,
) -> Query<'q, Any, AnyArguments<'q>> {
    match value {
        Some(v) => query.bind(v),
        None => query.bind(None::<f32>),
    }
}

/// [`bind_double`] for a query that decodes rows.
pub(crate) fn bind_double_as<'q, O>(
    query: sqlx::query::QueryAs<'q, Any, O, AnyArguments<'q>>,
    value: Option<f64>,
) -> sqlx::query::QueryAs<'q, Any, O, AnyArguments<'q>> {
    match value {
        Some(v) => query.bind(v),
        None => query.bind(None::<f32>),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_urls_name_their_file() {
        use std::path::PathBuf;
        assert_eq!(
            super::sqlite_path("sqlite:///tmp/r.db?mode=rwc"),
            Some(PathBuf::from("/tmp/r.db"))
        );
        assert_eq!(
            super::sqlite_path("sqlite://region.db"),
            Some(PathBuf::from("region.db"))
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://h/db"), None);
    }

    #[test]
    fn unique_violations_are_recognised_by_code() {
        assert!(super::is_unique_violation(Some("23505"), false));
        assert!(super::is_unique_violation(Some("2067"), false));
        assert!(super::is_unique_violation(Some("1555"), false));
        assert!(super::is_unique_violation(None, true));
        assert!(!super::is_unique_violation(Some("23503"), false));
        assert!(!super::is_unique_violation(Some("787"), false));
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://u:s3cret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
