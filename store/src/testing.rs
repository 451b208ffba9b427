//! A fresh database per test, on SQLite or PostgreSQL, dropped afterwards.
//!
//! PostgreSQL tests use `ZEMSTVO_TEST_DATABASE_URL` (a database on the server to connect to
//! for creating and dropping test databases), else `postgres://postgres@127.0.0.1:5432/postgres`
//! when a server answers there. Without a server they print that they were skipped — unless
//! `ZEMSTVO_REQUIRE_POSTGRES=1` (CI sets it), where a missing server fails the test.

use std::time::Duration;

use rand::RngExt;
use sqlx::{AnyConnection, Connection, Executor};

use crate::Store;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    /// For PostgreSQL: the server URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("region.db").display());
        TestDatabase {
            url,
            postgres: None,
            _dir: Some(dir),
        }
    }

    /// A new PostgreSQL database, or `None` (after saying so) where no server is available.
    pub async fn postgres(test: &str) -> Option<TestDatabase> {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("ZEMSTVO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
        let required = std::env::var("ZEMSTVO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let connect =
            tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(&admin)).await;
        let mut conn = match connect {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) if !required => {
                eprintln!(
                    "SKIPPED {test} on PostgreSQL: no server at {admin} ({e}); set ZEMSTVO_TEST_DATABASE_URL"
                );
                return None;
            }
            Err(_) if !required => {
                eprintln!(
                    "SKIPPED {test} on PostgreSQL: {admin} did not answer; set ZEMSTVO_TEST_DATABASE_URL"
                );
                return None;
            }
            Ok(Err(e)) => panic!(
                "PostgreSQL is required (ZEMSTVO_REQUIRE_POSTGRES=1) but {admin} refused: {e}"
            ),
            Err(_) => panic!(
                "PostgreSQL is required (ZEMSTVO_REQUIRE_POSTGRES=1) but {admin} did not answer"
            ),
        };
        let name = format!("zemstvo_test_{:016x}", rand::rng().random::<u64>());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(TestDatabase {
            url: format!("{base}/{name}"),
            postgres: Some((admin, name)),
            _dir: None,
        })
    }

    /// The store on this database, migrated.
    pub async fn store(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = AnyConnection::connect(&admin).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()?;
                Some(())
            })
        })
        .join();
    }
}

/// Runs `$scenario(TestDatabase)` as two tests, `sqlite` and `postgres`, in a module `$name`.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario($crate::testing::TestDatabase::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::testing::TestDatabase::postgres(concat!(
                    module_path!(),
                    "::",
                    stringify!($name)
                ))
                .await
                {
                    super::$scenario(db).await;
                }
            }
        }
    };
}
