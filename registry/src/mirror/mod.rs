//! Air-gapped mirrors: a registry's public contents as a directory that can be carried to a
//! network without the registry, imported into another registry there, or read directly by
//! a host as a package source ([`DirectorySource`]) with the same resolution rules.
//!
//! ```text
//! DIR/zemstvo-mirror.json              {"format": "zemstvo-mirror/1", "exported_at": ...}
//! DIR/vendors.json                     [VendorInfo]: vendors and their public keys
//! DIR/key-events.json                  KeyEvents: revocations and rotation statements
//! DIR/packages/NAME/index.json         PackageVersions: every version, yanked flags
//! DIR/packages/NAME/VERSION.zpkg       the package files, exactly as published
//! ```
//!
//! Paths are built only from validated [`PackageName`]s and semver versions, so no entry
//! of an index can point outside the directory. Files are written atomically (temporary
//! file, then rename), and a package file already in the mirror is never replaced by
//! different bytes: versions are immutable here too.

mod source;
mod transfer;
mod writer;

use std::path::{Path, PathBuf};

use semver::Version;
use serde::{Deserialize, Serialize};

pub use source::DirectorySource;
pub use transfer::{ImportSummary, export_store, import_into_store};
pub use writer::MirrorWriter;

use crate::name::PackageName;
use crate::resolve::ResolveError;
use crate::store::StoreError;
use crate::trust::TrustError;

pub const MARKER_FILE: &str = "zemstvo-mirror.json";
pub const VENDORS_FILE: &str = "vendors.json";
pub const KEY_EVENTS_FILE: &str = "key-events.json";
pub const PACKAGES_DIR: &str = "packages";
const FORMAT: &str = "zemstvo-mirror/1";

/// The marker that makes a directory a mirror.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Marker {
    format: String,
    exported_at: i64,
}

/// Why a mirror could not be written, read or imported.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error(
        "{0} is not a zemstvo mirror (it has no {MARKER_FILE}); make one with `zemstvo registry \
         export DIR`"
    )]
    NotAMirror(PathBuf),
    #[error("{path}: {why}")]
    Io { path: PathBuf, why: String },
    #[error("{path} is malformed: {why}; export the mirror again")]
    Malformed { path: PathBuf, why: String },
    #[error(
        "{path} has sha256 {actual}, but the mirror's index says {expected}: the file changed \
         after export; export the mirror again"
    )]
    FileChanged {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(
        "{name} {version} is already present with different bytes; versions never change, so \
         the import stops here (nothing of this package was changed)"
    )]
    VersionConflict { name: PackageName, version: Version },
    #[error("{context}: {source}")]
    Trust {
        context: String,
        #[source]
        source: TrustError,
    },
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn io_error(path: &Path) -> impl Fn(std::io::Error) -> MirrorError + '_ {
    move |e| MirrorError::Io {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// Where a package's files live in a mirror.
pub(crate) fn package_dir(root: &Path, name: &PackageName) -> PathBuf {
    root.join(PACKAGES_DIR).join(name.as_str())
}

pub(crate) fn package_file(root: &Path, name: &PackageName, version: &Version) -> PathBuf {
    package_dir(root, name).join(format!("{version}.zpkg"))
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, MirrorError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    serde_json::from_slice(&bytes).map_err(|e| MirrorError::Malformed {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}
