//! Reading the region's records, in columnar batches.
//!
//! Name the entity and the columns you need, optionally filter on the host, then walk the
//! batches. Each batch holds ~16K rows as one array per column; the typed row views of
//! [`entities`] read them without copying:
//!
//! ```ignore
//! use zemstvo_sdk::prelude::*;
//! use zemstvo_sdk::data::{eq, ge};
//!
//! let cursor = smev_requests::query()
//!     .columns(&[smev_requests::ID, smev_requests::SENT_AT, smev_requests::ANSWERED_AT])
//!     .filter(smev_requests::SENT_AT, ge(ctx.now - 30 * DAY))
//!     .open()?;
//! for batch in cursor {
//!     let batch = batch?;
//!     for row in smev_requests::rows(&batch).iter() {
//!         let waited = row.answered_at().unwrap_or(ctx.now) - row.sent_at();
//!     }
//! }
//! ```
//!
//! For the tightest loops, take whole columns instead: `batch.s64s(smev_requests::SENT_AT)`
//! is a plain `&[i64]`.

use std::rc::Rc;

use crate::Entity;
use crate::bindings::deviation_check::zemstvo::platform::data as wit;

pub use wit::{Comparison, Condition, DataError, Scalar};

/// What to read: an entity, the columns needed, and filters the host evaluates.
#[derive(Debug, Clone)]
pub struct Query {
    entity: Entity,
    columns: Vec<String>,
    filters: Vec<wit::Filter>,
    batch_rows: Option<u32>,
}

impl Query {
    /// A query over `entity`; the entity modules' `query()` (e.g. `applications::query()`)
    /// says the same more briefly.
    pub fn new(entity: Entity) -> Self {
        Query {
            entity,
            columns: Vec::new(),
            filters: Vec::new(),
            batch_rows: None,
        }
    }

    /// The columns to read, e.g. `&[smev_requests::ID, smev_requests::SENT_AT]`.
    pub fn columns(mut self, columns: &[&str]) -> Self {
        self.columns.extend(columns.iter().map(|c| c.to_string()));
        self
    }

    /// Keeps only rows whose `column` satisfies `condition` (see [`eq`], [`lt`], [`any_of`]…).
    /// All filters must hold.
    pub fn filter(mut self, column: &str, condition: Condition) -> Self {
        self.filters.push(wit::Filter {
            column: column.to_string(),
            condition,
        });
        self
    }

    /// Rows per batch (the host's default is 16384, the most 65536).
    pub fn batch_rows(mut self, rows: u32) -> Self {
        self.batch_rows = Some(rows);
        self
    }

    /// Opens the cursor. Fails if the plugin lacks the grant or a column does not exist.
    pub fn open(self) -> Result<Cursor, DataError> {
        let names: Rc<[String]> = self.columns.clone().into();
        let inner = wit::open(&wit::Query {
            entity: self.entity,
            columns: self.columns,
            filters: self.filters,
            batch_rows: self.batch_rows,
        })?;
        Ok(Cursor { inner, names })
    }
}

/// The value equals `v`.
pub fn eq(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Eq, v.into()))
}

/// The value differs from `v`.
pub fn ne(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Ne, v.into()))
}

/// The value is less than `v`.
pub fn lt(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Lt, v.into()))
}

/// The value is at most `v`.
pub fn le(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Le, v.into()))
}

/// The value is greater than `v`.
pub fn gt(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Gt, v.into()))
}

/// The value is at least `v`.
pub fn ge(v: impl Into<Scalar>) -> Condition {
    Condition::Compare((Comparison::Ge, v.into()))
}

/// The value is one of `values`.
pub fn any_of<T: Into<Scalar>>(values: impl IntoIterator<Item = T>) -> Condition {
    Condition::AnyOf(values.into_iter().map(Into::into).collect())
}

/// Ids per [`any_of`] filter in [`for_ids`]: well under what the host accepts (10 000), so a
/// lookup never fails on the size of its filter.
pub const IDS_PER_QUERY: usize = 5_000;

/// Reads the rows of `query` whose `column` is one of `ids`, [`IDS_PER_QUERY`] ids per host
/// query, and hands every batch to `each`. The usual second pass of a check: after one pass
/// over a whole entity, look up only the records behind what it found. For a lookup by the
/// entity's own id into a map, `applications::by_id` (and its like on every entity with an
/// id) does this for you; use `for_ids` for another column or a query with filters.
///
/// ```ignore
/// let registered = application_events::query()
///     .columns(&[application_events::APPLICATION_ID, application_events::EMPLOYEE_ID])
///     .filter(application_events::STATUS, eq("registered"));
/// data::for_ids(&registered, application_events::APPLICATION_ID, &ids, |batch| { /* … */ })?;
/// ```
pub fn for_ids(
    query: &Query,
    column: &str,
    ids: &[u64],
    mut each: impl FnMut(&Batch),
) -> Result<(), DataError> {
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let cursor = query
            .clone()
            .filter(column, any_of(chunk.iter().copied()))
            .open()?;
        for batch in cursor {
            each(&batch?);
        }
    }
    Ok(())
}

/// The row has no value in this column.
pub fn absent() -> Condition {
    Condition::IsAbsent
}

/// The row has a value in this column.
pub fn present() -> Condition {
    Condition::IsPresent
}

impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Integer(v)
    }
}

impl From<u64> for Scalar {
    fn from(v: u64) -> Self {
        Scalar::Integer(v as i64)
    }
}

impl From<u32> for Scalar {
    fn from(v: u32) -> Self {
        Scalar::Integer(v.into())
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Scalar::Decimal(v)
    }
}

impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Flag(v)
    }
}

impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Scalar::Text(v.to_string())
    }
}

/// An open read. Iterate it for batches; dropping it releases the host's side.
pub struct Cursor {
    inner: wit::Cursor,
    names: Rc<[String]>,
}

impl Cursor {
    /// The next batch, or `None` when every row has been read.
    pub fn next_batch(&mut self) -> Result<Option<Batch>, DataError> {
        Ok(self.inner.next_batch()?.map(|raw| Batch {
            raw,
            names: self.names.clone(),
        }))
    }
}

impl Iterator for Cursor {
    type Item = Result<Batch, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

/// A slice of rows in columns, in the order the query named them.
pub struct Batch {
    raw: wit::Batch,
    names: Rc<[String]>,
}

impl Batch {
    /// Rows in this batch.
    pub fn len(&self) -> usize {
        self.raw.rows as usize
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.raw.rows == 0
    }

    fn column(&self, name: &str) -> Option<&wit::Column> {
        let i = self.names.iter().position(|n| n == name)?;
        self.raw.columns.get(i)
    }

    fn expect<T>(&self, name: &str, found: Option<T>, ty: &str) -> T {
        match found {
            Some(v) => v,
            None if self.column(name).is_none() => panic!(
                "column `{name}` was not read: add it to the query's columns ({:?})",
                self.names
            ),
            None => panic!("column `{name}` does not hold {ty} values"),
        }
    }

    /// The values of a `u64` column (ids). Panics if the column was not queried.
    pub fn u64s(&self, name: &str) -> &[u64] {
        self.expect(name, self.try_u64s(name), "u64")
    }

    /// The values of an `s64` column (timestamps). Panics if the column was not queried.
    pub fn s64s(&self, name: &str) -> &[i64] {
        self.expect(name, self.try_s64s(name), "s64")
    }

    /// The values of a `u32` column. Panics if the column was not queried.
    pub fn u32s(&self, name: &str) -> &[u32] {
        self.expect(name, self.try_u32s(name), "u32")
    }

    /// The values of an `f32` column. Panics if the column was not queried.
    pub fn f32s(&self, name: &str) -> &[f32] {
        self.expect(name, self.try_f32s(name), "f32")
    }

    /// The values of an `f64` column. Panics if the column was not queried.
    pub fn f64s(&self, name: &str) -> &[f64] {
        self.expect(name, self.try_f64s(name), "f64")
    }

    /// The values of a flag column, one byte per row (0 is false). Panics if not queried.
    pub fn flags(&self, name: &str) -> &[u8] {
        self.expect(name, self.try_flags(name), "flag")
    }

    /// The values of a text column. Panics if the column was not queried.
    pub fn texts(&self, name: &str) -> Texts<'_> {
        self.expect(name, self.try_texts(name), "text")
    }

    /// Which rows have a value in `name`. Panics if the column was not queried.
    pub fn presence(&self, name: &str) -> Presence<'_> {
        Presence(&self.expect(name, self.column(name), "any").present)
    }

    /// Like [`Batch::u64s`], but `None` instead of a panic: for columns a plugin reads only
    /// when present.
    pub fn try_u64s(&self, name: &str) -> Option<&[u64]> {
        match &self.column(name)?.values {
            wit::ColumnValues::U64s(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::s64s`], `None` instead of a panic.
    pub fn try_s64s(&self, name: &str) -> Option<&[i64]> {
        match &self.column(name)?.values {
            wit::ColumnValues::S64s(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::u32s`], `None` instead of a panic.
    pub fn try_u32s(&self, name: &str) -> Option<&[u32]> {
        match &self.column(name)?.values {
            wit::ColumnValues::U32s(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::f32s`], `None` instead of a panic.
    pub fn try_f32s(&self, name: &str) -> Option<&[f32]> {
        match &self.column(name)?.values {
            wit::ColumnValues::F32s(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::f64s`], `None` instead of a panic.
    pub fn try_f64s(&self, name: &str) -> Option<&[f64]> {
        match &self.column(name)?.values {
            wit::ColumnValues::F64s(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::flags`], `None` instead of a panic.
    pub fn try_flags(&self, name: &str) -> Option<&[u8]> {
        match &self.column(name)?.values {
            wit::ColumnValues::Booleans(v) => Some(v),
            _ => None,
        }
    }

    /// Like [`Batch::texts`], `None` instead of a panic.
    pub fn try_texts(&self, name: &str) -> Option<Texts<'_>> {
        match &self.column(name)?.values {
            wit::ColumnValues::Texts(t) => Some(Texts {
                bytes: &t.bytes,
                offsets: &t.offsets,
            }),
            _ => None,
        }
    }

    /// Like [`Batch::presence`], `None` instead of a panic.
    pub fn try_presence(&self, name: &str) -> Option<Presence<'_>> {
        Some(Presence(&self.column(name)?.present))
    }
}

/// A text column: one blob and the offsets of each row's string in it.
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    bytes: &'a [u8],
    offsets: &'a [u32],
}

impl<'a> Texts<'a> {
    /// Row `i`'s string.
    pub fn get(&self, i: usize) -> &'a str {
        let bytes = &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize];
        // The host builds text columns from UTF-8 strings; a broken one would be a host bug,
        // shown as replacement text rather than a trap.
        std::str::from_utf8(bytes).unwrap_or("\u{FFFD}")
    }

    /// Strings in the column.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the column has no strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which rows of a column have a value.
#[derive(Clone, Copy)]
pub struct Presence<'a>(&'a [u8]);

impl Presence<'_> {
    /// Whether row `i` has a value.
    pub fn get(&self, i: usize) -> bool {
        self.0.is_empty() || self.0[i] != 0
    }
}

/// Typed views of each entity: column-name constants, a query constructor and rows.
///
/// For every entity `e` (e.g. `smev_requests`) there is a module with:
/// - a constant per column (`smev_requests::SENT_AT == "sent_at"`) and `ALL`, every column;
/// - `query()`, a [`Query`] over the entity;
/// - `rows(&batch)`, typed views of a batch's rows: `row.sent_at()`, `row.answered_at()`
///   (an `Option` for columns that may be absent). Reading a column the query did not name
///   panics with a message naming it.
pub mod entities;
