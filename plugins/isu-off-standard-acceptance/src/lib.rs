//! # ISU check: applications accepted off the standard
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`, block "social support measures"): an
//! application is accepted "off the standard" when the specialist takes it without the full set
//! of documents or checks the standard requires. Such cases come back for revision and take
//! longer; the seed reports that the ISU brought their share down from 25 % to 5.3 %.
//!
//! **The rule.** Over the applications accepted in the last `lookback-days` (30 by default), an
//! employee whose share of off-standard acceptances exceeds `max-share-percent` (5) is a
//! deviation, provided they accepted at least `min-applications` (10) — one case in three
//! applications is a small sample, not a habit. Who accepted an application: the employee
//! recorded on its `registered` status event, where the case system records one (office
//! reception); otherwise the assignee, who checks the documents of an application that came from
//! the portal or an MFC. Each responsible manager (or else the head of the employee's unit) gets
//! one task a day listing the employees, their shares and the cases.
//!
//! **Reads** `applications` and `application_events` (`data.applications`) and the staff who
//! answer for the employees (`data.staff`). **Emits** one task per manager (`tasks.create`),
//! keyed by manager and day.
//!
//! It reads data as the reference plugin `isu-smev-answer-delay` does: one
//! pass over the window's applications with the filters on the host, then targeted reads by id of
//! only the records that matter.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use zemstvo_sdk::data::{self, eq, ge, le, present};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::text::noun;
use zemstvo_sdk::time::{date_of, format_date};

/// Configuration keys.
const LOOKBACK_DAYS: &str = "lookback-days";
const MAX_SHARE_PERCENT: &str = "max-share-percent";
const MIN_APPLICATIONS: &str = "min-applications";

/// Employees and cases listed in a task's text; a manager with more sees the counts here
/// and every record linked to the task. Keeps tasks readable and within the host's limits.
const LISTED_EMPLOYEES: usize = 50;
const LISTED_CASES: usize = 50;

/// Applications linked to one task (the host accepts up to 10000 records).
const LINKED_RECORDS: usize = 5_000;

struct OffStandardAcceptance;

/// The run's rules, read from the configuration once.
struct Rules {
    lookback_days: i64,
    /// The threshold in hundredths of a percent (5 % = 500), so that a share exactly at the
    /// threshold compares exactly, with no floating-point rounding at the boundary.
    max_share_bp: u64,
    min_applications: u64,
}

/// One employee's acceptances in the window.
#[derive(Default)]
struct Acceptances {
    total: u64,
    /// The applications accepted off the standard, in id order.
    off_standard: Vec<u64>,
}

impl Acceptances {
    fn off(&self) -> u64 {
        self.off_standard.len() as u64
    }

    /// Whether the share is strictly above the threshold: `off / total > bp / 10000`.
    fn exceeds(&self, rules: &Rules) -> bool {
        self.total >= rules.min_applications
            && self.off() * 10_000 > rules.max_share_bp * self.total
    }

    /// Whether the share is at least twice the threshold: a habit, not a slip.
    fn at_least_double(&self, rules: &Rules) -> bool {
        self.off() * 10_000 >= 2 * rules.max_share_bp * self.total
    }

    /// Compares shares exactly, without dividing.
    fn share_cmp(&self, other: &Acceptances) -> Ordering {
        (self.off() * other.total).cmp(&(other.off() * self.total))
    }

    fn share_text(&self) -> String {
        let share = self.off() as f64 * 100.0 / self.total.max(1) as f64;
        format!("{:.1} %", share).replace('.', ",")
    }
}

/// What the task needs to know about an application.
struct Case {
    number: String,
    submitted: Timestamp,
}

impl DeviationCheck for OffStandardAcceptance {
    fn metadata() -> Metadata {
        Metadata::new("isu-off-standard-acceptance", env!("CARGO_PKG_VERSION"))
            .title("Приём обращений с отклонением от стандарта")
            .description(
                "Finds employees whose share of applications accepted off the standard over \
                 a lookback window exceeds a threshold (given a minimum number of \
                 applications) and gives each responsible manager one task with the \
                 employees, their shares, the cases and the corrective steps (ISU, Lipetsk).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    LOOKBACK_DAYS,
                    "Days of acceptances over which each employee's share is computed",
                )
                .default(30)
                .range(1, 366),
            )
            .config(
                ConfigParam::decimal(
                    MAX_SHARE_PERCENT,
                    "Share of off-standard acceptances, in percent, above which an employee \
                     is reported (precision 0.01)",
                )
                .default(5.0)
                .range(0.0, 100.0),
            )
            .config(
                ConfigParam::integer(
                    MIN_APPLICATIONS,
                    "Applications an employee must have accepted in the window to be judged",
                )
                .default(10)
                .range(1, 100_000),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let rules = Rules {
            lookback_days: config::integer(LOOKBACK_DAYS)?,
            max_share_bp: (config::decimal(MAX_SHARE_PERCENT)? * 100.0).round() as u64,
            min_applications: config::integer(MIN_APPLICATIONS)? as u64,
        };
        let since = ctx.now - rules.lookback_days * DAY;

        let (examined, by_employee) = acceptances(since, ctx.now)?;
        let over: BTreeMap<u64, &Acceptances> = by_employee
            .iter()
            .filter(|(_, a)| a.exceeds(&rules))
            .map(|(e, a)| (*e, a))
            .collect();
        let judged = by_employee
            .values()
            .filter(|a| a.total >= rules.min_applications)
            .count();
        if over.is_empty() {
            return Ok(RunSummary::new(
                examined,
                0,
                format!(
                    "no employee of {judged} with at least {} applications accepted more than \
                     {} off the standard",
                    rules.min_applications,
                    percent(rules.max_share_bp)
                ),
            ));
        }

        let hierarchy = Hierarchy::read(over.keys().copied())?;

        // Group the employees above the threshold by their responsible manager.
        let mut by_manager: BTreeMap<u64, Vec<(u64, &Acceptances)>> = BTreeMap::new();
        for (&employee, &acceptances) in &over {
            match hierarchy.responsible_manager(employee) {
                Some(manager) => by_manager
                    .entry(manager)
                    .or_default()
                    .push((employee, acceptances)),
                None => log::warn(&format!(
                    "{} of {} applications accepted off the standard are not reported: {}",
                    acceptances.off(),
                    acceptances.total,
                    hierarchy.why_nobody(employee)
                )),
            }
        }

        let listed: BTreeSet<u64> = by_manager
            .values()
            .flatten()
            .flat_map(|(_, a)| a.off_standard.iter().copied())
            .collect();
        let cases = cases(&listed)?;
        for (manager, list) in &mut by_manager {
            list.sort_by(|(ea, a), (eb, b)| b.share_cmp(a).then(ea.cmp(eb)));
            task_for_manager(ctx, *manager, list, &cases, &hierarchy, &rules, since).create()?;
        }
        Ok(RunSummary::new(
            examined,
            over.len() as u64,
            format!(
                "{} of {judged} employees with at least {} applications accepted more than {} \
                 off the standard in {} days; {} managers got a task",
                over.len(),
                rules.min_applications,
                percent(rules.max_share_bp),
                rules.lookback_days,
                by_manager.len()
            ),
        ))
    }
}

/// Each employee's acceptances in the window: one pass over the window's applications
/// (three columns, the window filtered on the host), then the `registered` events of those
/// applications that name an employee, read by id.
fn acceptances(
    since: Timestamp,
    now: Timestamp,
) -> Result<(u64, HashMap<u64, Acceptances>), PluginError> {
    let cursor = applications::query()
        .columns(&[
            applications::ID,
            applications::ASSIGNEE_ID,
            applications::OFF_STANDARD,
        ])
        .filter(applications::SUBMITTED_AT, ge(since))
        // A submission time after the run's time is broken data, not an acceptance.
        .filter(applications::SUBMITTED_AT, le(now))
        .open()?;
    let mut window: Vec<(u64, Option<u64>, bool)> = Vec::new();
    for batch in cursor {
        let batch = batch?;
        for row in applications::rows(&batch).iter() {
            window.push((row.id(), row.assignee_id(), row.off_standard()));
        }
    }
    let registrars = registrars(window.iter().map(|(id, _, _)| *id))?;

    let mut by_employee: HashMap<u64, Acceptances> = HashMap::new();
    let mut unattributed = Vec::new();
    for (application, assignee, off_standard) in &window {
        let Some(employee) = registrars.get(application).copied().or(*assignee) else {
            unattributed.push(*application);
            continue;
        };
        let acceptances = by_employee.entry(employee).or_default();
        acceptances.total += 1;
        if *off_standard {
            acceptances.off_standard.push(*application);
        }
    }
    if !unattributed.is_empty() {
        let some: Vec<String> = unattributed.iter().take(5).map(u64::to_string).collect();
        log::info(&format!(
            "{} applications of the window have neither an accepting employee nor an assignee \
             and count for nobody (e.g. {})",
            unattributed.len(),
            some.join(", ")
        ));
    }
    Ok((window.len() as u64, by_employee))
}

/// The employee who registered each application, where its `registered` event names one.
fn registrars(ids: impl Iterator<Item = u64>) -> Result<HashMap<u64, u64>, PluginError> {
    let ids: Vec<u64> = ids.collect();
    let mut registrars = HashMap::new();
    let query = application_events::query()
        .columns(&[
            application_events::APPLICATION_ID,
            application_events::EMPLOYEE_ID,
        ])
        .filter(application_events::STATUS, eq("registered"))
        .filter(application_events::EMPLOYEE_ID, present());
    data::for_ids(&query, application_events::APPLICATION_ID, &ids, |batch| {
        for row in application_events::rows(batch).iter() {
            if let Some(employee) = row.employee_id() {
                // Events come in application order; the first registration counts.
                registrars.entry(row.application_id()).or_insert(employee);
            }
        }
    })?;
    Ok(registrars)
}

/// The numbers and submission dates of the off-standard cases to list, read by id.
fn cases(ids: &BTreeSet<u64>) -> Result<HashMap<u64, Case>, PluginError> {
    let columns = [applications::NUMBER, applications::SUBMITTED_AT];
    let cases = applications::by_id(ids.iter().copied(), &columns, |row| Case {
        number: row.number().to_string(),
        submitted: row.submitted_at(),
    })?;
    Ok(cases)
}

/// The manager's task: the employees above the threshold, highest share first, their shares,
/// and their off-standard cases.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    employees: &[(u64, &Acceptances)],
    cases: &HashMap<u64, Case>,
    hierarchy: &Hierarchy,
    rules: &Rules,
    since: Timestamp,
) -> Task {
    let n = employees.len();
    let threshold = percent(rules.max_share_bp);
    let mut description = format!(
        "С {} по {} доля обращений, принятых с отклонением от стандарта (без полного комплекта \
         документов или проверок), превысила {threshold} у {n} {}. Такие обращения чаще \
         возвращаются на доработку и дольше рассматриваются. Учтены сотрудники, принявшие \
         не менее {} {}.\n\nДоля приёма не по стандарту:\n",
        format_date(since),
        format_date(ctx.now),
        noun(n as u64, "сотрудника", "сотрудников", "сотрудников"),
        rules.min_applications,
        noun(
            rules.min_applications,
            "обращения",
            "обращений",
            "обращений"
        ),
    );
    for (employee, a) in employees.iter().take(LISTED_EMPLOYEES) {
        description.push_str(&format!(
            "  • {} — {} из {} ({})\n",
            hierarchy.name(*employee),
            a.off(),
            a.total,
            a.share_text()
        ));
    }
    if n > LISTED_EMPLOYEES {
        description.push_str(&format!("  … и ещё {} сотр.\n", n - LISTED_EMPLOYEES));
    }

    description.push_str("\nОбращения, принятые не по стандарту:\n");
    let total_cases: usize = employees.iter().map(|(_, a)| a.off_standard.len()).sum();
    let mut listed = 0;
    for (employee, a) in employees {
        if listed == LISTED_CASES {
            break;
        }
        description.push_str(&format!("{}:\n", hierarchy.name(*employee)));
        for application in a.off_standard.iter().take(LISTED_CASES - listed) {
            listed += 1;
            match cases.get(application) {
                Some(case) => description.push_str(&format!(
                    "  • дело № {} от {}\n",
                    case.number,
                    format_date(case.submitted)
                )),
                None => description.push_str(&format!("  • обращение {application}\n")),
            }
        }
    }
    if listed < total_cases {
        description.push_str(&format!(
            "… и ещё {} {}: полный список — в записях задачи.\n",
            total_cases - listed,
            noun(
                (total_cases - listed) as u64,
                "обращение",
                "обращения",
                "обращений"
            )
        ));
    }

    let mut task = Task::new(
        format!("isu-off-standard-acceptance/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Приём не по стандарту выше {threshold}: {n} {}",
            noun(n as u64, "сотрудник", "сотрудника", "сотрудников")
        ),
    )
    .description(description)
    .records(
        Entity::Applications,
        employees
            .iter()
            .flat_map(|(_, a)| a.off_standard.iter().copied())
            .take(LINKED_RECORDS),
    )
    .step(
        "Разберите с каждым сотрудником из списка обращения, принятые не по стандарту: каких \
         документов или проверок не хватало и почему обращение принято без них",
    )
    .step(
        "Напомните сотрудникам стандарт приёма: перечень документов по каждой мере поддержки и \
         порядок их проверки",
    )
    .step(
        "По обращениям без полного комплекта документов запросите недостающие сведения через \
         СМЭВ или у заявителя до принятия решения",
    )
    .step(
        "Сотрудникам с наибольшей долей назначьте наставника и в течение месяца выборочно \
         проверяйте принятые ими обращения",
    )
    .step("Отметьте задачу выполненной после разбора с каждым сотрудником")
    .priority(if employees.iter().any(|(_, a)| a.at_least_double(rules)) {
        Priority::High
    } else {
        Priority::Normal
    })
    .due(ctx.now + 3 * DAY);
    if let [(employee, _)] = employees {
        task = task.subject(*employee);
    }
    task
}

/// A threshold in hundredths of a percent as a Russian text reads it: `5 %`, `7,5 %`.
fn percent(bp: u64) -> String {
    let (whole, hundredths) = (bp / 100, bp % 100);
    match hundredths {
        0 => format!("{whole} %"),
        h if h % 10 == 0 => format!("{whole},{} %", h / 10),
        h => format!("{whole},{h:02} %"),
    }
}

export_deviation_check!(OffStandardAcceptance);
