//! # Geo check of home-care visits
//!
//! **Where it comes from.** The Lipetsk social-protection centre's "intelligent management
//! system" (ISU; seed `000_dcf501ce1aae61c7.txt`), where the home social services block plans
//! "мониторинг фактической геопозиции предоставления услуг гражданам и соотношение с местом
//! жительства гражданина": where a social worker actually was during a home visit, compared with
//! where the citizen lives. It follows the practice of US electronic visit verification (EVV): a
//! visit records the service, the citizen, the worker, the start, the end and the place; a
//! geofence around each address (about 100 m) bounds the place; a visit out of bounds is an
//! **exception recorded with its reason**, never silently dropped.
//!
//! **The rule.** Each run looks at the visits planned in the last `lookback-days` (7) that
//! should be over by the run's time and, for each one (see [`checks`]):
//! - measures the geodesic distance from its GPS point to the residence (the `geo` crate,
//!   WGS 84) against the geofence: `geofence-m` (100), or the address's own
//!   `citizens.geofence_m`;
//! - compares its actual duration with the service's norm (`service-norms`, JSON);
//! - records every exception — `out_of_geofence`, `too_short`, `missing_evidence`,
//!   `unverifiable`.
//!
//! An employee with `pattern-threshold` (3) or more exceptions in the window shows a pattern,
//! not an accident: their manager (or else the head of their unit) gets one task a day that
//! lists the visits and reasons of all such employees and the steps to take.
//!
//! **Reads** `visits` (`data.visits`), the residences of their citizens by id
//! (`data.citizens`) and the staff who answer for the workers (`data.staff`). **Emits** visit
//! exceptions in batches (`visits.record-exceptions`) and one task per manager
//! (`tasks.create`), keyed by manager and day.

mod checks;
mod norms;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zemstvo_sdk::data::{ge, le};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::staff::Hierarchy;
use zemstvo_sdk::time::date_of;
use zemstvo_sdk::visit_checks::{self, VisitException};

use checks::{Finding, Notes, Residence, Rules, Visit, check_visit, describe};
use norms::ServiceNorms;

/// Configuration keys.
const LOOKBACK_DAYS: &str = "lookback-days";
const GEOFENCE_M: &str = "geofence-m";
const PATTERN_THRESHOLD: &str = "pattern-threshold";

/// Exceptions handed to the host per `record` call: few calls, none of them huge.
const EXCEPTIONS_PER_CALL: usize = 1_000;

/// Exceptions listed in a task's text; the rest are counted there and linked as records.
const LISTED_EXCEPTIONS: usize = 50;

/// Records of each kind linked to one task (the host accepts up to 10000 in all).
const LINKED_RECORDS: usize = 4_000;

struct HomeCareGeoCheck;

impl GeoCheck for HomeCareGeoCheck {
    fn metadata() -> Metadata {
        Metadata::new("home-care-geo-check", env!("CARGO_PKG_VERSION"))
            .title("Геопозиция и длительность посещений на дому")
            .description(
                "Checks each home-care visit's GPS point against the citizen's residence (a \
                 geofence, overridable per address) and its duration against the service's \
                 norm; records every exception with its reason (electronic visit \
                 verification) and gives the manager of each employee with repeated \
                 exceptions one task a day (ISU, Lipetsk).",
            )
            .capability(capability::DATA_VISITS)
            .capability(capability::DATA_CITIZENS)
            .capability(capability::DATA_STAFF)
            .capability(capability::VISITS_RECORD_EXCEPTIONS)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::integer(
                    LOOKBACK_DAYS,
                    "How far back, in days, visits are checked (by planned start)",
                )
                .default(7)
                .range(1, 92),
            )
            .config(
                ConfigParam::integer(
                    GEOFENCE_M,
                    "Geofence radius around a residence, in metres, where the address sets none",
                )
                .default(100)
                .range(10, 2_000),
            )
            .config(
                ConfigParam::text(
                    norms::KEY,
                    "Least duration of a visit per service, in minutes: a JSON object of \
                     service → minutes (1 to 1440); services not listed are not checked",
                )
                .default(norms::DEFAULT),
            )
            .config(
                ConfigParam::integer(
                    PATTERN_THRESHOLD,
                    "Exceptions of one employee in the window that make a pattern for the manager",
                )
                .default(3)
                .range(1, 1_000),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let lookback_days = config::integer(LOOKBACK_DAYS)?;
        let threshold = config::integer(PATTERN_THRESHOLD)?;
        let norms =
            ServiceNorms::parse(&config::text(norms::KEY)?).map_err(PluginError::invalid_config)?;
        let rules = Rules {
            default_radius_m: config::integer(GEOFENCE_M)? as f64,
            norms: &norms,
        };

        let visits = due_visits(ctx.now, ctx.now - lookback_days * DAY)?;
        if visits.is_empty() {
            return Ok(RunSummary::new(0, 0, "no home-care visit in the window"));
        }
        let citizen_ids: BTreeSet<u64> = visits.iter().map(|v| v.citizen).collect();
        let residences = residences(&citizen_ids)?;

        // Check every visit; keep what each one found for the record and the patterns.
        let mut checked: Vec<(&Visit, Vec<Finding>)> = Vec::new();
        let mut unchecked_services: BTreeMap<&str, u64> = BTreeMap::new();
        let mut bad_overrides = BTreeSet::new();
        for visit in &visits {
            let (findings, notes) = check_visit(visit, residences.get(&visit.citizen), &rules);
            let Notes {
                no_norm,
                bad_override,
            } = notes;
            if no_norm {
                *unchecked_services
                    .entry(visit.service.as_str())
                    .or_default() += 1;
            }
            if bad_override {
                bad_overrides.insert(visit.citizen);
            }
            if !findings.is_empty() {
                checked.push((visit, findings));
            }
        }
        for (service, count) in &unchecked_services {
            log::info(&format!(
                "service `{service}` has no norm in `{}`: the duration of {count} visits was not checked",
                norms::KEY
            ));
        }
        if !bad_overrides.is_empty() {
            log::warn(&format!(
                "{} citizens have an unusable geofence_m (zero, negative or not a number); \
                 the default radius was used, e.g. citizen {}",
                bad_overrides.len(),
                bad_overrides.first().copied().unwrap_or_default()
            ));
        }

        let recorded = record_exceptions(&checked)?;
        let managers = task_managers(ctx, &checked, threshold, lookback_days)?;
        Ok(RunSummary::new(
            visits.len() as u64,
            recorded,
            format!(
                "{} visits checked, {recorded} exceptions recorded in {} visits; {managers} managers got a task",
                visits.len(),
                checked.len()
            ),
        ))
    }
}

/// The visits planned in the window that should be over by the run's time: a visit still
/// under way has no actual end yet and is checked by a later run.
fn due_visits(now: Timestamp, since: Timestamp) -> Result<Vec<Visit>, PluginError> {
    let cursor = visits::query()
        .columns(&[
            visits::ID,
            visits::EMPLOYEE_ID,
            visits::CITIZEN_ID,
            visits::SERVICE,
            visits::PLANNED_START,
            visits::ACTUAL_START,
            visits::ACTUAL_END,
            visits::LAT,
            visits::LON,
        ])
        .filter(visits::PLANNED_START, ge(since))
        .filter(visits::PLANNED_END, le(now))
        .open()?;
    let mut out = Vec::new();
    for batch in cursor {
        let batch = batch?;
        for row in visits::rows(&batch).iter() {
            out.push(Visit {
                id: row.id(),
                employee: row.employee_id(),
                citizen: row.citizen_id(),
                service: row.service().to_string(),
                planned_start: row.planned_start(),
                actual_start: row.actual_start(),
                actual_end: row.actual_end(),
                point: row.lat().zip(row.lon()),
            });
        }
    }
    Ok(out)
}

/// The residences of the visited citizens, read by id: coordinates and the address's own
/// radius only, no personal data.
fn residences(ids: &BTreeSet<u64>) -> Result<HashMap<u64, Residence>, PluginError> {
    let columns = [citizens::LAT, citizens::LON, citizens::GEOFENCE_M];
    let residences = citizens::by_id(ids.iter().copied(), &columns, |row| Residence {
        point: row.lat().zip(row.lon()),
        geofence_m: row.geofence_m(),
    })?;
    Ok(residences)
}

/// Hands every exception to the host, `EXCEPTIONS_PER_CALL` at a time. Returns how many.
fn record_exceptions(checked: &[(&Visit, Vec<Finding>)]) -> Result<u64, PluginError> {
    let all: Vec<VisitException> = checked
        .iter()
        .flat_map(|(visit, findings)| {
            findings.iter().map(|f| VisitException {
                visit: visit.id,
                kind: f.kind,
                reason: f.reason.clone(),
                distance_m: f.distance_m,
                duration_min: f.duration_min,
            })
        })
        .collect();
    for chunk in all.chunks(EXCEPTIONS_PER_CALL) {
        visit_checks::record(chunk)?;
    }
    Ok(all.len() as u64)
}

/// Finds the employees with a pattern and gives each responsible manager one task. Returns
/// how many managers got one.
fn task_managers(
    ctx: &RunContext,
    checked: &[(&Visit, Vec<Finding>)],
    threshold: i64,
    lookback_days: i64,
) -> Result<usize, PluginError> {
    // Exceptions that count against each employee, in visit order.
    let mut by_employee: BTreeMap<u64, Vec<(&Visit, &Finding)>> = BTreeMap::new();
    for (visit, findings) in checked {
        for finding in findings.iter().filter(|f| f.counts_against_employee()) {
            by_employee
                .entry(visit.employee)
                .or_default()
                .push((visit, finding));
        }
    }
    by_employee.retain(|_, found| found.len() as i64 >= threshold);
    if by_employee.is_empty() {
        return Ok(0);
    }

    let hierarchy = Hierarchy::read(by_employee.keys().copied())?;
    let mut by_manager: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for &employee in by_employee.keys() {
        match hierarchy.responsible_manager(employee) {
            Some(manager) => by_manager.entry(manager).or_default().push(employee),
            None => log::warn(&format!(
                "employee {employee} has {} visit exceptions but nobody to report them to: {}",
                by_employee[&employee].len(),
                hierarchy.why_nobody(employee)
            )),
        }
    }
    for (manager, employees) in &by_manager {
        let patterns: Vec<(u64, &[(&Visit, &Finding)])> = employees
            .iter()
            .map(|e| (*e, by_employee[e].as_slice()))
            .collect();
        task_for_manager(
            ctx,
            *manager,
            &patterns,
            &hierarchy,
            threshold,
            lookback_days,
        )
        .create()?;
    }
    Ok(by_manager.len())
}

/// The manager's task: each employee's exceptions with their reasons, and what to do.
fn task_for_manager(
    ctx: &RunContext,
    manager: u64,
    patterns: &[(u64, &[(&Visit, &Finding)])],
    hierarchy: &Hierarchy,
    threshold: i64,
    lookback_days: i64,
) -> Task {
    let total: usize = patterns.iter().map(|(_, found)| found.len()).sum();
    let mut description = format!(
        "Посещения на дому за последние {lookback_days} дн. не подтверждены геопозицией или \
         длительностью. В задаче — сотрудники, у которых {threshold} и более исключений: \
         это уже не случайность, а повторяющаяся картина.\n"
    );
    let mut listed = 0;
    for (employee, found) in patterns {
        if listed == LISTED_EXCEPTIONS {
            break;
        }
        let name = hierarchy.name(*employee);
        description.push_str(&format!("\n{name} — исключений: {}\n", found.len()));
        for (visit, finding) in found.iter().take(LISTED_EXCEPTIONS - listed) {
            listed += 1;
            description.push_str(&format!("  • {}: {}\n", describe(visit), finding.reason));
        }
    }
    if listed < total {
        description.push_str(&format!(
            "\n… и ещё {} исключений: полный список — в записях задачи.\n",
            total - listed
        ));
    }
    let visit_ids: BTreeSet<u64> = patterns
        .iter()
        .flat_map(|(_, found)| found.iter().map(|(v, _)| v.id))
        .collect();
    let worst = patterns
        .iter()
        .map(|(_, found)| found.len())
        .max()
        .unwrap_or(0) as i64;
    let mut task = Task::new(
        format!("home-care-geo-check/{manager}/{}", date_of(ctx.now)),
        manager,
        format!(
            "Посещения на дому не подтверждены: {} сотрудник(ов), {total} исключений",
            patterns.len()
        ),
    )
    .description(description)
    .records(Entity::Visits, visit_ids.into_iter().take(LINKED_RECORDS))
    .records(
        Entity::Employees,
        patterns.iter().map(|(e, _)| *e).take(LINKED_RECORDS),
    )
    .step("Сверьте с каждым сотрудником маршрут и фактическое время посещений из списка")
    .step(
        "Позвоните получателям услуг и уточните, состоялось ли посещение и оказана ли услуга \
         в полном объёме",
    )
    .step(
        "Если GPS-отметки нет или она далеко от адреса, проверьте мобильное устройство \
         сотрудника и отметку в приложении; если услуга оказывалась в другом месте \
         (поликлиника, магазин), внесите пояснение в карточку посещения",
    )
    .step("Если посещения короче нормы, пересмотрите график и нагрузку сотрудника")
    .step("Подтвердите или опровергните каждое исключение и отметьте задачу выполненной")
    .priority(if worst >= 2 * threshold {
        Priority::High
    } else {
        Priority::Normal
    })
    .due(ctx.now + 3 * DAY);
    if let [(employee, _)] = patterns {
        task = task.subject(*employee);
    }
    task
}

export_geo_check!(HomeCareGeoCheck);
