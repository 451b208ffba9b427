//! `zemstvo plugin new` as a vendor meets it: a crate of every kind, generated outside the
//! repository, builds and passes its own `cargo test` as generated; the component `cargo test`
//! ran is the one `zemstvo plugin build` prints and `zemstvo plugin pack` packs; bad input
//! writes nothing.
//!
//! Cost: each generated crate is its own workspace, so its tests compile the host (wasmtime,
//! cranelift) with its own feature set — about ten minutes on two cores the first time. The
//! five crates share one target directory next to the workspace's (`target/plugin-new`), so
//! that cost is paid once per machine; afterwards this test takes about a minute (each crate's
//! own build and its wasm32 build with LTO).

#[path = "support/cli.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

/// The target directory the generated crates share.
fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the tmp directory is inside the target directory")
        .join("plugin-new")
}

/// `cargo ARGS` in `dir` as a vendor runs it, but building into the shared target directory.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("ZEMSTVO_PLUGIN_WASM")
        .output()
        .expect("cargo runs")
}

/// `zemstvo plugin build DIR` into the shared target directory, which must succeed.
fn plugin_build(ws: &Workspace, dir: &Path) -> Output {
    let build = ws
        .command()
        .args(["plugin", "build", &dir.display().to_string()])
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .output()
        .unwrap();
    assert_success(&build);
    build
}

#[test]
fn a_crate_of_every_kind_builds_and_passes_its_own_tests_and_packs_what_it_tested() {
    let ws = Workspace::new();
    for kind in [
        "deviation-check",
        "eligibility-rule",
        "risk-scoring",
        "geo-check",
        "appeal-routing",
    ] {
        let name = format!("new-{kind}");
        let out = ws.run(&[
            "plugin",
            "new",
            &name,
            "--kind",
            kind,
            "--vendor",
            VENDOR,
            "--parent",
            &ws.p(""),
        ]);
        assert_success(&out);
        assert!(
            stdout(&out).contains(&format!("created {name} ({kind})")),
            "{}",
            stdout(&out)
        );
        let dir = ws.path(&name);
        for file in [
            "Cargo.lock",
            "README.md",
            "rust-toolchain.toml",
            "tests/cases/rule.json",
        ] {
            assert!(dir.join(file).is_file(), "{kind}: {file} is missing");
        }

        let tested = cargo(&dir, &["test", "--", "--nocapture"]);
        assert_success(&tested);
        let log = stderr(&tested);
        assert!(
            log.contains("test result: ok") || stdout(&tested).contains("test result: ok"),
            "{kind}: {log}"
        );
        if kind == "appeal-routing" {
            // The README's `zemstvo run` line, typed in the crate: the example call is routed.
            let build = plugin_build(&ws, &dir);
            let component = stdout(&build).trim().to_string();
            let ran = ws
                .command()
                .current_dir(&dir)
                .args(["run", &component, "--appeal", "tests/fixtures/appeal.json"])
                .output()
                .unwrap();
            assert_success(&ran);
            let printed = stdout(&ran);
            assert!(
                printed.contains("routing: roads.pothole")
                    && printed.contains("to omsu-town, answer due in 10 days")
                    && printed.contains("merge into incident 7"),
                "{printed}"
            );
        }
        if kind != "deviation-check" {
            continue;
        }

        // What is tested is what ships: the harness names the bytes it ran, `plugin build`
        // prints the same file, `plugin pack` of the crate directory packs the same hash.
        let line = log
            .lines()
            .find(|l| l.starts_with("zemstvo: testing "))
            .unwrap_or_else(|| panic!("the harness names the component it tested: {log}"));
        let (path, sha) = line["zemstvo: testing ".len()..]
            .split_once(" (component sha256 ")
            .expect("path and hash");
        let sha = sha.trim_end_matches(')');
        let build = plugin_build(&ws, &dir);
        assert_eq!(stdout(&build).trim(), path, "{}", stderr(&build));
        assert!(stderr(&build).contains(sha), "{}", stderr(&build));

        let key = ws.new_key("vendor-key");
        let package = ws.p("new.zpkg");
        let packed = ws
            .command()
            .args([
                "plugin",
                "pack",
                &dir.display().to_string(),
                "--key",
                &key,
                "--vendor",
                VENDOR,
                "-o",
                &package,
            ])
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .output()
            .unwrap();
        assert_success(&packed);
        assert!(stderr(&packed).contains(path), "{}", stderr(&packed));
        let bytes = std::fs::read(&package).unwrap();
        let package = zemstvo_registry::Package::read(&bytes).unwrap();
        assert_eq!(package.manifest().component_sha256, sha);
        assert_eq!(package.manifest().name.as_str(), name);
    }
}

#[test]
fn a_bad_name_an_existing_directory_an_unknown_kind_or_sdk_are_refused_writing_nothing() {
    let ws = Workspace::new();
    let parent = ws.p("");
    let new = |args: &[&str]| {
        let mut all = vec!["plugin", "new"];
        all.extend_from_slice(args);
        all.extend(["--parent", &parent]);
        ws.run(&all)
    };
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(ws.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    for bad in ["Late_Answers", "../escape", "dash-", "a b"] {
        let out = new(&[bad, "--kind", "geo-check"]);
        assert_refused(&out, 2, "is not a plugin name");
        assert!(
            stderr(&out).contains("e.g. `late-answers`"),
            "{}",
            stderr(&out)
        );
    }
    let out = new(&["late-answers", "--kind", "weather-forecast"]);
    assert_refused(
        &out,
        2,
        "possible values: deviation-check, eligibility-rule",
    );
    let out = new(&[
        "late-answers",
        "--kind",
        "geo-check",
        "--sdk",
        "/nonexistent/zemstvo",
    ]);
    assert_refused(&out, 2, "holds no zemstvo SDK");
    assert_eq!(listing(), Vec::<String>::new(), "nothing was written");

    std::fs::create_dir(ws.path("late-answers")).unwrap();
    std::fs::write(ws.path("late-answers/mine.txt"), "keep").unwrap();
    let out = new(&["late-answers", "--kind", "deviation-check"]);
    assert_refused(&out, 2, "already exists");
    assert_eq!(
        std::fs::read_to_string(ws.path("late-answers/mine.txt")).unwrap(),
        "keep"
    );
    assert_eq!(listing(), ["late-answers"]);
}
