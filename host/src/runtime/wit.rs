//! Host bindings of every released WIT version of `zemstvo:platform`.
//!
//! Released versions live frozen in `wit/since_v<version>/` and are never edited. The newest
//! is [`latest`]; the capabilities implement its traits. When a new version is released, the
//! bindings of the previous one stay here and get thin shims that convert their types to the
//! latest and delegate (the Zed extension host's pattern), so plugins built with an older SDK
//! keep running unchanged.

/// `zemstvo:platform@0.1.0`.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        world: "plugin-host",
        path: "../wit/since_v0.1.0",
        imports: { default: async | trappable },
        exports: { default: async },
        with: { "zemstvo:platform/data.cursor": crate::capabilities::data::CursorHandle },
    });
}

pub use v0_1_0 as latest;

/// The WIT versions whose plugins this host loads.
pub const SUPPORTED_WIT_VERSIONS: &[&str] = &["0.1.0"];
