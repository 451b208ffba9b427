//! A plugin the runtime has compiled, linked and asked for its metadata: ready to run any
//! number of times, each run in a fresh store.

use wasmtime::component::InstancePre;

use zemstvo_core::metadata::{ComponentFacts, MetadataError, PluginKind, PluginMetadata};
use zemstvo_core::report::{FailureReason, PluginRef};

use crate::state::RunState;
use crate::wit::Entry;

/// Why a file could not be loaded as a plugin. Nothing is loaded half-way: the host goes on
/// exactly as before.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "this is not a WebAssembly file (it starts with {starts_with}); pass the plugin's .wasm \
         built with `cargo build --target wasm32-wasip2`"
    )]
    NotWasm { starts_with: String },
    #[error(
        "this is a core WebAssembly module, not a component; build the plugin for \
         `wasm32-wasip2` (not wasm32-unknown-unknown or wasm32-wasip1)"
    )]
    CoreModule,
    #[error("the component is invalid: {0}")]
    Invalid(String),
    #[error(
        "the component is not a zemstvo plugin: it exports none of the plugin worlds \
         (it exports: {}); build it with zemstvo-sdk and one of its export macros",
        if .exports.is_empty() { "nothing".to_string() } else { .exports.join(", ") }
    )]
    NotAPlugin { exports: Vec<String> },
    #[error(
        "the plugin was built for zemstvo:platform@{found}, which this host does not support \
         (it supports {supported}); upgrade the host or rebuild the plugin with a supported SDK"
    )]
    UnsupportedWitVersion { found: String, supported: String },
    #[error(
        "the plugin needs imports this host does not provide: {0}; it may use WASI interfaces \
         outside the sandbox or a newer SDK than the host"
    )]
    UnsatisfiedImports(String),
    #[error("expected a {expected} plugin, but the component is a {found} plugin")]
    WrongKind {
        expected: PluginKind,
        found: PluginKind,
    },
    #[error("the plugin's metadata() failed: {0}")]
    MetadataCall(FailureReason),
    #[error("the plugin's metadata is invalid: {0}")]
    Metadata(#[from] MetadataError),
    #[error(
        "the component is {bytes} bytes; this host loads plugins of at most {cap} bytes \
         (`max_component_bytes`; `ZEMSTVO_MAX_COMPONENT_BYTES` for the command line); a plugin that large is almost certainly not built in release \
         mode — build it with `zemstvo plugin build`"
    )]
    TooLarge { bytes: usize, cap: usize },
    #[error(
        "the component has {count} {what}; this host compiles plugins with at most {cap} \
         (compiling more would hold the host for long); split the plugin or ask the region \
         to raise the limit"
    )]
    TooComplex {
        what: &'static str,
        count: u64,
        cap: u64,
    },
    #[error(
        "compiling the component took longer than {secs} s and was abandoned; this host \
         compiles a plugin in at most {secs} s (`compile_timeout`)"
    )]
    CompileTimeout { secs: u64 },
    #[error("the host could not load the plugin: {0}")]
    Host(String),
}

/// A plugin ready to run.
#[derive(Clone)]
pub struct LoadedPlugin {
    pub metadata: PluginMetadata,
    /// sha256 of the component bytes, hex.
    pub sha256: String,
    /// The WIT version the component was built against, e.g. `0.1.0`.
    pub wit_version: String,
    /// What the SDK stamped into the component, e.g. `zemstvo-wit=0.1.0;zemstvo-sdk=0.1.0`.
    pub sdk_stamp: Option<String>,
    pub(crate) pre: InstancePre<RunState>,
    pub(crate) entry: Entry,
}

impl LoadedPlugin {
    pub fn kind(&self) -> PluginKind {
        self.metadata.kind
    }

    /// Refuses the plugin unless it is of the expected kind (e.g. a manifest's kind).
    pub fn expect_kind(self, expected: PluginKind) -> Result<Self, LoadError> {
        if self.kind() == expected {
            Ok(self)
        } else {
            Err(LoadError::WrongKind {
                expected,
                found: self.kind(),
            })
        }
    }

    pub fn reference(&self) -> PluginRef {
        PluginRef {
            name: self.metadata.name.clone(),
            version: self.metadata.version.to_string(),
            kind: self.metadata.kind,
            sha256: self.sha256.clone(),
        }
    }
}

impl ComponentFacts for LoadedPlugin {
    fn metadata(&self) -> &PluginMetadata {
        &self.metadata
    }

    fn sha256(&self) -> &str {
        &self.sha256
    }

    fn wit_version(&self) -> &str {
        &self.wit_version
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.metadata.name)
            .field("version", &self.metadata.version.to_string())
            .field("kind", &self.metadata.kind)
            .field("sha256", &self.sha256)
            .field("wit_version", &self.wit_version)
            .finish_non_exhaustive()
    }
}
