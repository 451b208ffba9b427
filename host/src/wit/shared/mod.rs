//! Host interfaces that read the same in several WIT versions, written once.
//!
//! Each macro expands, inside a version's module (after its `bindgen!`), the trait impl of one
//! interface on [`RunState`](crate::state::RunState) and the conversions of its types to the
//! core types. The names resolve in the invoking module, so `zemstvo::platform::data` is that
//! version's `data`. A version that changes an interface writes that interface out by hand
//! instead of invoking its macro; the others keep sharing.

#[macro_use]
mod context;
#[macro_use]
mod data;
#[macro_use]
mod outputs;
#[macro_use]
mod entries;
