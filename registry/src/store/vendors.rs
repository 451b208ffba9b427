//! Vendors, their keys, rotations and revocations in the registry's database.

use sqlx::query;

use super::{Store, StoreError, get, is_unique_violation, parse};
use crate::api::{KeyEvents, VendorInfo, VendorKey};
use crate::keys::{KeyId, PublicKey};
use crate::name::{NamePattern, VendorId};
use crate::rotation::{Revocation, RotationStatement};

/// A registered key and what the registry knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key_id: KeyId,
    pub vendor: VendorId,
    pub public_key: PublicKey,
    pub revocation: Option<Revocation>,
}

impl Store {
    /// Registers a vendor; refuses an id that exists.
    pub async fn add_vendor(
        &self,
        id: &VendorId,
        display_name: &str,
        scope: &[NamePattern],
        now: i64,
    ) -> Result<(), StoreError> {
        // A list of validated patterns always serialises.
        let scope = serde_json::to_string(scope).expect("patterns serialise");
        let result = query(
            "INSERT INTO vendors (id, display_name, scope, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(display_name)
        .bind(scope)
        .bind(now)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::VendorExists(id.clone())),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// A vendor with its keys, if registered.
    pub async fn vendor(&self, id: &VendorId) -> Result<Option<VendorInfo>, StoreError> {
        Ok(self.vendors().await?.into_iter().find(|v| &v.id == id))
    }

    /// Every vendor with its keys, ordered by id.
    pub async fn vendors(&self) -> Result<Vec<VendorInfo>, StoreError> {
        let rows = query("SELECT id, display_name, scope FROM vendors ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let keys = query(
            "SELECT k.key_id, k.vendor_id, k.public_key, k.added_at, k.rotation, \
                    r.key_id AS revoked \
             FROM vendor_keys k LEFT JOIN revocations r ON r.key_id = k.key_id \
             ORDER BY k.added_at, k.key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut vendors = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = get(&row, "id")?;
            let scope: String = get(&row, "scope")?;
            let scope: Vec<NamePattern> = serde_json::from_str(&scope)
                .map_err(|e| StoreError::Corrupt(format!("vendor scope: {e}")))?;
            let mut vendor_keys = Vec::new();
            for key in &keys {
                if get::<String>(key, "vendor_id")? != id {
                    continue;
                }
                let rotation: Option<String> = get(key, "rotation")?;
                let rotation = rotation
                    .map(|r| serde_json::from_str::<RotationStatement>(&r))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("rotation: {e}")))?;
                vendor_keys.push(VendorKey {
                    key_id: parse("key_id", &get::<String>(key, "key_id")?)?,
                    public_key: parse("public_key", &get::<String>(key, "public_key")?)?,
                    added_at: get(key, "added_at")?,
                    rotation,
                    revoked: get::<Option<String>>(key, "revoked")?.is_some(),
                });
            }
            vendors.push(VendorInfo {
                id: parse("id", &id)?,
                display_name: get(&row, "display_name")?,
                scope,
                keys: vendor_keys,
            });
        }
        Ok(vendors)
    }

    /// Registers `public_key` for `vendor`, or (with `rotation`) records the key a rotation
    /// statement introduced. Refuses a key that is registered or revoked.
    pub async fn add_key(
        &self,
        vendor: &VendorId,
        public_key: &PublicKey,
        rotation: Option<&RotationStatement>,
        now: i64,
    ) -> Result<KeyId, StoreError> {
        let key_id = public_key.key_id();
        if let Some(existing) = self.key(&key_id).await? {
            return Err(match existing.revocation {
                Some(r) => StoreError::KeyRevoked {
                    key_id,
                    reason: r.reason,
                },
                None => StoreError::KeyExists {
                    key_id,
                    vendor: existing.vendor,
                },
            });
        }
        if let Some(r) = self.revocation(&key_id).await? {
            return Err(StoreError::KeyRevoked {
                key_id,
                reason: r.reason,
            });
        }
        if self.vendor(vendor).await?.is_none() {
            return Err(StoreError::UnknownVendor(vendor.clone()));
        }
        // A rotation statement is our own struct of strings; it always serialises.
        let rotation = rotation.map(|r| serde_json::to_string(r).expect("statements serialise"));
        let result = query(
            "INSERT INTO vendor_keys (key_id, vendor_id, public_key, added_at, rotation) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key_id.as_str())
        .bind(vendor.as_str())
        .bind(public_key.to_string())
        .bind(now)
        .bind(rotation)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::KeyExists {
                key_id,
                vendor: vendor.clone(),
            }),
            other => other.map(|_| key_id).map_err(Into::into),
        }
    }

    /// A registered key, with its revocation if it has one.
    pub async fn key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>, StoreError> {
        let row = query("SELECT vendor_id, public_key FROM vendor_keys WHERE key_id = $1")
            .bind(key_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(KeyRecord {
            key_id: key_id.clone(),
            vendor: parse("vendor_id", &get::<String>(&row, "vendor_id")?)?,
            public_key: parse("public_key", &get::<String>(&row, "public_key")?)?,
            revocation: self.revocation(key_id).await?,
        }))
    }

    pub async fn revocation(&self, key_id: &KeyId) -> Result<Option<Revocation>, StoreError> {
        let row = query("SELECT reason, revoked_at FROM revocations WHERE key_id = $1")
            .bind(key_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Revocation {
                key_id: key_id.clone(),
                reason: get(&row, "reason")?,
                revoked_at: get(&row, "revoked_at")?,
            })
        })
        .transpose()
    }

    /// Revokes a registered key. Packages it signed stay published (regions decide), but it
    /// can sign no new publish, and regions that fetch revocations stop trusting it.
    pub async fn revoke_key(
        &self,
        key_id: &KeyId,
        reason: &str,
        now: i64,
    ) -> Result<Revocation, StoreError> {
        if self.key(key_id).await?.is_none() {
            return Err(StoreError::UnknownKey(key_id.clone()));
        }
        let revocation = Revocation {
            key_id: key_id.clone(),
            reason: reason.to_string(),
            revoked_at: now,
        };
        self.insert_revocation(&revocation).await?;
        Ok(revocation)
    }

    pub(crate) async fn insert_revocation(&self, r: &Revocation) -> Result<(), StoreError> {
        let result =
            query("INSERT INTO revocations (key_id, reason, revoked_at) VALUES ($1, $2, $3)")
                .bind(r.key_id.as_str())
                .bind(&r.reason)
                .bind(r.revoked_at)
                .execute(&self.pool)
                .await;
        match result {
            Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyRevoked(r.key_id.clone())),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// Every revocation and every rotation statement, oldest first: what a region applies
    /// to its trust store.
    pub async fn key_events(&self) -> Result<KeyEvents, StoreError> {
        let rows =
            query("SELECT key_id, reason, revoked_at FROM revocations ORDER BY revoked_at, key_id")
                .fetch_all(&self.pool)
                .await?;
        let revocations = rows
            .iter()
            .map(|row| {
                Ok(Revocation {
                    key_id: parse("key_id", &get::<String>(row, "key_id")?)?,
                    reason: get(row, "reason")?,
                    revoked_at: get(row, "revoked_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let rows = query(
            "SELECT rotation FROM vendor_keys WHERE rotation IS NOT NULL ORDER BY added_at, key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let rotations = rows
            .iter()
            .map(|row| {
                serde_json::from_str(&get::<String>(row, "rotation")?)
                    .map_err(|e| StoreError::Corrupt(format!("rotation: {e}")))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(KeyEvents {
            revocations,
            rotations,
        })
    }
}
