//! The registry through the `zemstvo` binary, as a vendor, an operator and a region use it:
//! the real `zemstvo registry serve` as a child process on a loopback ephemeral port, the
//! reference plugin packed and signed, and every refusal checked by exit code and message.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use clap::CommandFactory;
use zemstvo_registry::key_files::read_public_key;
use zemstvo_registry::{NamePattern, TrustStore, VendorId};

const VENDOR: &str = "lipetsk-soft";
const PLUGIN: &str = "isu-smev-answer-delay";

/// A scratch directory with the binary's environment pinned to it.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zemstvo"));
        command
            .current_dir(self.dir.path())
            .env("ZEMSTVO_CACHE_DIR", self.path("cache"))
            .env_remove("ZEMSTVO_REGISTRY_ADMIN_TOKEN")
            .env_remove("ZEMSTVO_REGISTRY")
            .env_remove("ZEMSTVO_REGISTRY_DATABASE")
            .env_remove("ZEMSTVO_REGISTRY_DATA_DIR");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("zemstvo runs")
    }

    /// A new vendor key in `dir`.
    fn new_key(&self, dir: &str) -> String {
        let out = self.run(&["keys", "new", "--out", &self.p(dir)]);
        assert_success(&out);
        self.p(&format!("{dir}/signing-key.json"))
    }

    /// The reference plugin, packed and signed with `key`.
    fn pack(&self, key: &str, out: &str) -> String {
        let plugin = zemstvo_plugin_artifacts::reference(PLUGIN).unwrap().path;
        let out_path = self.p(out);
        let result = self.run(&[
            "plugin", "pack", plugin, "--key", key, "--vendor", VENDOR, "-o", &out_path,
        ]);
        assert_success(&result);
        assert!(
            stdout(&result).contains("packed isu-smev-answer-delay 1.0.0 (deviation-check)"),
            "{}",
            stdout(&result)
        );
        out_path
    }

    /// A trust store file trusting the public key in `key_dir` for every name.
    fn trust_store(&self, key_dir: &str, file: &str) -> String {
        let public = read_public_key(&self.path(&format!("{key_dir}/public-key.json"))).unwrap();
        let mut store = TrustStore::new();
        store
            .trust(
                public,
                VendorId::new(VENDOR).unwrap(),
                vec![NamePattern::any()],
            )
            .unwrap();
        store.save(&self.path(file)).unwrap();
        self.p(file)
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Asserts the exit code and that stderr says `says`.
fn assert_refused(out: &Output, code: i32, says: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    assert!(
        stderr(out).contains(says),
        "expected `{says}` in: {}",
        stderr(out)
    );
}

/// `zemstvo registry serve` as a child process, killed when dropped.
struct Serve {
    child: Child,
    url: String,
    token_file: String,
    /// Keeps the child's stdout drained.
    _lines: mpsc::Receiver<String>,
}

impl Serve {
    fn start(ws: &Workspace, extra: &[&str]) -> Serve {
        let data = ws.p("registry-data");
        let mut child = ws
            .command()
            .args([
                "registry",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                &data,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("zemstvo registry serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the registry prints where it listens");
        assert!(first.contains("new admin token written to"), "{first}");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the line names the URL")
            .to_string();
        Serve {
            child,
            url,
            token_file: format!("{data}/admin-token"),
            _lines: rx,
        }
    }

    /// Admin arguments: the registry and the token file.
    fn admin<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = args.to_vec();
        all.extend([
            "--registry",
            &self.url,
            "--admin-token-file",
            &self.token_file,
        ]);
        all
    }

    /// Registers the vendor and the key in `key_dir`.
    fn register(&self, ws: &Workspace, key_dir: &str) {
        assert_success(&ws.run(&self.admin(&["registry", "vendor", "add", VENDOR])));
        let public = ws.p(&format!("{key_dir}/public-key.json"));
        let out = ws.run(&self.admin(&["registry", "key", "add", VENDOR, &public]));
        assert_success(&out);
        assert!(stdout(&out).contains("registered key"), "{}", stdout(&out));
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

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
    assert_eq!(history.lines().count(), 3, "{history}");
}
