//! The host side of each capability: the trait impls of the newest WIT version's host
//! interfaces on the run's state. What a capability accepts — its types, checks and limits,
//! and the backend trait it reaches storage through — is in `zemstvo_core::capabilities`,
//! without wasmtime; what is here adds the grant check, the run's caps and keys, and the
//! lookups against the region under the run's deadline.

pub mod assessments;
pub mod config;
pub mod data;
pub mod log;
pub mod notify;
pub mod smev;
pub mod tasks;
pub mod visit_checks;
