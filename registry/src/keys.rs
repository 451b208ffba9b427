//! Signing keys: generation, public keys as text (`ed25519:<hex>`), and key ids derived from
//! the public key so that an id can never name two different keys.
//!
//! A key id is the first 16 bytes of `sha256(algorithm name || 0x00 || public key bytes)`,
//! as 32 lowercase hex digits. Trust stores, envelopes, the registry and revocation records
//! all refer to keys by this id, and every place that meets a public key next to an id checks
//! that the id is derived from it.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::signature::{SignatureAlgorithm, SignedDomain};

/// Why a key or a signature could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "`{0}` is not a public key; public keys are written `ed25519:` followed by 64 hex digits \
         (see the public-key.json written by `zemstvo keys new`)"
    )]
    MalformedPublicKey(String),
    #[error("`{0}` is not a key id: key ids are 32 lowercase hex digits")]
    MalformedKeyId(String),
    #[error(
        "signature algorithm {0} is not supported by this build of zemstvo; use an ed25519 key"
    )]
    Unsupported(SignatureAlgorithm),
    #[error("the signature is not {expected} bytes of hex")]
    MalformedSignature { expected: usize },
    #[error("the signature does not verify with key {0}")]
    BadSignature(KeyId),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// A key's id: 32 lowercase hex digits derived from its public key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for KeyId {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(KeyId(s.to_string()))
        } else {
            Err(KeyError::MalformedKeyId(s.to_string()))
        }
    }
}

impl TryFrom<String> for KeyId {
    type Error = KeyError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<KeyId> for String {
    fn from(k: KeyId) -> String {
        k.0
    }
}

/// A public key of a known algorithm, written `ed25519:<64 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicKey {
    algorithm: SignatureAlgorithm,
    bytes: Vec<u8>,
}

impl PublicKey {
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn key_id(&self) -> KeyId {
        let mut hasher = Sha256::new();
        hasher.update(self.algorithm.name().as_bytes());
        hasher.update([0]);
        hasher.update(&self.bytes);
        KeyId(hex::encode(&hasher.finalize()[..16]))
    }

    /// Checks `signature` (hex) over `body` in `domain`.
    pub fn verify(
        &self,
        domain: SignedDomain,
        body: &[u8],
        signature_hex: &str,
    ) -> Result<(), KeyError> {
        match self.algorithm {
            SignatureAlgorithm::Ed25519 => {
                let key = self.ed25519()?;
                let bytes: [u8; 64] = hex::decode(signature_hex)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or(KeyError::MalformedSignature { expected: 64 })?;
                let signature = ed25519_dalek::Signature::from_bytes(&bytes);
                // `verify_strict` refuses weak keys and malleable signatures, so one message
                // has one valid signature per key.
                key.verify_strict(&domain.message(body), &signature)
                    .map_err(|_| KeyError::BadSignature(self.key_id()))
            }
            other => Err(KeyError::Unsupported(other)),
        }
    }

    fn ed25519(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        let bytes: [u8; 32] = self
            .bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::MalformedPublicKey(self.to_string()))?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyError::MalformedPublicKey(self.to_string()))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, hex::encode(&self.bytes))
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || KeyError::MalformedPublicKey(s.to_string());
        let (algorithm, key) = s.split_once(':').ok_or_else(malformed)?;
        let algorithm: SignatureAlgorithm = algorithm.parse().map_err(|_| malformed())?;
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(malformed());
        }
        let bytes = hex::decode(key).map_err(|_| malformed())?;
        let key = PublicKey { algorithm, bytes };
        match algorithm {
            SignatureAlgorithm::Ed25519 => {
                key.ed25519()?;
            }
            other => return Err(KeyError::Unsupported(other)),
        }
        Ok(key)
    }
}

impl TryFrom<String> for PublicKey {
    type Error = KeyError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PublicKey> for String {
    fn from(k: PublicKey) -> String {
        k.to_string()
    }
}

/// A secret signing key. Its bytes are wiped from memory when it is dropped.
pub struct SecretKey {
    key: ed25519_dalek::SigningKey,
}

impl SecretKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(SecretKey { key })
    }

    /// The key whose 32-byte ed25519 seed this is.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SecretKey {
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Ed25519
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            algorithm: SignatureAlgorithm::Ed25519,
            bytes: self.key.verifying_key().to_bytes().to_vec(),
        }
    }

    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs `body` in `domain`; the signature as lowercase hex.
    pub fn sign(&self, domain: SignedDomain, body: &[u8]) -> String {
        hex::encode(self.key.sign(&domain.message(body)).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

/// A fresh random value for challenges and tokens, as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_is_derived_from_the_public_key() {
        let key = SecretKey::from_seed(&[7; 32]);
        let public = key.public_key();
        assert_eq!(public.key_id(), key.key_id());
        assert_eq!(public.key_id().as_str().len(), 32);
        let other = SecretKey::from_seed(&[8; 32]);
        assert_ne!(other.key_id(), key.key_id());
    }

    #[test]
    fn public_keys_round_trip_through_text() {
        let public = SecretKey::from_seed(&[1; 32]).public_key();
        let text = public.to_string();
        assert!(text.starts_with("ed25519:"), "{text}");
        assert_eq!(text.parse::<PublicKey>().unwrap(), public);
        for bad in ["ed25519:zz", "rsa:00", "ed25519", "ed25519:0011"] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_signature_verifies_only_for_its_domain_and_body() {
        let key = SecretKey::from_seed(&[3; 32]);
        let public = key.public_key();
        let sig = key.sign(SignedDomain::Manifest, b"body");
        assert!(public.verify(SignedDomain::Manifest, b"body", &sig).is_ok());
        assert_eq!(
            public.verify(SignedDomain::Manifest, b"bodY", &sig),
            Err(KeyError::BadSignature(public.key_id()))
        );
        assert!(
            public
                .verify(SignedDomain::PublishRequest, b"body", &sig)
                .is_err()
        );
        assert_eq!(
            public.verify(SignedDomain::Manifest, b"body", "00"),
            Err(KeyError::MalformedSignature { expected: 64 })
        );
    }
}
