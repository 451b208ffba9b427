//! One run: a fresh store, the plugin's entry point, and the record of how it ended.
//!
//! Whatever the plugin does — loop, grow memory, recurse, panic, flood outputs, call what it
//! was not granted — ends in a [`RunReport`]; nothing escapes to the caller as a panic or an
//! error, and nothing the run did survives it except that report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{InstancePre, ResourceTable};
use wasmtime::{Store, Trap, UpdateDeadline};

use super::limits::{
    BUDGET_MARGIN, LimitExceeded, MAX_INSTANCES, MAX_MEMORIES, MAX_TABLE_ELEMENTS, MAX_TABLES,
    Refusal, RunLimiter, RunLimits,
};
use super::loaded::{Entry, LoadError};
use super::sandbox::{CapturedOutput, wasi_context};
use super::state::{CalledDuringMetadata, Phase, RunState};
use super::wit::latest::zemstvo::platform::types as wit;
use super::{LoadedPlugin, Runtime};
use crate::capabilities::config::ResolvedConfig;
use crate::capabilities::data::RegionData;
use crate::capabilities::{Capability, Grants};
use crate::eligibility::{EligibilityInput, outcome_from_wit};
use crate::region::EmptyRegion;
use crate::report::{FailureReason, RunOutputs, RunReport, RunStatus, Summary};

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub enum RunInput {
    /// A batch run over the whole region (deviation checks, risk scoring, geo checks).
    Batch,
    /// One call of an eligibility rule.
    Eligibility(EligibilityInput),
}

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
}

/// How the entry point ended, before it is turned into a report.
enum Ended {
    Summary(wit::RunSummary),
    Eligibility(crate::eligibility::Outcome),
    PluginError(wit::PluginError),
    Invalid(String),
    Trap(wasmtime::Error),
    Timeout,
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
            started,
        };
        let mut store = self.new_store(state, limits.cpu_budget);
        let ctx = wit::RunContext {
            run_id: request.run_id.clone(),
            region: request.region.region().to_string(),
            now: request.now,
        };
        // The epoch stops a guest that computes and host calls check the budget; this stops
        // one stuck in host work that does not yield, a little later.
        let deadline = limits.cpu_budget + BUDGET_MARGIN;
        let ended = match tokio::time::timeout(
            deadline,
            call_entry(&mut store, &plugin.pre, &plugin.entry, &ctx, &request.input),
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
                if steps > limits.max_explanation_steps {
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
            other => other,
        };
        let status = match ended {
            Ended::Summary(s) => RunStatus::Succeeded {
                summary: Summary {
                    examined: s.examined,
                    found: s.found,
                    message: s.message,
                },
            },
            // The host sends a rule's requests on its behalf, so asking is using `smev.send`.
            Ended::Eligibility(crate::eligibility::Outcome::Need { .. })
                if !request.grants.is_granted(Capability::SmevSend) =>
            {
                outputs.denied.push(Capability::SmevSend);
                RunStatus::Failed {
                    reason: FailureReason::PluginError {
                        kind: "denied".into(),
                        message: format!(
                            "the rule asks for SMEV requests but is not granted `smev.send`; \
                             grant it with `zemstvo plugin grant {} … smev.send`",
                            plugin.metadata.name
                        ),
                    },
                }
            }
            Ended::Eligibility(outcome) => {
                let message = match &outcome {
                    crate::eligibility::Outcome::Need { requests } => {
                        format!("needs {} SMEV requests", requests.len())
                    }
                    crate::eligibility::Outcome::Decided { decision } => match &decision.verdict {
                        crate::eligibility::Verdict::Approve { .. } => "approved".to_string(),
                        crate::eligibility::Verdict::Deny { .. } => "denied".to_string(),
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
            Ended::PluginError(e) => RunStatus::Failed {
                reason: plugin_error(e),
            },
            Ended::Invalid(message) => RunStatus::Failed {
                reason: FailureReason::InvalidResult { message },
            },
            Ended::Trap(error) => RunStatus::Failed {
                reason: classify(&error, &state.limiter, &limits, &err_text),
            },
            Ended::Timeout => RunStatus::Failed {
                reason: FailureReason::CpuBudgetExceeded {
                    budget_ms: limits.cpu_budget.as_millis() as u64,
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
                self.new_store(idle_state(&limits, &stdout, &stderr), limits.cpu_budget);
            plugin.pre.instantiate_async(&mut store).await?;
        }
        Ok(started.elapsed() / iterations.max(1))
    }

    /// A store with the run's memory limiter and CPU budget installed.
    fn new_store(&self, state: RunState, budget: Duration) -> Store<RunState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().started.elapsed() >= budget {
                Err(wasmtime::Error::new(LimitExceeded::CpuBudget { budget }))
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
    ) -> Result<wit::PluginMetadata, LoadError> {
        let stdout = CapturedOutput::default();
        let stderr = CapturedOutput::default();
        let limits = RunLimits {
            cpu_budget: Duration::from_secs(5),
            memory_bytes: 64 << 20,
            ..RunLimits::default()
        };
        let state = idle_state(&limits, &stdout, &stderr);
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the run semaphore is never closed");
        let mut store = self.new_store(state, limits.cpu_budget);
        let call = async {
            let instance = pre.instantiate_async(&mut store).await?;
            match entry {
                Entry::DeviationCheck(ix) => {
                    ix.load(&mut store, &instance)?
                        .call_metadata(&mut store)
                        .await
                }
                Entry::EligibilityRule(ix) => {
                    ix.load(&mut store, &instance)?
                        .call_metadata(&mut store)
                        .await
                }
                Entry::RiskScoring(ix) => {
                    ix.load(&mut store, &instance)?
                        .call_metadata(&mut store)
                        .await
                }
                Entry::GeoCheck(ix) => {
                    ix.load(&mut store, &instance)?
                        .call_metadata(&mut store)
                        .await
                }
            }
        };
        let result = tokio::time::timeout(limits.cpu_budget + BUDGET_MARGIN, call).await;
        let (_, err_text) = (stdout.take(), stderr.take().0);
        match result {
            Ok(Ok(metadata)) => Ok(metadata),
            Ok(Err(error)) => Err(LoadError::MetadataCall(classify(
                &error,
                &store.data().limiter,
                &limits,
                &err_text,
            ))),
            Err(_) => Err(LoadError::MetadataCall(FailureReason::CpuBudgetExceeded {
                budget_ms: limits.cpu_budget.as_millis() as u64,
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
        started: Instant::now(),
    }
}

async fn call_entry(
    store: &mut Store<RunState>,
    pre: &InstancePre<RunState>,
    entry: &Entry,
    ctx: &wit::RunContext,
    input: &RunInput,
) -> Ended {
    let instance = match pre.instantiate_async(&mut *store).await {
        Ok(instance) => instance,
        Err(e) => return Ended::Trap(e),
    };
    let summary = match (entry, input) {
        (Entry::DeviationCheck(ix), RunInput::Batch) => match ix.load(&mut *store, &instance) {
            Ok(guest) => guest.call_run(&mut *store, ctx).await,
            Err(e) => Err(e),
        },
        (Entry::RiskScoring(ix), RunInput::Batch) => match ix.load(&mut *store, &instance) {
            Ok(guest) => guest.call_run(&mut *store, ctx).await,
            Err(e) => Err(e),
        },
        (Entry::GeoCheck(ix), RunInput::Batch) => match ix.load(&mut *store, &instance) {
            Ok(guest) => guest.call_run(&mut *store, ctx).await,
            Err(e) => Err(e),
        },
        (Entry::EligibilityRule(ix), RunInput::Eligibility(input)) => {
            let guest = match ix.load(&mut *store, &instance) {
                Ok(guest) => guest,
                Err(e) => return Ended::Trap(e),
            };
            let application = (&input.application).into();
            let answers: Vec<_> = input.answers.iter().cloned().map(Into::into).collect();
            return match guest
                .call_decide(&mut *store, ctx, &application, &answers)
                .await
            {
                Ok(Ok(outcome)) => match outcome_from_wit(outcome) {
                    Ok(outcome) => Ended::Eligibility(outcome),
                    Err(why) => Ended::Invalid(why),
                },
                Ok(Err(e)) => Ended::PluginError(e),
                Err(e) => Ended::Trap(e),
            };
        }
        (Entry::EligibilityRule(_), RunInput::Batch) => {
            return Ended::Invalid(
                "an eligibility rule is called per application: give it an application and its SMEV answers".into(),
            );
        }
        (_, RunInput::Eligibility(_)) => {
            return Ended::Invalid("only eligibility rules decide applications".into());
        }
    };
    match summary {
        Ok(Ok(summary)) => Ended::Summary(summary),
        Ok(Err(e)) => Ended::PluginError(e),
        Err(e) => Ended::Trap(e),
    }
}

fn plugin_error(e: wit::PluginError) -> FailureReason {
    let (kind, message) = match e {
        wit::PluginError::InvalidConfig(m) => ("invalid-config", m),
        wit::PluginError::InvalidData(m) => ("invalid-data", m),
        wit::PluginError::HostCall(m) => ("host-call", m),
        wit::PluginError::Other(m) => ("other", m),
    };
    FailureReason::PluginError {
        kind: kind.to_string(),
        message,
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
            LimitExceeded::CpuBudget { budget } => FailureReason::CpuBudgetExceeded {
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
        return FailureReason::CpuBudgetExceeded {
            budget_ms: limits.cpu_budget.as_millis() as u64,
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
