//! The Lua 5.4 leg of the peers benchmark, a separate binary because mlua links one Lua per
//! binary and the main one (`peers`) links LuaJIT. It generates the same data from the same
//! seed, times the native rule and the rule in Lua 5.4 in this process, and prints one line for
//! the main binary to read:
//!
//! `lua54 native_ms=… data_ms=… rule_ms=… total_ms=… native=counts=…/… checksum=… lua=…`
//!
//! The Lua time is the median total (tables built plus the rule's call) of `--rounds` rounds,
//! the native time the median of nine. Arguments: `--objects N` (default 1,000,000),
//! `--rounds N` (default 3).

#[path = "../../bench/src/lua.rs"]
mod lua;

use std::hint::black_box;
use std::time::{Duration, Instant};

use peers_rule::{Data, OBJECTS};

fn main() {
    let mut objects = OBJECTS;
    let mut rounds = 3;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--objects" => objects = value(),
            "--rounds" => rounds = value(),
            other => panic!("unknown argument {other}"),
        }
    }

    let data = Data::generate(objects);
    let mut native_times = Vec::new();
    let mut native = Default::default();
    for _ in 0..9 {
        let t = Instant::now();
        native = black_box(peers_rule::native(black_box(data.columns())));
        native_times.push(t.elapsed());
    }

    let rule = lua::LuaRule::new().expect("loading the rule into Lua 5.4");
    let mut runs: Vec<lua::LuaRun> = (0..rounds.max(1))
        .map(|_| rule.run(&data).expect("running the rule in Lua 5.4"))
        .collect();
    runs.sort_by_key(lua::LuaRun::total);
    let run = &runs[runs.len() / 2];
    println!(
        "lua54 native_ms={:.3} data_ms={:.3} rule_ms={:.3} total_ms={:.3} native={} lua={}",
        ms(median(&mut native_times)),
        ms(run.data_in),
        ms(run.rule),
        ms(run.total()),
        native.to_string().replace(' ', ","),
        run.outcome.to_string().replace(' ', ","),
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
