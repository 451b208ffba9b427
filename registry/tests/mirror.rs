//! Air-gapped mirrors, on SQLite and PostgreSQL: a registry exported to a directory answers
//! like the registry (as a directory source, with no registry running), imports into
//! another registry with the same versions, yanked flags and revocations, and a mirror that
//! changed after export is refused with nothing imported.

mod common;

use common::{TestRegistry, VENDOR, package, package_bytes};
use semver::Version;
use zemstvo_registry::mirror::{DirectorySource, MirrorError, export_store, import_into_store};
use zemstvo_registry::resolve::parse_requirement;
use zemstvo_registry::{PackageName, PackageSource, SecretKey, TrustError, TrustStore};

fn name(n: &str) -> PackageName {
    PackageName::new(n).unwrap()
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// A registry with two packages, a yanked version, a rotated key and a revoked key.
async fn populate(r: &TestRegistry) -> SecretKey {
    let key = r.vendor_with_key(VENDOR, None).await;
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        let bytes = package_bytes("isu-smev", version, &key);
        r.anon.publish(bytes, &key, &mut |_| {}).await.unwrap();
    }
    let bytes = package_bytes("risk-score", "0.3.1", &key);
    r.anon.publish(bytes, &key, &mut |_| {}).await.unwrap();
    r.admin
        .set_yanked(&name("isu-smev"), &v("1.2.0"), true)
        .await
        .unwrap();
    let new = SecretKey::generate().unwrap();
    let statement = zemstvo_registry::RotationStatement::new(&key, &new, 1_750_000_000);
    r.anon.submit_rotation(&statement).await.unwrap();
    r.admin.revoke_key(&key.key_id(), "rotated").await.unwrap();
    new
}

async fn a_mirror_directory_resolves_like_the_registry(r: TestRegistry) {
    populate(&r).await;
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    let count = export_store(&r.store, dir.path(), &mut |_| seen += 1)
        .await
        .unwrap();
    assert_eq!((count, seen), (4, 4));

    let mirror = PackageSource::open(dir.path().to_str().unwrap()).unwrap();
    let registry = PackageSource::open(&r.url).unwrap();
    for req in ["^1", "=1.2.0", "~1.0", "*"] {
        let req = parse_requirement(req).unwrap();
        let from_mirror = mirror.resolve(&name("isu-smev"), &req).await;
        let from_registry = registry.resolve(&name("isu-smev"), &req).await;
        assert_eq!(
            from_mirror.as_ref().map(|i| &i.version).ok(),
            from_registry.as_ref().map(|i| &i.version).ok(),
            "{req}"
        );
    }
    let info = mirror
        .resolve(&name("isu-smev"), &parse_requirement("^1").unwrap())
        .await
        .unwrap();
    assert_eq!(info.version, v("1.1.0"), "the yanked 1.2.0 is skipped");
    let bytes = mirror.fetch(&info, &mut |_| {}).await.unwrap();
    let from_registry = registry.fetch(&info, &mut |_| {}).await.unwrap();
    assert_eq!(bytes, from_registry);
    assert_eq!(mirror.search("risk").await.unwrap().len(), 1);
    let events = mirror.key_events().await.unwrap();
    assert_eq!(events, r.anon.key_events().await.unwrap());

    // A region verifying from the mirror sees the revocation the registry published.
    let (old_key, vendor) = {
        let vendors = DirectorySource::open(dir.path())
            .unwrap()
            .vendors()
            .unwrap();
        (vendors[0].keys[0].public_key.clone(), vendors[0].id.clone())
    };
    let mut trust = TrustStore::new();
    trust
        .trust(old_key, vendor, vec![zemstvo_registry::NamePattern::any()])
        .unwrap();
    for revocation in events.revocations {
        trust.revoke(revocation);
    }
    assert!(matches!(
        trust.verify_bytes(&bytes),
        Err(TrustError::RevokedKey { .. })
    ));
}

async fn an_export_over_http_equals_an_export_of_the_database(r: TestRegistry) {
    populate(&r).await;
    let from_db = tempfile::tempdir().unwrap();
    let over_http = tempfile::tempdir().unwrap();
    export_store(&r.store, from_db.path(), &mut |_| {})
        .await
        .unwrap();
    let mut transfers = 0;
    let count = r
        .anon
        .export_mirror(over_http.path(), &mut |_, _| transfers += 1)
        .await
        .unwrap();
    assert_eq!(count, 4);
    assert!(transfers >= 4, "progress is reported while downloading");
    let a = DirectorySource::open(from_db.path()).unwrap();
    let b = DirectorySource::open(over_http.path()).unwrap();
    assert_eq!(a.packages().unwrap(), b.packages().unwrap());
    assert_eq!(a.vendors().unwrap(), b.vendors().unwrap());
    // Exporting again downloads nothing new.
    let mut again = 0;
    r.anon
        .export_mirror(over_http.path(), &mut |_, _| again += 1)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

async fn an_import_reproduces_the_registry_on_the_other_side(r: TestRegistry) {
    populate(&r).await;
    let dir = tempfile::tempdir().unwrap();
    export_store(&r.store, dir.path(), &mut |_| {})
        .await
        .unwrap();
    let offline = r.sibling().await;
    let summary = import_into_store(&offline.store, dir.path()).await.unwrap();
    assert_eq!(summary.versions_added, 4);
    assert_eq!(summary.revocations_added, 1);
    assert_eq!(summary.keys_added, 2);
    assert_eq!(offline.snapshot().await, r.snapshot().await);
    // Importing the same mirror again changes nothing.
    let again = import_into_store(&offline.store, dir.path()).await.unwrap();
    assert_eq!((again.versions_added, again.versions_present), (0, 4));
    assert_eq!(offline.snapshot().await, r.snapshot().await);
}

async fn a_mirror_changed_after_export_is_refused_and_nothing_is_imported(r: TestRegistry) {
    populate(&r).await;
    let dir = tempfile::tempdir().unwrap();
    export_store(&r.store, dir.path(), &mut |_| {})
        .await
        .unwrap();
    let file = dir.path().join("packages/isu-smev/1.1.0.zpkg");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).unwrap();

    let source = DirectorySource::open(dir.path()).unwrap();
    let err = source.fetch(&name("isu-smev"), &v("1.1.0")).unwrap_err();
    assert!(matches!(err, MirrorError::FileChanged { .. }), "{err}");
    assert!(err.to_string().contains("changed after export"), "{err}");

    let offline = r.sibling().await;
    let before = offline.snapshot().await;
    let err = import_into_store(&offline.store, dir.path())
        .await
        .unwrap_err();
    assert!(matches!(err, MirrorError::FileChanged { .. }), "{err}");
    assert_eq!(offline.snapshot().await, before);
}

async fn an_import_never_replaces_a_published_version(r: TestRegistry) {
    populate(&r).await;
    let dir = tempfile::tempdir().unwrap();
    export_store(&r.store, dir.path(), &mut |_| {})
        .await
        .unwrap();
    // The other side already has isu-smev 1.0.0 from the same vendor, with other bytes.
    let offline = r.sibling().await;
    let other_key = offline.vendor_with_key(VENDOR, None).await;
    let different = package("isu-smev", "1.0.0", VENDOR, &other_key, b"other").to_bytes();
    offline
        .anon
        .publish(different, &other_key, &mut |_| {})
        .await
        .unwrap();
    let before = offline.snapshot().await;
    let err = import_into_store(&offline.store, dir.path())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MirrorError::VersionConflict { name, .. } if name.as_str() == "isu-smev"),
        "{err}"
    );
    assert_eq!(offline.snapshot().await, before);
}

#[test]
fn a_directory_that_is_not_a_mirror_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = DirectorySource::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("is not a zemstvo mirror"), "{err}");
}

on_both_databases!(
    a_mirror_directory_resolves_like_the_registry,
    an_export_over_http_equals_an_export_of_the_database,
    an_import_reproduces_the_registry_on_the_other_side,
    a_mirror_changed_after_export_is_refused_and_nothing_is_imported,
    an_import_never_replaces_a_published_version,
);
