//! Shared setup of the registry's integration tests: packages built from fake components,
//! a real registry on a loopback ephemeral port over SQLite or PostgreSQL, and raw HTTP
//! helpers that look at exactly what a user sees (status codes and JSON bodies).
//!
//! PostgreSQL: each test creates its own database with a random name on the server named by
//! `ZEMSTVO_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! drops it afterwards, even when the test fails. When the variable is unset and no server
//! answers, the PostgreSQL variants print that they were skipped and pass; when it is set, or
//! `ZEMSTVO_REQUIRE_POSTGRES=1`, they fail instead.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use semver::Version;
use sqlx::Connection;
use zemstvo_core::PluginKind;
use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::config::ConfigSchema;
use zemstvo_registry::api::NewVendor;
use zemstvo_registry::manifest::{MANIFEST_FORMAT, current_host_version};
use zemstvo_registry::server::{self, AdminToken, AppState, ServerSettings};
use zemstvo_registry::store::Store;
use zemstvo_registry::{Client, Manifest, NamePattern, Package, PackageName, SecretKey, VendorId};

pub const VENDOR: &str = "lipetsk-soft";
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Bytes that pass for a component: the component-model header and a payload.
pub fn component(payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    bytes.extend_from_slice(payload);
    bytes
}

pub fn manifest(name: &str, version: &str, vendor: &str, component: &[u8]) -> Manifest {
    use sha2::Digest;
    Manifest {
        format: MANIFEST_FORMAT,
        name: PackageName::new(name).unwrap(),
        version: Version::parse(version).unwrap(),
        kind: PluginKind::DeviationCheck,
        title: format!("{name} — проверка"),
        description: format!("test package {name}"),
        wit_version: Version::new(0, 1, 0),
        capabilities: vec![Capability::DataSmev, Capability::TasksCreate],
        config: ConfigSchema::default(),
        vendor: VendorId::new(vendor).unwrap(),
        component_sha256: hex::encode(sha2::Sha256::digest(component)),
        component_size: component.len() as u64,
        min_host_version: current_host_version(),
    }
}

/// A package of `name@version` by `vendor`, signed by `key`; the payload makes it unique.
pub fn package(
    name: &str,
    version: &str,
    vendor: &str,
    key: &SecretKey,
    payload: &[u8],
) -> Package {
    let component = component(payload);
    let manifest = manifest(name, version, vendor, &component);
    Package::sign(manifest, component, &[key]).unwrap()
}

pub fn package_bytes(name: &str, version: &str, key: &SecretKey) -> Vec<u8> {
    package(
        name,
        version,
        VENDOR,
        key,
        format!("{name}@{version}").as_bytes(),
    )
    .to_bytes()
}

/// Which database a test registry runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database for one test, removed afterwards.
pub struct TestDb {
    pub url: String,
    /// The SQLite file's directory, or the PostgreSQL server and database to drop.
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// `None` when PostgreSQL is not available and not required (the test is skipped).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("registry.db").display());
                Some(TestDb {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url().await?;
                let name = format!(
                    "zemstvo_test_{}",
                    zemstvo_registry::keys::random_hex(8).unwrap()
                );
                let mut conn = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let _ = conn.close().await;
                let mut url = reqwest::Url::parse(&admin_url).unwrap();
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    url: url.to_string(),
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }

    pub async fn remove(self) {
        if let Cleanup::Postgres { admin_url, name } = self.cleanup {
            let mut conn = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
            let _ = conn.close().await;
        }
    }
}

/// The PostgreSQL server to create test databases on, or `None` to skip.
async fn postgres_admin_url() -> Option<String> {
    sqlx::any::install_default_drivers();
    let explicit = std::env::var("ZEMSTVO_TEST_DATABASE_URL").ok();
    let required = std::env::var("ZEMSTVO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let url = explicit
        .clone()
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_string());
    let attempt = tokio::time::timeout(Duration::from_secs(5), sqlx::AnyConnection::connect(&url));
    let why = match attempt.await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            return Some(url);
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 5 s".to_string(),
    };
    if required || explicit.is_some() {
        panic!(
            "PostgreSQL at {url} is required (ZEMSTVO_TEST_DATABASE_URL set or \
             ZEMSTVO_REQUIRE_POSTGRES=1) but cannot be reached: {why}"
        );
    }
    // Written to the real stderr, past the test harness's capture, so that a skip is seen.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {}: no PostgreSQL at {url} ({why}); set ZEMSTVO_TEST_DATABASE_URL to run it",
        std::thread::current().name().unwrap_or("a PostgreSQL test")
    );
    None
}

/// A registry serving on a loopback ephemeral port until dropped.
pub struct TestRegistry {
    pub backend: Backend,
    pub url: String,
    pub token: AdminToken,
    pub store: Store,
    /// With the admin token.
    pub admin: Client,
    /// Without any credentials.
    pub anon: Client,
    pub http: reqwest::Client,
    /// Databases of sibling registries, removed with this registry's.
    siblings: std::sync::Arc<std::sync::Mutex<Vec<TestDb>>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestRegistry {
    pub async fn start(
        backend: Backend,
        database_url: &str,
        settings: ServerSettings,
    ) -> TestRegistry {
        let store = Store::connect(database_url).await.unwrap();
        let token = AdminToken::generate().unwrap();
        let state = AppState::new(store.clone(), &token, settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, state, async {
            let _ = rx.await;
        }));
        let anon = Client::new(&url).unwrap();
        TestRegistry {
            backend,
            siblings: Default::default(),
            admin: anon.clone().with_admin_token(token.as_str()),
            anon,
            url,
            token,
            store,
            http: reqwest::Client::new(),
            _shutdown: tx,
        }
    }

    /// Another registry on the same kind of database (e.g. the air-gapped side of a mirror),
    /// whose database is removed with this one's.
    pub async fn sibling(&self) -> TestRegistry {
        let db = TestDb::create(self.backend)
            .await
            .expect("the backend answered for the first registry");
        let registry = TestRegistry::start(self.backend, &db.url, ServerSettings::default()).await;
        self.siblings.lock().unwrap().push(db);
        registry
    }

    /// Registers `vendor` (scope `*` unless given) with a new key; returns the key.
    pub async fn vendor_with_key(&self, vendor: &str, scope: Option<Vec<&str>>) -> SecretKey {
        let key = SecretKey::generate().unwrap();
        self.admin
            .add_vendor(&NewVendor {
                id: VendorId::new(vendor).unwrap(),
                display_name: None,
                scope: scope.map(|s| {
                    s.into_iter()
                        .map(|p| NamePattern::new(p).unwrap())
                        .collect()
                }),
            })
            .await
            .unwrap();
        self.admin
            .add_key(&VendorId::new(vendor).unwrap(), &key.public_key())
            .await
            .unwrap();
        key
    }

    /// A raw request to `path` (under the registry's URL); the status and the JSON body.
    pub async fn raw(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "HTTP {status}: the body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, body)
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Everything a user can read from the registry, to compare before and after a refusal.
    pub async fn snapshot(&self) -> serde_json::Value {
        let packages = self.anon.search("").await.unwrap();
        let mut versions = Vec::new();
        for p in &packages {
            let all = self.anon.versions(&p.name).await.unwrap();
            for v in &all.versions {
                let bytes = self
                    .anon
                    .download(&v.name, &v.version, &mut |_| {})
                    .await
                    .unwrap();
                versions.push(serde_json::json!({
                    "info": v,
                    "sha256": zemstvo_registry::package::package_sha256(&bytes),
                }));
            }
        }
        serde_json::json!({
            "packages": packages,
            "versions": versions,
            "vendors": self.anon.vendors().await.unwrap(),
            "key_events": self.anon.key_events().await.unwrap(),
        })
    }
}

/// Runs `test` against a fresh registry on `backend`, and removes the database afterwards
/// whether the test passed or panicked.
pub async fn with_registry<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestRegistry) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_registry_settings(backend, ServerSettings::default(), test).await
}

pub async fn with_registry_settings<F, Fut>(backend: Backend, settings: ServerSettings, test: F)
where
    F: FnOnce(TestRegistry) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let registry = TestRegistry::start(backend, &db.url, settings).await;
    let siblings = registry.siblings.clone();
    let outcome = tokio::spawn(test(registry)).await;
    db.remove().await;
    let siblings = std::mem::take(&mut *siblings.lock().unwrap());
    for sibling in siblings {
        sibling.remove().await;
    }
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the test task failed: {e}"),
        }
    }
}

/// Declares each listed `async fn name(registry: TestRegistry)` as two tests,
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::with_registry($crate::common::Backend::Sqlite, super::$name)
                        .await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::common::with_registry($crate::common::Backend::Postgres, super::$name)
                        .await;
                }
            )*
        }
    };
}
