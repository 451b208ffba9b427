//! # Risk categories of inspected real estate (Moscow)
//!
//! **Where it comes from.** The State Inspectorate for the Control of the Use of Real Estate of
//! the City of Moscow (Госинспекция по недвижимости; seed `003_82b856c67bd744bf.txt`, "Система
//! категоризации рисков на основе объективных источников"). Since July 2021 the inspectorate
//! plans its control measures by risk: every object of control is scored from drone imagery and
//! AI findings, open data, federal and municipal registries, citizens' appeals and the results of
//! earlier control measures, put into one of five risk categories (extremely high, high, medium,
//! moderate, low) in the AIS "Real estate control of the city of Moscow", and a task to inspect
//! goes to the control and inspection unit. Inspectors focus on likely offenders; conscientious
//! owners are left alone.
//!
//! **The rule.** Run over the whole register, it
//! 1. **scores** each object from 0 to 100 points from five weighted indicators — the
//!    strongest recent drone finding, appeal, earlier violation and registry mismatch, and
//!    the time since the last inspection (see [`scoring`] for the formula and why);
//! 2. **categorises** it by the configured category set — 248-FZ allows three to six
//!    categories, so the set, with each category's threshold and inspection frequency, is
//!    configuration (see [`categories`]);
//! 3. **records** each object's category, score and contributing factors;
//! 4. gives the inspection unit's head **one task per object** of the top categories whose
//!    inspection is due, the riskiest first and at most `max-tasks` (see [`inspection`]).
//!
//! **Reads** `object_signals` and `inspected_objects` (`data.objects`). **Emits** assessments,
//! one call per batch of objects (`assessments.write`), and inspection tasks (`tasks.create`)
//! keyed by object and inspection cycle, so the key stays the same from day to day while the
//! object waits.
//!
//! Reading pattern: one pass over the recent signals into a small per-object index, one pass
//! over the objects reading numbers only, then a targeted read (`any_of` on ids) of the
//! addresses and cadastral numbers of the few objects that get a task.

mod categories;
mod inspection;
mod scoring;
mod weights;

use zemstvo_sdk::assessments::{self, AssessmentBatch};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::tasks::TaskError;

use categories::{CATEGORIES, CategorySet, DEFAULT_CATEGORIES};
use inspection::{Due, DueObject};
use scoring::{read_signals, score, time_indicator};
use weights::{DEFAULT_WEIGHTS, Factor, WEIGHTS, Weights, factor_names};

/// Configuration keys (besides [`WEIGHTS`] and [`CATEGORIES`]).
const SIGNAL_HORIZON_DAYS: &str = "signal-horizon-days";
const INSPECTION_GAP_DAYS: &str = "inspection-gap-days";
const TASK_CATEGORIES: &str = "task-categories";
const INSPECTION_HEAD_ID: &str = "inspection-head-id";
const MAX_TASKS: &str = "max-tasks";
const TASK_DUE_DAYS: &str = "task-due-days";

/// The largest integer a configuration value carries exactly (2^53).
const LARGEST_ID: f64 = 9_007_199_254_740_992.0;

struct MoscowRiskCategories;

/// The run's configuration, parsed and checked across keys.
struct Settings {
    weights: Weights,
    categories: CategorySet,
    signal_horizon_days: i64,
    inspection_gap_days: i64,
    /// How many of the most severe categories get inspection tasks.
    task_categories: usize,
    /// `None` when the key is 0: count the due objects, create no tasks.
    head: Option<u64>,
    max_tasks: usize,
    task_due_days: i64,
}

impl RiskScoring for MoscowRiskCategories {
    fn metadata() -> Metadata {
        Metadata::new("moscow-risk-categories", env!("CARGO_PKG_VERSION"))
            .title("Категории риска объектов недвижимости (Госинспекция по недвижимости Москвы)")
            .description(
                "Scores every inspected object from drone/AI findings, citizens' appeals, \
                 earlier violations, registry mismatches and the time since its last \
                 inspection; records its risk category (a configurable 248-FZ set, Moscow's \
                 five by default) with the factors behind it; gives the inspection unit's head \
                 a task for each object of the top categories that is due for inspection.",
            )
            .capability(capability::DATA_OBJECTS)
            .capability(capability::ASSESSMENTS_WRITE)
            .capability(capability::TASKS_CREATE)
            .config(
                ConfigParam::text(
                    WEIGHTS,
                    "Weights of the indicators, JSON: drone, appeal, violation, \
                     registry-mismatch, time-since-inspection (relative shares; a key left out \
                     keeps its default, 0 switches an indicator off)",
                )
                .default(DEFAULT_WEIGHTS),
            )
            .config(
                ConfigParam::text(
                    CATEGORIES,
                    "Risk categories, JSON array, most severe first: name, threshold (score 0 \
                     to 100 from which it applies), frequency_months (how often its objects are \
                     inspected; only `low` may have none), optional label; 3 to 6 categories, \
                     `low` last (248-FZ)",
                )
                .default(DEFAULT_CATEGORIES),
            )
            .config(
                ConfigParam::integer(
                    SIGNAL_HORIZON_DAYS,
                    "Days over which a signal's weight decays to nothing",
                )
                .default(365)
                .range(1, 3650),
            )
            .config(
                ConfigParam::integer(
                    INSPECTION_GAP_DAYS,
                    "Days since the last inspection at which the time indicator is full (never \
                     inspected counts as full)",
                )
                .default(1825)
                .range(30, 7300),
            )
            .config(
                ConfigParam::integer(
                    TASK_CATEGORIES,
                    "How many of the most severe categories get inspection tasks",
                )
                .default(2)
                .range(1, 5),
            )
            .config(
                ConfigParam::integer(
                    INSPECTION_HEAD_ID,
                    "Employee id of the inspection unit's head, who gets the tasks; 0 creates \
                     no tasks and only logs how many objects are due",
                )
                .default(0)
                .range(0, LARGEST_ID),
            )
            .config(
                ConfigParam::integer(
                    MAX_TASKS,
                    "Most inspection tasks per run (one per object, riskiest first)",
                )
                .default(200)
                .range(1, 10_000),
            )
            .config(
                ConfigParam::integer(TASK_DUE_DAYS, "Days the unit has for each task")
                    .default(30)
                    .range(1, 365),
            )
    }

    fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
        let settings = settings()?;
        let categories = &settings.categories;
        let mut signals = read_signals(ctx.now, settings.signal_horizon_days, &settings.weights)?;

        let category_names = categories.names();
        let factor_names = factor_names();
        let mut per_category = vec![0u64; categories.len()];
        let mut due: Vec<DueObject> = Vec::new();
        let mut examined = 0u64;
        let cursor = inspected_objects::query()
            .columns(&[inspected_objects::ID, inspected_objects::LAST_INSPECTION_AT])
            .open()?;
        for batch in cursor {
            let batch = batch?;
            let rows = inspected_objects::rows(&batch);
            examined += rows.len() as u64;
            // The host's batch of objects (~16K rows) becomes one assessment batch and one
            // `record` call: a register of a million objects costs some sixty host calls.
            let mut assessed = AssessmentBatch::new(&category_names, &factor_names);
            for row in rows.iter() {
                let object = row.id();
                let last = row.last_inspection_at();
                // An object without signals scores from the time indicator alone.
                let time = time_indicator(ctx.now, last, settings.inspection_gap_days);
                let score = score(&settings.weights, &signals.take(object), time);
                let category = categories.categorise(score.points);
                per_category[category] += 1;

                // At most six categories: the index fits a u8.
                let at = assessed.push(object, category as u8, score.points as f32);
                for factor in Factor::ALL {
                    let contribution = score.contributions[factor.code()];
                    if contribution > 0.0 {
                        assessed.factor(at, factor.code() as u16, contribution as f32);
                    }
                }

                if category < settings.task_categories
                    && let Some(why) =
                        Due::at(ctx.now, last, categories.get(category).frequency_months)
                {
                    due.push(DueObject {
                        object,
                        category,
                        score,
                        due: why,
                    });
                }
            }
            if !assessed.is_empty() {
                assessments::record(&assessed)?;
            }
        }
        report_data_problems(&signals);

        let tasks = create_tasks(ctx, &settings, &mut due)?;
        let counts: Vec<String> = category_names
            .iter()
            .zip(&per_category)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        Ok(RunSummary::new(
            examined,
            due.len() as u64,
            format!(
                "{examined} objects: {}; {} due for inspection in the top {} categories; {tasks} \
                 tasks",
                counts.join(", "),
                due.len(),
                settings.task_categories
            ),
        ))
    }
}

/// Reads every key; the JSON keys and the cross-key rule are checked here, the rest by the
/// host against the declared ranges.
fn settings() -> Result<Settings, PluginError> {
    let weights = Weights::parse(&config::text(WEIGHTS)?).map_err(PluginError::invalid_config)?;
    let categories =
        CategorySet::parse(&config::text(CATEGORIES)?).map_err(PluginError::invalid_config)?;
    let task_categories = config::integer(TASK_CATEGORIES)?;
    if task_categories < 1 || task_categories as usize >= categories.len() {
        return Err(PluginError::invalid_config(format!(
            "`{TASK_CATEGORIES}` is {task_categories}, but with {} categories in \
             `{CATEGORIES}` only 1 to {} can get inspection tasks: objects of low risk get no \
             planned inspections (248-FZ)",
            categories.len(),
            categories.len() - 1
        )));
    }
    let head = config::integer(INSPECTION_HEAD_ID)?;
    Ok(Settings {
        weights,
        categories,
        signal_horizon_days: config::integer(SIGNAL_HORIZON_DAYS)?,
        inspection_gap_days: config::integer(INSPECTION_GAP_DAYS)?,
        task_categories: task_categories as usize,
        // The host keeps the value within 0..=2^53.
        head: u64::try_from(head).ok().filter(|&id| id != 0),
        max_tasks: config::integer(MAX_TASKS)? as usize,
        task_due_days: config::integer(TASK_DUE_DAYS)?,
    })
}

/// Creates a task for each due object, the riskiest first, up to the cap; returns how many.
/// Without a head to assign them to, only logs the count.
fn create_tasks(
    ctx: &RunContext,
    settings: &Settings,
    due: &mut [DueObject],
) -> Result<usize, PluginError> {
    let Some(head) = settings.head else {
        log::info(&format!(
            "{} objects of the top {} risk categories are due for inspection; no tasks created: \
             `{INSPECTION_HEAD_ID}` is 0 (set it to the inspection unit head's employee id)",
            due.len(),
            settings.task_categories
        ));
        return Ok(0);
    };
    due.sort_by(|a, b| {
        b.score
            .points
            .total_cmp(&a.score.points)
            .then(a.object.cmp(&b.object))
    });
    let chosen = &due[..due.len().min(settings.max_tasks)];
    let ids: Vec<u64> = chosen.iter().map(|d| d.object).collect();
    let cards = inspection::object_cards(&ids)?;
    for object in chosen {
        inspection::inspection_task(
            ctx,
            head,
            object,
            cards.get(&object.object),
            &settings.categories,
            settings.task_due_days,
        )
        .create()
        .map_err(|e| task_failed(e, head))?;
    }
    if due.len() > chosen.len() {
        log::warn(&format!(
            "{} objects are due for inspection; tasks were created for the {} riskiest \
             (`{MAX_TASKS}`), the rest wait for a later run",
            due.len(),
            chosen.len()
        ));
    }
    Ok(chosen.len())
}

/// Logs what in the signals could not be used, once per run rather than per row.
fn report_data_problems(signals: &scoring::SignalIndex) {
    if signals.out_of_range > 0 {
        log::warn(&format!(
            "{} signals have a severity outside 0..1: clamped to 1, or ignored when not a \
             number or not positive",
            signals.out_of_range
        ));
    }
    if signals.left_over() > 0 {
        log::warn(&format!(
            "signals refer to {} objects that are not in the register of inspected objects; \
             they were ignored",
            signals.left_over()
        ));
    }
    log::debug(&format!("{} recent signals read", signals.read));
}

/// An unknown assignee is a configuration problem: say which key to fix.
fn task_failed(e: TaskError, head: u64) -> PluginError {
    match e {
        TaskError::UnknownEmployee(id) if id == head => PluginError::invalid_config(format!(
            "`{INSPECTION_HEAD_ID}` is {head}, but the region has no employee with that id"
        )),
        other => other.into(),
    }
}

export_risk_scoring!(MoscowRiskCategories);
