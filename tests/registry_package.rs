//! The reference plugin as a package, through the libraries a region's installer uses:
//! packed from what the host loaded, verified by a trust store, loaded again from the
//! package's component, and checked against its manifest.

use zemstvo_core::capabilities::Capability;
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

/// A registry that loads what is published refuses a re-signed manifest that names another
/// plugin and version than the component it carries, and takes the honest package.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_refuses_a_manifest_that_renames_its_component() {
    use std::sync::Arc;
    use zemstvo_registry::api::NewVendor;
    use zemstvo_registry::server::{self, AdminToken, AppState, ServerSettings};
    use zemstvo_registry::{Client, ClientError, PackageName};

    let dir = tempfile::tempdir().unwrap();
    let store = zemstvo_registry::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("registry.db").display()
    ))
    .await
    .unwrap();
    let token = AdminToken::generate().unwrap();
    let settings = ServerSettings {
        components: Some(zemstvo_service::registry_component_check(Arc::new(
            runtime(),
        ))),
        ..ServerSettings::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(
        listener,
        AppState::new(store, &token, settings),
        async {
            let _ = stopped.await;
        },
    ));
    let client = Client::new(&url).unwrap();
    let admin = client.clone().with_admin_token(token.as_str());
    let key = SecretKey::generate().unwrap();
    admin
        .add_vendor(&NewVendor {
            id: vendor(),
            display_name: None,
            scope: None,
        })
        .await
        .unwrap();
    admin.add_key(&vendor(), &key.public_key()).await.unwrap();

    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let plugin = runtime().load(artifact.bytes).await.unwrap();
    let honest =
        Manifest::from_plugin(&plugin, artifact.bytes, vendor(), current_host_version()).unwrap();
    let mut renamed = honest.clone();
    renamed.name = PackageName::new("isu-other-check").unwrap();
    renamed.version = semver::Version::new(9, 9, 9);
    let bytes = Package::sign(renamed, artifact.bytes.to_vec(), &[&key])
        .unwrap()
        .to_bytes();
    match client.publish(bytes, &key, &mut |_| {}).await {
        Err(ClientError::Api {
            status,
            code,
            message,
            ..
        }) => {
            assert_eq!(
                (status, code.as_str()),
                (422, "manifest_mismatch"),
                "{message}"
            );
            assert!(message.contains("isu-other-check"), "{message}");
        }
        other => panic!("expected 422 manifest_mismatch, got {other:?}"),
    }
    let bytes = Package::sign(honest, artifact.bytes.to_vec(), &[&key])
        .unwrap()
        .to_bytes();
    client.publish(bytes, &key, &mut |_| {}).await.unwrap();
    let _ = stop.send(());
}
