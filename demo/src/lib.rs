//! The demo region: deterministic synthetic data shaped like the seeds' Lipetsk region.
//!
//! The same seed always yields the same records, so the demo prints the same tasks on every
//! machine and a rerun can be compared with the first run. The region shows the seed's
//! figures from before ISU was rolled out ([`seed`]) as the reference plugins and the store
//! measure them: each application goes through a specialist's working day (assigned within
//! hours, taken mostly the same day, decided mostly within its term; about 2 % returned for
//! revision, a quarter accepted off the standard), specialists' norms are set around the flow
//! they get, and 64 % of social workers complete the visits of their norm. SMEV requests follow
//! the ISU dashboard's December 2022 figures: agencies in proportion to their request volumes,
//! answer times drawn around each agency's mean.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

mod forms;
mod names;
pub mod seed;

pub use forms::{FORM_MEASURES, Form, application_forms};
use names::*;

use zemstvo_core::capabilities::data::Entity;
use zemstvo_core::capabilities::smev::{AGENCY_PROFILES, AgencyProfile};
use zemstvo_core::region::{Cell, InMemoryRegion, Table};

/// How big a demo region to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoScale {
    pub units: u64,
    /// Specialists per unit other than home care (each unit also has a manager).
    pub specialists_per_unit: u64,
    pub citizens: u64,
    /// Applications submitted over the last 60 days.
    pub applications: u64,
    /// About as many home-care visits over the last 30 days: every fourth unit is a home-care
    /// unit with as many social workers as these visits need at a norm of 60–89 a month.
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

    /// The seeds' scale: about 190 active specialists deciding about 30,000 applications a
    /// month (norms around 145 a month, desks of about 30 in work), about 390 active social
    /// workers making about 30,000 visits a month (the seed's home-care block gave tasks to
    /// 899 employees), 628 employees in all.
    pub const SEED: DemoScale = DemoScale {
        units: 30,
        specialists_per_unit: 9,
        citizens: 40_000,
        applications: 60_000,
        visits: 30_000,
        inspected_objects: 3_000,
    };
}

/// The agencies the demo sends requests to, in the seed's proportions.
fn agencies() -> impl Iterator<Item = &'static AgencyProfile> {
    AGENCY_PROFILES.iter().filter(|p| p.seed_requests > 0)
}

/// Lipetsk city centre; citizens and objects are placed around it.
const CENTRE: (f64, f64) = (52.6088, 39.5992);

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Days of applications the region holds (submitted within them).
const HISTORY_DAYS: i64 = 60;

/// The days a monthly norm counts, and the window the load checks look at.
const MONTH_DAYS: i64 = 30;

/// The legal term of a decision, from submission.
const TERM_DAYS: i64 = 14;

/// Working hours: 09:00–18:00 Moscow time is 06:00–15:00 UTC.
const WORK_OPENS: i64 = 6 * HOUR;
const WORKDAY: i64 = 9 * HOUR;

/// Employees still working here; the rest are former employees who keep their records.
const ACTIVE: f64 = 0.97;

/// Visits a month a social worker's norm averages (60–89).
const VISITS_PER_WORKER: f64 = 75.0;

/// Calibrated so that the region shows the seed's "before ISU" figures as the plugins and the
/// store measure them (see [`seed`]): an application is returned for revision with this
/// probability (some returns are still to come at `now`), and accepted off the standard with
/// this one.
const RETURN_PROBABILITY: f64 = 0.02;
const OFF_STANDARD_PROBABILITY: f64 = 0.25;

/// Social workers below their normative load, in percent (the seed: 64 % meet it).
const SOCIAL_WORKERS_BELOW_PERCENT: u64 = 36;

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
    visits(now, &staff, &homes, &mut rng, sink);
    objects(scale, now, &mut rng, sink);
}

/// Ids of employees by role, for assigning work.
struct Staff {
    /// Active specialists, and the running sum of their shares of the incoming
    /// applications (some handle more than others), for drawing an assignee.
    specialists: Vec<u64>,
    shares: Vec<f64>,
    social_workers: Vec<SocialWorker>,
}

impl Staff {
    /// A specialist drawn in proportion to their share of the incoming applications.
    fn assignee(&self, rng: &mut StdRng) -> Option<u64> {
        let total = *self.shares.last()?;
        let x = rng.random_range(0.0..total);
        let i = self.shares.partition_point(|&s| s <= x);
        self.specialists
            .get(i.min(self.specialists.len() - 1))
            .copied()
    }
}

/// An active social worker, their norm and how much of it they do.
struct SocialWorker {
    id: u64,
    /// Visits a month.
    load: u32,
    /// Completed visits over the last 30 days against the norm (1.0 = exactly the norm).
    fulfilment: f64,
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

/// Whether unit `u` is a home-care unit (its staff are social workers).
fn home_care(u: u64) -> bool {
    u % UNIT_NAMES.len() as u64 == 1
}

/// Social workers per home-care unit: enough for the scale's visits at the usual norm.
fn social_workers_per_unit(scale: DemoScale) -> u64 {
    let units = (0..scale.units).filter(|&u| home_care(u)).count() as f64;
    if units == 0.0 {
        return 0;
    }
    (scale.visits as f64 / (units * VISITS_PER_WORKER))
        .round()
        .max(1.0) as u64
}

/// Applications a month an average specialist decides at this scale: their norms are set
/// around it, as a centre sets norms from the flow it has and the staff it has for it.
fn specialist_monthly_flow(scale: DemoScale) -> f64 {
    let units = (0..scale.units).filter(|&u| !home_care(u)).count() as f64;
    let specialists = (units * scale.specialists_per_unit as f64 * ACTIVE).max(1.0);
    scale.applications as f64 * MONTH_DAYS as f64 / HISTORY_DAYS as f64 / specialists
}

/// A norm as a centre writes it: a round number (to 5 from 50 up).
fn round_norm(x: f64) -> u32 {
    if x >= 50.0 {
        ((x / 5.0).round() * 5.0) as u32
    } else {
        x.round().max(1.0) as u32
    }
}

fn staff(scale: DemoScale, rng: &mut StdRng, sink: &mut dyn FnMut(Entity, &[Cell<'_>])) -> Staff {
    let workers_per_unit = social_workers_per_unit(scale);
    let size = |u: u64| {
        1 + if home_care(u) {
            workers_per_unit
        } else {
            scale.specialists_per_unit
        }
    };
    let mut heads = Vec::with_capacity(scale.units as usize);
    let mut next = 1;
    for u in 0..scale.units {
        heads.push(next);
        next += size(u);
    }
    for u in 0..scale.units {
        let name = format!(
            "{} № {}",
            UNIT_NAMES[(u % UNIT_NAMES.len() as u64) as usize],
            u / UNIT_NAMES.len() as u64 + 1
        );
        sink(
            Entity::Units,
            &[
                Cell::U64(u + 1),
                Cell::Text(&name),
                Cell::Absent,
                Cell::U64(heads[u as usize]),
            ],
        );
    }
    let flow = specialist_monthly_flow(scale);
    let mut staff = Staff {
        specialists: Vec::new(),
        shares: Vec::new(),
        social_workers: Vec::new(),
    };
    // Social workers in order, for spreading those below the norm evenly (see below).
    let mut worker_number = 0u64;
    let phase = rng.random_range(0..100);
    for u in 0..scale.units {
        let manager = heads[u as usize];
        for k in 0..size(u) {
            let id = manager + k;
            let name = person(rng);
            let active = k == 0 || rng.random_bool(ACTIVE);
            let (role, load) = match (k, home_care(u)) {
                (0, _) => ("manager", 0),
                (_, true) => {
                    let load = 60 + rng.random_range(0..30);
                    // The seed's share of social workers below the norm, spread evenly over
                    // the staff so that every unit of a few workers has someone below it.
                    let below = (worker_number * SOCIAL_WORKERS_BELOW_PERCENT + phase) % 100
                        < SOCIAL_WORKERS_BELOW_PERCENT;
                    worker_number += 1;
                    let fulfilment = if below {
                        rng.random_range(0.6..0.97)
                    } else {
                        rng.random_range(1.0..1.3)
                    };
                    if active {
                        staff.social_workers.push(SocialWorker {
                            id,
                            load,
                            fulfilment,
                        });
                    }
                    ("social-worker", load)
                }
                (_, false) => {
                    // A specialist's share of the flow, and a norm set around the average.
                    let share: f64 = rng.random_range(0.75..1.25);
                    let load = round_norm(flow * rng.random_range(0.78..1.05));
                    if active {
                        let sum = staff.shares.last().copied().unwrap_or(0.0);
                        staff.specialists.push(id);
                        staff.shares.push(sum + share);
                    }
                    ("specialist", load)
                }
            };
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
    let total: u64 = agencies().map(|a| a.seed_requests).sum();
    let mut x = rng.random_range(0..total);
    for (i, agency) in agencies().enumerate() {
        if x < agency.seed_requests {
            return i;
        }
        x -= agency.seed_requests;
    }
    0
}

/// Where an application stands at `now`, and when each step happened (those after `now`
/// have not happened yet and are not recorded).
struct Course {
    assigned: i64,
    taken: i64,
    /// When it was returned for revision and when the corrected case came back into work.
    returned: Option<(i64, i64)>,
    decided: i64,
}

/// The course of one application through a specialist's work, from its submission: assigned
/// within hours, taken into work mostly the same working day, decided mostly well within the
/// legal term; a few returned for revision, a few left lying, a few overrunning the term.
fn course(rng: &mut StdRng, submitted: i64) -> Course {
    let assigned = submitted + rng.random_range(600..4 * HOUR);
    let wait = match rng.random_range(0..100) {
        0..78 => rng.random_range(600..4 * HOUR),
        78..96 => rng.random_range(4 * HOUR..WORKDAY + 4 * HOUR),
        _ => rng.random_range(2 * WORKDAY..6 * WORKDAY),
    };
    let taken = after_working_time(assigned, wait);
    let returned = rng.random_bool(RETURN_PROBABILITY).then(|| {
        let at = after_working_time(taken, rng.random_range(HOUR..2 * WORKDAY));
        (at, at + rng.random_range(2 * DAY..8 * DAY))
    });
    let resumed = returned.map_or(taken, |(_, back)| back);
    let days = match rng.random_range(0..100) {
        0..85 => rng.random_range(2 * DAY..11 * DAY),
        85..96 => rng.random_range(11 * DAY..13 * DAY),
        _ => rng.random_range(13 * DAY..30 * DAY),
    };
    let decided = after_working_time(resumed + days, 0);
    Course {
        assigned,
        taken,
        returned,
        decided,
    }
}

/// `work` seconds of working time after `from`: the region's specialists work 09:00–18:00
/// Moscow time (06:00–15:00 UTC), every day of the week, so that the figures do not depend on
/// the weekday the demo starts.
fn after_working_time(from: i64, mut work: i64) -> i64 {
    let mut t = from;
    loop {
        let day = t.div_euclid(DAY) * DAY;
        let (open, close) = (day + WORK_OPENS, day + WORK_OPENS + WORKDAY);
        if t < open {
            t = open;
        }
        if t >= close {
            t = day + DAY + WORK_OPENS;
            continue;
        }
        if work <= close - t {
            return t + work;
        }
        work -= close - t;
        t = day + DAY + WORK_OPENS;
    }
}

/// When an application was filed: the portal at any hour, the MFC and the office in their
/// opening hours.
fn submission_time(rng: &mut StdRng, now: i64, channel: &str) -> i64 {
    let day = now - rng.random_range(0..HISTORY_DAYS) * DAY;
    if channel == "portal" {
        return day - rng.random_range(0..DAY);
    }
    let at = day.div_euclid(DAY) * DAY + WORK_OPENS + rng.random_range(0..WORKDAY);
    if at > now { at - DAY } else { at }
}

type Event = (u64, &'static str, i64, Option<u64>);

fn applications(
    scale: DemoScale,
    now: i64,
    staff: &Staff,
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) {
    let mut events: Vec<Event> = Vec::new();
    let mut smev_id = 0;
    let mut requests = Vec::new();
    for id in 1..=scale.applications {
        let citizen = rng.random_range(1..=scale.citizens.max(1));
        let channel = match rng.random_range(0..10) {
            0..6 => "portal",
            6..9 => "mfc",
            _ => "office",
        };
        let submitted = submission_time(rng, now, channel);
        let measure = MEASURES[rng.random_range(0..MEASURES.len())];
        let number = format!("48-{}-{id:06}", 2026);
        let deadline = submitted + TERM_DAYS * DAY;
        // Applications for the allowances a rule decides "without an official" wait for the
        // rule in their first week, not for a specialist.
        let awaits_rule = FORM_MEASURES.contains(&measure) && now - submitted < 7 * DAY;
        let course = course(rng, submitted);
        let assignee = if awaits_rule || course.assigned > now {
            None
        } else {
            staff.assignee(rng)
        };
        let happened = |at: i64| assignee.is_some() && at <= now;
        let returned_at = course.returned.map(|(at, _)| at).filter(|&at| happened(at));
        let back_at = course
            .returned
            .map(|(_, back)| back)
            .filter(|&at| happened(at));
        let status = if assignee.is_none() {
            "registered"
        } else if happened(course.decided) {
            "decided"
        } else if returned_at.is_some() && back_at.is_none() {
            "returned"
        } else if happened(course.taken) {
            "in-work"
        } else {
            "assigned"
        };
        let when = |at: i64| happened(at).then_some(at);
        let (assigned_at, taken_at, decided_at) = (
            when(course.assigned),
            when(course.taken),
            when(course.decided),
        );
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
                Cell::U32(u32::from(returned_at.is_some())),
                Cell::Flag(rng.random_bool(OFF_STANDARD_PROBABILITY)),
            ],
        );
        events.push((id, "registered", submitted, None));
        let Some(employee) = assignee else {
            continue;
        };
        let mut step = |status: &'static str, at: Option<i64>| {
            if let Some(at) = at {
                events.push((id, status, at, Some(employee)));
            }
        };
        step("assigned", assigned_at);
        step("in-work", taken_at);
        step("returned", returned_at);
        step("in-work", back_at);
        step("decided", decided_at);
        let Some(taken) = taken_at else {
            continue;
        };
        // SMEV requests go out once the case is taken into work.
        for _ in 0..rng.random_range(1..=3) {
            let agency = pick_agency(rng);
            let profile = agencies()
                .nth(agency)
                .expect("an index drawn from the agencies");
            let sent = taken + rng.random_range(60..2 * HOUR);
            let answered = sent + answer_delay(rng, profile.mean_answer_days);
            let rejected = rng.random_bool(0.01);
            if sent > now {
                continue;
            }
            smev_id += 1;
            requests.push((
                smev_id,
                id,
                profile.code,
                profile.typical_kind,
                sent,
                answered,
                rejected,
            ));
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
        let (status, answered_at, code) = if rejected && sent + HOUR <= now {
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
    now: i64,
    staff: &Staff,
    homes: &[(f64, f64)],
    rng: &mut StdRng,
    sink: &mut dyn FnMut(Entity, &[Cell<'_>]),
) {
    if homes.is_empty() {
        return;
    }
    let mut id = 0;
    for worker in &staff.social_workers {
        // The visits completed over the last 30 days are what the worker's fulfilment says;
        // on top of them, visits planned and never started, and visits never closed.
        let norm = f64::from(worker.load) * worker.fulfilment;
        let completed = if worker.fulfilment >= 1.0 {
            norm.ceil()
        } else {
            norm.floor()
        } as u64;
        let missed = rng.random_range(0..=completed / 12);
        for n in 0..completed + missed {
            id += 1;
            let citizen = rng.random_range(1..=homes.len() as u64);
            let home = homes[citizen as usize - 1];
            // Planned in working hours within the window, late enough that a visit started a
            // quarter of an hour early still falls in it, and over before `now`.
            let day = now - rng.random_range(1..MONTH_DAYS) * DAY;
            let planned_start =
                day.div_euclid(DAY) * DAY + WORK_OPENS + rng.random_range(0..WORKDAY - HOUR);
            let planned_start = planned_start.min(now - 2 * HOUR);
            let planned_end = planned_start + HOUR;
            let done = n < completed;
            // A missed visit was either never started or started and never closed.
            let started = done || rng.random_bool(0.3);
            let actual_start = planned_start + rng.random_range(-900..900);
            // Most visits last about an hour; some are cut short.
            let actual_end = actual_start
                + if rng.random_bool(0.1) {
                    rng.random_range(300..1_200)
                } else {
                    rng.random_range(2_700..4_500)
                };
            // GPS points within a few dozen metres of the residence; some deliberately far
            // away, and a few visits without a point at all.
            let far = rng.random_bool(0.05);
            let spread = if far { 0.02 } else { 0.0004 };
            let (lat, lon) = (home.0 + jitter(rng, spread), home.1 + jitter(rng, spread));
            let located = started && rng.random_bool(0.97);
            sink(
                Entity::Visits,
                &[
                    Cell::U64(id),
                    Cell::U64(worker.id),
                    Cell::U64(citizen),
                    Cell::Text(SERVICES[rng.random_range(0..SERVICES.len())]),
                    Cell::S64(planned_start),
                    Cell::S64(planned_end),
                    started
                        .then_some(actual_start)
                        .map_or(Cell::Absent, Cell::S64),
                    done.then_some(actual_end).map_or(Cell::Absent, Cell::S64),
                    located.then_some(lat).map_or(Cell::Absent, Cell::F64),
                    located.then_some(lon).map_or(Cell::Absent, Cell::F64),
                ],
            );
        }
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
        for e in Entity::ALL {
            assert_eq!(
                format!("{:?}", a.table(e)),
                format!("{:?}", b.table(e)),
                "{e}"
            );
        }
        // Another time is another region: the same records' course seen at another moment.
        let later = demo_region(DemoScale::SMALL, 7, 1_800_000_000 + 86_400);
        assert_ne!(
            format!("{:?}", a.table(Entity::Applications)),
            format!("{:?}", later.table(Entity::Applications))
        );
    }

    #[test]
    fn agencies_follow_the_seed_proportions() {
        let region = demo_region(DemoScale::SEED, 1, 1_800_000_000);
        let table = region.table(Entity::SmevRequests);
        let agency = Entity::SmevRequests.schema().position("agency").unwrap();
        let count = |code: &str| {
            (0..table.len())
                .filter(|&row| table.cell(agency, row) == Cell::Text(code))
                .count() as f64
        };
        let (fns, mvd) = (count("fns"), count("mvd"));
        let expected = 146_295.0 / 93_156.0;
        assert!(
            (fns / mvd - expected).abs() < 0.15,
            "fns/mvd = {}",
            fns / mvd
        );
    }
}
