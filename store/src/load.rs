//! Bulk loading of region records: the demo generator's region, a fixture, an import.
//!
//! Rows go in multi-row `INSERT`s of a few hundred rows, all in one transaction per entity, so a
//! region of tens of thousands of records loads in seconds and a failed load leaves nothing.

use zemstvo_core::capabilities::data::{ColumnType, Entity};
use zemstvo_core::region::{Cell, InMemoryRegion, Table};

use crate::{Store, StoreError, now};

/// Rows per `INSERT` statement (SQLite allows 32766 parameters; the widest table has 14).
const ROWS_PER_STATEMENT: usize = 400;

/// Entities in an order where every reference points at rows already loaded.
pub const LOAD_ORDER: [Entity; 9] = [
    Entity::Units,
    Entity::Employees,
    Entity::Citizens,
    Entity::Applications,
    Entity::ApplicationEvents,
    Entity::SmevRequests,
    Entity::Visits,
    Entity::InspectedObjects,
    Entity::ObjectSignals,
];

/// The region a database holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

impl Store {
    /// The region this database holds, if one was created.
    pub async fn region(&self) -> Result<Option<RegionInfo>, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT id, name, timezone FROM regions ORDER BY created_at LIMIT 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(id, name, timezone)| RegionInfo { id, name, timezone }))
    }

    /// Records the region's identity (once per database).
    pub async fn create_region(&self, info: &RegionInfo) -> Result<(), StoreError> {
        if let Some(existing) = self.region().await? {
            return Err(StoreError::Conflict(format!(
                "this database already holds region `{}`; use another database for another region",
                existing.id
            )));
        }
        sqlx::query("INSERT INTO regions (id, name, timezone, created_at) VALUES ($1, $2, $3, $4)")
            .bind(info.id.clone())
            .bind(info.name.clone())
            .bind(info.timezone.clone())
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Loads every record of an in-memory region, calling `progress(done, total)` as rows go in.
    pub async fn load_region(
        &self,
        region: &InMemoryRegion,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<(), StoreError> {
        let total: u64 = LOAD_ORDER
            .iter()
            .map(|&e| region.table(e).len() as u64)
            .sum();
        let mut done = 0;
        progress(0, total);
        for entity in LOAD_ORDER {
            let table = region.table(entity);
            self.load_table(table, &mut |rows| {
                done += rows as u64;
                progress(done, total);
            })
            .await?;
        }
        self.refresh_statistics().await
    }

    /// Has the database gather fresh statistics on the region's tables. Without them, after a
    /// bulk load the planners pick plans made for empty tables (a nested scan instead of an
    /// index): the checks' time then grows faster than the data.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(())
    }

    /// Loads one table in one transaction.
    pub async fn load_table(
        &self,
        table: &Table,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<(), StoreError> {
        let schema = table.entity().schema();
        let columns: Vec<&str> = schema.columns.iter().map(|c| c.name).collect();
        let dialect = self.dialect();
        let mut tx = self.begin_write().await?;
        let mut start = 0;
        while start < table.len() {
            let end = (start + ROWS_PER_STATEMENT).min(table.len());
            let mut placeholders = Vec::with_capacity(end - start);
            let mut n = 0;
            for _ in start..end {
                let row: Vec<String> = columns
                    .iter()
                    .map(|_| {
                        n += 1;
                        dialect.mark(n)
                    })
                    .collect();
                placeholders.push(format!("({})", row.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                schema.name,
                columns.join(", "),
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for row in start..end {
                for (col, spec) in schema.columns.iter().enumerate() {
                    q = match (table.cell(col, row), spec.ty) {
                        (Cell::U64(v), _) => q.bind(v as i64),
                        (Cell::S64(v), _) => q.bind(v),
                        (Cell::U32(v), _) => q.bind(v as i64),
                        (Cell::F32(v), _) => q.bind(v as f64),
                        (Cell::F64(v), _) => q.bind(v),
                        (Cell::Flag(v), _) => q.bind(v as i64),
                        (Cell::Text(v), _) => q.bind(v.to_string()),
                        (Cell::Absent, ColumnType::F32 | ColumnType::F64) => {
                            crate::bind_double(q, None)
                        }
                        (Cell::Absent, ColumnType::Text) => q.bind(None::<String>),
                        (Cell::Absent, _) => q.bind(None::<i64>),
                    };
                }
            }
            q.execute(&mut *tx).await?;
            progress(end - start);
            start = end;
        }
        if schema.name == "smev_requests" && self.dialect() == crate::Dialect::Postgres {
            // Imported requests bring their own ids; the sequence of sent ones moves past them.
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('smev_requests', 'id'), COALESCE(MAX(id), 0) + 1, false) \
                 FROM smev_requests",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many records the region holds, by entity.
    pub async fn counts(&self) -> Result<Vec<(Entity, u64)>, StoreError> {
        let mut out = Vec::new();
        for entity in LOAD_ORDER {
            let (n,): (i64,) =
                sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", entity.schema().name))
                    .fetch_one(self.pool())
                    .await?;
            out.push((entity, n as u64));
        }
        Ok(out)
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Every (table, column) of the schema, sorted, without sqlx's own table (tests only).
    pub async fn columns_for_tests(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut out: Vec<(String, String)> = match self.dialect() {
            crate::Dialect::Postgres => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
                )
                .fetch_all(self.pool())
                .await?
            }
            crate::Dialect::Sqlite => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND m.name <> 'sqlite_sequence'",
                )
                .fetch_all(self.pool())
                .await?
            }
        };
        out.sort();
        Ok(out)
    }
}
