//! Citizens' applications over HTTP: the region's portal, the MFC system or a specialist
//! registers one, and the eligibility rules for its measure decide it as the SMEV answers
//! arrive (`GET /api/v1/cases/{application}` follows it). No thread waits: registering only
//! writes the application; the host's next round calls the rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zemstvo_store::eligibility::NewApplication;

use super::JsonBody;
use crate::auth::Principal;
use crate::policy::Action;
use crate::problem::Problem;
use crate::state::WebState;

/// At most this many form fields, names of at most 64 characters, values of at most 4 KiB.
const MAX_FIELDS: usize = 100;
const MAX_FIELD_NAME: usize = 64;
const MAX_FIELD_VALUE: usize = 4 << 10;

/// A citizen's application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// The citizen's id in the region's register.
    pub citizen: u64,
    /// The support measure, e.g. `child-allowance` (lowercase letters, digits, `-`, `_`).
    pub measure: String,
    /// portal, mfc or office.
    pub channel: String,
    /// The registering system's number; `З-<id>` when absent.
    pub number: Option<String>,
    /// Days until the decision is due: 1 to 90, 10 by default.
    pub term_days: Option<u32>,
    /// The form's fields by name, as the measure's rules read them.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A registered application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: u64,
    pub number: String,
    pub submitted_at: i64,
    pub deadline_at: i64,
    /// The enabled eligibility rules that will decide it; empty when an official decides.
    pub rules: Vec<String>,
    /// Where to follow it.
    pub case: String,
}

fn check(r: &ApplicationRequest) -> Result<(), Problem> {
    let refuse = |field: &str, why: String| Err(Problem::unprocessable(why).field(field));
    if r.measure.is_empty()
        || r.measure.len() > 64
        || !r
            .measure
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return refuse(
            "measure",
            "a measure is 1 to 64 lowercase letters, digits, `-` or `_`, e.g. child-allowance"
                .into(),
        );
    }
    if !matches!(r.channel.as_str(), "portal" | "mfc" | "office") {
        return refuse(
            "channel",
            format!("channel is `{}`; give portal, mfc or office", r.channel),
        );
    }
    if let Some(n) = &r.number
        && (n.trim().is_empty() || n.chars().count() > 64)
    {
        return refuse("number", "a number has 1 to 64 characters".into());
    }
    if let Some(days) = r.term_days
        && !(1..=90).contains(&days)
    {
        return refuse("term_days", format!("term_days is {days}; give 1 to 90"));
    }
    if r.fields.len() > MAX_FIELDS {
        return refuse(
            "fields",
            format!("an application has at most {MAX_FIELDS} fields"),
        );
    }
    for (name, value) in &r.fields {
        if name.is_empty() || name.chars().count() > MAX_FIELD_NAME {
            return refuse(
                "fields",
                format!("a field name has 1 to {MAX_FIELD_NAME} characters"),
            );
        }
        if value.len() > MAX_FIELD_VALUE {
            return refuse(
                "fields",
                format!("field `{name}` is longer than {MAX_FIELD_VALUE} bytes"),
            );
        }
    }
    Ok(())
}

/// Registers a citizen's application; the rules for its measure decide it.
#[utoipa::path(post, path = "/api/v1/applications", tag = "cases", request_body = ApplicationRequest,
    responses((status = 201, body = ApplicationView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    State(state): State<Arc<WebState>>,
    principal: Principal,
    JsonBody(request): JsonBody<ApplicationRequest>,
) -> Result<(StatusCode, Json<ApplicationView>), Problem> {
    principal.require(Action::SubmitApplications)?;
    check(&request)?;
    let rules = state
        .host
        .decisions()
        .rules_for_measure(&request.measure)
        .await?;
    let new = NewApplication {
        citizen: request.citizen,
        measure: request.measure,
        channel: request.channel,
        number: request.number.map(|n| n.trim().to_string()),
        term_days: request.term_days.unwrap_or(10),
        fields: request.fields.into_iter().collect(),
    };
    let submitted = state
        .store()
        .submit_application(&new, &principal.actor())
        .await
        .map_err(|e| match e {
            zemstvo_store::StoreError::NotFound(m) => Problem::unprocessable(m).field("citizen"),
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(ApplicationView {
            case: format!("/api/v1/cases/{}", submitted.id),
            id: submitted.id,
            number: submitted.number,
            submitted_at: submitted.submitted_at,
            deadline_at: submitted.deadline_at,
            rules,
        }),
    ))
}
