//! The registry through the `zemstvo` binary, as a vendor and an operator use it: the real
//! `zemstvo registry serve` as a child process on a loopback ephemeral port, the reference plugin
//! packed and signed, and every refusal checked by exit code and message.

#[path = "support/cli.rs"]
mod support;

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use support::*;
use zemstvo_registry::TrustStore;
use zemstvo_registry::key_files::read_public_key;

#[test]
fn the_command_line_definition_is_consistent() {
    zemstvo::cli::Cli::command().debug_assert();
}

#[test]
fn a_vendor_publishes_and_a_region_finds_and_fetches_through_the_binary() {
    let ws = Workspace::new();
    let serve = Serve::start(&ws, &[]);
    let key = ws.new_key("vendor-key");
    serve.register(&ws, "vendor-key");
    let package = ws.pack(&key, "isu.zpkg");

    let out = ws.run(&["plugin", "verify", &package]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("not checked against a trust store"),
        "{}",
        stdout(&out)
    );
    let trust = ws.trust_store("vendor-key", "trust.json");
    let out = ws.run(&["plugin", "verify", &package, "--trust", &trust]);
    assert_success(&out);
    assert!(
        stdout(&out).starts_with("verified isu-smev-answer-delay 1.0.0"),
        "{}",
        stdout(&out)
    );

    let publish = [
        "plugin",
        "publish",
        &package,
        "--registry",
        &serve.url,
        "--key",
        &key,
    ];
    let out = ws.run(&publish);
    assert_success(&out);
    assert!(stdout(&out).starts_with("published isu-smev-answer-delay 1.0.0 to http://"));
    assert!(
        stderr(&out).is_empty(),
        "no progress bar off a terminal: {}",
        stderr(&out)
    );
    assert_refused(
        &ws.run(&publish),
        1,
        "is already published and versions never change",
    );

    let out = ws.run(&["plugin", "search", "smev", "--registry", &serve.url]);
    assert_success(&out);
    assert!(
        stdout(&out).starts_with(
            "isu-smev-answer-delay 1.0.0 (deviation-check, 1 version) by lipetsk-soft"
        ),
        "{}",
        stdout(&out)
    );
    let out = ws.run(&[
        "plugin",
        "search",
        "nothing-like-it",
        "--registry",
        &serve.url,
    ]);
    assert!(
        stdout(&out).contains("no packages match"),
        "{}",
        stdout(&out)
    );

    let fetched = ws.p("fetched.zpkg");
    let out = ws.run(&[
        "plugin",
        "fetch",
        "isu-smev-answer-delay@^1",
        "--registry",
        &serve.url,
        "-o",
        &fetched,
        "--trust",
        &trust,
    ]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("verified: signed by trusted key"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sha(Path::new(&fetched)), sha(Path::new(&package)));

    // Yanked: resolution skips it, with a message that says so.
    let yank = serve.admin(&["registry", "yank", PLUGIN, "1.0.0"]);
    assert_success(&ws.run(&yank));
    let out = ws.run(&[
        "plugin",
        "fetch",
        "isu-smev-answer-delay@^1",
        "--registry",
        &serve.url,
        "-o",
        &fetched,
    ]);
    assert_refused(&out, 1, "yanked and skipped: 1.0.0");
    let out = ws.run(&[
        "plugin",
        "fetch",
        "isu-smev-answer-delay@=1.0.0",
        "--registry",
        &serve.url,
        "-o",
        &fetched,
    ]);
    assert_success(&out);
    assert!(stderr(&out).contains("is yanked"), "{}", stderr(&out));
    assert_success(&ws.run(&serve.admin(&["registry", "unyank", PLUGIN, "1.0.0"])));

    // Revoked: the key can publish nothing more.
    let key_id = read_public_key(&ws.path("vendor-key/public-key.json"))
        .unwrap()
        .key_id()
        .to_string();
    let revoke = serve.admin(&["registry", "revoke-key", &key_id, "--reason", "laptop lost"]);
    assert_success(&ws.run(&revoke));
    let out = ws.run(&publish);
    assert_refused(&out, 1, "revoked");
}

#[test]
fn a_changed_or_untrusted_package_fails_verify_naming_the_check() {
    let ws = Workspace::new();
    let key = ws.new_key("vendor-key");
    let package = ws.pack(&key, "isu.zpkg");
    let trust = ws.trust_store("vendor-key", "trust.json");

    let mut bytes = std::fs::read(&package).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(ws.path("flipped.zpkg"), &bytes).unwrap();
    let out = ws.run(&["plugin", "verify", &ws.p("flipped.zpkg"), "--trust", &trust]);
    assert_refused(&out, 1, "a byte changed after signing");
    // Without a trust store the hash is still checked.
    let out = ws.run(&["plugin", "verify", &ws.p("flipped.zpkg")]);
    assert_refused(&out, 1, "a byte changed after signing");

    ws.new_key("other-key");
    let other = ws.trust_store("other-key", "other-trust.json");
    let out = ws.run(&["plugin", "verify", &package, "--trust", &other]);
    assert_refused(&out, 1, "unknown key");

    let truncated = &std::fs::read(&package).unwrap()[..100];
    std::fs::write(ws.path("truncated.zpkg"), truncated).unwrap();
    let out = ws.run(&[
        "plugin",
        "verify",
        &ws.p("truncated.zpkg"),
        "--trust",
        &trust,
    ]);
    assert_refused(&out, 1, "truncated");

    let out = ws.run(&["plugin", "verify", &ws.p("missing.zpkg")]);
    assert_refused(&out, 2, "cannot read");
}

#[test]
fn admin_commands_without_or_with_a_wrong_token_are_refused() {
    let ws = Workspace::new();
    let serve = Serve::start(&ws, &[]);
    let out = ws.run(&[
        "registry",
        "vendor",
        "add",
        VENDOR,
        "--registry",
        &serve.url,
    ]);
    assert_refused(&out, 2, "ZEMSTVO_REGISTRY_ADMIN_TOKEN");
    std::fs::write(ws.path("wrong-token"), "w".repeat(64)).unwrap();
    let out = ws.run(&[
        "registry",
        "vendor",
        "add",
        VENDOR,
        "--registry",
        &serve.url,
        "--admin-token-file",
        &ws.p("wrong-token"),
    ]);
    assert_refused(&out, 1, "the admin token is wrong");
    let out = ws.run(&serve.admin(&["registry", "vendor", "add", "../etc"]));
    assert_refused(&out, 2, "vendor id `../etc` is invalid");
    let out = ws.run(&["plugin", "search", "--registry", &serve.url]);
    assert!(
        stdout(&out).contains("no packages match"),
        "nothing was registered"
    );
}

#[test]
fn a_registry_that_is_down_fails_with_exit_1_and_says_so() {
    let ws = Workspace::new();
    let key = ws.new_key("vendor-key");
    let package = ws.pack(&key, "isu.zpkg");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = ws.run(&[
        "plugin",
        "publish",
        &package,
        "--registry",
        &url,
        "--key",
        &key,
    ]);
    assert_refused(&out, 1, "is unreachable");
    let out = ws.run(&["plugin", "search", "x", "--registry", &url]);
    assert_refused(&out, 1, "is unreachable");
}

#[test]
fn a_mirror_exported_over_http_imports_and_serves_with_no_registry() {
    let ws = Workspace::new();
    let serve = Serve::start(&ws, &[]);
    let key = ws.new_key("vendor-key");
    serve.register(&ws, "vendor-key");
    let package = ws.pack(&key, "isu.zpkg");
    assert_success(&ws.run(&[
        "plugin",
        "publish",
        &package,
        "--registry",
        &serve.url,
        "--key",
        &key,
    ]));

    let mirror = ws.p("mirror");
    let out = ws.run(&["registry", "export", &mirror, "--registry", &serve.url]);
    assert_success(&out);
    assert!(
        stdout(&out).starts_with("exported 1 versions"),
        "{}",
        stdout(&out)
    );
    drop(serve);

    // No registry runs now: the directory is the source.
    let out = ws.run(&["plugin", "search", "smev", "--registry", &mirror]);
    assert_success(&out);
    assert!(
        stdout(&out).starts_with("isu-smev-answer-delay 1.0.0"),
        "{}",
        stdout(&out)
    );
    let fetched = ws.p("from-mirror.zpkg");
    let out = ws.run(&[
        "plugin",
        "fetch",
        PLUGIN,
        "--registry",
        &mirror,
        "-o",
        &fetched,
    ]);
    assert_success(&out);
    assert_eq!(sha(Path::new(&fetched)), sha(Path::new(&package)));

    let offline = format!("sqlite://{}", ws.p("offline.db"));
    let import = ["registry", "import", &mirror, "--database", &offline];
    let out = ws.run(&import);
    assert_success(&out);
    assert!(stdout(&out).contains("1 new versions"), "{}", stdout(&out));
    let out = ws.run(&import);
    assert!(
        stdout(&out).contains("0 new versions (1 already present)"),
        "{}",
        stdout(&out)
    );

    let out = ws.run(&["registry", "import", &ws.p("cache"), "--database", &offline]);
    assert_refused(&out, 1, "is not a zemstvo mirror");
}

#[test]
fn a_new_key_is_private_and_never_overwritten_and_rotation_writes_a_statement() {
    let ws = Workspace::new();
    let key = ws.new_key("vendor-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = ws.run(&["keys", "new", "--out", &ws.p("vendor-key")]);
    assert_refused(&out, 2, "never overwrites a key");
    let out = ws.run(&["keys", "rotate", "--key", &key, "--out", &ws.p("next-key")]);
    assert_success(&out);
    assert!(stdout(&out).starts_with("rotated key"), "{}", stdout(&out));
    let statement: zemstvo_registry::RotationStatement =
        serde_json::from_slice(&std::fs::read(ws.path("next-key/rotation.json")).unwrap()).unwrap();
    statement.verify().unwrap();
    // The rotated key is trusted by a region that trusted the old one.
    let mut trust: TrustStore =
        TrustStore::load(&PathBuf::from(ws.trust_store("vendor-key", "trust.json"))).unwrap();
    trust.apply_rotation(&statement).unwrap();
    let next = ws.p("next-key/signing-key.json");
    let package = ws.pack(&next, "next.zpkg");
    trust.save(&ws.path("trust.json")).unwrap();
    assert_success(&ws.run(&["plugin", "verify", &package, "--trust", &ws.p("trust.json")]));
}
