//! The repository's plugins as built components: the reference plugins' bytes (for the demo
//! and the benchmarks) and, with the `fixtures` feature, the paths of the hostile and broken
//! fixtures the integration tests load.

/// A built reference plugin.
#[derive(Debug, Clone, Copy)]
pub struct Artifact {
    /// The package name, e.g. `isu-smev-answer-delay`.
    pub name: &'static str,
    /// The plugin crate's directory (its test fixtures live there).
    pub crate_dir: &'static str,
    /// The component file in the target directory.
    pub path: &'static str,
    /// The component itself.
    pub bytes: &'static [u8],
}

/// A built test fixture.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub name: &'static str,
    pub path: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

/// The reference plugin named `name`.
pub fn reference(name: &str) -> Option<&'static Artifact> {
    REFERENCE.iter().find(|a| a.name == name)
}

/// The bytes of the fixture named `name`; panics if it was not built (tests only).
pub fn fixture(name: &str) -> Vec<u8> {
    let fixture = FIXTURES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture `{name}`; is the `fixtures` feature on?"));
    std::fs::read(fixture.path).unwrap_or_else(|e| panic!("{}: {e}", fixture.path))
}
