//! A region's trust store: which vendor keys it accepts, for which package names, and which
//! keys it has stopped accepting. A plain, serde-serialisable value: the region keeps it in
//! its database, the CLI tests in a JSON file ([`TrustStore::load`], [`TrustStore::save`]).
//!
//! [`TrustStore::verify`] is the one check between a package file and the runtime. In order:
//! 1. the component's sha256 and size are the ones the manifest pins ("a changed byte");
//! 2. the envelope's algorithm is one this build verifies;
//! 3. some signature is by a key that is trusted ("unknown key"), not revoked ("revoked
//!    key"), verifies over the canonical manifest with the key the store holds ("edited
//!    manifest"), belongs to the manifest's vendor, and is trusted for the package's name
//!    ("outside the key's scope").
//!
//! One good signature is enough; when none is, the error is the most telling failure among
//! the signatures (a bad signature before a revoked key before a wrong vendor before a name
//! outside the scope before an unknown key).
//!
//! Rotation: a key introduced by a valid [`RotationStatement`] from a trusted, unrevoked key
//! is trusted for the same vendor and names. Revoking the old key later does not revoke the
//! new one (that is the point of rotating); if an attacker may have held the old key, revoke
//! the keys it introduced as well.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{KeyId, PublicKey};
use crate::manifest::Manifest;
use crate::name::{NamePattern, VendorId, describe_scope, in_scope};
use crate::package::{Package, PackageError};
use crate::rotation::{Revocation, RotationError, RotationStatement};
use crate::signature::{SignatureAlgorithm, SignedDomain};

/// A key the region accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    pub public_key: PublicKey,
    /// The vendor whose packages this key signs; a package naming another vendor is refused.
    pub vendor: VendorId,
    /// The package names this key may sign.
    pub scope: Vec<NamePattern>,
    /// The key whose rotation statement introduced this one, if any (for the audit trail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_from: Option<KeyId>,
}

/// Which vendor keys a region accepts, and which it has revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustStore {
    #[serde(default)]
    keys: BTreeMap<KeyId, TrustedKey>,
    #[serde(default)]
    revocations: BTreeMap<KeyId, Revocation>,
}

/// What a successful verification established; worth recording with each install and run.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub manifest: Manifest,
    /// The key whose signature was accepted.
    pub key_id: KeyId,
    pub vendor: VendorId,
    pub component_sha256: String,
}

/// Why a package (or a change to the store) was refused. Each names the failing check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrustError {
    #[error("the package is malformed: {0}")]
    Malformed(#[from] PackageError),
    #[error(
        "the component of {name} does not match its manifest: its sha256 is {actual} but the \
         manifest pins {expected}, so a byte changed after signing; do not use this file, \
         download the package again"
    )]
    ComponentChanged {
        name: String,
        expected: String,
        actual: String,
    },
    #[error(
        "the package is signed with {0}, which this build cannot verify; ask the vendor for an \
         ed25519 signature"
    )]
    UnsupportedAlgorithm(SignatureAlgorithm),
    #[error(
        "{name} is signed by unknown key {}; this region does not trust it: if you trust the \
         vendor, add their public key to the trust store", key_list(.key_ids)
    )]
    UnknownKey { name: String, key_ids: Vec<KeyId> },
    #[error(
        "{name} is signed by revoked key {key_id} (revoked: {reason}); ask the vendor for a \
         version signed with their current key"
    )]
    RevokedKey {
        name: String,
        key_id: KeyId,
        reason: String,
    },
    #[error(
        "the signature by key {key_id} does not match the manifest: the manifest was edited \
         after signing (bad signature); do not use this package"
    )]
    BadSignature { key_id: KeyId },
    #[error(
        "key {key_id} belongs to vendor {key_vendor}, but the manifest names vendor \
         {manifest_vendor}; the package is not that vendor's"
    )]
    VendorMismatch {
        key_id: KeyId,
        key_vendor: VendorId,
        manifest_vendor: VendorId,
    },
    #[error(
        "key {key_id} is trusted for {scope} only; package name {name} is outside the key's \
         scope: widen the key's scope in the trust store if the vendor should sign it"
    )]
    OutsideScope {
        key_id: KeyId,
        name: String,
        scope: String,
    },
    #[error("key {0} is revoked and cannot be trusted again; ask the vendor for a new key")]
    CannotTrustRevoked(KeyId),
    #[error("rotation refused: {0}")]
    Rotation(#[from] RotationError),
    #[error(
        "rotation refused: the old key {0} is not trusted here, so it cannot hand on trust; add \
         the vendor's current key instead"
    )]
    RotationFromUnknownKey(KeyId),
    #[error("rotation refused: the old key {0} is revoked, so it cannot hand on trust")]
    RotationFromRevokedKey(KeyId),
    #[error("trust store {path}: {why}")]
    File { path: PathBuf, why: String },
}

fn key_list(ids: &[KeyId]) -> String {
    ids.iter().map(KeyId::as_str).collect::<Vec<_>>().join(", ")
}

impl TrustError {
    /// How telling a failure is, when several signatures fail differently.
    fn rank(&self) -> u8 {
        match self {
            TrustError::BadSignature { .. } => 5,
            TrustError::RevokedKey { .. } => 4,
            TrustError::VendorMismatch { .. } => 3,
            TrustError::OutsideScope { .. } => 2,
            _ => 1,
        }
    }
}

impl TrustStore {
    pub fn new() -> Self {
        TrustStore::default()
    }

    /// Trusts `public_key` for `vendor`'s packages whose names match `scope`. Adding a key
    /// again replaces its vendor and scope. A revoked key cannot be trusted again.
    pub fn trust(
        &mut self,
        public_key: PublicKey,
        vendor: VendorId,
        scope: Vec<NamePattern>,
    ) -> Result<KeyId, TrustError> {
        let key_id = public_key.key_id();
        if self.revocations.contains_key(&key_id) {
            return Err(TrustError::CannotTrustRevoked(key_id));
        }
        self.keys.insert(
            key_id.clone(),
            TrustedKey {
                public_key,
                vendor,
                scope,
                rotated_from: None,
            },
        );
        Ok(key_id)
    }

    /// Stops trusting a key without revoking it (it may be trusted again). Returns whether
    /// it was trusted.
    pub fn distrust(&mut self, key_id: &KeyId) -> bool {
        self.keys.remove(key_id).is_some()
    }

    /// Trusts the statement's new key for the old key's vendor and scope, if the statement is
    /// signed by both keys and the old key is trusted and not revoked. Applying the same
    /// statement twice is harmless.
    pub fn apply_rotation(&mut self, statement: &RotationStatement) -> Result<KeyId, TrustError> {
        statement.verify()?;
        let old_id = statement.old_key_id();
        let new_id = statement.new_key_id();
        if self.revocations.contains_key(&old_id) {
            return Err(TrustError::RotationFromRevokedKey(old_id));
        }
        let old = match self.keys.get(&old_id) {
            Some(old) if old.public_key == statement.old_key => old.clone(),
            _ => return Err(TrustError::RotationFromUnknownKey(old_id)),
        };
        if self.revocations.contains_key(&new_id) {
            return Err(TrustError::CannotTrustRevoked(new_id));
        }
        self.keys.entry(new_id.clone()).or_insert(TrustedKey {
            public_key: statement.new_key.clone(),
            vendor: old.vendor,
            scope: old.scope,
            rotated_from: Some(old_id),
        });
        Ok(new_id)
    }

    /// Records a revocation; the key is refused from now on, whether or not it was trusted.
    pub fn revoke(&mut self, revocation: Revocation) {
        self.revocations
            .entry(revocation.key_id.clone())
            .or_insert(revocation);
    }

    pub fn key(&self, key_id: &KeyId) -> Option<&TrustedKey> {
        self.keys.get(key_id)
    }

    pub fn keys(&self) -> impl Iterator<Item = (&KeyId, &TrustedKey)> {
        self.keys.iter()
    }

    pub fn revocation(&self, key_id: &KeyId) -> Option<&Revocation> {
        self.revocations.get(key_id)
    }

    pub fn revocations(&self) -> impl Iterator<Item = &Revocation> {
        self.revocations.values()
    }

    /// Reads a package file and verifies it: the one call an installer (and every load from
    /// disk) needs.
    pub fn verify_bytes(&self, bytes: &[u8]) -> Result<(Package, Verified), TrustError> {
        let package = Package::read(bytes)?;
        let verified = self.verify(&package)?;
        Ok((package, verified))
    }

    /// Whether this region may run `package`; see the module documentation for the checks.
    pub fn verify(&self, package: &Package) -> Result<Verified, TrustError> {
        package.check_component_hash()?;
        let envelope = package.envelope();
        if !envelope.algorithm.is_supported() {
            return Err(TrustError::UnsupportedAlgorithm(envelope.algorithm));
        }
        let manifest = package.manifest();
        let name = manifest.name.to_string();
        let mut unknown = Vec::new();
        let mut failure: Option<TrustError> = None;
        for signature in &envelope.signatures {
            let key_id = &signature.key_id;
            let outcome = if let Some(revocation) = self.revocations.get(key_id) {
                Err(TrustError::RevokedKey {
                    name: name.clone(),
                    key_id: key_id.clone(),
                    reason: revocation.reason.clone(),
                })
            } else if let Some(trusted) = self.keys.get(key_id) {
                check_signature(package, trusted, key_id, &signature.signature)
            } else {
                unknown.push(key_id.clone());
                continue;
            };
            match outcome {
                Ok(()) => {
                    return Ok(Verified {
                        manifest: manifest.clone(),
                        key_id: key_id.clone(),
                        vendor: manifest.vendor.clone(),
                        component_sha256: manifest.component_sha256.clone(),
                    });
                }
                Err(e) => {
                    if failure.as_ref().is_none_or(|f| e.rank() > f.rank()) {
                        failure = Some(e);
                    }
                }
            }
        }
        Err(failure.unwrap_or(TrustError::UnknownKey {
            name,
            key_ids: unknown,
        }))
    }

    /// Reads a trust store file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<TrustStore, TrustError> {
        let file_error = |why: String| TrustError::File {
            path: path.to_path_buf(),
            why,
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| file_error(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrustStore::new()),
            Err(e) => Err(file_error(e.to_string())),
        }
    }

    /// Writes the store as JSON, replacing the file atomically (write, sync, rename).
    pub fn save(&self, path: &Path) -> Result<(), TrustError> {
        let file_error = |why: String| TrustError::File {
            path: path.to_path_buf(),
            why,
        };
        // A map of our own serialisable types; JSON encoding cannot fail.
        let mut bytes = serde_json::to_vec_pretty(self).expect("trust stores serialise");
        bytes.push(b'\n');
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| file_error(e.to_string()))
    }
}

/// One signature against the key the store holds for its id.
fn check_signature(
    package: &Package,
    trusted: &TrustedKey,
    key_id: &KeyId,
    signature_hex: &str,
) -> Result<(), TrustError> {
    // Verify with the key we hold, not the one the envelope carries.
    trusted
        .public_key
        .verify(
            SignedDomain::Manifest,
            package.manifest_bytes(),
            signature_hex,
        )
        .map_err(|_| TrustError::BadSignature {
            key_id: key_id.clone(),
        })?;
    let manifest = package.manifest();
    if trusted.vendor != manifest.vendor {
        return Err(TrustError::VendorMismatch {
            key_id: key_id.clone(),
            key_vendor: trusted.vendor.clone(),
            manifest_vendor: manifest.vendor.clone(),
        });
    }
    if !in_scope(&trusted.scope, &manifest.name) {
        return Err(TrustError::OutsideScope {
            key_id: key_id.clone(),
            name: manifest.name.to_string(),
            scope: describe_scope(&trusted.scope),
        });
    }
    Ok(())
}
