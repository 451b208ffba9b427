//! What an approval assigns: the monthly amount in force, the period, and the payment schedule.
//!
//! Amounts are effective-dated parameters, never literals: when the region indexes the
//! allowance from 1 January, the administrator adds an entry and every decision from that day
//! uses it — the plugin is not rebuilt. Each month of the schedule is paid at the amount in
//! force in that month, so a schedule that crosses an indexation shows it.

use zemstvo_sdk::PluginError;
use zemstvo_sdk::config;
use zemstvo_sdk::eligibility::{Assignment, Payment, TraceStep};
use zemstvo_sdk::time::{Date, midnight};

use crate::calendar::{self, day_of_month, first_of_month, last_of_month, months_after};
use crate::form::Measure;

/// The unit every amount parameter is kept in.
pub const AMOUNT_UNIT: &str = "RUB/month";

/// How the schedule is laid out (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct ScheduleTerms {
    /// Months listed in the schedule, starting with the month of the application.
    pub months: u32,
    /// Day of the month each month's payment is due. The schedule is the accrual calendar: a
    /// month whose payment day passed before the decision (often the month of the
    /// application) keeps that day, and the next payment run pays it as overdue.
    pub payment_day: u8,
}

/// An amount in force on a date, read from the measure's parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub kopecks: i64,
    pub effective_from: Date,
    pub legal_basis: String,
}

/// The measure's monthly amount in force on `on`. An entry the plugin cannot use (another unit,
/// a negative or absurd value) is a configuration error naming the parameter.
pub fn amount_on(measure: Measure, on: Date) -> Result<Amount, PluginError> {
    let name = measure.amount_parameter();
    let entry = config::parameter(name, midnight(on))?;
    let from = calendar::iso(zemstvo_sdk::time::date_of(entry.effective_from));
    if entry.unit != AMOUNT_UNIT {
        return Err(PluginError::invalid_config(format!(
            "parameter `{name}` (from {from}) is in `{}`; amounts are kept in `{AMOUNT_UNIT}`",
            entry.unit
        )));
    }
    // A million roubles a month is no social allowance: a typo, most likely kopecks.
    if !(0.0..=1_000_000.0).contains(&entry.value) {
        return Err(PluginError::invalid_config(format!(
            "parameter `{name}` (from {from}) is {} {AMOUNT_UNIT}; expected 0 to 1000000",
            entry.value
        )));
    }
    Ok(Amount {
        kopecks: (entry.value * 100.0).round() as i64,
        effective_from: zemstvo_sdk::time::date_of(entry.effective_from),
        legal_basis: entry.legal_basis,
    })
}

/// The assignment from the application's date to `end` (inclusive): it starts on the first day
/// of the month of the application and is paid month by month for `terms.months` months or
/// until `end`, whichever comes first. The amount of the first month is the one in force on
/// the application's date (the assignment's monthly amount); each later month's is the one in
/// force on its first day. A last month cut short by `end` is paid for its days.
pub fn assignment(
    measure: Measure,
    applied_on: Date,
    end: Date,
    terms: ScheduleTerms,
    trace: &mut Vec<TraceStep>,
) -> Result<Assignment, PluginError> {
    let parameter = format!("parameter:{}", measure.amount_parameter());
    let monthly = amount_on(measure, applied_on)?;
    trace.push(TraceStep::new(
        "monthly-amount",
        format!("{} {AMOUNT_UNIT}", rubles(monthly.kopecks)),
        &parameter,
    ));
    trace.push(TraceStep::new(
        "monthly-amount-legal-basis",
        format!(
            "{} (in force from {})",
            monthly.legal_basis,
            calendar::iso(monthly.effective_from)
        ),
        &parameter,
    ));

    let start = first_of_month(applied_on);
    let mut payments = Vec::new();
    let mut current = monthly.clone();
    for i in 0..terms.months {
        let Some(month) = months_after(start, i).filter(|m| *m <= end) else {
            break;
        };
        if i > 0 {
            let amount = amount_on(measure, month)?;
            if amount.effective_from != current.effective_from {
                trace.push(TraceStep::new(
                    &format!(
                        "monthly-amount-from-{}",
                        calendar::iso(amount.effective_from)
                    ),
                    format!(
                        "{} {AMOUNT_UNIT} ({})",
                        rubles(amount.kopecks),
                        amount.legal_basis
                    ),
                    &parameter,
                ));
                current = amount;
            }
        }
        let last = last_of_month(month);
        let amount = if end < last {
            let paid = prorated(current.kopecks, end.day(), last.day());
            trace.push(TraceStep::new(
                "last-month-prorated",
                format!(
                    "{} of {} days of {}: {} RUB",
                    end.day(),
                    last.day(),
                    &calendar::iso(month)[..7],
                    rubles(paid)
                ),
                "calculated",
            ));
            paid
        } else {
            current.kopecks
        };
        payments.push(Payment {
            due: midnight(day_of_month(month, terms.payment_day)),
            amount,
        });
    }

    let total: i64 = payments.iter().map(|p| p.amount).sum();
    trace.push(TraceStep::new(
        "assignment-start",
        calendar::iso(start),
        "calculated: first day of the month of the application",
    ));
    trace.push(TraceStep::new(
        "payments",
        format!(
            "{} monthly payments due on day {} from {}, {} RUB in all",
            payments.len(),
            terms.payment_day,
            &calendar::iso(start)[..7],
            rubles(total)
        ),
        "calculated",
    ));
    Ok(Assignment {
        measure: measure.code().to_string(),
        monthly_amount: monthly.kopecks,
        start: midnight(start),
        end: Some(midnight(end)),
        payments,
    })
}

/// `kopecks` for `days` of a month of `length` days, rounded half up to the kopeck.
pub fn prorated(kopecks: i64, days: u8, length: u8) -> i64 {
    let (days, length) = (i64::from(days), i64::from(length.max(1)));
    (kopecks * days * 2 + length) / (length * 2)
}

/// Kopecks as roubles with two decimals: `1826.00`.
pub fn rubles(kopecks: i64) -> String {
    format!("{}.{:02}", kopecks / 100, kopecks % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_of_a_month_is_paid_for_its_days() {
        assert_eq!(prorated(182_600, 14, 31), 82_465); // 82 464.52
        assert_eq!(prorated(182_600, 31, 31), 182_600);
        assert_eq!(prorated(182_600, 1, 28), 6_521);
    }

    #[test]
    fn amounts_print_as_roubles_and_kopecks() {
        assert_eq!(rubles(182_600), "1826.00");
        assert_eq!(rubles(82_465), "824.65");
        assert_eq!(rubles(5), "0.05");
    }
}
