//! What each entity and column means in the domain, and how entities refer to each other —
//! kept beside the column table (`schema.rs`) so that both change together. The data reference
//! vendors read (the SDK's `DATA.md`, `zemstvo inspect --schema`) is rendered from these and
//! the schema by [`markdown`]; a test fails when a column lacks its meaning, and another when
//! the page in the SDK is out of date.

use std::fmt::Write as _;

use super::schema::{ColumnSpec, ColumnType, Entity};
use crate::capabilities::Capability;

/// An entity's meaning, and each column's, in the order of the schema.
pub struct EntityMeaning {
    pub entity: Entity,
    /// What a record is, and where it comes from.
    pub meaning: &'static str,
    /// (column, meaning), one per column of the schema, in its order.
    pub columns: &'static [(&'static str, &'static str)],
}

/// Columns that hold another entity's id, and which: every id is checked when a fixture is
/// loaded, and the store keeps them as foreign keys.
pub const REFERENCES: &[(Entity, &str, Entity)] = &[
    (Entity::Units, "parent_id", Entity::Units),
    (Entity::Units, "head_id", Entity::Employees),
    (Entity::Employees, "unit_id", Entity::Units),
    (Entity::Employees, "manager_id", Entity::Employees),
    (Entity::Applications, "citizen_id", Entity::Citizens),
    (Entity::Applications, "assignee_id", Entity::Employees),
    (
        Entity::ApplicationEvents,
        "application_id",
        Entity::Applications,
    ),
    (Entity::ApplicationEvents, "employee_id", Entity::Employees),
    (Entity::SmevRequests, "application_id", Entity::Applications),
    (Entity::Visits, "employee_id", Entity::Employees),
    (Entity::Visits, "citizen_id", Entity::Citizens),
    (Entity::ObjectSignals, "object_id", Entity::InspectedObjects),
];

/// The meaning of every entity, in `Entity::ALL` order.
pub static MEANINGS: [EntityMeaning; 9] = [
    EntityMeaning {
        entity: Entity::Units,
        meaning: "Organisational units of the social-protection centre (departments, \
                  branches), as a tree.",
        columns: &[
            ("id", "The unit's id."),
            (
                "name",
                "The unit's name, e.g. «Отдел назначения мер социальной поддержки».",
            ),
            (
                "parent_id",
                "The unit it belongs to; absent for the top of the tree.",
            ),
            (
                "head_id",
                "The employee who heads the unit: who answers for an employee with no manager \
                 (`zemstvo_sdk::staff::Hierarchy`). Absent while the post is vacant.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::Employees,
        meaning: "Staff whose work the deviation checks watch and who receive tasks, current \
                  and former.",
        columns: &[
            ("id", "The employee's id: what tasks are assigned to."),
            ("unit_id", "The unit the employee works in."),
            (
                "full_name",
                "Surname, name and patronymic, as tasks show them.",
            ),
            (
                "role",
                "What the employee does: `specialist` (decides applications), `social-worker` \
                 (home care), `manager`; a region may use more.",
            ),
            (
                "manager_id",
                "The employee's manager, who gets the tasks about the employee's work. Absent \
                 for unit heads and where not kept; then the unit's head answers.",
            ),
            (
                "normative_load",
                "Cases (for social workers: visits) a month the employee is expected to handle; \
                 0 for managers.",
            ),
            (
                "active",
                "Whether the employee works here now; former employees keep their records.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::Applications,
        meaning: "Citizens' applications for social support measures, from registration to \
                  decision.",
        columns: &[
            ("id", "The application's id."),
            (
                "number",
                "The case number people use, e.g. `48-2026-000123`.",
            ),
            ("citizen_id", "The applicant."),
            (
                "measure",
                "The measure applied for, a code such as `child-allowance` or \
                 `survivor-child-allowance`.",
            ),
            (
                "channel",
                "Where it was filed: `portal` (Gosuslugi), `mfc` or `office`.",
            ),
            (
                "status",
                "Where it is now: `registered` (no one assigned yet), `assigned` (assigned, not \
                 taken into work), `in-work`, `returned` (sent back for revision), `decided`.",
            ),
            (
                "assignee_id",
                "The employee it is assigned to; absent while it is only registered.",
            ),
            ("submitted_at", "When the citizen filed it."),
            (
                "assigned_at",
                "When it was assigned to its current assignee; absent until assigned. An \
                 application `assigned` long ago and not taken is a deviation.",
            ),
            (
                "taken_at",
                "When the assignee took it into work; absent until then. A taking time means \
                 the case is in work whatever its status says.",
            ),
            ("deadline_at", "When the legal term for a decision ends."),
            ("decided_at", "When it was decided; absent until then."),
            ("returns", "How many times it was returned for revision."),
            (
                "off_standard",
                "Accepted off the standard, without the full set of documents.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::ApplicationEvents,
        meaning: "The status history of applications: one row per change, several per \
                  application (its first column is not unique).",
        columns: &[
            ("application_id", "The application that changed."),
            (
                "status",
                "The status it moved to (as in `applications.status`).",
            ),
            ("at", "When."),
            (
                "employee_id",
                "Who made the change; absent for changes by a system (the portal, a rule).",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::SmevRequests,
        meaning: "Interagency (SMEV) requests sent for applications, with their answers' times.",
        columns: &[
            ("id", "The request's id."),
            (
                "application_id",
                "The application it was sent for; absent for requests outside any application.",
            ),
            (
                "agency",
                "Who was asked: `fns`, `pfr`, `sfr`, `mvd`, `zags`, `rosreestr`, `fss`, \
                 `municipality`, `gis-zhkh`.",
            ),
            (
                "kind",
                "What was asked, e.g. `income`, `residence-registration`.",
            ),
            (
                "message_id",
                "The SMEV message id the agency's answer refers to.",
            ),
            ("sent_at", "When the request left."),
            (
                "status",
                "`sent` (no answer yet), `answered` or `rejected`.",
            ),
            (
                "answered_at",
                "When the answer or rejection arrived; absent while waiting.",
            ),
            (
                "rejection_code",
                "The agency's code when it rejected the request, e.g. `NO_DATA`.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::Visits,
        meaning: "Home-care visits of social workers to citizens, planned and as carried out \
                  (electronic visit verification).",
        columns: &[
            ("id", "The visit's id."),
            ("employee_id", "The social worker."),
            ("citizen_id", "The citizen visited."),
            (
                "service",
                "The service given, e.g. `household-help`, `medical-escort`, `food-delivery`.",
            ),
            ("planned_start", "When the visit was to start."),
            ("planned_end", "When it was to end."),
            (
                "actual_start",
                "When it started, by the worker's app; absent if not recorded.",
            ),
            ("actual_end", "When it ended; absent if not recorded."),
            (
                "lat",
                "Latitude of the GPS point recorded at the visit (WGS 84); absent without one.",
            ),
            ("lon", "Longitude of that point; absent without one."),
        ],
    },
    EntityMeaning {
        entity: Entity::Citizens,
        meaning: "Citizens the region serves. Coordinates, district and consent need \
                  `data.citizens`; names and contacts also `data.citizens.personal`.",
        columns: &[
            ("id", "The citizen's id."),
            (
                "lat",
                "Latitude of the residence (WGS 84); absent where not geocoded.",
            ),
            (
                "lon",
                "Longitude of the residence; absent where not geocoded.",
            ),
            (
                "geofence_m",
                "A geofence radius for this residence in metres, where the usual one does not \
                 fit (a house with a plot); absent otherwise.",
            ),
            (
                "consent",
                "Consent to proactive informing: without it no notification is sent.",
            ),
            ("district", "The district of residence."),
            ("full_name", "Surname, name and patronymic."),
            ("address", "The address of residence, as text."),
            (
                "phone",
                "Mobile phone for SMS and voice; absent if unknown.",
            ),
            ("email", "E-mail address; absent if unknown."),
            ("snils", "SNILS, `XXX-XXX-XXX YY`; absent if unknown."),
            (
                "birth_date",
                "Date of birth (midnight UTC); absent if unknown.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::InspectedObjects,
        meaning: "Real-estate objects under inspection (the risk categories of 248-FZ).",
        columns: &[
            (
                "id",
                "The object's id: what risk assessments are recorded for.",
            ),
            (
                "cadastral_number",
                "The cadastral number, e.g. `77:01:0001001:1001`.",
            ),
            ("address", "The object's address."),
            ("district", "Its district."),
            (
                "kind",
                "What it is: `residential`, `commercial`, `construction-site`, `land-plot`.",
            ),
            ("lat", "Latitude (WGS 84)."),
            ("lon", "Longitude."),
            (
                "last_inspection_at",
                "When it was last inspected; absent if never.",
            ),
        ],
    },
    EntityMeaning {
        entity: Entity::ObjectSignals,
        meaning: "Signals about inspected objects from the sources risk scoring weighs: several \
                  per object (its first column is not unique).",
        columns: &[
            ("object_id", "The object the signal is about."),
            (
                "source",
                "Where it comes from: `drone` (imagery and its AI findings), `appeal` (a \
                 citizen's), `violation` (an earlier inspection's), `registry-mismatch`.",
            ),
            (
                "severity",
                "How serious, from 0 (nothing) upwards; 1 is a clear finding.",
            ),
            ("observed_at", "When it was observed."),
        ],
    },
];

/// The meaning of a column, if written down.
pub fn column_meaning(entity: Entity, column: &str) -> Option<&'static str> {
    MEANINGS[entity as usize]
        .columns
        .iter()
        .find(|(name, _)| *name == column)
        .map(|(_, m)| *m)
}

/// The entity a column refers to, if it holds another record's id.
pub fn referenced(entity: Entity, column: &str) -> Option<Entity> {
    REFERENCES
        .iter()
        .find(|(e, c, _)| *e == entity && *c == column)
        .map(|(_, _, to)| *to)
}

/// The type as a plugin reads it through the SDK's row views.
fn rust_type(c: &ColumnSpec) -> String {
    let ty = match c.ty {
        ColumnType::U64 => "u64",
        // Every s64 column is a time: seconds since the epoch, UTC.
        ColumnType::S64 => "Timestamp",
        ColumnType::U32 => "u32",
        ColumnType::F32 => "f32",
        ColumnType::F64 => "f64",
        ColumnType::Flag => "bool",
        ColumnType::Text => "&str",
    };
    if c.nullable {
        format!("Option<{ty}>")
    } else {
        ty.to_string()
    }
}

/// How a fixture file writes the column's values.
fn fixture_form(c: &ColumnSpec) -> &'static str {
    match c.ty {
        ColumnType::U64 | ColumnType::U32 => "integer",
        ColumnType::S64 => "`\"2026-11-20T09:30:00Z\"` or `\"2026-11-20\"`",
        ColumnType::F32 | ColumnType::F64 => "number",
        ColumnType::Flag => "`true`/`false`",
        ColumnType::Text => "string",
    }
}

/// The grant reading a column needs.
fn grants(entity: Entity, c: &ColumnSpec) -> String {
    let schema = entity.schema();
    if c.personal {
        format!(
            "`{}` + `{}`",
            schema.capability,
            Capability::DataCitizensPersonal
        )
    } else {
        format!("`{}`", schema.capability)
    }
}

/// The data reference as Markdown: what `zemstvo inspect --schema` prints and the SDK's
/// `DATA.md` holds.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "# The region's data\n\n\
         <!-- Generated from the entity schema (core/src/capabilities/data/schema.rs) and the \
         meanings beside it (reference.rs). Do not edit: regenerate with \
         `zemstvo inspect --schema > sdk/DATA.md`. -->\n\n\
         What a plugin can read through `data`: the entities, their columns and types, which \
         may be absent, the grant each needs, and what each means. A plugin reads columns in \
         batches (`applications::query().columns(&[applications::ID, …]).open()`) and sees \
         each row through typed accessors (`row.assigned_at()`); fixture files \
         (`tests/fixtures/*.json`) hold one JSON array per entity with the same field names.\n\n\
         - **Times** are seconds since 1970-01-01 UTC (`Timestamp`, an `i64`); the run's time \
         is `ctx.now`. Fixtures write them as RFC 3339 strings, `YYYY-MM-DD` dates (midnight \
         UTC) or integers.\n\
         - **May be absent**: the accessor returns an `Option`; a fixture may omit the field \
         or write `null`. Filter on it with `absent()` / `present()`.\n\
         - **Grant**: the capability an administrator grants (`zemstvo plugin grant`); a \
         query naming a column without it fails with `denied`, naming the grant. Declare it in \
         your metadata (`capability::DATA_STAFF` …).\n\
         - **Refers to**: the column holds the id of a record of that entity; fixtures are \
         refused when such an id has no record.\n\
         - The first column is the key; rows come in its ascending order.\n\n",
    );
    out.push_str("| entity | grant | what a record is |\n|---|---|---|\n");
    for entity in Entity::ALL {
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | `{1}` | {2} |",
            entity.name(),
            entity.schema().capability,
            MEANINGS[entity as usize].meaning
        );
    }
    for entity in Entity::ALL {
        let schema = entity.schema();
        let meaning = &MEANINGS[entity as usize];
        let _ = write!(
            out,
            "\n## {}\n\n{} SDK: `zemstvo_sdk::data::entities::{}`; grant `{}`.\n\n\
             | column | type | may be absent | grant | refers to | fixture | meaning |\n\
             |---|---|---|---|---|---|---|\n",
            schema.name, meaning.meaning, schema.name, schema.capability
        );
        for c in schema.columns {
            let refers = referenced(entity, c.name)
                .map(|to| format!("`{to}`"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{}` | `{}` ({}) | {} | {} | {} | {} | {} |",
                c.name,
                rust_type(c),
                c.ty.name(),
                if c.nullable { "yes" } else { "no" },
                grants(entity, c),
                refers,
                fixture_form(c),
                column_meaning(entity, c.name).unwrap_or("")
            );
        }
    }
    out
}

/// The schema as JSON, for tools: `zemstvo inspect --schema --json`.
pub fn json() -> serde_json::Value {
    let entities: Vec<serde_json::Value> = Entity::ALL
        .into_iter()
        .map(|entity| {
            let schema = entity.schema();
            let columns: Vec<serde_json::Value> = schema
                .columns
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "type": c.ty.name(),
                        "nullable": c.nullable,
                        "personal": c.personal,
                        "grant": if c.personal {
                            vec![schema.capability.name(), Capability::DataCitizensPersonal.name()]
                        } else {
                            vec![schema.capability.name()]
                        },
                        "refers_to": referenced(entity, c.name).map(Entity::name),
                        "meaning": column_meaning(entity, c.name),
                    })
                })
                .collect();
            serde_json::json!({
                "entity": schema.name,
                "grant": schema.capability.name(),
                "meaning": MEANINGS[entity as usize].meaning,
                "columns": columns,
            })
        })
        .collect();
    serde_json::json!({ "entities": entities })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_of_the_schema_has_its_meaning_and_nothing_else_does() {
        for entity in Entity::ALL {
            let meaning = &MEANINGS[entity as usize];
            assert_eq!(meaning.entity, entity, "MEANINGS is in Entity::ALL order");
            let schema: Vec<&str> = entity.schema().columns.iter().map(|c| c.name).collect();
            let described: Vec<&str> = meaning.columns.iter().map(|(c, _)| *c).collect();
            assert_eq!(
                schema, described,
                "{entity}: describe each column, in order"
            );
            assert!(meaning.columns.iter().all(|(_, m)| !m.trim().is_empty()));
        }
    }

    #[test]
    fn every_reference_names_an_id_column_of_the_right_type() {
        for (entity, column, to) in REFERENCES {
            let spec = entity
                .schema()
                .columns
                .iter()
                .find(|c| c.name == *column)
                .unwrap_or_else(|| panic!("{entity}.{column} is not a column"));
            assert_eq!(spec.ty, ColumnType::U64, "{entity}.{column}");
            assert_eq!(to.schema().columns[0].name, "id", "{to} is keyed by id");
        }
    }

    #[test]
    fn the_reference_lists_every_column_with_its_type_and_grant() {
        let page = markdown();
        assert!(
            page.contains(
                "| `assigned_at` | `Option<Timestamp>` (s64) | yes | `data.applications` |"
            )
        );
        assert!(page.contains(
            "| `snils` | `Option<&str>` (text) | yes | `data.citizens` + `data.citizens.personal` |"
        ));
        assert!(
            page.contains(
                "| `manager_id` | `Option<u64>` (u64) | yes | `data.staff` | `employees` |"
            )
        );
    }
}
