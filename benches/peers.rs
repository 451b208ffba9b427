//! `cargo bench --bench peers`: the same risk rule over the same 1,000,000 objects in native
//! Rust, as a zemstvo plugin, in Extism, LuaJIT, Lua 5.4 and Rhai. The benchmark is its own
//! workspace in `benches/peers/` (so that none of the peers' dependencies reaches the product
//! or the root's tests); this launcher runs it with
//! `cargo run --release --manifest-path benches/peers/Cargo.toml -p peers-bench -- <args>`
//! and exits with its status. See `benches/peers/bench/src/main.rs` for what is measured.
//!
//! `cargo test --benches` runs bench targets without `--bench`: then it only says how to run
//! the benchmark, so tests never build Extism, mlua or Rhai.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("peers: skipped; run it with `cargo bench --bench peers`");
        return ExitCode::SUCCESS;
    }
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args([
            "run",
            "--release",
            "--manifest-path",
            manifest,
            "-p",
            "peers-bench",
            "--",
        ])
        .args(&args)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("peers: the benchmark exited with {status}");
            ExitCode::from(status.code().map_or(1, |c| c.clamp(1, 255) as u8))
        }
        Err(e) => {
            eprintln!("peers: could not run {cargo}: {e}");
            ExitCode::FAILURE
        }
    }
}
