//! A plugin's query as it arrives, and its check against the entity's schema and the
//! plugin's grants before any backend sees it.

use super::{
    ColumnType, Comparison, Condition, DEFAULT_BATCH_ROWS, Entity, Filter, MAX_BATCH_ROWS, Query,
    Scalar,
};
use crate::capabilities::{Capability, Grants};

/// A query as the plugin wrote it: names, not positions; literals not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub entity: Entity,
    pub columns: Vec<String>,
    pub filters: Vec<FilterRequest>,
    pub batch_rows: Option<u32>,
}

/// One filter as the plugin wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterRequest {
    pub column: String,
    pub condition: ConditionRequest,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConditionRequest {
    Compare(Comparison, Scalar),
    AnyOf(Vec<Scalar>),
    IsAbsent,
    IsPresent,
}

/// Why a query was refused before reaching the backend.
#[derive(Debug, PartialEq)]
pub enum QueryRejection {
    Denied(Capability),
    UnknownColumn(String),
    Invalid(String),
}

/// Filters one query may have: each is evaluated for every row a backend walks.
pub const MAX_FILTERS: usize = 64;
/// Values one `any-of` may list.
pub const MAX_ANY_OF: usize = 10_000;
/// Bytes of a query's names and literals together.
pub const MAX_QUERY_BYTES: usize = 256 << 10;

/// Resolves a plugin's query against the schema and checks its grants. The grants are
/// checked before anything about a column is said (its type included), and the query's size
/// before any of its values is looked at.
pub fn validate_query(q: QueryRequest, grants: &Grants) -> Result<Query, QueryRejection> {
    let entity = q.entity;
    let schema = entity.schema();
    if !grants.is_granted(schema.capability) {
        return Err(QueryRejection::Denied(schema.capability));
    }
    if q.filters.len() > MAX_FILTERS {
        return Err(QueryRejection::Invalid(format!(
            "the query has {} filters; at most {MAX_FILTERS}",
            q.filters.len()
        )));
    }
    let size: usize = q.columns.iter().map(String::len).sum::<usize>()
        + q.filters
            .iter()
            .map(|f| {
                f.column.len()
                    + match &f.condition {
                        ConditionRequest::Compare(_, v) => scalar_bytes(v),
                        ConditionRequest::AnyOf(values) => values.iter().map(scalar_bytes).sum(),
                        ConditionRequest::IsAbsent | ConditionRequest::IsPresent => 0,
                    }
            })
            .sum::<usize>();
    if size > MAX_QUERY_BYTES {
        return Err(QueryRejection::Invalid(format!(
            "the query's names and values take {size} bytes; at most {MAX_QUERY_BYTES}"
        )));
    }
    let resolve = |name: &str| {
        schema.position(name).ok_or_else(|| {
            QueryRejection::UnknownColumn(format!(
                "{entity} has no column `{name}`; its columns are: {}",
                schema.column_names()
            ))
        })
    };
    if q.columns.is_empty() {
        return Err(QueryRejection::Invalid(format!(
            "name at least one column of {entity} to read"
        )));
    }
    let mut columns = Vec::with_capacity(q.columns.len());
    for name in &q.columns {
        let pos = resolve(name)?;
        if columns.contains(&pos) {
            return Err(QueryRejection::Invalid(format!(
                "column `{name}` is named twice"
            )));
        }
        columns.push(pos);
    }
    let filter_columns = q
        .filters
        .iter()
        .map(|f| resolve(&f.column))
        .collect::<Result<Vec<_>, _>>()?;
    let personal = columns
        .iter()
        .chain(&filter_columns)
        .any(|&c| schema.columns[c].personal);
    if personal && !grants.is_granted(Capability::DataCitizensPersonal) {
        return Err(QueryRejection::Denied(Capability::DataCitizensPersonal));
    }
    let mut filters = Vec::with_capacity(q.filters.len());
    for (f, column) in q.filters.into_iter().zip(filter_columns) {
        let spec = &schema.columns[column];
        let condition = match f.condition {
            ConditionRequest::Compare(op, value) => {
                Condition::Compare(op, literal(spec.name, spec.ty, value)?)
            }
            ConditionRequest::AnyOf(values) => {
                if values.len() > MAX_ANY_OF {
                    return Err(QueryRejection::Invalid(format!(
                        "any-of on `{}` lists {} values; at most {MAX_ANY_OF}",
                        spec.name,
                        values.len()
                    )));
                }
                Condition::AnyOf(
                    values
                        .into_iter()
                        .map(|v| literal(spec.name, spec.ty, v))
                        .collect::<Result<_, _>>()?,
                )
            }
            ConditionRequest::IsAbsent => Condition::IsAbsent,
            ConditionRequest::IsPresent => Condition::IsPresent,
        };
        filters.push(Filter { column, condition });
    }
    let batch_rows = q.batch_rows.unwrap_or(DEFAULT_BATCH_ROWS);
    if batch_rows == 0 || batch_rows > MAX_BATCH_ROWS {
        return Err(QueryRejection::Invalid(format!(
            "batch-rows must be 1 to {MAX_BATCH_ROWS}, got {batch_rows}"
        )));
    }
    Ok(Query {
        entity,
        columns,
        filters,
        batch_rows,
    })
}

fn scalar_bytes(v: &Scalar) -> usize {
    match v {
        Scalar::Text(t) => t.len() + 8,
        _ => 8,
    }
}

/// Checks a literal against its column's type; integers may be compared with decimals.
fn literal(column: &str, ty: ColumnType, value: Scalar) -> Result<Scalar, QueryRejection> {
    let fits = match (ty, &value) {
        (ColumnType::U64 | ColumnType::S64 | ColumnType::U32, Scalar::Integer(_)) => true,
        (ColumnType::F32 | ColumnType::F64, Scalar::Integer(_)) => true,
        (ColumnType::F32 | ColumnType::F64, Scalar::Decimal(d)) => d.is_finite(),
        (ColumnType::Text, Scalar::Text(_)) => true,
        (ColumnType::Flag, Scalar::Flag(_)) => true,
        _ => false,
    };
    if !fits {
        return Err(QueryRejection::Invalid(format!(
            "column `{column}` holds {} values and cannot be compared with {value:?}",
            ty.name()
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(entity: Entity, columns: &[&str], filters: Vec<FilterRequest>) -> QueryRequest {
        QueryRequest {
            entity,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            filters,
            batch_rows: None,
        }
    }

    #[test]
    fn query_needs_the_entity_grant() {
        let q = query(Entity::SmevRequests, &["id"], vec![]);
        assert_eq!(
            validate_query(q, &Grants::none()),
            Err(QueryRejection::Denied(Capability::DataSmev))
        );
    }

    #[test]
    fn personal_columns_need_their_own_grant_even_in_filters() {
        let grants: Grants = [Capability::DataCitizens].into_iter().collect();
        let q = query(Entity::Citizens, &["id", "lat"], vec![]);
        assert!(validate_query(q, &grants).is_ok());
        let q = query(
            Entity::Citizens,
            &["id"],
            vec![FilterRequest {
                column: "snils".into(),
                condition: ConditionRequest::IsPresent,
            }],
        );
        assert_eq!(
            validate_query(q, &grants),
            Err(QueryRejection::Denied(Capability::DataCitizensPersonal))
        );
    }

    #[test]
    fn a_personal_column_type_is_not_revealed_without_the_grant() {
        let grants: Grants = [Capability::DataCitizens].into_iter().collect();
        let q = query(
            Entity::Citizens,
            &["id"],
            vec![FilterRequest {
                column: "phone".into(),
                condition: ConditionRequest::Compare(Comparison::Eq, Scalar::Flag(true)),
            }],
        );
        assert_eq!(
            validate_query(q, &grants),
            Err(QueryRejection::Denied(Capability::DataCitizensPersonal))
        );
    }

    #[test]
    fn filters_and_query_size_are_capped() {
        let grants: Grants = [Capability::DataSmev].into_iter().collect();
        let filter = || FilterRequest {
            column: "id".into(),
            condition: ConditionRequest::IsPresent,
        };
        let q = query(
            Entity::SmevRequests,
            &["id"],
            (0..MAX_FILTERS + 1).map(|_| filter()).collect(),
        );
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("at most 64"))
        );
        let big = FilterRequest {
            column: "agency".into(),
            condition: ConditionRequest::AnyOf(
                (0..100).map(|_| Scalar::Text("x".repeat(4096))).collect(),
            ),
        };
        let q = query(Entity::SmevRequests, &["id"], vec![big]);
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("bytes"))
        );
    }

    #[test]
    fn unknown_column_lists_the_entity_columns() {
        let grants: Grants = [Capability::DataSmev].into_iter().collect();
        let q = query(Entity::SmevRequests, &["id", "sent"], vec![]);
        match validate_query(q, &grants) {
            Err(QueryRejection::UnknownColumn(m)) => assert!(m.contains("sent_at"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filter_literal_must_fit_the_column_type() {
        let grants: Grants = [Capability::DataSmev].into_iter().collect();
        let q = query(
            Entity::SmevRequests,
            &["id"],
            vec![FilterRequest {
                column: "sent_at".into(),
                condition: ConditionRequest::Compare(
                    Comparison::Lt,
                    Scalar::Text("yesterday".into()),
                ),
            }],
        );
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("sent_at"))
        );
    }
}
