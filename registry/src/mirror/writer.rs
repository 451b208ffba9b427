//! Writing a mirror directory, from a registry's database or over its HTTP API.

use std::path::{Path, PathBuf};

use super::{
    FORMAT, KEY_EVENTS_FILE, MARKER_FILE, Marker, MirrorError, PACKAGES_DIR, VENDORS_FILE,
    io_error, package_dir, package_file,
};
use crate::api::{KeyEvents, PackageVersions, VendorInfo, VersionInfo};
use crate::package::package_sha256;

/// Writes a mirror directory. Re-exporting into the same directory updates indexes and adds
/// new versions; it never replaces a package file with different bytes.
#[derive(Debug)]
pub struct MirrorWriter {
    root: PathBuf,
}

impl MirrorWriter {
    /// Creates `dir` (if needed) as a mirror. Refuses a non-empty directory that is not
    /// already a mirror, so an export never scatters files into the wrong place.
    pub fn create(dir: &Path, exported_at: i64) -> Result<MirrorWriter, MirrorError> {
        std::fs::create_dir_all(dir.join(PACKAGES_DIR)).map_err(io_error(dir))?;
        let marker = dir.join(MARKER_FILE);
        if !marker.exists() {
            let others = std::fs::read_dir(dir)
                .map_err(io_error(dir))?
                .filter_map(Result::ok)
                .any(|e| e.file_name() != PACKAGES_DIR);
            if others {
                return Err(MirrorError::Io {
                    path: dir.to_path_buf(),
                    why: "the directory is not empty and is not a mirror; export into an empty \
                          directory"
                        .into(),
                });
            }
        }
        let writer = MirrorWriter {
            root: dir.to_path_buf(),
        };
        writer.write_json(
            &marker,
            &Marker {
                format: FORMAT.to_string(),
                exported_at,
            },
        )?;
        Ok(writer)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn write_vendors(&self, vendors: &[VendorInfo]) -> Result<(), MirrorError> {
        self.write_json(&self.root.join(VENDORS_FILE), &vendors)
    }

    pub fn write_key_events(&self, events: &KeyEvents) -> Result<(), MirrorError> {
        self.write_json(&self.root.join(KEY_EVENTS_FILE), events)
    }

    /// Writes a package's index (after its files, so an index never names a missing file).
    pub fn write_index(&self, versions: &PackageVersions) -> Result<(), MirrorError> {
        let dir = package_dir(&self.root, &versions.name);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        self.write_json(&dir.join("index.json"), versions)
    }

    /// Whether the mirror already holds this version's file with the right bytes (so an
    /// export over HTTP can skip downloading it).
    pub fn has_file(&self, info: &VersionInfo) -> bool {
        let path = package_file(&self.root, &info.name, &info.version);
        std::fs::read(path).is_ok_and(|bytes| package_sha256(&bytes) == info.package_sha256)
    }

    /// Writes a version's package file, checking it is the file the listing describes.
    pub fn write_file(&self, info: &VersionInfo, bytes: &[u8]) -> Result<(), MirrorError> {
        let path = package_file(&self.root, &info.name, &info.version);
        let actual = package_sha256(bytes);
        if actual != info.package_sha256 {
            return Err(MirrorError::FileChanged {
                path,
                expected: info.package_sha256.clone(),
                actual,
            });
        }
        if let Ok(existing) = std::fs::read(&path) {
            if package_sha256(&existing) == actual {
                return Ok(());
            }
            return Err(MirrorError::VersionConflict {
                name: info.name.clone(),
                version: info.version.clone(),
            });
        }
        let dir = package_dir(&self.root, &info.name);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        write_atomically(&path, bytes)
    }

    fn write_json<T: serde::Serialize + ?Sized>(
        &self,
        path: &Path,
        value: &T,
    ) -> Result<(), MirrorError> {
        // Our own wire types always serialise.
        let mut bytes = serde_json::to_vec_pretty(value).expect("mirror files serialise");
        bytes.push(b'\n');
        write_atomically(path, &bytes)
    }
}

/// Write to a temporary file beside `path`, sync, rename: readers see the old file or the new
/// one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MirrorError> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_error(path))
}
