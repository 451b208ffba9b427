//! Coming of age: the allowances are paid until the child reaches the age limit, an
//! effective-dated parameter (18 years by the Yugra law), and end the day before that birthday.

use zemstvo_sdk::eligibility::TraceStep;
use zemstvo_sdk::prelude::*;
use zemstvo_sdk::text::count;
use zemstvo_sdk::time::{Date, date_of, midnight};

use crate::calendar;
use crate::form::{self, ChildStatus, Form, Measure};

/// The effective-dated parameter of the age until which the allowances are paid.
pub const AGE_LIMIT: &str = "child-age-limit";

/// The day the child reaches the age limit in force on the application's date; a child who
/// has reached it by then gets a reason to deny.
pub fn coming_of_age(
    measure: Measure,
    form: &Form,
    applied_on: Date,
    trace: &mut Vec<TraceStep>,
    reasons: &mut Vec<String>,
) -> Result<Date, PluginError> {
    let entry = config::parameter(AGE_LIMIT, midnight(applied_on))?;
    let limit = entry.value;
    if entry.unit != "years" || limit.fract() != 0.0 || !(1.0..=30.0).contains(&limit) {
        return Err(PluginError::invalid_config(format!(
            "parameter `{AGE_LIMIT}` is {limit} {}; expected whole years from 1 to 30",
            entry.unit
        )));
    }
    let limit = limit as i32;
    let source = format!("parameter:{AGE_LIMIT}");
    trace.push(TraceStep::new(
        AGE_LIMIT,
        format!(
            "{limit} years ({}, in force from {})",
            entry.legal_basis,
            calendar::iso(date_of(entry.effective_from))
        ),
        &source,
    ));
    let comes_of_age = calendar::anniversary(form.child_birth, limit).ok_or_else(|| {
        PluginError::invalid_data(format!(
            "field `{}`: the child comes of age past the calendar's range",
            form::CHILD_BIRTH_DATE
        ))
    })?;
    let age = calendar::full_years(form.child_birth, applied_on);
    trace.push(TraceStep::new(
        "child-age",
        format!("{age} full years on {}", calendar::iso(applied_on)),
        "calculated: child-birth-date, application-date",
    ));
    trace.push(TraceStep::new(
        "child-comes-of-age",
        calendar::iso(comes_of_age),
        "calculated: child-birth-date, child-age-limit",
    ));
    if applied_on >= comes_of_age {
        reasons.push(format!(
            "На дату подачи заявления ({}) ребёнку исполнилось {} ({}), а {} назначается \
             на детей, не достигших этого возраста.",
            calendar::russian(applied_on),
            // 1 to 30, checked above.
            count(limit as u64, "год", "года", "лет"),
            calendar::russian(comes_of_age),
            measure.title()
        ));
    }
    Ok(comes_of_age)
}

/// The last day of the assignment: the day before the child comes of age, or the last day of
/// the disability period if that is earlier.
pub fn assignment_end(form: &Form, comes_of_age: Date, trace: &mut Vec<TraceStep>) -> Date {
    // `comes_of_age` is after the application's date, so it has a day before it.
    let before_coming_of_age = comes_of_age.previous_day().unwrap_or(comes_of_age);
    let (end, why) = match form.status {
        ChildStatus::Disabled {
            until: Some(until), ..
        } if until < before_coming_of_age => (
            until,
            format!(
                "application.fields.{}: the disability period ends first",
                form::CHILD_DISABILITY_UNTIL
            ),
        ),
        _ => (
            before_coming_of_age,
            "calculated: the day before child-comes-of-age".to_string(),
        ),
    };
    trace.push(TraceStep::new("assignment-end", calendar::iso(end), &why));
    end
}
