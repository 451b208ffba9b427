//! The region store: everything a region keeps, in SQLite (the embedded default: one file,
//! nothing to install) or PostgreSQL (several hosts sharing one region), with one schema.
//!
//! - [`data`]: the region's records as a [`RegionData`](zemstvo_host::capabilities::data::RegionData)
//!   backend — queries that read batches straight into columns, filters pushed into SQL.
//! - [`load`]: bulk loading of region records (the demo generator, imports).
//! - [`plugins`]: packages, installations, grants and configuration.
//! - [`runs`]: the run queue, and committing a run with everything it emitted in one
//!   transaction.
//! - [`tasks`], [`notifications`], [`smev`]: what runs emit, with their lifecycles.
//! - [`audit`]: who did what, when.
//!
//! Both dialects are reached through sqlx's `Any` driver with portable SQL (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`); where they differ (claiming work with `FOR UPDATE SKIP
//! LOCKED`, `LISTEN/NOTIFY`) the code says so.

// Rows are decoded as tuples in the order of their SELECT lists, next to the query.
#![allow(clippy::type_complexity)]

pub mod accounts;
pub mod audit;
mod commit;
pub mod data;
pub mod eligibility;
pub mod load;
pub mod notifications;
pub mod parameters;
pub mod plugins;
pub mod runs;
pub mod smev;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;

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
    #[error("{0}")]
    Conflict(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(db) => {
                let message = db.message();
                if message.contains("database is locked") || message.contains("database is busy") {
                    StoreError::Busy(message.to_string())
                } else {
                    StoreError::Database(message.to_string())
                }
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
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
}

impl Store {
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
        Ok(Store {
            pool,
            dialect,
            url: redact(url),
            connect_url: connect_url.clone(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Leases up to `limit` due messages of an outbox table (`notifications`, `smev_outbox`)
    /// to `host` for `lease`: queued ones, and ones whose lease ran out (their host died).
    /// Several hosts may call this at once; each message goes to one of them. Returns the
    /// `returning` columns of the claimed rows, soonest due first.
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
        let sql = format!(
            "UPDATE {table} SET status = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM {table} WHERE next_attempt_at <= $3 AND \
                 (status = 'queued' OR (status = 'sending' AND claimed_until < $3)) ORDER BY next_attempt_at, id LIMIT $4{lock}) \
             RETURNING {returning}"
        );
        let rows = sqlx::query_as(&sql)
            .bind(host.to_string())
            .bind(at + lease.as_secs().max(1) as i64)
            .bind(at)
            .bind(limit as i64)
            .fetch_all(self.pool())
            .await?;
        Ok(rows)
    }

    /// The database URL without a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
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

/// Seconds since the epoch, now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
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

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://u:s3cret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
