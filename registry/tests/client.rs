//! The client against registries that are not there, not a registry, or stuck: each is a
//! clear error naming which, within bounded timeouts, never a hang or a panic. Plus the
//! router driven without a socket, as axum's testing example does.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::ServiceExt;
use zemstvo_registry::server::{AdminToken, AppState, ServerSettings, app};
use zemstvo_registry::store::Store;
use zemstvo_registry::{Client, ClientError, ClientSettings, PackageName};

fn quick() -> ClientSettings {
    ClientSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        stall_timeout: Duration::from_secs(2),
        ..ClientSettings::default()
    }
}

/// A loopback listener that answers every connection with `answer` (then closes), or with
/// nothing at all (keeping the connection open) when `answer` is `None`.
async fn fake_server(answer: Option<&'static [u8]>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        // Bounded: the test makes at most a handful of connections.
        for _ in 0..8 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            match answer {
                Some(bytes) => {
                    let _ = socket.write_all(bytes).await;
                    let _ = socket.shutdown().await;
                }
                None => held.push(socket),
            }
        }
    });
    url
}

#[tokio::test]
async fn a_registry_that_is_down_is_reported_as_unreachable() {
    // Bind, note the port, and close: nothing listens there any more.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client.search("").await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("unreachable") && text.contains(&url),
        "{text}"
    );
    assert!(text.contains("installed plugins keep running"), "{text}");
}

#[tokio::test]
async fn a_server_that_writes_junk_is_reported_as_not_a_registry() {
    let url = fake_server(Some(b"SSH-2.0-OpenSSH_9.2\r\nthis is not HTTP at all\r\n")).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client.search("").await.unwrap_err();
    assert!(matches!(err, ClientError::Garbage { .. }), "{err}");
    assert!(
        err.to_string().contains("not a zemstvo registry's answer"),
        "{err}"
    );
}

#[tokio::test]
async fn an_http_server_that_is_not_a_registry_is_reported_as_such() {
    let html =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 15\r\n\r\n<html>hi</html>";
    let url = fake_server(Some(html)).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client.search("").await.unwrap_err();
    assert!(matches!(err, ClientError::Garbage { .. }), "{err}");

    let not_found = b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found";
    let url = fake_server(Some(not_found)).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client
        .versions(&PackageName::new("isu-smev").unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("base URL"), "{err}");
}

#[tokio::test]
async fn a_registry_that_never_answers_times_out() {
    let url = fake_server(None).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client.search("").await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("did not answer in time"), "{err}");
}

#[tokio::test]
async fn a_download_without_a_sha256_header_or_with_a_wrong_one_is_refused() {
    let no_header = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nZPKG";
    let url = fake_server(Some(no_header)).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let name = PackageName::new("isu-smev").unwrap();
    let version = semver::Version::new(1, 0, 0);
    let err = client
        .download(&name, &version, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Garbage { .. }), "{err}");

    let wrong = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nx-zemstvo-package-sha256: 00\r\n\r\nZPKG";
    let url = fake_server(Some(wrong)).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client
        .download(&name, &version, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::HashMismatch { .. }), "{err}");
}

#[tokio::test]
async fn a_download_larger_than_the_limit_is_refused() {
    let huge = b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\nZPKG";
    let url = fake_server(Some(huge)).await;
    let client = Client::with_settings(&url, quick()).unwrap();
    let err = client
        .download(
            &PackageName::new("isu-smev").unwrap(),
            &semver::Version::new(1, 0, 0),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { .. }), "{err}");
}

#[test]
fn a_url_that_is_not_http_is_refused_up_front() {
    for bad in ["ftp://registry", "registry.example.ru", "http://", ""] {
        let err = Client::new(bad).unwrap_err();
        assert!(matches!(err, ClientError::InvalidUrl(_)), "{bad}: {err}");
    }
}

#[tokio::test]
async fn the_router_answers_without_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let store = Store::connect(&url).await.unwrap();
    let token = AdminToken::generate().unwrap();
    let router = app(AppState::new(store, &token, ServerSettings::default()));
    let response = router
        .clone()
        .oneshot(Request::get("/api/v1/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = router
        .oneshot(
            Request::get("/api/v1/packages/isu-smev")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "unknown_package");
    assert_eq!(body["name"], "isu-smev");
}
