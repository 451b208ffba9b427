//! Key files on disk, as `zemstvo keys new` writes them:
//!
//! - `signing-key.json` — the secret key, created with mode 0600 and never overwritten;
//! - `public-key.json` — what a vendor hands to the registry operator and to regions.
//!
//! Both are small JSON objects with a `format` field, so a later format can be told apart.
//! A secret key file that others can read is refused, as ssh refuses such a private key: the
//! fix (`chmod 600`) is in the message.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, KeyId, PublicKey, SecretKey};
use crate::signature::SignatureAlgorithm;

pub const SECRET_KEY_FILE: &str = "signing-key.json";
pub const PUBLIC_KEY_FILE: &str = "public-key.json";
const SECRET_FORMAT: &str = "zemstvo-secret-key/1";
const PUBLIC_FORMAT: &str = "zemstvo-public-key/1";

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "{0} already exists; zemstvo never overwrites a key: choose another --out directory or \
         move the old key away first"
    )]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a zemstvo {what} file ({why}); pass the {file} written by `zemstvo keys new`"
    )]
    Malformed {
        path: PathBuf,
        what: &'static str,
        file: &'static str,
        why: String,
    },
    #[error(
        "{path} can be read by other users (mode {mode:o}); a signing key must be private: run \
         `chmod 600 {path}`"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(transparent)]
    Key(#[from] KeyError),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretKeyFile {
    format: String,
    algorithm: SignatureAlgorithm,
    key_id: KeyId,
    public_key: PublicKey,
    /// The 32-byte ed25519 seed, hex.
    secret_key: String,
}

/// What `public-key.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyFile {
    pub format: String,
    pub key_id: KeyId,
    pub public_key: PublicKey,
}

/// The two files of a new key pair.
#[derive(Debug, Clone)]
pub struct KeyPairFiles {
    pub secret: PathBuf,
    pub public: PathBuf,
}

/// Writes `key` as `signing-key.json` (mode 0600) and `public-key.json` into `dir`, creating
/// `dir` if needed. Refuses to overwrite either file.
pub fn write_key_pair(dir: &Path, key: &SecretKey) -> Result<KeyPairFiles, KeyFileError> {
    std::fs::create_dir_all(dir).map_err(|source| KeyFileError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let files = KeyPairFiles {
        secret: dir.join(SECRET_KEY_FILE),
        public: dir.join(PUBLIC_KEY_FILE),
    };
    for path in [&files.secret, &files.public] {
        if path.exists() {
            return Err(KeyFileError::Exists(path.clone()));
        }
    }
    let secret = SecretKeyFile {
        format: SECRET_FORMAT.to_string(),
        algorithm: key.algorithm(),
        key_id: key.key_id(),
        public_key: key.public_key(),
        secret_key: hex::encode(key.seed()),
    };
    write_new(&files.secret, &to_json(&secret), 0o600)?;
    write_new(&files.public, &to_json(&public_key_file(key)), 0o644)?;
    Ok(files)
}

/// The public half of `key`, as `public-key.json` holds it.
pub fn public_key_file(key: &SecretKey) -> PublicKeyFile {
    PublicKeyFile {
        format: PUBLIC_FORMAT.to_string(),
        key_id: key.key_id(),
        public_key: key.public_key(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Our own structs of strings serialise without fail.
    let mut bytes = serde_json::to_vec_pretty(value).expect("key files serialise");
    bytes.push(b'\n');
    bytes
}

/// Creates `path` with `mode` (on Unix, from the first byte: never briefly world-readable).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyFileError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_path_buf())
        } else {
            KeyFileError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyFileError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Reads a `signing-key.json`, refusing it if other users can read it.
pub fn read_secret_key(path: &Path) -> Result<SecretKey, KeyFileError> {
    let malformed = |why: String| KeyFileError::Malformed {
        path: path.to_path_buf(),
        what: "signing key",
        file: SECRET_KEY_FILE,
        why,
    };
    let bytes = std::fs::read(path).map_err(|source| KeyFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| KeyFileError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::TooOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let file: SecretKeyFile =
        serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
    if file.format != SECRET_FORMAT {
        return Err(malformed(format!("unknown format `{}`", file.format)));
    }
    if !file.algorithm.is_supported() {
        return Err(KeyError::Unsupported(file.algorithm).into());
    }
    let seed: [u8; 32] = hex::decode(&file.secret_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| malformed("secret_key is not 64 hex digits".into()))?;
    let key = SecretKey::from_seed(&seed);
    if key.public_key() != file.public_key || key.key_id() != file.key_id {
        return Err(malformed(
            "its public key or key id does not belong to its secret key".into(),
        ));
    }
    Ok(key)
}

/// Reads a `public-key.json`; also accepts a file holding just `ed25519:<hex>`.
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    let malformed = |why: String| KeyFileError::Malformed {
        path: path.to_path_buf(),
        what: "public key",
        file: PUBLIC_KEY_FILE,
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if let Ok(key) = text.trim().parse::<PublicKey>() {
        return Ok(key);
    }
    let file: PublicKeyFile = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    if file.format != PUBLIC_FORMAT {
        return Err(malformed(format!("unknown format `{}`", file.format)));
    }
    if file.public_key.key_id() != file.key_id {
        return Err(malformed(
            "its key id does not belong to its public key".into(),
        ));
    }
    Ok(file.public_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_pair_is_written_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let files = write_key_pair(dir.path(), &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.secret)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            read_secret_key(&files.secret).unwrap().key_id(),
            key.key_id()
        );
        assert_eq!(read_public_key(&files.public).unwrap(), key.public_key());
    }

    #[test]
    fn an_existing_key_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        write_key_pair(dir.path(), &SecretKey::generate().unwrap()).unwrap();
        let err = write_key_pair(dir.path(), &SecretKey::generate().unwrap()).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists(_)), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_key_readable_by_others_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let files = write_key_pair(dir.path(), &SecretKey::generate().unwrap()).unwrap();
        std::fs::set_permissions(&files.secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_secret_key(&files.secret).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
