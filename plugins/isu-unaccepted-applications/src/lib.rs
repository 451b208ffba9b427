//! # ISU check: applications assigned but not taken into work
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`, block "social support measures"): the daily
//! information task tells each specialist how many applications are "распределено, но не взято в
//! работу" — assigned to them, not yet taken. While an application waits there nobody checks its
//! documents or sends its SMEV requests, yet its legal term keeps running.
//!
//! **The rule.** An application in status `assigned`, with an assignment time and no taking
//! time, assigned more than `max-wait-hours` ago (8 by default: a working day), is a deviation.
//! Hours are plain hours — nights, weekends and holidays included — as the seed's daily task
//! counts them, which is enough to catch an application left lying. Each responsible employee's
//! manager (or else the head of the employee's unit) gets one task a day with the employees, each
//! application and how long it has waited.
//!
//! **Reads** `applications` (`data.applications`) and the staff who answer for their assignees
//! (`data.staff`). **Emits** one task per manager (`tasks.create`), keyed by manager and day;
//! applications nobody can act on are logged, not dropped.
//!
//! It reads data as the reference plugin `isu-smev-answer-delay` does: one
//! pass over the assigned applications with the filters on the host, then the records the tasks
//! need by id.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zemstvo_sdk::data::{absent, eq};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::text::noun;
use zemstvo_sdk::time::{date_of, format_date};

/// Configuration keys.
const MAX_WAIT_HOURS: &str = "max-wait-hours";
const HIGH_AFTER_HOURS: &str = "high-after-hours";

/// Cases listed in a task's text; a manager with more sees the count here and every record
/// linked to the task. Keeps tasks readable and within the host's size limits.
const LISTED_CASES: usize = 50;

/// Applications linked to one task (the host accepts up to 10000 records).
const LINKED_RECORDS: usize = 5_000;

struct UnacceptedApplications;

/// An application assigned and left waiting too long.
struct Waiting {
    application: u64,
    /// Absent only in broken data: an assigned application always has an assignee.
    employee: Option<u64>,
    assigned_at: Timestamp,
    /// Seconds from the assignment to the run's time.
    waited: i64,
}

/// What the task needs to know about an application.
struct Case {
    number: String,
    deadline: Timestamp,
}

impl DeviationCheck for UnacceptedApplications {
    fn metadata() -> Metadata {
        Metadata::new("isu-unaccepted-applications", env!("CARGO_PKG_VERSION"))
            .title("Обращения, распределённые, но не взятые в работу")
            .description(
                "Finds applications assigned to an employee but not taken into work within the \
                 norm (hours since the assignment) and gives each responsible employee's \
                 manager one task with the employees, the cases, how long each waited and the \
                 corrective steps (ISU, Lipetsk).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    MAX_WAIT_HOURS,
                    "Hours an assigned application may wait to be taken into work \
                     (plain hours; holidays are not modelled)",
                )
                .default(8)
                .range(1, 720),
            )
            .config(
                ConfigParam::integer(
                    HIGH_AFTER_HOURS,
                    "Hours the longest wait must reach for the task to have high priority",
                )
                .default(24)
                .range(1, 2160),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let max_wait_hours = config::integer(MAX_WAIT_HOURS)?;
        let high_after = config::integer(HIGH_AFTER_HOURS)? * HOUR;

        let (examined, waiting) = waiting_applications(ctx.now, max_wait_hours * HOUR)?;
        if waiting.is_empty() {
            return Ok(RunSummary::new(
                examined,
                0,
                format!("no assigned application waited more than {max_wait_hours} hours"),
            ));
        }

        let cases = cases(waiting.iter().map(|w| w.application))?;
        let hierarchy = Hierarchy::read(waiting.iter().filter_map(|w| w.employee))?;

        // Group the waiting applications by the manager responsible for their assignee.
        let mut by_manager: BTreeMap<u64, Vec<&Waiting>> = BTreeMap::new();
        let mut unreported: BTreeMap<Option<u64>, Vec<u64>> = BTreeMap::new();
        for case in &waiting {
            match case.employee.and_then(|e| hierarchy.responsible_manager(e)) {
                Some(manager) => by_manager.entry(manager).or_default().push(case),
                None => unreported
                    .entry(case.employee)
                    .or_default()
                    .push(case.application),
            }
        }
        hierarchy.log_unreported("applications not taken into work", &unreported);

        for (manager, list) in &by_manager {
            let priority = if list.iter().any(|w| w.waited >= high_after) {
                Priority::High
            } else {
                Priority::Normal
            };
            task_for_manager(ctx, *manager, list, &cases, &hierarchy, max_wait_hours)
                .priority(priority)
                .create()?;
        }
        Ok(RunSummary::new(
            examined,
            waiting.len() as u64,
            format!(
                "{} of {examined} assigned applications waited more than {max_wait_hours} hours \
                 to be taken into work; {} managers got a task",
                waiting.len(),
                by_manager.len()
            ),
        ))
    }
}

/// One pass over the applications assigned and not taken, filtered on the host, reading three
/// columns. Those without an assignment time cannot be measured: they are logged, not guessed.
fn waiting_applications(now: Timestamp, max_wait: i64) -> Result<(u64, Vec<Waiting>), PluginError> {
    let cursor = applications::query()
        .columns(&[
            applications::ID,
            applications::ASSIGNEE_ID,
            applications::ASSIGNED_AT,
        ])
        .filter(applications::STATUS, eq("assigned"))
        // A taking time means the case is in work whatever its status says.
        .filter(applications::TAKEN_AT, absent())
        .open()?;
    let mut examined = 0;
    let mut waiting = Vec::new();
    let mut without_time = Vec::new();
    for batch in cursor {
        let batch = batch?;
        let rows = applications::rows(&batch);
        examined += rows.len() as u64;
        for row in rows.iter() {
            let Some(assigned_at) = row.assigned_at() else {
                without_time.push(row.id());
                continue;
            };
            let waited = now - assigned_at;
            // Exactly the norm is still in time.
            if waited > max_wait {
                waiting.push(Waiting {
                    application: row.id(),
                    employee: row.assignee_id(),
                    assigned_at,
                    waited,
                });
            }
        }
    }
    if !without_time.is_empty() {
        let some: Vec<String> = without_time.iter().take(5).map(u64::to_string).collect();
        log::warn(&format!(
            "{} assigned applications have no assignment time and cannot be checked (e.g. {})",
            without_time.len(),
            some.join(", ")
        ));
    }
    Ok((examined, waiting))
}

/// The numbers and deadlines of the waiting applications, read by id.
fn cases(ids: impl Iterator<Item = u64>) -> Result<HashMap<u64, Case>, PluginError> {
    let columns = [applications::NUMBER, applications::DEADLINE_AT];
    let cases = applications::by_id(ids, &columns, |row| Case {
        number: row.number().to_string(),
        deadline: row.deadline_at(),
    })?;
    Ok(cases)
}

/// The manager's task: the waiting applications grouped by employee, longest wait first.
/// The priority is set by the caller.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    waiting: &[&Waiting],
    cases: &HashMap<u64, Case>,
    hierarchy: &Hierarchy,
    max_wait_hours: i64,
) -> Task {
    let mut by_employee: BTreeMap<u64, Vec<&Waiting>> = BTreeMap::new();
    for w in waiting {
        // Grouping happened by manager, so every application here has an employee.
        if let Some(employee) = w.employee {
            by_employee.entry(employee).or_default().push(w);
        }
    }
    // Longest wait first, within each employee and across them; ids break ties.
    for list in by_employee.values_mut() {
        list.sort_by_key(|w| (std::cmp::Reverse(w.waited), w.application));
    }
    let mut employees: Vec<(&u64, &Vec<&Waiting>)> = by_employee.iter().collect();
    employees.sort_by_key(|(id, list)| (std::cmp::Reverse(list[0].waited), **id));

    let n = waiting.len();
    let mut description = format!(
        "Обращения распределены вашим сотрудникам, но не взяты в работу дольше {max_wait_hours} ч. \
         Пока обращение не взято в работу, по нему не проверяются документы и не направляются \
         межведомственные запросы, а срок рассмотрения идёт.\n"
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
            "\n{name}{inactive}: {} {}, дольше всех ждёт {} ч.\n",
            list.len(),
            noun(list.len() as u64, "обращение", "обращения", "обращений"),
            list[0].waited / HOUR
        ));
        for w in list.iter().take(LISTED_CASES - listed) {
            listed += 1;
            let (number, deadline) = cases.get(&w.application).map_or_else(
                || ("?".to_string(), "?".to_string()),
                |c| (c.number.clone(), format_date(c.deadline)),
            );
            description.push_str(&format!(
                "  • дело № {number}, распределено {}, ждёт {} ч., срок рассмотрения до {deadline}\n",
                format_date(w.assigned_at),
                w.waited / HOUR
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

    let mut task = Task::new(
        format!("isu-unaccepted-applications/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Не взяты в работу дольше {max_wait_hours} ч.: {n} {}",
            noun(n as u64, "обращение", "обращения", "обращений")
        ),
    )
    .description(description)
    .records(
        Entity::Applications,
        waiting
            .iter()
            .map(|w| w.application)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(LINKED_RECORDS),
    )
    .step(
        "Выясните у сотрудников из списка, почему обращения не взяты в работу: отсутствие, \
         перегрузка, ошибка распределения",
    )
    .step(
        "Попросите сотрудников взять обращения в работу сегодня; обращения отсутствующих и \
         неработающих сотрудников переназначьте",
    )
    .step("Проверьте, что новые обращения распределяются равномерно с учётом загрузки сотрудников")
    .step("Отметьте задачу выполненной, когда все обращения из списка будут взяты в работу")
    .due(ctx.now + DAY);
    if let [(employee, _)] = employees.as_slice() {
        task = task.subject(**employee);
    }
    task
}

export_deviation_check!(UnacceptedApplications);
