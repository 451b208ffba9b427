//! # ISU daily information task: the morning briefing of each employee
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`). The seed shows one such task, #21712,
//! «Ежедневная информационная задача — инструмент стандартизации процесса и повышения качества
//! обслуживания»: on the morning of a work day it told a specialist that 70 applications were in
//! her work, 23 were assigned to her but not taken into work, and SMEV answers that had waited
//! more than 4 days arrived during the previous work day for 11 of her applications — with the
//! lists below. The seed counts "planning the employee's day with the daily ISU tasks" among the
//! block's benefits.
//!
//! **The rule.** Unlike the other ISU checks this one is not addressed to a manager: each active
//! specialist and social worker gets their own task (assignee and subject are the employee), low
//! priority, due by the end of that day. What it counts, and why:
//! - **in work**: the employee's applications with status `in-work` or `returned` (a case
//!   returned for revision is back on their desk), soonest deadline first;
//! - **assigned, not taken**: status `assigned` — distributed to them, not yet opened;
//! - **late SMEV answers**: answers (status `answered`) to requests of the employee's
//!   applications that arrived since the start of the previous work day and had waited more
//!   than `max-wait-days` (4). On a Monday that covers Friday and the weekend. Rejections are
//!   another matter and not listed here.
//!
//! Work days are the region's own (see [`calendar`]): Saturdays, Sundays and listed holidays
//! are skipped unless `every-day` is on. An employee with nothing to report gets no task,
//! unless `send-empty` is on. Lists are bounded; every case is linked to the task as a record.
//!
//! **Reads** `employees` (`data.staff`), `applications` (`data.applications`) and
//! `smev_requests` (`data.smev`). **Emits** one task per employee (`tasks.create`), keyed
//! `isu-daily-briefing/<employee>/<date>`, so a second run that morning changes nothing.

mod calendar;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use zemstvo_sdk::data::{self, any_of, eq, ge, le, present};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::tasks::fit_description;
use zemstvo_sdk::text::count;
use zemstvo_sdk::time::Date;

use calendar::{Calendar, parse_dates, russian_date, weekday_name};
use text::{agency, applications_dative, wait};

/// Configuration keys.
const MAX_WAIT_DAYS: &str = "max-wait-days";
const EVERY_DAY: &str = "every-day";
const SEND_EMPTY: &str = "send-empty";
const HOLIDAYS: &str = "holidays";
const EXTRA_WORK_DAYS: &str = "extra-work-days";

/// Cases listed in each of the task's three lists; the rest are counted and linked.
const LISTED_CASES: usize = 30;

/// Records of each kind linked to one task (the host accepts up to 10000 in all).
const LINKED_RECORDS: usize = 4_000;

struct DailyBriefing;

/// An application in the employee's work.
struct InWork {
    application: u64,
    number: String,
    measure: String,
    deadline: Timestamp,
    returned: bool,
}

/// An application assigned to the employee and not yet taken into work.
struct NotTaken {
    application: u64,
    number: String,
    measure: String,
    assigned_at: Option<Timestamp>,
    deadline: Timestamp,
}

/// An SMEV answer that arrived late for one of the employee's applications.
struct LateAnswer {
    request: u64,
    application: u64,
    number: String,
    agency: String,
    sent_at: Timestamp,
    answered_at: Timestamp,
}

/// Everything one employee is told this morning.
#[derive(Default)]
struct Briefing {
    in_work: Vec<InWork>,
    not_taken: Vec<NotTaken>,
    late: Vec<LateAnswer>,
}

impl Briefing {
    fn is_empty(&self) -> bool {
        self.in_work.is_empty() && self.not_taken.is_empty() && self.late.is_empty()
    }

    /// Applications with a late answer (one application may have several).
    fn late_applications(&self) -> usize {
        self.late
            .iter()
            .map(|a| a.application)
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// The morning the briefing is for.
struct Morning<'c> {
    now: Timestamp,
    calendar: &'c Calendar,
    today: Date,
    previous_work_day: Date,
    max_wait_days: i64,
}

impl DeviationCheck for DailyBriefing {
    fn metadata() -> Metadata {
        Metadata::new("isu-daily-briefing", env!("CARGO_PKG_VERSION"))
            .title("Ежедневная информационная задача сотрудника")
            .description(
                "On the morning of a work day each active specialist and social worker gets a \
                 task of their own: how many applications are in their work, how many are \
                 assigned but not taken, and which SMEV answers to their cases arrived late \
                 since the previous work day, with the lists (ISU, Lipetsk, task #21712).",
            )
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_SMEV)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    MAX_WAIT_DAYS,
                    "Days an SMEV answer may take before it is reported as late",
                )
                .default(4)
                .range(1, 60),
            )
            .config(
                ConfigParam::flag(
                    EVERY_DAY,
                    "Brief every day, weekends and holidays included",
                )
                .default(false),
            )
            .config(
                ConfigParam::flag(
                    SEND_EMPTY,
                    "Also send a task to employees with nothing to report",
                )
                .default(false),
            )
            .config(
                ConfigParam::text(
                    HOLIDAYS,
                    "Public holidays on weekdays, YYYY-MM-DD separated by commas",
                )
                .default(""),
            )
            .config(
                ConfigParam::text(
                    EXTRA_WORK_DAYS,
                    "Saturdays or Sundays that are work days by the production calendar, YYYY-MM-DD separated by commas",
                )
                .default(""),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let calendar = Calendar::new(
            i64::from(ctx.utc_offset_seconds),
            config::flag(EVERY_DAY)?,
            parse_dates(HOLIDAYS, &config::text(HOLIDAYS)?)?,
            parse_dates(EXTRA_WORK_DAYS, &config::text(EXTRA_WORK_DAYS)?)?,
        );
        let send_empty = config::flag(SEND_EMPTY)?;
        let today = calendar.local_date(ctx.now);
        if !calendar.is_work_day(today) {
            let why = format!(
                "{} ({}) is not a work day: no briefing",
                russian_date(today),
                weekday_name(today)
            );
            log::info(&why);
            return Ok(RunSummary::new(0, 0, why));
        }
        let morning = Morning {
            now: ctx.now,
            calendar: &calendar,
            today,
            previous_work_day: calendar.previous_work_day(today),
            max_wait_days: config::integer(MAX_WAIT_DAYS)?,
        };

        let staff = briefed_staff()?;
        if staff.is_empty() {
            return Ok(RunSummary::new(
                0,
                0,
                "no active specialist or social worker to brief",
            ));
        }
        let mut briefings: BTreeMap<u64, Briefing> =
            staff.iter().map(|&id| (id, Briefing::default())).collect();
        let elsewhere = open_cases(&mut briefings)?;
        if elsewhere > 0 {
            log::info(&format!(
                "{elsewhere} open applications are assigned to managers or inactive employees; they are in no briefing"
            ));
        }
        late_answers(&morning, &mut briefings)?;

        let mut with_news = 0;
        let mut tasks = 0;
        for (&employee, briefing) in &mut briefings {
            if briefing.is_empty() && !send_empty {
                continue;
            }
            if !briefing.is_empty() {
                with_news += 1;
            }
            sort(briefing);
            task_for(employee, briefing, &morning).create()?;
            tasks += 1;
        }
        Ok(RunSummary::new(
            staff.len() as u64,
            with_news,
            format!(
                "briefing for {}: {tasks} tasks; {} of {} employees had nothing to report",
                russian_date(today),
                staff.len() as u64 - with_news,
                staff.len()
            ),
        ))
    }
}

/// The active specialists and social workers: the people who work applications and visits.
/// Managers get their deviations from the other ISU checks.
fn briefed_staff() -> Result<BTreeSet<u64>, PluginError> {
    let cursor = employees::query()
        .columns(&[employees::ID])
        .filter(employees::ROLE, any_of(["specialist", "social-worker"]))
        .filter(employees::ACTIVE, eq(true))
        .open()?;
    let mut staff = BTreeSet::new();
    for batch in cursor {
        let batch = batch?;
        staff.extend(batch.u64s(employees::ID).iter().copied());
    }
    Ok(staff)
}

/// One pass over the open applications with an assignee: in work, or assigned and not
/// taken. Returns how many belong to no one briefed.
fn open_cases(briefings: &mut BTreeMap<u64, Briefing>) -> Result<u64, PluginError> {
    let cursor = applications::query()
        .columns(&[
            applications::ID,
            applications::NUMBER,
            applications::MEASURE,
            applications::STATUS,
            applications::ASSIGNEE_ID,
            applications::ASSIGNED_AT,
            applications::DEADLINE_AT,
        ])
        .filter(
            applications::STATUS,
            any_of(["in-work", "returned", "assigned"]),
        )
        .filter(applications::ASSIGNEE_ID, present())
        .open()?;
    let mut elsewhere = 0;
    for batch in cursor {
        let batch = batch?;
        for row in applications::rows(&batch).iter() {
            let Some(briefing) = row.assignee_id().and_then(|a| briefings.get_mut(&a)) else {
                elsewhere += 1;
                continue;
            };
            match row.status() {
                "assigned" => briefing.not_taken.push(NotTaken {
                    application: row.id(),
                    number: row.number().to_string(),
                    measure: row.measure().to_string(),
                    assigned_at: row.assigned_at(),
                    deadline: row.deadline_at(),
                }),
                status => briefing.in_work.push(InWork {
                    application: row.id(),
                    number: row.number().to_string(),
                    measure: row.measure().to_string(),
                    deadline: row.deadline_at(),
                    returned: status == "returned",
                }),
            }
        }
    }
    Ok(elsewhere)
}

/// The SMEV answers that arrived since the start of the previous work day after waiting
/// more than the norm, given to the briefings of their applications' assignees.
fn late_answers(
    morning: &Morning,
    briefings: &mut BTreeMap<u64, Briefing>,
) -> Result<(), PluginError> {
    let since = morning.calendar.start_of(morning.previous_work_day);
    let cursor = smev_requests::query()
        .columns(&[
            smev_requests::ID,
            smev_requests::APPLICATION_ID,
            smev_requests::AGENCY,
            smev_requests::SENT_AT,
            smev_requests::ANSWERED_AT,
        ])
        .filter(smev_requests::STATUS, eq("answered"))
        .filter(smev_requests::ANSWERED_AT, ge(since))
        .filter(smev_requests::ANSWERED_AT, le(morning.now))
        .filter(smev_requests::APPLICATION_ID, present())
        .open()?;
    let max_wait = morning.max_wait_days * DAY;
    let mut late = Vec::new();
    for batch in cursor {
        let batch = batch?;
        for row in smev_requests::rows(&batch).iter() {
            let (Some(application), Some(answered_at)) = (row.application_id(), row.answered_at())
            else {
                continue;
            };
            if answered_at - row.sent_at() > max_wait {
                late.push(LateAnswer {
                    request: row.id(),
                    application,
                    number: String::new(),
                    agency: row.agency().to_string(),
                    sent_at: row.sent_at(),
                    answered_at,
                });
            }
        }
    }
    if late.is_empty() {
        return Ok(());
    }

    // Whose applications those are: read by id, only the few that matter.
    let ids: Vec<u64> = late
        .iter()
        .map(|a| a.application)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut owners: BTreeMap<u64, (u64, String)> = BTreeMap::new();
    let query = applications::query()
        .columns(&[
            applications::ID,
            applications::NUMBER,
            applications::ASSIGNEE_ID,
        ])
        .filter(applications::ASSIGNEE_ID, present());
    data::for_ids(&query, applications::ID, &ids, |batch| {
        for row in applications::rows(batch).iter() {
            if let Some(assignee) = row.assignee_id() {
                owners.insert(row.id(), (assignee, row.number().to_string()));
            }
        }
    })?;
    for mut answer in late {
        let Some((assignee, number)) = owners.get(&answer.application) else {
            continue;
        };
        if let Some(briefing) = briefings.get_mut(assignee) {
            answer.number = number.clone();
            briefing.late.push(answer);
        }
    }
    Ok(())
}

/// The order the employee works in: soonest deadline first, longest-waiting assignment first,
/// longest-waited answer first. Ties by id, so a rerun writes the same text.
fn sort(briefing: &mut Briefing) {
    briefing
        .in_work
        .sort_by_key(|c| (c.deadline, c.application));
    briefing
        .not_taken
        .sort_by_key(|c| (c.assigned_at.unwrap_or(Timestamp::MAX), c.application));
    briefing
        .late
        .sort_by_key(|a| (a.sent_at - a.answered_at, a.request));
}

/// The employee's own task for the morning.
fn task_for(employee: u64, briefing: &Briefing, morning: &Morning) -> Task {
    let calendar = morning.calendar;
    let date = |at: Timestamp| russian_date(calendar.local_date(at));
    let today = russian_date(morning.today);
    let late_applications = briefing.late_applications();
    let overdue = briefing
        .in_work
        .iter()
        .filter(|c| c.deadline < morning.now)
        .count();

    let title = if briefing.is_empty() {
        format!("Информация на утро {today}: новых сведений нет")
    } else {
        format!(
            "Информация на утро {today}: в работе {}, не взято в работу {}, поздние ответы СМЭВ по {}",
            briefing.in_work.len(),
            briefing.not_taken.len(),
            applications_dative(late_applications)
        )
    };
    let mut description = format!(
        "Информируем, что по данным информационных систем на утро {today}:\n\
         - в работе у Вас находится {}{}\n\
         - распределено, но не взято Вами в работу {}\n\
         - с начала предыдущего рабочего дня ({}) поступили ответы на СМЭВ со сроком ожидания \
         более {} по {}\n",
        count(
            briefing.in_work.len() as u64,
            "обращение",
            "обращения",
            "обращений"
        ),
        if overdue > 0 {
            format!(", из них с истёкшим сроком — {overdue}")
        } else {
            String::new()
        },
        count(
            briefing.not_taken.len() as u64,
            "обращение",
            "обращения",
            "обращений"
        ),
        russian_date(morning.previous_work_day),
        count(morning.max_wait_days as u64, "дня", "дней", "дней"),
        applications_dative(late_applications),
    );

    section(
        &mut description,
        "Обращения в работе (по сроку)",
        briefing.in_work.iter().map(|c| {
            let mut line = format!(
                "№ {} ({}), срок до {}",
                c.number,
                c.measure,
                date(c.deadline)
            );
            if c.deadline < morning.now {
                line.push_str(" — срок истёк");
            }
            if c.returned {
                line.push_str(" — возвращено на доработку");
            }
            line
        }),
    );
    section(
        &mut description,
        "Не взятые в работу обращения",
        briefing.not_taken.iter().map(|c| {
            let assigned = c
                .assigned_at
                .map_or_else(|| "дата не указана".to_string(), date);
            format!(
                "№ {} ({}), распределено {assigned}, срок до {}",
                c.number,
                c.measure,
                date(c.deadline)
            )
        }),
    );
    section(
        &mut description,
        "Поступившие ответы на СМЭВ запросы с начала предыдущего рабочего дня",
        briefing.late.iter().map(|a| {
            format!(
                "№ {}, {}: запрос {}, ответ {}, ожидание {}",
                a.number,
                agency(&a.agency),
                date(a.sent_at),
                date(a.answered_at),
                wait(a.answered_at - a.sent_at)
            )
        }),
    );

    let applications: BTreeSet<u64> = briefing
        .in_work
        .iter()
        .map(|c| c.application)
        .chain(briefing.not_taken.iter().map(|c| c.application))
        .chain(briefing.late.iter().map(|a| a.application))
        .collect();
    let mut task = Task::new(
        format!("isu-daily-briefing/{employee}/{}", morning.today),
        employee,
        title,
    )
    .subject(employee)
    .description(fit_description(description))
    .records(
        Entity::Applications,
        applications.into_iter().take(LINKED_RECORDS),
    )
    .records(
        Entity::SmevRequests,
        briefing.late.iter().map(|a| a.request).take(LINKED_RECORDS),
    )
    .priority(Priority::Low)
    .due(calendar.end_of(morning.today).max(morning.now));
    if overdue > 0 {
        task = task.step(format!(
            "В первую очередь завершите обращения с истёкшим сроком ({overdue})"
        ));
    }
    if !briefing.not_taken.is_empty() {
        task = task.step(format!(
            "Возьмите в работу распределённые Вам обращения ({})",
            briefing.not_taken.len()
        ));
    }
    if !briefing.late.is_empty() {
        task = task.step("Продолжите рассмотрение обращений, по которым поступили ответы СМЭВ");
    }
    if !briefing.in_work.is_empty() {
        task = task.step("Спланируйте день по обращениям в работе, начиная с ближайшего срока");
    }
    if briefing.is_empty() {
        task = task.step("Ознакомьтесь с информацией: действий не требуется");
    }
    task
}

/// A titled list of at most [`LISTED_CASES`] lines, with the count of the rest.
fn section(description: &mut String, title: &str, lines: impl ExactSizeIterator<Item = String>) {
    let total = lines.len();
    if total == 0 {
        return;
    }
    description.push_str(&format!("\n{title}:\n"));
    for line in lines.take(LISTED_CASES) {
        description.push_str(&format!("  • {line}\n"));
    }
    if total > LISTED_CASES {
        description.push_str(&format!(
            "  … и ещё {}: полный список — в записях задачи.\n",
            total - LISTED_CASES
        ));
    }
}

export_deviation_check!(DailyBriefing);
