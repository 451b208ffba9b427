//! # «Без чиновника»: monthly allowances for disabled children and for children who lost a breadwinner
//!
//! **Where it comes from.** The Khanty-Mansi Autonomous Okrug – Yugra's service "without an
//! official" (seed `002_860b53816a3baa4c.txt`, the region's Department of IT and digital
//! development, 2019): an application comes from the federal portal (or an MFC), the
//! social-protection system ASOI sends interagency (SMEV) requests about the applicant, reads
//! the answers, decides by the rules, and on approval creates the assignment with its monthly
//! payment schedule — recording that the system, not an official, decided. About 9,000 such
//! applications a year used to take a specialist ten minutes each.
//!
//! **The rule.** It decides two measures of the Yugra law on support of families with children
//! (Закон ХМАО – Югры от 07.07.2004 № 45-оз):
//!
//! | measure code | measure |
//! |---|---|
//! | `disabled-child-allowance` | ежемесячное социальное пособие на детей-инвалидов |
//! | `survivor-child-allowance` | ежемесячное социальное пособие на детей, потерявших кормильца |
//!
//! An application for any other measure is `invalid_data` naming the measure: the host called
//! the wrong rule, and a specialist must look.
//!
//! **Reads** no region data: the host hands it the application and the SMEV answers so far.
//! **Emits** an outcome — the SMEV requests still needed (`smev.send`; the host sends them and
//! calls again), or a decision with its trace, which the host records with the case.
//!
//! ## How it decides
//!
//! The rule is a pure function of the application and the SMEV answers received so far; the
//! host calls it again each time answers arrive, and no thread waits for an agency.
//!
//! 1. **The form.** It reads the fields below; a field missing, empty or malformed is
//!    `invalid_data` naming it (a broken portal form is no reason to deny a citizen).
//! 2. **What the application alone decides.** A child who on the application's date has
//!    reached the age limit (parameter `child-age-limit`, 18 years), or whose disability
//!    period ended before it, is denied at once — no agency is troubled.
//! 3. **The requests.** It asks for what is not answered yet, all about the applicant and for
//!    this application: SNILS (`sfr`/`snils`), the fact of a pension (`sfr`/`pension-fact`),
//!    registration at residence (`mvd`/`residence-registration`) and passport validity
//!    (`mvd`/`passport-validity`). It decides only when all four are answered, so that a
//!    denial gives the citizen every reason at once.
//! 4. **The answers.** It denies when the applicant is not registered in the region, the
//!    passport is invalid, an agency rejected a request (naming the agency and its code), an
//!    answer lacks the fact, or two answers to one request disagree.
//! 5. **The assignment.** Otherwise it approves: the monthly amount in force on the application's
//!    date (an effective-dated parameter with its legal basis), from the first day of the month
//!    of the application to the day before the child comes of age (or the last day of the
//!    disability period, if earlier), with a payment per month for the next `schedule-months`
//!    months or until the end.
//!
//! Every decision carries its trace: each field, answer and parameter it used with its source
//! (`application.fields.child-birth-date`, `smev:mvd/residence-registration`,
//! `parameter:survivor-child-allowance-amount`…) and each value it computed (the child's age,
//! the dates of the assignment, the payments).
//!
//! ## The application form
//!
//! | field | measures | value |
//! |---|---|---|
//! | `child-birth-date` | both | `YYYY-MM-DD`, required, not after the application |
//! | `child-snils` | both | `XXX-XXX-XXX YY` (or 11 digits), required, check number verified |
//! | `child-disability-established` | `disabled-child-allowance` | `YYYY-MM-DD` the category «ребёнок-инвалид» was established, required |
//! | `child-disability-until` | `disabled-child-allowance` | `YYYY-MM-DD`, last day of the disability period; absent or empty if until coming of age |
//! | `breadwinner-death-date` | `survivor-child-allowance` | `YYYY-MM-DD` of the breadwinner's death, required, not after the application |
//!
//! Dates are calendar dates in UTC, as every timestamp of the platform.

mod answers;
mod calendar;
mod coming_of_age;
mod form;
mod schedule;

use zemstvo_sdk::eligibility::{Application, Channel, Outcome, SmevAnswer, SmevQuery, TraceStep};
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::time::{Date, date_of, ymd};

use crate::answers::{REQUESTS, Reading};
use crate::coming_of_age::{AGE_LIMIT, assignment_end, coming_of_age};
use crate::form::{ChildStatus, Form, Measure};
use crate::schedule::ScheduleTerms;

// Configuration keys.

/// The measures the host calls this rule for (comma-separated): a region may automate one of
/// the two and keep the other with its specialists.
const MEASURES: &str = "measures";
/// Months of payments listed in an assignment's schedule.
const SCHEDULE_MONTHS: &str = "schedule-months";
/// Day of the month each payment is due.
const PAYMENT_DAY: &str = "payment-day";

/// The law both allowances and the age limit come from.
pub(crate) const LAW: &str = "Закон ХМАО – Югры от 07.07.2004 № 45-оз «О поддержке семьи, материнства, \
                   отцовства и детства в Ханты-Мансийском автономном округе – Югре»";

struct YugraChildAllowance;

impl EligibilityRule for YugraChildAllowance {
    fn metadata() -> Metadata {
        Metadata::new("yugra-child-allowance", env!("CARGO_PKG_VERSION"))
            .title("«Без чиновника»: пособия на детей-инвалидов и детей, потерявших кормильца")
            .description(
                "Decides applications for Yugra's monthly social allowances for disabled \
                 children and for children who lost a breadwinner without an official: asks \
                 SFR for the applicant's SNILS and pension, MVD for registration at residence \
                 and passport validity, then approves with the assignment and its monthly \
                 payment schedule or denies with the reasons (Khanty-Mansi Yugra, ASOI).",
            )
            // The rule asks the host to send these requests on its behalf.
            .capability(capability::SMEV_SEND)
            .config(
                ConfigParam::text(
                    MEASURES,
                    "Measures the rule decides, comma-separated: disabled-child-allowance, \
                     survivor-child-allowance",
                )
                .default("disabled-child-allowance,survivor-child-allowance"),
            )
            .config(
                ConfigParam::integer(
                    SCHEDULE_MONTHS,
                    "Months of payments listed in an assignment's schedule",
                )
                .default(12)
                .range(1, 36),
            )
            .config(
                ConfigParam::integer(PAYMENT_DAY, "Day of the month each payment is due")
                    .default(25)
                    .range(1, 28),
            )
            .parameter(
                Parameter::new(
                    AGE_LIMIT,
                    "Age in whole years at which the allowances end; an application on or \
                     after that birthday is denied",
                )
                .value_from(ymd(2005, 1, 1), 18.0, "years", LAW),
            )
            .parameter(
                Parameter::new(
                    Measure::DisabledChild.amount_parameter(),
                    "Monthly social allowance for a disabled child",
                )
                .value_from(ymd(2019, 1, 1), 3064.0, schedule::AMOUNT_UNIT, LAW)
                .value_from(
                    ymd(2026, 1, 1),
                    3187.0,
                    schedule::AMOUNT_UNIT,
                    &format!("{LAW}; индексация с 01.01.2026"),
                ),
            )
            .parameter(
                Parameter::new(
                    Measure::SurvivorChild.amount_parameter(),
                    "Monthly social allowance for a child who lost a breadwinner",
                )
                .value_from(ymd(2019, 1, 1), 1826.0, schedule::AMOUNT_UNIT, LAW)
                .value_from(
                    ymd(2026, 1, 1),
                    1899.0,
                    schedule::AMOUNT_UNIT,
                    &format!("{LAW}; индексация с 01.01.2026"),
                ),
            )
    }

    fn decide(
        _ctx: &RunContext,
        application: &Application,
        answers: &[SmevAnswer],
    ) -> Result<Outcome, PluginError> {
        let measure = measure_of(application)?;
        let applied_on = date_of(application.submitted);
        let form = form::read(application, measure, applied_on)?;
        let mut trace = application_trace(application, measure, applied_on, &form);
        let mut reasons = Vec::new();

        // What the application alone decides: no agency is asked about a child too old.
        let comes_of_age = coming_of_age(measure, &form, applied_on, &mut trace, &mut reasons)?;
        if let ChildStatus::Disabled {
            until: Some(until), ..
        } = form.status
            && until < applied_on
        {
            reasons.push(format!(
                "Инвалидность ребёнку была установлена по {}, и этот срок истёк до подачи \
                 заявления ({}).",
                calendar::russian(until),
                calendar::russian(applied_on)
            ));
        }
        if !reasons.is_empty() {
            return Ok(Outcome::deny(reasons, trace));
        }

        // Ask for what is not answered yet; decide only on all four answers.
        let readings: Vec<_> = REQUESTS
            .iter()
            .map(|r| (r, answers::read(r, application, answers)))
            .collect();
        let missing: Vec<SmevQuery> = readings
            .iter()
            .filter(|(_, reading)| *reading == Reading::Unanswered)
            .map(|(request, _)| request.query(application))
            .collect();
        if !missing.is_empty() {
            return Ok(Outcome::need(missing));
        }
        let ours = answers
            .iter()
            .filter(|a| {
                REQUESTS
                    .iter()
                    .any(|r| r.query(application).is_answered_by(a))
            })
            .count();
        if ours < answers.len() {
            log::info(&format!(
                "application {}: {} answers answer no request of this rule and are not read",
                application.id,
                answers.len() - ours
            ));
        }

        for (request, reading) in &readings {
            answers::evaluate(request, reading, &mut trace, &mut reasons);
        }
        if !reasons.is_empty() {
            return Ok(Outcome::deny(reasons, trace));
        }

        let end = assignment_end(&form, comes_of_age, &mut trace);
        let terms = schedule_terms()?;
        trace.push(TraceStep::new(
            "schedule-months",
            terms.months,
            &format!("config:{SCHEDULE_MONTHS}"),
        ));
        let assignment = schedule::assignment(measure, applied_on, end, terms, &mut trace)?;
        Ok(Outcome::approve(assignment, trace))
    }
}

/// The measure applied for, if this rule decides it and the region enabled it for this rule.
fn measure_of(application: &Application) -> Result<Measure, PluginError> {
    let enabled = enabled_measures()?;
    match Measure::from_code(application.measure.trim()) {
        Some(m) if enabled.contains(&m) => Ok(m),
        Some(m) => Err(PluginError::invalid_data(format!(
            "application {}: measure `{}` is not enabled for this rule (configuration key \
             `{MEASURES}`)",
            application.id,
            m.code()
        ))),
        None => Err(PluginError::invalid_data(format!(
            "application {}: measure `{}` is not decided by this rule; it decides {}",
            application.id,
            application.measure,
            known_measures()
        ))),
    }
}

/// The measures listed in the `measures` key; an unknown one or an empty list is refused.
fn enabled_measures() -> Result<Vec<Measure>, PluginError> {
    let listed = config::text(MEASURES)?;
    let mut measures = Vec::new();
    for code in listed.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let measure = Measure::from_code(code).ok_or_else(|| {
            PluginError::invalid_config(format!(
                "`{MEASURES}`: `{code}` is not a measure this rule decides; it decides {}",
                known_measures()
            ))
        })?;
        measures.push(measure);
    }
    if measures.is_empty() {
        return Err(PluginError::invalid_config(format!(
            "`{MEASURES}` lists no measure; list one or more of {}",
            known_measures()
        )));
    }
    Ok(measures)
}

fn known_measures() -> String {
    Measure::ALL.map(Measure::code).join(", ")
}

fn schedule_terms() -> Result<ScheduleTerms, PluginError> {
    // The host keeps both keys within their declared ranges (1..=36, 1..=28).
    let months = config::integer(SCHEDULE_MONTHS)?;
    let day = config::integer(PAYMENT_DAY)?;
    Ok(ScheduleTerms {
        months: u32::try_from(months)
            .map_err(|_| PluginError::invalid_config(format!("`{SCHEDULE_MONTHS}` is {months}")))?,
        payment_day: u8::try_from(day)
            .map_err(|_| PluginError::invalid_config(format!("`{PAYMENT_DAY}` is {day}")))?,
    })
}

/// The fields and facts of the application the decision rests on.
fn application_trace(
    application: &Application,
    measure: Measure,
    applied_on: Date,
    form: &Form,
) -> Vec<TraceStep> {
    let field = |name: &str| format!("application.fields.{name}");
    let channel = match application.channel {
        Channel::Portal => "portal",
        Channel::Mfc => "mfc",
        Channel::Office => "office",
    };
    let mut trace = vec![
        TraceStep::new("measure", measure.code(), "application.measure"),
        TraceStep::new(
            "application-date",
            calendar::iso(applied_on),
            "application.submitted",
        ),
        TraceStep::new("application-channel", channel, "application.channel"),
        TraceStep::new(
            form::CHILD_BIRTH_DATE,
            calendar::iso(form.child_birth),
            &field(form::CHILD_BIRTH_DATE),
        ),
        TraceStep::new(
            form::CHILD_SNILS,
            &form.child_snils,
            &field(form::CHILD_SNILS),
        ),
    ];
    match form.status {
        ChildStatus::Disabled { established, until } => {
            trace.push(TraceStep::new(
                form::CHILD_DISABILITY_ESTABLISHED,
                calendar::iso(established),
                &field(form::CHILD_DISABILITY_ESTABLISHED),
            ));
            trace.push(TraceStep::new(
                form::CHILD_DISABILITY_UNTIL,
                until.map_or("until the child comes of age".to_string(), calendar::iso),
                &field(form::CHILD_DISABILITY_UNTIL),
            ));
        }
        ChildStatus::Survivor { breadwinner_died } => trace.push(TraceStep::new(
            form::BREADWINNER_DEATH_DATE,
            calendar::iso(breadwinner_died),
            &field(form::BREADWINNER_DEATH_DATE),
        )),
    }
    trace
}

export_eligibility_rule!(YugraChildAllowance);
