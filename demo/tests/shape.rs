//! A quick look at the generated region's shape, counted straight from its tables: what the
//! generator is calibrated against while it is being changed. The figures that count are the
//! ones `zemstvo demo --report` prints, measured by the reference plugins and the store
//! (`tests/demo_report.rs` checks those); this only keeps the generator honest between them.

use std::collections::HashMap;

use zemstvo_core::capabilities::data::Entity;
use zemstvo_core::region::{Cell, InMemoryRegion};
use zemstvo_demo::{DemoScale, demo_region, seed};

const NOW: i64 = 1_795_413_600; // Monday 2026-11-23 06:00 UTC
const DAY: i64 = 86_400;

struct Rows<'a> {
    region: &'a InMemoryRegion,
    entity: Entity,
}

impl<'a> Rows<'a> {
    fn len(&self) -> usize {
        self.region.table(self.entity).len()
    }
    fn get(&self, column: &str, row: usize) -> Cell<'a> {
        let col = self.entity.schema().position(column).unwrap();
        self.region.table(self.entity).cell(col, row)
    }
    fn time(&self, column: &str, row: usize) -> Option<i64> {
        match self.get(column, row) {
            Cell::S64(t) => Some(t),
            _ => None,
        }
    }
    fn id(&self, column: &str, row: usize) -> Option<u64> {
        match self.get(column, row) {
            Cell::U64(v) => Some(v),
            _ => None,
        }
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    part as f64 * 100.0 / whole.max(1) as f64
}

#[derive(Debug)]
struct Shape {
    returns: f64,
    off_standard: f64,
    social_workers_meeting: f64,
    specialists_meeting: f64,
    overdue: f64,
    #[allow(dead_code)]
    waiting_of_assigned: f64,
    waiting_of_desk: f64,
    #[allow(dead_code)]
    desk_per_specialist: f64,
    #[allow(dead_code)]
    norm_mean: f64,
}

fn shape(region: &InMemoryRegion) -> Shape {
    let since = NOW - 30 * DAY;
    let apps = Rows {
        region,
        entity: Entity::Applications,
    };
    let staff = Rows {
        region,
        entity: Entity::Employees,
    };
    let visits = Rows {
        region,
        entity: Entity::Visits,
    };
    let (mut decided, mut returned, mut submitted, mut off) = (0, 0, 0, 0);
    let (mut desk, mut overdue, mut assigned, mut waiting) = (0, 0, 0, 0);
    let mut done: HashMap<u64, u64> = HashMap::new();
    for r in 0..apps.len() {
        if apps.time("decided_at", r).is_some_and(|t| t >= since) {
            decided += 1;
            returned += usize::from(apps.get("returns", r) != Cell::U32(0));
            *done.entry(apps.id("assignee_id", r).unwrap()).or_default() += 1;
        }
        if apps.time("submitted_at", r).unwrap() >= since {
            submitted += 1;
            off += usize::from(apps.get("off_standard", r) == Cell::Flag(true));
        }
        let Cell::Text(status) = apps.get("status", r) else {
            panic!()
        };
        if matches!(status, "in-work" | "assigned" | "returned") {
            desk += 1;
            overdue += usize::from(apps.time("deadline_at", r).unwrap() < NOW);
        }
        if status == "assigned" {
            assigned += 1;
            waiting += usize::from(apps.time("assigned_at", r).unwrap() < NOW - 8 * 3_600);
        }
    }
    let mut visited: HashMap<u64, u64> = HashMap::new();
    for r in 0..visits.len() {
        let (Some(start), Some(end)) =
            (visits.time("actual_start", r), visits.time("actual_end", r))
        else {
            continue;
        };
        if start >= since && end >= start {
            *visited
                .entry(visits.id("employee_id", r).unwrap())
                .or_default() += 1;
        }
    }
    let (mut workers, mut workers_meeting, mut specialists, mut specialists_meeting) = (0, 0, 0, 0);
    let mut norms = 0u64;
    for r in 0..staff.len() {
        if staff.get("active", r) != Cell::Flag(true) {
            continue;
        }
        let Cell::U32(load) = staff.get("normative_load", r) else {
            panic!()
        };
        let id = staff.id("id", r).unwrap();
        match staff.get("role", r) {
            Cell::Text("social-worker") => {
                workers += 1;
                workers_meeting +=
                    usize::from(visited.get(&id).copied().unwrap_or(0) >= u64::from(load));
            }
            Cell::Text("specialist") => {
                specialists += 1;
                norms += u64::from(load);
                specialists_meeting +=
                    usize::from(done.get(&id).copied().unwrap_or(0) >= u64::from(load));
            }
            _ => {}
        }
    }
    Shape {
        returns: percent(returned, decided),
        off_standard: percent(off, submitted),
        social_workers_meeting: percent(workers_meeting, workers),
        specialists_meeting: percent(specialists_meeting, specialists),
        overdue: percent(overdue, desk),
        waiting_of_assigned: percent(waiting, assigned),
        waiting_of_desk: percent(waiting, desk),
        desk_per_specialist: desk as f64 / specialists.max(1) as f64,
        norm_mean: norms as f64 / specialists.max(1) as f64,
    }
}

#[test]
fn the_seed_scale_region_has_the_seeds_before_isu_figures() {
    let s = shape(&demo_region(DemoScale::SEED, 2026, NOW));
    println!("{s:#?}");
    assert!((s.returns - seed::RETURNS_PERCENT).abs() < 0.4, "{s:?}");
    assert!(
        (s.off_standard - seed::OFF_STANDARD_PERCENT).abs() < 1.5,
        "{s:?}"
    );
    assert!(
        (s.social_workers_meeting - seed::SOCIAL_WORKERS_MEETING_NORM_PERCENT).abs() < 3.0,
        "{s:?}"
    );
    assert!((40.0..85.0).contains(&s.specialists_meeting), "{s:?}");
    assert!((2.0..15.0).contains(&s.overdue), "{s:?}");
    assert!((2.0..15.0).contains(&s.waiting_of_desk), "{s:?}");
}
