//! Builds plugin crates for `wasm32-wasip2`, so that `cargo test` and `cargo run` need nothing
//! but cargo: the SDK's test harness and the repository's plugin artifacts both call this,
//! with the same profile and flags, so the component under test is the one that ships.
//!
//! It has no dependencies on purpose: it runs inside build scripts, where every dependency
//! would be compiled a second time.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// The cargo profile plugins are built with: release, LTO, one codegen unit, no debug info
/// (the name section stays, so traps name the plugin's functions).
pub const PROFILE: &str = "zemstvo-plugin";

const PROFILE_CONFIG: &[&str] = &[
    "profile.zemstvo-plugin.inherits=\"release\"",
    "profile.zemstvo-plugin.opt-level=3",
    "profile.zemstvo-plugin.debug=false",
    "profile.zemstvo-plugin.strip=\"debuginfo\"",
    "profile.zemstvo-plugin.codegen-units=1",
    "profile.zemstvo-plugin.lto=true",
    "profile.zemstvo-plugin.panic=\"abort\"",
];

/// Environment of the calling cargo that must not leak into the plugin build: host-only
/// flags, wrappers (clippy's driver) and target overrides.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_PROFILE_RELEASE_LTO",
];

/// Why plugins could not be built. Says what to run to fix it.
#[derive(Debug)]
pub enum BuildError {
    /// The `wasm32-wasip2` target is not installed and could not be added.
    MissingTarget(String),
    /// cargo could not be started.
    Spawn(std::io::Error),
    /// cargo ran and failed; its output was shown.
    Failed { status: String, stderr: String },
    /// cargo succeeded but an expected file is missing.
    MissingOutput(PathBuf),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingTarget(why) => write!(
                f,
                "the {TARGET} target is not installed and could not be added ({why}); run \
                 `rustup target add {TARGET}` (offline, install the target's standard library \
                 from your toolchain's distribution)"
            ),
            BuildError::Spawn(e) => write!(f, "could not start cargo to build plugins: {e}"),
            BuildError::Failed { status, stderr } => {
                write!(
                    f,
                    "building plugins for {TARGET} failed ({status}):\n{stderr}"
                )
            }
            BuildError::MissingOutput(p) => write!(
                f,
                "cargo succeeded but {} is missing: a plugin crate is a component, so its \
                 Cargo.toml needs `[lib] crate-type = [\"cdylib\"]`",
                p.display()
            ),
        }
    }
}

impl std::error::Error for BuildError {}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn rustc() -> OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// Makes sure the toolchain can build for `wasm32-wasip2`, adding the target through rustup
/// when it is missing (what `rust-toolchain.toml`'s `targets` would do, had rustup done it).
pub fn ensure_target() -> Result<(), BuildError> {
    if target_installed() {
        return Ok(());
    }
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .map_err(|e| BuildError::MissingTarget(format!("rustup could not be started: {e}")))?;
    if added.success() && target_installed() {
        Ok(())
    } else {
        Err(BuildError::MissingTarget(format!(
            "`rustup target add {TARGET}` exited with {added}"
        )))
    }
}

fn target_installed() -> bool {
    let Ok(out) = Command::new(rustc())
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
    else {
        return false;
    };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(&dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        })
}

/// The directory plugin builds go to: `zemstvo-wasm` inside the cargo target directory that
/// holds `anchor` (a build script's OUT_DIR or a test executable), so host and plugin builds
/// share one target tree and the harness reuses what the build script built.
pub fn target_dir_near(anchor: &Path) -> PathBuf {
    anchor
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(plugin_target_dir)
        .unwrap_or_else(|| plugin_target_dir(&std::env::temp_dir()))
}

/// The directory plugin builds go to inside a cargo target directory (`cargo metadata`'s
/// `target_directory`): where the harness of a crate whose tests build there puts them, so
/// that `zemstvo plugin build` finds the very component `cargo test` ran.
pub fn plugin_target_dir(cargo_target_dir: &Path) -> PathBuf {
    cargo_target_dir.join("zemstvo-wasm")
}

/// Where cargo puts the component of `package` built into `target_dir`.
pub fn wasm_path(target_dir: &Path, package: &str) -> PathBuf {
    target_dir
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{}.wasm", package.replace('-', "_")))
}

/// Builds `packages` of the workspace (or package) at `manifest_path` and returns the path of
/// each component, in the order given.
pub fn build(
    manifest_path: &Path,
    packages: &[&str],
    target_dir: &Path,
) -> Result<Vec<PathBuf>, BuildError> {
    build_as(manifest_path, packages, target_dir, Progress::Quiet)
}

/// What the person waiting sees of cargo's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Cargo's output is kept and shown only if the build fails (tests, build scripts).
    Quiet,
    /// Cargo's progress goes to this process's stderr as it happens (`zemstvo plugin build`).
    Shown,
}

/// [`build`], showing cargo's progress or not. Same profile, flags and directories either way:
/// the bytes do not depend on who asked.
pub fn build_as(
    manifest_path: &Path,
    packages: &[&str],
    target_dir: &Path,
    progress: Progress,
) -> Result<Vec<PathBuf>, BuildError> {
    ensure_target()?;
    let mut cmd = Command::new(cargo());
    cmd.arg("build");
    for config in PROFILE_CONFIG {
        cmd.args(["--config", config]);
    }
    cmd.args(["--target", TARGET, "--profile", PROFILE]);
    if progress == Progress::Quiet {
        cmd.arg("--message-format=short");
    }
    cmd.arg("--manifest-path")
        .arg(manifest_path)
        .arg("--target-dir")
        .arg(target_dir);
    for package in packages {
        cmd.args(["--package", package]);
    }
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    match progress {
        Progress::Quiet => {
            let output = cmd.output().map_err(BuildError::Spawn)?;
            if !output.status.success() {
                return Err(BuildError::Failed {
                    status: output.status.to_string(),
                    stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                });
            }
        }
        Progress::Shown => {
            let status = cmd.status().map_err(BuildError::Spawn)?;
            if !status.success() {
                return Err(BuildError::Failed {
                    status: status.to_string(),
                    stderr: "(cargo's messages are above)".into(),
                });
            }
        }
    }
    packages
        .iter()
        .map(|p| {
            let path = wasm_path(target_dir, p);
            if path.is_file() {
                Ok(path)
            } else {
                Err(BuildError::MissingOutput(path))
            }
        })
        .collect()
}
