//! `cargo bench --bench decisions`: eligibility decisions end to end. N new applications are
//! registered as the portal registers them (`Store::submit_application`, the form copied from
//! the demo region's applications) and the Yugra rule decides them through the host as in
//! production — called, its SMEV requests sent through the outbox to the simulator answering at
//! once, the answers applied, the rule called again, the decision committed with its trace and
//! assignment — on SQLite, on PostgreSQL with one host, and with two hosts sharing the database.
//! Prints decisions per second for each and the second host's scaling (the target is 5,000
//! decisions per second on one host), and with one host how fast the recorded calls replay on
//! the same version (every one identical) and the decision records' average size; on SQLite
//! the same decisions without records give the records' cost as a ratio.
//!
//! Then citizens' appeals: M appeals filed as the Open311 intake files them and routed by the
//! reference appeal router as the host's rounds route them (the catalogue and the open
//! incidents near each appeal handed over, the incident, merge or review task committed with
//! the routing's record), printed as appeals routed per second.
//!
//! `ZEMSTVO_BENCH_APPLICATIONS` sets N (2,000 by default), `ZEMSTVO_BENCH_APPEALS` sets M
//! (2,000 by default), `ZEMSTVO_BENCH_ONLY=appeals` runs the appeals alone; PostgreSQL comes from
//! `ZEMSTVO_TEST_DATABASE_URL` and is skipped, with a line saying so, where none answers.

mod common;

use std::sync::Arc;
use std::time::Instant;

use zemstvo_core::appeals::Place;
use zemstvo_core::capabilities::data::Entity;
use zemstvo_core::region::Cell;
use zemstvo_demo::{DemoScale, application_forms, demo_region};
use zemstvo_host::{Runtime, RuntimeSettings};
use zemstvo_service::settings::SimulatorSettings;
use zemstvo_service::{
    AppealSettings, Candidate, HostSettings, RegionHost, ReplayRequest, SmevSettings,
};
use zemstvo_store::Store;
use zemstvo_store::appeals::{NewAppeal, Routed};
use zemstvo_store::eligibility::{CaseCounts, NewApplication};
use zemstvo_store::testing::TestDatabase;

const RULE: &str = "yugra-child-allowance";
const NOW: i64 = 1_795_413_600;
const SEED: u64 = 11;

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(bench());
}

async fn bench() {
    let n: usize = std::env::var("ZEMSTVO_BENCH_APPLICATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let runtime = Arc::new(Runtime::new(RuntimeSettings::default()).unwrap());
    if std::env::var("ZEMSTVO_BENCH_ONLY").is_ok_and(|v| v == "appeals") {
        return appeals(&runtime).await;
    }
    println!("{n} applications decided by {RULE}, SMEV answering at once");
    if std::env::var("ZEMSTVO_BENCH_ONLY").is_ok_and(|v| v == "postgres-2") {
        if let Some(db) = TestDatabase::postgres("bench decisions 2").await {
            scenario("postgres, 2 hosts", db, &runtime, 2, n).await;
        }
        return;
    }
    let sqlite = scenario(
        "sqlite, 1 host",
        TestDatabase::sqlite().await,
        &runtime,
        1,
        n,
    )
    .await;
    let bare = scenario_with(
        "sqlite, no records",
        TestDatabase::sqlite().await,
        &runtime,
        (1, false),
        n,
    )
    .await;
    println!(
        "decision records and their chain (sqlite): {bare:.0} decisions/s without, {sqlite:.0} with — ×{:.2} the time per decision",
        bare / sqlite
    );
    let mut line = format!("decisions per second: sqlite {sqlite:.0}");
    if let Some(db) = TestDatabase::postgres("bench decisions 1").await {
        let one = scenario("postgres, 1 host", db, &runtime, 1, n).await;
        line += &format!(", postgres {one:.0}");
        if let Some(db) = TestDatabase::postgres("bench decisions 2").await {
            let two = scenario("postgres, 2 hosts", db, &runtime, 2, n).await;
            line += &format!(", postgres with 2 hosts {two:.0} (×{:.2})", two / one);
        }
    }
    println!("{line}");
    appeals(&runtime).await;
}

async fn appeals(runtime: &Arc<Runtime>) {
    let m: usize = std::env::var("ZEMSTVO_BENCH_APPEALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    println!("{m} appeals routed by {ROUTER}");
    let sqlite = routing("sqlite", TestDatabase::sqlite().await, runtime, m).await;
    let mut line = format!("appeals routed per second: sqlite {sqlite:.0}");
    if let Some(db) = TestDatabase::postgres("bench appeals").await {
        let pg = routing("postgres", db, runtime, m).await;
        line += &format!(", postgres {pg:.0}");
    }
    println!("{line}");
}

const ROUTER: &str = "appeal-router";

/// Files `m` appeals in the demo region's regional centre — each a phrase of the catalogue
/// in an applicant's sentence, at a point spread over ~6 × 6 km, so that nearby ones about
/// the same problem merge — and routes them all, a thousand per round; answers appeals per
/// second.
async fn routing(name: &str, db: TestDatabase, runtime: &Arc<Runtime>, m: usize) -> f64 {
    use zemstvo::commands::demo::appeals as demo_appeals;
    let store = db.store().await;
    let region = demo_region(DemoScale::SMALL, SEED, NOW);
    zemstvo::commands::demo::load_region(&store, &region, SEED, &|_, _| {})
        .await
        .unwrap();
    let catalogue = demo_appeals::prepare(&store).await.unwrap();
    let settings = HostSettings {
        host_id: "bench-appeals".into(),
        appeals: AppealSettings {
            first_line: Some(demo_appeals::first_line(&store).await.unwrap()),
        },
        ..HostSettings::default()
    };
    let host = RegionHost::open(store.clone(), runtime.clone(), settings)
        .await
        .unwrap();
    common::install_signed(&host, |name| name == ROUTER).await;
    let phrases: Vec<&String> = catalogue
        .categories
        .iter()
        .flat_map(|c| c.phrases.iter())
        .collect();
    let received = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let appeal = |i: usize| {
        // A stable spread: the same appeals on every run and every database. 1,000 places;
        // the 1,001st appeal reports the first one's problem again, 20 m north, and merges.
        let (n, again) = (i % 1_000, (i / 1_000) as f64);
        let (u, v) = ((n * 7_919 % 1_000) as f64, (n * 104_729 % 1_000) as f64);
        NewAppeal {
            channel: demo_appeals::CHANNEL.into(),
            text: format!(
                "{} возле дома {}. Прошу принять меры.",
                phrases[n % phrases.len()],
                1 + n % 120
            ),
            place: Some(Place {
                lat: 52.5818 + u / 1_000.0 * 0.054 + again * 0.000_18,
                lon: 39.5542 + v / 1_000.0 * 0.09,
                address: None,
            }),
            territory: Some("lipetsk".into()),
            received_at: received,
            ..NewAppeal::default()
        }
    };
    // The router compiled and the region warm before the clock starts.
    store.file_appeal(&appeal(m)).await.unwrap();
    assert_eq!(host.appeals().route_appeals(10).await.unwrap().len(), 1);
    let started = Instant::now();
    for i in 0..m {
        store.file_appeal(&appeal(i)).await.unwrap();
    }
    let filed = started.elapsed();
    let route_started = Instant::now();
    let (mut new, mut merged, mut review) = (0, 0, 0);
    loop {
        let round = host.appeals().route_appeals(1_000).await.unwrap();
        if round.is_empty() {
            break;
        }
        for outcome in &round {
            match outcome.routed {
                Some(Routed::NewIncident { .. }) => new += 1,
                Some(Routed::Merged { .. }) => merged += 1,
                Some(Routed::Review) | None => review += 1,
            }
        }
    }
    let elapsed = route_started.elapsed();
    assert_eq!(new + merged + review, m, "every appeal was routed");
    let rate = m as f64 / elapsed.as_secs_f64();
    println!(
        "  {name:<20} filed in {:>7.1} ms, routed in {:>8.1} ms: {rate:>7.0} appeals/s \
         ({new} new incidents, {merged} merged, {review} to a first-line specialist)",
        filed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3
    );
    rate
}

/// Prepares a region in `db` with the rule installed and `hosts` hosts on it, registers `n`
/// applications and times their decisions; answers decisions per second.
async fn scenario(
    name: &str,
    db: TestDatabase,
    runtime: &Arc<Runtime>,
    hosts: usize,
    n: usize,
) -> f64 {
    scenario_with(name, db, runtime, (hosts, true), n).await
}

/// [`scenario`], with decision records kept or not (`records`: the baseline that prices them).
async fn scenario_with(
    name: &str,
    db: TestDatabase,
    runtime: &Arc<Runtime>,
    (hosts, records): (usize, bool),
    n: usize,
) -> f64 {
    let mut store = db.store().await;
    if !records {
        store = store.without_decision_records();
    }
    let region = demo_region(DemoScale::SMALL, SEED, NOW);
    zemstvo::commands::demo::load_region(&store, &region, SEED, &|_, _| {})
        .await
        .unwrap();
    let mut all = Vec::new();
    for i in 0..hosts {
        let settings = HostSettings {
            host_id: format!("bench-{i}"),
            smev: SmevSettings::Simulator(SimulatorSettings {
                seconds_per_day: 0.0,
                rejection_rate: 0.0,
                redelivery_rate: 0.0,
                seed: 48 + i as u64,
            }),
            ..HostSettings::default()
        };
        all.push(Arc::new(
            RegionHost::open(store.clone(), runtime.clone(), settings)
                .await
                .unwrap(),
        ));
    }
    common::install_signed(&all[0], |name| name == RULE).await;
    // The demo's own applications first: the rule is compiled and the region warm.
    if !decide_all(&all, &store).await {
        println!("  {name}: the demo's own applications were not all decided; no figure");
        return f64::NAN;
    }
    let before = decided(&store).await;
    let forms = templates(&region);
    let started = Instant::now();
    for i in 0..n {
        let (citizen, measure, fields) = &forms[i % forms.len()];
        store
            .submit_application(
                &NewApplication {
                    citizen: *citizen,
                    measure: measure.clone(),
                    channel: "portal".into(),
                    number: None,
                    term_days: 10,
                    fields: fields.clone(),
                },
                "bench",
            )
            .await
            .unwrap();
    }
    let registered = started.elapsed();
    let decide_started = Instant::now();
    let finished = decide_all(&all, &store).await;
    let elapsed = decide_started.elapsed();
    let made = decided(&store).await - before;
    if !finished || made != n as u64 {
        println!("  {name}: {made} of {n} decided; no figure");
        return f64::NAN;
    }
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "  {name:<20} registered in {:>7.1} ms, decided in {:>8.1} ms: {rate:>7.0} decisions/s",
        registered.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3
    );
    if hosts == 1 && records {
        replay(name, &all[0], &store).await;
    }
    rate
}

/// Replays every recorded call of the rule on the version that made it (all must be
/// identical) and prints replays per second and the records' size.
async fn replay(name: &str, host: &RegionHost, store: &Store) {
    let mut request = ReplayRequest::new(RULE, Candidate::Installed);
    request.max_differences = 10;
    let report = host.replay(&request).await.unwrap();
    let chain = store.verify_decision_chain(None).await.unwrap();
    assert!(chain.intact(), "{:?}", chain.broken);
    println!(
        "  {name:<20} replayed {} recorded call(s) in {:>8.1} ms: {:>7.0} replays/s, {} identical; \
         records {} bytes each on average",
        report.replayed,
        report.seconds * 1e3,
        report.per_second(),
        report.identical,
        chain.body_bytes / (chain.records.max(1) as u64)
    );
}

/// Every host decides and exchanges SMEV answers, concurrently, until no case waits and no
/// application of the rule's measures is left undecided; stops the bench if nothing moves for
/// a minute (answers whether everything was decided).
async fn decide_all(hosts: &[Arc<RegionHost>], store: &Store) -> bool {
    let mut last_progress = Instant::now();
    loop {
        if last_progress.elapsed() > std::time::Duration::from_secs(60) {
            println!(
                "  nothing moved for a minute; left: {:?}",
                store.case_counts().await.unwrap()
            );
            return false;
        }
        let mut rounds = Vec::new();
        for host in hosts {
            let host = host.clone();
            rounds.push(tokio::spawn(async move {
                let decided = host
                    .decisions()
                    .decide_applications(500)
                    .await
                    .unwrap()
                    .len();
                let smev = host.deliveries().smev_once().await.unwrap();
                decided as u64 + smev.sent + smev.applied
            }));
        }
        let mut work = 0;
        for round in rounds {
            work += round.await.unwrap();
        }
        let counts = store.case_counts().await.unwrap();
        let waiting: u64 = counts.values().map(|c| c.waiting).sum();
        if work == 0 && waiting == 0 {
            return true;
        }
        if work > 0 {
            last_progress = Instant::now();
        }
    }
}

/// Cases decided or failed so far.
async fn decided(store: &Store) -> u64 {
    let counts = store.case_counts().await.unwrap();
    counts
        .get(RULE)
        .map(|c: &CaseCounts| c.approved + c.denied + c.failed)
        .unwrap_or(0)
}

/// An application to register again: its citizen, measure and form.
type Template = (u64, String, Vec<(String, String)>);

/// Application forms to register again: the demo's forms with their citizen and measure.
fn templates(region: &zemstvo_core::region::InMemoryRegion) -> Vec<Template> {
    let table = region.table(Entity::Applications);
    let column = |name: &str| {
        Entity::Applications
            .schema()
            .columns
            .iter()
            .position(|c| c.name == name)
            .unwrap()
    };
    let (id_col, citizen_col, measure_col) =
        (column("id"), column("citizen_id"), column("measure"));
    let forms: std::collections::HashMap<u64, Vec<(String, String)>> =
        application_forms(region, SEED).into_iter().collect();
    let mut out = Vec::new();
    for row in 0..table.len() {
        if let (Cell::U64(id), Cell::U64(citizen), Cell::Text(measure)) = (
            table.cell(id_col, row),
            table.cell(citizen_col, row),
            table.cell(measure_col, row),
        ) && let Some(fields) = forms.get(&id)
        {
            out.push((citizen, measure.to_string(), fields.clone()));
        }
    }
    assert!(!out.is_empty(), "the demo region has forms of the rule");
    out
}
