//! `zemstvo demo`: a demo region in a database, the reference plugins installed and run.
//!
//! The first run generates (deterministically) a region at the seeds' scale into the database
//! and installs the reference plugins; every run then queues one run of each enabled plugin
//! and prints, per plugin, the runs, the tasks created and the tasks already present — so a
//! second run on the same day shows the first run's tasks as already present, not again.
//! With `--report` it also prints the region's figures beside the Lipetsk seed's before ISU
//! ([`report`]) and exits.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use zemstvo_core::clock::Clock;
use zemstvo_core::region::InMemoryRegion;
use zemstvo_demo::{DemoScale, application_forms, demo_region};
use zemstvo_host::PluginKind;
use zemstvo_registry::{NamePattern, SecretKey, VendorId};
use zemstvo_service::SmevStats;
use zemstvo_service::{
    DEFAULT_SCHEDULE, HostSettings, InstallAction, InstallOptions, RegionHost, SmevSettings,
};
use zemstvo_store::Store;
use zemstvo_store::eligibility::CaseCounts;
use zemstvo_store::load::RegionInfo;
use zemstvo_store::notifications::Template;

use super::DatabaseArgs;

pub mod appeals;
use crate::cli::CliError;
use crate::print;

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Run every plugin once, let the eligibility rules decide on the simulated agencies'
    /// time (a request's answer comes the days its agency takes after it), and exit; without
    /// it the host keeps serving the region.
    #[arg(long)]
    pub once: bool,

    /// How big a region to generate: `seed` (the seeds' scale) or `small`.
    #[arg(long, default_value = "seed", value_parser = ["seed", "small"])]
    pub scale: String,

    /// Seed of the synthetic region: the same seed gives the same records.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,

    /// The logical time of the runs (RFC 3339); by default 06:00 UTC today, when ISU's
    /// morning checks run.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Tasks printed in full per plugin.
    #[arg(long, default_value_t = 3)]
    pub show: usize,

    /// Print the region's figures beside the Lipetsk seed's (before ISU), as the reference
    /// plugins and the dashboard measure them, one line per figure, and exit after the runs
    /// (as `--once`).
    #[arg(long)]
    pub report: bool,

    /// Where the HTTP API listens while the demo serves.
    #[arg(long, value_name = "ADDRESS", default_value = super::web::DEFAULT_LISTEN)]
    pub listen: String,
}

/// Templates the demo region keeps for its messages (the reference plugins' catalogue).
const TEMPLATES: &[(&str, Option<&str>, &str)] = &[
    (
        "application-registered",
        Some("Заявление № {{ number }} зарегистрировано"),
        "{{ full_name }}, ваше заявление № {{ number }} ({{ measure }}) зарегистрировано {{ date }} и передано на рассмотрение. Ход рассмотрения — в личном кабинете на портале госуслуг.",
    ),
    (
        "application-returned",
        Some("Заявление № {{ number }} возвращено на доработку"),
        "{{ full_name }}, ваше заявление № {{ number }} ({{ measure }}) {{ date }} возвращено на доработку. Что нужно исправить, можно узнать в личном кабинете на портале госуслуг или в МФЦ.",
    ),
    (
        "decision-made",
        Some("Решение по заявлению № {{ number }}"),
        "{{ full_name }}, по вашему заявлению № {{ number }} принято решение: {{ decision }}.",
    ),
    (
        "smev-answer-received",
        Some("Сведения по заявлению № {{ number }} получены"),
        "{{ full_name }}, ответ {{ agency }} по заявлению № {{ number }} получен, заявление рассматривается.",
    ),
];

/// The demo region's settings for reference plugins whose defaults leave them idle: the risk
/// categories need someone to send inspection tasks to (the head of the first unit).
const DEMO_CONFIG: &[(&str, &[(&str, &str)])] =
    &[("moscow-risk-categories", &[("inspection-head-id", "1")])];

pub async fn demo(args: DemoArgs) -> Result<ExitCode, CliError> {
    let serves = !args.once && !args.report;
    if serves {
        // Counted from the demo's first runs on, for `/metrics`.
        let _ = zemstvo_web::metrics_handle();
    }
    let now = match &args.now {
        Some(text) => print::parse_time(text, "--now")?,
        None => {
            let today = time::OffsetDateTime::now_utc().date();
            today.midnight().assume_utc().unix_timestamp() + 6 * 3_600
        }
    };
    let store = args.database.open().await?;
    ensure_region(&store, &args, now).await?;
    let settings = HostSettings {
        smev: SmevSettings::Simulator(demo_simulator()),
        // Run once, the region lives on the simulated agencies' time: the rules decide from
        // the runs' time on, each when its answers arrive days later, and the cases say so.
        // A serving demo stays on the wall clock its screens, deadlines and schedules use;
        // its answers are dated when the host takes them.
        clock: if serves {
            Clock::wall()
        } else {
            Clock::following_agencies(now)
        },
        appeals: zemstvo_service::AppealSettings {
            first_line: Some(appeals::first_line(&store).await?),
        },
        ..HostSettings::default()
    };
    let host = RegionHost::open(store.clone(), Arc::new(super::runtime()?), settings)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    install_reference_plugins(&host).await?;
    configure_reference_plugins(&host).await?;
    let cause = format!(
        "demo:{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    );
    host.runs()
        .enqueue_enabled(&cause, now)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let outcomes = host
        .runs()
        .drain_queue()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let mut by_plugin: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut failed = 0;
    for o in &outcomes {
        let entry = by_plugin.entry(o.report.plugin.name.clone()).or_default();
        entry.0 += 1;
        if let Some(c) = &o.committed {
            entry.1 += c.tasks_created;
            entry.2 += c.tasks_existing;
            entry.3 += c.notifications_queued;
        }
        println!();
        print!("{}", print::report_summary(&o.report, args.show));
        if !o.report.succeeded() {
            failed += 1;
        }
    }
    // Measured before the eligibility rules decide anything: the region as generated.
    let report = match args.report {
        true => Some(report::measure(host.store(), &outcomes, now).await?),
        false => None,
    };
    let (cases, mut smev) = decide_applications(&host).await?;
    let delivered = host
        .deliveries()
        .deliver_once()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let last = host
        .deliveries()
        .smev_once()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    smev.sent += last.sent;
    smev.applied += last.applied;
    println!("\nper plugin:");
    for (plugin, (runs, created, existing, messages)) in &by_plugin {
        println!(
            "  {plugin}: {runs} run(s), {created} tasks created, {existing} tasks already present, {messages} messages queued"
        );
    }
    for (plugin, c) in &cases {
        println!(
            "  {plugin}: {} applications decided without an official ({} approved, {} denied), {} sent to a specialist, {} waiting for agencies",
            c.approved + c.denied,
            c.approved,
            c.denied,
            c.failed,
            c.waiting
        );
    }
    let catalogue = appeals::prepare(&store).await?;
    if let Some(g) =
        appeals::generate(&host, &catalogue, args.scale == "small", args.seed, now).await?
    {
        println!(
            "  appeals: {} filed over the last quarter (catalogue {}), {} routed, {} incidents answered, {} answers rejected by the applicant, {} root-cause records",
            g.appeals, catalogue.version, g.routed, g.answered, g.reopened, g.root_causes
        );
    }
    host.sign_checkpoint().await;
    println!(
        "outbox: {} sent, {} waiting for an adapter; SMEV (simulated agencies): {} requests sent, {} answers taken",
        delivered.sent, delivered.retried, smev.sent, smev.applied
    );
    println!(
        "database: {}  (try `zemstvo tasks list --database {}`)",
        store.url(),
        store.url()
    );
    if failed > 0 {
        return Err(CliError::RunFailed(format!("{failed} plugin runs failed")));
    }
    if let Some(report) = report {
        println!();
        print!("{report}");
    }
    if serves {
        let listener = super::web::bind(&args.listen).await?;
        let address = listener
            .local_addr()
            .map_err(|e| CliError::Input(e.to_string()))?;
        let base = format!("http://{address}");
        println!("\nsign in (each link works once, for a day):");
        for (login, role, link) in demo_accounts(&store, &base).await? {
            println!("  {role:<14} {login:<12} {link}");
        }
        println!(
            "citizens' appeals over Open311: {base}/open311/v2/services.json; file one with POST {base}/open311/v2/requests.json and api_key={} (channel `{}`)",
            appeals::channel_key(),
            appeals::CHANNEL
        );
        super::web::serve_region(Arc::new(host), listener).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One account per role — the employee a real specialist of the generated region, the manager
/// their manager — and a fresh one-time sign-in link for each.
async fn demo_accounts(
    store: &Store,
    base: &str,
) -> Result<Vec<(String, &'static str, String)>, CliError> {
    use zemstvo_store::accounts::{NewUser, Role};
    let fail = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    // A specialist with a manager and the most tasks: the cabinet shows something at once.
    let tasks = store
        .tasks(&zemstvo_store::tasks::TaskFilter {
            limit: Some(5_000),
            ..Default::default()
        })
        .await
        .map_err(fail)?;
    let mut per_employee: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for t in &tasks {
        if let Some(manager) = t.overseer {
            *per_employee.entry((t.assignee, manager)).or_default() += 1;
        }
    }
    let (employee, manager) = per_employee
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, _)| *k)
        .unwrap_or((2, 1));
    let names = store
        .employee_names(&[employee, manager])
        .await
        .map_err(fail)?;
    let accounts = [
        (
            "admin",
            Role::Administrator,
            "Администратор региона".to_string(),
            None,
        ),
        (
            "manager",
            Role::Manager,
            names
                .get(&manager)
                .cloned()
                .unwrap_or_else(|| "Руководитель".into()),
            Some(manager),
        ),
        (
            "employee",
            Role::Employee,
            names
                .get(&employee)
                .cloned()
                .unwrap_or_else(|| "Специалист".into()),
            Some(employee),
        ),
        ("auditor", Role::Auditor, "Аудитор".to_string(), None),
    ];
    let mut out = Vec::new();
    for (login, role, full_name, employee_id) in accounts {
        if store.user_by_login(login).await.map_err(fail)?.is_none() {
            store
                .add_user(
                    &NewUser {
                        login: login.into(),
                        full_name,
                        role,
                        employee_id,
                        password_hash: None,
                    },
                    "demo",
                )
                .await
                .map_err(fail)?;
        }
        let link = super::users::sign_in_link(store, login, base).await?;
        out.push((login.to_string(), role.name(), link));
    }
    Ok(out)
}

/// The demo vendor's signing key. Derived from a public phrase, so it signs nothing but the
/// demo's own reference plugins; a real region never trusts it.
fn demo_vendor_key() -> SecretKey {
    let seed: [u8; 32] = Sha256::digest(b"zemstvo demo vendor: not a secret").into();
    SecretKey::from_seed(&seed)
}

/// Signs the reference plugins with the demo vendor's key, trusts that key in the demo
/// region, and installs them as a region installs any vendor's: verified, enabled with the
/// capabilities they declare, on the morning schedule.
async fn install_reference_plugins(host: &RegionHost) -> Result<(), CliError> {
    let key = demo_vendor_key();
    let vendor = VendorId::new("zemstvo-demo").expect("a valid vendor id");
    let trusted = host
        .installations()
        .trust_store()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    if trusted.key(&key.key_id()).is_none() {
        host.installations()
            .update_trust(
                "demo",
                "trust-add",
                serde_json::json!({ "vendor": "zemstvo-demo" }),
                |t| t.trust(key.public_key(), vendor.clone(), vec![NamePattern::any()]),
            )
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
    }
    let options = InstallOptions {
        enable: true,
        grant_declared: true,
        actor: "demo".into(),
        ..InstallOptions::default()
    };
    for artifact in zemstvo_plugin_artifacts::REFERENCE {
        let outcome =
            zemstvo_service::pack_and_install(host, artifact.bytes, &vendor, &key, &options)
                .await
                .map_err(|e| CliError::Input(format!("{}: {e}", artifact.name)))?;
        if outcome.action != InstallAction::AlreadyInstalled {
            // Eligibility rules are called per application, never on a schedule.
            if artifact_kind(host, &outcome.name).await?.is_batch() {
                host.store()
                    .set_schedule(&outcome.name, Some(DEFAULT_SCHEDULE), "demo")
                    .await
                    .map_err(|e| CliError::Input(e.to_string()))?;
            }
            println!(
                "{} {} {}, signed by {} ({})",
                outcome.action, outcome.name, outcome.version, outcome.vendor, outcome.signer
            );
        }
    }
    Ok(())
}

/// How long the demo waits for the simulated agencies to answer the eligibility rules.
const DECISION_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Calls the eligibility rules for the registered applications and keeps answering their SMEV
/// requests (through the simulator) until every case is decided or [`DECISION_WAIT`] passes;
/// returns each rule's cases by state and what went through SMEV meanwhile.
async fn decide_applications(
    host: &RegionHost,
) -> Result<(BTreeMap<String, CaseCounts>, SmevStats), CliError> {
    let fail = |e: zemstvo_service::ServiceError| CliError::Input(e.to_string());
    let deadline = std::time::Instant::now() + DECISION_WAIT;
    let mut smev = SmevStats::default();
    loop {
        host.decisions()
            .decide_applications(1_000)
            .await
            .map_err(fail)?;
        let round = host.deliveries().smev_once().await.map_err(fail)?;
        smev.sent += round.sent;
        smev.applied += round.applied;
        let counts = host
            .store()
            .case_counts()
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        if counts.values().all(|c| c.waiting == 0) || std::time::Instant::now() > deadline {
            return Ok((counts, smev));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn artifact_kind(host: &RegionHost, name: &str) -> Result<PluginKind, CliError> {
    let installation = host
        .store()
        .installation(name)
        .await
        .map_err(|e| CliError::Input(e.to_string()))?
        .ok_or_else(|| CliError::Input(format!("`{name}` was just installed but is missing")))?;
    Ok(installation.kind)
}

/// SMEV answers within a second or two, so the demo shows the whole lifecycle.
fn demo_simulator() -> zemstvo_service::settings::SimulatorSettings {
    zemstvo_service::settings::SimulatorSettings {
        seconds_per_day: 0.2,
        ..Default::default()
    }
}

/// Generates and loads the demo region once; later runs reuse it.
async fn ensure_region(store: &Store, args: &DemoArgs, now: i64) -> Result<(), CliError> {
    if let Some(region) = store
        .region()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?
    {
        println!(
            "demo region `{}` in {} (generated earlier)",
            region.id,
            store.url()
        );
        return Ok(());
    }
    let scale = if args.scale == "small" {
        DemoScale::SMALL
    } else {
        DemoScale::SEED
    };
    println!(
        "generating the demo region (seed {}) into {}",
        args.seed,
        store.url()
    );
    let region = demo_region(scale, args.seed, now);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} loading records [{bar:40}] {pos}/{len} ({eta})")
            .expect("a valid progress template")
            .progress_chars("=> "),
    );
    let progress = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    load_region(store, &region, args.seed, &progress).await?;
    bar.finish_and_clear();
    let counts = store
        .counts()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let line: Vec<String> = counts.iter().map(|(e, n)| format!("{n} {e}")).collect();
    println!("demo region `lipetsk-demo`: {}", line.join(", "));
    Ok(())
}

/// Loads a generated demo region into an empty store: the region's record, its records, the
/// application forms the eligibility rules read, and the message templates. `seed` is the
/// region's seed (the forms derive from it).
pub async fn load_region(
    store: &Store,
    region: &InMemoryRegion,
    seed: u64,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), CliError> {
    let fail = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "Липецкая область (демо)".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .map_err(fail)?;
    store.load_region(region, progress).await.map_err(fail)?;
    store
        .set_application_fields(&application_forms(region, seed))
        .await
        .map_err(fail)?;
    for (name, subject, body) in TEMPLATES {
        store
            .put_template(
                &Template {
                    name: name.to_string(),
                    subject: subject.map(str::to_string),
                    body: body.to_string(),
                },
                "demo",
            )
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// Applies [`DEMO_CONFIG`] to installed reference plugins that have no configuration yet, so
/// an administrator's later settings are never overwritten by another demo run.
pub async fn configure_reference_plugins(host: &RegionHost) -> Result<(), CliError> {
    for (plugin, settings) in DEMO_CONFIG {
        let configured = host
            .store()
            .config(plugin)
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        if !configured.is_empty() {
            continue;
        }
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        host.installations()
            .configure(plugin, &settings, "demo")
            .await
            .map_err(|e| CliError::Input(format!("{plugin}: {e}")))?;
    }
    Ok(())
}

/// `zemstvo demo --report`: the region's figures beside the seed's. Every figure is measured
/// by what the region itself uses — the reference plugins' run summaries and the store's
/// analytics behind the dashboard and the unit page — never counted again here, so the report
/// cannot drift from what the demo shows.
pub mod report {
    use std::fmt::Write as _;

    use zemstvo_core::capabilities::data::Entity;
    use zemstvo_core::capabilities::smev::AGENCY_PROFILES;
    use zemstvo_core::report::RunStatus;
    use zemstvo_demo::seed;
    use zemstvo_service::RunOutcome;
    use zemstvo_store::Store;
    use zemstvo_store::analytics::{Period, Week};
    use zemstvo_store::workload::meets_norm;

    use crate::cli::CliError;

    /// The window the load checks and the dashboard's figures look at.
    const DAYS: i64 = 30;
    const DAY: i64 = 86_400;

    /// One line: what is measured, the generated region's value, the seed's.
    pub struct Figure {
        pub name: String,
        pub generated: String,
        pub seed: String,
    }

    /// The report: a heading and the figures.
    pub struct Report {
        pub now: i64,
        pub figures: Vec<Figure>,
    }

    impl std::fmt::Display for Report {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            writeln!(
                f,
                "the region beside the Lipetsk seed before ISU ({DAYS} days to {}):",
                crate::print::timestamp(self.now)
            )?;
            writeln!(f, "  {:<66}  {:>10}  seed", "figure", "generated")?;
            for figure in &self.figures {
                writeln!(
                    f,
                    "  {:<66}  {:>10}  {}",
                    figure.name, figure.generated, figure.seed
                )?;
            }
            Ok(())
        }
    }

    fn share(part: u64, whole: u64) -> String {
        if whole == 0 {
            return "—".into();
        }
        let mut text = String::new();
        let _ = write!(text, "{:.1} %", part as f64 * 100.0 / whole as f64);
        text
    }

    fn line(name: impl Into<String>, generated: String, seed: impl Into<String>) -> Figure {
        Figure {
            name: name.into(),
            generated,
            seed: seed.into(),
        }
    }

    /// `(examined, found)` of a plugin's successful run in `outcomes`.
    fn summary(outcomes: &[RunOutcome], plugin: &str) -> Result<(u64, u64), CliError> {
        outcomes
            .iter()
            .filter(|o| o.report.plugin.name == plugin)
            .find_map(|o| match &o.report.status {
                RunStatus::Succeeded { summary } => Some((summary.examined, summary.found)),
                RunStatus::Failed { .. } => None,
            })
            .ok_or_else(|| {
                CliError::RunFailed(format!("`{plugin}` did not run: nothing to report from it"))
            })
    }

    /// Measures the region at `now`, after the reference plugins' runs in `outcomes`.
    pub async fn measure(
        store: &Store,
        outcomes: &[RunOutcome],
        now: i64,
    ) -> Result<Report, CliError> {
        let fail = |e: zemstvo_store::StoreError| CliError::Input(e.to_string());
        let since = now - DAYS * DAY;
        let mut figures = Vec::new();

        // The dashboard's effects of the ISU algorithms, over the window as one "week".
        let window = Week {
            label: format!("{DAYS} days"),
            start: since,
            end: now,
        };
        let effects = store
            .weekly_effects(std::slice::from_ref(&window))
            .await
            .map_err(fail)?;
        let effect = effects.first().ok_or_else(|| {
            CliError::Input("the store measured no effects for the window".into())
        })?;
        figures.push(line(
            "returned for revision, of applications decided",
            share(effect.returned, effect.decided),
            format!("{} %", seed::RETURNS_PERCENT),
        ));
        figures.push(line(
            "accepted off the standard, of applications submitted",
            share(effect.off_standard, effect.submitted),
            format!("{} %", seed::OFF_STANDARD_PERCENT),
        ));

        // What the home-care check counts: active social workers with a norm, and those below.
        let (workers, below) = summary(outcomes, "isu-home-care-load")?;
        figures.push(line(
            "social workers meeting their normative load (isu-home-care-load)",
            share(workers - below, workers),
            format!("{} %", seed::SOCIAL_WORKERS_MEETING_NORM_PERCENT),
        ));

        // Specialists against their norm, as the unit page judges them (the store's load).
        let employees = store
            .counts()
            .await
            .map_err(fail)?
            .into_iter()
            .find(|(e, _)| *e == Entity::Employees)
            .map_or(0, |(_, n)| n);
        let ids: Vec<u64> = (1..=employees).collect();
        let active = store.active_employees(&ids).await.map_err(fail)?;
        let loads = store
            .staff_load(&ids, Period { since, until: now })
            .await
            .map_err(fail)?;
        let specialists: Vec<_> = loads
            .iter()
            .filter(|l| l.role == "specialist" && l.normative_load > 0)
            .filter(|l| active.contains(&l.employee))
            .collect();
        let n = specialists.len() as u64;
        let meeting = specialists
            .iter()
            .filter(|l| meets_norm(l.done, l.normative_load, now - since))
            .count() as u64;
        figures.push(line(
            "specialists meeting their normative load (applications decided)",
            share(meeting, n),
            "not published",
        ));
        let (done, norm) = specialists
            .iter()
            .fold((0, 0), |(d, m), l| (d + l.done, m + l.normative_load));
        figures.push(line(
            "applications a specialist decided in the window / their norm",
            format!("{} / {}", done / n.max(1), norm / n.max(1)),
            "not published",
        ));

        // The daily checks of applications in work.
        let (on_desks, overdue) = summary(outcomes, "isu-overdue-applications")?;
        let (assigned, waiting) = summary(outcomes, "isu-unaccepted-applications")?;
        figures.push(line(
            "applications per specialist: in work / assigned, not taken",
            format!(
                "{} / {}",
                (on_desks - assigned) / n.max(1),
                assigned / n.max(1)
            ),
            format!(
                "{} / {} (one desk)",
                seed::DESK_IN_WORK,
                seed::DESK_NOT_TAKEN
            ),
        ));
        figures.push(line(
            "in work past their deadline, of applications in work",
            share(overdue, on_desks),
            "not published",
        ));
        figures.push(line(
            "assigned, not taken for over 8 h, of applications in work",
            share(waiting, on_desks),
            "not published",
        ));
        // At the morning check every application assigned before 01:00 and not taken yet has
        // waited over 8 h, so this share is high by construction; the one above compares.
        figures.push(line(
            "assigned, not taken for over 8 h, of those assigned, not taken",
            share(waiting, assigned),
            "not published",
        ));

        // SMEV, as the dashboard shows each agency: requests sent in the window.
        let agencies = store
            .smev_analytics(Period { since, until: now }, &[])
            .await
            .map_err(fail)?;
        let total: u64 = agencies.iter().map(|a| a.current.requests).sum();
        let seed_total: u64 = AGENCY_PROFILES.iter().map(|p| p.seed_requests).sum();
        for profile in AGENCY_PROFILES.iter().filter(|p| p.seed_requests > 0) {
            let current = agencies
                .iter()
                .find(|a| a.agency == profile.code)
                .map(|a| a.current.clone())
                .unwrap_or_default();
            figures.push(line(
                format!("SMEV {}: share of requests", profile.code),
                share(current.requests, total),
                share(profile.seed_requests, seed_total),
            ));
            figures.push(line(
                format!("SMEV {}: mean answer, days", profile.code),
                current
                    .mean_answer_days
                    .map_or("—".into(), |d| format!("{d:.2}")),
                format!("{:.2}", profile.mean_answer_days),
            ));
        }
        Ok(Report { now, figures })
    }
}
