//! `data`: read-only access to the region's records in columnar batches.
//!
//! The plugin opens a cursor with the columns it needs and optional filters; the host checks
//! the query against the entity's [`schema`] and the plugin's grants, then hands it to a
//! [`RegionData`] backend, which evaluates the filters itself and builds each batch directly
//! in columns. Why columns, and why ~16K rows: `docs/design.md` ("Plugins read region data in
//! columns").

pub mod reference;
mod request;
pub mod schema;

use std::fmt;

use async_trait::async_trait;

pub use request::{
    ConditionRequest, FilterRequest, MAX_ANY_OF, MAX_FILTERS, MAX_QUERY_BYTES, QueryRejection,
    QueryRequest, validate_query,
};
pub use schema::{ColumnSpec, ColumnType, Entity, EntitySchema};

/// Rows per batch when the plugin does not say.
pub const DEFAULT_BATCH_ROWS: u32 = 16_384;
/// The most rows a plugin may ask for in one batch (bounds the host's memory per cursor).
pub const MAX_BATCH_ROWS: u32 = 65_536;

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Integer(i64),
    Decimal(f64),
    Text(String),
    Flag(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    /// Applies the comparison to an ordering of `value` against the literal.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Comparison::Eq => ord == Equal,
            Comparison::Ne => ord != Equal,
            Comparison::Lt => ord == Less,
            Comparison::Le => ord != Greater,
            Comparison::Gt => ord == Greater,
            Comparison::Ge => ord != Less,
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::Ne => "<>",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }
}

/// A condition on one column, evaluated by the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Comparison, Scalar),
    AnyOf(Vec<Scalar>),
    IsAbsent,
    IsPresent,
}

/// A filter whose column has been resolved against the entity's schema and whose literals
/// have been checked against the column's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Position of the column in the entity's schema.
    pub column: usize,
    pub condition: Condition,
}

/// A query the host has validated: every column exists, every filter fits its column, and
/// the plugin holds the grants it needs. Backends can trust it.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub entity: Entity,
    /// Positions in the entity's schema, in the order the plugin asked for them.
    pub columns: Vec<usize>,
    pub filters: Vec<Filter>,
    pub batch_rows: u32,
}

impl Query {
    pub fn schema(&self) -> &'static EntitySchema {
        self.entity.schema()
    }
}

/// Strings of one column: row `i` is `bytes[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    pub bytes: Vec<u8>,
    pub offsets: Vec<u32>,
}

impl TextColumn {
    /// An empty column ready for `push`.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextColumn {
            bytes: Vec::with_capacity(bytes),
            offsets,
        }
    }

    pub fn push(&mut self, value: &str) {
        self.bytes.extend_from_slice(value.as_bytes());
        self.offsets.push(self.bytes.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, row: usize) -> &str {
        let bytes = &self.bytes[self.offsets[row] as usize..self.offsets[row + 1] as usize];
        // Only `push` fills the column, and it appends whole `&str`s.
        std::str::from_utf8(bytes).expect("text columns hold whole UTF-8 strings")
    }
}

/// The values of one column for the rows of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    U64(Vec<u64>),
    S64(Vec<i64>),
    U32(Vec<u32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Flag(Vec<u8>),
    Text(TextColumn),
}

impl ColumnValues {
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::U64(v) => v.len(),
            ColumnValues::S64(v) => v.len(),
            ColumnValues::U32(v) => v.len(),
            ColumnValues::F32(v) => v.len(),
            ColumnValues::F64(v) => v.len(),
            ColumnValues::Flag(v) => v.len(),
            ColumnValues::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty column of the given type with room for `rows` values.
    pub fn with_capacity(ty: ColumnType, rows: usize) -> Self {
        match ty {
            ColumnType::U64 => ColumnValues::U64(Vec::with_capacity(rows)),
            ColumnType::S64 => ColumnValues::S64(Vec::with_capacity(rows)),
            ColumnType::U32 => ColumnValues::U32(Vec::with_capacity(rows)),
            ColumnType::F32 => ColumnValues::F32(Vec::with_capacity(rows)),
            ColumnType::F64 => ColumnValues::F64(Vec::with_capacity(rows)),
            ColumnType::Flag => ColumnValues::Flag(Vec::with_capacity(rows)),
            ColumnType::Text => ColumnValues::Text(TextColumn::with_capacity(rows, rows * 16)),
        }
    }
}

/// One column of a batch. `present` is empty when every row has a value; otherwise it holds
/// one byte per row, 0 where the value is absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub values: ColumnValues,
    pub present: Vec<u8>,
}

/// A slice of rows, one column per column of the query, in the query's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub rows: usize,
    pub columns: Vec<Column>,
}

/// Why a backend could not serve a read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// The store cannot be reached or read right now; a later run may succeed.
    #[error("the region's data is unavailable: {0}")]
    Unavailable(String),
}

/// What the host needs to know before it accepts a message to a citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Consented to proactive informing.
    pub consent: bool,
    pub phone: bool,
    pub email: bool,
}

impl Reach {
    /// Whether a message on `channel` can reach the citizen: a phone for SMS and voice, an
    /// e-mail address for e-mail; the portal reaches everyone.
    pub fn reaches(&self, channel: crate::capabilities::notify::Channel) -> bool {
        use crate::capabilities::notify::Channel;
        match channel {
            Channel::Sms | Channel::Voice => self.phone,
            Channel::Email => self.email,
            Channel::Portal => true,
        }
    }
}

/// Where region records come from: the in-memory fixture region now, the database later.
/// Implementations receive only validated queries.
#[async_trait]
pub trait RegionData: Send + Sync + fmt::Debug {
    /// The region's name, e.g. `lipetsk`.
    fn region(&self) -> &str;

    /// Starts a read. Must not load the whole result: batches are produced on demand.
    async fn open(&self, query: Query) -> Result<Box<dyn RowCursor>, DataError>;

    /// The first of `ids` that is not a key of `entity`, if any: how the host checks the ids
    /// in a plugin's output (one call per output batch, not per id).
    async fn first_missing(&self, entity: Entity, ids: &[u64]) -> Result<Option<u64>, DataError>;

    /// Whether the citizen consented to proactive informing and which contacts the region
    /// has for them; `None` if there is no such citizen.
    async fn citizen_reach(&self, citizen: u64) -> Result<Option<Reach>, DataError>;

    /// Whether the region keeps a notification template of this name; `None` where the
    /// backend keeps no templates at all (fixtures), so that any name is accepted.
    async fn has_template(&self, _name: &str) -> Result<Option<bool>, DataError> {
        Ok(None)
    }
}

/// An open read over one entity.
#[async_trait]
pub trait RowCursor: Send {
    /// The next batch of at most `query.batch_rows` rows, or `None` when exhausted.
    async fn next_batch(&mut self) -> Result<Option<Batch>, DataError>;
}
