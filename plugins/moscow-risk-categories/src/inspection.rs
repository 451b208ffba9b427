//! Inspection tasks: which objects are due, and the task the inspection unit gets for each.
//!
//! The seed's process: the object gets its risk category in the AIS "Real estate control of
//! the city of Moscow", a task goes to the control and inspection unit, then an order
//! (поручение) for the control measure is issued, the measure is carried out and the
//! procedural documents are drawn up. One control measure concerns one object, so the plugin
//! gives **one task per object**, and bounds the run by `max-tasks`, the riskiest objects
//! first. That choice also gives every task a key that stays the same from run to run — the
//! object and the date of its last inspection — so a daily run neither repeats a task nor
//! loses one when objects are added or regrouped, which a task grouping several objects could
//! not promise. The objects beyond the cap wait for a later run: by then the riskiest ones have
//! been inspected, and their tasks done.

use std::collections::HashMap;

use zemstvo_sdk::prelude::*;
use zemstvo_sdk::time::{Date, Month, date_of, format_date, midnight};

use crate::categories::CategorySet;
use crate::scoring::Score;
use crate::weights::Factor;

/// Longest address or cadastral number shown (data are not trusted to be short).
const SHOWN_TEXT: usize = 300;

/// An object of a top category whose inspection is due.
#[derive(Debug, Clone)]
pub struct DueObject {
    pub object: u64,
    /// Index into the category set.
    pub category: usize,
    pub score: Score,
    pub due: Due,
}

/// Why an object is due for inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// It has never been inspected.
    NeverInspected,
    /// It was inspected at `last`, and the category's frequency came round at `since`.
    Since { last: Timestamp, since: Timestamp },
}

impl Due {
    /// Whether an object inspected at `last` (or never) is due at `now` for a category
    /// inspected every `frequency_months`: it is from the same day of the month
    /// `frequency_months` later. A category without a frequency (`low`) is never due.
    pub fn at(
        now: Timestamp,
        last: Option<Timestamp>,
        frequency_months: Option<u32>,
    ) -> Option<Due> {
        let months = frequency_months?;
        match last {
            None => Some(Due::NeverInspected),
            Some(last) => {
                let since = add_months(last, months)?;
                (since <= now).then_some(Due::Since { last, since })
            }
        }
    }
}

/// `at` moved `months` calendar months on, the day clamped to the month's length (31 January
/// + 1 month = 28 or 29 February). `None` past the calendar's range.
pub fn add_months(at: Timestamp, months: u32) -> Option<Timestamp> {
    let date = date_of(at);
    let time_of_day = at - midnight(date);
    let index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let moved = (0..4)
        .filter_map(|back| {
            Date::from_calendar_date(year, month, date.day().saturating_sub(back)).ok()
        })
        .next()?;
    Some(midnight(moved) + time_of_day)
}

/// What a task shows of an object besides its score.
pub struct ObjectCard {
    pub cadastral_number: String,
    pub address: String,
}

/// The address and cadastral number of the objects that get a task, read by id: only these
/// few need the text columns, so the pass over every object reads numbers only.
pub fn object_cards(ids: &[u64]) -> Result<HashMap<u64, ObjectCard>, PluginError> {
    let columns = [
        inspected_objects::CADASTRAL_NUMBER,
        inspected_objects::ADDRESS,
    ];
    let cards = inspected_objects::by_id(ids.iter().copied(), &columns, |row| ObjectCard {
        cadastral_number: clip(row.cadastral_number()),
        address: clip(row.address()),
    })?;
    Ok(cards)
}

/// The inspection unit head's task for one due object.
pub fn inspection_task(
    ctx: &RunContext,
    head: u64,
    due: &DueObject,
    card: Option<&ObjectCard>,
    categories: &CategorySet,
    due_in_days: i64,
) -> Task {
    let category = categories.get(due.category);
    let (cadastral, address) = match card {
        Some(c) => (c.cadastral_number.as_str(), c.address.as_str()),
        None => ("(не указан)", "(не указан)"),
    };
    // The object and its inspection cycle: the same on every run until it is inspected.
    let cycle = match due.due {
        Due::Since { last, .. } => date_of(last).to_string(),
        Due::NeverInspected => "never".to_string(),
    };

    let mut description = format!(
        "Объект отнесён к категории «{}» риска: {} балла из 100 (расчёт на {}).\n\
         Адрес: {address}\n\
         Кадастровый номер: {cadastral}\n",
        category.label,
        points(due.score.points),
        format_date(ctx.now),
    );
    match due.due {
        Due::Since { last, since } => description.push_str(&format!(
            "Последняя проверка: {}. Для этой категории проверка проводится не реже раза в {} \
             мес.; срок очередной наступил {}.\n",
            format_date(last),
            category.frequency_months.unwrap_or_default(),
            format_date(since)
        )),
        Due::NeverInspected => description.push_str("Объект ни разу не проверялся.\n"),
    }
    description.push_str("\nВклад факторов в балл:\n");
    let mut factors: Vec<(Factor, f64)> = Factor::ALL
        .into_iter()
        .map(|f| (f, due.score.contributions[f.code()]))
        .filter(|(_, c)| *c > 0.0)
        .collect();
    factors.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (factor, contribution) in &factors {
        let note = match (factor, due.due) {
            (Factor::TimeSinceInspection, Due::NeverInspected) => " (не проверялся)",
            _ => "",
        };
        description.push_str(&format!(
            "  • {}{note}: {}\n",
            factor.label(),
            points(*contribution)
        ));
    }
    if factors.is_empty() {
        description.push_str("  • факторов риска нет\n");
    }

    Task::new(
        format!("moscow-risk-categories/{}/{cycle}", due.object),
        head,
        format!(
            "Провести контрольное мероприятие: кад. № {cadastral}, {} риск",
            category.label
        ),
    )
    .description(description)
    .record(Entity::InspectedObjects, due.object)
    .step(
        "Проведите камеральный анализ объекта: снимки БПЛА и находки ИИ, обращения граждан, \
         сведения реестров и результаты прошлых проверок",
    )
    .step("Подготовьте поручение на проведение контрольного (надзорного) мероприятия")
    .step("Проведите мероприятие и оформите процессуальные документы по его результатам")
    .step(
        "Внесите дату и результат проверки в АИС «Контроль недвижимости города Москвы» и \
         отметьте задачу выполненной",
    )
    .priority(if due.category == 0 {
        Priority::High
    } else {
        Priority::Normal
    })
    .due(ctx.now + due_in_days * DAY)
}

/// Points with two decimals and a decimal comma, as Russian documents write them: `37,50`.
fn points(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

fn clip(text: &str) -> String {
    if text.chars().count() <= SHOWN_TEXT {
        text.to_string()
    } else {
        let mut clipped: String = text.chars().take(SHOWN_TEXT).collect();
        clipped.push('…');
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10:00 UTC on a day.
    fn at(year: i32, month: u8, day: u8) -> Timestamp {
        let month = Month::try_from(month).unwrap();
        midnight(Date::from_calendar_date(year, month, day).unwrap()) + 10 * HOUR
    }

    #[test]
    fn months_move_on_the_calendar() {
        assert_eq!(add_months(at(2025, 11, 23), 12), Some(at(2026, 11, 23)));
        assert_eq!(add_months(at(2026, 1, 31), 1), Some(at(2026, 2, 28)));
        assert_eq!(add_months(at(2023, 12, 31), 2), Some(at(2024, 2, 29)));
        assert_eq!(add_months(at(2026, 3, 15), 60), Some(at(2031, 3, 15)));
    }

    #[test]
    fn an_object_is_due_on_the_day_its_frequency_comes_round() {
        let last = at(2025, 11, 23);
        let now = at(2026, 11, 23);
        assert_eq!(
            Due::at(now, Some(last), Some(12)),
            Some(Due::Since { last, since: now })
        );
        assert_eq!(Due::at(now - 1, Some(last), Some(12)), None);
        assert_eq!(Due::at(now, None, Some(12)), Some(Due::NeverInspected));
        assert_eq!(Due::at(now, None, None), None, "low is never due");
    }
}
