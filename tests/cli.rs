//! The `zemstvo` binary, as a vendor and a newcomer use it.

use std::process::{Command, Output};

fn zemstvo(args: &[&str], cache: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zemstvo"))
        .args(args)
        .env("ZEMSTVO_CACHE_DIR", cache)
        .output()
        .expect("the zemstvo binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn reference() -> (&'static str, String) {
    let artifact = zemstvo_plugin_artifacts::reference("isu-smev-answer-delay").unwrap();
    let fixture = format!("{}/tests/fixtures/region.json", artifact.crate_dir);
    (artifact.path, fixture)
}

#[test]
fn run_prints_the_report_with_the_tasks() {
    let cache = tempfile::tempdir().unwrap();
    let (plugin, data) = reference();
    let out = zemstvo(&["run", plugin, "--data", &data], cache.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("status: succeeded"), "{stdout}");
    assert!(stdout.contains("tasks (2):"), "{stdout}");
    assert!(stdout.contains("→ employee 20:"), "{stdout}");
}

#[test]
fn run_json_is_the_run_record() {
    let cache = tempfile::tempdir().unwrap();
    let (plugin, data) = reference();
    let out = zemstvo(
        &[
            "run",
            plugin,
            "--data",
            &data,
            "--config",
            "max-wait-days=7",
            "--json",
        ],
        cache.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["status"], "succeeded");
    assert_eq!(report["plugin"]["name"], "isu-smev-answer-delay");
    assert_eq!(report["summary"]["found"], 3);
    assert_eq!(report["outputs"]["tasks"].as_array().unwrap().len(), 2);
}

#[test]
fn a_bad_config_exits_2_and_names_the_key() {
    let cache = tempfile::tempdir().unwrap();
    let (plugin, data) = reference();
    let out = zemstvo(
        &[
            "run",
            plugin,
            "--data",
            &data,
            "--config",
            "max-wait-days=99",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("max-wait-days") && stderr.contains("allowed 1 to 60"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn a_malformed_fixture_exits_2_and_names_the_field() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("region.json");
    std::fs::write(
        &data,
        r#"{"smev_requests": [{"id": 1, "application_id": 1}]}"#,
    )
    .unwrap();
    let (plugin, _) = reference();
    let out = zemstvo(
        &["run", plugin, "--data", data.to_str().unwrap()],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("smev_requests[0].agency: missing"),
        "{stderr}"
    );
}

#[test]
fn a_failed_run_exits_1_with_the_reason() {
    let cache = tempfile::tempdir().unwrap();
    let (plugin, data) = reference();
    let out = zemstvo(
        &["run", plugin, "--data", &data, "--grant", "data.smev"],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("status: FAILED"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("data.applications"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn run_refuses_a_file_that_is_not_a_plugin() {
    let cache = tempfile::tempdir().unwrap();
    let (_, data) = reference();
    let out = zemstvo(&["run", &data, "--data", &data], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a WebAssembly file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn inspect_shows_kind_capabilities_and_configuration() {
    let cache = tempfile::tempdir().unwrap();
    let (plugin, _) = reference();
    let out = zemstvo(&["inspect", plugin], cache.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("isu-smev-answer-delay 1.0.0 (deviation-check)"),
        "{stdout}"
    );
    assert!(stdout.contains("tasks.create"), "{stdout}");
    assert!(
        stdout.contains("max-wait-days (default 4) [1..60]"),
        "{stdout}"
    );
    assert!(stdout.contains("zemstvo-wit=0.1.0"), "{stdout}");
}

#[test]
fn demo_once_prints_the_tasks_of_the_demo_region() {
    let cache = tempfile::tempdir().unwrap();
    let args = ["demo", "--once", "--now", "2026-11-23T06:00:00Z"];
    let first = zemstvo(&args, cache.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(stdout.contains("demo region lipetsk-demo"), "{stdout}");
    assert!(
        stdout.contains("plugin isu-smev-answer-delay 1.0.0 (deviation-check), compiled"),
        "{stdout}"
    );
    assert!(stdout.contains("status: succeeded"), "{stdout}");
    assert!(stdout.contains("→ employee"), "{stdout}");
    // The second run loads the precompiled artifact and prints the same tasks.
    let second = zemstvo(&args, cache.path());
    let again = text(&second.stdout);
    assert!(again.contains("precompiled, from the cache"), "{again}");
    let tasks = |s: &str| {
        s.lines()
            .filter(|l| l.contains("→ employee"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(tasks(&stdout), tasks(&again));
}
