//! What the command-line tests of the registry and of region administration share: a scratch
//! workspace for the `zemstvo` binary, a real `zemstvo registry serve` child process, and
//! assertions on exit codes and messages.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use zemstvo_registry::key_files::read_public_key;
use zemstvo_registry::{NamePattern, TrustStore, VendorId};

pub const VENDOR: &str = "lipetsk-soft";
pub const PLUGIN: &str = "isu-smev-answer-delay";

/// A scratch directory with the binary's environment pinned to it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    pub fn command(&self) -> Command {
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

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("zemstvo runs")
    }

    /// A new vendor key in `dir`.
    pub fn new_key(&self, dir: &str) -> String {
        let out = self.run(&["keys", "new", "--out", &self.p(dir)]);
        assert_success(&out);
        self.p(&format!("{dir}/signing-key.json"))
    }

    /// The reference plugin, packed and signed with `key`.
    pub fn pack(&self, key: &str, out: &str) -> String {
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
    pub fn trust_store(&self, key_dir: &str, file: &str) -> String {
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

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Asserts the exit code and that stderr says `says`.
pub fn assert_refused(out: &Output, code: i32, says: &str) {
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
pub struct Serve {
    pub child: Child,
    pub url: String,
    pub token_file: String,
    /// Keeps the child's stdout drained.
    pub _lines: mpsc::Receiver<String>,
}

impl Serve {
    pub fn start(ws: &Workspace, extra: &[&str]) -> Serve {
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
    pub fn admin<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
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
    pub fn register(&self, ws: &Workspace, key_dir: &str) {
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

pub fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
