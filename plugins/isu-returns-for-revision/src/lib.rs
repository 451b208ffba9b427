//! # ISU check: employees whose applications are too often returned for revision
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`, block «Назначение мер социальной поддержки»).
//! The block's first goal was better work with applications — fewer returns for revision — and
//! the seed reports the regional share of returned applications falling from 2 % to 0.7 % once
//! ISU was rolled out; its fourth aim is «развивать систему управления через наставничество».
//!
//! **The rule.** An employee whose share of recent applications returned for revision is above
//! the threshold is a deviation; their manager gets one task a day listing them, their shares and
//! the returned cases, with mentoring steps. What counts, and why:
//! - **whose application**: the assignee's — the employee who prepared the case and will
//!   prepare the next one like it;
//! - **which applications**: those submitted within `lookback-days` (30 by default), so the
//!   share describes the employee's recent work, not their whole history;
//! - **returned**: the application's `returns` counter is above zero, *or* its status history
//!   holds a `returned` event. The two are written by different systems; either is evidence
//!   enough, and when they disagree the larger number of returns is shown;
//! - **above the threshold**: strictly above `threshold-percent` (2 % by default, the seed's
//!   starting point) — exactly at the threshold is within it;
//! - **a fair sample**: an employee with fewer than `min-applications` (10) applications in
//!   the window is not judged: one return out of three cases says little about anyone.
//!
//! Employees no longer active are not reported (there is no one to mentor); one nobody answers
//! for (see [`zemstvo_sdk::staff`]) is logged and skipped.
//!
//! **Reads** `applications` and `application_events` (`data.applications`) and the staff
//! (`data.staff`). **Emits** one task per manager (`tasks.create`), keyed by manager and day.

mod text;

use std::collections::{BTreeMap, HashMap};

use zemstvo_sdk::data::{eq, ge, le, present};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::tasks::fit_description;
use zemstvo_sdk::text::{count, percent};
use zemstvo_sdk::time::{date_of, format_date};

use text::application_status;

/// Configuration keys.
const LOOKBACK_DAYS: &str = "lookback-days";
const THRESHOLD_PERCENT: &str = "threshold-percent";
const MIN_APPLICATIONS: &str = "min-applications";

/// Returned cases listed in a task's text; every one is linked to the task as a record.
const LISTED_CASES: usize = 50;

/// Employees listed in a task's text (a manager of a very large unit sees the count).
const LISTED_EMPLOYEES: usize = 30;

/// Records of each kind linked to one task (the host accepts up to 10000 in all).
const LINKED_RECORDS: usize = 4_000;

/// Comparing a share with the threshold in floating point: a share that equals the
/// threshold on paper (1 of 50 against 2 %) must not come out above it by a rounding error.
const EPSILON: f64 = 1e-9;

struct ReturnsForRevision;

/// The settings of one run, read once.
struct Settings {
    since: Timestamp,
    threshold_percent: f64,
    min_applications: u64,
}

/// An application of the window that was returned for revision at least once.
struct ReturnedCase {
    application: u64,
    number: String,
    measure: String,
    status: String,
    /// The larger of the `returns` counter and the number of `returned` events.
    times: u32,
}

/// One employee's applications in the window.
#[derive(Default)]
struct Tally {
    applications: u64,
    returned: Vec<ReturnedCase>,
}

impl Tally {
    fn share_percent(&self) -> f64 {
        if self.applications == 0 {
            return 0.0;
        }
        self.returned.len() as f64 * 100.0 / self.applications as f64
    }
}

/// An employee above the threshold and their applications of the window.
struct Finding {
    employee: u64,
    tally: Tally,
}

impl DeviationCheck for ReturnsForRevision {
    fn metadata() -> Metadata {
        Metadata::new("isu-returns-for-revision", env!("CARGO_PKG_VERSION"))
            .title("Доля обращений, возвращённых на доработку, выше порога")
            .description(
                "Per employee, the share of their applications of the lookback window that were \
                 returned for revision at least once; employees above the threshold (with a \
                 minimum sample) become one task per manager with the returned cases and \
                 mentoring steps (ISU, Lipetsk: 2 % → 0.7 %).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    LOOKBACK_DAYS,
                    "How far back, in days, applications are examined (by submission date)",
                )
                .default(30)
                .range(1, 366),
            )
            .config(
                ConfigParam::decimal(
                    THRESHOLD_PERCENT,
                    "Share of returned applications, in percent, above which an employee is reported",
                )
                .default(2.0)
                .range(0.0, 100.0),
            )
            .config(
                ConfigParam::integer(
                    MIN_APPLICATIONS,
                    "Fewest applications in the window for an employee's share to be judged",
                )
                .default(10)
                .range(1, 10_000),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let settings = Settings {
            since: ctx.now - config::integer(LOOKBACK_DAYS)? * DAY,
            threshold_percent: config::decimal(THRESHOLD_PERCENT)?,
            min_applications: config::integer(MIN_APPLICATIONS)?.max(1) as u64,
        };

        let returned_events = returned_events(ctx.now, settings.since)?;
        let (examined, tallies) = tallies(ctx.now, settings.since, &returned_events)?;

        // The employees above the threshold with a fair sample; small samples are counted
        // for the run history so the administrator can see what was left unjudged.
        let mut small_samples = 0;
        let mut above: BTreeMap<u64, Tally> = BTreeMap::new();
        for (employee, tally) in tallies {
            if tally.applications < settings.min_applications {
                small_samples += 1;
                continue;
            }
            if tally.share_percent() > settings.threshold_percent + EPSILON {
                above.insert(employee, tally);
            }
        }
        if small_samples > 0 {
            log::info(&format!(
                "employees with fewer than {} applications in the window, not judged: {small_samples}",
                settings.min_applications
            ));
        }
        if above.is_empty() {
            return Ok(RunSummary::new(
                examined,
                0,
                format!(
                    "no employee's share of returns is above {}",
                    percent(settings.threshold_percent)
                ),
            ));
        }

        let hierarchy = Hierarchy::read(above.keys().copied())?;

        let mut by_manager: BTreeMap<u64, Vec<Finding>> = BTreeMap::new();
        let mut found = 0;
        let mut unreported = 0;
        for (employee, tally) in above {
            let Some(who) = hierarchy.employee(employee) else {
                log::warn(&format!(
                    "employee {employee} is an assignee but not among the staff; not reported"
                ));
                unreported += 1;
                continue;
            };
            if !who.active {
                log::info(&format!(
                    "employee {employee} is no longer active; their returns are not reported"
                ));
                continue;
            }
            found += 1;
            match hierarchy.responsible_manager(employee) {
                Some(manager) => by_manager
                    .entry(manager)
                    .or_default()
                    .push(Finding { employee, tally }),
                None => {
                    log::warn(&format!(
                        "{}; {} returned applications are not reported",
                        hierarchy.why_nobody(employee),
                        tally.returned.len()
                    ));
                    unreported += 1;
                }
            }
        }

        for (manager, findings) in &mut by_manager {
            // The highest share first: that is where mentoring starts.
            findings.sort_by(|a, b| {
                b.tally
                    .share_percent()
                    .total_cmp(&a.tally.share_percent())
                    .then(a.employee.cmp(&b.employee))
            });
            task_for_manager(ctx, *manager, findings, &hierarchy, &settings).create()?;
        }
        Ok(RunSummary::new(
            examined,
            found,
            format!(
                "{found} employees above {} of returns; {} managers got a task; {unreported} not reported",
                percent(settings.threshold_percent),
                by_manager.len()
            ),
        ))
    }
}

/// How many `returned` events each application has in the window. The host keeps only the
/// `returned` rows, so this reads few rows even in a long history.
fn returned_events(now: Timestamp, since: Timestamp) -> Result<HashMap<u64, u32>, PluginError> {
    let cursor = application_events::query()
        .columns(&[application_events::APPLICATION_ID])
        .filter(application_events::STATUS, eq("returned"))
        .filter(application_events::AT, ge(since))
        .filter(application_events::AT, le(now))
        .open()?;
    let mut events: HashMap<u64, u32> = HashMap::new();
    for batch in cursor {
        let batch = batch?;
        for &application in batch.u64s(application_events::APPLICATION_ID) {
            *events.entry(application).or_default() += 1;
        }
    }
    Ok(events)
}

/// One pass over the assigned applications submitted in the window: how many each employee
/// has, and which came back for revision.
fn tallies(
    now: Timestamp,
    since: Timestamp,
    returned_events: &HashMap<u64, u32>,
) -> Result<(u64, HashMap<u64, Tally>), PluginError> {
    let cursor = applications::query()
        .columns(&[
            applications::ID,
            applications::NUMBER,
            applications::MEASURE,
            applications::STATUS,
            applications::ASSIGNEE_ID,
            applications::RETURNS,
        ])
        .filter(applications::SUBMITTED_AT, ge(since))
        .filter(applications::SUBMITTED_AT, le(now))
        // An application nobody was assigned is nobody's return.
        .filter(applications::ASSIGNEE_ID, present())
        .open()?;
    let mut examined = 0;
    let mut tallies: HashMap<u64, Tally> = HashMap::new();
    for batch in cursor {
        let batch = batch?;
        let rows = applications::rows(&batch);
        examined += rows.len() as u64;
        for row in rows.iter() {
            let Some(assignee) = row.assignee_id() else {
                continue;
            };
            let tally = tallies.entry(assignee).or_default();
            tally.applications += 1;
            let events = returned_events.get(&row.id()).copied().unwrap_or(0);
            let times = row.returns().max(events);
            if times > 0 {
                tally.returned.push(ReturnedCase {
                    application: row.id(),
                    number: row.number().to_string(),
                    measure: row.measure().to_string(),
                    status: row.status().to_string(),
                    times,
                });
            }
        }
    }
    Ok((examined, tallies))
}

/// The manager's task: each employee above the threshold, their share and returned cases,
/// and the mentoring steps.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    findings: &[Finding],
    hierarchy: &Hierarchy,
    settings: &Settings,
) -> Task {
    let threshold = percent(settings.threshold_percent);
    let mut description = format!(
        "У сотрудников из списка ниже доля обращений, возвращённых на доработку, выше порога {threshold} \
         (по обращениям, поступившим с {}). Возвраты удлиняют срок предоставления услуги и \
         вызывают жалобы заявителей; типовые ошибки устраняются наставничеством.\n",
        format_date(settings.since)
    );
    let mut listed_cases = 0;
    for finding in findings.iter().take(LISTED_EMPLOYEES) {
        let tally = &finding.tally;
        description.push_str(&format!(
            "\n{}: возвращено {} из {} ({}):\n",
            hierarchy.name(finding.employee),
            tally.returned.len(),
            count(tally.applications, "обращения", "обращений", "обращений"),
            percent(tally.share_percent()),
        ));
        for case in tally.returned.iter() {
            if listed_cases == LISTED_CASES {
                break;
            }
            listed_cases += 1;
            description.push_str(&format!(
                "  • дело № {} ({}): возвратов {}, сейчас {}\n",
                case.number,
                case.measure,
                case.times,
                application_status(&case.status)
            ));
        }
    }
    if findings.len() > LISTED_EMPLOYEES {
        description.push_str(&format!(
            "\n… и ещё {}: полный список — в записях задачи.\n",
            count(
                (findings.len() - LISTED_EMPLOYEES) as u64,
                "сотрудник",
                "сотрудника",
                "сотрудников"
            )
        ));
    }
    let returned_total: usize = findings.iter().map(|f| f.tally.returned.len()).sum();
    if listed_cases < returned_total {
        description.push_str(&format!(
            "\nВ тексте показано {listed_cases} из {returned_total} возвращённых дел; все они — в записях задачи.\n"
        ));
    }

    let mut task = Task::new(
        format!("isu-returns-for-revision/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Возвраты на доработку выше {threshold}: {}",
            count(
                findings.len() as u64,
                "сотрудник",
                "сотрудника",
                "сотрудников"
            )
        ),
    )
    .description(fit_description(description))
    .records(
        Entity::Employees,
        findings.iter().map(|f| f.employee).take(LINKED_RECORDS),
    )
    .records(
        Entity::Applications,
        findings
            .iter()
            .flat_map(|f| f.tally.returned.iter().map(|c| c.application))
            .take(LINKED_RECORDS),
    )
    .step("Разберите с каждым сотрудником его возвращённые дела: какие документы, сведения или проверки были упущены")
    .step("Закрепите за сотрудником наставника из опытных специалистов отдела и договоритесь о разборе сложных дел вместе")
    .step("До снижения доли возвратов ниже порога проверяйте выборочно дела сотрудника перед передачей на решение")
    .step("Внесите найденные причины возвратов в памятку отдела по типовым ошибкам и отметьте задачу выполненной")
    // Mentoring takes more than a day: a week to hold the reviews and assign mentors.
    .due(ctx.now + 7 * DAY);
    // A task about one employee names them as its subject, so their own cabinet shows it.
    if let [only] = findings {
        task = task.subject(only.employee);
    }
    task
}

export_deviation_check!(ReturnsForRevision);
