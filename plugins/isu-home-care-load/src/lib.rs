//! # ISU check: home-care social workers below their normative load
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`, block «Обслуживание граждан на дому»). The
//! block's first goal was to raise the share of employees who meet their normative load, and the
//! seed reports it rising from 64 % to 75 % once ISU was rolled out.
//!
//! **The rule.** A social worker whose completed visits over the last `period-days` (30 by
//! default) fall short of their normative load is a deviation; the manager of everyone below it
//! gets one task with the visits done against the norm and the steps to take. What counts, and
//! why:
//! - **who**: active employees with the role `social-worker` and a normative load above zero
//!   (a load of zero means no norm was set, so there is nothing to fall short of);
//! - **a completed visit**: one with both an actual start and an actual end, started within
//!   the period. A visit without them did not happen as far as the records know — which is
//!   itself worth a look: the seed credits ISU with revealing problems in the accounting
//!   systems (АСП, «Кондуит»), so visits planned but never started, and visits started but
//!   never closed, are shown beside the count;
//! - **the norm**: `normative_load` is visits a month; the period's norm is the load scaled
//!   to the period (a month counted as 30 days) times `norm-percent` (100 % by default).
//!   An employee exactly at the norm meets it. The comparison is done in whole numbers, so no
//!   rounding ever puts someone on the wrong side of it.
//!
//! **Reads** `employees` and `visits` (`data.staff`, `data.visits`). **Emits** one task per
//! manager (`tasks.create`), keyed by manager and day; the run's summary line reports the block's
//! own metric, the share of social workers who met their norm.

use std::collections::{BTreeMap, HashMap};

use zemstvo_sdk::data::{absent, eq, ge, le, present};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::tasks::fit_description;
use zemstvo_sdk::text::{count, decimal, percent};
use zemstvo_sdk::time::{date_of, format_date};

/// Configuration keys.
const PERIOD_DAYS: &str = "period-days";
const NORM_PERCENT: &str = "norm-percent";

/// `normative_load` is visits a month; a month is counted as this many days when the norm is
/// scaled to the period.
const DAYS_PER_MONTH: u64 = 30;

/// Employees listed in a task's text; every one is linked to the task as a record.
const LISTED_EMPLOYEES: usize = 50;

/// Records of each kind linked to one task (the host accepts up to 10000 in all).
const LINKED_RECORDS: usize = 4_000;

struct HomeCareLoad;

/// The settings of one run, read once.
struct Settings {
    now: Timestamp,
    since: Timestamp,
    period_days: u64,
    norm_percent: u64,
}

impl Settings {
    /// Whether `done` visits meet a monthly load of `load` over the period: in whole numbers,
    /// `done / (load × period / 30 × percent / 100) ≥ 1`.
    fn meets(&self, done: u64, load: u64) -> bool {
        done * DAYS_PER_MONTH * 100 >= load * self.period_days * self.norm_percent
    }

    /// The period's norm in visits, for the task's text (may be fractional).
    fn required(&self, load: u64) -> f64 {
        (load * self.period_days * self.norm_percent) as f64 / (DAYS_PER_MONTH * 100) as f64
    }
}

/// An active social worker and their visits over the period.
struct Worker {
    /// Visits a month.
    load: u64,
    /// Visits with an actual start in the period and an actual end.
    completed: u64,
    /// Visits planned in the period (and due to have ended) that never started.
    not_started: Vec<u64>,
    /// Visits planned in the period that started but were never closed.
    not_closed: Vec<u64>,
    /// Visits whose recorded end is before their start: not counted, shown as a data error.
    inconsistent: Vec<u64>,
}

impl Worker {
    /// Share of the period's norm done, in percent.
    fn fulfilment(&self, settings: &Settings) -> f64 {
        let required = settings.required(self.load);
        if required <= 0.0 {
            return 100.0;
        }
        self.completed as f64 * 100.0 / required
    }
}

impl DeviationCheck for HomeCareLoad {
    fn metadata() -> Metadata {
        Metadata::new("isu-home-care-load", env!("CARGO_PKG_VERSION"))
            .title("Сотрудники социального обслуживания на дому ниже нормативной нагрузки")
            .description(
                "Counts each active social worker's completed visits (actual start and end \
                 recorded) over the period against their normative load scaled to the period; \
                 those below it become one task per manager with the visits done against the \
                 norm, visits missed or left open, and the steps to take (ISU, Lipetsk: \
                 64 % → 75 % meeting the norm).",
            )
            .capability(capability::DATA_VISITS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(PERIOD_DAYS, "How many recent days of visits are counted")
                    .default(30)
                    .range(1, 366),
            )
            .config(
                ConfigParam::integer(
                    NORM_PERCENT,
                    "Share of the normative load, in percent, an employee must reach",
                )
                .default(100)
                .range(1, 100),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let period_days = config::integer(PERIOD_DAYS)?.max(1) as u64;
        let settings = Settings {
            now: ctx.now,
            since: ctx.now - period_days as i64 * DAY,
            period_days,
            norm_percent: config::integer(NORM_PERCENT)?.max(1) as u64,
        };

        let mut workers = social_workers()?;
        if workers.is_empty() {
            return Ok(RunSummary::new(
                0,
                0,
                "no active social worker has a normative load",
            ));
        }
        count_completed_visits(&settings, &mut workers)?;
        collect_unfinished_visits(&settings, &mut workers)?;

        let inconsistent: usize = workers.values().map(|w| w.inconsistent.len()).sum();
        if inconsistent > 0 {
            log::warn(&format!(
                "{inconsistent} visits end before they start; they are not counted as completed"
            ));
        }

        let examined = workers.len() as u64;
        let below: BTreeMap<u64, Worker> = workers
            .into_iter()
            .filter(|(_, w)| !settings.meets(w.completed, w.load))
            .collect();
        let meeting = examined - below.len() as u64;
        let metric = format!(
            "{} of social workers met their normative load ({meeting} of {examined})",
            percent(meeting as f64 * 100.0 / examined as f64)
        );
        if below.is_empty() {
            return Ok(RunSummary::new(examined, 0, metric));
        }

        let hierarchy = Hierarchy::read(below.keys().copied())?;
        let mut by_manager: BTreeMap<u64, Vec<(u64, &Worker)>> = BTreeMap::new();
        let mut unreported = 0;
        for (&employee, worker) in &below {
            match hierarchy.responsible_manager(employee) {
                Some(manager) => by_manager
                    .entry(manager)
                    .or_default()
                    .push((employee, worker)),
                None => {
                    log::warn(&format!(
                        "{}; their load ({} of {} visits) is not reported",
                        hierarchy.why_nobody(employee),
                        worker.completed,
                        decimal(settings.required(worker.load))
                    ));
                    unreported += 1;
                }
            }
        }
        for (manager, workers) in &mut by_manager {
            // The furthest below the norm first.
            workers.sort_by(|a, b| {
                a.1.fulfilment(&settings)
                    .total_cmp(&b.1.fulfilment(&settings))
                    .then(a.0.cmp(&b.0))
            });
            task_for_manager(ctx, *manager, workers, &hierarchy, &settings).create()?;
        }
        Ok(RunSummary::new(
            examined,
            below.len() as u64,
            format!(
                "{metric}; {} below it; {} managers got a task; {unreported} not reported",
                below.len(),
                by_manager.len()
            ),
        ))
    }
}

/// The active social workers with a norm. A handful of rows per unit, so one read of the
/// role on the host is enough. Names and managers are read later, for those below the norm
/// only (`zemstvo_sdk::staff`).
fn social_workers() -> Result<HashMap<u64, Worker>, PluginError> {
    let cursor = employees::query()
        .columns(&[employees::ID, employees::NORMATIVE_LOAD])
        .filter(employees::ROLE, eq("social-worker"))
        .filter(employees::ACTIVE, eq(true))
        .open()?;
    let mut workers = HashMap::new();
    let mut without_norm = 0;
    for batch in cursor {
        let batch = batch?;
        for row in employees::rows(&batch).iter() {
            if row.normative_load() == 0 {
                without_norm += 1;
                continue;
            }
            workers.insert(
                row.id(),
                Worker {
                    load: row.normative_load().into(),
                    completed: 0,
                    not_started: Vec::new(),
                    not_closed: Vec::new(),
                    inconsistent: Vec::new(),
                },
            );
        }
    }
    if without_norm > 0 {
        log::info(&format!(
            "{without_norm} active social workers have no normative load set; they are not judged"
        ));
    }
    Ok(workers)
}

/// One pass over the visits started in the period with an end recorded.
fn count_completed_visits(
    settings: &Settings,
    workers: &mut HashMap<u64, Worker>,
) -> Result<(), PluginError> {
    let cursor = visits::query()
        .columns(&[
            visits::ID,
            visits::EMPLOYEE_ID,
            visits::ACTUAL_START,
            visits::ACTUAL_END,
        ])
        .filter(visits::ACTUAL_START, ge(settings.since))
        .filter(visits::ACTUAL_START, le(settings.now))
        .filter(visits::ACTUAL_END, present())
        .open()?;
    for batch in cursor {
        let batch = batch?;
        for row in visits::rows(&batch).iter() {
            // Visits by anyone else (a manager standing in, a former employee) are not part
            // of a social worker's load.
            let Some(worker) = workers.get_mut(&row.employee_id()) else {
                continue;
            };
            match (row.actual_start(), row.actual_end()) {
                (Some(start), Some(end)) if end >= start => worker.completed += 1,
                _ => worker.inconsistent.push(row.id()),
            }
        }
    }
    Ok(())
}

/// One pass over the visits planned in the period, due to have ended, with no end recorded:
/// never started, or started and never closed.
fn collect_unfinished_visits(
    settings: &Settings,
    workers: &mut HashMap<u64, Worker>,
) -> Result<(), PluginError> {
    let cursor = visits::query()
        .columns(&[visits::ID, visits::EMPLOYEE_ID, visits::ACTUAL_START])
        .filter(visits::PLANNED_START, ge(settings.since))
        .filter(visits::PLANNED_END, le(settings.now))
        .filter(visits::ACTUAL_END, absent())
        .open()?;
    for batch in cursor {
        let batch = batch?;
        for row in visits::rows(&batch).iter() {
            let Some(worker) = workers.get_mut(&row.employee_id()) else {
                continue;
            };
            match row.actual_start() {
                None => worker.not_started.push(row.id()),
                Some(_) => worker.not_closed.push(row.id()),
            }
        }
    }
    Ok(())
}

/// The manager's task: each social worker below the norm, visits done against it, visits
/// missed or left open, and the steps to take.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    workers: &[(u64, &Worker)],
    hierarchy: &Hierarchy,
    settings: &Settings,
) -> Task {
    let norm = if settings.norm_percent == 100 {
        "нормативной нагрузки".to_string()
    } else {
        format!(
            "{} нормативной нагрузки",
            percent(settings.norm_percent as f64)
        )
    };
    let mut description = format!(
        "Сотрудники из списка ниже выполнили меньше {norm} по посещениям получателей социальных услуг \
         за {} (с {} по {}). Засчитываются визиты с отмеченными фактическими началом и \
         окончанием; норматив в месяц пересчитан на период.\n",
        count(settings.period_days, "день", "дня", "дней"),
        format_date(settings.since),
        format_date(settings.now),
    );
    for (employee, worker) in workers.iter().take(LISTED_EMPLOYEES) {
        description.push_str(&format!(
            "\n• {}: выполнено {} из {} по нормативу ({}, норматив {} в месяц)",
            hierarchy.name(*employee),
            count(worker.completed, "визит", "визита", "визитов"),
            decimal(settings.required(worker.load)),
            percent(worker.fulfilment(settings)),
            worker.load,
        ));
        if !worker.not_started.is_empty() {
            description.push_str(&format!(
                "; не состоялось запланированных: {}",
                worker.not_started.len()
            ));
        }
        if !worker.not_closed.is_empty() {
            description.push_str(&format!(
                "; начато, но не закрыто в системе: {}",
                worker.not_closed.len()
            ));
        }
        if !worker.inconsistent.is_empty() {
            description.push_str(&format!(
                "; окончание раньше начала: {}",
                worker.inconsistent.len()
            ));
        }
        description.push('\n');
    }
    if workers.len() > LISTED_EMPLOYEES {
        description.push_str(&format!(
            "\n… и ещё {}: полный список — в записях задачи.\n",
            count(
                (workers.len() - LISTED_EMPLOYEES) as u64,
                "сотрудник",
                "сотрудника",
                "сотрудников"
            )
        ));
    }

    // Far below (less than half the norm) is a staffing problem, not a slow week.
    let far_below = workers
        .iter()
        .any(|(_, w)| !settings.meets(2 * w.completed, w.load));
    let unfinished = workers
        .iter()
        .flat_map(|(_, w)| {
            w.not_started
                .iter()
                .chain(&w.not_closed)
                .chain(&w.inconsistent)
        })
        .copied();
    let mut task = Task::new(
        format!("isu-home-care-load/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Нормативная нагрузка не выполнена: {}",
            count(workers.len() as u64, "сотрудник", "сотрудника", "сотрудников")
        ),
    )
    .description(fit_description(description))
    .records(
        Entity::Employees,
        workers.iter().map(|(id, _)| *id).take(LINKED_RECORDS),
    )
    .records(Entity::Visits, unfinished.take(LINKED_RECORDS))
    .step(
        "Сверьте визиты с учётной системой (АСП, «Кондуит»): визит засчитывается, только если \
         отмечены фактические начало и окончание; незакрытые визиты закройте",
    )
    .step("Проверьте график посещений: запланированных визитов должно хватать для выполнения норматива")
    .step("Перераспределите получателей социальных услуг между сотрудниками отдела, чтобы выровнять нагрузку")
    .step("Разберите с сотрудниками причины несостоявшихся визитов и отметьте задачу выполненной")
    .priority(if far_below {
        Priority::High
    } else {
        Priority::Normal
    })
    .due(ctx.now + 7 * DAY);
    // A task about one employee names them as its subject, so their own cabinet shows it.
    if let [(only, _)] = workers {
        task = task.subject(*only);
    }
    task
}

export_deviation_check!(HomeCareLoad);
