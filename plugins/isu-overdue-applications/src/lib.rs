//! # ISU check: applications in work past their deadline
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`, block "social support measures"): every
//! application has a term set by the measure's regulation, and the first list of the ISU's daily
//! information task is "applications in work". An application still in someone's work after its
//! deadline means a citizen is waiting longer than the law allows, and is the commonest ground
//! for a complaint.
//!
//! **The rule.** An application in work (`in-work`; by default also `assigned` and `returned`,
//! both configurable) whose `deadline_at` has passed — optionally by more than `grace-hours` —
//! is a deviation. The manager of each responsible employee (or else the head of the employee's
//! unit) gets one task a day listing the cases, worst first, with the steps to take; the longer
//! the worst case is overdue, the higher the task's priority.
//!
//! **Reads** `applications` (`data.applications`) and the staff who answer for their assignees
//! (`data.staff`). **Emits** one task per manager (`tasks.create`), keyed by manager and day;
//! cases nobody can act on are logged, not dropped.
//!
//! It reads data as the reference plugin `isu-smev-answer-delay` does: one
//! pass per watched status with the filters on the host, then the numbers of only the overdue
//! applications by id.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zemstvo_sdk::data::eq;
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::text::noun;
use zemstvo_sdk::time::{date_of, format_date};

/// Configuration keys.
const GRACE_HOURS: &str = "grace-hours";
const INCLUDE_ASSIGNED: &str = "include-assigned";
const INCLUDE_RETURNED: &str = "include-returned";
const HIGH_AFTER_DAYS: &str = "high-after-days";
const URGENT_AFTER_DAYS: &str = "urgent-after-days";

/// Cases listed in a task's text; a manager with more sees the count here and every record
/// linked to the task. Keeps tasks readable and within the host's size limits.
const LISTED_CASES: usize = 50;

/// Applications linked to one task (the host accepts up to 10000 records).
const LINKED_RECORDS: usize = 5_000;

struct OverdueApplications;

/// Where an application stands in an employee's work. Only these stages can be overdue "in
/// work": a `registered` application has nobody to answer for it yet, a `decided` one is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    InWork,
    Assigned,
    Returned,
}

impl Stage {
    /// The status as the host's data names it.
    fn status(self) -> &'static str {
        match self {
            Stage::InWork => "in-work",
            Stage::Assigned => "assigned",
            Stage::Returned => "returned",
        }
    }

    /// The status as the manager reads it.
    fn label(self) -> &'static str {
        match self {
            Stage::InWork => "в работе",
            Stage::Assigned => "распределено, не взято в работу",
            Stage::Returned => "возвращено на доработку",
        }
    }
}

/// The run's rules, read from the configuration once.
struct Rules {
    /// Seconds past the deadline that are still tolerated.
    grace: i64,
    stages: Vec<Stage>,
    /// Days overdue (of the worst case) from which the task is `high` and `urgent`.
    high_after_days: i64,
    urgent_after_days: i64,
}

impl Rules {
    /// The host has checked each key's range; what it cannot check is how two keys relate.
    fn from_config() -> Result<Self, PluginError> {
        let high_after_days = config::integer(HIGH_AFTER_DAYS)?;
        let urgent_after_days = config::integer(URGENT_AFTER_DAYS)?;
        if urgent_after_days <= high_after_days {
            return Err(PluginError::invalid_config(format!(
                "`{URGENT_AFTER_DAYS}` ({urgent_after_days}) must be greater than \
                 `{HIGH_AFTER_DAYS}` ({high_after_days}): an urgent task is one overdue longer \
                 than a high-priority one"
            )));
        }
        let mut stages = vec![Stage::InWork];
        if config::flag(INCLUDE_ASSIGNED)? {
            stages.push(Stage::Assigned);
        }
        if config::flag(INCLUDE_RETURNED)? {
            stages.push(Stage::Returned);
        }
        Ok(Rules {
            grace: config::integer(GRACE_HOURS)? * HOUR,
            stages,
            high_after_days,
            urgent_after_days,
        })
    }

    /// The priority of a task whose worst case is `worst` seconds past its deadline.
    fn priority(&self, worst: i64) -> Priority {
        if worst >= self.urgent_after_days * DAY {
            Priority::Urgent
        } else if worst >= self.high_after_days * DAY {
            Priority::High
        } else {
            Priority::Normal
        }
    }
}

/// An application past its deadline.
struct Overdue {
    application: u64,
    /// Absent only in broken data: an application in work always has an assignee.
    employee: Option<u64>,
    stage: Stage,
    deadline: Timestamp,
    /// Seconds past the deadline at the run's time.
    overdue: i64,
}

impl DeviationCheck for OverdueApplications {
    fn metadata() -> Metadata {
        Metadata::new("isu-overdue-applications", env!("CARGO_PKG_VERSION"))
            .title("Обращения в работе с истёкшим сроком рассмотрения")
            .description(
                "Finds applications in work (and, configurably, assigned or returned for \
                 revision) past their deadline and gives each responsible employee's manager \
                 one task with the cases, worst first, and the corrective steps (ISU, Lipetsk).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    GRACE_HOURS,
                    "Hours past the deadline still tolerated before an application is reported",
                )
                .default(0)
                .range(0, 720),
            )
            .config(
                ConfigParam::flag(
                    INCLUDE_ASSIGNED,
                    "Also report applications assigned but not yet taken into work",
                )
                .default(true),
            )
            .config(
                ConfigParam::flag(
                    INCLUDE_RETURNED,
                    "Also report applications returned for revision",
                )
                .default(true),
            )
            .config(
                ConfigParam::integer(
                    HIGH_AFTER_DAYS,
                    "Days the worst case is overdue from which the task has high priority",
                )
                .default(3)
                .range(1, 90),
            )
            .config(
                ConfigParam::integer(
                    URGENT_AFTER_DAYS,
                    "Days the worst case is overdue from which the task is urgent \
                     (greater than high-after-days)",
                )
                .default(10)
                .range(2, 365),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let rules = Rules::from_config()?;
        let (examined, overdue) = overdue_applications(ctx.now, &rules)?;
        if overdue.is_empty() {
            return Ok(RunSummary::new(
                examined,
                0,
                "no application in work is past its deadline",
            ));
        }

        let numbers = application_numbers(overdue.iter().map(|o| o.application))?;
        let hierarchy = Hierarchy::read(overdue.iter().filter_map(|o| o.employee))?;

        // Group the overdue applications by the manager responsible for their assignee.
        let mut by_manager: BTreeMap<u64, Vec<&Overdue>> = BTreeMap::new();
        let mut unreported: BTreeMap<Option<u64>, Vec<u64>> = BTreeMap::new();
        for case in &overdue {
            match case.employee.and_then(|e| hierarchy.responsible_manager(e)) {
                Some(manager) => by_manager.entry(manager).or_default().push(case),
                None => unreported
                    .entry(case.employee)
                    .or_default()
                    .push(case.application),
            }
        }
        hierarchy.log_unreported("overdue applications", &unreported);

        for (manager, cases) in &by_manager {
            task_for_manager(ctx, *manager, cases, &numbers, &hierarchy, &rules).create()?;
        }
        Ok(RunSummary::new(
            examined,
            overdue.len() as u64,
            format!(
                "{} of {examined} applications in work are past their deadline; {} managers got a task",
                overdue.len(),
                by_manager.len()
            ),
        ))
    }
}

/// One pass per watched status over the applications, reading three columns. The status is
/// a host filter, so no status text crosses the boundary; the deadline is compared here, so
/// that the run can report how many applications in work it examined.
fn overdue_applications(now: Timestamp, rules: &Rules) -> Result<(u64, Vec<Overdue>), PluginError> {
    let mut examined = 0;
    let mut overdue = Vec::new();
    for &stage in &rules.stages {
        let cursor = applications::query()
            .columns(&[
                applications::ID,
                applications::ASSIGNEE_ID,
                applications::DEADLINE_AT,
            ])
            .filter(applications::STATUS, eq(stage.status()))
            .open()?;
        for batch in cursor {
            let batch = batch?;
            let rows = applications::rows(&batch);
            examined += rows.len() as u64;
            for row in rows.iter() {
                let past = now - row.deadline_at();
                // Exactly at the deadline (or within the grace) is still in time.
                if past > rules.grace {
                    overdue.push(Overdue {
                        application: row.id(),
                        employee: row.assignee_id(),
                        stage,
                        deadline: row.deadline_at(),
                        overdue: past,
                    });
                }
            }
        }
    }
    Ok((examined, overdue))
}

/// The registration numbers of the overdue applications, read by id.
fn application_numbers(
    ids: impl Iterator<Item = u64>,
) -> Result<HashMap<u64, String>, PluginError> {
    let numbers =
        applications::by_id(ids, &[applications::NUMBER], |row| row.number().to_string())?;
    Ok(numbers)
}

/// The manager's task: the overdue cases grouped by employee, worst first, and what to do.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    cases: &[&Overdue],
    numbers: &HashMap<u64, String>,
    hierarchy: &Hierarchy,
    rules: &Rules,
) -> Task {
    let mut by_employee: BTreeMap<u64, Vec<&Overdue>> = BTreeMap::new();
    for case in cases {
        // Grouping happened by manager, so every case here has an employee.
        if let Some(employee) = case.employee {
            by_employee.entry(employee).or_default().push(case);
        }
    }
    // Worst first, within each employee and across them; ids break ties so reruns read alike.
    for list in by_employee.values_mut() {
        list.sort_by_key(|c| (std::cmp::Reverse(c.overdue), c.application));
    }
    let mut employees: Vec<(&u64, &Vec<&Overdue>)> = by_employee.iter().collect();
    employees.sort_by_key(|(id, list)| (std::cmp::Reverse(list[0].overdue), **id));

    let n = cases.len();
    let mut description = format!(
        "Срок рассмотрения истёк у {n} {} ваших сотрудников{}. Заявители ждут решения дольше, \
         чем положено по регламенту, и каждое такое обращение — основание для жалобы.\n",
        noun(n as u64, "обращения", "обращений", "обращений"),
        if rules.grace > 0 {
            format!(" (с учётом допуска {} ч. после срока)", rules.grace / HOUR)
        } else {
            String::new()
        }
    );
    let mut listed = 0;
    for (employee, list) in &employees {
        if listed == LISTED_CASES {
            break;
        }
        // Every employee here has a responsible manager, so is in the staff records.
        let name = hierarchy.name(**employee);
        let inactive = if hierarchy.employee(**employee).is_some_and(|e| !e.active) {
            " (не работает)"
        } else {
            ""
        };
        description.push_str(&format!(
            "\n{name}{inactive}: {} {}, наибольшая просрочка — {}\n",
            list.len(),
            noun(list.len() as u64, "обращение", "обращения", "обращений"),
            overdue_text(list[0].overdue)
        ));
        for case in list.iter().take(LISTED_CASES - listed) {
            listed += 1;
            let number = numbers.get(&case.application).map_or("?", String::as_str);
            description.push_str(&format!(
                "  • дело № {number}, {}, срок {}, просрочено на {}\n",
                case.stage.label(),
                format_date(case.deadline),
                overdue_text(case.overdue)
            ));
        }
    }
    if listed < n {
        description.push_str(&format!(
            "\n… и ещё {} {}: полный список — в записях задачи.\n",
            n - listed,
            noun((n - listed) as u64, "обращение", "обращения", "обращений")
        ));
    }

    let worst = cases.iter().map(|c| c.overdue).max().unwrap_or(0);
    let mut task = Task::new(
        format!("isu-overdue-applications/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Истёк срок рассмотрения: {n} {}",
            noun(n as u64, "обращение", "обращения", "обращений")
        ),
    )
    .description(description)
    .records(
        Entity::Applications,
        cases
            .iter()
            .map(|c| c.application)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(LINKED_RECORDS),
    )
    .step(
        "Разберите каждое обращение из списка: что мешает решению — ожидание ответа СМЭВ, \
         неполный комплект документов, отсутствие или перегрузка сотрудника",
    )
    .step("Обращения отсутствующих и перегруженных сотрудников переназначьте на свободных специалистов");
    if cases.iter().any(|c| c.stage == Stage::Assigned) {
        task =
            task.step("Распределённые, но не взятые в работу обращения передайте в работу сегодня");
    }
    if cases.iter().any(|c| c.stage == Stage::Returned) {
        task = task
            .step("Замечания по обращениям, возвращённым на доработку, устраните в первую очередь");
    }
    if let [(employee, _)] = employees.as_slice() {
        task = task.subject(**employee);
    }
    task.step("Свяжитесь с заявителями: объясните причину задержки и сообщите, когда будет принято решение")
        .step(
            "Если закон допускает продление срока (например, на время межведомственного \
             запроса), оформите продление и уведомите заявителя; иначе примите решение без промедления",
        )
        .step("Примите решения по обращениям и отметьте задачу выполненной")
        .priority(rules.priority(worst))
        .due(ctx.now + DAY)
}

/// How long past the deadline, as the manager reads it: hours (rounded up, so nothing
/// overdue reads "0 ч.") under a day, days with one decimal and a decimal comma from a day.
fn overdue_text(seconds: i64) -> String {
    if seconds < DAY {
        format!("{} ч.", (seconds + HOUR - 1) / HOUR)
    } else {
        let days = format!("{:.1}", seconds as f64 / DAY as f64).replace('.', ",");
        format!("{days} дн.")
    }
}

export_deviation_check!(OverdueApplications);
