//! The in-memory region: a region's records held in columns, loaded from a JSON fixture (for
//! vendors' tests and `zemstvo run --data`) or built in code (benchmarks). It implements
//! [`RegionData`] exactly as a database backend does, so a plugin cannot tell them apart.

pub mod demo;
mod fixture;
mod table;

use std::sync::Arc;

use async_trait::async_trait;

pub use fixture::{FixtureError, load_fixture, parse_fixture};
pub use table::{Cell, RowError, Table};

use crate::capabilities::data::{Batch, DataError, Entity, Query, RegionData, RowCursor};

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
        Ok(Box::new(MemoryCursor {
            table: self.tables[query.entity as usize].clone(),
            query,
            next_row: 0,
        }))
    }

    async fn first_missing(&self, entity: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        let keys = self.table(entity).keys();
        Ok(ids
            .iter()
            .copied()
            .find(|id| keys.binary_search(id).is_err()))
    }

    async fn citizen_consent(&self, citizen: u64) -> Result<Option<bool>, DataError> {
        let table = self.table(Entity::Citizens);
        let Ok(row) = table.keys().binary_search(&citizen) else {
            return Ok(None);
        };
        let consent = Entity::Citizens
            .schema()
            .position("consent")
            .expect("citizens have consent");
        Ok(Some(match &table.columns[consent].values {
            crate::capabilities::data::ColumnValues::Flag(v) => v[row] != 0,
            _ => unreachable!("consent is a flag column"),
        }))
    }
}

struct MemoryCursor {
    table: Arc<Table>,
    query: Query,
    next_row: usize,
}

#[async_trait]
impl RowCursor for MemoryCursor {
    async fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        let table = &self.table;
        let limit = self.query.batch_rows as usize;
        if self.next_row >= table.rows {
            return Ok(None);
        }
        if self.query.filters.is_empty() {
            let end = (self.next_row + limit).min(table.rows);
            let batch = table.slice(&self.query, self.next_row, end);
            self.next_row = end;
            return Ok(Some(batch));
        }
        let mut rows = Vec::with_capacity(limit.min(4096));
        while self.next_row < table.rows && rows.len() < limit {
            if table.matches(&self.query.filters, self.next_row) {
                rows.push(self.next_row);
            }
            self.next_row += 1;
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
        Ok(Box::new(MemoryCursor {
            table: Arc::new(Table::new(query.entity)),
            query,
            next_row: 0,
        }))
    }

    async fn first_missing(&self, _: Entity, ids: &[u64]) -> Result<Option<u64>, DataError> {
        Ok(ids.first().copied())
    }

    async fn citizen_consent(&self, _: u64) -> Result<Option<bool>, DataError> {
        Ok(None)
    }
}
