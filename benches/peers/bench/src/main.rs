//! `cargo bench --bench peers` (from the repository root; it runs this binary with
//! `cargo run --release --manifest-path benches/peers/Cargo.toml -p peers-bench -- --bench`):
//! the same risk rule over the same 1,000,000 objects, in one process, in native Rust, as a
//! zemstvo plugin, in Extism, in LuaJIT and Lua 5.4 through mlua, and in Rhai. Prints each
//! engine's time and its ratio to native, and last
//! `peers: zemstvo X.XX, extism X.XX, luajit X.XX, lua54 X.XX, rhai X.XX (× native)`.
//!
//! **The rule** is the reference plugin `moscow-risk-categories` at its defaults (five
//! weighted indicators, strongest recent signal per source with linear decay over 365 days,
//! time since the last inspection over 1,825 days, Moscow's five categories); see
//! `peers_rule`. Every engine's per-category counts and sum of scores are checked equal to
//! native's: a correctness check, nothing about time is asserted.
//!
//! **The data**: 1,000,000 objects and about 1.5 million signals, generated from a fixed seed.
//! Signals are sorted by object, so every engine but the plugin merges them in with one pass.
//!
//! **How data reaches each engine**, and what each engine's time includes:
//! - *native*: the rule over the Rust columns (`peers_rule::native`). Median of 9.
//! - *zemstvo*: the real thing. The built reference plugin runs through the host
//!   (`Runtime::run`, instantiation included) against an in-memory region holding the same
//!   objects (`inspected_objects`) and signals (`object_signals`); it reads them through the
//!   data capability in columnar batches (the host filters the signals by time and source) and
//!   records an assessment per object with its factors, as it does in production. Its
//!   per-category counts and scores are taken from the recorded assessments. Median of 5.
//! - *extism*: Extism 1.30 (the newest release that builds with rustc 1.95: 1.41 needs
//!   wasmtime 49, which needs rustc 1.96), guest `extism-guest/` in Rust with `extism-pdk` for
//!   wasm32-unknown-unknown, built by this binary before it measures. The host encodes each
//!   batch of 16,384 objects and their signals as raw little-endian columns (no serialisation
//!   format: the cheapest encoding an Extism user can choose) and calls `score` once per
//!   batch; the guest decodes the columns and runs the same Rust rule. Time: encoding plus
//!   calls. Median of 5.
//! - *luajit*: mlua with vendored LuaJIT. The columns become Lua arrays (one sequence table per
//!   column) and one Lua function loops over them (`peers_rule::LUA_RULE`). Time: building the
//!   tables plus the call (both are printed). Median of 3.
//! - *lua54*: the same with vendored Lua 5.4, in a child process (`peers-lua54`, built by this
//!   binary before it measures): mlua cannot link LuaJIT and Lua 5.4 into one binary. The
//!   child generates the same data from the same seed and times native too; its ratio is its
//!   Lua time over its own native time.
//! - *rhai*: the columns become `rhai::Array`s in the script's scope and the script loops over
//!   them. Time: building the arrays plus the script. One round; when a first run over 100,000
//!   objects says the whole would take more than a minute, the time is that sample's scaled to
//!   1,000,000 (said in the output).
//!
//! Arguments: `--objects N` runs on fewer objects (a quick try), `--bench` is ignored (cargo
//! passes it).

mod lua;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peers_rule::{CATEGORIES, DAY, Data, GAP_DAYS, HORIZON, NOW, OBJECTS, Outcome, SOURCES};
use zemstvo_core::capabilities::data::Entity;
use zemstvo_core::region::{Cell, InMemoryRegion, Table};
use zemstvo_host::limits::RunLimits;
use zemstvo_host::local::LocalRun;
use zemstvo_host::{Runtime, RuntimeSettings};

/// Objects per Extism call: the host's batch size, too.
const BATCH: usize = 16_384;
/// Rhai runs on this many objects first, to decide whether the whole is affordable.
const RHAI_SAMPLE: usize = 100_000;
/// The longest a Rhai run over every object may be expected to take.
const RHAI_WHOLE_LIMIT: Duration = Duration::from_secs(60);

fn main() {
    let mut objects = OBJECTS;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--objects" => {
                objects = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--objects needs a number")
            }
            other => {
                eprintln!("unknown argument {other}; accepted: --objects N, --bench");
                std::process::exit(2);
            }
        }
    }

    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    println!("building the Extism guest and the Lua 5.4 binary...");
    let guest = build_extism_guest(peers);
    let lua54 = build_lua54(peers);

    let started = Instant::now();
    let data = Data::generate(objects);
    println!(
        "data: {} objects, {} signals (generated in {:.1} s)",
        data.objects(),
        data.signals(),
        started.elapsed().as_secs_f64()
    );

    let mut results = Results::default();
    let (native_time, expected) = native(&data);
    println!(
        "native: {:.1} ms (median of 9); {}",
        ms(native_time),
        describe(&expected)
    );

    results.zemstvo = report("zemstvo", native_time, zemstvo(&data, &expected));
    results.extism = report(
        "extism",
        native_time,
        guest.and_then(|wasm| extism(&wasm, &data, &expected)),
    );
    results.luajit = report("luajit", native_time, luajit(&data, &expected));
    results.lua54 = match lua54.and_then(|exe| lua54_child(&exe, objects, &expected)) {
        Ok((lua, native)) => {
            println!(
                "lua54: {:.1} ms, {:.2}× native ({:.1} ms, measured in the child)",
                ms(lua),
                ratio(lua, native),
                ms(native)
            );
            Some(ratio(lua, native))
        }
        Err(why) => {
            println!("lua54: n/a ({why})");
            None
        }
    };
    results.rhai = report("rhai", native_time, rhai(&data, &expected));

    let show = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{r:.2}"));
    println!(
        "peers: zemstvo {}, extism {}, luajit {}, lua54 {}, rhai {} (× native)",
        show(results.zemstvo),
        show(results.extism),
        show(results.luajit),
        show(results.lua54),
        show(results.rhai)
    );
}

/// Ratios to native, `None` where the engine could not run.
#[derive(Default)]
struct Results {
    zemstvo: Option<f64>,
    extism: Option<f64>,
    luajit: Option<f64>,
    lua54: Option<f64>,
    rhai: Option<f64>,
}

/// Prints an engine's line and returns its ratio to native.
fn report(engine: &str, native: Duration, result: Result<Duration, String>) -> Option<f64> {
    match result {
        Ok(time) => {
            println!(
                "{engine}: {:.1} ms, {:.2}× native",
                ms(time),
                ratio(time, native)
            );
            Some(ratio(time, native))
        }
        Err(why) => {
            println!("{engine}: n/a ({why})");
            None
        }
    }
}

fn describe(o: &Outcome) -> String {
    let counts: Vec<String> = CATEGORIES
        .iter()
        .zip(o.counts)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    format!(
        "{}; sum of scores {:.2}",
        counts.join(", "),
        o.checksum as f64 / 100.0
    )
}

fn check(engine: &str, got: &Outcome, expected: &Outcome) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!(
            "{engine} disagrees with native: {got} against {expected}"
        ))
    }
}

fn native(data: &Data) -> (Duration, Outcome) {
    let mut times = Vec::new();
    let mut outcome = Outcome::default();
    for _ in 0..9 {
        let t = Instant::now();
        outcome = black_box(peers_rule::native(black_box(data.columns())));
        times.push(t.elapsed());
    }
    (median(&mut times), outcome)
}

// --- zemstvo -----------------------------------------------------------------------------

/// The region the plugin reads: the objects (with constant text columns, which the rule does
/// not read) and their signals.
fn region(data: &Data) -> InMemoryRegion {
    let mut objects = Table::new(Entity::InspectedObjects);
    for (i, &last) in data.last_inspection.iter().enumerate() {
        objects
            .push(&[
                Cell::U64(i as u64 + 1),
                Cell::Text("77:01:0001001:1001"),
                Cell::Text("Москва, Тверская улица, 1"),
                Cell::Text("Тверской"),
                Cell::Text("building"),
                Cell::F64(55.76),
                Cell::F64(37.61),
                if last < 0 {
                    Cell::Absent
                } else {
                    Cell::S64(last)
                },
            ])
            .unwrap();
    }
    let mut signals = Table::new(Entity::ObjectSignals);
    for j in 0..data.signals() {
        signals
            .push(&[
                Cell::U64(u64::from(data.sig_object[j]) + 1),
                Cell::Text(SOURCES[data.sig_source[j] as usize]),
                Cell::F32(data.sig_severity[j]),
                Cell::S64(data.sig_observed[j]),
            ])
            .unwrap();
    }
    InMemoryRegion::new("peers", Some(NOW), [objects, signals])
}

fn zemstvo(data: &Data, expected: &Outcome) -> Result<Duration, String> {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    tokio.block_on(async {
        let region = Arc::new(region(data));
        let runtime = Runtime::new(RuntimeSettings::default()).map_err(|e| e.to_string())?;
        let artifact = zemstvo_plugin_artifacts::reference("moscow-risk-categories")
            .ok_or("the reference plugin moscow-risk-categories was not built")?;
        let plugin = runtime
            .load(artifact.bytes)
            .await
            .map_err(|e| e.to_string())?;
        // The plugin's defaults (`inspection-head-id` 0: no tasks), with room for a slow
        // machine in the time budget.
        let request = LocalRun {
            now: Some(NOW),
            limits: RunLimits {
                time_budget: Duration::from_secs(600),
                ..RunLimits::default()
            },
            ..LocalRun::default()
        }
        .request(&plugin, region, Some(NOW))
        .map_err(|e| e.to_string())?;

        let mut times = Vec::new();
        for round in 0..6 {
            let t = Instant::now();
            let report = runtime.run(&plugin, request.clone()).await;
            let took = t.elapsed();
            if !report.succeeded() {
                return Err(format!("the plugin failed: {:?}", report.failure()));
            }
            if round == 0 {
                // A warm-up run, and the check of what the plugin recorded.
                let a = &report.outputs.assessments;
                let mut got = Outcome::default();
                for (&category, &score) in a.categories.iter().zip(&a.scores) {
                    let name = &a.category_names[category as usize];
                    let index = CATEGORIES
                        .iter()
                        .position(|c| c == name)
                        .ok_or_else(|| format!("unknown category {name}"))?;
                    got.counts[index] += 1;
                    got.checksum += (f64::from(score) * 100.0).round() as i64;
                }
                check("zemstvo", &got, expected)?;
                println!(
                    "zemstvo: the plugin read {} rows through the host and recorded {} \
                     assessments with their factors, all in its time (first run {:.1} ms)",
                    report.outputs.rows_read,
                    a.len(),
                    ms(took)
                );
            } else {
                times.push(took);
            }
        }
        Ok(median(&mut times))
    })
}

// --- Extism ------------------------------------------------------------------------------

fn build_extism_guest(peers: &Path) -> Result<Vec<u8>, String> {
    let target_dir = peers.join("target/extism-guest");
    cargo(&[
        "build",
        "--release",
        "--quiet",
        "--target",
        "wasm32-unknown-unknown",
        "--manifest-path",
        &peers.join("extism-guest/Cargo.toml").display().to_string(),
        "--target-dir",
        &target_dir.display().to_string(),
    ])?;
    let wasm = target_dir.join("wasm32-unknown-unknown/release/peers_extism_guest.wasm");
    std::fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))
}

/// Appends one batch, objects `from..to`, in the guest's input layout.
fn encode(data: &Data, from: usize, to: usize, out: &mut Vec<u8>) {
    let signals = data.signal_range(from, to);
    out.clear();
    out.extend_from_slice(&((to - from) as u32).to_le_bytes());
    out.extend_from_slice(&(signals.len() as u32).to_le_bytes());
    for t in &data.last_inspection[from..to] {
        out.extend_from_slice(&t.to_le_bytes());
    }
    for t in &data.sig_observed[signals.clone()] {
        out.extend_from_slice(&t.to_le_bytes());
    }
    for s in &data.sig_severity[signals.clone()] {
        out.extend_from_slice(&s.to_le_bytes());
    }
    for o in &data.sig_object[signals.clone()] {
        out.extend_from_slice(&(o - from as u32).to_le_bytes());
    }
    out.extend_from_slice(&data.sig_source[signals]);
}

fn decode(bytes: &[u8]) -> Result<Outcome, String> {
    if bytes.len() != 48 {
        return Err(format!("the guest returned {} bytes, not 48", bytes.len()));
    }
    let word = |i: usize| <[u8; 8]>::try_from(&bytes[8 * i..8 * i + 8]).unwrap();
    Ok(Outcome {
        counts: [0, 1, 2, 3, 4].map(|i| u64::from_le_bytes(word(i))),
        checksum: i64::from_le_bytes(word(5)),
    })
}

fn extism(wasm: &[u8], data: &Data, expected: &Outcome) -> Result<Duration, String> {
    let mut plugin = extism::Plugin::new(wasm, [], false).map_err(|e| e.to_string())?;
    let mut buffer = Vec::new();
    let mut rounds = Vec::new();
    for round in 0..6 {
        let mut outcome = Outcome::default();
        let (mut encoding, mut calls) = (Duration::ZERO, Duration::ZERO);
        for from in (0..data.objects()).step_by(BATCH) {
            let to = (from + BATCH).min(data.objects());
            let t = Instant::now();
            encode(data, from, to, &mut buffer);
            let t2 = Instant::now();
            let output: &[u8] = plugin
                .call("score", buffer.as_slice())
                .map_err(|e| e.to_string())?;
            outcome.add(decode(output)?);
            calls += t2.elapsed();
            encoding += t2 - t;
        }
        check("extism", &outcome, expected)?;
        if round > 0 {
            rounds.push((encoding + calls, encoding, calls));
        }
    }
    rounds.sort();
    let (total, encoding, calls) = rounds[rounds.len() / 2];
    println!(
        "extism: encoding {:.1} ms + calls {:.1} ms ({} calls of up to {BATCH} objects)",
        ms(encoding),
        ms(calls),
        data.objects().div_ceil(BATCH)
    );
    Ok(total)
}

// --- Lua ---------------------------------------------------------------------------------

fn luajit(data: &Data, expected: &Outcome) -> Result<Duration, String> {
    let rule = lua::LuaRule::new().map_err(|e| e.to_string())?;
    // A warm-up round, then three.
    let mut runs = Vec::new();
    for round in 0..4 {
        let run = rule.run(data).map_err(|e| e.to_string())?;
        check("luajit", &run.outcome, expected)?;
        if round > 0 {
            runs.push(run);
        }
    }
    runs.sort_by_key(lua::LuaRun::total);
    let run = &runs[runs.len() / 2];
    println!(
        "luajit: tables built in {:.1} ms + rule {:.1} ms",
        ms(run.data_in),
        ms(run.rule)
    );
    Ok(run.total())
}

fn build_lua54(peers: &Path) -> Result<PathBuf, String> {
    cargo(&[
        "build",
        "--release",
        "--quiet",
        "--manifest-path",
        &peers.join("Cargo.toml").display().to_string(),
        "-p",
        "peers-lua54",
    ])?;
    let exe = peers.join("target/release/peers-lua54");
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} was not built", exe.display()))
    }
}

/// Runs the Lua 5.4 child; returns its Lua time and its native time.
fn lua54_child(
    exe: &Path,
    objects: usize,
    expected: &Outcome,
) -> Result<(Duration, Duration), String> {
    let output = Command::new(exe)
        .args(["--objects", &objects.to_string()])
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            exe.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("lua54 "))
        .ok_or_else(|| format!("no `lua54` line in the child's output: {stdout}"))?;
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .ok_or_else(|| format!("no `{key}` in `{line}`"))
    };
    let millis = |key: &str| -> Result<Duration, String> {
        let v: f64 = field(key)?.parse().map_err(|e| format!("{key}: {e}"))?;
        Ok(Duration::from_secs_f64(v / 1e3))
    };
    let outcome = |key: &str| -> Result<Outcome, String> { field(key)?.replace(',', " ").parse() };
    check("lua54's native rule", &outcome("native")?, expected)?;
    check("lua54", &outcome("lua")?, expected)?;
    println!(
        "lua54: tables built in {:.1} ms + rule {:.1} ms (median of 3, in the child)",
        ms(millis("data_ms")?),
        ms(millis("rule_ms")?)
    );
    Ok((millis("total_ms")?, millis("native_ms")?))
}

// --- Rhai --------------------------------------------------------------------------------

/// The rule in Rhai, over the columns in the scope (0-based objects and sources, timestamps
/// and severities as floats, never inspected as -1); evaluates to `[c1, …, c5, checksum]`.
const RHAI_RULE: &str = r#"
let w1 = 0.3; let w2 = 0.2; let w3 = 0.25; let w4 = 0.1; let w5 = 0.15;
let total = 0.3 + 0.2 + 0.25 + 0.1 + 0.15;
let from = now - horizon;
let c1 = 0; let c2 = 0; let c3 = 0; let c4 = 0; let c5 = 0; let checksum = 0;
let j = 0;
for i in 0..n {
    let s1 = 0.0; let s2 = 0.0; let s3 = 0.0; let s4 = 0.0;
    while j < nsig && sobj[j] == i {
        let obs = sobs[j];
        let sev = ssev[j];
        if obs > from && obs <= now && sev > 0.0 {
            if sev > 1.0 { sev = 1.0; }
            let st = sev * (1.0 - (now - obs) / horizon);
            let src = ssrc[j];
            if src == 0 {
                if st > s1 { s1 = st; }
            } else if src == 1 {
                if st > s2 { s2 = st; }
            } else if src == 2 {
                if st > s3 { s3 = st; }
            } else {
                if st > s4 { s4 = st; }
            }
        }
        j += 1;
    }
    let at = last[i];
    let t = 1.0;
    if at >= 0.0 {
        let age = now - at;
        if age < 0.0 { age = 0.0; }
        t = age / gap;
        if t > 1.0 { t = 1.0; }
    }
    let points = 0.0;
    points += 100.0 * w1 * s1 / total;
    points += 100.0 * w2 * s2 / total;
    points += 100.0 * w3 * s3 / total;
    points += 100.0 * w4 * s4 / total;
    points += 100.0 * w5 * t / total;
    let h = floor(points * 100.0 + 0.5);
    let score = h / 100.0;
    if score >= 45.0 {
        c1 += 1;
    } else if score >= 35.0 {
        c2 += 1;
    } else if score >= 25.0 {
        c3 += 1;
    } else if score >= 15.0 {
        c4 += 1;
    } else {
        c5 += 1;
    }
    checksum += h.to_int();
}
[c1, c2, c3, c4, c5, checksum]
"#;

/// One Rhai run over `data`: its outcome, checked, and its time (arrays built plus script).
fn rhai_once(
    engine: &rhai::Engine,
    ast: &rhai::AST,
    data: &Data,
) -> Result<(Duration, Duration, Outcome), String> {
    use rhai::{Array, Dynamic, Scope};
    let started = Instant::now();
    let floats =
        |v: &mut dyn Iterator<Item = f64>| -> Array { v.map(Dynamic::from_float).collect() };
    let ints = |v: &mut dyn Iterator<Item = i64>| -> Array { v.map(Dynamic::from_int).collect() };
    let mut scope = Scope::new();
    scope.push("n", data.objects() as i64);
    scope.push("nsig", data.signals() as i64);
    scope.push("now", NOW as f64);
    scope.push("horizon", HORIZON as f64);
    scope.push("gap", (GAP_DAYS * DAY) as f64);
    scope.push(
        "last",
        floats(&mut data.last_inspection.iter().map(|&t| t as f64)),
    );
    scope.push(
        "sobj",
        ints(&mut data.sig_object.iter().map(|&o| i64::from(o))),
    );
    scope.push(
        "ssrc",
        ints(&mut data.sig_source.iter().map(|&s| i64::from(s))),
    );
    scope.push(
        "ssev",
        floats(&mut data.sig_severity.iter().map(|&s| f64::from(s))),
    );
    scope.push(
        "sobs",
        floats(&mut data.sig_observed.iter().map(|&t| t as f64)),
    );
    let data_in = started.elapsed();
    let started = Instant::now();
    let result: Array = engine
        .eval_ast_with_scope(&mut scope, ast)
        .map_err(|e| e.to_string())?;
    let rule = started.elapsed();
    let numbers: Vec<i64> = result
        .into_iter()
        .map(|d| d.as_int().map_err(|t| format!("the script returned a {t}")))
        .collect::<Result<_, _>>()?;
    let [c1, c2, c3, c4, c5, checksum] = numbers[..] else {
        return Err(format!(
            "the script returned {} numbers, not 6",
            numbers.len()
        ));
    };
    let outcome = Outcome {
        counts: [c1, c2, c3, c4, c5].map(|c| c as u64),
        checksum,
    };
    Ok((data_in, rule, outcome))
}

fn rhai(data: &Data, expected: &Outcome) -> Result<Duration, String> {
    let engine = rhai::Engine::new();
    let ast = engine.compile(RHAI_RULE).map_err(|e| e.to_string())?;
    let sample = data.prefix(RHAI_SAMPLE.min(data.objects()));
    let sample_expected = peers_rule::native(sample.columns());
    let (data_in, rule, outcome) = rhai_once(&engine, &ast, &sample)?;
    check("rhai", &outcome, &sample_expected)?;
    let scale = data.objects() as f64 / sample.objects() as f64;
    let projected = (data_in + rule).mul_f64(scale);
    if sample.objects() == data.objects() || projected > RHAI_WHOLE_LIMIT {
        println!(
            "rhai: {} objects: arrays built in {:.1} ms + script {:.1} ms{}",
            sample.objects(),
            ms(data_in),
            ms(rule),
            if scale > 1.0 {
                format!(", scaled ×{scale:.1} to the whole (one round)")
            } else {
                " (one round)".to_string()
            }
        );
        return Ok(projected);
    }
    let (data_in, rule, outcome) = rhai_once(&engine, &ast, data)?;
    check("rhai", &outcome, expected)?;
    println!(
        "rhai: arrays built in {:.1} ms + script {:.1} ms (one round)",
        ms(data_in),
        ms(rule)
    );
    Ok(data_in + rule)
}

// --- helpers -----------------------------------------------------------------------------

/// Runs cargo (the one that runs this binary, when it does) with `args`.
fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(&cargo)
        .args(args)
        .output()
        .map_err(|e| format!("{cargo}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn ratio(time: Duration, native: Duration) -> f64 {
    time.as_secs_f64() / native.as_secs_f64()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
