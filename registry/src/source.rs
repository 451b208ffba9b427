//! Where a region gets packages from: a registry over HTTP, or a mirror directory with no
//! registry running. Both answer the same questions with the same resolution rules, so an
//! installer is written once against [`PackageSource`].

use std::path::PathBuf;

use semver::VersionReq;

use crate::api::{KeyEvents, PackageSummary, PackageVersions, VersionInfo};
use crate::client::{Client, ClientError, Progress};
use crate::mirror::{DirectorySource, MirrorError};
use crate::name::PackageName;

/// A registry or a mirror directory.
#[derive(Debug, Clone)]
pub enum PackageSource {
    Registry(Client),
    Directory(DirectorySource),
}

/// Why a source could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Registry(#[from] ClientError),
    #[error(transparent)]
    Directory(#[from] MirrorError),
}

impl PackageSource {
    /// `http://…` or `https://…` is a registry; anything else is a mirror directory's path.
    pub fn open(location: &str) -> Result<PackageSource, SourceError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            Ok(PackageSource::Registry(Client::new(location)?))
        } else {
            Ok(PackageSource::Directory(DirectorySource::open(
                &PathBuf::from(location),
            )?))
        }
    }

    pub async fn search(&self, text: &str) -> Result<Vec<PackageSummary>, SourceError> {
        Ok(match self {
            PackageSource::Registry(c) => c.search(text).await?,
            PackageSource::Directory(d) => d.search(text)?,
        })
    }

    pub async fn versions(&self, name: &PackageName) -> Result<PackageVersions, SourceError> {
        Ok(match self {
            PackageSource::Registry(c) => c.versions(name).await?,
            PackageSource::Directory(d) => d.versions(name)?,
        })
    }

    /// The highest unyanked version matching `req` (a yanked one only for an exact pin).
    pub async fn resolve(
        &self,
        name: &PackageName,
        req: &VersionReq,
    ) -> Result<VersionInfo, SourceError> {
        Ok(match self {
            PackageSource::Registry(c) => c.resolve(name, req).await?,
            PackageSource::Directory(d) => d.resolve(name, req)?,
        })
    }

    /// The package file of `info`, checked against its listed sha256. Verify it with the
    /// region's [`crate::TrustStore`] before installing.
    pub async fn fetch(
        &self,
        info: &VersionInfo,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Vec<u8>, SourceError> {
        Ok(match self {
            PackageSource::Registry(c) => c.fetch(info, progress).await?,
            PackageSource::Directory(d) => {
                let bytes = d.fetch(&info.name, &info.version)?;
                let total = bytes.len() as u64;
                progress(Progress {
                    done: total,
                    total: Some(total),
                });
                bytes
            }
        })
    }

    /// Revocations and rotations to apply to the region's trust store.
    pub async fn key_events(&self) -> Result<KeyEvents, SourceError> {
        Ok(match self {
            PackageSource::Registry(c) => c.key_events().await?,
            PackageSource::Directory(d) => d.key_events()?,
        })
    }
}
