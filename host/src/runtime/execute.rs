//! One run: a fresh store, the plugin's entry point, and the record of how it ended.
//!
//! Whatever the plugin does — loop, grow memory, recurse, panic, flood outputs, call what it
//! was not granted — ends in a [`RunReport`]; nothing escapes to the caller as a panic or an
//! error, and nothing the run did survives it except that report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{InstancePre, ResourceTable};
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::limits::{
    BUDGET_MARGIN, LimitExceeded, MAX_INSTANCES, MAX_MEMORIES, MAX_TABLE_ELEMENTS, MAX_TABLES,
    Refusal, RunLimiter, RunLimits,
};
use zemstvo_core::RunInput;
use zemstvo_core::appeals;
use zemstvo_core::capabilities::Grants;
use zemstvo_core::capabilities::config::ResolvedConfig;
use zemstvo_core::capabilities::data::RegionData;
use zemstvo_core::eligibility::{self, Outcome, Verdict};
use zemstvo_core::metadata::DeclaredMetadata;
use zemstvo_core::region::EmptyRegion;
use zemstvo_core::report::{FailureReason, RunOutputs, RunReport, RunStatus, Summary};

use super::loaded::LoadError;
use super::sandbox::{CapturedOutput, wasi_context};
use super::{LoadedPlugin, Runtime};
use crate::state::{CalledDuringMetadata, Phase, RunState};
use crate::wit::{Ended, Entry, RunContext, utc_offset};

/// Everything a run gets from the host. The run is a pure function of this.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub run_id: String,
    /// The run's logical time, seconds since the epoch.
    pub now: i64,
    pub region: Arc<dyn RegionData>,
    pub grants: Grants,
    pub config: ResolvedConfig,
    pub limits: RunLimits,
    pub input: RunInput,
    /// The region's time zone: plugins built for WIT 0.2.0 and later are told its name and
    /// its offset from UTC at `now`.
    pub time_zone: chrono_tz::Tz,
}

impl Runtime {
    /// Runs a loaded plugin once. Never fails: a failure is a report with the reason.
    pub async fn run(&self, plugin: &LoadedPlugin, request: RunRequest) -> RunReport {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the run semaphore is never closed");
        // The budget counts from here: waiting for a slot spends none of it.
        let started = Instant::now();
        let stdout = CapturedOutput::default();
        let stderr = CapturedOutput::default();
        let mut limits = request.limits.clone();
        limits.memory_bytes = limits.memory_bytes.min(self.settings.max_memory_bytes);
        let state = RunState {
            wasi: wasi_context(&request.run_id, request.now, &stdout, &stderr),
            table: ResourceTable::new(),
            limiter: RunLimiter::new(limits.memory_bytes),
            phase: Phase::Run,
            grants: request.grants.clone(),
            region: request.region.clone(),
            config: Arc::new(request.config.clone()),
            limits: limits.clone(),
            plugin: plugin.metadata.name.clone(),
            run_id: request.run_id.clone(),
            now: request.now,
            outputs: RunOutputs::default(),
            output_bytes: 0,
            log_bytes: 0,
            task_keys: Default::default(),
            notification_keys: Default::default(),
            open_cursors: 0,
            data_digest: Default::default(),
            started,
        };
        let mut store = self.new_store(state, limits.time_budget);
        let ctx = RunContext {
            run_id: request.run_id.clone(),
            region: request.region.region().to_string(),
            now: request.now,
            time_zone: request.time_zone,
            utc_offset_seconds: utc_offset(request.time_zone, request.now),
        };
        // The epoch stops a guest that computes and host calls check the budget; this stops
        // one stuck in host work that does not yield, a little later.
        let deadline = limits.time_budget + BUDGET_MARGIN;
        let ended = match tokio::time::timeout(
            deadline,
            call_entry(&mut store, plugin, &ctx, &request.input),
        )
        .await
        {
            Ok(ended) => ended,
            Err(_) => Ended::Timeout,
        };
        let state = store.into_data();
        let (out_text, out_dropped) = stdout.take();
        let (err_text, err_dropped) = stderr.take();
        forward_stdio(&plugin.metadata.name, &request.run_id, &out_text, &err_text);
        let mut outputs = state.outputs;
        outputs.data_sha256 = state.data_digest.finish();
        if outputs.logs_dropped > 0 {
            tracing::warn!(
                target: "zemstvo::plugin",
                plugin = plugin.metadata.name.as_str(),
                run = request.run_id.as_str(),
                "{} more log lines of this run were dropped (caps: {} lines, {} bytes)",
                outputs.logs_dropped,
                limits.max_log_lines,
                limits.max_log_bytes
            );
        }
        // An eligibility outcome is an output too: capped and counted at its real size.
        let ended = match ended {
            Ended::Eligibility(outcome) => {
                let steps = outcome.explanation_steps();
                if let Err(why) = eligibility::check_outcome(&outcome) {
                    Ended::Invalid(why)
                } else if steps > limits.max_explanation_steps {
                    Ended::Trap(wasmtime::Error::new(LimitExceeded::ExplanationSteps {
                        cap: limits.max_explanation_steps,
                    }))
                } else if state.output_bytes + outcome.weight() > limits.max_output_bytes {
                    Ended::Trap(wasmtime::Error::new(LimitExceeded::OutputBytes {
                        cap: limits.max_output_bytes,
                    }))
                } else {
                    Ended::Eligibility(outcome)
                }
            }
            Ended::Routing(routing) => {
                let check = match &request.input {
                    RunInput::Appeal(input) => appeals::check_routing(&routing, input),
                    _ => Err("a routing answered to a call that was not an appeal".into()),
                };
                if let Err(why) = check {
                    Ended::Invalid(why)
                } else if routing.trace.len() > limits.max_explanation_steps {
                    Ended::Trap(wasmtime::Error::new(LimitExceeded::ExplanationSteps {
                        cap: limits.max_explanation_steps,
                    }))
                } else if state.output_bytes + routing.weight() > limits.max_output_bytes {
                    Ended::Trap(wasmtime::Error::new(LimitExceeded::OutputBytes {
                        cap: limits.max_output_bytes,
                    }))
                } else {
                    Ended::Routing(routing)
                }
            }
            other => other,
        };
        let status = match ended {
            Ended::Summary(summary) => RunStatus::Succeeded { summary },
            Ended::Eligibility(outcome) => match outcome.missing_grant(&request.grants) {
                // The host acts on the outcome on the rule's behalf (it sends the requests a
                // rule asks for), so the outcome needs the grants that acting needs.
                Some(capability) => {
                    outputs.denied.push(capability);
                    RunStatus::Failed {
                        reason: FailureReason::PluginError {
                            kind: "denied".into(),
                            message: format!(
                                "the rule asks the host to act for it but is not granted \
                                 `{capability}`; grant it with `zemstvo plugin grant {} … \
                                 {capability}`",
                                plugin.metadata.name
                            ),
                        },
                    }
                }
                None => {
                    let message = match &outcome {
                        Outcome::Need { requests } => {
                            format!("needs {} SMEV requests", requests.len())
                        }
                        Outcome::Decided { decision } => match &decision.verdict {
                            Verdict::Approve { .. } => "approved".to_string(),
                            Verdict::Deny { .. } => "denied".to_string(),
                        },
                    };
                    outputs.eligibility = Some(outcome);
                    RunStatus::Succeeded {
                        summary: Summary {
                            examined: 1,
                            found: 1,
                            message,
                        },
                    }
                }
            },
            Ended::Routing(routing) => {
                let message = match (&routing.classification.category, &routing.authority) {
                    (Some(category), Some(authority)) => format!("{category} → {authority}"),
                    (Some(category), None) => format!("{category}, no authority"),
                    (None, _) => "not classified: to a specialist".to_string(),
                };
                outputs.routing = Some(routing);
                RunStatus::Succeeded {
                    summary: Summary {
                        examined: 1,
                        found: 1,
                        message,
                    },
                }
            }
            Ended::PluginError(reason) => RunStatus::Failed { reason },
            Ended::Invalid(message) => RunStatus::Failed {
                reason: FailureReason::InvalidResult { message },
            },
            Ended::Trap(error) => RunStatus::Failed {
                reason: classify(&error, &state.limiter, &limits, &err_text),
            },
            Ended::Timeout => RunStatus::Failed {
                reason: FailureReason::TimeBudgetExceeded {
                    budget_ms: limits.time_budget.as_millis() as u64,
                },
            },
        };
        if !matches!(status, RunStatus::Succeeded { .. }) {
            // A failed run emits nothing: its partial outputs are dropped, only the
            // diagnostics stay for the record.
            outputs = RunOutputs {
                logs: outputs.logs,
                logs_dropped: outputs.logs_dropped,
                denied: outputs.denied,
                rows_read: outputs.rows_read,
                data_sha256: outputs.data_sha256,
                ..RunOutputs::default()
            };
        }
        RunReport {
            run_id: request.run_id,
            region: request.region.region().to_string(),
            plugin: plugin.reference(),
            logical_time: request.now,
            status,
            duration: started.elapsed(),
            peak_memory: state.limiter.peak_memory,
            outputs,
            stdout: with_dropped(out_text, out_dropped),
            stderr: with_dropped(err_text, err_dropped),
        }
    }

    /// The mean time to give a run its store and instance, before any plugin code runs: what
    /// every run pays. For benchmarks and capacity planning.
    pub async fn measure_instantiation(
        &self,
        plugin: &LoadedPlugin,
        iterations: u32,
    ) -> wasmtime::Result<Duration> {
        let limits = RunLimits::default();
        let (stdout, stderr) = (CapturedOutput::default(), CapturedOutput::default());
        let started = Instant::now();
        for _ in 0..iterations {
            let mut store =
                self.new_store(idle_state(&limits, &stdout, &stderr), limits.time_budget);
            plugin.pre.instantiate_async(&mut store).await?;
        }
        Ok(started.elapsed() / iterations.max(1))
    }

    /// A store with the run's memory limiter and time budget installed.
    fn new_store(&self, state: RunState, budget: Duration) -> Store<RunState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().started.elapsed() >= budget {
                Err(wasmtime::Error::new(LimitExceeded::TimeBudget { budget }))
            } else {
                // Yield at every tick, so a long run shares the executor with other runs.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// Calls `metadata()` in a store where every host interface traps.
    pub(super) async fn call_metadata(
        &self,
        pre: &InstancePre<RunState>,
        entry: &Entry,
    ) -> Result<DeclaredMetadata, LoadError> {
        let stdout = CapturedOutput::default();
        let stderr = CapturedOutput::default();
        let limits = RunLimits {
            time_budget: Duration::from_secs(5),
            memory_bytes: 64 << 20,
            ..RunLimits::default()
        };
        let state = idle_state(&limits, &stdout, &stderr);
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the run semaphore is never closed");
        let mut store = self.new_store(state, limits.time_budget);
        let call = async {
            let instance = pre.instantiate_async(&mut store).await?;
            entry.metadata(&mut store, &instance).await
        };
        let result = tokio::time::timeout(limits.time_budget + BUDGET_MARGIN, call).await;
        let (_, err_text) = (stdout.take(), stderr.take().0);
        match result {
            Ok(Ok(metadata)) => Ok(metadata),
            Ok(Err(error)) => Err(LoadError::MetadataCall(classify(
                &error,
                &store.data().limiter,
                &limits,
                &err_text,
            ))),
            Err(_) => Err(LoadError::MetadataCall(FailureReason::TimeBudgetExceeded {
                budget_ms: limits.time_budget.as_millis() as u64,
            })),
        }
    }
}

/// A store's data for a plugin that is not running a request: every host interface traps.
fn idle_state(limits: &RunLimits, stdout: &CapturedOutput, stderr: &CapturedOutput) -> RunState {
    RunState {
        wasi: wasi_context("metadata", 0, stdout, stderr),
        table: ResourceTable::new(),
        limiter: RunLimiter::new(limits.memory_bytes),
        phase: Phase::Metadata,
        grants: Grants::none(),
        region: Arc::new(EmptyRegion),
        config: Arc::new(ResolvedConfig::default()),
        limits: limits.clone(),
        plugin: String::from("(loading)"),
        run_id: String::from("metadata"),
        now: 0,
        outputs: RunOutputs::default(),
        output_bytes: 0,
        log_bytes: 0,
        task_keys: Default::default(),
        notification_keys: Default::default(),
        open_cursors: 0,
        data_digest: Default::default(),
        started: Instant::now(),
    }
}

async fn call_entry(
    store: &mut Store<RunState>,
    plugin: &LoadedPlugin,
    ctx: &RunContext,
    input: &RunInput,
) -> Ended {
    match plugin.pre.instantiate_async(&mut *store).await {
        Ok(instance) => plugin.entry.call(store, &instance, ctx, input).await,
        Err(e) => Ended::Trap(e),
    }
}

/// Names the reason a run trapped, most specific first.
pub(crate) fn classify(
    error: &wasmtime::Error,
    limiter: &RunLimiter,
    limits: &RunLimits,
    stderr: &str,
) -> FailureReason {
    if let Some(limit) = error.downcast_ref::<LimitExceeded>() {
        return match limit {
            LimitExceeded::TimeBudget { budget } => FailureReason::TimeBudgetExceeded {
                budget_ms: budget.as_millis() as u64,
            },
            LimitExceeded::OutputCount { output, cap } => FailureReason::OutputCapExceeded {
                output: output.to_string(),
                cap: *cap,
            },
            LimitExceeded::OutputBytes { cap } => FailureReason::OutputBytesExceeded { cap: *cap },
            LimitExceeded::OpenCursors { cap } => FailureReason::TooManyCursors { cap: *cap },
            LimitExceeded::ExplanationSteps { cap } => {
                FailureReason::ExplanationTooLong { cap: *cap }
            }
        };
    }
    if let Some(e) = error.downcast_ref::<wasmtime::component::ResourceTableError>() {
        return FailureReason::HandleMisuse {
            message: e.to_string(),
        };
    }
    if let Some(e) = error.downcast_ref::<CalledDuringMetadata>() {
        return FailureReason::Trapped {
            message: e.to_string(),
        };
    }
    let trap = error.downcast_ref::<Trap>().copied();
    // Rust guests keep a shadow stack in linear memory: running out of it shows as an
    // out-of-bounds access deep in a recursion rather than as a wasm stack overflow.
    if trap == Some(Trap::StackOverflow)
        || (trap == Some(Trap::MemoryOutOfBounds) && in_deep_recursion(error))
    {
        return FailureReason::StackExhausted;
    }
    if trap == Some(Trap::Interrupt) {
        return FailureReason::TimeBudgetExceeded {
            budget_ms: limits.time_budget.as_millis() as u64,
        };
    }
    match limiter.refused {
        Some(Refusal::MemoryCap) => {
            return FailureReason::MemoryLimitExceeded {
                limit_bytes: limits.memory_bytes,
            };
        }
        Some(Refusal::TableElements) => {
            return FailureReason::TooManyResources {
                what: "table elements".into(),
                cap: MAX_TABLE_ELEMENTS,
                message: format!("{error:#}"),
            };
        }
        None => {}
    }
    if let Some(message) = panic_message(stderr) {
        return FailureReason::Panicked { message };
    }
    if let Some(trap) = trap {
        return FailureReason::Trapped {
            message: format!("{trap}{}", first_frame(error)),
        };
    }
    // What wasmtime says in words: the store's counts, handles, and values lifted from the
    // guest's memory. Anything else is the host's own failure.
    let message = format!("{error:#}");
    for (what, cap) in [
        ("memory", MAX_MEMORIES),
        ("table", MAX_TABLES),
        ("instance", MAX_INSTANCES),
    ] {
        if message.contains(&format!("{what} count too high")) {
            return FailureReason::TooManyResources {
                what: format!("{what}s"),
                cap,
                message,
            };
        }
    }
    if message.contains("handle index")
        || message.contains("resource") && message.contains("borrow")
    {
        return FailureReason::HandleMisuse { message };
    }
    if message.contains("out of bounds of memory")
        || message.contains("too large to copy")
        || message.contains("not aligned")
        || message.contains("byte length too large")
    {
        return FailureReason::InvalidHostCall { message };
    }
    FailureReason::Host { message }
}

/// Whether a trap happened deep in a recursion: wasmtime keeps the innermost frames of a
/// backtrace, and a recursion fills them with the same few functions.
fn in_deep_recursion(error: &wasmtime::Error) -> bool {
    let Some(bt) = error.downcast_ref::<wasmtime::WasmBacktrace>() else {
        return false;
    };
    let frames = bt.frames();
    let mut functions: Vec<u32> = frames.iter().map(|f| f.func_index()).collect();
    functions.sort_unstable();
    functions.dedup();
    frames.len() >= 16 && functions.len() <= 3
}

/// The message of a Rust panic as the guest's standard library printed it to stderr.
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at ")? + "panicked at ".len();
    let rest = &stderr[start..];
    let end = rest.find("\nnote:").unwrap_or(rest.len());
    let text = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    Some(text.trim_end_matches(':').to_string())
}

/// The innermost named guest frame of a trap, to point the vendor at their code.
fn first_frame(error: &wasmtime::Error) -> String {
    error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .and_then(|bt| {
            bt.frames()
                .iter()
                .find_map(|f| f.func_name().map(|n| n.to_string()))
        })
        .map(|name| format!(" in `{name}`"))
        .unwrap_or_default()
}

fn forward_stdio(plugin: &str, run: &str, stdout: &str, stderr: &str) {
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        tracing::info!(target: "zemstvo::plugin::stdout", plugin, run, "{line}");
    }
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        tracing::warn!(target: "zemstvo::plugin::stderr", plugin, run, "{line}");
    }
}

fn with_dropped(mut text: String, dropped: usize) -> String {
    if dropped > 0 {
        text.push_str(&format!("\n[{dropped} more bytes not kept]"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_is_read_from_the_guest_stderr() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:12:9:\nthe data is cursed\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("src/lib.rs:12:9: the data is cursed")
        );
        assert_eq!(panic_message("nothing to see"), None);
    }
}
