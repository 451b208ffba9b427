//! `zemstvo:platform@0.1.0` (frozen): its bindings, its linker registration, its entry
//! dispatch and the conversions of its types to the core types.
//!
//! Differences from the newest version: the run's context has no time zone, `notify` has no
//! `no-contact` (a message to a citizen without the channel's contact is accepted and recorded
//! undeliverable by the outbox, as 0.1.0 promised), and there is no `appeal-routing` world.

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};
use zemstvo_core::metadata::{DeclaredMetadata, PluginKind};

use zemstvo_core::RunInput;

use crate::state::RunState;
use crate::wit::{Ended, RunContext};

wasmtime::component::bindgen!({
    world: "plugin-host",
    path: "../wit/since_v0.1.0",
    imports: { default: async | trappable },
    exports: { default: async },
    with: { "zemstvo:platform/data.cursor": crate::capabilities::data::CursorHandle },
});

every_version!();
// A 0.1.x plugin is never told that a citizen has no contact (0.1.0 has no word for it): its
// message is accepted and the outbox records it undeliverable; should the capability say
// so anyway, the plugin hears what 0.1.0 knows: the citizen cannot be informed.
notify_interface!(false, zemstvo::platform::notify::NotifyError::NoConsent);

/// A 0.1.x plugin's entry point: every kind of 0.1.0 is common to all versions.
#[derive(Clone)]
pub(crate) struct Entry(CommonEntry);

impl Entry {
    pub(crate) fn new(kind: PluginKind, pre: &InstancePre<RunState>) -> wasmtime::Result<Entry> {
        match CommonEntry::new(kind, pre) {
            Some(entry) => entry.map(Entry),
            None => wasmtime::bail!("{kind} plugins need zemstvo:platform 0.2.0 or later"),
        }
    }

    pub(crate) async fn metadata(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
    ) -> wasmtime::Result<DeclaredMetadata> {
        self.0.metadata(store, instance).await
    }

    pub(crate) async fn call(
        &self,
        store: &mut Store<RunState>,
        instance: &Instance,
        ctx: &RunContext,
        input: &RunInput,
    ) -> Ended {
        let ctx = zemstvo::platform::types::RunContext {
            run_id: ctx.run_id.clone(),
            region: ctx.region.clone(),
            now: ctx.now,
        };
        self.0.call(store, instance, &ctx, input).await
    }
}
