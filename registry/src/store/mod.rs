//! The registry's database: vendors and keys ([`vendors`]), packages, versions and their bytes
//! ([`packages`]), behind one [`Store`] that speaks SQLite and PostgreSQL with the same code.
//!
//! The code uses sqlx's `Any` driver with runtime queries (no compile-time macros), `$N`
//! placeholders (which both databases accept), and only TEXT, BIGINT and byte columns. The
//! schema lives in `registry/migrations/{sqlite,postgres}/`, embedded at build time and
//! applied at start by sqlx's migrator (tracked in `_sqlx_migrations`).
//!
//! **Invariant:** a version's row and its bytes are written once, in one transaction, and
//! never updated; only the `yanked` flag changes. Immutability is enforced by the primary
//! key, so two concurrent publishes of one version cannot both succeed on either database.

pub mod packages;
pub mod vendors;

use std::borrow::Cow;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};

use crate::keys::KeyId;
use crate::name::{PackageName, VendorId};

pub use packages::NewVersion;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The registry's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// What went wrong in the database, or which rule a change broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error(
        "`{0}` is not a database URL zemstvo supports; use sqlite://PATH (created if missing) or \
         postgres://USER@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("cannot open the registry database: {0}")]
    Open(String),
    #[error("cannot bring the registry database's schema up to date: {0}")]
    Migrate(String),
    #[error("the registry database failed: {0}; try again, and tell the operator if it persists")]
    Database(String),
    #[error("the registry database holds a record it cannot read ({0}); tell the operator")]
    Corrupt(String),
    #[error("vendor {0} is already registered")]
    VendorExists(VendorId),
    #[error("no vendor {0} is registered; register it with `zemstvo registry vendor add {0}`")]
    UnknownVendor(VendorId),
    #[error("key {key_id} is already registered, for vendor {vendor}")]
    KeyExists { key_id: KeyId, vendor: VendorId },
    #[error("no key {0} is registered at this registry")]
    UnknownKey(KeyId),
    #[error("key {key_id} is revoked ({reason}); it cannot be used or registered again")]
    KeyRevoked { key_id: KeyId, reason: String },
    #[error("key {0} is already revoked")]
    AlreadyRevoked(KeyId),
    #[error(
        "{name} {version} is already published and versions never change; bump the version \
         in the plugin's metadata and pack it again"
    )]
    VersionExists {
        name: PackageName,
        version: semver::Version,
    },
    #[error("package name {name} belongs to vendor {owner}; choose another name")]
    NameOwned { name: PackageName, owner: VendorId },
    #[error("no package named {0}; check the name with `zemstvo plugin search`")]
    UnknownPackage(PackageName),
    #[error("{name} has no version {version}")]
    UnknownVersion {
        name: PackageName,
        version: semver::Version,
    },
    #[error(
        "the publish challenge is unknown, used or expired; `zemstvo plugin publish` asks for a \
         fresh one, so just publish again"
    )]
    ChallengeInvalid,
    #[error(
        "the registry has too many anonymous publish challenges pending; publish with a key \
         registered here (`zemstvo plugin publish --key`), or wait two minutes"
    )]
    TooManyChallenges,
    #[error(
        "this client has {0} publish challenges pending, the most one client may have; use them \
         or wait two minutes (a publish with `zemstvo plugin publish --key` names its key and is not limited by this)"
    )]
    TooManyChallengesFromClient(i64),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The schema, embedded so the binary needs no files beside it.
#[derive(Debug)]
struct Embedded(Backend);

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registry",
        include_str!("../../migrations/sqlite/0001_registry.sql"),
    ),
    (
        2,
        "challenge limits",
        include_str!("../../migrations/sqlite/0002_challenge_limits.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registry",
        include_str!("../../migrations/postgres/0001_registry.sql"),
    ),
    (
        2,
        "challenge limits",
        include_str!("../../migrations/postgres/0002_challenge_limits.sql"),
    ),
];

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        let list = match self.0 {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations = list
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

impl Store {
    /// Opens (creating an SQLite file if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            // Create the file (and its directory) on first use unless the URL says otherwise.
            let url = if rest.contains('?') {
                url.to_string()
            } else {
                let path = std::path::Path::new(rest.trim_start_matches("//"));
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Open(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers go on while a publish writes.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(&url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let migrator = Migrator::new(Embedded(backend))
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; for tests that drop the database afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// concurrent writers queue on the busy timeout instead of failing on lock upgrade.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// Reads a column, turning a type mismatch into [`StoreError::Corrupt`].
pub(crate) fn get<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::Row::try_get(row, column).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// Parses a stored value, turning a parse failure into [`StoreError::Corrupt`].
pub(crate) fn parse<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{column} `{value}`: {e}")))
}
