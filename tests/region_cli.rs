//! Region administration through the `zemstvo` binary: an administrator trusts a vendor's key,
//! installs, upgrades, pins and rolls back a plugin from a real registry process, and keeps it
//! when the registry goes away.

#[path = "support/cli.rs"]
mod support;

use support::*;

/// Packs the `versioned-check` fixture built at `version` with `key`.
fn pack_versioned(ws: &Workspace, key: &str, version: &str) -> String {
    let name = match version {
        "1.0.0" => "fixture-versioned-v1-0-0",
        "1.2.0" => "fixture-versioned-v1-2-0",
        other => panic!("no fixture for {other}"),
    };
    let wasm = zemstvo_plugin_artifacts::FIXTURES
        .iter()
        .find(|f| f.name == name)
        .unwrap()
        .path;
    let out_path = ws.p(&format!("versioned-{version}.zpkg"));
    assert_success(&ws.run(&[
        "plugin", "pack", wasm, "--key", key, "--vendor", VENDOR, "-o", &out_path,
    ]));
    out_path
}

#[test]
fn an_administrator_trusts_installs_upgrades_and_rolls_back_through_the_binary() {
    let ws = Workspace::new();
    let serve = Serve::start(&ws, &[]);
    let key = ws.new_key("vendor-key");
    serve.register(&ws, "vendor-key");
    for version in ["1.0.0", "1.2.0"] {
        let package = pack_versioned(&ws, &key, version);
        assert_success(&ws.run(&[
            "plugin",
            "publish",
            &package,
            "--registry",
            &serve.url,
            "--key",
            &key,
        ]));
    }
    let db = format!("sqlite://{}", ws.p("region.db"));
    let region = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", &db]);
        ws.run(&all)
    };
    assert_success(&region(&[
        "region-init",
        "--id",
        "lipetsk",
        "--name",
        "Липецкая область",
    ]));

    let untrusted = region(&[
        "plugin",
        "install",
        "versioned-check@^1.0",
        "--registry",
        &serve.url,
    ]);
    assert_refused(&untrusted, 1, "trusts no vendor key");

    let public = ws.p("vendor-key/public-key.json");
    let out = region(&[
        "trust",
        "add",
        &public,
        "--vendor",
        VENDOR,
        "--scope",
        "versioned-*",
    ]);
    assert_success(&out);
    assert!(stdout(&out).contains("now trusts key"), "{}", stdout(&out));

    let out = region(&[
        "plugin",
        "install",
        "versioned-check@~1.0.0",
        "--registry",
        &serve.url,
        "--enable",
    ]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("installed versioned-check 1.0.0"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("signed by lipetsk-soft"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("not yet granted: data.staff"),
        "{}",
        stdout(&out)
    );

    let out = region(&[
        "plugin",
        "upgrade",
        "versioned-check",
        "--registry",
        &serve.url,
    ]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("upgraded versioned-check 1.2.0 (was 1.0.0)"),
        "{}",
        stdout(&out)
    );

    let out = region(&["plugin", "rollback", "versioned-check"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("rolled back versioned-check 1.0.0 (was 1.2.0)"),
        "{}",
        stdout(&out)
    );

    // Yanked: ranges skip 1.2.0, an exact pin still installs it, as cargo does.
    assert_success(&ws.run(&serve.admin(&["registry", "yank", "versioned-check", "1.2.0"])));
    let out = region(&[
        "plugin",
        "install",
        "versioned-check@^1.1",
        "--registry",
        &serve.url,
    ]);
    assert_refused(&out, 1, "yanked and skipped: 1.2.0");
    let out = region(&[
        "plugin",
        "install",
        "versioned-check@=1.2.0",
        "--registry",
        &serve.url,
    ]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("upgraded versioned-check 1.2.0 (was 1.0.0)"),
        "{}",
        stdout(&out)
    );
    assert_success(&region(&["plugin", "rollback", "versioned-check"]));
    assert_success(&ws.run(&serve.admin(&["registry", "unyank", "versioned-check", "1.2.0"])));

    // The region's trust store, exported for `plugin verify --trust`.
    let out = region(&["trust", "export", &ws.p("region-trust.json")]);
    assert_success(&out);
    assert!(stdout(&out).contains("1 key(s)"), "{}", stdout(&out));
    let out = ws.run(&[
        "plugin",
        "verify",
        &ws.p("versioned-1.0.0.zpkg"),
        "--trust",
        &ws.p("region-trust.json"),
    ]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("signed by trusted key"),
        "{}",
        stdout(&out)
    );
    let out = ws.run(&[
        "plugin",
        "verify",
        &ws.p("versioned-1.0.0.zpkg"),
        "--trust",
        &ws.p("no-such-trust.json"),
    ]);
    assert_refused(&out, 2, "zemstvo trust export");

    assert_success(&region(&["plugin", "pin", "versioned-check"]));
    let pinned = region(&[
        "plugin",
        "upgrade",
        "versioned-check",
        "--registry",
        &serve.url,
    ]);
    assert_refused(&pinned, 1, "is pinned at 1.0.0");

    let out = region(&["plugin", "configure", "versioned-check", "unknown=1"]);
    assert_refused(&out, 2, "unknown configuration key `unknown`");

    // The registry goes down; the region keeps what it installed.
    drop(serve);
    let list = region(&["plugin", "list"]);
    assert_success(&list);
    assert!(
        stdout(&list).contains("versioned-check              1.0.0     enabled  pinned"),
        "{}",
        stdout(&list)
    );
    assert_success(&region(&["plugin", "unpin", "versioned-check"]));
    let down = region(&[
        "plugin",
        "upgrade",
        "versioned-check",
        "--registry",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(down.status.code(), Some(1), "{}", stderr(&down));
    let history = stdout(&region(&["plugin", "history", "versioned-check"]));
    assert_eq!(history.lines().count(), 5, "{history}");
}

#[test]
fn a_plugin_runs_when_triggered_and_a_refused_one_leaves_a_trace() {
    let ws = Workspace::new();
    let key = ws.new_key("vendor-key");
    let package = pack_versioned(&ws, &key, "1.0.0");
    let db = format!("sqlite://{}", ws.p("region.db"));
    let region = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", &db]);
        ws.run(&all)
    };
    let out = region(&["serve", "--once"]);
    assert_refused(&out, 2, "zemstvo region-init");
    assert_success(&region(&[
        "region-init",
        "--id",
        "lipetsk",
        "--name",
        "Липецкая область",
    ]));

    let out = region(&["serve", "--once"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("nothing to do:\n  no plugin is installed"),
        "{}",
        stdout(&out)
    );

    let public = ws.p("vendor-key/public-key.json");
    assert_success(&region(&["trust", "add", &public, "--vendor", VENDOR]));
    assert_success(&region(&[
        "plugin",
        "install",
        &package,
        "--enable",
        "--grant-declared",
    ]));

    // Installed and enabled without a schedule: the round says why it did nothing.
    let out = region(&["serve", "--once"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains(
            "versioned-check: no schedule; run it now with `zemstvo runs trigger versioned-check`"
        ),
        "{}",
        stdout(&out)
    );

    // Run now.
    let out = region(&["runs", "trigger", "versioned-check"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("versioned-check: queued a run"),
        "{}",
        stdout(&out)
    );
    let again = region(&["runs", "trigger", "versioned-check"]);
    assert!(
        stdout(&again).contains("already queued"),
        "{}",
        stdout(&again)
    );
    let out = region(&["serve", "--once"]);
    assert_success(&out);
    assert!(
        stdout(&out)
            .contains("ran versioned-check 1.0.0 (manual, run versioned-check-q1a1): succeeded"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("nothing to do"), "{}", stdout(&out));

    // An eligibility rule or an unknown plugin is refused, and nothing is queued.
    let out = region(&["runs", "trigger", "no-such-plugin"]);
    assert_refused(&out, 1, "refused: no plugin `no-such-plugin` is installed");

    // The signer's key is revoked while a run waits: the run is recorded as refused, the
    // plugin's state says why, and enabling it warns.
    assert_success(&region(&["runs", "trigger", "versioned-check"]));
    let key_id = zemstvo_registry::key_files::read_public_key(std::path::Path::new(&public))
        .unwrap()
        .key_id()
        .to_string();
    assert_success(&region(&[
        "trust",
        "revoke",
        &key_id,
        "--reason",
        "laptop lost",
    ]));
    let out = region(&["serve", "--once"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("ran versioned-check 1.0.0 (manual, run versioned-check-q2a1): failed: refused: versioned-check 1.0.0 no longer verifies"),
        "{}",
        stdout(&out)
    );
    let runs = stdout(&region(&["runs"]));
    assert!(
        runs.contains("failed") && runs.contains("revoked key"),
        "{runs}"
    );
    let list = stdout(&region(&["plugin", "list"]));
    assert!(
        list.contains("versioned-check              1.0.0     REFUSED"),
        "{list}"
    );
    assert!(
        list.contains("cannot run (enabled): versioned-check 1.0.0 no longer verifies"),
        "{list}"
    );
    assert!(list.contains("laptop lost"), "{list}");
    let out = region(&["plugin", "enable", "versioned-check"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("cannot run until this is fixed"),
        "{}",
        stderr(&out)
    );
    let out = region(&["runs", "trigger", "versioned-check"]);
    assert_refused(&out, 1, "revoked key");
}
