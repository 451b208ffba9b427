//! The columns of each entity: their names, types, whether they may be absent, and the
//! capability that reading them needs. Backends serve exactly these columns; the WIT
//! documentation of `data` lists the same table for vendors.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;

/// The kinds of records a region holds (the WIT `entity` enum, on the host side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Units,
    Employees,
    Applications,
    ApplicationEvents,
    SmevRequests,
    Visits,
    Citizens,
    InspectedObjects,
    ObjectSignals,
}

impl Entity {
    pub const ALL: [Entity; 9] = [
        Entity::Units,
        Entity::Employees,
        Entity::Applications,
        Entity::ApplicationEvents,
        Entity::SmevRequests,
        Entity::Visits,
        Entity::Citizens,
        Entity::InspectedObjects,
        Entity::ObjectSignals,
    ];

    /// The name used in fixtures, SQL tables and messages.
    pub fn name(self) -> &'static str {
        self.schema().name
    }

    pub fn schema(self) -> &'static EntitySchema {
        &SCHEMAS[self as usize]
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a column's values as they cross into the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    U64,
    /// Also used for timestamps (seconds since the epoch, UTC).
    S64,
    U32,
    F32,
    F64,
    Flag,
    Text,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::U64 => "u64",
            ColumnType::S64 => "s64",
            ColumnType::U32 => "u32",
            ColumnType::F32 => "f32",
            ColumnType::F64 => "f64",
            ColumnType::Flag => "flag",
            ColumnType::Text => "text",
        }
    }
}

/// One column of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColumnType,
    /// Whether rows may lack a value (the batch then carries a presence list).
    pub nullable: bool,
    /// Personal data: reading it needs `data.citizens.personal` on top of the entity's grant.
    pub personal: bool,
}

/// An entity's columns; the first is its key, and rows are served in its ascending order.
#[derive(Debug)]
pub struct EntitySchema {
    pub entity: Entity,
    pub name: &'static str,
    pub capability: Capability,
    pub columns: &'static [ColumnSpec],
}

impl EntitySchema {
    /// The position of a column by name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Column names, comma-separated, for error messages.
    pub fn column_names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const fn col(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable: false,
        personal: false,
    }
}

const fn opt(name: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable: true,
        personal: false,
    }
}

const fn personal(mut spec: ColumnSpec) -> ColumnSpec {
    spec.personal = true;
    spec
}

use ColumnType::{F32, F64, Flag, S64, Text, U32, U64};

/// Indexed by `Entity as usize`; `entity_order_matches_schema_table` checks the order.
static SCHEMAS: [EntitySchema; 9] = [
    EntitySchema {
        entity: Entity::Units,
        name: "units",
        capability: Capability::DataStaff,
        columns: &[
            col("id", U64),
            col("name", Text),
            opt("parent_id", U64),
            opt("head_id", U64),
        ],
    },
    EntitySchema {
        entity: Entity::Employees,
        name: "employees",
        capability: Capability::DataStaff,
        columns: &[
            col("id", U64),
            col("unit_id", U64),
            col("full_name", Text),
            col("role", Text),
            opt("manager_id", U64),
            col("normative_load", U32),
            col("active", Flag),
        ],
    },
    EntitySchema {
        entity: Entity::Applications,
        name: "applications",
        capability: Capability::DataApplications,
        columns: &[
            col("id", U64),
            col("number", Text),
            col("citizen_id", U64),
            col("measure", Text),
            col("channel", Text),
            col("status", Text),
            opt("assignee_id", U64),
            col("submitted_at", S64),
            opt("assigned_at", S64),
            opt("taken_at", S64),
            col("deadline_at", S64),
            opt("decided_at", S64),
            col("returns", U32),
            col("off_standard", Flag),
        ],
    },
    EntitySchema {
        entity: Entity::ApplicationEvents,
        name: "application_events",
        capability: Capability::DataApplications,
        columns: &[
            col("application_id", U64),
            col("status", Text),
            col("at", S64),
            opt("employee_id", U64),
        ],
    },
    EntitySchema {
        entity: Entity::SmevRequests,
        name: "smev_requests",
        capability: Capability::DataSmev,
        columns: &[
            col("id", U64),
            opt("application_id", U64),
            col("agency", Text),
            col("kind", Text),
            col("message_id", Text),
            col("sent_at", S64),
            col("status", Text),
            opt("answered_at", S64),
            opt("rejection_code", Text),
        ],
    },
    EntitySchema {
        entity: Entity::Visits,
        name: "visits",
        capability: Capability::DataVisits,
        columns: &[
            col("id", U64),
            col("employee_id", U64),
            col("citizen_id", U64),
            col("service", Text),
            col("planned_start", S64),
            col("planned_end", S64),
            opt("actual_start", S64),
            opt("actual_end", S64),
            opt("lat", F64),
            opt("lon", F64),
        ],
    },
    EntitySchema {
        entity: Entity::Citizens,
        name: "citizens",
        capability: Capability::DataCitizens,
        columns: &[
            col("id", U64),
            opt("lat", F64),
            opt("lon", F64),
            opt("geofence_m", F64),
            col("consent", Flag),
            col("district", Text),
            personal(col("full_name", Text)),
            personal(col("address", Text)),
            personal(opt("phone", Text)),
            personal(opt("email", Text)),
            personal(opt("snils", Text)),
            personal(opt("birth_date", S64)),
        ],
    },
    EntitySchema {
        entity: Entity::InspectedObjects,
        name: "inspected_objects",
        capability: Capability::DataObjects,
        columns: &[
            col("id", U64),
            col("cadastral_number", Text),
            col("address", Text),
            col("district", Text),
            col("kind", Text),
            col("lat", F64),
            col("lon", F64),
            opt("last_inspection_at", S64),
        ],
    },
    EntitySchema {
        entity: Entity::ObjectSignals,
        name: "object_signals",
        capability: Capability::DataObjects,
        columns: &[
            col("object_id", U64),
            col("source", Text),
            col("severity", F32),
            col("observed_at", S64),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_order_matches_schema_table() {
        for entity in Entity::ALL {
            assert_eq!(entity.schema().entity, entity);
        }
    }

    #[test]
    fn every_entity_is_keyed_by_an_integer_column() {
        for entity in Entity::ALL {
            let key = &entity.schema().columns[0];
            assert_eq!(key.ty, ColumnType::U64, "{entity}");
            assert!(!key.nullable, "{entity}");
        }
    }
}
