//! Released WIT versions are never edited: plugins built against them must keep loading. A
//! change to a released version fails here; add a new `wit/since_v<version>/` instead.

use sha2::{Digest, Sha256};

/// (version, sha256 of its files, sorted by name, each as `name\0contents\0`).
const RELEASED: &[(&str, &str)] = &[
    (
        "0.1.0",
        "dbe2ba04cfdf88d5141978d9ce4db0fa9f326fd2f27d380b28c04845b1bebf63",
    ),
    (
        "0.2.0",
        "151f1c5b6d6ca74b9fbfed003642b2d168602c411a5074793094bef94a2a68c6",
    ),
];

fn digest(dir: &std::path::Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.file_name().unwrap().to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(std::fs::read(&f).unwrap());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

#[test]
fn released_wit_versions_are_unchanged() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("wit");
    for (version, expected) in RELEASED {
        let actual = digest(&root.join(format!("since_v{version}")));
        assert_eq!(
            &actual, expected,
            "wit/since_v{version} was edited; released WIT is frozen"
        );
    }
}

#[test]
fn the_host_supports_every_released_version() {
    for (version, _) in RELEASED {
        assert!(
            zemstvo_host::wit::release_for(version).is_some(),
            "{version}"
        );
    }
}

#[test]
fn every_wit_directory_is_a_listed_release() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("wit");
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(version) = name.strip_prefix("since_v") {
            assert!(
                RELEASED.iter().any(|(v, _)| *v == version),
                "wit/{name} is not listed in RELEASED: add its digest once it is released"
            );
        }
    }
}
