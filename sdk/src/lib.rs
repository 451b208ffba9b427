//! # zemstvo-sdk: write a region's algorithm as a zemstvo plugin
//!
//! A zemstvo plugin is a WebAssembly component that a region's host runs in a sandbox. It
//! sees only what the host hands it — the region's records, its configuration, the run's
//! time — and acts only through the host: it creates tasks for staff, queues notifications
//! and SMEV requests, records risk categories or visit exceptions. This crate is everything
//! you need to write one in ordinary Rust; you never have to read WIT.
//!
//! ## The shape of a plugin
//!
//! ```ignore
//! use zemstvo_sdk::prelude::*;
//!
//! struct LateAnswers;
//!
//! impl DeviationCheck for LateAnswers {
//!     fn metadata() -> Metadata {
//!         Metadata::new("late-answers", env!("CARGO_PKG_VERSION"))
//!             .title("SMEV answers that waited too long")
//!             .capability(capability::DATA_SMEV)
//!             .capability(capability::TASKS_CREATE)
//!             .config(ConfigParam::integer("max-wait-days", "Days an answer may take").default(4).range(1, 60))
//!     }
//!
//!     fn run(ctx: &RunContext) -> Result<RunSummary, PluginError> {
//!         let max_days = config::integer("max-wait-days")?;
//!         for batch in smev_requests::query().columns(&[smev_requests::ID, smev_requests::SENT_AT]).open()? {
//!             let batch = batch?;
//!             for row in smev_requests::rows(&batch).iter() {
//!                 // row.id(), row.sent_at() ...
//!             }
//!         }
//!         Ok(RunSummary::new(0, 0, "nothing late"))
//!     }
//! }
//!
//! export_deviation_check!(LateAnswers);
//! ```
//!
//! The crate is a `cdylib` built for `wasm32-wasip2` by `zemstvo plugin build` (which prints
//! the component's path). Its tests use [`testing`] (off wasm only) to build and run that very
//! component — same profile, same file — in the real host against fixture data, from plain
//! `cargo test`; `zemstvo plugin pack` packs the same bytes.
//!
//! ## Five kinds of plugin
//!
//! | kind | trait | export macro | what it does |
//! |---|---|---|---|
//! | deviation check | [`DeviationCheck`] | [`export_deviation_check!`] | finds deviations in staff work, creates tasks |
//! | eligibility rule | [`EligibilityRule`] | [`export_eligibility_rule!`] | decides an application from SMEV answers |
//! | risk scoring | [`RiskScoring`] | [`export_risk_scoring!`] | puts inspected objects into risk categories |
//! | geo check | [`GeoCheck`] | [`export_geo_check!`] | checks home-care visits against the residence |
//! | appeal routing | [`AppealRouting`] | [`export_appeal_routing!`] | classifies citizens' appeals and names who answers |
//!
//! ## Rules of the sandbox
//!
//! - Read data in batches ([`data`]): name only the columns you need; filter on the host.
//! - Everything you emit is kept only if the run ends well: return `Err` and nothing is
//!   created. Give tasks and messages stable keys so a rerun creates no duplicates.
//! - Each capability you use must be declared in your metadata and granted by the
//!   administrator; otherwise the call fails with `denied`.
//! - The clock is the run's logical time ([`RunContext::now`]); randomness is seeded from the
//!   run id. There are no files, no network and no environment.
//! - A run has a time budget, a memory cap and caps on what it emits; past them it is stopped.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod bindings;

pub mod appeals;
pub mod assessments;
pub mod config;
pub mod data;
pub mod eligibility;
mod errors;
pub mod log;
mod metadata;
pub mod notify;
mod plugin;
pub mod smev;
pub mod staff;
pub mod tasks;
pub mod text;
pub mod time;
pub mod visit_checks;

#[cfg(not(target_arch = "wasm32"))]
pub mod case_format;
#[cfg(not(target_arch = "wasm32"))]
pub mod cases;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use metadata::{ConfigParam, Metadata, Parameter, capability};
pub use plugin::{AppealRouting, DeviationCheck, EligibilityRule, GeoCheck, RiskScoring};

pub use bindings::deviation_check::zemstvo::platform::types::{
    Entity, PluginError, RecordRef, RunContext, RunSummary,
};

/// The WIT version of `zemstvo:platform` this SDK targets; stamped into every plugin.
pub const WIT_VERSION: &str = "0.2.0";

const STAMP_TEXT: &str = concat!("zemstvo-wit=0.2.0;zemstvo-sdk=", env!("CARGO_PKG_VERSION"));

#[doc(hidden)]
pub const STAMP_LEN: usize = STAMP_TEXT.len();

/// What the export macros put into the `zemstvo:sdk` custom section of every plugin.
#[doc(hidden)]
pub const STAMP: [u8; STAMP_LEN] = {
    let text = STAMP_TEXT.as_bytes();
    let mut out = [0u8; STAMP_LEN];
    let mut i = 0;
    while i < STAMP_LEN {
        out[i] = text[i];
        i += 1;
    }
    out
};

/// Everything a plugin usually needs, in one `use`.
pub mod prelude {
    pub use crate::data::entities::*;
    pub use crate::data::{Batch, Cursor, Query};
    pub use crate::tasks::{Priority, Task};
    pub use crate::time::{DAY, HOUR, MINUTE, Timestamp};
    pub use crate::{
        AppealRouting, ConfigParam, DeviationCheck, EligibilityRule, Entity, GeoCheck, Metadata,
        Parameter, PluginError, RecordRef, RiskScoring, RunContext, RunSummary, capability, config,
        log,
    };
    pub use crate::{
        export_appeal_routing, export_deviation_check, export_eligibility_rule, export_geo_check,
        export_risk_scoring,
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __zemstvo_stamp {
    () => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "zemstvo:sdk")]
        #[used]
        static __ZEMSTVO_SDK_STAMP: [u8; $crate::STAMP_LEN] = $crate::STAMP;
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __zemstvo_export {
    ($plugin:ident, $trait:ident, $world:ident, $export:ident) => {
        // Exports exist only in the component: a native build (tests, clippy) of a plugin
        // crate must link, and component export names are not native symbol names.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::$world::$export!($plugin with_types_in $crate::bindings::$world);
        // Natively the plugin is still code that runs (through the harness): keep it used.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() -> $crate::Metadata = <$plugin as $crate::$trait>::metadata;
        $crate::__zemstvo_stamp!();
    };
}

/// Exports a [`DeviationCheck`] as the plugin's entry point. Use it once, at the crate root.
#[macro_export]
macro_rules! export_deviation_check {
    ($plugin:ident) => {
        $crate::__zemstvo_export!(
            $plugin,
            DeviationCheck,
            deviation_check,
            __export_deviation_check_world
        );
    };
}

/// Exports an [`EligibilityRule`] as the plugin's entry point. Use it once, at the crate root.
#[macro_export]
macro_rules! export_eligibility_rule {
    ($plugin:ident) => {
        $crate::__zemstvo_export!(
            $plugin,
            EligibilityRule,
            eligibility_rule,
            __export_eligibility_rule_world
        );
    };
}

/// Exports a [`RiskScoring`] rule as the plugin's entry point. Use it once, at the crate root.
#[macro_export]
macro_rules! export_risk_scoring {
    ($plugin:ident) => {
        $crate::__zemstvo_export!(
            $plugin,
            RiskScoring,
            risk_scoring,
            __export_risk_scoring_world
        );
    };
}

/// Exports a [`GeoCheck`] as the plugin's entry point. Use it once, at the crate root.
#[macro_export]
macro_rules! export_geo_check {
    ($plugin:ident) => {
        $crate::__zemstvo_export!($plugin, GeoCheck, geo_check, __export_geo_check_world);
    };
}

/// Exports an [`AppealRouting`] plugin as the plugin's entry point. Use it once, at the crate
/// root.
#[macro_export]
macro_rules! export_appeal_routing {
    ($plugin:ident) => {
        $crate::__zemstvo_export!(
            $plugin,
            AppealRouting,
            appeal_routing,
            __export_appeal_routing_world
        );
    };
}
