//! Reading and administering the registry over a real socket, on SQLite and on PostgreSQL:
//! resolution and yanking, the operator's token, and bad input — invalid names, versions and
//! requirements, unknown packages and endpoints — answered with 4xx JSON bodies that say
//! what was wrong, the registry's state unchanged.

mod common;

use common::{TestRegistry, VENDOR, package_bytes};
use reqwest::StatusCode;
use semver::Version;
use zemstvo_registry::api::NewVendor;
use zemstvo_registry::resolve::parse_requirement;
use zemstvo_registry::{ClientError, PackageName, SecretKey, VendorId};

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

async fn resolution_takes_the_highest_match_and_skips_yanked_versions(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    for version in ["1.2.0", "1.3.0", "1.4.0", "2.0.0", "0.3.1", "0.3.4"] {
        publish(&r, package_bytes("isu-smev", version, &key), &key)
            .await
            .unwrap();
    }
    let resolve = |req: &str| {
        let req = parse_requirement(req).unwrap();
        let client = r.anon.clone();
        async move {
            client
                .resolve(&name("isu-smev"), &req)
                .await
                .map(|info| info.version.to_string())
        }
    };
    assert_eq!(resolve("^1.2").await.unwrap(), "1.4.0");
    assert_eq!(resolve("~0.3.1").await.unwrap(), "0.3.4");
    assert_eq!(resolve("=2.0.0").await.unwrap(), "2.0.0");

    let yanked = r
        .admin
        .set_yanked(&name("isu-smev"), &v("1.4.0"), true)
        .await
        .unwrap();
    assert!(yanked.yanked);
    assert_eq!(
        resolve("^1.2").await.unwrap(),
        "1.3.0",
        "the yanked 1.4.0 is skipped"
    );
    // As with cargo: a range skips a yanked version, an exact pin still resolves it.
    assert_eq!(resolve("=1.4.0").await.unwrap(), "1.4.0");
    let (status, code, message) = refusal(resolve("^1.4").await.unwrap_err());
    assert_eq!((status, code.as_str()), (404, "no_matching_version"));
    assert!(message.contains("1.4.0"), "{message}");
    // A yanked version stays downloadable by its exact version.
    r.anon
        .download(&name("isu-smev"), &v("1.4.0"), &mut |_| {})
        .await
        .unwrap();
    let listed = r.anon.versions(&name("isu-smev")).await.unwrap();
    assert!(
        listed
            .versions
            .iter()
            .any(|i| i.version == v("1.4.0") && i.yanked)
    );

    r.admin
        .set_yanked(&name("isu-smev"), &v("1.4.0"), false)
        .await
        .unwrap();
    assert_eq!(
        resolve("^1.2").await.unwrap(),
        "1.4.0",
        "un-yanked, it is chosen again"
    );
}

async fn admin_calls_need_the_right_token(r: TestRegistry) {
    let before = r.snapshot().await;
    let vendor = NewVendor {
        id: VendorId::new("sneaky").unwrap(),
        display_name: None,
        scope: None,
    };
    let err = r.anon.add_vendor(&vendor).await.unwrap_err();
    assert!(matches!(err, ClientError::NoAdminToken), "{err}");
    let (status, body) = r
        .raw(r.http.post(r.at("/api/v1/vendors")).json(&vendor))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "missing_credentials");
    let wrong = r.anon.clone().with_admin_token(&"x".repeat(64));
    let (status, code, _) = refusal(wrong.add_vendor(&vendor).await.unwrap_err());
    assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
    let (status, code, _) = refusal(
        wrong
            .set_yanked(&name("isu-smev"), &v("1.0.0"), true)
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
    assert_eq!(r.snapshot().await, before);
    // The right token works, once.
    r.admin.add_vendor(&vendor).await.unwrap();
    let (status, code, _) = refusal(r.admin.add_vendor(&vendor).await.unwrap_err());
    assert_eq!((status, code.as_str()), (409, "vendor_exists"));
}

async fn invalid_names_versions_and_requirements_get_400_with_what_is_wrong(r: TestRegistry) {
    let cases = [
        (
            "/api/v1/packages/Bad_Name",
            "invalid_name",
            "package name `Bad_Name`",
        ),
        (
            "/api/v1/packages/isu/not-a-version",
            "invalid_version",
            "not a version",
        ),
        (
            "/api/v1/packages/isu/resolve?req=%5E%5E1",
            "invalid_requirement",
            "^^1",
        ),
        (
            "/api/v1/packages/..%2F..%2Fetc%2Fpasswd/1.0.0/download",
            "invalid_name",
            "package name `../../etc/passwd`",
        ),
        (
            "/api/v1/vendors/Vendor%20X",
            "invalid_name",
            "vendor id `Vendor X`",
        ),
    ];
    for (path, code, says) in cases {
        let (status, body) = r.raw(r.http.get(r.at(path))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["code"], code, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
    let (status, body) = r
        .raw(
            r.admin_post("/api/v1/vendors")
                .header("content-type", "application/json")
                .body(r#"{"id": "../x"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_body");
    assert!(
        body["error"].as_str().unwrap().contains("vendor id `../x`"),
        "{body}"
    );
    let (status, body) = r
        .raw(
            r.admin_post("/api/v1/vendors")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_body");
}

async fn unknown_packages_versions_and_endpoints_get_404_json(r: TestRegistry) {
    let key = r.vendor_with_key(VENDOR, None).await;
    publish(&r, package_bytes("isu-smev", "1.0.0", &key), &key)
        .await
        .unwrap();
    let cases = [
        ("/api/v1/packages/nothing-here", "unknown_package"),
        (
            "/api/v1/packages/nothing-here/resolve?req=%5E1",
            "unknown_package",
        ),
        ("/api/v1/packages/isu-smev/9.9.9", "unknown_version"),
        (
            "/api/v1/packages/isu-smev/9.9.9/download",
            "unknown_version",
        ),
        (
            "/api/v1/packages/nothing-here/1.0.0/download",
            "unknown_package",
        ),
        (
            "/api/v1/packages/isu-smev/resolve?req=%5E2",
            "no_matching_version",
        ),
        ("/api/v1/vendors/nobody", "unknown_vendor"),
        ("/no/such/endpoint", "no_such_endpoint"),
    ];
    for (path, code) in cases {
        let (status, body) = r.raw(r.http.get(r.at(path))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["code"], code, "{path}: {body}");
    }
    let (status, code, _) = refusal(
        r.admin
            .set_yanked(&name("nothing-here"), &v("1.0.0"), true)
            .await
            .unwrap_err(),
    );
    assert_eq!((status, code.as_str()), (404, "unknown_package"));
    let (status, body) = r.raw(r.http.delete(r.at("/api/v1/packages"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
}

impl TestRegistry {
    fn admin_post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.at(path))
            .bearer_auth(self.token.as_str())
    }
}

on_both_databases!(
    resolution_takes_the_highest_match_and_skips_yanked_versions,
    admin_calls_need_the_right_token,
    invalid_names_versions_and_requirements_get_400_with_what_is_wrong,
    unknown_packages_versions_and_endpoints_get_404_json,
);
