//! A mirror directory read as a package source: search, versions, resolution and files, with
//! no registry running. What the host installs from on an air-gapped network.

use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};

use super::{
    FORMAT, KEY_EVENTS_FILE, MARKER_FILE, Marker, MirrorError, PACKAGES_DIR, VENDORS_FILE,
    io_error, package_dir, package_file, read_json,
};
use crate::api::{KeyEvents, PackageSummary, PackageVersions, VendorInfo, VersionInfo};
use crate::name::PackageName;
use crate::package::package_sha256;
use crate::resolve::{ResolveError, resolve};

/// A mirror directory as a read-only package source.
#[derive(Debug, Clone)]
pub struct DirectorySource {
    root: PathBuf,
}

impl DirectorySource {
    /// Opens `dir`, refusing a directory that is not a mirror.
    pub fn open(dir: &Path) -> Result<DirectorySource, MirrorError> {
        let marker_path = dir.join(MARKER_FILE);
        if !marker_path.is_file() {
            return Err(MirrorError::NotAMirror(dir.to_path_buf()));
        }
        let marker: Marker = read_json(&marker_path)?;
        if marker.format != FORMAT {
            return Err(MirrorError::Malformed {
                path: marker_path,
                why: format!(
                    "format `{}` is not {FORMAT}; use a zemstvo as new as the exporter",
                    marker.format
                ),
            });
        }
        Ok(DirectorySource {
            root: dir.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A package's versions, oldest first.
    pub fn versions(&self, name: &PackageName) -> Result<PackageVersions, MirrorError> {
        let index = package_dir(&self.root, name).join("index.json");
        if !index.is_file() {
            return Err(ResolveError::UnknownPackage(name.clone()).into());
        }
        let mut versions: PackageVersions = read_json(&index)?;
        if &versions.name != name || versions.versions.iter().any(|v| &v.name != name) {
            return Err(MirrorError::Malformed {
                path: index,
                why: format!("it describes another package than {name}"),
            });
        }
        versions.versions.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(versions)
    }

    /// The highest unyanked version matching `req` (a yanked one only for an exact pin), as
    /// a registry would answer.
    pub fn resolve(
        &self,
        name: &PackageName,
        req: &VersionReq,
    ) -> Result<VersionInfo, MirrorError> {
        let versions = self.versions(name)?;
        Ok(resolve(name, &versions.versions, req)?.clone())
    }

    /// A version's package file, checked against the index's sha256.
    pub fn fetch(&self, name: &PackageName, version: &Version) -> Result<Vec<u8>, MirrorError> {
        let versions = self.versions(name)?;
        let info = versions
            .versions
            .iter()
            .find(|v| &v.version == version)
            .ok_or_else(|| ResolveError::UnknownVersion {
                name: name.clone(),
                version: version.clone(),
            })?;
        let path = package_file(&self.root, name, version);
        let bytes = std::fs::read(&path).map_err(io_error(&path))?;
        let actual = package_sha256(&bytes);
        if actual != info.package_sha256 {
            return Err(MirrorError::FileChanged {
                path,
                expected: info.package_sha256.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Every package in the mirror, ordered by name.
    pub fn packages(&self) -> Result<Vec<PackageVersions>, MirrorError> {
        let dir = self.root.join(PACKAGES_DIR);
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_error(&dir))? {
            let entry = entry.map_err(io_error(&dir))?;
            // Anything that is not a valid package name is not ours; skip it.
            if let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|n| PackageName::new(n).ok())
            {
                names.push(name);
            }
        }
        names.sort();
        names.iter().map(|n| self.versions(n)).collect()
    }

    /// Packages whose name, title, description or vendor contains `text`, like the
    /// registry's search.
    pub fn search(&self, text: &str) -> Result<Vec<PackageSummary>, MirrorError> {
        let needle = text.trim().to_lowercase();
        let mut out = Vec::new();
        for p in self.packages()? {
            let Some(shown) = p
                .versions
                .iter()
                .rev()
                .find(|v| !v.yanked)
                .or(p.versions.last())
            else {
                continue;
            };
            let summary = PackageSummary {
                name: p.name.clone(),
                vendor: p.vendor.clone(),
                kind: shown.kind,
                title: shown.title.clone(),
                description: shown.description.clone(),
                latest: p
                    .versions
                    .iter()
                    .rev()
                    .find(|v| !v.yanked)
                    .map(|v| v.version.clone()),
                versions: p.versions.len(),
            };
            let fields = [
                summary.name.as_str(),
                summary.vendor.as_str(),
                &summary.title,
                &summary.description,
            ];
            if needle.is_empty() || fields.iter().any(|f| f.to_lowercase().contains(&needle)) {
                out.push(summary);
            }
        }
        Ok(out)
    }

    pub fn vendors(&self) -> Result<Vec<VendorInfo>, MirrorError> {
        read_json(&self.root.join(VENDORS_FILE))
    }

    /// Revocations and rotations as of the export: apply them to the trust store.
    pub fn key_events(&self) -> Result<KeyEvents, MirrorError> {
        read_json(&self.root.join(KEY_EVENTS_FILE))
    }
}
