//! Region fixtures: a JSON file with one array per entity, field names as in the data schema.
//!
//! ```json
//! { "region": "lipetsk-demo", "now": "2026-11-23T06:00:00Z",
//!   "employees": [{ "id": 1, "unit_id": 1, "full_name": "…", "role": "manager",
//!                   "normative_load": 0, "active": true }],
//!   "smev_requests": [{ "id": 1, "application_id": 1, "agency": "fns", "kind": "income",
//!                       "message_id": "…", "sent_at": "2026-11-16T10:00:00Z",
//!                       "status": "answered", "answered_at": "2026-11-21T09:00:00Z" }] }
//! ```
//!
//! Timestamps are RFC 3339 strings, `YYYY-MM-DD` dates (UTC midnight) or seconds since the
//! epoch. Fields that may be absent may be omitted or `null`. Every problem is reported with
//! the entity, the row and the field, and nothing is loaded unless everything is right.

use std::path::Path;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use super::InMemoryRegion;
use super::table::{Cell, Table};
use crate::capabilities::data::reference::REFERENCES;
use crate::capabilities::data::{ColumnType, Entity};

/// Why a fixture cannot be loaded. Names the place and what to write instead.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read the fixture {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the fixture is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: String) -> FixtureError {
    FixtureError::Invalid(message)
}

/// Reads a fixture file.
pub fn load_fixture(path: &Path) -> Result<InMemoryRegion, FixtureError> {
    let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_fixture(&text)
}

/// Parses fixture text.
pub fn parse_fixture(text: &str) -> Result<InMemoryRegion, FixtureError> {
    let root: Value = serde_json::from_str(text)?;
    let Value::Object(root) = root else {
        return Err(invalid(
            "the fixture must be a JSON object with one array per entity".into(),
        ));
    };
    let mut name = "fixture".to_string();
    let mut now = None;
    let mut tables = Vec::new();
    for (key, value) in &root {
        match key.as_str() {
            "region" => {
                name = value
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        invalid("`region` must be the region's name, a non-empty string".into())
                    })?
                    .to_string();
            }
            "now" => now = Some(timestamp(value).map_err(|e| invalid(format!("`now`: {e}")))?),
            other => {
                let entity = Entity::ALL.into_iter().find(|e| e.name() == other).ok_or_else(|| {
                    let known: Vec<&str> = Entity::ALL.iter().map(|e| e.name()).collect();
                    invalid(format!(
                        "unknown key `{other}`; a fixture has `region`, `now` and arrays named {}",
                        known.join(", ")
                    ))
                })?;
                tables.push(table(entity, value)?);
            }
        }
    }
    let region = InMemoryRegion::new(name, now, tables);
    check_references(&region)?;
    Ok(region)
}

fn table(entity: Entity, value: &Value) -> Result<Table, FixtureError> {
    let rows = value
        .as_array()
        .ok_or_else(|| invalid(format!("`{entity}` must be an array of objects")))?;
    let schema = entity.schema();
    let mut table = Table::new(entity);
    let mut texts: Vec<String> = Vec::with_capacity(schema.columns.len());
    for (i, row) in rows.iter().enumerate() {
        let at = |field: &str| format!("{entity}[{i}].{field}");
        let obj: &Map<String, Value> = row
            .as_object()
            .ok_or_else(|| invalid(format!("{entity}[{i}] must be an object")))?;
        if let Some(unknown) = obj.keys().find(|k| schema.position(k).is_none()) {
            return Err(invalid(format!(
                "{}: unknown field; {entity} has: {}",
                at(unknown),
                schema.column_names()
            )));
        }
        texts.clear();
        // Strings are collected first so that `Cell::Text` can borrow them.
        for spec in schema.columns {
            if let Some(Value::String(s)) = obj.get(spec.name)
                && spec.ty == ColumnType::Text
            {
                texts.push(s.clone());
            }
        }
        let mut text_iter = texts.iter();
        let mut cells = Vec::with_capacity(schema.columns.len());
        for spec in schema.columns {
            let value = obj.get(spec.name).unwrap_or(&Value::Null);
            let cell = if value.is_null() {
                if !spec.nullable {
                    return Err(invalid(format!(
                        "{}: missing; {} is required",
                        at(spec.name),
                        describe(spec.ty)
                    )));
                }
                Cell::Absent
            } else {
                let wrong = || {
                    invalid(format!(
                        "{}: expected {}, got {value}",
                        at(spec.name),
                        describe(spec.ty)
                    ))
                };
                match spec.ty {
                    ColumnType::U64 => Cell::U64(value.as_u64().ok_or_else(wrong)?),
                    ColumnType::U32 => Cell::U32(
                        value
                            .as_u64()
                            .and_then(|v| u32::try_from(v).ok())
                            .ok_or_else(wrong)?,
                    ),
                    ColumnType::S64 => Cell::S64(
                        timestamp(value).map_err(|e| invalid(format!("{}: {e}", at(spec.name))))?,
                    ),
                    ColumnType::F32 => {
                        Cell::F32(value.as_f64().filter(|v| v.is_finite()).ok_or_else(wrong)? as f32)
                    }
                    ColumnType::F64 => {
                        Cell::F64(value.as_f64().filter(|v| v.is_finite()).ok_or_else(wrong)?)
                    }
                    ColumnType::Flag => Cell::Flag(value.as_bool().ok_or_else(wrong)?),
                    ColumnType::Text => {
                        if !value.is_string() {
                            return Err(wrong());
                        }
                        Cell::Text(text_iter.next().expect("collected above").as_str())
                    }
                }
            };
            cells.push(cell);
        }
        table
            .push(&cells)
            .map_err(|e| invalid(format!("{entity}[{i}]: {e}")))?;
    }
    Ok(table)
}

fn describe(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::U64 | ColumnType::U32 => "a non-negative integer",
        ColumnType::S64 => "a timestamp such as \"2026-11-20T09:30:00Z\"",
        ColumnType::F32 | ColumnType::F64 => "a number",
        ColumnType::Flag => "true or false",
        ColumnType::Text => "a string",
    }
}

/// Seconds since the epoch from an RFC 3339 string, a `YYYY-MM-DD` date or an integer.
fn timestamp(value: &Value) -> Result<i64, String> {
    if let Some(n) = value.as_i64() {
        return Ok(n);
    }
    let Some(s) = value.as_str() else {
        return Err(format!(
            "expected a timestamp such as \"2026-11-20T09:30:00Z\", got {value}"
        ));
    };
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &date_format) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(format!(
        "`{s}` is not a timestamp; write \"2026-11-20T09:30:00Z\" (RFC 3339) or \"2026-11-20\""
    ))
}

/// Entities whose key identifies one row (the others list several rows per key).
fn unique_key(entity: Entity) -> bool {
    !matches!(entity, Entity::ApplicationEvents | Entity::ObjectSignals)
}

fn check_references(region: &InMemoryRegion) -> Result<(), FixtureError> {
    for entity in Entity::ALL.into_iter().filter(|&e| unique_key(e)) {
        let keys = region.table(entity).keys();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!(
                "{entity}: two records have id {}; ids must be unique",
                w[0]
            )));
        }
    }
    for &(from, column, to) in REFERENCES {
        let table = region.table(from);
        let col = from
            .schema()
            .position(column)
            .expect("reference columns exist");
        let crate::capabilities::data::ColumnValues::U64(values) = &table.columns[col].values
        else {
            unreachable!("reference columns are ids");
        };
        let targets = region.table(to).keys();
        for (row, id) in values.iter().enumerate() {
            if table.is_present(col, row) && targets.binary_search(id).is_err() {
                return Err(invalid(format!(
                    "{from} with {} = {}: {column} = {id} names no record in {to}",
                    from.schema().columns[0].name,
                    table.keys()[row],
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_required_field_is_named_with_its_row() {
        let err = parse_fixture(r#"{"units": [{"id": 1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("units[0].name: missing"), "{err}");
    }

    #[test]
    fn a_malformed_timestamp_says_how_to_write_one() {
        let err = parse_fixture(
            r#"{"citizens": [{"id": 1, "consent": true, "district": "d", "full_name": "n", "address": "a", "birth_date": "yesterday"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("citizens[0].birth_date"), "{err}");
        assert!(err.contains("2026-11-20T09:30:00Z"), "{err}");
    }

    #[test]
    fn a_dangling_reference_is_refused() {
        let err = parse_fixture(
            r#"{"units": [{"id": 1, "name": "u"}],
                "employees": [{"id": 5, "unit_id": 1, "full_name": "e", "role": "specialist",
                               "manager_id": 9, "normative_load": 10, "active": true}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("manager_id = 9 names no record in employees"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_field_lists_the_entity_fields() {
        let err = parse_fixture(r#"{"units": [{"id": 1, "name": "u", "boss": 2}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("units[0].boss: unknown field"), "{err}");
        assert!(err.contains("head_id"), "{err}");
    }
}
