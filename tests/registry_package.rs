//! The reference plugin as a package, through the libraries a region's installer uses:
//! packed from what the host loaded, verified by a trust store, loaded again from the
//! package's component, and checked against its manifest.

use zemstvo_host::capabilities::Capability;
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_registry::manifest::{ManifestError, current_host_version};
use zemstvo_registry::{
    Manifest, NamePattern, Package, SecretKey, TrustError, TrustStore, VendorId,
};

fn runtime() -> Runtime {
    Runtime::new(RuntimeSettings {
        max_concurrent_runs: 2,
        ..RuntimeSettings::default()
    })
    .expect("runtime starts")
}

fn vendor() -> VendorId {
    VendorId::new("lipetsk-soft").unwrap()
}

#[tokio::test]
async fn a_packed_plugin_verifies_loads_and_matches_its_manifest() {
    let runtime = runtime();
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let plugin = runtime.load(artifact.bytes).await.unwrap();
    let manifest =
        Manifest::from_plugin(&plugin, artifact.bytes, vendor(), current_host_version()).unwrap();
    assert_eq!(manifest.capabilities, plugin.metadata.capabilities);
    let key = SecretKey::generate().unwrap();
    let bytes = Package::sign(manifest, artifact.bytes.to_vec(), &[&key])
        .unwrap()
        .to_bytes();

    let mut trust = TrustStore::new();
    trust
        .trust(
            key.public_key(),
            vendor(),
            vec![NamePattern::new("isu-*").unwrap()],
        )
        .unwrap();
    let (package, verified) = trust.verify_bytes(&bytes).unwrap();
    let loaded = runtime.load(package.component()).await.unwrap();
    assert_eq!(verified.manifest.check_matches(&loaded), Ok(()));
    assert_eq!(loaded.sha256, verified.component_sha256);
}

#[tokio::test]
async fn a_manifest_that_misdescribes_its_component_is_refused_after_loading() {
    let runtime = runtime();
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let plugin = runtime.load(artifact.bytes).await.unwrap();
    let mut manifest =
        Manifest::from_plugin(&plugin, artifact.bytes, vendor(), current_host_version()).unwrap();
    // The vendor signs a manifest that hides a capability the code asks for.
    manifest
        .capabilities
        .retain(|c| *c != Capability::TasksCreate);
    let key = SecretKey::generate().unwrap();
    let bytes = Package::sign(manifest, artifact.bytes.to_vec(), &[&key])
        .unwrap()
        .to_bytes();
    let mut trust = TrustStore::new();
    trust
        .trust(key.public_key(), vendor(), vec![NamePattern::any()])
        .unwrap();
    let (package, verified) = trust.verify_bytes(&bytes).unwrap();
    let loaded = runtime.load(package.component()).await.unwrap();
    let err = verified.manifest.check_matches(&loaded).unwrap_err();
    assert!(
        matches!(
            &err,
            ManifestError::DoesNotMatchComponent {
                field: "capabilities",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("tasks.create"), "{err}");
}

#[tokio::test]
async fn packing_refuses_bytes_other_than_those_loaded() {
    let runtime = runtime();
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let plugin = runtime.load(artifact.bytes).await.unwrap();
    let mut other = artifact.bytes.to_vec();
    other.push(0);
    let err = Manifest::from_plugin(&plugin, &other, vendor(), current_host_version()).unwrap_err();
    assert!(matches!(err, ManifestError::WrongComponent { .. }), "{err}");
    // And a package whose component changed after signing never reaches the runtime.
    let manifest =
        Manifest::from_plugin(&plugin, artifact.bytes, vendor(), current_host_version()).unwrap();
    let key = SecretKey::generate().unwrap();
    let mut bytes = Package::sign(manifest, artifact.bytes.to_vec(), &[&key])
        .unwrap()
        .to_bytes();
    let middle = bytes.len() - 1000;
    bytes[middle] ^= 0x20;
    let mut trust = TrustStore::new();
    trust
        .trust(key.public_key(), vendor(), vec![NamePattern::any()])
        .unwrap();
    assert!(matches!(
        trust.verify_bytes(&bytes),
        Err(TrustError::ComponentChanged { .. })
    ));
}
