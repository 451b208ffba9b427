//! The host side of `data`: checks each query against the schema and the plugin's grants,
//! then serves batches from the [`RegionData`] backend.

use wasmtime::component::Resource;

use zemstvo_core::capabilities::data::{
    Batch, DataError, QueryRejection, QueryRequest, RowCursor, validate_query,
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
