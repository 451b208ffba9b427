//! Who answers for whom. A deviation in an employee's work goes to the person who can act on
//! it: the employee's manager, or else the head of their unit — whichever is an active
//! employee other than the employee themselves. Every staff check needs this, so it is here
//! once. Needs `data.staff`.

use std::collections::{BTreeMap, HashMap};

use crate::data::entities::{employees, units};
use crate::{PluginError, log};

/// An employee as the staff records have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// The employee's id, as tasks' assignees and subjects name them.
    pub id: u64,
    /// `Фамилия И.О.` as the staff records write it, for task texts.
    pub full_name: String,
    /// The role as the region names it (`specialist`, `social-worker`, `manager`…).
    pub role: String,
    /// The direct manager, if the records name one.
    pub manager: Option<u64>,
    /// The unit the employee belongs to.
    pub unit: u64,
    /// Whether the employee still works: an inactive one is given no task.
    pub active: bool,
}

/// The employees behind a check's findings, with everyone who may have to act for them.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    staff: HashMap<u64, Employee>,
    /// The head of each unit that has one.
    heads: HashMap<u64, u64>,
}

impl Hierarchy {
    /// Reads `employees` by id, the heads of their units, and their managers and heads —
    /// three lookups by id, however large the region.
    pub fn read(employees: impl IntoIterator<Item = u64>) -> Result<Self, PluginError> {
        let mut staff = read_staff(employees)?;
        let unit_ids = staff.values().map(|e| e.unit);
        let heads: HashMap<u64, u64> =
            units::by_id(unit_ids, &[units::HEAD_ID], |row| row.head_id())?
                .into_iter()
                .filter_map(|(unit, head)| Some((unit, head?)))
                .collect();
        let responsible: Vec<u64> = staff
            .values()
            .flat_map(|e| [e.manager, heads.get(&e.unit).copied()])
            .flatten()
            .filter(|id| !staff.contains_key(id))
            .collect();
        staff.extend(read_staff(responsible)?);
        Ok(Hierarchy { staff, heads })
    }

    /// An employee that was read (those asked for, their managers and unit heads).
    pub fn employee(&self, id: u64) -> Option<&Employee> {
        self.staff.get(&id)
    }

    /// The employee's full name, or `сотрудник N` when the staff records lack them.
    pub fn name(&self, id: u64) -> String {
        self.staff
            .get(&id)
            .map_or_else(|| format!("сотрудник {id}"), |e| e.full_name.clone())
    }

    /// The employee's manager, or else the head of their unit: whichever first is an active
    /// employee other than the employee themselves. `None` means nobody can act; log
    /// [`Hierarchy::why_nobody`] and leave the finding unreported.
    pub fn responsible_manager(&self, employee: u64) -> Option<u64> {
        let who = self.staff.get(&employee)?;
        let can_act = |id: &u64| *id != employee && self.staff.get(id).is_some_and(|e| e.active);
        who.manager
            .filter(can_act)
            .or_else(|| self.heads.get(&who.unit).copied().filter(can_act))
    }

    /// Why [`Hierarchy::responsible_manager`] found nobody for `employee`, for the log.
    pub fn why_nobody(&self, employee: u64) -> String {
        if self.staff.contains_key(&employee) {
            format!(
                "employee {employee} has no active manager and their unit has no other active head"
            )
        } else {
            format!("employee {employee} is not in the staff records")
        }
    }

    /// Logs why findings got no task: one warning per employee (or one for those without an
    /// assignee, the `None` key) naming the reason and up to five record ids to look them up
    /// by. `unreported` maps the employee to their records; `what` names the records, e.g.
    /// `overdue applications`. A finding nobody can act on must not vanish silently: the
    /// run's record is where an administrator sees that the staff records need fixing.
    pub fn log_unreported(&self, what: &str, unreported: &BTreeMap<Option<u64>, Vec<u64>>) {
        for (employee, records) in unreported {
            let some: Vec<String> = records.iter().take(5).map(u64::to_string).collect();
            let why = match employee {
                None => "they have no assignee".to_string(),
                Some(e) => self.why_nobody(*e),
            };
            log::warn(&format!(
                "{} {what} are not reported: {why} (e.g. {})",
                records.len(),
                some.join(", ")
            ));
        }
    }
}

/// Employees by id, with what deciding who answers for whom needs.
fn read_staff(ids: impl IntoIterator<Item = u64>) -> Result<HashMap<u64, Employee>, PluginError> {
    let columns = [
        employees::FULL_NAME,
        employees::ROLE,
        employees::MANAGER_ID,
        employees::UNIT_ID,
        employees::ACTIVE,
    ];
    let staff = employees::by_id(ids, &columns, |row| Employee {
        id: row.id(),
        full_name: row.full_name().to_string(),
        role: row.role().to_string(),
        manager: row.manager_id(),
        unit: row.unit_id(),
        active: row.active(),
    })?;
    Ok(staff)
}
