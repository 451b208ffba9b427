//! What happened, for those whose role may read it: the runs of the plugins with their
//! outcome and failure reason, one run's record with its log, and the audit log of every
//! administrative change with its actor and the values before and after.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;

use super::page::{PageError, Viewer, t, t_with};
use super::text::{self, Arg};
use crate::policy::Action;
use crate::state::WebState;

/// The most rows a journal page shows.
const ROWS: u32 = 200;

#[derive(Debug, Serialize)]
struct RunRow {
    id: String,
    plugin: String,
    succeeded: bool,
    finished_at: i64,
    tasks_created: u64,
    tasks_existing: u64,
    failure: Option<String>,
}

/// `/runs?plugin=NAME`: the latest runs, newest first.
pub async fn runs(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadRuns)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let plugin = pairs
        .into_iter()
        .find(|(k, v)| k == "plugin" && !v.is_empty())
        .map(|(_, v)| v);
    let rows: Vec<RunRow> = state
        .store()
        .recent_runs(plugin.as_deref(), ROWS)
        .await?
        .into_iter()
        .map(|r| RunRow {
            succeeded: r.status == "succeeded",
            id: r.id,
            plugin: r.plugin,
            finished_at: r.finished_at,
            tasks_created: r.tasks_created,
            tasks_existing: r.tasks_existing,
            failure: r.failure,
        })
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "runs.html",
        "/runs",
        context! {
            title => t("runs-title"),
            plugin => plugin,
            runs => Value::from_serialize(&rows),
        },
    ))
}

/// A line of a run's log.
#[derive(Debug, Serialize)]
struct LogRow {
    level: String,
    message: String,
}

/// Why a run failed, in words for the administrator: what happened and what to do (Russian,
/// by the reason's kind), and the host's own text with the details.
fn failure_text(reason: &serde_json::Value) -> (String, String) {
    let kind = reason
        .get("reason")
        .and_then(|r| r.as_str())
        .unwrap_or("other");
    let id = format!("failure-{kind}");
    let said = if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        t("failure-other")
    };
    let detail = serde_json::from_value::<zemstvo_host::FailureReason>(reason.clone())
        .map(|r| r.to_string())
        .unwrap_or_else(|_| reason.to_string());
    (said, detail)
}

/// `/runs/{id}`: one run's record — outcome, the plugin's summary or why it failed, what it
/// emitted, its log. Messages' parameters are never shown: they may hold personal data.
pub async fn run(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadRuns)?;
    let report = state
        .store()
        .run_report(&id)
        .await?
        .ok_or(PageError::Status(StatusCode::NOT_FOUND))?;
    let str_at = |pointer: &str| {
        report
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let u64_at = |pointer: &str| {
        report
            .pointer(pointer)
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    };
    let len_at = |pointer: &str| {
        report
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .map_or(0, |a| a.len())
    };
    let succeeded = str_at("/status") == "succeeded";
    let (failure, failure_detail) = match report.get("reason") {
        Some(reason) if !succeeded => {
            let (said, detail) = failure_text(reason);
            (Some(said), Some(detail))
        }
        _ => (None, None),
    };
    let logs: Vec<LogRow> = report
        .pointer("/outputs/logs")
        .and_then(|v| v.as_array())
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    let level = l.get("level").and_then(|v| v.as_str()).unwrap_or("info");
                    let id = format!("log-level-{level}");
                    LogRow {
                        level: if text::Texts::russian().has(&id) {
                            t(&id)
                        } else {
                            level.to_string()
                        },
                        message: l
                            .get("message")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let denied: Vec<String> = report
        .pointer("/outputs/denied")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let duration_ms = u64_at("/duration_us") as f64 / 1000.0;
    let memory_mib = u64_at("/peak_memory") as f64 / (1024.0 * 1024.0);
    let plugin = str_at("/plugin/name");
    Ok(viewer.page(
        StatusCode::OK,
        "run.html",
        "/runs",
        context! {
            title => t_with("run-title", &[("plugin", Arg::Text(plugin.clone()))]),
            id => id,
            plugin => plugin,
            version => str_at("/plugin/version"),
            sha256 => str_at("/plugin/sha256"),
            succeeded => succeeded,
            logical_time => report.get("logical_time").and_then(|v| v.as_i64()),
            duration => text::decimal(duration_ms, 1),
            memory => text::decimal(memory_mib, 1),
            rows_read => u64_at("/outputs/rows_read"),
            examined => report.pointer("/summary/examined").and_then(|v| v.as_u64()),
            found => report.pointer("/summary/found").and_then(|v| v.as_u64()),
            summary => report.pointer("/summary/message").and_then(|v| v.as_str()),
            failure => failure,
            failure_detail => failure_detail,
            tasks => len_at("/outputs/tasks"),
            notifications => len_at("/outputs/notifications"),
            smev_requests => len_at("/outputs/smev_requests"),
            visit_exceptions => len_at("/outputs/visit_exceptions"),
            logs => Value::from_serialize(&logs),
            logs_dropped => u64_at("/outputs/logs_dropped"),
            denied => denied,
            stdout => str_at("/stdout"),
            stderr => str_at("/stderr"),
        },
    ))
}

/// What an audit entry's action is called on the pages (`enable` is «включение»); the code
/// itself is shown beside it.
pub fn action_label(action: &str) -> String {
    let id = format!("action-{action}");
    if text::Texts::russian().has(&id) {
        t(&id)
    } else {
        action.to_string()
    }
}

#[derive(Debug, Serialize)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
    label: String,
    subject: String,
    details: String,
}

/// `/audit`: the latest administrative changes, newest first.
pub async fn audit(
    State(state): State<Arc<WebState>>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    viewer.require(Action::ReadAudit)?;
    let rows: Vec<AuditRow> = state
        .store()
        .audit_log(None, ROWS)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: e.at,
            actor: e.actor,
            label: action_label(&e.action),
            action: e.action,
            subject: e.subject,
            details: if e.details.as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                e.details.to_string()
            },
        })
        .collect();
    Ok(viewer.page(
        StatusCode::OK,
        "audit.html",
        "/audit",
        context! {
            title => t("audit-title"),
            entries => Value::from_serialize(&rows),
        },
    ))
}
