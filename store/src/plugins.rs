//! Plugins in the region: the packages it holds (component bytes and manifest, with their
//! signatures once signed), which version of each plugin is installed, whether it is enabled,
//! what it is granted and how it is configured. Every change writes the audit log in the same
//! transaction and, on PostgreSQL, notifies the other hosts (`NOTIFY zemstvo_changes`).

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use zemstvo_core::capabilities::{Capability, Grants};

use zemstvo_core::metadata::PluginKind;

use crate::{Dialect, Store, StoreError, audit, now};

/// The channel on which PostgreSQL hosts learn of enable, disable and config changes.
pub const CHANGES_CHANNEL: &str = "zemstvo_changes";

/// A package as the region keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPackage {
    pub sha256: String,
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    pub wit_version: String,
    /// The package manifest, as JSON.
    pub manifest: String,
    /// The signature envelope, as JSON; `None` for plugins installed unsigned by a developer.
    pub signatures: Option<String>,
    pub component: Vec<u8>,
    /// The package file exactly as signed, verified again at every load; `None` if unsigned.
    pub package: Option<Vec<u8>>,
    /// The key id that signed it.
    pub signer: Option<String>,
}

/// Which version of a plugin is installed, and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub enabled: bool,
    pub pinned: bool,
    pub schedule: Option<String>,
    pub installed_at: i64,
    pub updated_at: i64,
    /// The installed package's plugin kind.
    pub kind: PluginKind,
    /// Bumped by every change of the set-up (version, state, pin, schedule, grants,
    /// configuration): what `If-Match` names.
    pub revision: i64,
    /// The key id that signed the installed package; none if it was installed unsigned.
    pub signer: Option<String>,
}

/// Who changes a plugin's set-up and, when they say so, the revision they last saw: the
/// change is then refused with [`StoreError::Stale`] if anyone changed the plugin since. The
/// check and the change are one transaction, so two editors can never both win.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub actor: &'a str,
    pub if_revision: Option<i64>,
}

impl<'a> Edit<'a> {
    /// A change made only if the plugin is still at `revision`.
    pub fn if_revision(actor: &'a str, revision: Option<i64>) -> Self {
        Edit {
            actor,
            if_revision: revision,
        }
    }
}

impl<'a> From<&'a str> for Edit<'a> {
    fn from(actor: &'a str) -> Self {
        Edit {
            actor,
            if_revision: None,
        }
    }
}

impl<'a> From<&'a String> for Edit<'a> {
    fn from(actor: &'a String) -> Self {
        Edit::from(actor.as_str())
    }
}

/// One step of a plugin's installation history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub version: String,
    pub sha256: String,
    pub action: String,
    pub actor: String,
    pub at: i64,
}

type InstallationRow = (
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
    String,
    i64,
    Option<String>,
);

fn installation(
    (
        name,
        version,
        sha256,
        enabled,
        pinned,
        schedule,
        installed_at,
        updated_at,
        kind,
        revision,
        signer,
    ): InstallationRow,
) -> Result<Installation, StoreError> {
    Ok(Installation {
        name,
        version,
        sha256,
        enabled: enabled != 0,
        pinned: pinned != 0,
        schedule,
        installed_at,
        updated_at,
        kind: parse_kind(&kind)?,
        revision,
        signer,
    })
}

/// A stored kind; one this build does not know means the database was written by a newer
/// zemstvo.
fn parse_kind(kind: &str) -> Result<PluginKind, StoreError> {
    kind.parse().map_err(|_| {
        StoreError::Invalid(format!(
            "the region's database names a plugin kind `{kind}` this zemstvo does not know; \
             upgrade zemstvo to the version that wrote it"
        ))
    })
}

/// Installations with their package's kind (every installation's package is kept).
const INSTALLATION_COLUMNS: &str = "i.name, i.version, i.sha256, i.enabled, i.pinned, i.schedule, i.installed_at, i.updated_at, p.kind, i.revision, p.signer \
     FROM plugin_installations i JOIN packages p ON p.sha256 = i.sha256";

impl Store {
    /// Keeps a package. The same bytes twice is a no-op; another component under a name and
    /// version the region already holds is refused (versions are immutable).
    pub async fn add_package(&self, p: &StoredPackage) -> Result<(), StoreError> {
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT sha256 FROM packages WHERE name = $1 AND version = $2")
                .bind(p.name.clone())
                .bind(p.version.clone())
                .fetch_optional(self.pool())
                .await?;
        match existing {
            Some((sha,)) if sha == p.sha256 => return Ok(()),
            Some((sha,)) => {
                return Err(StoreError::Conflict(format!(
                    "{} {} is already in the region with different bytes (sha256 {sha}); versions are \
                     immutable, so publish a new version",
                    p.name, p.version
                )));
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO packages (sha256, name, version, kind, wit_version, manifest, signatures, component, package, signer, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(p.sha256.clone())
        .bind(p.name.clone())
        .bind(p.version.clone())
        .bind(p.kind.name())
        .bind(p.wit_version.clone())
        .bind(p.manifest.clone())
        .bind(p.signatures.clone())
        .bind(p.component.clone())
        .bind(p.package.clone())
        .bind(p.signer.clone())
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The package with this component hash.
    pub async fn package(&self, sha256: &str) -> Result<Option<StoredPackage>, StoreError> {
        let row = sqlx::query(
            "SELECT sha256, name, version, kind, wit_version, manifest, signatures, component, package, signer \
             FROM packages WHERE sha256 = $1",
        )
        .bind(sha256.to_string())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(StoredPackage {
            sha256: r.try_get(0)?,
            name: r.try_get(1)?,
            version: r.try_get(2)?,
            kind: parse_kind(&r.try_get::<String, _>(3)?)?,
            wit_version: r.try_get(4)?,
            manifest: r.try_get(5)?,
            signatures: r.try_get(6)?,
            component: r.try_get(7)?,
            package: r.try_get(8)?,
            signer: r.try_get(9)?,
        }))
    }

    /// Every version of a plugin the region holds, as (version, sha256).
    pub async fn package_versions(&self, name: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT version, sha256 FROM packages WHERE name = $1 ORDER BY added_at",
            )
            .bind(name.to_string())
            .fetch_all(self.pool())
            .await?,
        )
    }

    /// Installs (or switches to) `version` of a plugin whose package the region holds.
    /// `action` says why (`install`, `upgrade`, `rollback`, `downgrade`) for the history.
    pub async fn install(
        &self,
        name: &str,
        version: &str,
        sha256: &str,
        action: &str,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        if edit.if_revision.is_some() {
            self.check_revision(&mut tx, name, edit, false).await?;
        }
        let at = now();
        sqlx::query(
            "INSERT INTO plugin_installations (name, version, sha256, enabled, pinned, schedule, installed_at, updated_at) \
             VALUES ($1, $2, $3, 0, 0, NULL, $4, $4) \
             ON CONFLICT (name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, \
             updated_at = excluded.updated_at, revision = plugin_installations.revision + 1",
        )
        .bind(name.to_string())
        .bind(version.to_string())
        .bind(sha256.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO installation_history (name, version, sha256, action, actor, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(name.to_string())
            .bind(version.to_string())
            .bind(sha256.to_string())
            .bind(action.to_string())
            .bind(actor.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            actor,
            action,
            name,
            serde_json::json!({ "version": version, "sha256": sha256 }),
        )
        .await?;
        self.notify_change(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn installations(&self) -> Result<Vec<Installation>, StoreError> {
        let rows: Vec<InstallationRow> =
            sqlx::query_as(&format!("SELECT {INSTALLATION_COLUMNS} ORDER BY i.name"))
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(installation).collect()
    }

    pub async fn installation(&self, name: &str) -> Result<Option<Installation>, StoreError> {
        let row: Option<InstallationRow> =
            sqlx::query_as(&format!("SELECT {INSTALLATION_COLUMNS} WHERE i.name = $1"))
                .bind(name.to_string())
                .fetch_optional(self.pool())
                .await?;
        row.map(installation).transpose()
    }

    pub async fn history(&self, name: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT version, sha256, action, actor, at FROM installation_history WHERE name = $1 ORDER BY seq",
        )
        .bind(name.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(version, sha256, action, actor, at)| HistoryEntry {
                version,
                sha256,
                action,
                actor,
                at,
            })
            .collect())
    }

    /// Enables or disables a plugin; the scheduler runs only enabled plugins.
    pub async fn set_enabled(
        &self,
        name: &str,
        enabled: bool,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        self.check_revision(&mut tx, name, edit, true).await?;
        sqlx::query(
            "UPDATE plugin_installations SET enabled = $1, updated_at = $2 WHERE name = $3",
        )
        .bind(enabled as i64)
        .bind(now())
        .bind(name.to_string())
        .execute(&mut *tx)
        .await?;
        let action = if enabled { "enable" } else { "disable" };
        audit::record(&mut *tx, actor, action, name, serde_json::json!({})).await?;
        self.notify_change(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pins a plugin to its installed version (upgrades then need to unpin first).
    pub async fn set_pinned(
        &self,
        name: &str,
        pinned: bool,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        self.check_revision(&mut tx, name, edit, true).await?;
        sqlx::query("UPDATE plugin_installations SET pinned = $1, updated_at = $2 WHERE name = $3")
            .bind(pinned as i64)
            .bind(now())
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            actor,
            if pinned { "pin" } else { "unpin" },
            name,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces what a plugin is granted.
    pub async fn set_grants(
        &self,
        name: &str,
        grants: &Grants,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        // As in `set_config`: concurrent grants of one plugin take turns.
        self.check_revision(&mut tx, name, edit, true).await?;
        sqlx::query("DELETE FROM grants WHERE plugin = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        let at = now();
        for capability in grants.iter() {
            sqlx::query("INSERT INTO grants (plugin, capability, granted_by, granted_at) VALUES ($1, $2, $3, $4)")
                .bind(name.to_string())
                .bind(capability.name().to_string())
                .bind(actor.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        let names: Vec<&str> = grants.iter().map(|c| c.name()).collect();
        audit::record(
            &mut *tx,
            actor,
            "grant",
            name,
            serde_json::json!({ "capabilities": names }),
        )
        .await?;
        self.notify_change(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn grants(&self, name: &str) -> Result<Grants, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT capability FROM grants WHERE plugin = $1")
                .bind(name.to_string())
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|(c,)| {
                c.parse::<Capability>()
                    .map_err(|e| StoreError::Database(format!("stored grant of `{name}`: {e}")))
            })
            .collect()
    }

    /// Replaces a plugin's configuration settings (checked against its schema by the caller).
    pub async fn set_config(
        &self,
        name: &str,
        settings: &[(String, String)],
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        // Concurrent configurations of one plugin take turns: each replaces the whole set, and
        // the audit log's "before" is what the previous one left. On PostgreSQL the row lock
        // the revision's update takes makes them queue; SQLite's write transaction already does.
        self.check_revision(&mut tx, name, edit, true).await?;
        let before: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM plugin_config WHERE plugin = $1 ORDER BY key")
                .bind(name.to_string())
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM plugin_config WHERE plugin = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        for (key, value) in settings {
            sqlx::query("INSERT INTO plugin_config (plugin, key, value) VALUES ($1, $2, $3)")
                .bind(name.to_string())
                .bind(key.clone())
                .bind(value.clone())
                .execute(&mut *tx)
                .await?;
        }
        let map = |pairs: &[(String, String)]| {
            serde_json::Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            )
        };
        audit::record(
            &mut *tx,
            actor,
            "configure",
            name,
            serde_json::json!({ "before": map(&before), "after": map(settings) }),
        )
        .await?;
        self.notify_change(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn config(&self, name: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT key, value FROM plugin_config WHERE plugin = $1 ORDER BY key")
                .bind(name.to_string())
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Checks, inside a change's transaction, that `name` is installed and still at the
    /// revision the editor saw (if they named one), and bumps the revision when `bump`. The
    /// update also takes the row's lock on PostgreSQL, so concurrent changes take turns.
    async fn check_revision(
        &self,
        tx: &mut Transaction<'static, Any>,
        name: &str,
        edit: Edit<'_>,
        bump: bool,
    ) -> Result<(), StoreError> {
        let step = if bump { 1 } else { 0 };
        let changed = match edit.if_revision {
            Some(expected) => sqlx::query(
                "UPDATE plugin_installations SET revision = revision + $1 WHERE name = $2 AND revision = $3",
            )
            .bind(step)
            .bind(name.to_string())
            .bind(expected),
            None => sqlx::query(
                "UPDATE plugin_installations SET revision = revision + $1 WHERE name = $2",
            )
            .bind(step)
            .bind(name.to_string()),
        }
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed == 1 {
            return Ok(());
        }
        let current: Option<(i64,)> =
            sqlx::query_as("SELECT revision FROM plugin_installations WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(&mut **tx)
                .await?;
        Err(match current {
            None => StoreError::NotFound(format!(
                "plugin `{name}` is not installed in this region; install it first"
            )),
            Some((now,)) => StoreError::Stale(format!(
                "{name} was changed meanwhile (it is at revision {now}, you saw {}); reload it and apply your change again",
                edit.if_revision.unwrap_or_default()
            )),
        })
    }

    /// Tells the other hosts sharing a PostgreSQL database that `plugin` changed (or has a
    /// run waiting).
    pub(crate) async fn notify_change(
        &self,
        tx: &mut Transaction<'static, Any>,
        plugin: &str,
    ) -> Result<(), StoreError> {
        if self.dialect() == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(plugin.to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Sets (or clears) a plugin's cron schedule, in UTC.
    pub async fn set_schedule(
        &self,
        name: &str,
        schedule: Option<&str>,
        edit: impl Into<Edit<'_>>,
    ) -> Result<(), StoreError> {
        let edit = edit.into();
        let actor = edit.actor;
        let mut tx = self.begin_write().await?;
        self.check_revision(&mut tx, name, edit, true).await?;
        sqlx::query(
            "UPDATE plugin_installations SET schedule = $1, updated_at = $2 WHERE name = $3",
        )
        .bind(schedule.map(str::to_string))
        .bind(now())
        .bind(name.to_string())
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut *tx,
            actor,
            "schedule",
            name,
            serde_json::json!({ "schedule": schedule }),
        )
        .await?;
        self.notify_change(&mut tx, name).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Flips a byte in the middle of a stored component — in the signed package file too —
    /// as tampering with the database file would (tests only).
    pub async fn tamper_component_for_tests(&self, sha256: &str) -> Result<(), StoreError> {
        let mut package = self
            .package(sha256)
            .await?
            .ok_or_else(|| StoreError::NotFound(sha256.to_string()))?;
        let middle = package.component.len() / 2;
        package.component[middle] ^= 0x01;
        if let Some(file) = package.package.as_mut() {
            // The component is the file's last part.
            let at = file.len() - package.component.len() + middle;
            file[at] ^= 0x01;
        }
        sqlx::query("UPDATE packages SET component = $1, package = $2 WHERE sha256 = $3")
            .bind(package.component)
            .bind(package.package)
            .bind(sha256.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// The region's trust store, as the JSON document it is kept in; `None` before any key
    /// was trusted.
    pub async fn trust_document(&self) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT document FROM region_trust WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(d,)| d))
    }

    /// Changes the trust store in one write transaction: `change` gets the document as it is
    /// now (`None` before any key was trusted) and answers the new one, which is saved with an
    /// audit entry. Two administrators changing it at once take turns; neither change is lost.
    pub async fn change_trust_document<T, E: From<StoreError>>(
        &self,
        actor: &str,
        action: &str,
        details: serde_json::Value,
        change: impl FnOnce(Option<String>) -> Result<(String, T), E>,
    ) -> Result<T, E> {
        let mut tx = self.begin_write().await?;
        let lock = if self.dialect() == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT document FROM region_trust WHERE id = 1{lock}"
        ))
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let (document, out) = change(row.map(|(d,)| d))?;
        sqlx::query(
            "INSERT INTO region_trust (id, document, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        )
        .bind(document)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        audit::record(&mut *tx, actor, action, "trust", details).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }
}
