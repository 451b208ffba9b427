//! A columnar table in memory: one vector per column, rows sorted by key. Batches are cut
//! straight from the columns (a slice copy per column when no filter applies), never built
//! row by row.

use std::cmp::Ordering;

use crate::capabilities::data::{
    Batch, Column, ColumnType, ColumnValues, Condition, Entity, Filter, Query, Scalar, TextColumn,
};

/// A filter prepared for one table (see [`Table::compile`]).
#[derive(Debug, Clone)]
pub(crate) enum CompiledFilter {
    Plain(Filter),
    AnyOf {
        column: usize,
        integers: Vec<i128>,
        numbers: Vec<f64>,
        texts: Vec<String>,
        flags: Vec<bool>,
    },
}

/// One value of a row being added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Absent,
    U64(u64),
    S64(i64),
    U32(u32),
    F32(f32),
    F64(f64),
    Flag(bool),
    Text(&'a str),
}

/// Why a row does not fit its table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("expected {expected} values, got {got}")]
    Arity { expected: usize, got: usize },
    #[error("`{column}` expects {expected}")]
    Type {
        column: &'static str,
        expected: &'static str,
    },
    #[error("`{column}` is required")]
    Missing { column: &'static str },
}

#[derive(Debug, Clone)]
pub(crate) struct StoredColumn {
    pub(crate) values: ColumnValues,
    /// `None` while every row has a value.
    pub(crate) present: Option<Vec<u8>>,
}

/// An entity's rows in columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) entity: Entity,
    pub(crate) rows: usize,
    pub(crate) columns: Vec<StoredColumn>,
}

impl Table {
    pub fn new(entity: Entity) -> Self {
        Table {
            entity,
            rows: 0,
            columns: entity
                .schema()
                .columns
                .iter()
                .map(|c| StoredColumn {
                    values: ColumnValues::with_capacity(c.ty, 0),
                    present: None,
                })
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row given in the schema's column order.
    pub fn push(&mut self, row: &[Cell<'_>]) -> Result<(), RowError> {
        let schema = self.entity.schema();
        if row.len() != schema.columns.len() {
            return Err(RowError::Arity {
                expected: schema.columns.len(),
                got: row.len(),
            });
        }
        for (spec, cell) in schema.columns.iter().zip(row) {
            let ok = matches!(
                (spec.ty, cell),
                (_, Cell::Absent)
                    | (ColumnType::U64, Cell::U64(_))
                    | (ColumnType::S64, Cell::S64(_))
                    | (ColumnType::U32, Cell::U32(_))
                    | (ColumnType::F32, Cell::F32(_))
                    | (ColumnType::F64, Cell::F64(_))
                    | (ColumnType::Flag, Cell::Flag(_))
                    | (ColumnType::Text, Cell::Text(_))
            );
            if !ok {
                return Err(RowError::Type {
                    column: spec.name,
                    expected: spec.ty.name(),
                });
            }
            if *cell == Cell::Absent && !spec.nullable {
                return Err(RowError::Missing { column: spec.name });
            }
        }
        for (col, cell) in self.columns.iter_mut().zip(row) {
            let present = *cell != Cell::Absent;
            match (&mut col.values, *cell) {
                (ColumnValues::U64(v), Cell::U64(x)) => v.push(x),
                (ColumnValues::S64(v), Cell::S64(x)) => v.push(x),
                (ColumnValues::U32(v), Cell::U32(x)) => v.push(x),
                (ColumnValues::F32(v), Cell::F32(x)) => v.push(x),
                (ColumnValues::F64(v), Cell::F64(x)) => v.push(x),
                (ColumnValues::Flag(v), Cell::Flag(x)) => v.push(x as u8),
                (ColumnValues::Text(v), Cell::Text(x)) => v.push(x),
                (values, _) => push_zero(values),
            }
            match (&mut col.present, present) {
                (Some(p), present) => p.push(present as u8),
                (None, true) => {}
                (None, false) => {
                    let mut p = vec![1u8; self.rows];
                    p.push(0);
                    col.present = Some(p);
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    pub fn entity(&self) -> Entity {
        self.entity
    }

    /// The value of column `col` (in schema order) at `row`.
    pub fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        if !self.is_present(col, row) {
            return Cell::Absent;
        }
        match &self.columns[col].values {
            ColumnValues::U64(v) => Cell::U64(v[row]),
            ColumnValues::S64(v) => Cell::S64(v[row]),
            ColumnValues::U32(v) => Cell::U32(v[row]),
            ColumnValues::F32(v) => Cell::F32(v[row]),
            ColumnValues::F64(v) => Cell::F64(v[row]),
            ColumnValues::Flag(v) => Cell::Flag(v[row] != 0),
            ColumnValues::Text(v) => Cell::Text(v.get(row)),
        }
    }

    /// The key (first column) of every row.
    pub(crate) fn keys(&self) -> &[u64] {
        match &self.columns[0].values {
            ColumnValues::U64(v) => v,
            _ => unreachable!("every entity is keyed by a u64 column"),
        }
    }

    /// Sorts rows by key, keeping equal keys in insertion order.
    pub(crate) fn sort_by_key(&mut self) {
        let keys = self.keys();
        if keys.windows(2).all(|w| w[0] <= w[1]) {
            return;
        }
        let mut order: Vec<usize> = (0..self.rows).collect();
        order.sort_by_key(|&i| keys[i]);
        self.columns = self
            .columns
            .iter()
            .map(|c| StoredColumn {
                values: gather(&c.values, &order),
                present: c
                    .present
                    .as_ref()
                    .map(|p| order.iter().map(|&i| p[i]).collect()),
            })
            .collect();
    }

    /// Whether row `row` of column `col` has a value.
    pub(crate) fn is_present(&self, col: usize, row: usize) -> bool {
        self.columns[col]
            .present
            .as_ref()
            .is_none_or(|p| p[row] != 0)
    }

    /// Prepares a query's filters for evaluation over this table: `any-of` lists are sorted
    /// once so each row costs a binary search, not a scan of the list.
    pub(crate) fn compile(&self, filters: &[Filter]) -> Vec<CompiledFilter> {
        filters
            .iter()
            .map(|f| match &f.condition {
                Condition::AnyOf(lits) => {
                    let mut numbers: Vec<f64> = Vec::new();
                    let mut integers: Vec<i128> = Vec::new();
                    let mut texts: Vec<String> = Vec::new();
                    let mut flags: Vec<bool> = Vec::new();
                    for lit in lits {
                        match lit {
                            Scalar::Integer(i) => {
                                integers.push(*i as i128);
                                numbers.push(*i as f64);
                            }
                            Scalar::Decimal(d) => numbers.push(*d),
                            Scalar::Text(t) => texts.push(t.clone()),
                            Scalar::Flag(b) => flags.push(*b),
                        }
                    }
                    // Deduplicated too: a key listed twice must not give its rows twice.
                    integers.sort_unstable();
                    integers.dedup();
                    numbers.sort_by(f64::total_cmp);
                    numbers.dedup();
                    texts.sort_unstable();
                    texts.dedup();
                    CompiledFilter::AnyOf {
                        column: f.column,
                        integers,
                        numbers,
                        texts,
                        flags,
                    }
                }
                _ => CompiledFilter::Plain(f.clone()),
            })
            .collect()
    }

    /// When a query asks for keys by `any-of`, the rows holding them, found by binary search
    /// on the sorted key column instead of a scan of the table.
    pub(crate) fn rows_for_keys(&self, filters: &[CompiledFilter]) -> Option<Vec<usize>> {
        let integers = filters.iter().find_map(|f| match f {
            CompiledFilter::AnyOf {
                column: 0,
                integers,
                ..
            } => Some(integers),
            _ => None,
        })?;
        let keys = self.keys();
        let mut rows = Vec::with_capacity(integers.len());
        for &id in integers {
            let Ok(id) = u64::try_from(id) else { continue };
            let start = keys.partition_point(|&k| k < id);
            let end = keys.partition_point(|&k| k <= id);
            rows.extend(start..end);
        }
        rows.dedup();
        Some(rows)
    }

    pub(crate) fn matches(&self, filters: &[CompiledFilter], row: usize) -> bool {
        filters.iter().all(|f| match f {
            CompiledFilter::Plain(f) => self.satisfies(f, row),
            CompiledFilter::AnyOf {
                column,
                integers,
                numbers,
                texts,
                flags,
            } => {
                self.is_present(*column, row)
                    && match &self.columns[*column].values {
                        ColumnValues::U64(v) => integers.binary_search(&(v[row] as i128)).is_ok(),
                        ColumnValues::S64(v) => integers.binary_search(&(v[row] as i128)).is_ok(),
                        ColumnValues::U32(v) => integers.binary_search(&(v[row] as i128)).is_ok(),
                        ColumnValues::F32(v) => numbers
                            .binary_search_by(|n| n.total_cmp(&(v[row] as f64)))
                            .is_ok(),
                        ColumnValues::F64(v) => {
                            numbers.binary_search_by(|n| n.total_cmp(&v[row])).is_ok()
                        }
                        ColumnValues::Flag(v) => flags.contains(&(v[row] != 0)),
                        ColumnValues::Text(v) => texts
                            .binary_search_by(|t| t.as_str().cmp(v.get(row)))
                            .is_ok(),
                    }
            }
        })
    }

    fn satisfies(&self, f: &Filter, row: usize) -> bool {
        let present = self.is_present(f.column, row);
        match &f.condition {
            Condition::IsAbsent => !present,
            Condition::IsPresent => present,
            Condition::Compare(op, lit) => {
                present
                    && self
                        .compare(f.column, row, lit)
                        .is_some_and(|o| op.holds(o))
            }
            Condition::AnyOf(lits) => {
                present
                    && lits
                        .iter()
                        .any(|lit| self.compare(f.column, row, lit) == Some(Ordering::Equal))
            }
        }
    }

    /// How row `row`'s value compares with a literal (validated to fit the column).
    fn compare(&self, col: usize, row: usize, lit: &Scalar) -> Option<Ordering> {
        let int = |v: i128| match lit {
            Scalar::Integer(l) => Some(v.cmp(&(*l as i128))),
            Scalar::Decimal(l) => (v as f64).partial_cmp(l),
            _ => None,
        };
        let float = |v: f64| match lit {
            Scalar::Integer(l) => v.partial_cmp(&(*l as f64)),
            Scalar::Decimal(l) => v.partial_cmp(l),
            _ => None,
        };
        match (&self.columns[col].values, lit) {
            (ColumnValues::U64(v), _) => int(v[row] as i128),
            (ColumnValues::S64(v), _) => int(v[row] as i128),
            (ColumnValues::U32(v), _) => int(v[row] as i128),
            (ColumnValues::F32(v), _) => float(v[row] as f64),
            (ColumnValues::F64(v), _) => float(v[row]),
            (ColumnValues::Flag(v), Scalar::Flag(l)) => Some((v[row] != 0).cmp(l)),
            (ColumnValues::Text(v), Scalar::Text(l)) => Some(v.get(row).cmp(l.as_str())),
            _ => None,
        }
    }

    /// The rows `[start, end)` of the query's columns.
    pub(crate) fn slice(&self, query: &Query, start: usize, end: usize) -> Batch {
        Batch {
            rows: end - start,
            columns: query
                .columns
                .iter()
                .map(|&c| {
                    let col = &self.columns[c];
                    Column {
                        values: slice(&col.values, start, end),
                        present: col
                            .present
                            .as_ref()
                            .map(|p| p[start..end].to_vec())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }

    /// The given rows of the query's columns.
    pub(crate) fn pick(&self, query: &Query, rows: &[usize]) -> Batch {
        Batch {
            rows: rows.len(),
            columns: query
                .columns
                .iter()
                .map(|&c| {
                    let col = &self.columns[c];
                    Column {
                        values: gather(&col.values, rows),
                        present: col
                            .present
                            .as_ref()
                            .map(|p| rows.iter().map(|&i| p[i]).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }
}

fn push_zero(values: &mut ColumnValues) {
    match values {
        ColumnValues::U64(v) => v.push(0),
        ColumnValues::S64(v) => v.push(0),
        ColumnValues::U32(v) => v.push(0),
        ColumnValues::F32(v) => v.push(0.0),
        ColumnValues::F64(v) => v.push(0.0),
        ColumnValues::Flag(v) => v.push(0),
        ColumnValues::Text(v) => v.push(""),
    }
}

fn slice(values: &ColumnValues, start: usize, end: usize) -> ColumnValues {
    match values {
        ColumnValues::U64(v) => ColumnValues::U64(v[start..end].to_vec()),
        ColumnValues::S64(v) => ColumnValues::S64(v[start..end].to_vec()),
        ColumnValues::U32(v) => ColumnValues::U32(v[start..end].to_vec()),
        ColumnValues::F32(v) => ColumnValues::F32(v[start..end].to_vec()),
        ColumnValues::F64(v) => ColumnValues::F64(v[start..end].to_vec()),
        ColumnValues::Flag(v) => ColumnValues::Flag(v[start..end].to_vec()),
        ColumnValues::Text(t) => {
            let base = t.offsets[start];
            ColumnValues::Text(TextColumn {
                bytes: t.bytes[base as usize..t.offsets[end] as usize].to_vec(),
                offsets: t.offsets[start..=end].iter().map(|o| o - base).collect(),
            })
        }
    }
}

fn gather(values: &ColumnValues, rows: &[usize]) -> ColumnValues {
    match values {
        ColumnValues::U64(v) => ColumnValues::U64(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::S64(v) => ColumnValues::S64(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::U32(v) => ColumnValues::U32(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::F32(v) => ColumnValues::F32(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::F64(v) => ColumnValues::F64(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::Flag(v) => ColumnValues::Flag(rows.iter().map(|&i| v[i]).collect()),
        ColumnValues::Text(t) => {
            let mut out = TextColumn::with_capacity(rows.len(), rows.len() * 16);
            for &i in rows {
                out.push(t.get(i));
            }
            ColumnValues::Text(out)
        }
    }
}
