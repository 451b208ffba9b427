//! Export of a registry's database to a mirror directory, and import of a mirror into a
//! registry's database (the air-gapped side).
//!
//! An import checks everything before it writes anything: every file against its index,
//! every package against its vendor's keys (the same [`TrustStore::verify`] a publish runs),
//! every name against its owner, every version against what is already stored. Only then
//! are vendors, keys, versions, yanked flags and revocations written; each write is
//! idempotent, so an import interrupted by a database failure can simply be run again.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DirectorySource, MirrorError, MirrorWriter};
use crate::api::{PackageVersions, VendorInfo, VersionInfo};
use crate::package::Package;
use crate::server::unix_now;
use crate::store::{NewVersion, Store, StoreError};
use crate::trust::TrustStore;

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub vendors_added: usize,
    pub keys_added: usize,
    pub versions_added: usize,
    pub versions_present: usize,
    pub revocations_added: usize,
}

/// Writes the registry's vendors, key events, indexes and package files into `dir`;
/// `progress` is called once per version written. Returns how many versions the mirror holds.
pub async fn export_store(
    store: &Store,
    dir: &Path,
    progress: &mut (dyn FnMut(&VersionInfo) + Send),
) -> Result<usize, MirrorError> {
    let writer = MirrorWriter::create(dir, unix_now())?;
    writer.write_vendors(&store.vendors().await?)?;
    writer.write_key_events(&store.key_events().await?)?;
    let mut by_name: BTreeMap<_, Vec<VersionInfo>> = BTreeMap::new();
    for v in store.all_versions().await? {
        by_name.entry(v.name.clone()).or_default().push(v);
    }
    let mut count = 0;
    for (name, versions) in by_name {
        for info in &versions {
            if !writer.has_file(info) {
                let (bytes, _) = store.package_file(&info.name, &info.version).await?;
                writer.write_file(info, &bytes)?;
            }
            progress(info);
            count += 1;
        }
        writer.write_index(&PackageVersions {
            vendor: versions[0].vendor.clone(),
            name,
            versions,
        })?;
    }
    Ok(count)
}

/// The trust a registry places in a vendor's packages at import: every key it has, with its
/// scope, ignoring revocations (a key revoked after it signed does not unpublish what it
/// signed; regions decide that with their own trust stores).
fn vendor_trust(vendor: &VendorInfo) -> TrustStore {
    let mut trust = TrustStore::new();
    for key in &vendor.keys {
        // A fresh store has no revocations, so trusting cannot fail.
        let _ = trust.trust(
            key.public_key.clone(),
            vendor.id.clone(),
            vendor.scope.clone(),
        );
    }
    trust
}

/// Imports the mirror at `dir` into `store`; see the module documentation.
pub async fn import_into_store(store: &Store, dir: &Path) -> Result<ImportSummary, MirrorError> {
    let source = DirectorySource::open(dir)?;
    let vendors = source.vendors()?;
    let events = source.key_events()?;
    let packages = source.packages()?;
    let mut summary = ImportSummary::default();

    // Check everything first.
    for vendor in &vendors {
        for key in &vendor.keys {
            if let Some(existing) = store.key(&key.key_id).await?
                && existing.vendor != vendor.id
            {
                return Err(StoreError::KeyExists {
                    key_id: key.key_id.clone(),
                    vendor: existing.vendor,
                }
                .into());
            }
        }
    }
    let mut new_versions = Vec::new();
    for package in &packages {
        let vendor = vendors
            .iter()
            .find(|v| v.id == package.vendor)
            .ok_or_else(|| MirrorError::Malformed {
                path: dir.join(super::VENDORS_FILE),
                why: format!("vendor {} of {} is missing", package.vendor, package.name),
            })?;
        let trust = vendor_trust(vendor);
        let stored = match store.versions(&package.name).await {
            Ok(stored) => {
                if stored.vendor != package.vendor {
                    return Err(StoreError::NameOwned {
                        name: package.name.clone(),
                        owner: stored.vendor,
                    }
                    .into());
                }
                stored.versions
            }
            Err(StoreError::UnknownPackage(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for info in &package.versions {
            let context = format!("{} {}", info.name, info.version);
            let bytes = source.fetch(&info.name, &info.version)?;
            let parsed = Package::read(&bytes).map_err(|e| MirrorError::Trust {
                context: context.clone(),
                source: e.into(),
            })?;
            trust.verify(&parsed).map_err(|source| MirrorError::Trust {
                context: context.clone(),
                source,
            })?;
            let m = parsed.manifest();
            if m.name != info.name || m.version != info.version || m.vendor != info.vendor {
                return Err(MirrorError::Malformed {
                    path: dir.join(super::PACKAGES_DIR).join(info.name.as_str()),
                    why: format!("the index entry {context} does not match its package's manifest"),
                });
            }
            match stored.iter().find(|s| s.version == info.version) {
                Some(s) if s.package_sha256 == info.package_sha256 => summary.versions_present += 1,
                Some(_) => {
                    return Err(MirrorError::VersionConflict {
                        name: info.name.clone(),
                        version: info.version.clone(),
                    });
                }
                None => new_versions.push(NewVersion {
                    info: info.clone(),
                    manifest: String::from_utf8_lossy(parsed.manifest_bytes()).into_owned(),
                    bytes: Vec::new(),
                }),
            }
        }
    }

    // Then write.
    let now = unix_now();
    for vendor in &vendors {
        match store
            .add_vendor(&vendor.id, &vendor.display_name, &vendor.scope, now)
            .await
        {
            Ok(()) => summary.vendors_added += 1,
            Err(StoreError::VendorExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        for key in &vendor.keys {
            match store
                .add_key(
                    &vendor.id,
                    &key.public_key,
                    key.rotation.as_ref(),
                    key.added_at,
                )
                .await
            {
                Ok(_) => summary.keys_added += 1,
                Err(StoreError::KeyExists { .. } | StoreError::KeyRevoked { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    for mut new in new_versions {
        // Read again rather than hold every file in memory; `fetch` re-checks the hash.
        new.bytes = source.fetch(&new.info.name, &new.info.version)?;
        match store.publish(&new, None, now).await {
            Ok(()) => summary.versions_added += 1,
            // Published meanwhile (a concurrent import or publish): fine if it is these bytes.
            Err(StoreError::VersionExists { name, version }) => {
                let (_, stored) = store.package_file(&name, &version).await?;
                if stored != new.info.package_sha256 {
                    return Err(MirrorError::VersionConflict { name, version });
                }
                summary.versions_present += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for package in &packages {
        for info in &package.versions {
            store
                .set_yanked(&info.name, &info.version, info.yanked)
                .await?;
        }
    }
    for revocation in &events.revocations {
        match store.insert_revocation(revocation).await {
            Ok(()) => summary.revocations_added += 1,
            Err(StoreError::AlreadyRevoked(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(summary)
}
