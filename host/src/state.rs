//! The store data of one run: the sandbox's WASI context, the plugin's grants, its
//! configuration, the backend it reads, and the outputs it has emitted so far.

use std::collections::HashSet;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use zemstvo_core::capabilities::config::ResolvedConfig;
use zemstvo_core::capabilities::data::RegionData;
use zemstvo_core::capabilities::{Capability, Grants, denied_message};
use zemstvo_core::report::RunOutputs;

use crate::limits::{LimitExceeded, RunLimiter, RunLimits};

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
    /// Bytes the host holds for the run so far (outputs, log lines kept), against
    /// `limits.max_output_bytes`.
    pub(crate) output_bytes: usize,
    /// Bytes of log lines kept and passed to the host's log, against `limits.max_log_bytes`.
    pub(crate) log_bytes: usize,
    /// Keys of the run's tasks and messages: a repeated key is found in constant time, so
    /// reaching a count cap costs the host linear, not quadratic, work.
    pub(crate) task_keys: HashSet<String>,
    pub(crate) notification_keys: HashSet<String>,
    pub(crate) open_cursors: usize,
    /// What the run read, hashed as it reads (see [`DataDigest`]).
    pub(crate) data_digest: crate::capabilities::data::DataDigest,
    /// When the run got its instance slot, for the time budget.
    pub(crate) started: std::time::Instant,
}

impl RunState {
    /// Traps when a host interface is used outside a run, or once the run's budget is spent:
    /// every host call starts here, so a plugin that lives in host calls (which the epoch
    /// deadline cannot interrupt) is stopped at the next one.
    pub(crate) fn ensure_running(&self, interface: &'static str) -> wasmtime::Result<()> {
        match self.phase {
            Phase::Run => self.check_budget(),
            Phase::Metadata => Err(wasmtime::Error::new(CalledDuringMetadata(interface))),
        }
    }

    /// Traps when the run's time budget is spent.
    pub(crate) fn check_budget(&self) -> wasmtime::Result<()> {
        if self.started.elapsed() >= self.limits.time_budget {
            return Err(wasmtime::Error::new(LimitExceeded::TimeBudget {
                budget: self.limits.time_budget,
            }));
        }
        Ok(())
    }

    /// When the run's budget ends, for host work cut into slices.
    pub(crate) fn deadline(&self) -> std::time::Instant {
        self.started + self.limits.time_budget
    }

    /// Accounts for bytes the host holds for the run besides its outputs (log lines kept).
    pub(crate) fn hold(&mut self, bytes: usize) -> wasmtime::Result<()> {
        self.output_bytes += bytes;
        if self.output_bytes > self.limits.max_output_bytes {
            return Err(wasmtime::Error::new(LimitExceeded::OutputBytes {
                cap: self.limits.max_output_bytes,
            }));
        }
        Ok(())
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
        self.hold(bytes)
    }
}

/// Runs host work on the run's behalf (a query, a lookup) until the run's deadline: past it
/// the work is dropped and the run ends on its time budget. Backends cut long work into slices
/// that yield (the in-memory cursor every few thousand rows, SQL at every row fetched), so the
/// deadline is met within [`crate::limits::BUDGET_MARGIN`].
pub(crate) async fn within_budget<F: std::future::Future>(
    deadline: std::time::Instant,
    budget: std::time::Duration,
    work: F,
) -> wasmtime::Result<F::Output> {
    tokio::time::timeout_at(deadline.into(), work)
        .await
        .map_err(|_| wasmtime::Error::new(LimitExceeded::TimeBudget { budget }))
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
