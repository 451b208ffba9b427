//! What happened, for those whose role may read it: the runs of the plugins with their
//! outcome and failure reason, and the audit log of every administrative change with its
//! actor and the values before and after.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;
use serde::Serialize;

use super::page::{PageError, Viewer, t};
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

#[derive(Debug, Serialize)]
struct AuditRow {
    at: i64,
    actor: String,
    action: String,
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
