//! The vocabulary of zemstvo, without wasmtime: what plugins declare, may do, emit and decide,
//! and the region's data they read. The host, the store, the registry, the outbox and the web
//! service all speak it; only the host links wasmtime.
//!
//! - [`capabilities`] — grants, and per host interface the types, checks and limits of what a
//!   plugin sends (`data` also holds the backend trait [`capabilities::data::RegionData`] and
//!   the entity schema).
//! - [`checks`] — the checks several interfaces share.
//! - [`territories`] — the outlines of an appeal catalogue's territories.
//! - [`clock`] — the region's clock for what a case dates (wall time, or one following
//!   simulated agencies).
//! - [`metadata`], [`eligibility`], [`report`], [`limits`] — what plugins declare, decide and
//!   leave behind, and what a run may consume.
//! - [`region`] — the in-memory region, one implementation of `RegionData`.

pub mod appeals;
pub mod capabilities;
pub mod checks;
pub mod clock;
pub mod eligibility;
mod input;
pub mod limits;
pub mod metadata;
pub mod region;
pub mod report;
pub mod territories;

pub use capabilities::{Capability, Grants};
pub use input::RunInput;
pub use metadata::{PluginKind, PluginMetadata};
pub use report::{FailureReason, RunReport, RunStatus};
