//! Builds every plugin crate under `plugins/` (and, with the `fixtures` feature, every test
//! fixture under `tests/fixtures/`) for wasm32-wasip2, and generates constants for them, so
//! that `cargo run` and `cargo test` from a fresh clone need nothing but cargo. The pattern is
//! wasmtime's `crates/test-programs/artifacts/build.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let plugins_dir = manifest_dir.parent().unwrap().to_path_buf();
    let root = plugins_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let with_fixtures = std::env::var_os("CARGO_FEATURE_FIXTURES").is_some();

    for watched in [
        plugins_dir.clone(),
        root.join("sdk"),
        root.join("wit"),
        root.join("Cargo.lock"),
    ] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    if with_fixtures {
        // A fixture added or changed must be built again like a plugin.
        println!(
            "cargo:rerun-if-changed={}",
            root.join("tests/fixtures").display()
        );
    }

    let reference = crates_in(&plugins_dir, &["artifacts"]);
    let fixtures = if with_fixtures {
        crates_in(&root.join("tests/fixtures"), &[])
    } else {
        Vec::new()
    };
    let packages: Vec<&str> = reference
        .iter()
        .chain(&fixtures)
        .map(|(name, _)| name.as_str())
        .collect();
    let target_dir = zemstvo_plugin_builder::target_dir_near(&out_dir);
    let paths = zemstvo_plugin_builder::build(&root.join("Cargo.toml"), &packages, &target_dir)
        .unwrap_or_else(|e| panic!("{e}"));

    let mut src = String::new();
    src.push_str("/// The reference plugins, compiled into this crate.\npub const REFERENCE: &[Artifact] = &[\n");
    for ((name, dir), path) in reference.iter().zip(&paths) {
        writeln!(
            src,
            "    Artifact {{ name: {name:?}, crate_dir: {dir:?}, path: {path:?}, bytes: include_bytes!({path:?}) }},",
            dir = dir.display().to_string(),
            path = path.display().to_string(),
        )
        .unwrap();
    }
    src.push_str("];\n\n/// Test fixtures (hostile and broken plugins), by path; empty without the `fixtures` feature.\npub const FIXTURES: &[Fixture] = &[\n");
    for ((name, _), path) in fixtures.iter().zip(&paths[reference.len()..]) {
        writeln!(
            src,
            "    Fixture {{ name: {name:?}, path: {:?} }},",
            path.display().to_string()
        )
        .unwrap();
    }
    src.push_str("];\n\n/// Calls `$mac!(ident)` for every fixture, so a test module can prove it covers them all.\n#[macro_export]\nmacro_rules! foreach_fixture {\n    ($mac:ident) => {\n");
    for (name, _) in &fixtures {
        writeln!(src, "        $mac!({});", name.replace('-', "_")).unwrap();
    }
    src.push_str("    };\n}\n");
    std::fs::write(out_dir.join("artifacts.rs"), src).unwrap();
}

/// Plugin crates directly under `dir` (directories with a Cargo.toml), as (package name, dir).
fn crates_in(dir: &Path, skip: &[&str]) -> Vec<(String, PathBuf)> {
    let mut crates: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .filter(|p| !skip.iter().any(|s| p.file_name().is_some_and(|n| n == *s)))
        .map(|p| (package_name(&p.join("Cargo.toml")), p))
        .collect();
    crates.sort();
    crates
}

fn package_name(manifest: &Path) -> String {
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix("name = \"")
                .and_then(|r| r.strip_suffix('"'))
        })
        .unwrap_or_else(|| panic!("{} has no package name", manifest.display()))
        .to_string()
}
