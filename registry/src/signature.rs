//! Signature algorithms, the envelope a package carries its signatures in, and the
//! domain-separated messages that get signed.
//!
//! Every signature zemstvo makes is over `DOMAIN || 0x00 || body`, where the domain names what
//! is signed (a manifest, a key rotation, a publish request). A signature made for one purpose
//! therefore never verifies for another: a vendor's signed publish request cannot be replayed
//! as a manifest signature, and so on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::keys::{KeyId, PublicKey};

/// What a signature says it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedDomain {
    /// A package's canonical manifest.
    Manifest,
    /// A key rotation statement (signed by the old key and by the new key).
    KeyRotation,
    /// A publish request: the registry's one-time challenge and the upload's sha256.
    PublishRequest,
}

impl SignedDomain {
    pub fn tag(self) -> &'static str {
        match self {
            SignedDomain::Manifest => "zemstvo-package-manifest/1",
            SignedDomain::KeyRotation => "zemstvo-key-rotation/1",
            SignedDomain::PublishRequest => "zemstvo-publish-request/1",
        }
    }

    /// The exact bytes a signer signs for `body` in this domain.
    pub fn message(self, body: &[u8]) -> Vec<u8> {
        let tag = self.tag().as_bytes();
        let mut message = Vec::with_capacity(tag.len() + 1 + body.len());
        message.extend_from_slice(tag);
        message.push(0);
        message.extend_from_slice(body);
        message
    }
}

/// A signature algorithm, by the name written in envelopes and key files.
///
/// GOST R 34.10-2012 is named so that envelopes and trust stores can carry it once a certified
/// signer is added; this build refuses to verify or create it, saying so. Any other name is
/// refused when the envelope is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SignatureAlgorithm {
    Ed25519,
    GostR34102012,
}

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 2] = [
        SignatureAlgorithm::Ed25519,
        SignatureAlgorithm::GostR34102012,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::GostR34102012 => "gost-r-34.10-2012",
        }
    }

    /// Whether this build can verify and create signatures of this algorithm.
    pub fn is_supported(self) -> bool {
        self == SignatureAlgorithm::Ed25519
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A signature algorithm name this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown signature algorithm `{0}`; zemstvo knows ed25519 (and gost-r-34.10-2012, not yet \
     supported by this build); sign the package with `zemstvo plugin pack`"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for SignatureAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignatureAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAlgorithm(s.to_string()))
    }
}

impl TryFrom<String> for SignatureAlgorithm {
    type Error = UnknownAlgorithm;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SignatureAlgorithm> for String {
    fn from(a: SignatureAlgorithm) -> String {
        a.name().to_string()
    }
}

/// One signature over a package's manifest.
///
/// The public key travels with the signature so that `zemstvo plugin verify` can check the
/// signature without a trust store; trust is still decided by the key id (derived from the
/// key, and checked to match it) and the key a trust store holds for that id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestSignature {
    pub key_id: KeyId,
    pub public_key: PublicKey,
    /// The signature bytes, lowercase hex.
    pub signature: String,
}

/// The signatures a package carries, all of one algorithm; more than one lets a vendor sign
/// with an old and a new key while regions move between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEnvelope {
    pub algorithm: SignatureAlgorithm,
    pub signatures: Vec<ManifestSignature>,
}

/// Why an envelope is malformed (before any key is trusted or not).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error(
        "the signature envelope holds no signatures; sign the package with `zemstvo plugin pack --key`"
    )]
    Empty,
    #[error("the signature envelope holds {0} signatures; at most 16 are accepted")]
    TooMany(usize),
    #[error(
        "signature {index}: key id {key_id} does not belong to the public key it carries \
         (that key's id is {derived}); the envelope was edited"
    )]
    KeyIdMismatch {
        index: usize,
        key_id: KeyId,
        derived: KeyId,
    },
    #[error(
        "signature {index}: the envelope says {envelope} but the key is {key}; the envelope was \
         edited"
    )]
    AlgorithmMismatch {
        index: usize,
        envelope: SignatureAlgorithm,
        key: SignatureAlgorithm,
    },
    #[error("signature {index}: key {key_id} signs twice")]
    DuplicateKey { index: usize, key_id: KeyId },
}

/// At most this many signatures per package: room for rotations and co-signers, not for a
/// file that makes verification slow.
pub const MAX_SIGNATURES: usize = 16;

impl SignatureEnvelope {
    /// Checks what can be checked without knowing whom to trust: at least one signature, ids
    /// that match their keys, one algorithm, no key twice.
    pub fn check_shape(&self) -> Result<(), EnvelopeError> {
        if self.signatures.is_empty() {
            return Err(EnvelopeError::Empty);
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(EnvelopeError::TooMany(self.signatures.len()));
        }
        for (index, s) in self.signatures.iter().enumerate() {
            if s.public_key.algorithm() != self.algorithm {
                return Err(EnvelopeError::AlgorithmMismatch {
                    index,
                    envelope: self.algorithm,
                    key: s.public_key.algorithm(),
                });
            }
            let derived = s.public_key.key_id();
            if derived != s.key_id {
                return Err(EnvelopeError::KeyIdMismatch {
                    index,
                    key_id: s.key_id.clone(),
                    derived,
                });
            }
            if self.signatures[..index]
                .iter()
                .any(|o| o.key_id == s.key_id)
            {
                return Err(EnvelopeError::DuplicateKey {
                    index,
                    key_id: s.key_id.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_algorithm_is_refused_by_name() {
        let err = serde_json::from_str::<SignatureEnvelope>(
            r#"{"algorithm":"rsa-2048","signatures":[]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("unknown signature algorithm `rsa-2048`"),
            "{err}"
        );
    }

    #[test]
    fn gost_is_known_but_not_supported_yet() {
        let gost: SignatureAlgorithm = "gost-r-34.10-2012".parse().unwrap();
        assert!(!gost.is_supported());
        assert!(SignatureAlgorithm::Ed25519.is_supported());
    }

    #[test]
    fn domains_separate_what_is_signed() {
        let body = b"same body";
        assert_ne!(
            SignedDomain::Manifest.message(body),
            SignedDomain::PublishRequest.message(body)
        );
        assert!(
            SignedDomain::Manifest
                .message(body)
                .ends_with(b"\0same body")
        );
    }
}
