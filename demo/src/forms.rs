//! Application forms of the demo region: the fields a citizen fills in for the Yugra child
//! allowances, so that an eligibility rule has something to decide. Most forms are complete
//! and valid; a few carry the mistakes real forms do (a wrong SNILS check number, a missing
//! date), which a rule must send to a specialist rather than deny.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use time::OffsetDateTime;

use zemstvo_core::capabilities::data::Entity;
use zemstvo_core::region::{Cell, InMemoryRegion};

use super::DAY;

/// The measures whose applications carry a form in the demo.
pub const FORM_MEASURES: &[&str] = &["disabled-child-allowance", "survivor-child-allowance"];

/// One application's form fields, by field name.
pub type Form = Vec<(String, String)>;

/// The forms of the region's applications for [`FORM_MEASURES`], by application id. The same
/// region and seed give the same forms.
pub fn application_forms(region: &InMemoryRegion, seed: u64) -> Vec<(u64, Form)> {
    let table = region.table(Entity::Applications);
    let column = |name: &str| {
        Entity::Applications
            .schema()
            .columns
            .iter()
            .position(|c| c.name == name)
            .expect("the applications schema has the column")
    };
    let (id_col, measure_col, submitted_col) =
        (column("id"), column("measure"), column("submitted_at"));
    let mut forms = Vec::new();
    for row in 0..table.len() {
        let (Cell::U64(id), Cell::Text(measure), Cell::S64(submitted)) = (
            table.cell(id_col, row),
            table.cell(measure_col, row),
            table.cell(submitted_col, row),
        ) else {
            continue;
        };
        if FORM_MEASURES.contains(&measure) {
            forms.push((
                id,
                form(
                    measure,
                    submitted,
                    seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ),
            ));
        }
    }
    forms
}

fn form(measure: &str, submitted: i64, seed: u64) -> Form {
    let mut rng = StdRng::seed_from_u64(seed);
    // Children from a few months to nineteen years old: a few have already come of age.
    let birth = submitted - rng.random_range(120..19 * 365) * DAY;
    let broken_snils = rng.random_bool(0.02);
    let mut fields = vec![
        ("child-birth-date".to_string(), date(birth)),
        ("child-snils".to_string(), snils(&mut rng, broken_snils)),
    ];
    match measure {
        "disabled-child-allowance" => {
            let established = rng.random_range(birth..submitted);
            fields.push(("child-disability-established".into(), date(established)));
            if rng.random_bool(0.4) {
                // A disability established for a term; a few terms have already run out.
                let until = established + rng.random_range(365..5 * 365) * DAY;
                fields.push(("child-disability-until".into(), date(until)));
            }
        }
        _ => {
            if !rng.random_bool(0.02) {
                let death = rng.random_range(birth..submitted);
                fields.push(("breadwinner-death-date".into(), date(death)));
            }
        }
    }
    fields.sort();
    fields
}

fn date(unix: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(unix)
        .expect("demo dates are in range")
        .date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A SNILS `XXX-XXX-XXX YY` with a correct check number, or a wrong one when `broken`.
fn snils(rng: &mut StdRng, broken: bool) -> String {
    let number: u32 = rng.random_range(2_000_000..999_999_999);
    let digits: Vec<u32> = format!("{number:09}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (9 - i as u32))
        .sum();
    let check = match sum % 101 {
        100 => 0,
        c => c,
    };
    let check = if broken { (check + 1) % 100 } else { check };
    format!(
        "{:03}-{:03}-{:03} {check:02}",
        number / 1_000_000,
        number / 1_000 % 1_000,
        number % 1_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoScale, demo_region};

    #[test]
    fn snils_check_numbers_follow_the_pension_fund_rule() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let s = snils(&mut rng, false);
            let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
            let sum: u32 = digits[..9]
                .iter()
                .enumerate()
                .map(|(i, d)| d * (9 - i as u32))
                .sum();
            let expected = match sum {
                0..100 => sum,
                100 | 101 => 0,
                _ => match sum % 101 {
                    100 => 0,
                    c => c,
                },
            };
            assert_eq!(digits[9] * 10 + digits[10], expected, "{s}");
        }
        // The reference value from the Pension Fund's description.
        let digits = [1, 1, 2, 2, 3, 3, 4, 4, 5];
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| d * (9 - i as u32))
            .sum();
        assert_eq!(sum % 101, 95);
    }

    #[test]
    fn forms_cover_the_child_allowances_and_are_stable() {
        let region = demo_region(DemoScale::SMALL, 7, 1_795_413_600);
        let forms = application_forms(&region, 7);
        assert!(forms.len() > 100, "{}", forms.len());
        assert_eq!(forms, application_forms(&region, 7));
        for (_, form) in &forms {
            assert!(form.iter().any(|(k, _)| k == "child-birth-date"));
            assert!(form.iter().any(|(k, _)| k == "child-snils"));
        }
    }
}
