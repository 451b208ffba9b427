//! A package: one file holding a plugin's component, its manifest and the vendor's
//! signatures over the manifest (see [`crate::container`] for the layout).
//!
//! [`Package::read`] checks the shape of a file — container, canonical manifest, well-formed
//! envelope, a WebAssembly component — and nothing about trust. Whether the component still
//! has the hash the manifest pins, and whether a key the region trusts signed the manifest, is
//! [`crate::TrustStore::verify`]'s question, asked at install and at every load.

use sha2::{Digest, Sha256};

use crate::container::{self, COMPONENT_PART, ContainerError, MANIFEST_PART, SIGNATURES_PART};
use crate::keys::{KeyId, SecretKey};
use crate::manifest::{Manifest, ManifestError};
use crate::signature::{EnvelopeError, ManifestSignature, SignatureEnvelope, SignedDomain};
use crate::trust::TrustError;

/// Why a file is not a well-formed package.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("manifest.json: {0}")]
    Manifest(#[from] ManifestError),
    #[error("signatures.json is not a signature envelope: {0}")]
    Envelope(String),
    #[error("signatures.json: {0}")]
    EnvelopeShape(#[from] EnvelopeError),
    #[error(
        "component.wasm is not a WebAssembly component (it starts with {starts_with}); pack the \
         plugin built for wasm32-wasip2"
    )]
    NotAComponent { starts_with: String },
    #[error("cannot sign with {0}: {1}")]
    Signing(KeyId, String),
    #[error("a package needs at least one signing key")]
    NoKeys,
}

/// A well-formed package, not yet trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    manifest: Manifest,
    /// Exactly the bytes that were signed (canonical JSON of `manifest`).
    manifest_bytes: Vec<u8>,
    envelope: SignatureEnvelope,
    component: Vec<u8>,
}

impl Package {
    /// Signs `manifest` with every key in `keys` and bundles it with `component`.
    ///
    /// Refuses a component whose hash or size is not the one the manifest pins: a vendor never
    /// signs a package that would fail verification.
    pub fn sign(
        manifest: Manifest,
        component: Vec<u8>,
        keys: &[&SecretKey],
    ) -> Result<Package, PackageError> {
        if keys.is_empty() {
            return Err(PackageError::NoKeys);
        }
        let actual = hex::encode(Sha256::digest(&component));
        if actual != manifest.component_sha256 || component.len() as u64 != manifest.component_size
        {
            return Err(PackageError::Manifest(ManifestError::WrongComponent {
                actual,
                reported: manifest.component_sha256.clone(),
            }));
        }
        check_component(&component)?;
        let manifest_bytes = manifest.canonical_bytes()?;
        let signatures = keys
            .iter()
            .map(|key| ManifestSignature {
                key_id: key.key_id(),
                public_key: key.public_key(),
                signature: key.sign(SignedDomain::Manifest, &manifest_bytes),
            })
            .collect();
        let envelope = SignatureEnvelope {
            algorithm: keys[0].algorithm(),
            signatures,
        };
        envelope.check_shape()?;
        Ok(Package {
            manifest,
            manifest_bytes,
            envelope,
            component,
        })
    }

    /// Reads a package file, refusing anything malformed with the part that is wrong.
    pub fn read(bytes: &[u8]) -> Result<Package, PackageError> {
        let parts = container::decode(bytes)?;
        let manifest = Manifest::from_canonical_bytes(parts.manifest)?;
        let envelope: SignatureEnvelope = serde_json::from_slice(parts.signatures)
            .map_err(|e| PackageError::Envelope(envelope_error(&e)))?;
        envelope.check_shape()?;
        check_component(parts.component)?;
        Ok(Package {
            manifest,
            manifest_bytes: parts.manifest.to_vec(),
            envelope,
            component: parts.component.to_vec(),
        })
    }

    /// The package file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The envelope is our own struct of strings; it always serialises.
        let signatures = serde_json::to_vec(&self.envelope).expect("envelopes serialise");
        container::encode(&[
            (MANIFEST_PART, &self.manifest_bytes),
            (SIGNATURES_PART, &signatures),
            (COMPONENT_PART, &self.component),
        ])
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The signed bytes of the manifest.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    pub fn envelope(&self) -> &SignatureEnvelope {
        &self.envelope
    }

    /// The component, to hand to the host runtime to load once verified.
    pub fn component(&self) -> &[u8] {
        &self.component
    }

    pub fn into_component(self) -> Vec<u8> {
        self.component
    }

    /// Checks the component against the manifest's pin: its sha256 and its size.
    pub fn check_component_hash(&self) -> Result<(), TrustError> {
        let actual = hex::encode(Sha256::digest(&self.component));
        if actual != self.manifest.component_sha256
            || self.component.len() as u64 != self.manifest.component_size
        {
            return Err(TrustError::ComponentChanged {
                name: self.manifest.name.to_string(),
                expected: self.manifest.component_sha256.clone(),
                actual,
            });
        }
        Ok(())
    }

    /// What can be checked with no trust store: the component hash, and every signature
    /// against the public key it carries. Returns the signers' key ids. `zemstvo plugin verify`
    /// without `--trust` uses this; installing never does.
    pub fn check_self_consistent(&self) -> Result<Vec<KeyId>, TrustError> {
        self.check_component_hash()?;
        if !self.envelope.algorithm.is_supported() {
            return Err(TrustError::UnsupportedAlgorithm(self.envelope.algorithm));
        }
        self.envelope
            .signatures
            .iter()
            .map(|s| {
                s.public_key
                    .verify(SignedDomain::Manifest, &self.manifest_bytes, &s.signature)
                    .map(|()| s.key_id.clone())
                    .map_err(|_| TrustError::BadSignature {
                        key_id: s.key_id.clone(),
                    })
            })
            .collect()
    }

    /// Replaces the envelope (e.g. to add a co-signature); for tools and tests.
    pub fn with_envelope(mut self, envelope: SignatureEnvelope) -> Result<Package, PackageError> {
        envelope.check_shape()?;
        self.envelope = envelope;
        Ok(self)
    }
}

/// The sha256 of a package file, lowercase hex: how registries and mirrors name its bytes.
pub fn package_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A component starts with the WebAssembly magic and the component-model layer (`0x0d 0x00
/// 0x01 0x00`); core modules and other files are refused here rather than at install.
fn check_component(bytes: &[u8]) -> Result<(), PackageError> {
    const HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    if bytes.len() < HEADER.len() || bytes[..HEADER.len()] != HEADER {
        return Err(PackageError::NotAComponent {
            starts_with: container::describe_start(bytes),
        });
    }
    Ok(())
}

/// serde's message for an unknown algorithm already names it; keep it, drop the position.
fn envelope_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.contains("unknown signature algorithm") {
        let start = text.find("unknown signature algorithm").unwrap_or(0);
        let end = text.rfind(" at line").unwrap_or(text.len());
        return text[start..end.max(start)].to_string();
    }
    text
}
