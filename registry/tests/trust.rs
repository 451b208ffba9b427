//! Package files and the trust store, as a region meets them: every way a package can be
//! wrong is refused by `TrustStore::verify` (or `Package::read`) with an error naming the
//! failing check, and a good package passes.

mod common;

use common::{VENDOR, component, manifest, package};
use zemstvo_registry::container::{self, COMPONENT_PART, MANIFEST_PART, SIGNATURES_PART};
use zemstvo_registry::package::PackageError;
use zemstvo_registry::signature::{ManifestSignature, SignedDomain};
use zemstvo_registry::{
    NamePattern, Package, Revocation, RotationStatement, SecretKey, TrustError, TrustStore,
    VendorId,
};

fn vendor() -> VendorId {
    VendorId::new(VENDOR).unwrap()
}

fn store_trusting(key: &SecretKey, scope: &[&str]) -> TrustStore {
    let mut trust = TrustStore::new();
    let scope = scope
        .iter()
        .map(|p| NamePattern::new(*p).unwrap())
        .collect();
    trust.trust(key.public_key(), vendor(), scope).unwrap();
    trust
}

/// The three parts of a package file, to rebuild it with one of them changed.
fn parts(bytes: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let p = container::decode(bytes).unwrap();
    (
        p.manifest.to_vec(),
        p.signatures.to_vec(),
        p.component.to_vec(),
    )
}

fn rebuild(manifest: &[u8], signatures: &[u8], component: &[u8]) -> Vec<u8> {
    container::encode(&[
        (MANIFEST_PART, manifest),
        (SIGNATURES_PART, signatures),
        (COMPONENT_PART, component),
    ])
}

#[test]
fn a_package_signed_by_a_trusted_key_verifies() {
    let key = SecretKey::generate().unwrap();
    let bytes = package("isu-smev", "1.2.0", VENDOR, &key, b"code").to_bytes();
    let (package, verified) = store_trusting(&key, &["*"]).verify_bytes(&bytes).unwrap();
    assert_eq!(verified.key_id, key.key_id());
    assert_eq!(verified.manifest.name.as_str(), "isu-smev");
    assert_eq!(package.component(), component(b"code"));
    // Reading and writing a package is byte-stable.
    assert_eq!(package.to_bytes(), bytes);
}

#[test]
fn a_flipped_byte_in_the_component_is_refused_as_a_changed_byte() {
    let key = SecretKey::generate().unwrap();
    let mut bytes = package("isu-smev", "1.2.0", VENDOR, &key, b"code").to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let err = store_trusting(&key, &["*"])
        .verify_bytes(&bytes)
        .unwrap_err();
    assert!(matches!(err, TrustError::ComponentChanged { .. }), "{err}");
    assert!(
        err.to_string().contains("a byte changed after signing"),
        "{err}"
    );
}

#[test]
fn an_edited_manifest_is_refused_as_a_bad_signature() {
    let key = SecretKey::generate().unwrap();
    let original = package("isu-smev", "1.2.0", VENDOR, &key, b"code");
    // Grant the plugin one more capability, keeping the manifest canonical.
    let mut edited = original.manifest().clone();
    edited
        .capabilities
        .push(zemstvo_core::capabilities::Capability::DataCitizensPersonal);
    let (_, signatures, component) = parts(&original.to_bytes());
    let bytes = rebuild(&edited.canonical_bytes().unwrap(), &signatures, &component);
    let err = store_trusting(&key, &["*"])
        .verify_bytes(&bytes)
        .unwrap_err();
    assert_eq!(
        err,
        TrustError::BadSignature {
            key_id: key.key_id()
        }
    );
    assert!(err.to_string().contains("manifest was edited"), "{err}");
}

#[test]
fn a_signature_by_an_unknown_key_is_refused_naming_the_key() {
    let trusted = SecretKey::generate().unwrap();
    let stranger = SecretKey::generate().unwrap();
    let bytes = package("isu-smev", "1.2.0", VENDOR, &stranger, b"code").to_bytes();
    let err = store_trusting(&trusted, &["*"])
        .verify_bytes(&bytes)
        .unwrap_err();
    assert!(
        matches!(&err, TrustError::UnknownKey { key_ids, .. } if key_ids == &[stranger.key_id()])
    );
    assert!(err.to_string().contains("unknown key"), "{err}");
}

#[test]
fn a_signature_by_a_revoked_key_is_refused_with_the_reason() {
    let key = SecretKey::generate().unwrap();
    let bytes = package("isu-smev", "1.2.0", VENDOR, &key, b"code").to_bytes();
    let mut trust = store_trusting(&key, &["*"]);
    trust.revoke(Revocation {
        key_id: key.key_id(),
        reason: "laptop stolen".into(),
        revoked_at: 1,
    });
    let err = trust.verify_bytes(&bytes).unwrap_err();
    assert!(matches!(err, TrustError::RevokedKey { .. }), "{err}");
    assert!(err.to_string().contains("revoked key") && err.to_string().contains("laptop stolen"));
    // And a revoked key cannot be trusted again.
    assert_eq!(
        trust.trust(key.public_key(), vendor(), vec![NamePattern::any()]),
        Err(TrustError::CannotTrustRevoked(key.key_id()))
    );
}

#[test]
fn a_properly_rotated_key_is_trusted_for_the_old_keys_scope() {
    let old = SecretKey::generate().unwrap();
    let new = SecretKey::generate().unwrap();
    let mut trust = store_trusting(&old, &["isu-*"]);
    let by_new = package("isu-smev", "2.0.0", VENDOR, &new, b"v2").to_bytes();
    assert!(matches!(
        trust.verify_bytes(&by_new),
        Err(TrustError::UnknownKey { .. })
    ));

    let statement = RotationStatement::new(&old, &new, 1_750_000_000);
    assert_eq!(trust.apply_rotation(&statement).unwrap(), new.key_id());
    let (_, verified) = trust.verify_bytes(&by_new).unwrap();
    assert_eq!(verified.key_id, new.key_id());
    let inherited = trust.key(&new.key_id()).unwrap();
    assert_eq!(inherited.rotated_from, Some(old.key_id()));
    // The scope came along: a name outside it is still refused.
    let outside = package("risk-score", "1.0.0", VENDOR, &new, b"x").to_bytes();
    assert!(matches!(
        trust.verify_bytes(&outside),
        Err(TrustError::OutsideScope { .. })
    ));
    // Revoking the old key afterwards leaves the new one trusted.
    trust.revoke(Revocation {
        key_id: old.key_id(),
        reason: "rotated".into(),
        revoked_at: 2,
    });
    assert!(trust.verify_bytes(&by_new).is_ok());
}

#[test]
fn a_rotation_from_an_untrusted_or_revoked_key_is_refused() {
    let old = SecretKey::generate().unwrap();
    let new = SecretKey::generate().unwrap();
    let statement = RotationStatement::new(&old, &new, 1);
    let mut empty = TrustStore::new();
    assert_eq!(
        empty.apply_rotation(&statement),
        Err(TrustError::RotationFromUnknownKey(old.key_id()))
    );
    let mut trust = store_trusting(&old, &["*"]);
    trust.revoke(Revocation {
        key_id: old.key_id(),
        reason: "leaked".into(),
        revoked_at: 1,
    });
    assert_eq!(
        trust.apply_rotation(&statement),
        Err(TrustError::RotationFromRevokedKey(old.key_id()))
    );
    assert!(trust.key(&new.key_id()).is_none());
}

#[test]
fn a_forged_rotation_is_refused() {
    let old = SecretKey::generate().unwrap();
    let attacker = SecretKey::generate().unwrap();
    let accomplice = SecretKey::generate().unwrap();
    // A statement made without the old key, then relabelled as coming from it.
    let mut statement = RotationStatement::new(&attacker, &accomplice, 1);
    statement.old_key = old.public_key();
    let mut trust = store_trusting(&old, &["*"]);
    assert!(matches!(
        trust.apply_rotation(&statement),
        Err(TrustError::Rotation(_))
    ));
    assert!(trust.key(&accomplice.key_id()).is_none());
}

#[test]
fn a_name_outside_the_keys_scope_is_refused() {
    let key = SecretKey::generate().unwrap();
    let bytes = package("risk-score", "1.0.0", VENDOR, &key, b"x").to_bytes();
    let err = store_trusting(&key, &["isu-*"])
        .verify_bytes(&bytes)
        .unwrap_err();
    assert!(matches!(err, TrustError::OutsideScope { .. }), "{err}");
    assert!(err.to_string().contains("outside the key's scope"), "{err}");
}

#[test]
fn a_package_naming_another_vendor_is_refused() {
    let key = SecretKey::generate().unwrap();
    let bytes = package("isu-smev", "1.0.0", "other-vendor", &key, b"x").to_bytes();
    let err = store_trusting(&key, &["*"])
        .verify_bytes(&bytes)
        .unwrap_err();
    assert!(matches!(err, TrustError::VendorMismatch { .. }), "{err}");
}

#[test]
fn one_good_signature_among_several_is_enough_and_the_worst_failure_is_reported() {
    let trusted = SecretKey::generate().unwrap();
    let stranger = SecretKey::generate().unwrap();
    let component = component(b"code");
    let m = manifest("isu-smev", "1.0.0", VENDOR, &component);
    let both = Package::sign(m.clone(), component.clone(), &[&stranger, &trusted]).unwrap();
    assert!(store_trusting(&trusted, &["*"]).verify(&both).is_ok());

    // A trusted key's signature over other bytes, next to an unknown key's: the bad
    // signature is the more telling failure.
    let mut envelope = both.envelope().clone();
    envelope.signatures[1].signature = trusted.sign(SignedDomain::Manifest, b"something else");
    let tampered = both.clone().with_envelope(envelope).unwrap();
    assert_eq!(
        store_trusting(&trusted, &["*"]).verify(&tampered),
        Err(TrustError::BadSignature {
            key_id: trusted.key_id()
        })
    );
}

#[test]
fn a_signature_carrying_a_key_that_does_not_match_its_id_is_malformed() {
    let key = SecretKey::generate().unwrap();
    let other = SecretKey::generate().unwrap();
    let original = package("isu-smev", "1.0.0", VENDOR, &key, b"x");
    let mut envelope = original.envelope().clone();
    envelope.signatures[0] = ManifestSignature {
        key_id: key.key_id(),
        public_key: other.public_key(),
        signature: envelope.signatures[0].signature.clone(),
    };
    let (manifest, _, component) = parts(&original.to_bytes());
    let bytes = rebuild(
        &manifest,
        &serde_json::to_vec(&envelope).unwrap(),
        &component,
    );
    let err = Package::read(&bytes).unwrap_err().to_string();
    assert!(err.contains("does not belong to the public key"), "{err}");
}

#[test]
fn an_unknown_signature_algorithm_is_refused_by_name() {
    let key = SecretKey::generate().unwrap();
    let (manifest, signatures, component) =
        parts(&package("isu-smev", "1.0.0", VENDOR, &key, b"x").to_bytes());
    let signatures = String::from_utf8(signatures)
        .unwrap()
        .replace("\"ed25519\"", "\"rsa-4096\"");
    let bytes = rebuild(&manifest, signatures.as_bytes(), &component);
    let err = Package::read(&bytes).unwrap_err().to_string();
    assert!(
        err.contains("unknown signature algorithm `rsa-4096`"),
        "{err}"
    );
}

#[test]
fn every_truncation_of_a_package_is_refused_naming_what_is_missing() {
    let key = SecretKey::generate().unwrap();
    let bytes = package("isu-smev", "1.0.0", VENDOR, &key, b"code").to_bytes();
    for len in [0, 5, 10, 30, bytes.len() / 2, bytes.len() - 1] {
        let err = Package::read(&bytes[..len]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("truncated") || text.contains("not a zemstvo package"),
            "{len}: {text}"
        );
    }
    let err = Package::read(&bytes[..bytes.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(err.contains("part `component.wasm`"), "{err}");
}

#[test]
fn a_malformed_package_is_refused_naming_the_part() {
    let key = SecretKey::generate().unwrap();
    let (manifest, signatures, component) =
        parts(&package("isu-smev", "1.0.0", VENDOR, &key, b"x").to_bytes());
    let not_json = rebuild(b"{not json", &signatures, &component);
    assert!(matches!(
        Package::read(&not_json),
        Err(PackageError::Manifest(_))
    ));
    let not_component = rebuild(&manifest, &signatures, b"MZ\x90\x00 a windows program");
    let err = Package::read(&not_component).unwrap_err().to_string();
    assert!(
        err.contains("component.wasm is not a WebAssembly component"),
        "{err}"
    );
    let no_signatures = rebuild(
        &manifest,
        br#"{"algorithm":"ed25519","signatures":[]}"#,
        &component,
    );
    let err = Package::read(&no_signatures).unwrap_err().to_string();
    assert!(err.contains("holds no signatures"), "{err}");
}

#[test]
fn a_package_name_that_tries_path_traversal_is_refused() {
    let key = SecretKey::generate().unwrap();
    let (manifest, signatures, component) =
        parts(&package("isu-smev", "1.0.0", VENDOR, &key, b"x").to_bytes());
    // In the manifest...
    let evil = String::from_utf8(manifest.clone())
        .unwrap()
        .replace("\"isu-smev\"", "\"../../etc\"");
    let err = Package::read(&rebuild(evil.as_bytes(), &signatures, &component))
        .unwrap_err()
        .to_string();
    assert!(err.contains("package name `../../etc` is invalid"), "{err}");
    // ...and as a part of the container.
    let evil = container::encode(&[("../manifest.json", &manifest)]);
    let err = Package::read(&evil).unwrap_err().to_string();
    assert!(err.contains("looks like a path"), "{err}");
}

#[test]
fn an_oversized_part_is_refused_before_it_is_read() {
    // A header that declares a 1 TiB component, followed by nothing.
    let key = SecretKey::generate().unwrap();
    let (manifest, signatures, _) =
        parts(&package("isu-smev", "1.0.0", VENDOR, &key, b"x").to_bytes());
    let mut bytes =
        container::encode(&[(MANIFEST_PART, &manifest), (SIGNATURES_PART, &signatures)]);
    bytes.push(COMPONENT_PART.len() as u8);
    bytes.extend_from_slice(COMPONENT_PART.as_bytes());
    bytes.extend_from_slice(&(1u64 << 40).to_be_bytes());
    let err = Package::read(&bytes).unwrap_err().to_string();
    assert!(err.contains("more than its limit"), "{err}");
}

#[test]
fn a_trust_store_survives_its_json_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.json");
    let old = SecretKey::generate().unwrap();
    let new = SecretKey::generate().unwrap();
    let mut trust = store_trusting(&old, &["isu-*"]);
    trust
        .apply_rotation(&RotationStatement::new(&old, &new, 5))
        .unwrap();
    trust.revoke(Revocation {
        key_id: old.key_id(),
        reason: "rotated".into(),
        revoked_at: 6,
    });
    trust.save(&path).unwrap();
    assert_eq!(TrustStore::load(&path).unwrap(), trust);
    assert_eq!(
        TrustStore::load(&dir.path().join("missing.json")).unwrap(),
        TrustStore::new()
    );
    std::fs::write(&path, b"{\"keys\": 5}").unwrap();
    assert!(matches!(
        TrustStore::load(&path),
        Err(TrustError::File { .. })
    ));
}
