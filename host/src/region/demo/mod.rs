//! The demo region: deterministic synthetic data shaped like the seeds' Lipetsk region.
//!
//! The same seed always yields the same records, so the demo prints the same tasks on every
//! machine and a rerun can be compared with the first run. SMEV requests follow the ISU
//! dashboard's December 2022 figures: agencies in proportion to their request volumes, answer
//! times drawn around each agency's mean.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

mod forms;
mod names;

pub use forms::{FORM_MEASURES, Form, application_forms};
use names::*;

use super::InMemoryRegion;
use super::table::{Cell, Table};
use crate::capabilities::data::Entity;

/// How big a demo region to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoScale {
    pub units: u64,
    /// Specialists per unit (each unit also has a manager).
    pub specialists_per_unit: u64,
    pub citizens: u64,
    pub applications: u64,
    pub visits: u64,
    pub inspected_objects: u64,
}

impl DemoScale {
    /// Small enough to print: the README's first command.
    pub const SMALL: DemoScale = DemoScale {
        units: 4,
        specialists_per_unit: 6,
        citizens: 600,
        applications: 800,
        visits: 400,
        inspected_objects: 200,
    };

    /// The seeds' scale: hundreds of employees, tens of thousands of applications.
    pub const SEED: DemoScale = DemoScale {
        units: 30,
        specialists_per_unit: 9,
        citizens: 40_000,
        applications: 60_000,
        visits: 30_000,
        inspected_objects: 3_000,
    };
}

/// SMEV agencies with their December 2022 volumes and mean answer times in days (ISU seed).
pub const AGENCY_PROFILE: &[(&str, u64, f64)] = &[
    ("fns", 146_295, 1.34),
    ("pfr", 130_310, 0.14),
    ("mvd", 93_156, 1.7),
    ("zags", 51_756, 0.1),
    ("rosreestr", 45_348, 1.05),
    ("fss", 33_295, 0.17),
    ("municipality", 22_881, 0.23),
    ("gis-zhkh", 119, 0.13),
];

const KINDS: &[(&str, &str)] = &[
    ("fns", "income"),
    ("pfr", "pension-fact"),
    ("mvd", "residence-registration"),
    ("zags", "birth-record"),
    ("rosreestr", "property"),
    ("fss", "benefits"),
    ("municipality", "family-composition"),
    ("gis-zhkh", "utility-debt"),
];

/// Lipetsk city centre; citizens and objects are placed around it.
const CENTRE: (f64, f64) = (52.6088, 39.5992);

const DAY: i64 = 86_400;

/// Builds a demo region in memory. `now` is the region's logical time.
pub fn demo_region(scale: DemoScale, seed: u64, now: i64) -> InMemoryRegion {
    let mut tables: Vec<Table> = Entity::ALL.iter().map(|&e| Table::new(e)).collect();
    generate(scale, seed, now, &mut |entity, row| {
        tables[entity as usize]
            .push(row)
            .expect("the generator writes rows that fit the schema");
    });
    InMemoryRegion::new("lipetsk-demo", Some(now), tables)
}

/// Generates the demo region's rows, entity by entity, in key order, into `sink`. Referenced
/// records always come before the records that reference them.
pub fn generate(scale: DemoScale, seed: u64, now: i64, sink: &mut dyn FnMut(Entity, &[Cell<'_>])) {
    let mut rng = StdRng::seed_from_u64(seed);
    let staff = staff(scale, &mut rng, sink);
    let homes = citizens(scale, &mut rng, sink);
    applications(scale, now, &staff, &mut rng, sink);
    visits(scale, now, &staff, &homes, &mut rng, sink);
    objects(scale, now, &mut rng, sink);
}

/// Ids of employees by role, for assigning work.
struct Staff {
    specialists: Vec<u64>,
    social_workers: Vec<u64>,
}

fn person(rng: &mut StdRng) -> String {
    let female = rng.random_bool(0.7);
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let (name, patronymic) = if female {
        let p = PATRONYMICS[rng.random_range(0..PATRONYMICS.len())].1;
        (FEMALE_NAMES[rng.random_range(0..FEMALE_NAMES.len())], p)
    } else {
        let p = PATRONYMICS[rng.random_range(0..PATRONYMICS.len())].0;
        (MALE_NAMES[rng.random_range(0..MALE_NAMES.len())], p)
    };
    let surname = if female {
        format!("{surname}а")
    } else {
        surname.to_string()
    };
    format!("{surname} {name} {patronymic}")
}

fn staff(scale: DemoScale, rng: &mut StdRng, sink: &mut dyn FnMut(Entity, &[Cell<'_>])) -> Staff {
    let per_unit = scale.specialists_per_unit + 1;
    for u in 0..scale.units {
        let name = format!(
            "{} № {}",
            UNIT_NAMES[(u % UNIT_NAMES.len() as u64) as usize],
            u / UNIT_NAMES.len() as u64 + 1
        );
        let head = 1 + u * per_unit;
        sink(
            Entity::Units,
            &[
                Cell::U64(u + 1),
                Cell::Text(&name),
                Cell::Absent,
                Cell::U64(head),
            ],
        );
    }
    let mut staff = Staff {
        specialists: Vec::new(),
        social_workers: Vec::new(),
    };
    for u in 0..scale.units {
        let home_care = u % UNIT_NAMES.len() as u64 == 1;
        let manager = 1 + u * per_unit;
        for k in 0..per_unit {
            let id = manager + k;
            let name = person(rng);
            let (role, load) = match (k, home_care) {
                (0, _) => ("manager", 0),
                (_, true) => ("social-worker", 60 + rng.random_range(0..30)),
                (_, false) => ("specialist", 100 + rng.random_range(0..60)),
            };
            let active = k == 0 || rng.random_bool(0.97);
            sink(
                Entity::Employees,
                &[
                    Cell::U64(id),
                    Cell::U64(u + 1),
                    Cell::Text(&name),
                    Cell::Text(role),
                    if k == 0 {
                        Cell::Absent
                    } else {
                        Cell::U64(manager)
                    },
                    Cell::U32(load),
                    Cell::Flag(active),
                ],
            );
            if k > 0 && active {
                if home_care {
                    staff.social_workers.push(id);
                } else {
                    staff.specialists.push(id);
                }
            }
        }
    }
    staff
}

fn jitter(rng: &mut StdRng, spread: f64) -> f64 {
    rng.random_range(-spread..spread)
}

/// Generates the citizens and returns where each lives (index = id - 1), geocoded or not, so
/// that home-care visits can be placed at the residence.
fn citizens(
    scale: DemoScale,
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) -> Vec<(f64, f64)> {
    let mut homes = Vec::with_capacity(scale.citizens as usize);
    for id in 1..=scale.citizens {
        let name = person(rng);
        let district = DISTRICTS[rng.random_range(0..DISTRICTS.len())];
        let address = format!(
            "Липецк, {}, д. {}, кв. {}",
            STREETS[rng.random_range(0..STREETS.len())],
            rng.random_range(1..120),
            rng.random_range(1..200)
        );
        // One in fifty addresses was never geocoded.
        let located = rng.random_bool(0.98);
        let (lat, lon) = (CENTRE.0 + jitter(rng, 0.06), CENTRE.1 + jitter(rng, 0.1));
        homes.push((lat, lon));
        let phone = format!(
            "+7 4742 {:02}-{:02}-{:02}",
            rng.random_range(10..99),
            rng.random_range(10..99),
            rng.random_range(10..99)
        );
        let email = format!("citizen{id}@example.ru");
        let snils = format!(
            "{:03}-{:03}-{:03} {:02}",
            rng.random_range(0..1000),
            rng.random_range(0..1000),
            rng.random_range(0..1000),
            rng.random_range(0..100)
        );
        let birth = -(rng.random_range(0..80 * 365) as i64) * DAY + 30 * 365 * DAY;
        sink(
            Entity::Citizens,
            &[
                Cell::U64(id),
                located.then_some(lat).map_or(Cell::Absent, Cell::F64),
                located.then_some(lon).map_or(Cell::Absent, Cell::F64),
                rng.random_bool(0.05)
                    .then_some(150.0)
                    .map_or(Cell::Absent, Cell::F64),
                Cell::Flag(rng.random_bool(0.8)),
                Cell::Text(district),
                Cell::Text(&name),
                Cell::Text(&address),
                rng.random_bool(0.9)
                    .then_some(phone.as_str())
                    .map_or(Cell::Absent, Cell::Text),
                rng.random_bool(0.5)
                    .then_some(email.as_str())
                    .map_or(Cell::Absent, Cell::Text),
                Cell::Text(&snils),
                Cell::S64(birth),
            ],
        );
    }
    homes
}

/// An answer time in seconds around the agency's mean (exponential, as queueing delays are).
fn answer_delay(rng: &mut StdRng, mean_days: f64) -> i64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    (-u.ln() * mean_days * DAY as f64) as i64 + 60
}

fn pick_agency(rng: &mut StdRng) -> usize {
    let total: u64 = AGENCY_PROFILE.iter().map(|a| a.1).sum();
    let mut x = rng.random_range(0..total);
    for (i, (_, volume, _)) in AGENCY_PROFILE.iter().enumerate() {
        if x < *volume {
            return i;
        }
        x -= volume;
    }
    0
}

fn applications(
    scale: DemoScale,
    now: i64,
    staff: &Staff,
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) {
    let mut events: Vec<(u64, &'static str, i64, Option<u64>)> = Vec::new();
    let mut smev_id = 0;
    let mut requests = Vec::new();
    for id in 1..=scale.applications {
        let citizen = rng.random_range(1..=scale.citizens.max(1));
        let submitted = now - rng.random_range(0..60) * DAY - rng.random_range(0..DAY);
        let channel = match rng.random_range(0..10) {
            0..6 => "portal",
            6..9 => "mfc",
            _ => "office",
        };
        let measure = MEASURES[rng.random_range(0..MEASURES.len())];
        let number = format!("48-{}-{id:06}", 2026);
        let deadline = submitted + 14 * DAY;
        // Applications for the allowances a rule decides "without an official" wait for the
        // rule in their first week, not for a specialist.
        let awaits_rule = FORM_MEASURES.contains(&measure) && now - submitted < 7 * DAY;
        // Most applications are assigned within hours; some wait; a few are never taken.
        let assignee = (!awaits_rule && !staff.specialists.is_empty() && rng.random_bool(0.95))
            .then(|| staff.specialists[rng.random_range(0..staff.specialists.len())]);
        let assigned_at = assignee.map(|_| submitted + rng.random_range(1..8) * 3_600);
        let taken_at = assigned_at
            .and_then(|a| {
                rng.random_bool(0.9)
                    .then(|| a + rng.random_range(1..72) * 3_600)
            })
            .filter(|&t| t < now);
        let decided_at = taken_at
            .and_then(|t| {
                rng.random_bool(0.6)
                    .then(|| t + rng.random_range(1..12) * DAY)
            })
            .filter(|&t| t < now);
        let returns = if rng.random_bool(0.02) {
            rng.random_range(1..3)
        } else {
            0
        };
        let status = match (assignee, taken_at, decided_at) {
            (_, _, Some(_)) => "decided",
            (_, Some(_), None) if returns > 0 => "returned",
            (_, Some(_), None) => "in-work",
            (Some(_), None, None) => "assigned",
            (None, _, _) => "registered",
        };
        sink(
            Entity::Applications,
            &[
                Cell::U64(id),
                Cell::Text(&number),
                Cell::U64(citizen),
                Cell::Text(measure),
                Cell::Text(channel),
                Cell::Text(status),
                assignee.map_or(Cell::Absent, Cell::U64),
                Cell::S64(submitted),
                assigned_at.map_or(Cell::Absent, Cell::S64),
                taken_at.map_or(Cell::Absent, Cell::S64),
                Cell::S64(deadline),
                decided_at.map_or(Cell::Absent, Cell::S64),
                Cell::U32(returns),
                Cell::Flag(rng.random_bool(0.053)),
            ],
        );
        events.push((id, "registered", submitted, None));
        if let (Some(a), Some(at)) = (assignee, assigned_at) {
            events.push((id, "assigned", at, Some(a)));
        }
        if let (Some(a), Some(at)) = (assignee, taken_at) {
            events.push((id, "in-work", at, Some(a)));
            // SMEV requests go out once the case is taken into work.
            for _ in 0..rng.random_range(1..=3) {
                smev_id += 1;
                let agency = pick_agency(rng);
                let (code, _, mean) = AGENCY_PROFILE[agency];
                let sent = at + rng.random_range(60..4 * 3_600);
                let answered = sent + answer_delay(rng, mean);
                let rejected = rng.random_bool(0.01);
                requests.push((smev_id, id, code, KINDS[agency].1, sent, answered, rejected));
            }
        }
        if let (Some(a), Some(at)) = (assignee, decided_at) {
            events.push((id, "decided", at, Some(a)));
        }
    }
    for (app, status, at, employee) in events {
        sink(
            Entity::ApplicationEvents,
            &[
                Cell::U64(app),
                Cell::Text(status),
                Cell::S64(at),
                employee.map_or(Cell::Absent, Cell::U64),
            ],
        );
    }
    for (id, app, agency, kind, sent, answered, rejected) in requests {
        let message_id = format!("smev-{id:08}");
        let (status, answered_at, code) = if rejected {
            ("rejected", Cell::S64(sent + 3_600), Cell::Text("NO_DATA"))
        } else if answered <= now {
            ("answered", Cell::S64(answered), Cell::Absent)
        } else {
            ("sent", Cell::Absent, Cell::Absent)
        };
        sink(
            Entity::SmevRequests,
            &[
                Cell::U64(id),
                Cell::U64(app),
                Cell::Text(agency),
                Cell::Text(kind),
                Cell::Text(&message_id),
                Cell::S64(sent),
                Cell::Text(status),
                answered_at,
                code,
            ],
        );
    }
}

fn visits(
    scale: DemoScale,
    now: i64,
    staff: &Staff,
    homes: &[(f64, f64)],
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) {
    if staff.social_workers.is_empty() || homes.is_empty() {
        return;
    }
    for id in 1..=scale.visits {
        let worker = staff.social_workers[rng.random_range(0..staff.social_workers.len())];
        let citizen = rng.random_range(1..=homes.len() as u64);
        let home = homes[citizen as usize - 1];
        let planned_start = now - rng.random_range(1..30) * DAY + rng.random_range(8..17) * 3_600;
        let planned_end = planned_start + 3_600;
        let done = rng.random_bool(0.95);
        let actual_start = planned_start + rng.random_range(-900..900);
        // Most visits last about an hour; some are cut short.
        let actual_end = actual_start
            + if rng.random_bool(0.1) {
                rng.random_range(300..1_200)
            } else {
                rng.random_range(2_700..4_500)
            };
        // GPS points within a few dozen metres of the residence; some deliberately far away,
        // and a few visits without a point at all.
        let far = rng.random_bool(0.05);
        let spread = if far { 0.02 } else { 0.0004 };
        let (lat, lon) = (home.0 + jitter(rng, spread), home.1 + jitter(rng, spread));
        let located = done && rng.random_bool(0.97);
        sink(
            Entity::Visits,
            &[
                Cell::U64(id),
                Cell::U64(worker),
                Cell::U64(citizen),
                Cell::Text(SERVICES[rng.random_range(0..SERVICES.len())]),
                Cell::S64(planned_start),
                Cell::S64(planned_end),
                done.then_some(actual_start).map_or(Cell::Absent, Cell::S64),
                done.then_some(actual_end).map_or(Cell::Absent, Cell::S64),
                located.then_some(lat).map_or(Cell::Absent, Cell::F64),
                located.then_some(lon).map_or(Cell::Absent, Cell::F64),
            ],
        );
    }
}

fn objects(
    scale: DemoScale,
    now: i64,
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) {
    let mut signals = Vec::new();
    for id in 1..=scale.inspected_objects {
        let cadastral = format!(
            "48:20:{:07}:{}",
            rng.random_range(0..10_000_000),
            rng.random_range(1..999)
        );
        let address = format!(
            "Липецк, {}, {}",
            STREETS[rng.random_range(0..STREETS.len())],
            rng.random_range(1..200)
        );
        let last = rng
            .random_bool(0.7)
            .then(|| now - rng.random_range(30..2_000) * DAY);
        sink(
            Entity::InspectedObjects,
            &[
                Cell::U64(id),
                Cell::Text(&cadastral),
                Cell::Text(&address),
                Cell::Text(DISTRICTS[rng.random_range(0..DISTRICTS.len())]),
                Cell::Text(OBJECT_KINDS[rng.random_range(0..OBJECT_KINDS.len())]),
                Cell::F64(CENTRE.0 + jitter(rng, 0.06)),
                Cell::F64(CENTRE.1 + jitter(rng, 0.1)),
                last.map_or(Cell::Absent, Cell::S64),
            ],
        );
        for _ in 0..rng.random_range(0..4) {
            signals.push((
                id,
                SIGNAL_SOURCES[rng.random_range(0..SIGNAL_SOURCES.len())],
                rng.random_range(0.1f32..1.0),
                now - rng.random_range(1..365) * DAY,
            ));
        }
    }
    for (object, source, severity, at) in signals {
        sink(
            Entity::ObjectSignals,
            &[
                Cell::U64(object),
                Cell::Text(source),
                Cell::F32(severity),
                Cell::S64(at),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_region() {
        let a = demo_region(DemoScale::SMALL, 7, 1_800_000_000);
        let b = demo_region(DemoScale::SMALL, 7, 1_800_000_000);
        for e in Entity::ALL {
            assert_eq!(a.table(e).len(), b.table(e).len(), "{e}");
        }
        assert_eq!(
            format!("{:?}", a.table(Entity::SmevRequests)),
            format!("{:?}", b.table(Entity::SmevRequests))
        );
    }

    #[test]
    fn agencies_follow_the_seed_proportions() {
        let region = demo_region(DemoScale::SEED, 1, 1_800_000_000);
        let table = region.table(Entity::SmevRequests);
        let agency = Entity::SmevRequests.schema().position("agency").unwrap();
        let crate::capabilities::data::ColumnValues::Text(agencies) = &table.columns[agency].values
        else {
            unreachable!()
        };
        let fns = (0..table.len())
            .filter(|&i| agencies.get(i) == "fns")
            .count() as f64;
        let mvd = (0..table.len())
            .filter(|&i| agencies.get(i) == "mvd")
            .count() as f64;
        let expected = 146_295.0 / 93_156.0;
        assert!(
            (fns / mvd - expected).abs() < 0.15,
            "fns/mvd = {}",
            fns / mvd
        );
    }
}
