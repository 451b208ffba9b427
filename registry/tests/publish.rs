//! Publishing to the registry over a real socket, on SQLite and on PostgreSQL: a good
//! package is stored byte for byte; every bad one — changed, edited, unknown or revoked
//! signer, someone else's name, an existing version, too large, unauthenticated — is refused
//! with a status and a JSON body naming the failing check, and the registry stays as it was.

mod common;

use common::{TestRegistry, VENDOR, package, package_bytes};
use reqwest::StatusCode;
use semver::Version;
use zemstvo_registry::api::{headers, publish_request_body};
use zemstvo_registry::package::package_sha256;
use zemstvo_registry::signature::SignedDomain;
use zemstvo_registry::{ClientError, PackageName, RotationStatement, SecretKey, VendorId};

fn name(n: &str) -> PackageName {
    PackageName::new(n).unwrap()
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// The registry's error code and status, from a client error.
fn refusal(e: ClientError) -> (u16, String, String) {
    match e {
        ClientError::Api {
            status,
            code,
            message,
            ..
        } => (status, code, message),
        other => panic!("expected the registry's refusal, got: {other}"),
    }
}

async fn publish(r: &TestRegistry, bytes: Vec<u8>, key: &SecretKey) -> Result<(), ClientError> {
    r.anon.publish(bytes, key, &mut |_| {}).await.map(|_| ())
}

async fn a_published_package_downloads_byte_for_byte(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let bytes = package_bytes("isu-smev", "1.2.0", &key);
    let mut seen = Vec::new();
    let published = r
        .anon
        .publish(bytes.clone(), &key, &mut |p| seen.push(p.done))
        .await
        .unwrap();
    assert_eq!(published.package_sha256, package_sha256(&bytes));
    assert_eq!(published.signed_by, key.key_id());
    assert_eq!(
        seen.last(),
        Some(&(bytes.len() as u64)),
        "upload progress ends at the size"
    );

    let mut progress = Vec::new();
    let downloaded = r
        .anon
        .download(&name("isu-smev"), &v("1.2.0"), &mut |p| progress.push(p))
        .await
        .unwrap();
    assert_eq!(downloaded, bytes);
    assert_eq!(progress.last().unwrap().done, bytes.len() as u64);
    assert_eq!(progress.last().unwrap().total, Some(bytes.len() as u64));

    let found = r.anon.search("проверка").await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "search matches the Cyrillic title, ignoring case"
    );
    assert_eq!(found[0].latest, Some(v("1.2.0")));
    assert!(r.anon.search("nothing-like-it").await.unwrap().is_empty());
}

async fn a_second_publish_of_a_version_is_refused_and_the_bytes_stay(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let first = package("isu-smev", "1.0.0", VENDOR, &key, b"first").to_bytes();
    publish(&r, first.clone(), &key).await.unwrap();
    let before = r.snapshot().await;
    let second = package("isu-smev", "1.0.0", VENDOR, &key, b"second").to_bytes();
    let (status, code, message) = refusal(publish(&r, second, &key).await.unwrap_err());
    assert_eq!((status, code.as_str()), (409, "version_exists"));
    assert!(
        message.contains("isu-smev 1.0.0 is already published"),
        "{message}"
    );
    // Even the identical file is refused: a version is published once.
    let (status, _, _) = refusal(publish(&r, first.clone(), &key).await.unwrap_err());
    assert_eq!(status, 409);
    assert_eq!(r.snapshot().await, before);
    let stored = r
        .anon
        .download(&name("isu-smev"), &v("1.0.0"), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(stored, first);
}

async fn two_concurrent_publishes_of_one_version_store_exactly_one(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let one = package("isu-smev", "3.0.0", VENDOR, &key, b"one").to_bytes();
    let two = package("isu-smev", "3.0.0", VENDOR, &key, b"two").to_bytes();
    let (a, b) = tokio::join!(
        publish(&r, one.clone(), &key),
        publish(&r, two.clone(), &key)
    );
    let outcomes = [a, b];
    let won: Vec<_> = outcomes.iter().filter(|o| o.is_ok()).collect();
    assert_eq!(won.len(), 1, "exactly one publish succeeds: {outcomes:?}");
    let lost = outcomes.into_iter().find_map(Result::err).unwrap();
    let (status, code, _) = refusal(lost);
    assert_eq!((status, code.as_str()), (409, "version_exists"));
    let stored = r
        .anon
        .download(&name("isu-smev"), &v("3.0.0"), &mut |_| {})
        .await
        .unwrap();
    assert!(stored == one || stored == two);
    assert_eq!(
        r.anon
            .versions(&name("isu-smev"))
            .await
            .unwrap()
            .versions
            .len(),
        1
    );
}

async fn tampered_packages_are_refused_at_publish_naming_the_check(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let before = r.snapshot().await;
    let mut flipped = package_bytes("isu-smev", "1.0.0", &key);
    let last = flipped.len() - 1;
    flipped[last] ^= 0x80;
    let (status, code, message) = refusal(publish(&r, flipped, &key).await.unwrap_err());
    assert_eq!((status, code.as_str()), (422, "component_changed"));
    assert!(
        message.contains("a byte changed after signing"),
        "{message}"
    );

    let original = package("isu-smev", "1.0.0", VENDOR, &key, b"x");
    let mut edited = original.manifest().clone();
    edited.title = "something else".into();
    let parts = zemstvo_registry::container::decode(&original.to_bytes())
        .map(|p| (p.signatures.to_vec(), p.component.to_vec()))
        .unwrap();
    let bytes = zemstvo_registry::container::encode(&[
        ("manifest.json", &edited.canonical_bytes().unwrap()),
        ("signatures.json", &parts.0),
        ("component.wasm", &parts.1),
    ]);
    let (status, code, message) = refusal(publish(&r, bytes, &key).await.unwrap_err());
    assert_eq!((status, code.as_str()), (422, "bad_signature"));
    assert!(message.contains("manifest was edited"), "{message}");

    let truncated = package_bytes("isu-smev", "1.0.0", &key)[..40].to_vec();
    let (status, code, message) = refusal(publish(&r, truncated, &key).await.unwrap_err());
    assert_eq!((status, code.as_str()), (400, "invalid_package"));
    assert!(message.contains("truncated"), "{message}");
    assert_eq!(r.snapshot().await, before);
}

async fn a_package_signed_by_an_unknown_or_revoked_key_is_refused(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let stranger = SecretKey::generate().unwrap();
    // The request is signed by the registered key, the package by a stranger's.
    let bytes = package_bytes("isu-smev", "1.0.0", &stranger);
    let (status, code, message) = refusal(publish(&r, bytes, &key).await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "unknown_key"));
    assert!(message.contains(stranger.key_id().as_str()), "{message}");
    // Both by the stranger: the request itself is refused.
    let bytes = package_bytes("isu-smev", "1.0.0", &stranger);
    let (status, code, _) = refusal(publish(&r, bytes, &stranger).await.unwrap_err());
    assert_eq!((status, code.as_str()), (401, "unknown_key"));

    publish(&r, package_bytes("isu-smev", "1.0.0", &key), &key)
        .await
        .unwrap();
    r.admin
        .revoke_key(&key.key_id(), "key leaked")
        .await
        .unwrap();
    let events = r.anon.key_events().await.unwrap();
    assert_eq!(
        events.revocations[0].key_id,
        key.key_id(),
        "revocations are published"
    );
    let before = r.snapshot().await;
    let (status, code, message) = refusal(
        publish(&r, package_bytes("isu-smev", "1.1.0", &key), &key)
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "revoked_key"));
    assert!(message.contains("key leaked"), "{message}");
    let (status, code, _) = refusal(
        r.admin
            .revoke_key(&key.key_id(), "again")
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (409, "already_revoked"));
    let (status, code, _) = refusal(
        r.admin
            .add_key(&VendorId::new(VENDOR).unwrap(), &key.public_key())
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (403, "revoked_key"));
    assert_eq!(r.snapshot().await, before);
}

async fn a_rotated_key_publishes_after_the_registry_accepts_the_statement(r: TestRegistry) {
    let old = r.vendor_with_key(VENDOR, Some(vec!["isu-*"])).await;
    let new = SecretKey::generate().unwrap();
    let bytes = package_bytes("isu-smev", "2.0.0", &new);
    let (status, _, _) = refusal(publish(&r, bytes.clone(), &new).await.unwrap_err());
    assert_eq!(status, 401, "the new key is not registered yet");

    // A statement the new key did not sign is refused.
    let mut forged = RotationStatement::new(&old, &new, 1);
    forged.new_signature = forged.old_signature.clone();
    let (status, code, _) = refusal(r.anon.submit_rotation(&forged).await.unwrap_err());
    assert_eq!((status, code.as_str()), (400, "invalid_rotation"));

    let statement = RotationStatement::new(&old, &new, 1_750_000_000);
    assert_eq!(
        r.anon.submit_rotation(&statement).await.unwrap(),
        new.key_id()
    );
    publish(&r, bytes, &new).await.unwrap();
    let events = r.anon.key_events().await.unwrap();
    assert_eq!(events.rotations, vec![statement.clone()]);
    // The vendor's scope still applies to the new key.
    let outside = package_bytes("risk-score", "1.0.0", &new);
    let (status, code, _) = refusal(publish(&r, outside, &new).await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "outside_scope"));
    let (status, code, _) = refusal(r.anon.submit_rotation(&statement).await.unwrap_err());
    assert_eq!((status, code.as_str()), (409, "key_exists"));
}

async fn a_name_belongs_to_the_vendor_who_published_it_first(r: TestRegistry) {
    let ours = r.vendor_with_key(VENDOR, None).await;
    let theirs = r.vendor_with_key("other-vendor", None).await;
    publish(&r, package_bytes("isu-smev", "1.0.0", &ours), &ours)
        .await
        .unwrap();
    let bytes = package("isu-smev", "9.0.0", "other-vendor", &theirs, b"x").to_bytes();
    let (status, code, message) = refusal(publish(&r, bytes, &theirs).await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "name_owned"));
    assert!(
        message.contains("belongs to vendor lipetsk-soft"),
        "{message}"
    );
    // A vendor's key cannot publish a package naming another vendor.
    let bytes = package_bytes("isu-other", "1.0.0", &theirs);
    let (status, code, _) = refusal(publish(&r, bytes, &theirs).await.unwrap_err());
    assert_eq!((status, code.as_str()), (403, "vendor_mismatch"));
}

async fn publishing_without_or_with_wrong_credentials_is_refused(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let bytes = package_bytes("isu-smev", "1.0.0", &key);
    let before = r.snapshot().await;
    // No headers at all.
    let (status, body) = r
        .raw(r.http.post(r.at("/api/v1/packages")).body(bytes.clone()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "missing_credentials");
    assert_eq!(body["header"], headers::KEY_ID);
    // A signature over another upload.
    let challenge: serde_json::Value = r
        .http
        .post(r.at("/api/v1/challenges"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = challenge["nonce"].as_str().unwrap();
    let wrong = key.sign(
        SignedDomain::PublishRequest,
        &publish_request_body(nonce, &package_sha256(b"another file")),
    );
    let request = r
        .http
        .post(r.at("/api/v1/packages"))
        .header(headers::KEY_ID, key.key_id().as_str())
        .header(headers::NONCE, nonce)
        .header(headers::SIGNATURE, &wrong)
        .body(bytes.clone());
    let (status, body) = r.raw(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad_request_signature");
    // A correct signature over a nonce the registry never issued.
    let made_up = "00".repeat(32);
    let signature = key.sign(
        SignedDomain::PublishRequest,
        &publish_request_body(&made_up, &package_sha256(&bytes)),
    );
    let request = r
        .http
        .post(r.at("/api/v1/packages"))
        .header(headers::KEY_ID, key.key_id().as_str())
        .header(headers::NONCE, &made_up)
        .header(headers::SIGNATURE, &signature)
        .body(bytes.clone());
    let (status, body) = r.raw(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "challenge_invalid");
    assert_eq!(r.snapshot().await, before);
}

async fn an_oversized_upload_is_refused_with_413_and_nothing_stored(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    let before = r.snapshot().await;
    // The client learns the limit with its challenge and sends nothing.
    let big = package("isu-smev", "1.0.0", VENDOR, &key, &vec![7u8; 3 << 20]).to_bytes();
    let err = publish(&r, big, &key).await.unwrap_err();
    assert!(
        matches!(err, ClientError::UploadTooLarge { limit: 2097152, .. }),
        "{err}"
    );
    // A client that sends anyway is answered 413 from its Content-Length, before the body
    // is read (a raw socket, so the test sees the answer whatever the client would do).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = r.url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /api/v1/packages HTTP/1.1\r\nhost: {address}\r\n{}: {}\r\n{}: {}\r\n{}: {}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        headers::KEY_ID,
        key.key_id(),
        headers::NONCE,
        "00".repeat(32),
        headers::SIGNATURE,
        "00".repeat(64),
        3 << 20,
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["code"], "too_large");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("limit of 2097152 bytes"),
        "{body}"
    );
    assert_eq!(r.snapshot().await, before);
}

on_both_databases!(
    a_published_package_downloads_byte_for_byte,
    a_second_publish_of_a_version_is_refused_and_the_bytes_stay,
    two_concurrent_publishes_of_one_version_store_exactly_one,
    tampered_packages_are_refused_at_publish_naming_the_check,
    a_package_signed_by_an_unknown_or_revoked_key_is_refused,
    a_rotated_key_publishes_after_the_registry_accepts_the_statement,
    a_name_belongs_to_the_vendor_who_published_it_first,
    publishing_without_or_with_wrong_credentials_is_refused,
);

mod oversized {
    use super::*;
    use zemstvo_registry::server::ServerSettings;

    fn small() -> ServerSettings {
        ServerSettings {
            max_upload_bytes: 2 << 20,
            ..ServerSettings::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        common::with_registry_settings(
            common::Backend::Sqlite,
            small(),
            an_oversized_upload_is_refused_with_413_and_nothing_stored,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        common::with_registry_settings(
            common::Backend::Postgres,
            small(),
            an_oversized_upload_is_refused_with_413_and_nothing_stored,
        )
        .await;
    }
}
