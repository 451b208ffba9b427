//! The in-memory region: a region's records held in columns, loaded from a JSON fixture (for
//! vendors' tests and `zemstvo run --data`) or built in code (benchmarks). It implements
//! [`RegionData`] exactly as a database backend does, so a plugin cannot tell them apart.

mod fixture;
mod table;

use std::sync::Arc;

use async_trait::async_trait;

pub use fixture::{FixtureError, load_fixture, parse_fixture};
use table::CompiledFilter;
pub use table::{Cell, RowError, Table};

use crate::capabilities::data::{Batch, DataError, Entity, Query, Reach, RegionData, RowCursor};

/// A region whose records are all in memory, in columns.
#[derive(Debug, Clone)]
pub struct InMemoryRegion {
    name: String,
    /// The fixture's "now", used as the runs' logical time unless the caller gives one.
    now: Option<i64>,
    tables: Vec<Arc<Table>>,
}

impl InMemoryRegion {
    /// A region from tables; missing entities are empty. Rows are sorted by key.
    pub fn new(
        name: impl Into<String>,
        now: Option<i64>,
        tables: impl IntoIterator<Item = Table>,
    ) -> Self {
        let mut all: Vec<Table> = Entity::ALL.iter().map(|&e| Table::new(e)).collect();
        for mut table in tables {
            table.sort_by_key();
            let i = table.entity as usize;
            all[i] = table;
        }
        InMemoryRegion {
            name: name.into(),
            now,
            tables: all.into_iter().map(Arc::new).collect(),
        }
    }

    /// The fixture's logical time, if it set one.
    pub fn now(&self) -> Option<i64> {
        self.now
    }

    pub fn table(&self, entity: Entity) -> &Table {
        &self.tables[entity as usize]
    }
}

#[async_trait]
impl RegionData for InMemoryRegion {
    fn region(&self) -> &str {
        &self.name
    }

    async fn open(&self, query: Query) -> Result<Box<dyn RowCursor>, DataError> {
        Ok(Box::new(MemoryCursor::new(
            self.tables[query.entity as usize].clone(),
            query,
        )))
    }

    async fn first_missing(&self, entity: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        let keys = self.table(entity).keys();
        Ok(ids
            .iter()
            .copied()
            .find(|id| keys.binary_search(id).is_err()))
    }

    async fn citizen_reach(&self, citizen: u64) -> Result<Option<Reach>, DataError> {
        let table = self.table(Entity::Citizens);
        let Ok(row) = table.keys().binary_search(&citizen) else {
            return Ok(None);
        };
        let column = |name: &str| {
            Entity::Citizens
                .schema()
                .position(name)
                .expect("citizens have consent, phone and email")
        };
        let consent = match &table.columns[column("consent")].values {
            crate::capabilities::data::ColumnValues::Flag(v) => v[row] != 0,
            _ => unreachable!("consent is a flag column"),
        };
        Ok(Some(Reach {
            consent,
            phone: table.is_present(column("phone"), row),
            email: table.is_present(column("email"), row),
        }))
    }
}

/// Rows a filtered read walks between two yields.
const SLICE_ROWS: usize = 4_096;

/// A read over one in-memory table. Unfiltered reads cut batches as slices; filtered reads
/// walk the rows (or, for keys asked by `any-of`, only the rows holding them).
struct MemoryCursor {
    table: Arc<Table>,
    query: Query,
    filters: Vec<CompiledFilter>,
    /// The rows to consider, when a key lookup narrowed them; else every row.
    candidates: Option<Vec<usize>>,
    /// Position in `candidates`, or the next row of the table.
    next: usize,
}

impl MemoryCursor {
    fn new(table: Arc<Table>, query: Query) -> Self {
        let filters = table.compile(&query.filters);
        let candidates = table.rows_for_keys(&filters);
        MemoryCursor {
            table,
            query,
            filters,
            candidates,
            next: 0,
        }
    }
}

#[async_trait]
impl RowCursor for MemoryCursor {
    async fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        let table = &self.table;
        let limit = self.query.batch_rows as usize;
        let total = self.candidates.as_ref().map_or(table.rows, Vec::len);
        if self.next >= total {
            return Ok(None);
        }
        if self.filters.is_empty() {
            let end = (self.next + limit).min(table.rows);
            let batch = table.slice(&self.query, self.next, end);
            self.next = end;
            return Ok(Some(batch));
        }
        let mut rows = Vec::with_capacity(limit.min(4096));
        let mut walked = 0usize;
        while self.next < total && rows.len() < limit {
            let row = self.candidates.as_ref().map_or(self.next, |c| c[self.next]);
            if table.matches(&self.filters, row) {
                rows.push(row);
            }
            self.next += 1;
            walked += 1;
            // A filter that matches little walks the whole table in one call: yield between
            // slices so that the run's deadline can stop the walk.
            if walked.is_multiple_of(SLICE_ROWS) {
                tokio::task::yield_now().await;
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(table.pick(&self.query, &rows)))
    }
}

/// A region with no records: what a plugin sees while it describes itself.
#[derive(Debug, Clone, Copy)]
pub struct EmptyRegion;

#[async_trait]
impl RegionData for EmptyRegion {
    fn region(&self) -> &str {
        "(none)"
    }

    async fn open(&self, query: Query) -> Result<Box<dyn RowCursor>, DataError> {
        Ok(Box::new(MemoryCursor::new(
            Arc::new(Table::new(query.entity)),
            query,
        )))
    }

    async fn first_missing(&self, _: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        Ok(ids.first().copied())
    }

    async fn citizen_reach(&self, _: u64) -> Result<Option<Reach>, DataError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::data::{ColumnValues, Comparison, Condition, Filter, Scalar};

    fn requests() -> InMemoryRegion {
        let mut t = Table::new(Entity::SmevRequests);
        for id in (1..=10u64).rev() {
            let answered = if id % 3 == 0 {
                Cell::Absent
            } else {
                Cell::S64(id as i64 * 10)
            };
            let agency = if id % 2 == 0 { "fns" } else { "mvd" };
            t.push(&[
                Cell::U64(id),
                Cell::U64(100 + id),
                Cell::Text(agency),
                Cell::Text("income"),
                Cell::Text("m"),
                Cell::S64(id as i64),
                Cell::Text("answered"),
                answered,
                Cell::Absent,
            ])
            .unwrap();
        }
        InMemoryRegion::new("t", None, [t])
    }

    fn query(columns: &[&str], filters: Vec<(&str, Condition)>, batch_rows: u32) -> Query {
        let schema = Entity::SmevRequests.schema();
        Query {
            entity: Entity::SmevRequests,
            columns: columns
                .iter()
                .map(|c| schema.position(c).unwrap())
                .collect(),
            filters: filters
                .into_iter()
                .map(|(c, condition)| Filter {
                    column: schema.position(c).unwrap(),
                    condition,
                })
                .collect(),
            batch_rows,
        }
    }

    async fn ids(region: &InMemoryRegion, q: Query) -> Vec<Vec<u64>> {
        let mut cursor = region.open(q).await.unwrap();
        let mut out = Vec::new();
        while let Some(b) = cursor.next_batch().await.unwrap() {
            match &b.columns[0].values {
                ColumnValues::U64(v) => out.push(v.clone()),
                other => panic!("{other:?}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn rows_come_sorted_by_key_in_batches_of_the_asked_size() {
        let r = requests();
        assert_eq!(
            ids(&r, query(&["id"], vec![], 4)).await,
            [vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10]]
        );
    }

    #[tokio::test]
    async fn filters_apply_on_the_host() {
        let r = requests();
        let q = query(
            &["id"],
            vec![
                (
                    "agency",
                    Condition::Compare(Comparison::Eq, Scalar::Text("fns".into())),
                ),
                ("answered_at", Condition::IsPresent),
            ],
            100,
        );
        assert_eq!(ids(&r, q).await, [vec![2, 4, 8, 10]]);
    }

    #[tokio::test]
    async fn any_of_on_the_key_finds_rows_without_a_scan_and_keeps_other_filters() {
        let r = requests();
        let lits = [7, 3, 99, 4].map(Scalar::Integer).to_vec();
        let q = query(&["id", "agency"], vec![("id", Condition::AnyOf(lits))], 100);
        assert_eq!(ids(&r, q).await, [vec![3, 4, 7]]);
        // A key listed twice gives its row once, as SQL's `IN` does.
        let lits = [4, 3, 4, 3].map(Scalar::Integer).to_vec();
        let q = query(&["id"], vec![("id", Condition::AnyOf(lits))], 100);
        assert_eq!(ids(&r, q).await, [vec![3, 4]]);
        let lits = [7, 3, 4].map(Scalar::Integer).to_vec();
        let q = query(
            &["id"],
            vec![
                ("id", Condition::AnyOf(lits)),
                ("answered_at", Condition::IsAbsent),
            ],
            100,
        );
        assert_eq!(ids(&r, q).await, [vec![3]]);
    }

    #[tokio::test]
    async fn absent_values_carry_a_presence_list_and_text_offsets_are_rebased() {
        let r = requests();
        let mut cursor = r
            .open(query(&["answered_at", "agency"], vec![], 3))
            .await
            .unwrap();
        cursor.next_batch().await.unwrap();
        let b = cursor.next_batch().await.unwrap().unwrap();
        assert_eq!(b.columns[0].present, vec![1, 1, 0]);
        match &b.columns[1].values {
            ColumnValues::Text(t) => {
                assert_eq!(t.offsets[0], 0);
                assert_eq!((t.get(0), t.get(1), t.get(2)), ("fns", "mvd", "fns"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn first_missing_names_the_unknown_id() {
        let r = requests();
        assert_eq!(
            r.first_missing(Entity::SmevRequests, &[1, 5, 10])
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            r.first_missing(Entity::SmevRequests, &[1, 11, 12])
                .await
                .unwrap(),
            Some(11)
        );
    }
}
