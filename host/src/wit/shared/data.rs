//! `data`: queries in, columnar batches out.

/// `data`: queries in, columnar batches out.
macro_rules! data_interface {
    () => {
        impl zemstvo::platform::data::Host for crate::state::RunState {
            async fn open(
                &mut self,
                q: zemstvo::platform::data::Query,
            ) -> wasmtime::Result<
                Result<
                    wasmtime::component::Resource<crate::capabilities::data::CursorHandle>,
                    zemstvo::platform::data::DataError,
                >,
            > {
                Ok(self.open_cursor(q.into()).await?.map_err(Into::into))
            }
        }

        impl zemstvo::platform::data::HostCursor for crate::state::RunState {
            async fn next_batch(
                &mut self,
                cursor: wasmtime::component::Resource<crate::capabilities::data::CursorHandle>,
            ) -> wasmtime::Result<
                Result<Option<zemstvo::platform::data::Batch>, zemstvo::platform::data::DataError>,
            > {
                Ok(self
                    .next_batch(&cursor)
                    .await?
                    .map(|batch| batch.map(Into::into))
                    .map_err(Into::into))
            }

            async fn drop(
                &mut self,
                cursor: wasmtime::component::Resource<crate::capabilities::data::CursorHandle>,
            ) -> wasmtime::Result<()> {
                self.drop_cursor(cursor)
            }
        }

        impl From<crate::capabilities::data::DataRefusal> for zemstvo::platform::data::DataError {
            fn from(r: crate::capabilities::data::DataRefusal) -> Self {
                use crate::capabilities::data::DataRefusal as R;
                use zemstvo::platform::data::DataError as W;
                match r {
                    R::Denied(m) => W::Denied(m),
                    R::UnknownColumn(m) => W::UnknownColumn(m),
                    R::InvalidQuery(m) => W::InvalidQuery(m),
                    R::Unavailable(m) => W::Unavailable(m),
                }
            }
        }

        impl From<zemstvo::platform::data::Query>
            for zemstvo_core::capabilities::data::QueryRequest
        {
            fn from(q: zemstvo::platform::data::Query) -> Self {
                use zemstvo::platform::data::Condition as W;
                use zemstvo_core::capabilities::data::{ConditionRequest, FilterRequest};
                zemstvo_core::capabilities::data::QueryRequest {
                    entity: q.entity.into(),
                    columns: q.columns,
                    filters: q
                        .filters
                        .into_iter()
                        .map(|f| FilterRequest {
                            column: f.column,
                            condition: match f.condition {
                                W::Compare((op, v)) => {
                                    ConditionRequest::Compare(op.into(), v.into())
                                }
                                W::AnyOf(values) => ConditionRequest::AnyOf(
                                    values.into_iter().map(Into::into).collect(),
                                ),
                                W::IsAbsent => ConditionRequest::IsAbsent,
                                W::IsPresent => ConditionRequest::IsPresent,
                            },
                        })
                        .collect(),
                    batch_rows: q.batch_rows,
                }
            }
        }

        impl From<zemstvo::platform::data::Scalar> for zemstvo_core::capabilities::data::Scalar {
            fn from(v: zemstvo::platform::data::Scalar) -> Self {
                use zemstvo::platform::data::Scalar as W;
                use zemstvo_core::capabilities::data::Scalar;
                match v {
                    W::Integer(i) => Scalar::Integer(i),
                    W::Decimal(d) => Scalar::Decimal(d),
                    W::Text(t) => Scalar::Text(t),
                    W::Flag(b) => Scalar::Flag(b),
                }
            }
        }

        impl From<zemstvo::platform::data::Comparison>
            for zemstvo_core::capabilities::data::Comparison
        {
            fn from(c: zemstvo::platform::data::Comparison) -> Self {
                use zemstvo::platform::data::Comparison as W;
                use zemstvo_core::capabilities::data::Comparison;
                match c {
                    W::Eq => Comparison::Eq,
                    W::Ne => Comparison::Ne,
                    W::Lt => Comparison::Lt,
                    W::Le => Comparison::Le,
                    W::Gt => Comparison::Gt,
                    W::Ge => Comparison::Ge,
                }
            }
        }

        /// Moves a batch into its WIT form: the vectors change owner, nothing is copied.
        impl From<zemstvo_core::capabilities::data::Batch> for zemstvo::platform::data::Batch {
            fn from(b: zemstvo_core::capabilities::data::Batch) -> Self {
                use zemstvo::platform::data::{Column, ColumnValues as W, TextColumn};
                use zemstvo_core::capabilities::data::ColumnValues;
                zemstvo::platform::data::Batch {
                    rows: b.rows as u32,
                    columns: b
                        .columns
                        .into_iter()
                        .map(|c| Column {
                            values: match c.values {
                                ColumnValues::U64(v) => W::U64s(v),
                                ColumnValues::S64(v) => W::S64s(v),
                                ColumnValues::U32(v) => W::U32s(v),
                                ColumnValues::F32(v) => W::F32s(v),
                                ColumnValues::F64(v) => W::F64s(v),
                                ColumnValues::Flag(v) => W::Booleans(v),
                                ColumnValues::Text(t) => W::Texts(TextColumn {
                                    bytes: t.bytes,
                                    offsets: t.offsets,
                                }),
                            },
                            present: c.present,
                        })
                        .collect(),
                }
            }
        }
    };
}
