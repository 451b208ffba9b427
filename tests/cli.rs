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

/// An appeal router run by hand: the appeal, a catalogue file beside it and an open incident
/// 30 m away are routed and printed; a call without its catalogue is refused with what to give.
#[test]
fn run_routes_an_appeal_from_a_file() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let router = zemstvo_plugin_artifacts::reference("appeal-router").unwrap();
    std::fs::copy(
        format!("{}/catalogue.json", router.crate_dir),
        dir.path().join("catalogue.json"),
    )
    .unwrap();
    let call = |catalogue: &str| {
        format!(
            r#"{{"appeal": {{"id": 5, "channel": "open311", "service_code": null,
                "text": "Большая яма на дороге у дома 5, разбитый асфальт",
                "place": {{"lat": 52.6088, "lon": 39.5992}}, "territory": "lipetsk",
                "received": 1773478800}},
              {catalogue}
              "open_incidents": [{{"id": 7, "category": "roads.pothole",
                "place": {{"lat": 52.60907, "lon": 39.5992}}, "territory": "lipetsk",
                "opened": 1773000000, "appeals": 2}}]}}"#
        )
    };
    let file = dir.path().join("appeal.json");
    std::fs::write(&file, call(r#""catalogue_file": "catalogue.json","#)).unwrap();
    let out = zemstvo(
        &["run", router.path, "--appeal", file.to_str().unwrap()],
        cache.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("routing: roads.pothole (catalogue 2026.1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("to omsu-lipetsk, answer due in 10 days"),
        "{stdout}"
    );
    assert!(stdout.contains("merge into incident 7"), "{stdout}");

    std::fs::write(&file, call("")).unwrap();
    let out = zemstvo(
        &["run", router.path, "--appeal", file.to_str().unwrap()],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("give the catalogue either inline"),
        "{}",
        text(&out.stderr)
    );
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
    assert!(stdout.contains("zemstvo-wit=0.2.0"), "{stdout}");
}

#[test]
fn demo_once_creates_tasks_once_and_finds_them_on_the_second_run() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let args = [
        "demo",
        "--once",
        "--scale",
        "small",
        "--now",
        "2026-11-23T06:00:00Z",
        "--database",
        &db,
    ];
    let first = zemstvo(&args, cache.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    assert!(
        stdout.contains("demo region `lipetsk-demo`: 4 units"),
        "{stdout}"
    );
    assert!(stdout.contains("status: succeeded"), "{stdout}");
    assert!(stdout.contains("→ employee"), "{stdout}");
    // "  plugin: 1 run(s), X tasks created, Y tasks already present, Z messages queued", per
    // batch plugin: the totals of X, Y and Z.
    let totals = |s: &str| -> (u64, u64, u64) {
        let lines: Vec<&str> = s.lines().filter(|l| l.contains(" run(s), ")).collect();
        assert!(lines.len() >= 10, "every reference plugin ran: {s}");
        let number = |line: &str, label: &str| -> u64 {
            let before = &line[..line.find(label).unwrap_or_else(|| panic!("{line}"))];
            before
                .trim_end()
                .rsplit(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        lines.iter().fold((0, 0, 0), |(c, p, m), l| {
            (
                c + number(l, " tasks created"),
                p + number(l, " tasks already present"),
                m + number(l, " messages queued"),
            )
        })
    };
    let (tasks, present, messages) = totals(&stdout);
    assert!(tasks > 0 && present == 0 && messages > 0, "{stdout}");
    // The eligibility rule decided the registered child-allowance applications.
    let decided = stdout
        .lines()
        .find(|l| l.contains("yugra-child-allowance:") && l.contains("decided without an official"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(!decided.contains(": 0 applications"), "{decided}");
    assert!(decided.contains(" 0 waiting for agencies"), "{decided}");
    // Run once, the region lives on its simulated agencies' time: the rule decides each case
    // when its answers arrive, days after the runs' morning, never before an answer it used.
    let cases = text(
        &zemstvo(
            &[
                "cases",
                "list",
                "--plugin",
                "yugra-child-allowance",
                "--database",
                &db,
            ],
            cache.path(),
        )
        .stdout,
    );
    let decided_on: Vec<(&str, &str)> = cases
        .lines()
        .filter(|l| l.contains(" approved ") || l.contains(" denied "))
        .map(|l| {
            let id = l.split_whitespace().nth(1).unwrap();
            let day = l.rsplit(", ").next().unwrap().split(' ').next().unwrap();
            (id, day)
        })
        .collect();
    assert!(!decided_on.is_empty(), "{cases}");
    assert!(
        decided_on.iter().all(|(_, day)| *day >= "2026-11-23"),
        "{cases}"
    );
    let days: std::collections::BTreeSet<&str> = decided_on.iter().map(|(_, d)| *d).collect();
    assert!(
        days.len() >= 2,
        "decisions follow the agencies' days, not the few seconds the demo took: {cases}"
    );
    for (id, day) in decided_on.iter().take(5) {
        let shown = text(&zemstvo(&["cases", "show", id, "--database", &db], cache.path()).stdout);
        let received: Vec<&str> = shown
            .split("received ")
            .skip(1)
            .map(|rest| &rest[..10])
            .collect();
        assert!(!received.is_empty(), "{shown}");
        assert!(received.iter().all(|r| r <= day), "{shown}");
    }
    // The second run on the same day finds every task already there and creates none.
    let second = zemstvo(&args, cache.path());
    assert!(second.status.success(), "{}", text(&second.stderr));
    let again = text(&second.stdout);
    assert!(again.contains("(generated earlier)"), "{again}");
    let (tasks_again, present_again, _) = totals(&again);
    assert_eq!((tasks_again, present_again), (0, tasks), "{again}");
    // The tasks are in the database, for the cabinet: the plugins' and those of the demo's
    // citizens' appeals (the executors' and the specialists').
    let count = |extra: &[&str]| -> u64 {
        let mut args = vec!["tasks", "list", "--limit", "100000", "--database", &db];
        args.extend_from_slice(extra);
        let out = text(&zemstvo(&args, cache.path()).stdout);
        out.lines()
            .find_map(|l| l.strip_suffix(" task(s)"))
            .unwrap_or_else(|| panic!("{out}"))
            .parse()
            .unwrap()
    };
    let of_appeals = count(&["--plugin", "appeals"]);
    assert!(
        of_appeals > 0,
        "the demo's appeals gave their executors tasks"
    );
    assert_eq!(count(&[]), tasks + of_appeals);
    let list = zemstvo(&["tasks", "list", "--database", &db], cache.path());
    // One task as people read it: names, not bare ids or `Some(…)`.
    let first = text(&list.stdout)
        .lines()
        .next()
        .and_then(|l| {
            l.trim_start_matches('#')
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
        .expect("a task id");
    let show = zemstvo(&["tasks", "show", &first, "--database", &db], cache.path());
    let shown = text(&show.stdout);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert!(
        shown.contains("\nassignee ") && shown.contains(" (#"),
        "{shown}"
    );
    assert!(!shown.contains("Some("), "{shown}");

    // Every run and decision left a record in one intact chain, and a changed byte is found.
    let verify = zemstvo(&["audit", "verify", "--database", &db], cache.path());
    let report = text(&verify.stdout);
    assert!(verify.status.success(), "{report}{}", text(&verify.stderr));
    assert!(report.contains("decision records: intact"), "{report}");
    // Each `--once` signed a checkpoint of what it appended.
    assert!(report.contains(" 2 checkpoint(s)"), "{report}");
    let records = zemstvo(
        &["audit", "records", "--limit", "3", "--database", &db],
        cache.path(),
    );
    assert!(
        text(&records.stdout).contains("3 record(s)"),
        "{}",
        text(&records.stdout)
    );
    // The demo's decisions replayed on the version that took them are reproduced exactly.
    let replay = zemstvo(
        &["replay", "yugra-child-allowance", "--database", &db],
        cache.path(),
    );
    let replayed = text(&replay.stdout);
    assert!(
        replay.status.success(),
        "{replayed}{}",
        text(&replay.stderr)
    );
    let counts = replayed
        .lines()
        .find(|l| l.contains(" decision(s) replayed, "))
        .unwrap_or_else(|| panic!("{replayed}"));
    let n: u64 = counts.split(' ').next().unwrap().parse().unwrap();
    assert!(n > 0, "{replayed}");
    assert!(
        counts.contains(&format!("replayed, {n} identical, 0 changed, 0 failed")),
        "{replayed}"
    );
    let refused = zemstvo(
        &[
            "replay",
            "yugra-child-allowance",
            "--candidate",
            "7.7.7",
            "--database",
            &db,
        ],
        cache.path(),
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("zemstvo plugin history yugra-child-allowance"),
        "{}",
        text(&refused.stderr)
    );
    // A deviation check's newest run replayed on its own version: the data is what it read,
    // and every task is reproduced. `--limit` counts decisions, which a batch plugin has none
    // of; `--run` picks a batch run, which a rule has none of.
    let replay = zemstvo(
        &["replay", "isu-overdue-applications", "--database", &db],
        cache.path(),
    );
    let replayed = text(&replay.stdout);
    assert!(
        replay.status.success(),
        "{replayed}{}",
        text(&replay.stderr)
    );
    assert!(
        replayed.contains("the region's data is what the run read")
            && replayed.contains("reproduces the record")
            && replayed.contains("the candidate emits exactly what"),
        "{replayed}"
    );
    let tasks = replayed
        .lines()
        .find(|l| l.starts_with("tasks: "))
        .unwrap_or_else(|| panic!("{replayed}"));
    assert!(
        tasks.ends_with(" identical, 0 added, 0 removed, 0 changed")
            && !tasks.starts_with("tasks: 0 "),
        "{replayed}"
    );
    for (args, says) in [
        (
            vec!["replay", "isu-overdue-applications", "--limit", "5"],
            "pick it with --run",
        ),
        (
            vec!["replay", "yugra-child-allowance", "--run", "x"],
            "--since, --until and --limit",
        ),
        (
            vec!["replay", "isu-overdue-applications", "--run", "no-such-run"],
            "zemstvo audit records --plugin isu-overdue-applications",
        ),
    ] {
        let mut args = args;
        args.extend(["--database", &db]);
        let refused = zemstvo(&args, cache.path());
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            text(&refused.stderr).contains(says),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    // No shadow yet: `shadow show` says how to start one; a version nobody has is refused.
    let show = zemstvo(
        &["shadow", "show", "yugra-child-allowance", "--database", &db],
        cache.path(),
    );
    assert!(!show.status.success());
    assert!(
        text(&show.stderr).contains("zemstvo shadow start yugra-child-allowance --candidate"),
        "{}",
        text(&show.stderr)
    );
    let start = zemstvo(
        &[
            "shadow",
            "start",
            "yugra-child-allowance",
            "--candidate",
            "7.7.7",
            "--database",
            &db,
        ],
        cache.path(),
    );
    assert!(!start.status.success());
    assert!(
        text(&start.stderr).contains("7.7.7 is neither a version this region installed"),
        "{}",
        text(&start.stderr)
    );
    // No rollout without a shadow, and none out of bounds: each refusal says what to do.
    let rollout = |args: &[&str]| {
        let mut all = vec!["rollout"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database", &db]);
        zemstvo(&all, cache.path())
    };
    let show = rollout(&["show", "yugra-child-allowance"]);
    assert!(!show.status.success());
    assert!(
        text(&show.stderr).contains("zemstvo rollout start yugra-child-allowance --share"),
        "{}",
        text(&show.stderr)
    );
    let start = rollout(&["start", "yugra-child-allowance", "--share", "10"]);
    assert!(!start.status.success());
    assert!(
        text(&start.stderr).contains("has no shadow to roll out"),
        "{}",
        text(&start.stderr)
    );
    let start = rollout(&["start", "yugra-child-allowance", "--share", "0"]);
    assert!(!start.status.success());
    assert!(
        text(&start.stderr).contains("share_percent` must be a whole percentage from 1 to 100"),
        "{}",
        text(&start.stderr)
    );
    let changed = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = zemstvo_store::Store::open(&db).await.unwrap();
        store
            .execute_for_tests(
                "UPDATE decision_records SET body = replace(body, '\"record\":1', '\"record\":7') WHERE seq = 2",
            )
            .await
            .unwrap()
    });
    assert_eq!(changed, 1);
    let verify = zemstvo(&["audit", "verify", "--database", &db], cache.path());
    let report = text(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{report}");
    assert!(
        report.contains("BROKEN at record #2") && report.contains("was altered"),
        "{report}"
    );

    // A closed output pipe ends a printing command quietly, as `ls | head` does.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let closed = Command::new(env!("CARGO_BIN_EXE_zemstvo"))
        .args(["tasks", "list", "--database", &db])
        .env("ZEMSTVO_CACHE_DIR", cache.path())
        .stdout(writer)
        .output()
        .unwrap();
    assert_ne!(closed.status.code(), Some(101), "{}", text(&closed.stderr));
    assert!(
        !text(&closed.stderr).contains("panicked"),
        "{}",
        text(&closed.stderr)
    );
}
