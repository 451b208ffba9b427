//! The zemstvo region host: runs signed, sandboxed WebAssembly plugins against a region's data.
//!
//! - [`runtime`] — wasmtime: engine, limits, loading, runs, WIT bindings. Knows no SQL or HTTP.
//! - [`capabilities`] — one module per host interface (`data`, `tasks`, `notify`, `smev`,
//!   `log`, `config`, `assessments`, `visit-checks`) with its backend trait.
//! - [`region`] — the in-memory region (JSON fixtures), one implementation of
//!   [`capabilities::data::RegionData`].
//! - [`metadata`], [`eligibility`], [`report`] — what plugins declare, decide and leave behind.

pub mod capabilities;
pub mod eligibility;
pub mod local;
pub mod metadata;
pub mod region;
pub mod report;
pub mod runtime;

pub use capabilities::{Capability, Grants};
pub use metadata::{PluginKind, PluginMetadata};
pub use report::{FailureReason, RunReport, RunStatus};
pub use runtime::{LoadError, LoadedPlugin, RunInput, RunRequest, Runtime, RuntimeSettings};
