//! The zemstvo region host: runs signed, sandboxed WebAssembly plugins against a region's data.
//!
//! Layers, each looking only down: [`limits`] (the memory limiter) ← the run's state ←
//! [`capabilities`] (each host interface as methods on the run's state, in core types) ←
//! [`wit`] (one module per released WIT version: bindings, linker, entry points, conversions) ←
//! [`runtime`] (wasmtime: engine, loading, runs). Knows no SQL or HTTP.
//! - [`local`] — defaults for local runs shared by `zemstvo run` and the SDK harness.
//!
//! The vocabulary (metadata, capabilities, limits, reports, eligibility, the entity schema,
//! the in-memory region) is `zemstvo_core`, re-exported here for the host's users.

pub mod capabilities;
pub mod limits;
pub mod local;
pub mod runtime;
mod state;
pub mod wit;

pub use runtime::{LoadError, LoadedPlugin, RunInput, RunRequest, Runtime, RuntimeSettings};
pub use zemstvo_core::{
    Capability, FailureReason, Grants, PluginKind, PluginMetadata, RunReport, RunStatus,
};
