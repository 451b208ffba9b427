//! What a file is before wasmtime compiles it, and which world a compiled component exports.
//!
//! These checks turn "it does not load" into an error that says what the file is and what to
//! do: not WebAssembly at all, a core module instead of a component, a component of no
//! zemstvo world, or one built against a WIT version this host does not support.

use wasmtime::Engine;
use wasmtime::component::Component;

use zemstvo_core::metadata::PluginKind;

use crate::runtime::loaded::LoadError;
use crate::wit::{self, Release};

/// The custom section in which the SDK stamps the WIT version it targets.
pub const SDK_STAMP_SECTION: &str = "zemstvo:sdk";

/// What the parser saw before anything is compiled.
#[derive(Debug, Default)]
pub(crate) struct Header {
    /// What the SDK stamped into the component, if the SDK built it.
    pub(crate) stamp: Option<String>,
    /// Functions with bodies in all core modules of the component.
    pub(crate) functions: u64,
    /// The largest function body, in bytes.
    pub(crate) largest_function: usize,
}

/// Checks the header, reads the SDK stamp and counts what compiling will cost.
pub(crate) fn header(bytes: &[u8]) -> Result<Header, LoadError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        let start = &bytes[..bytes.len().min(8)];
        return Err(LoadError::NotWasm {
            starts_with: start
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" "),
        });
    }
    match bytes[4..8] {
        [1, 0, 0, 0] => return Err(LoadError::CoreModule),
        [0x0d, 0, 1, 0] => {}
        _ => {
            return Err(LoadError::Invalid(
                "unknown WebAssembly binary version or layer; rebuild the plugin with the zemstvo SDK".into(),
            ));
        }
    }
    let mut header = Header::default();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(section))
                if section.name() == SDK_STAMP_SECTION =>
            {
                header.stamp = Some(String::from_utf8_lossy(section.data()).into_owned());
            }
            Ok(wasmparser::Payload::CodeSectionStart { count, .. }) => {
                header.functions += u64::from(count);
            }
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
                header.largest_function = header.largest_function.max(body.range().len());
            }
            Ok(_) => {}
            // Malformed bytes: wasmtime's compiler reports them precisely.
            Err(_) => break,
        }
    }
    Ok(header)
}

/// The plugin kind and WIT version a component exports, and the release whose bindings
/// serve that version.
pub(crate) fn world(
    component: &Component,
    engine: &Engine,
) -> Result<(PluginKind, String, Release), LoadError> {
    let mut exports = Vec::new();
    let mut kinds = Vec::new();
    let mut versions = Vec::new();
    for (name, _) in component.component_type().exports(engine) {
        exports.push(name.to_string());
        let Some(rest) = name.strip_prefix("zemstvo:platform/") else {
            continue;
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        if !versions.iter().any(|v| v == version) {
            versions.push(version.to_string());
        }
        if let Some(kind) = PluginKind::ALL
            .into_iter()
            .find(|k| k.entry_interface() == interface)
        {
            kinds.push(kind);
        }
    }
    if versions.is_empty() {
        return Err(LoadError::NotAPlugin { exports });
    }
    if versions.len() > 1 {
        return Err(LoadError::Invalid(format!(
            "the component exports zemstvo interfaces of several WIT versions ({}); build it with one SDK version",
            versions.join(", ")
        )));
    }
    let version = versions.remove(0);
    let Some(release) = wit::release_for(&version) else {
        return Err(LoadError::UnsupportedWitVersion {
            found: version,
            supported: wit::supported_text(),
        });
    };
    match kinds.as_slice() {
        [kind] => Ok((*kind, version, release)),
        [] => Err(LoadError::NotAPlugin { exports }),
        many => Err(LoadError::Invalid(format!(
            "the component exports the entry points of several kinds ({}); a plugin has one kind",
            many.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_webassembly() {
        match header(b"#!/bin/sh\necho hi") {
            Err(LoadError::NotWasm { starts_with }) => {
                assert_eq!(starts_with, "23 21 2f 62 69 6e 2f 73")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn core_module_is_told_apart_from_a_component() {
        assert!(matches!(
            header(b"\0asm\x01\0\0\0"),
            Err(LoadError::CoreModule)
        ));
    }
}
