//! The store data of one run: the sandbox's WASI context, the plugin's grants, its
//! configuration, the backend it reads, and the outputs it has emitted so far.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::config::ResolvedConfig;
use crate::capabilities::data::RegionData;
use crate::capabilities::{Capability, Grants, denied_message};
use crate::report::RunOutputs;
use crate::runtime::limits::{LimitExceeded, RunLimiter, RunLimits};

/// Whether the plugin may call host interfaces yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `metadata()` is being called at load time: no host interface may be used.
    Metadata,
    Run,
}

/// A host interface called while the plugin was describing itself.
#[derive(Debug, thiserror::Error)]
#[error(
    "the plugin called the `{0}` interface from metadata(); metadata must not use host interfaces"
)]
pub struct CalledDuringMetadata(pub &'static str);

pub struct RunState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: RunLimiter,
    pub(crate) phase: Phase,
    pub(crate) grants: Grants,
    pub(crate) region: Arc<dyn RegionData>,
    pub(crate) config: Arc<ResolvedConfig>,
    pub(crate) limits: RunLimits,
    /// For log lines and request ids.
    pub(crate) plugin: String,
    pub(crate) run_id: String,
    /// The run's logical time: what "now" means for due dates and WASI clocks.
    pub(crate) now: i64,
    pub(crate) outputs: RunOutputs,
    /// Bytes of everything emitted so far, against `limits.max_output_bytes`.
    pub(crate) output_bytes: usize,
    pub(crate) open_cursors: usize,
    /// When the run started, for the CPU budget.
    pub(crate) started: std::time::Instant,
}

impl RunState {
    /// Traps when a host interface is used outside a run.
    pub(crate) fn ensure_running(&self, interface: &'static str) -> wasmtime::Result<()> {
        match self.phase {
            Phase::Run => Ok(()),
            Phase::Metadata => Err(wasmtime::Error::new(CalledDuringMetadata(interface))),
        }
    }

    /// Checks a grant; an ungranted capability is recorded in the run's outputs and its
    /// message returned for the plugin.
    pub(crate) fn require(&mut self, capability: Capability) -> Result<(), String> {
        if self.grants.is_granted(capability) {
            return Ok(());
        }
        if !self.outputs.denied.contains(&capability) {
            self.outputs.denied.push(capability);
        }
        Err(denied_message(capability))
    }

    /// Accounts for one more output. Traps when the run's `count` of `output` would exceed
    /// `cap`, or its outputs their byte budget.
    pub(crate) fn count_output(
        &mut self,
        output: &'static str,
        count: usize,
        cap: usize,
        bytes: usize,
    ) -> wasmtime::Result<()> {
        if count > cap {
            return Err(wasmtime::Error::new(LimitExceeded::OutputCount {
                output,
                cap,
            }));
        }
        self.output_bytes += bytes;
        if self.output_bytes > self.limits.max_output_bytes {
            return Err(wasmtime::Error::new(LimitExceeded::OutputBytes {
                cap: self.limits.max_output_bytes,
            }));
        }
        Ok(())
    }
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl super::wit::latest::zemstvo::platform::types::Host for RunState {}
