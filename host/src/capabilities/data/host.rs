//! The host side of `data`: checks each query against the schema and the plugin's grants,
//! then serves batches from the [`RegionData`] backend.

use wasmtime::component::Resource;

use super::{
    Batch, Column, ColumnType, ColumnValues, Comparison, Condition, DEFAULT_BATCH_ROWS, DataError,
    Filter, MAX_BATCH_ROWS, Query, RowCursor, Scalar,
};
use crate::capabilities::Capability;
use crate::runtime::RunState;
use crate::runtime::limits::LimitExceeded;
use crate::runtime::state::within_budget;
use crate::runtime::wit::latest::zemstvo::platform::data as wit;

/// A plugin's open cursor, held in the run's resource table.
pub struct CursorHandle {
    cursor: Box<dyn RowCursor>,
}

/// Why a query was refused before reaching the backend.
#[derive(Debug, PartialEq)]
pub(crate) enum QueryRejection {
    Denied(Capability),
    UnknownColumn(String),
    Invalid(String),
}

/// Filters one query may have: each is evaluated for every row a backend walks.
pub(crate) const MAX_FILTERS: usize = 64;
/// Values one `any-of` may list.
pub(crate) const MAX_ANY_OF: usize = 10_000;
/// Bytes of a query's names and literals together.
pub(crate) const MAX_QUERY_BYTES: usize = 256 << 10;

/// Resolves a plugin's query against the schema and checks its grants. The grants are
/// checked before anything about a column is said (its type included), and the query's size
/// before any of its values is looked at.
pub(crate) fn validate_query(
    q: wit::Query,
    grants: &crate::capabilities::Grants,
) -> Result<Query, QueryRejection> {
    let entity: super::Entity = q.entity.into();
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
                        wit::Condition::Compare((_, v)) => scalar_bytes(v),
                        wit::Condition::AnyOf(values) => values.iter().map(scalar_bytes).sum(),
                        wit::Condition::IsAbsent | wit::Condition::IsPresent => 0,
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
            wit::Condition::Compare((op, value)) => {
                Condition::Compare(op.into(), literal(spec.name, spec.ty, value)?)
            }
            wit::Condition::AnyOf(values) => {
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
            wit::Condition::IsAbsent => Condition::IsAbsent,
            wit::Condition::IsPresent => Condition::IsPresent,
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

fn scalar_bytes(v: &wit::Scalar) -> usize {
    match v {
        wit::Scalar::Text(t) => t.len() + 8,
        _ => 8,
    }
}

/// Checks a literal against its column's type; integers may be compared with decimals.
fn literal(column: &str, ty: ColumnType, value: wit::Scalar) -> Result<Scalar, QueryRejection> {
    let value = match value {
        wit::Scalar::Integer(i) => Scalar::Integer(i),
        wit::Scalar::Decimal(d) => Scalar::Decimal(d),
        wit::Scalar::Text(t) => Scalar::Text(t),
        wit::Scalar::Flag(b) => Scalar::Flag(b),
    };
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

impl From<wit::Comparison> for Comparison {
    fn from(c: wit::Comparison) -> Self {
        match c {
            wit::Comparison::Eq => Comparison::Eq,
            wit::Comparison::Ne => Comparison::Ne,
            wit::Comparison::Lt => Comparison::Lt,
            wit::Comparison::Le => Comparison::Le,
            wit::Comparison::Gt => Comparison::Gt,
            wit::Comparison::Ge => Comparison::Ge,
        }
    }
}

/// Moves a batch into its WIT form: the vectors change owner, nothing is copied.
impl From<Batch> for wit::Batch {
    fn from(b: Batch) -> Self {
        wit::Batch {
            rows: b.rows as u32,
            columns: b.columns.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Column> for wit::Column {
    fn from(c: Column) -> Self {
        wit::Column {
            values: match c.values {
                ColumnValues::U64(v) => wit::ColumnValues::U64s(v),
                ColumnValues::S64(v) => wit::ColumnValues::S64s(v),
                ColumnValues::U32(v) => wit::ColumnValues::U32s(v),
                ColumnValues::F32(v) => wit::ColumnValues::F32s(v),
                ColumnValues::F64(v) => wit::ColumnValues::F64s(v),
                ColumnValues::Flag(v) => wit::ColumnValues::Booleans(v),
                ColumnValues::Text(t) => wit::ColumnValues::Texts(wit::TextColumn {
                    bytes: t.bytes,
                    offsets: t.offsets,
                }),
            },
            present: c.present,
        }
    }
}

impl wit::Host for RunState {
    async fn open(
        &mut self,
        q: wit::Query,
    ) -> wasmtime::Result<Result<Resource<CursorHandle>, wit::DataError>> {
        self.ensure_running("data")?;
        let query = match validate_query(q, &self.grants) {
            Ok(query) => query,
            Err(QueryRejection::Denied(capability)) => {
                let denied = self.require(capability).expect_err("not granted");
                return Ok(Err(wit::DataError::Denied(denied)));
            }
            Err(QueryRejection::UnknownColumn(why)) => {
                return Ok(Err(wit::DataError::UnknownColumn(why)));
            }
            Err(QueryRejection::Invalid(why)) => return Ok(Err(wit::DataError::InvalidQuery(why))),
        };
        if self.open_cursors >= self.limits.max_open_cursors {
            return Err(wasmtime::Error::new(LimitExceeded::OpenCursors {
                cap: self.limits.max_open_cursors,
            }));
        }
        match within_budget(
            self.deadline(),
            self.limits.cpu_budget,
            self.region.open(query),
        )
        .await?
        {
            Ok(cursor) => {
                let handle = self.table.push(CursorHandle { cursor })?;
                self.open_cursors += 1;
                Ok(Ok(handle))
            }
            Err(DataError::Unavailable(why)) => Ok(Err(wit::DataError::Unavailable(why))),
        }
    }
}

impl wit::HostCursor for RunState {
    async fn next_batch(
        &mut self,
        cursor: Resource<CursorHandle>,
    ) -> wasmtime::Result<Result<Option<wit::Batch>, wit::DataError>> {
        self.ensure_running("data")?;
        let (deadline, budget) = (self.deadline(), self.limits.cpu_budget);
        let handle = self.table.get_mut(&cursor)?;
        match within_budget(deadline, budget, handle.cursor.next_batch()).await? {
            Ok(Some(batch)) => {
                self.outputs.rows_read += batch.rows as u64;
                Ok(Ok(Some(batch.into())))
            }
            Ok(None) => Ok(Ok(None)),
            Err(DataError::Unavailable(why)) => Ok(Err(wit::DataError::Unavailable(why))),
        }
    }

    async fn drop(&mut self, cursor: Resource<CursorHandle>) -> wasmtime::Result<()> {
        self.table.delete(cursor)?;
        self.open_cursors -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::Grants;
    use crate::runtime::wit::latest::zemstvo::platform::types::Entity as WitEntity;

    fn query(entity: WitEntity, columns: &[&str], filters: Vec<wit::Filter>) -> wit::Query {
        wit::Query {
            entity,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            filters,
            batch_rows: None,
        }
    }

    #[test]
    fn query_needs_the_entity_grant() {
        let q = query(WitEntity::SmevRequests, &["id"], vec![]);
        assert_eq!(
            validate_query(q, &Grants::none()),
            Err(QueryRejection::Denied(Capability::DataSmev))
        );
    }

    #[test]
    fn personal_columns_need_their_own_grant_even_in_filters() {
        let grants: Grants = [Capability::DataCitizens].into_iter().collect();
        let q = query(WitEntity::Citizens, &["id", "lat"], vec![]);
        assert!(validate_query(q, &grants).is_ok());
        let q = query(
            WitEntity::Citizens,
            &["id"],
            vec![wit::Filter {
                column: "snils".into(),
                condition: wit::Condition::IsPresent,
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
            WitEntity::Citizens,
            &["id"],
            vec![wit::Filter {
                column: "phone".into(),
                condition: wit::Condition::Compare((wit::Comparison::Eq, wit::Scalar::Flag(true))),
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
        let filter = || wit::Filter {
            column: "id".into(),
            condition: wit::Condition::IsPresent,
        };
        let q = query(
            WitEntity::SmevRequests,
            &["id"],
            (0..MAX_FILTERS + 1).map(|_| filter()).collect(),
        );
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("at most 64"))
        );
        let big = wit::Filter {
            column: "agency".into(),
            condition: wit::Condition::AnyOf(
                (0..100)
                    .map(|_| wit::Scalar::Text("x".repeat(4096)))
                    .collect(),
            ),
        };
        let q = query(WitEntity::SmevRequests, &["id"], vec![big]);
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("bytes"))
        );
    }

    #[test]
    fn unknown_column_lists_the_entity_columns() {
        let grants: Grants = [Capability::DataSmev].into_iter().collect();
        let q = query(WitEntity::SmevRequests, &["id", "sent"], vec![]);
        match validate_query(q, &grants) {
            Err(QueryRejection::UnknownColumn(m)) => assert!(m.contains("sent_at"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filter_literal_must_fit_the_column_type() {
        let grants: Grants = [Capability::DataSmev].into_iter().collect();
        let q = query(
            WitEntity::SmevRequests,
            &["id"],
            vec![wit::Filter {
                column: "sent_at".into(),
                condition: wit::Condition::Compare((
                    wit::Comparison::Lt,
                    wit::Scalar::Text("yesterday".into()),
                )),
            }],
        );
        assert!(
            matches!(validate_query(q, &grants), Err(QueryRejection::Invalid(m)) if m.contains("sent_at"))
        );
    }
}
