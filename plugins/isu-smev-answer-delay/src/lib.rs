//! # ISU check: SMEV answers that waited more than N days
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`): when an interagency (SMEV) answer takes
//! longer than the norm, the case it belongs to stalls, and its legal term keeps running.
//!
//! **The rule.** A request of the last `lookback-days` (30 by default) whose answer waited more
//! than `max-wait-days` (4) — answered late, or still unanswered past the norm — is a deviation;
//! rejected requests are another deviation and are left out. Each responsible employee's
//! manager gets one task a day listing the cases and the steps to take.
//!
//! **Reads** `smev_requests` (`data.smev`), the applications behind the late ones
//! (`data.applications`) and the staff who answer for their assignees (`data.staff`).
//! **Emits** one task per manager (`tasks.create`), keyed by manager and day, so a rerun that
//! day creates nothing new.
//!
//! How it reads data is the pattern to copy: one pass over SMEV requests in columnar batches
//! with the filters pushed to the host, then targeted reads by id of only the records that
//! matter — the applications with `applications::by_id`, the employees and whoever answers for
//! them with [`zemstvo_sdk::staff::Hierarchy`]. Every check that reports to an employee's
//! manager needs that lookup; take it from [`zemstvo_sdk::staff`] rather than writing your
//! own, so every check agrees on who must act.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zemstvo_sdk::data::{ge, ne, present};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::time::{date_of, format_date};

/// Configuration keys.
const MAX_WAIT_DAYS: &str = "max-wait-days";
const LOOKBACK_DAYS: &str = "lookback-days";

/// Cases listed in a task's text; a manager with more sees the count here and every record
/// linked to the task. Keeps tasks readable and within the host's size limits.
const LISTED_CASES: usize = 50;

/// Records of each kind linked to one task (the host accepts up to 10000 in all).
const LINKED_RECORDS: usize = 4_000;

struct SmevAnswerDelay;

/// A request whose answer waited too long.
struct LateRequest {
    request: u64,
    application: u64,
    agency: String,
    sent_at: Timestamp,
    answered_at: Option<Timestamp>,
    /// Seconds from sending to the answer (or to now, if there is none).
    waited: i64,
}

/// What the task needs to know about an application.
struct Case {
    number: String,
    assignee: Option<u64>,
}

impl DeviationCheck for SmevAnswerDelay {
    fn metadata() -> Metadata {
        Metadata::new("isu-smev-answer-delay", env!("CARGO_PKG_VERSION"))
            .title("Ответы СМЭВ, ожидавшиеся дольше нормы")
            .description(
                "Finds SMEV requests whose answer waited more than the norm (answered late or \
                 still unanswered) and gives each responsible employee's manager one task with \
                 the cases and the corrective steps (ISU, Lipetsk).",
            )
            .capability(capability::DATA_SMEV)
            .capability(capability::DATA_APPLICATIONS)
            .capability(capability::DATA_STAFF)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    MAX_WAIT_DAYS,
                    "Days an answer may take before it is a deviation",
                )
                .default(4)
                .range(1, 60),
            )
            .config(
                ConfigParam::integer(
                    LOOKBACK_DAYS,
                    "How far back, in days, requests are examined",
                )
                .default(30)
                .range(1, 366),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let max_wait_days = config::integer(MAX_WAIT_DAYS)?;
        let since = ctx.now - config::integer(LOOKBACK_DAYS)? * DAY;

        let (examined, late) = late_requests(ctx.now, since, max_wait_days)?;
        if late.is_empty() {
            return Ok(RunSummary::new(
                examined,
                0,
                "no SMEV answer waited too long",
            ));
        }

        let application_ids: BTreeSet<u64> = late.iter().map(|r| r.application).collect();
        let cases = cases(&application_ids)?;
        // The assignees, their managers and their units' heads: three reads by id, however
        // large the region.
        let hierarchy = Hierarchy::read(cases.values().filter_map(|c| c.assignee))?;

        // Group the late requests by the manager responsible for the case's assignee.
        let mut by_manager: BTreeMap<u64, Vec<(&LateRequest, u64)>> = BTreeMap::new();
        let mut unassigned = 0;
        for request in &late {
            let Some(employee) = cases.get(&request.application).and_then(|c| c.assignee) else {
                unassigned += 1;
                continue;
            };
            match hierarchy.responsible_manager(employee) {
                Some(manager) => by_manager
                    .entry(manager)
                    .or_default()
                    .push((request, employee)),
                None => {
                    log::warn(&format!(
                        "{}; request {} is not reported",
                        hierarchy.why_nobody(employee),
                        request.request
                    ));
                    unassigned += 1;
                }
            }
        }
        if unassigned > 0 {
            log::info(&format!(
                "{unassigned} late requests belong to unassigned cases"
            ));
        }

        let day = date_of(ctx.now);
        for (manager, requests) in &by_manager {
            task_for_manager(ctx, *manager, requests, &cases, &hierarchy, max_wait_days)
                .create()?;
            log::debug(&format!(
                "manager {manager}: {} late requests ({day})",
                requests.len()
            ));
        }
        Ok(RunSummary::new(
            examined,
            late.len() as u64,
            format!(
                "{} SMEV answers waited more than {max_wait_days} days; {} managers got a task",
                late.len(),
                by_manager.len()
            ),
        ))
    }
}

/// One pass over the SMEV requests of the lookback window; rejected requests are another
/// deviation and are filtered out on the host.
fn late_requests(
    now: Timestamp,
    since: Timestamp,
    max_wait_days: i64,
) -> Result<(u64, Vec<LateRequest>), PluginError> {
    let cursor = smev_requests::query()
        .columns(&[
            smev_requests::ID,
            smev_requests::APPLICATION_ID,
            smev_requests::AGENCY,
            smev_requests::SENT_AT,
            smev_requests::ANSWERED_AT,
        ])
        .filter(smev_requests::SENT_AT, ge(since))
        .filter(smev_requests::STATUS, ne("rejected"))
        // Requests sent outside any application belong to no case and no employee.
        .filter(smev_requests::APPLICATION_ID, present())
        .open()?;
    let max_wait = max_wait_days * DAY;
    let mut examined = 0;
    let mut late = Vec::new();
    for batch in cursor {
        let batch = batch?;
        let rows = smev_requests::rows(&batch);
        examined += rows.len() as u64;
        for row in rows.iter() {
            let Some(application) = row.application_id() else {
                continue;
            };
            let answered_at = row.answered_at();
            let waited = answered_at.unwrap_or(now) - row.sent_at();
            if waited > max_wait {
                late.push(LateRequest {
                    request: row.id(),
                    application,
                    agency: row.agency().to_string(),
                    sent_at: row.sent_at(),
                    answered_at,
                    waited,
                });
            }
        }
    }
    Ok((examined, late))
}

/// The applications behind the late requests, read by id: `by_id` asks the host a handful of
/// queries (`any_of` on the ids, in chunks the host accepts) instead of another pass over
/// every application.
fn cases(ids: &BTreeSet<u64>) -> Result<HashMap<u64, Case>, PluginError> {
    let columns = [applications::NUMBER, applications::ASSIGNEE_ID];
    let cases = applications::by_id(ids.iter().copied(), &columns, |row| Case {
        number: row.number().to_string(),
        assignee: row.assignee_id(),
    })?;
    Ok(cases)
}

/// The manager's task: the late requests grouped by employee, and what to do.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    requests: &[(&LateRequest, u64)],
    cases: &HashMap<u64, Case>,
    hierarchy: &Hierarchy,
    max_wait_days: i64,
) -> Task {
    let mut by_employee: BTreeMap<u64, Vec<&LateRequest>> = BTreeMap::new();
    for (request, employee) in requests {
        by_employee.entry(*employee).or_default().push(request);
    }
    let mut description = format!(
        "Ответы на межведомственные запросы ожидались дольше нормы ({max_wait_days} дн.). \
         Дела по ним стоят, а сроки предоставления услуг истекают.\n"
    );
    let mut listed = 0;
    for (employee, late) in &by_employee {
        if listed == LISTED_CASES {
            break;
        }
        description.push_str(&format!("\n{}:\n", hierarchy.name(*employee)));
        for r in late.iter().take(LISTED_CASES - listed) {
            listed += 1;
            let number = cases.get(&r.application).map_or("?", |c| c.number.as_str());
            let answer = match r.answered_at {
                Some(at) => format!("ответ {}", format_date(at)),
                None => "ответа нет".to_string(),
            };
            description.push_str(&format!(
                "  • дело № {number}, {}: запрос {}, {answer}, ожидание {} дн.\n",
                r.agency.to_uppercase(),
                format_date(r.sent_at),
                days(r.waited)
            ));
        }
    }
    if listed < requests.len() {
        description.push_str(&format!(
            "\n… и ещё {} запрос(ов): полный список — в записях задачи.\n",
            requests.len() - listed
        ));
    }
    let worst = requests.iter().map(|(r, _)| r.waited).max().unwrap_or(0);
    let agencies: BTreeSet<String> = requests
        .iter()
        .map(|(r, _)| r.agency.to_uppercase())
        .collect();
    let applications: BTreeSet<u64> = requests.iter().map(|(r, _)| r.application).collect();
    Task::new(
        format!("isu-smev-answer-delay/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Ответы СМЭВ ожидались дольше {max_wait_days} дн.: {} запрос(ов)",
            requests.len()
        ),
    )
    .description(description)
    .records(
        Entity::SmevRequests,
        requests.iter().map(|(r, _)| r.request).take(LINKED_RECORDS),
    )
    .records(
        Entity::Applications,
        applications.into_iter().take(LINKED_RECORDS),
    )
    .step("Проверьте в СМЭВ-адаптере, что запросы доставлены; недоставленные направьте повторно")
    .step(format!(
        "Свяжитесь с ведомствами ({}) по запросам без ответа",
        agencies.into_iter().collect::<Vec<_>>().join(", ")
    ))
    .step("Если срок рассмотрения дела под угрозой, продлите его или уведомите заявителя")
    .step("Разберите с сотрудниками причины задержек и отметьте задачу выполненной")
    .priority(if worst >= 2 * max_wait_days * DAY {
        Priority::High
    } else {
        Priority::Normal
    })
    .due(ctx.now + DAY)
}

/// Days with one decimal and a decimal comma, as Russian documents write them: `4,6`.
fn days(seconds: i64) -> String {
    format!("{:.1}", seconds as f64 / DAY as f64).replace('.', ",")
}

export_deviation_check!(SmevAnswerDelay);
