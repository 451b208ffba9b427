//! Host bindings of every released WIT version of `zemstvo:platform`, side by side.
//!
//! Released versions live frozen in `wit/since_v<version>/` and are never edited. Each has a
//! module here (`since_v0_1_0`, `since_v0_2_0`) that owns its bindings, its linker
//! registration, its entry dispatch and its conversions to the core types — the Zed extension
//! host's `since_v*` pattern, so plugins built with an older SDK keep running unchanged. The
//! capabilities themselves are written once, as methods on the run's state in core types
//! (`crate::capabilities`); every version, the newest included, is a thin layer that converts
//! its types and delegates to them. (Delegating an old version through the newest version's
//! types instead would convert every batch twice on the data path of old plugins.) The
//! interfaces that read the same in several versions are written once, as macros in
//! `shared.rs` that each version's module invokes.
//!
//! Which components load is a semver policy, not a list of exact versions: every `0.1.x`
//! component runs on the `0.1.0` bindings and every `0.2.x` on the `0.2.0` ones (wasmtime
//! links a component's `@0.2.1` imports to the host's `@0.2.0` definitions, as semver allows
//! for a patch), and a version outside the supported series is refused with the series named.

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre, Linker};

use zemstvo_core::RunInput;
use zemstvo_core::appeals::Routing;
use zemstvo_core::eligibility::Outcome;
use zemstvo_core::report::{FailureReason, Summary};

use crate::state::RunState;
use zemstvo_core::metadata::{DeclaredMetadata, PluginKind};

#[macro_use]
mod shared;
pub mod since_v0_1_0;
pub mod since_v0_2_0;

pub use since_v0_2_0 as latest;

/// The series of WIT versions this host loads, oldest first: `(major, minor)`; every patch
/// release of a series is accepted.
pub const SUPPORTED_SERIES: &[(u64, u64)] = &[(0, 1), (0, 2)];

/// The supported series as people read them, e.g. `0.1.x`.
pub fn supported_text() -> String {
    SUPPORTED_SERIES
        .iter()
        .map(|(major, minor)| format!("{major}.{minor}.x"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The release whose bindings serve a component built against `version`, if any.
pub fn release_for(version: &str) -> Option<Release> {
    let v = semver::Version::parse(version).ok()?;
    if !v.pre.is_empty() {
        return None;
    }
    match (v.major, v.minor) {
        (0, 1) => Some(Release::V0_1),
        (0, 2) => Some(Release::V0_2),
        _ => None,
    }
}

/// A released series of the WIT package, with its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    V0_1,
    V0_2,
}

/// What the host tells a plugin about the run it is in, before a WIT version's bindings
/// convert it.
#[derive(Debug, Clone)]
pub(crate) struct RunContext {
    pub(crate) run_id: String,
    pub(crate) region: String,
    pub(crate) now: i64,
    pub(crate) time_zone: chrono_tz::Tz,
    /// The zone's offset from UTC at `now`, in seconds.
    pub(crate) utc_offset_seconds: i32,
}

/// How the entry point ended, in core types, before it is turned into a report.
pub(crate) enum Ended {
    Summary(Summary),
    Eligibility(Outcome),
    Routing(Routing),
    /// The plugin gave up, with its reason.
    PluginError(FailureReason),
    Invalid(String),
    Trap(wasmtime::Error),
    Timeout,
}

impl Ended {
    /// An application or an appeal given to a plugin of another kind.
    pub(crate) fn wrong_input(input: &RunInput) -> Ended {
        Ended::Invalid(match input {
            RunInput::Batch => {
                "this plugin is called per application or appeal, not over the whole region".into()
            }
            RunInput::Eligibility(_) => "only eligibility rules decide applications".into(),
            RunInput::Appeal(_) => "only appeal-routing plugins route appeals".into(),
        })
    }
}

/// The offset of `zone` from UTC at `now`, in seconds (east positive).
pub(crate) fn utc_offset(zone: chrono_tz::Tz, now: i64) -> i32 {
    use chrono::{Offset, TimeZone};
    match chrono::DateTime::from_timestamp(now, 0) {
        Some(at) => zone
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc(),
        None => 0,
    }
}

/// Registers every supported version's host interfaces.
pub(crate) fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    since_v0_1_0::add_to_linker(linker)?;
    since_v0_2_0::add_to_linker(linker)?;
    Ok(())
}

/// A loaded plugin's entry point, in the bindings of the version it was built against.
#[derive(Clone)]
pub(crate) enum Entry {
    V0_1(since_v0_1_0::Entry),
    V0_2(since_v0_2_0::Entry),
}

impl Entry {
    pub(crate) fn new(
        release: Release,
        kind: PluginKind,
        pre: &InstancePre<RunState>,
    ) -> wasmtime::Result<Entry> {
        Ok(match release {
            Release::V0_1 => Entry::V0_1(since_v0_1_0::Entry::new(kind, pre)?),
            Release::V0_2 => Entry::V0_2(since_v0_2_0::Entry::new(kind, pre)?),
        })
    }

    pub(crate) async fn metadata(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
    ) -> wasmtime::Result<DeclaredMetadata> {
        match self {
            Entry::V0_1(entry) => entry.metadata(store, instance).await,
            Entry::V0_2(entry) => entry.metadata(store, instance).await,
        }
    }

    pub(crate) async fn call(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
        ctx: &RunContext,
        input: &RunInput,
    ) -> Ended {
        match self {
            Entry::V0_1(entry) => entry.call(store, instance, ctx, input).await,
            Entry::V0_2(entry) => entry.call(store, instance, ctx, input).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patch_of_a_supported_series_loads_and_nothing_else() {
        assert_eq!(release_for("0.1.0"), Some(Release::V0_1));
        assert_eq!(release_for("0.1.7"), Some(Release::V0_1));
        assert_eq!(release_for("0.2.3"), Some(Release::V0_2));
        assert_eq!(release_for("0.3.0"), None);
        assert_eq!(release_for("1.0.0"), None);
        assert_eq!(release_for("0.1.0-rc.1"), None);
        assert_eq!(release_for("zero"), None);
    }
}
