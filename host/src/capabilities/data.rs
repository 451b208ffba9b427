//! The host side of `data`: checks each query against the schema and the plugin's grants,
//! then serves batches from the [`RegionData`] backend.

use sha2::{Digest as _, Sha256};
use wasmtime::component::Resource;

use zemstvo_core::capabilities::data::{
    Batch, ColumnValues, DataError, Query, QueryRejection, QueryRequest, RowCursor, validate_query,
};

use crate::state::RunState;
use crate::state::within_budget;
use zemstvo_core::limits::LimitExceeded;

/// A plugin's open cursor, held in the run's resource table.
pub struct CursorHandle {
    cursor: Box<dyn RowCursor>,
}

/// Why a query or a batch was refused; each WIT version names these in its `data-error`.
#[derive(Debug)]
pub(crate) enum DataRefusal {
    Denied(String),
    UnknownColumn(String),
    InvalidQuery(String),
    Unavailable(String),
}

impl RunState {
    pub(crate) async fn open_cursor(
        &mut self,
        q: QueryRequest,
    ) -> wasmtime::Result<Result<Resource<CursorHandle>, DataRefusal>> {
        self.ensure_running("data")?;
        let query = match validate_query(q, &self.grants) {
            Ok(query) => query,
            Err(QueryRejection::Denied(capability)) => {
                let denied = self.require(capability).expect_err("not granted");
                return Ok(Err(DataRefusal::Denied(denied)));
            }
            Err(QueryRejection::UnknownColumn(why)) => {
                return Ok(Err(DataRefusal::UnknownColumn(why)));
            }
            Err(QueryRejection::Invalid(why)) => return Ok(Err(DataRefusal::InvalidQuery(why))),
        };
        if self.open_cursors >= self.limits.max_open_cursors {
            return Err(wasmtime::Error::new(LimitExceeded::OpenCursors {
                cap: self.limits.max_open_cursors,
            }));
        }
        self.data_digest.query(&query);
        match within_budget(
            self.deadline(),
            self.limits.time_budget,
            self.region.open(query),
        )
        .await?
        {
            Ok(cursor) => {
                let handle = self.table.push(CursorHandle { cursor })?;
                self.open_cursors += 1;
                Ok(Ok(handle))
            }
            Err(DataError::Unavailable(why)) => Ok(Err(DataRefusal::Unavailable(why))),
        }
    }

    pub(crate) async fn next_batch(
        &mut self,
        cursor: &Resource<CursorHandle>,
    ) -> wasmtime::Result<Result<Option<Batch>, DataRefusal>> {
        self.ensure_running("data")?;
        let (deadline, budget) = (self.deadline(), self.limits.time_budget);
        let handle = self.table.get_mut(cursor)?;
        match within_budget(deadline, budget, handle.cursor.next_batch()).await? {
            Ok(Some(batch)) => {
                self.outputs.rows_read += batch.rows as u64;
                self.data_digest.batch(&batch);
                Ok(Ok(Some(batch)))
            }
            Ok(None) => Ok(Ok(None)),
            Err(DataError::Unavailable(why)) => Ok(Err(DataRefusal::Unavailable(why))),
        }
    }

    pub(crate) fn drop_cursor(&mut self, cursor: Resource<CursorHandle>) -> wasmtime::Result<()> {
        self.table.delete(cursor)?;
        self.open_cursors -= 1;
        Ok(())
    }
}

/// A running sha256 of everything a run read through `data`: each query as it was opened and
/// each batch as it was served, in the order the plugin asked. A plugin is a pure function of
/// what it reads, so two runs of one version with equal digests read the same rows and decide
/// alike: a replay of a batch run uses it to tell whether the region's data is still what the
/// record was made from, without keeping the rows (a deviation check reads about a million).
/// Public so that `cargo bench --bench plugin_vs_native` can price it against the run.
#[derive(Default)]
pub struct DataDigest {
    hasher: Option<Sha256>,
    /// Reused for a column's values, so hashing costs no allocation per batch.
    scratch: Vec<u8>,
}

impl DataDigest {
    fn hasher(&mut self) -> &mut Sha256 {
        self.hasher.get_or_insert_with(|| {
            let mut h = Sha256::new();
            h.update(b"zemstvo-data/1\n");
            h
        })
    }

    pub fn query(&mut self, query: &Query) {
        let schema = query.schema();
        let mut text = format!("query {}", schema.name);
        for &column in &query.columns {
            text.push(' ');
            text.push_str(schema.columns[column].name);
        }
        // Filters are ours and derive `Debug`: a stable enough spelling for one host release.
        text.push_str(&format!(" {:?} {}\n", query.filters, query.batch_rows));
        self.hasher().update(text.as_bytes());
    }

    pub fn batch(&mut self, batch: &Batch) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let h = self.hasher();
        h.update(b"batch");
        h.update((batch.rows as u64).to_le_bytes());
        for column in &batch.columns {
            scratch.clear();
            match &column.values {
                ColumnValues::U64(v) => v.iter().for_each(|x| scratch.extend(x.to_le_bytes())),
                ColumnValues::S64(v) => v.iter().for_each(|x| scratch.extend(x.to_le_bytes())),
                ColumnValues::U32(v) => v.iter().for_each(|x| scratch.extend(x.to_le_bytes())),
                ColumnValues::F32(v) => v.iter().for_each(|x| scratch.extend(x.to_le_bytes())),
                ColumnValues::F64(v) => v.iter().for_each(|x| scratch.extend(x.to_le_bytes())),
                ColumnValues::Flag(v) => scratch.extend_from_slice(v),
                ColumnValues::Text(t) => {
                    t.offsets
                        .iter()
                        .for_each(|x| scratch.extend(x.to_le_bytes()));
                    scratch.extend_from_slice(&t.bytes);
                }
            }
            h.update((column.present.len() as u64).to_le_bytes());
            h.update(&column.present);
            h.update((scratch.len() as u64).to_le_bytes());
            h.update(&scratch);
        }
        self.scratch = scratch;
    }

    /// The digest in hex, or none when the run read nothing.
    pub fn finish(self) -> Option<String> {
        self.hasher.map(|h| hex::encode(h.finalize()))
    }
}
