//! The registry under abuse, over a real socket: anonymous challenge floods fill only their
//! own client's share and never block a vendor's publish; challenges are short-lived; every
//! error — the ones hyper answers by itself (414, 431, a malformed request) and 413 included —
//! is a JSON body.

mod common;

use common::{TestRegistry, VENDOR, package_bytes};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zemstvo_registry::api::headers;
use zemstvo_registry::store::packages::{MAX_CHALLENGES_PER_CLIENT, MAX_CHALLENGES_PER_KEY};

async fn challenge(r: &TestRegistry, key: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut request = r.http.post(r.at("/api/v1/challenges"));
    if let Some(key) = key {
        request = request.header(headers::KEY_ID, key);
    }
    r.raw(request).await
}

async fn anonymous_floods_never_block_a_vendors_publish(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    // A client's anonymous share runs out; the refusal is JSON and says what to do.
    for _ in 0..MAX_CHALLENGES_PER_CLIENT {
        let (status, body) = challenge(&r, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let ttl = body["expires_at"].as_i64().unwrap() - now();
        assert!(
            (100..=121).contains(&ttl),
            "challenges live two minutes: {ttl}"
        );
    }
    let (status, body) = challenge(&r, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_challenges");
    assert!(body["error"].as_str().unwrap().contains("--key"), "{body}");
    // Someone names the vendor's key for challenges of their own, again and again: the
    // key's share keeps only the newest, and is never refused.
    for _ in 0..3 * MAX_CHALLENGES_PER_KEY {
        let (status, _) = challenge(&r, Some(key.key_id().as_str())).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // An unknown key counts as anonymous.
    let stranger = zemstvo_registry::SecretKey::generate().unwrap();
    let (status, _) = challenge(&r, Some(stranger.key_id().as_str())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The vendor publishes all the same.
    r.anon
        .publish(package_bytes("isu-smev", "1.0.0", &key), &key, &mut |_| {})
        .await
        .unwrap();
    // A challenge asked for in the vendor key's name serves no other key.
    let other = r.vendor_with_key("other-soft", None).await;
    let (_, taken) = challenge(&r, Some(key.key_id().as_str())).await;
    let nonce = taken["nonce"].as_str().unwrap();
    let bytes = common::package("other-plugin", "1.0.0", "other-soft", &other, b"x").to_bytes();
    let signature = other.sign(
        zemstvo_registry::signature::SignedDomain::PublishRequest,
        &zemstvo_registry::api::publish_request_body(
            nonce,
            &zemstvo_registry::package::package_sha256(&bytes),
        ),
    );
    let (status, body) = r
        .raw(
            r.http
                .post(r.at("/api/v1/packages"))
                .header(headers::KEY_ID, other.key_id().as_str())
                .header(headers::NONCE, nonce)
                .header(headers::SIGNATURE, signature)
                .body(bytes),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "challenge_invalid");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Sends raw bytes and reads the whole answer (the server closes after an error).
async fn raw_exchange(r: &TestRegistry, request: &[u8]) -> (u16, String, serde_json::Value) {
    let address = r.url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer (and close) before it read everything: a failed write is fine.
    let _ = socket.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let json = serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("HTTP {status}: the body is not JSON: {text:?}"));
    (status, head.to_ascii_lowercase(), json)
}

async fn every_error_is_json(r: TestRegistry) {
    // A 100 KB query string: hyper refuses it before the registry sees it.
    let long = format!(
        "GET /api/v1/packages?q={} HTTP/1.1\r\nhost: x\r\n\r\n",
        "a".repeat(100_000)
    );
    let (status, head, body) = raw_exchange(&r, long.as_bytes()).await;
    assert_eq!(status, 414);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(body["code"], "uri_too_long");
    // Too many header fields.
    let mut many = String::from("GET /api/v1/packages HTTP/1.1\r\nhost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("x-filler-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let (status, _, body) = raw_exchange(&r, many.as_bytes()).await;
    assert_eq!(status, 431);
    assert_eq!(body["code"], "headers_too_large");
    // Not HTTP at all.
    let (status, _, body) = raw_exchange(&r, b"HELLO THERE\r\n\r\n").await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "malformed_request");
    // An oversized JSON body to an operator endpoint, refused before it is read.
    let declared = format!(
        "POST /api/v1/vendors HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{{\"id\": \"",
        r.token.as_str(),
        3 << 20
    );
    let (status, _, body) = raw_exchange(&r, declared.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].is_string(), "{body}");
    // And the registry still answers normally on a new connection.
    let (status, _) = r.raw(r.http.get(r.at("/api/v1/packages"))).await;
    assert_eq!(status, StatusCode::OK);
}

on_both_databases!(
    anonymous_floods_never_block_a_vendors_publish,
    every_error_is_json
);
