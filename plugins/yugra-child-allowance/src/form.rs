//! The application as the portal (or an MFC) sends it: the measure applied for and the form's
//! fields. A form the rule cannot read is not the citizen's fault — a portal form that lets an
//! empty birth date through is broken — so it is `invalid_data` naming the field, and the run's
//! failure puts the application in front of a specialist instead of denying it.

use zemstvo_sdk::PluginError;
use zemstvo_sdk::eligibility::Application;
use zemstvo_sdk::time::Date;

use crate::calendar::{self, parse_iso};

/// The child's date of birth, `YYYY-MM-DD`. Required.
pub const CHILD_BIRTH_DATE: &str = "child-birth-date";
/// The child's SNILS, `XXX-XXX-XXX YY` (or 11 digits). Required; its check number must hold.
pub const CHILD_SNILS: &str = "child-snils";
/// Disabled children: the date the category "disabled child" was established (the medical and
/// social examination's decision), `YYYY-MM-DD`. Required for `disabled-child-allowance`.
pub const CHILD_DISABILITY_ESTABLISHED: &str = "child-disability-established";
/// Disabled children: the last day of the period the disability is established for (the next
/// re-examination), `YYYY-MM-DD`. Optional: absent or empty when it is established until the
/// child comes of age.
pub const CHILD_DISABILITY_UNTIL: &str = "child-disability-until";
/// Children who lost a breadwinner: the breadwinner's date of death (from the death record),
/// `YYYY-MM-DD`. Required for `survivor-child-allowance`.
pub const BREADWINNER_DEATH_DATE: &str = "breadwinner-death-date";

/// The measures this rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// «Ежемесячное социальное пособие на детей-инвалидов».
    DisabledChild,
    /// «Ежемесячное социальное пособие на детей, потерявших кормильца».
    SurvivorChild,
}

impl Measure {
    pub const ALL: [Measure; 2] = [Measure::DisabledChild, Measure::SurvivorChild];

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The measure's code in applications and assignments.
    pub fn code(self) -> &'static str {
        match self {
            Measure::DisabledChild => "disabled-child-allowance",
            Measure::SurvivorChild => "survivor-child-allowance",
        }
    }

    /// The effective-dated parameter holding the measure's monthly amount.
    pub fn amount_parameter(self) -> &'static str {
        match self {
            Measure::DisabledChild => "disabled-child-allowance-amount",
            Measure::SurvivorChild => "survivor-child-allowance-amount",
        }
    }

    /// The measure's name as the citizen reads it in a decision.
    pub fn title(self) -> &'static str {
        match self {
            Measure::DisabledChild => "ежемесячное социальное пособие на детей-инвалидов",
            Measure::SurvivorChild => {
                "ежемесячное социальное пособие на детей, потерявших кормильца"
            }
        }
    }
}

/// What makes the child eligible for the measure, as the form states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildStatus {
    Disabled {
        established: Date,
        /// Inclusive; `None` when established until the child comes of age.
        until: Option<Date>,
    },
    Survivor {
        breadwinner_died: Date,
    },
}

/// The form, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub child_birth: Date,
    /// Normalised to `XXX-XXX-XXX YY`.
    pub child_snils: String,
    pub status: ChildStatus,
}

/// Reads the fields `measure` needs; `applied_on` is the application's date, which no date of
/// the form may follow.
pub fn read(
    application: &Application,
    measure: Measure,
    applied_on: Date,
) -> Result<Form, PluginError> {
    let fields = Fields { application };
    let child_birth = fields.past_date(CHILD_BIRTH_DATE, applied_on)?;
    let child_snils = fields.required(CHILD_SNILS)?;
    let child_snils = normalise_snils(child_snils).ok_or_else(|| {
        fields.invalid(
            CHILD_SNILS,
            &format!(
                "`{child_snils}` is not a valid SNILS (11 digits with a matching check number)"
            ),
        )
    })?;
    let status = match measure {
        Measure::DisabledChild => {
            let established = fields.past_date(CHILD_DISABILITY_ESTABLISHED, applied_on)?;
            if established < child_birth {
                return Err(fields.invalid(
                    CHILD_DISABILITY_ESTABLISHED,
                    "is before the child's date of birth",
                ));
            }
            let until = fields.optional_date(CHILD_DISABILITY_UNTIL)?;
            if until.is_some_and(|until| until < established) {
                return Err(fields.invalid(
                    CHILD_DISABILITY_UNTIL,
                    &format!("is before `{CHILD_DISABILITY_ESTABLISHED}`"),
                ));
            }
            ChildStatus::Disabled { established, until }
        }
        Measure::SurvivorChild => ChildStatus::Survivor {
            breadwinner_died: fields.past_date(BREADWINNER_DEATH_DATE, applied_on)?,
        },
    };
    Ok(Form {
        child_birth,
        child_snils,
        status,
    })
}

/// The form's fields, with errors that name the application and the field.
struct Fields<'a> {
    application: &'a Application,
}

impl Fields<'_> {
    fn invalid(&self, field: &str, what: &str) -> PluginError {
        PluginError::invalid_data(format!(
            "application {}: field `{field}` {what}",
            self.application.id
        ))
    }

    /// A field's trimmed text; `None` when it is absent or blank.
    fn text(&self, field: &str) -> Option<&str> {
        self.application
            .field(field)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, field: &str) -> Result<&str, PluginError> {
        match self.application.field(field) {
            None => Err(self.invalid(field, "is missing")),
            Some(_) => self
                .text(field)
                .ok_or_else(|| self.invalid(field, "is empty")),
        }
    }

    fn date(&self, field: &str, text: &str) -> Result<Date, PluginError> {
        parse_iso(text).ok_or_else(|| {
            self.invalid(field, &format!("`{text}` is not a date written YYYY-MM-DD"))
        })
    }

    /// A required date no later than `applied_on`.
    fn past_date(&self, field: &str, applied_on: Date) -> Result<Date, PluginError> {
        let date = self.date(field, self.required(field)?)?;
        if date > applied_on {
            return Err(self.invalid(
                field,
                &format!(
                    "({}) is after the application's date ({})",
                    calendar::iso(date),
                    calendar::iso(applied_on)
                ),
            ));
        }
        Ok(date)
    }

    fn optional_date(&self, field: &str) -> Result<Option<Date>, PluginError> {
        self.text(field).map(|t| self.date(field, t)).transpose()
    }
}

/// A SNILS as `XXX-XXX-XXX YY` if it is 11 digits (spaces and dashes aside) whose last two are
/// the check number of the first nine; `None` otherwise. The check number is the sum of the
/// digits weighted 9 down to 1, taken modulo 101, with 100 written `00`; numbers up to
/// 001-001-998 were issued before the check was introduced and carry none.
pub fn normalise_snils(text: &str) -> Option<String> {
    let digits: Vec<u32> = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| {
            if c.is_ascii_digit() {
                c.to_digit(10)
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    if digits.len() != 11 {
        return None;
    }
    let number = digits[..9].iter().fold(0u32, |n, d| n * 10 + d);
    let check = digits[9] * 10 + digits[10];
    if number > 1_001_998 {
        let sum: u32 = digits[..9]
            .iter()
            .zip((1..=9).rev())
            .map(|(d, weight)| d * weight)
            .sum();
        if check != sum % 101 % 100 {
            return None;
        }
    }
    let s: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    Some(format!(
        "{}-{}-{} {}",
        &s[0..3],
        &s[3..6],
        &s[6..9],
        &s[9..11]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snils_check_numbers_are_verified() {
        assert_eq!(
            normalise_snils("112-233-445 95").as_deref(),
            Some("112-233-445 95")
        );
        assert_eq!(
            normalise_snils("11223344595").as_deref(),
            Some("112-233-445 95")
        );
        assert_eq!(normalise_snils("112-233-445 96"), None);
        assert_eq!(normalise_snils("112-233-445"), None);
        assert_eq!(normalise_snils("112-233-445 9a"), None);
        // Weighted sums of 100 and 101 give the check number 00; 102 gives 01.
        assert!(normalise_snils("920-000-003 00").is_some());
        assert!(normalise_snils("920-001-000 00").is_some());
        assert!(normalise_snils("920-000-005 01").is_some());
        assert_eq!(normalise_snils("920-000-005 02"), None);
        // Early numbers carry no check.
        assert!(normalise_snils("001-001-998 42").is_some());
    }
}
