//! Packages, their versions and bytes, yanking, and publish challenges in the registry's
//! database.

use semver::Version;
use sqlx::any::AnyRow;
use sqlx::query;

use super::{Store, StoreError, get, is_unique_violation, parse};
use crate::api::{PackageSummary, PackageVersions, VersionInfo};
use crate::name::PackageName;

/// A version about to be published: its listing, its manifest and its file.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub info: VersionInfo,
    /// The canonical manifest, kept as text for operators and mirrors.
    pub manifest: String,
    pub bytes: Vec<u8>,
}

/// How many unexpired anonymous publish challenges (naming no registered key) the registry
/// keeps at most, from all clients together.
pub const MAX_PENDING_CHALLENGES: i64 = 10_000;
/// How many unexpired anonymous challenges one client address may hold.
pub const MAX_CHALLENGES_PER_CLIENT: i64 = 16;
/// How many unexpired challenges one client may hold for one registered key; a further
/// request replaces the oldest, so a vendor never locks itself (or is locked) out.
pub const MAX_CHALLENGES_PER_KEY: i64 = 4;

/// Who asked for a challenge: the client's address and, if the request named one, a
/// registered, unrevoked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRequester {
    pub client: String,
    pub key_id: Option<String>,
}

const VERSION_COLUMNS: &str = "v.name, v.version, v.kind, v.title, v.description, \
     v.package_sha256, v.component_sha256, v.size, v.signed_by, v.yanked, v.published_at, \
     p.vendor_id";

fn version_info(row: &AnyRow) -> Result<VersionInfo, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(VersionInfo {
        name: parse("name", &get::<String>(row, "name")?)?,
        version: parse("version", &get::<String>(row, "version")?)?,
        kind: parse("kind", &kind)?,
        vendor: parse("vendor_id", &get::<String>(row, "vendor_id")?)?,
        title: get(row, "title")?,
        description: get(row, "description")?,
        package_sha256: get(row, "package_sha256")?,
        component_sha256: get(row, "component_sha256")?,
        size: get::<i64>(row, "size")?.max(0) as u64,
        signed_by: parse("signed_by", &get::<String>(row, "signed_by")?)?,
        yanked: get::<i64>(row, "yanked")? != 0,
        published_at: get(row, "published_at")?,
    })
}

impl Store {
    /// Stores a one-time publish challenge, dropping expired ones. Challenges that name a
    /// registered key are kept per key and client ([`MAX_CHALLENGES_PER_KEY`], the oldest
    /// replaced) and are never refused; anonymous ones are bounded per client
    /// ([`MAX_CHALLENGES_PER_CLIENT`]) and in all ([`MAX_PENDING_CHALLENGES`]), so anonymous
    /// requests can neither grow the table without bound nor block a vendor's publish.
    pub async fn add_challenge(
        &self,
        nonce: &str,
        expires_at: i64,
        now: i64,
        requester: &ChallengeRequester,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        query("DELETE FROM challenges WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let count = |row: AnyRow| get::<i64>(&row, "pending");
        match &requester.key_id {
            Some(key) => {
                let pending = count(
                    query(
                        "SELECT COUNT(*) AS pending FROM challenges WHERE key_id = $1 AND client = $2",
                    )
                    .bind(key)
                    .bind(&requester.client)
                    .fetch_one(&mut *tx)
                    .await?,
                )?;
                if pending >= MAX_CHALLENGES_PER_KEY {
                    query(
                        "DELETE FROM challenges WHERE nonce IN (SELECT nonce FROM challenges \
                         WHERE key_id = $1 AND client = $2 ORDER BY expires_at, nonce LIMIT $3)",
                    )
                    .bind(key)
                    .bind(&requester.client)
                    .bind(pending - MAX_CHALLENGES_PER_KEY + 1)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            None => {
                let from_client = count(
                    query(
                        "SELECT COUNT(*) AS pending FROM challenges WHERE key_id IS NULL AND client = $1",
                    )
                    .bind(&requester.client)
                    .fetch_one(&mut *tx)
                    .await?,
                )?;
                if from_client >= MAX_CHALLENGES_PER_CLIENT {
                    return Err(StoreError::TooManyChallengesFromClient(from_client));
                }
                let anonymous = count(
                    query("SELECT COUNT(*) AS pending FROM challenges WHERE key_id IS NULL")
                        .fetch_one(&mut *tx)
                        .await?,
                )?;
                if anonymous >= MAX_PENDING_CHALLENGES {
                    return Err(StoreError::TooManyChallenges);
                }
            }
        }
        query("INSERT INTO challenges (nonce, expires_at, client, key_id) VALUES ($1, $2, $3, $4)")
            .bind(nonce)
            .bind(expires_at)
            .bind(&requester.client)
            .bind(requester.key_id.as_deref())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Publishes a version in one transaction: consumes the challenge (if any), claims the
    /// name for the vendor on first publish, and inserts the version and its bytes. Any
    /// refusal rolls everything back, challenge included.
    pub async fn publish(
        &self,
        new: &NewVersion,
        challenge: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let info = &new.info;
        let mut tx = self.begin_write().await?;
        if let Some(nonce) = challenge {
            // A challenge asked for in a key's name is that key's only.
            let used = query(
                "DELETE FROM challenges WHERE nonce = $1 AND expires_at >= $2 \
                 AND (key_id IS NULL OR key_id = $3)",
            )
            .bind(nonce)
            .bind(now)
            .bind(info.signed_by.as_str())
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Err(StoreError::ChallengeInvalid);
            }
        }
        query(
            "INSERT INTO packages (name, vendor_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(info.name.as_str())
        .bind(info.vendor.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let owner = query("SELECT vendor_id FROM packages WHERE name = $1")
            .bind(info.name.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let owner = parse("vendor_id", &get::<String>(&owner, "vendor_id")?)?;
        if owner != info.vendor {
            return Err(StoreError::NameOwned {
                name: info.name.clone(),
                owner,
            });
        }
        let inserted = query(
            "INSERT INTO versions (name, version, kind, title, description, manifest, \
             package_sha256, component_sha256, size, signed_by, yanked, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(info.name.as_str())
        .bind(info.version.to_string())
        .bind(info.kind.name())
        .bind(&info.title)
        .bind(&info.description)
        .bind(&new.manifest)
        .bind(&info.package_sha256)
        .bind(&info.component_sha256)
        .bind(i64::try_from(new.bytes.len()).unwrap_or(i64::MAX))
        .bind(info.signed_by.as_str())
        .bind(i64::from(info.yanked))
        .bind(info.published_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::VersionExists {
                    name: info.name.clone(),
                    version: info.version.clone(),
                });
            }
            other => other?,
        };
        query("INSERT INTO package_files (name, version, bytes) VALUES ($1, $2, $3)")
            .bind(info.name.as_str())
            .bind(info.version.to_string())
            .bind(new.bytes.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every version of every package, ordered by name then version.
    pub async fn all_versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        let rows = query(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions v JOIN packages p ON p.name = v.name \
             ORDER BY v.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut versions = rows
            .iter()
            .map(version_info)
            .collect::<Result<Vec<_>, _>>()?;
        versions.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        Ok(versions)
    }

    /// A package's versions, oldest first; `None` if no such package.
    pub async fn versions(&self, name: &PackageName) -> Result<PackageVersions, StoreError> {
        let rows = query(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions v JOIN packages p ON p.name = v.name \
             WHERE v.name = $1"
        ))
        .bind(name.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut versions = rows
            .iter()
            .map(version_info)
            .collect::<Result<Vec<_>, _>>()?;
        versions.sort_by(|a, b| a.version.cmp(&b.version));
        let vendor = match versions.first() {
            Some(v) => v.vendor.clone(),
            None => return Err(StoreError::UnknownPackage(name.clone())),
        };
        Ok(PackageVersions {
            name: name.clone(),
            vendor,
            versions,
        })
    }

    /// Packages whose name, title, description or vendor contains `text` (ignoring case);
    /// all packages for an empty text. Filtered here rather than in SQL so that SQLite and
    /// PostgreSQL agree on case folding of Cyrillic titles.
    pub async fn search(&self, text: &str) -> Result<Vec<PackageSummary>, StoreError> {
        let needle = text.trim().to_lowercase();
        let mut summaries: Vec<PackageSummary> = Vec::new();
        for v in self.all_versions().await? {
            match summaries.last_mut() {
                Some(s) if s.name == v.name => {
                    s.versions += 1;
                    if !v.yanked {
                        // Versions come in ascending order: the last unyanked is the latest.
                        s.latest = Some(v.version.clone());
                        s.title = v.title;
                        s.description = v.description;
                        s.kind = v.kind;
                    }
                }
                _ => summaries.push(PackageSummary {
                    latest: (!v.yanked).then(|| v.version.clone()),
                    name: v.name,
                    vendor: v.vendor,
                    kind: v.kind,
                    title: v.title,
                    description: v.description,
                    versions: 1,
                }),
            }
        }
        summaries.retain(|s| {
            needle.is_empty()
                || [s.name.as_str(), s.vendor.as_str(), &s.title, &s.description]
                    .iter()
                    .any(|field| field.to_lowercase().contains(&needle))
        });
        Ok(summaries)
    }

    /// A version's package file and its recorded sha256.
    pub async fn package_file(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<(Vec<u8>, String), StoreError> {
        let row = query(
            "SELECT f.bytes, v.package_sha256 FROM package_files f \
             JOIN versions v ON v.name = f.name AND v.version = f.version \
             WHERE f.name = $1 AND f.version = $2",
        )
        .bind(name.as_str())
        .bind(version.to_string())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok((get(&row, "bytes")?, get(&row, "package_sha256")?)),
            None => Err(self.missing(name, version).await),
        }
    }

    /// Sets a version's yanked flag (the only thing about a version that ever changes).
    /// Returns the version as it is now.
    pub async fn set_yanked(
        &self,
        name: &PackageName,
        version: &Version,
        yanked: bool,
    ) -> Result<VersionInfo, StoreError> {
        let done = query("UPDATE versions SET yanked = $1 WHERE name = $2 AND version = $3")
            .bind(i64::from(yanked))
            .bind(name.as_str())
            .bind(version.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(self.missing(name, version).await);
        }
        self.versions(name)
            .await?
            .versions
            .into_iter()
            .find(|v| &v.version == version)
            .ok_or_else(|| StoreError::UnknownVersion {
                name: name.clone(),
                version: version.clone(),
            })
    }

    /// The most precise "not found": no such package, or no such version of it.
    async fn missing(&self, name: &PackageName, version: &Version) -> StoreError {
        match self.versions(name).await {
            Ok(_) => StoreError::UnknownVersion {
                name: name.clone(),
                version: version.clone(),
            },
            Err(e) => e,
        }
    }
}
