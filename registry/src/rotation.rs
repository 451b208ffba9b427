//! Key rotation statements and revocation records: how trust moves from one key to the next,
//! and how a key stops being trusted.
//!
//! A rotation statement says "key B replaces key A". It is signed by A (so only A's holder
//! can hand on A's trust) and by B (so nobody can rotate to a key they do not hold). A trust
//! store that trusts A, and has not revoked it, then trusts B for the same vendor and names.
//!
//! A revocation record says "stop trusting key K". The registry publishes the records its
//! operator makes; a region applies them to its trust store. A revocation only ever takes
//! trust away, so it needs no signature: whoever can reach the region's administrator with a
//! revocation could at worst stop a plugin from installing.

use serde::{Deserialize, Serialize};

use crate::canonical::to_canonical_bytes;
use crate::keys::{KeyId, PublicKey, SecretKey};
use crate::signature::SignedDomain;

const ROTATION_FORMAT: &str = "zemstvo-key-rotation/1";

/// "`new_key` replaces `old_key`", signed by both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationStatement {
    pub old_key: PublicKey,
    pub new_key: PublicKey,
    /// Unix seconds when the statement was made; informative, never compared with a clock.
    pub issued_at: i64,
    /// By the old key, over the canonical body (hex).
    pub old_signature: String,
    /// By the new key, over the same body (hex).
    pub new_signature: String,
}

/// What both signatures of a rotation are over.
#[derive(Serialize)]
struct RotationBody<'a> {
    format: &'static str,
    old_key: &'a PublicKey,
    old_key_id: KeyId,
    new_key: &'a PublicKey,
    new_key_id: KeyId,
    issued_at: i64,
}

/// Why a rotation statement is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("a key cannot replace itself; generate a new key with `zemstvo keys rotate`")]
    SameKey,
    #[error(
        "the rotation statement's signature by the old key {0} does not verify; the statement \
         was edited or not made with that key"
    )]
    BadOldSignature(KeyId),
    #[error(
        "the rotation statement's signature by the new key {0} does not verify; the statement \
         was edited or not made with that key"
    )]
    BadNewSignature(KeyId),
}

impl RotationStatement {
    /// `new` replaces `old`, signed by both.
    pub fn new(old: &SecretKey, new: &SecretKey, issued_at: i64) -> Self {
        let old_key = old.public_key();
        let new_key = new.public_key();
        let body = body(&old_key, &new_key, issued_at);
        RotationStatement {
            old_signature: old.sign(SignedDomain::KeyRotation, &body),
            new_signature: new.sign(SignedDomain::KeyRotation, &body),
            old_key,
            new_key,
            issued_at,
        }
    }

    pub fn old_key_id(&self) -> KeyId {
        self.old_key.key_id()
    }

    pub fn new_key_id(&self) -> KeyId {
        self.new_key.key_id()
    }

    /// Checks both signatures. Says nothing about whether the old key is trusted: that is the
    /// trust store's question.
    pub fn verify(&self) -> Result<(), RotationError> {
        if self.old_key == self.new_key {
            return Err(RotationError::SameKey);
        }
        let body = body(&self.old_key, &self.new_key, self.issued_at);
        self.old_key
            .verify(SignedDomain::KeyRotation, &body, &self.old_signature)
            .map_err(|_| RotationError::BadOldSignature(self.old_key_id()))?;
        self.new_key
            .verify(SignedDomain::KeyRotation, &body, &self.new_signature)
            .map_err(|_| RotationError::BadNewSignature(self.new_key_id()))?;
        Ok(())
    }
}

fn body(old_key: &PublicKey, new_key: &PublicKey, issued_at: i64) -> Vec<u8> {
    let body = RotationBody {
        format: ROTATION_FORMAT,
        old_key,
        old_key_id: old_key.key_id(),
        new_key,
        new_key_id: new_key.key_id(),
        issued_at,
    };
    // A struct of strings and an integer always has a canonical encoding.
    to_canonical_bytes("a rotation statement", &body).expect("rotation bodies encode")
}

/// "Stop trusting `key_id`", as a registry publishes it and a trust store applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub key_id: KeyId,
    /// Why, in the operator's words (shown to administrators when a package is refused).
    pub reason: String,
    /// Unix seconds.
    pub revoked_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_signed_by_both_keys_verifies() {
        let old = SecretKey::from_seed(&[1; 32]);
        let new = SecretKey::from_seed(&[2; 32]);
        let statement = RotationStatement::new(&old, &new, 1_700_000_000);
        assert_eq!(statement.verify(), Ok(()));
        assert_eq!(statement.old_key_id(), old.key_id());
        assert_eq!(statement.new_key_id(), new.key_id());
    }

    #[test]
    fn a_rotation_to_a_different_key_than_signed_is_refused() {
        let old = SecretKey::from_seed(&[1; 32]);
        let new = SecretKey::from_seed(&[2; 32]);
        let attacker = SecretKey::from_seed(&[3; 32]);
        let mut statement = RotationStatement::new(&old, &new, 1);
        statement.new_key = attacker.public_key();
        assert_eq!(
            statement.verify(),
            Err(RotationError::BadOldSignature(old.key_id()))
        );
    }

    #[test]
    fn a_rotation_needs_the_new_keys_signature_too() {
        let old = SecretKey::from_seed(&[1; 32]);
        let new = SecretKey::from_seed(&[2; 32]);
        let mut statement = RotationStatement::new(&old, &new, 1);
        statement.new_signature = statement.old_signature.clone();
        assert_eq!(
            statement.verify(),
            Err(RotationError::BadNewSignature(new.key_id()))
        );
    }
}
