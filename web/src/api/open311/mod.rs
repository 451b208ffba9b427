//! Open311 GeoReport v2 (JSON only) under `/open311/v2/`: the region's appeal channels (the
//! governor's site, mobile apps, "Добродел"-style portals) file citizens' appeals and read
//! their status the way hundreds of cities' systems already speak, so a channel needs no code
//! written for this region. Filing only stores the appeal; the host's tick routes it (the
//! appeal-routing plugin), and the status read here follows.
//!
//! What this endpoint chose where the specification leaves room:
//! - JSON only: a `.xml` resource answers 400 saying so.
//! - Errors are the specification's list `[{"code": <HTTP status>, "description": "…"}]`, not
//!   RFC 9457 problem documents; descriptions are Russian and start with the field at fault.
//!   A request answered with an error stored nothing.
//! - Services are the categories of the active classifier catalogue (`group` is the topic).
//!   Every service has one optional attribute, `address_details` (a string of up to 500
//!   characters: entrance, floor, landmark), so `metadata` is always true.
//! - `POST requests.json` takes a form (`application/x-www-form-urlencoded`, as the
//!   specification) or a JSON object with the same names (`attribute` may then be an object of
//!   code → value). `api_key` is required (403 when missing, unknown or revoked: only the
//!   region's registered channels file appeals), `description` is required (the router reads
//!   it), and a place is `lat` + `long` or, without them, `address_string`; `address_id` alone
//!   is refused (the region has no address register to resolve it). Empty fields count as
//!   absent; unknown or repeated fields are refused (a `lon` for `long` would otherwise lose the
//!   place silently). The answer is 201 Created with the specification's body; `account_id` is
//!   null (no accounts here). `device_id` and `account_id` are checked and not kept.
//! - Status: `open` while the appeal is received, in review, assigned or reopened; `closed`
//!   once answered or closed (a rejected answer reopens it, and it is `open` again).
//! - `GET requests.json`: without dates, the appeals received in the last 90 days; one date
//!   sets a 90-day window from (or to) it; two dates may not span more than 90 days. At most
//!   1,000 requests, newest first. With `service_request_id` the other filters are ignored, as
//!   the specification says. Dates are RFC 3339 (a plain `YYYY-MM-DD` is the region's day).
//! - The GET endpoints are public, as in the specification: they never show the applicant's
//!   name, e-mail, phone, device or account, nor the channel; datetimes are in the region's
//!   time zone with its offset.

mod intake;
mod query;

use intake::*;
use query::*;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use zemstvo_core::appeals::{Catalogue, Category, Place};
use zemstvo_store::StoreError;
use zemstvo_store::appeals::{AppealFilter, AppealRow, NewAppeal};

use crate::auth::hash_secret;
use crate::problem::Problem;
use crate::state::WebState;
use crate::unix_now;

/// The largest body `POST requests.json` reads: a description of 4,000 characters in Cyrillic
/// is 8 KB, percent-encoded 24 KB; nothing a channel sends needs more.
pub const MAX_BODY_BYTES: usize = 64 << 10;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// The longest `media_url`, in characters.
pub const MAX_MEDIA_URL_CHARS: usize = 2_000;
/// The longest address, and the longest `address_details`, in characters.
pub const MAX_ADDRESS_CHARS: usize = 500;
/// The longest query string the GET endpoints read.
const MAX_QUERY_BYTES: usize = 8 << 10;
/// The most fields a request may have.
const MAX_FIELDS: usize = 64;
/// The default and largest window of `GET requests.json`, in days.
pub const WINDOW_DAYS: i64 = 90;
/// The most requests `GET requests.json` answers.
pub const MAX_REQUESTS: u32 = 1_000;
/// The most ids in `service_request_id`, and codes in `service_code`.
const MAX_IDS: usize = 200;
const MAX_CODES: usize = 20;
/// The one attribute every service has.
pub const ADDRESS_DETAILS: &str = "address_details";

const DAY: i64 = 86_400;
const SERVICES: &str = "/open311/v2/services.json";

/// An error in GeoReport v2's format: `[{"code", "description"}]` with the same HTTP status.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
}

/// One error of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// The HTTP status.
    pub code: u16,
    /// What is wrong (in Russian), starting with the field at fault.
    pub description: String,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
        }
    }

    fn bad(field: &str, why: impl std::fmt::Display) -> Self {
        Open311Error::new(StatusCode::BAD_REQUEST, format!("{field}: {why}"))
    }

    fn not_found(why: impl Into<String>) -> Self {
        Open311Error::new(StatusCode::NOT_FOUND, why)
    }

    fn xml() -> Self {
        Open311Error::bad(
            "format",
            "этот сервер отвечает только в JSON; запросите тот же адрес с окончанием .json \
             вместо .xml",
        )
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = vec![ErrorItem {
            code: self.status.as_u16(),
            description: self.description,
        }];
        (self.status, Json(body)).into_response()
    }
}

/// Failures of the database read as the rest of the API reads them, in Open311's format; a
/// refused value is a 400, the only client error the specification names for values.
impl From<Problem> for Open311Error {
    fn from(p: Problem) -> Self {
        let status = match StatusCode::from_u16(p.status) {
            Ok(StatusCode::UNPROCESSABLE_ENTITY) | Err(_) => StatusCode::BAD_REQUEST,
            Ok(s) => s,
        };
        Open311Error::new(status, p.detail)
    }
}

impl From<StoreError> for Open311Error {
    fn from(e: StoreError) -> Self {
        Problem::from(e).into()
    }
}

/// A service: one category of the region's classifier.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Whether the service has attributes (always: `address_details`).
    pub metadata: bool,
    /// Always `realtime`: the request is stored at once and gets its id.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// The category's keywords, comma-separated.
    pub keywords: String,
    /// The category's topic.
    pub group: String,
}

/// A service's attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// An attribute of a service, sent as `attribute[code]=value`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attribute {
    /// True: the applicant fills it in.
    pub variable: bool,
    pub code: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: String,
    pub required: bool,
    pub datatype_description: Option<String>,
    pub order: u32,
    pub description: String,
    /// The choices of a list attribute; empty for the others.
    pub values: Vec<AttributeValue>,
}

/// A choice of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// The body of `POST requests.json` (documentation only: the handler reads the pairs itself,
/// to refuse unknown and repeated fields by name).
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "describes the form in the OpenAPI document")]
pub struct NewRequestForm {
    /// The channel's key, issued by the region.
    #[schema(max_length = 200)]
    api_key: String,
    /// Ignored: the endpoint serves one region.
    #[schema(required = false, max_length = 100)]
    jurisdiction_id: String,
    /// A service code from `services.json`.
    #[schema(max_length = 100)]
    service_code: String,
    /// Latitude (WGS 84), with `long`.
    #[schema(required = false, minimum = -90.0, maximum = 90.0)]
    lat: f64,
    /// Longitude (WGS 84), with `lat`.
    #[schema(required = false, minimum = -180.0, maximum = 180.0)]
    long: f64,
    /// The address as the applicant gave it; required without `lat` and `long`.
    #[schema(required = false, max_length = 500)]
    address_string: String,
    /// Not resolved (no address register): counts as no place.
    #[schema(required = false, max_length = 100)]
    address_id: String,
    #[schema(required = false, max_length = 254)]
    email: String,
    #[schema(required = false, max_length = 100)]
    device_id: String,
    #[schema(required = false, max_length = 100)]
    account_id: String,
    #[schema(required = false, max_length = 100)]
    first_name: String,
    #[schema(required = false, max_length = 100)]
    last_name: String,
    #[schema(required = false, max_length = 32)]
    phone: String,
    /// What is wrong, in the applicant's words: 1 to 4,000 characters.
    #[schema(max_length = 4000)]
    description: String,
    /// A photo: an http or https URL of up to 2,000 characters.
    #[schema(required = false, max_length = 2000)]
    media_url: String,
    /// Where exactly: entrance, floor, landmark.
    #[schema(
        rename = "attribute[address_details]",
        required = false,
        max_length = 500
    )]
    address_details: String,
}

/// A filed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedRequest {
    pub service_request_id: String,
    pub service_notice: Option<String>,
    /// Always null: the region keeps no applicant accounts.
    pub account_id: Option<String>,
}

/// A request as the public sees it: no applicant's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// open or closed.
    pub status: String,
    /// The authority's answer, or where the request is.
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: String,
    /// The responsible authority, once the request is routed.
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    /// When the answer is due, once the request is routed.
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    /// Always null.
    pub address_id: Option<String>,
    /// Always null.
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// The routes under `/open311`; unknown resources and methods answer in Open311's format too.
pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/v2/services.json", get(services))
        .route("/v2/services.xml", get(xml))
        .route("/v2/services/{file}", get(service_definition))
        .route("/v2/requests.json", get(requests).post(create_request))
        .route("/v2/requests.xml", get(xml).post(xml))
        .route("/v2/requests/{file}", get(request))
        .fallback(unknown_resource)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn xml() -> Open311Error {
    Open311Error::xml()
}

async fn unknown_resource() -> Open311Error {
    Open311Error::not_found(format!(
        "ресурса нет; Open311 GeoReport v2 здесь: {SERVICES}, /open311/v2/services/{{service_code}}.json, \
         /open311/v2/requests.json, /open311/v2/requests/{{service_request_id}}.json"
    ))
}

async fn method_not_allowed() -> Open311Error {
    Open311Error::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method: ресурс не принимает этот метод; обращения подаются POST /open311/v2/requests.json, \
         остальное читается GET",
    )
}

/// The services: one per category of the active catalogue; none before one is loaded.
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311", security(()),
    params(("jurisdiction_id" = Option<String>, Query, description = "Ignored: one region")),
    responses((status = 200, body = Vec<Service>),
        (status = 400, body = Vec<ErrorItem>, description = "Unknown or malformed parameters"),
        (status = 503, body = Vec<ErrorItem>, description = "The database is unavailable")))]
pub async fn services(
    State(state): State<Arc<WebState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Service>>, Open311Error> {
    query_params(query, &[])?;
    let catalogue = state.store().appeal_catalogue().await?;
    Ok(Json(
        catalogue
            .map(|c| c.categories.iter().map(service).collect())
            .unwrap_or_default(),
    ))
}

/// One service's attributes.
#[utoipa::path(get, path = "/open311/v2/services/{service_code}.json", tag = "open311",
    security(()),
    params(("service_code" = String, Path, description = "A code from services.json"),
        ("jurisdiction_id" = Option<String>, Query, description = "Ignored: one region")),
    responses((status = 200, body = ServiceDefinition),
        (status = 400, body = Vec<ErrorItem>, description = "Unknown or malformed parameters"),
        (status = 404, body = Vec<ErrorItem>, description = "No such service"),
        (status = 503, body = Vec<ErrorItem>, description = "The database is unavailable")))]
pub async fn service_definition(
    State(state): State<Arc<WebState>>,
    file: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<ServiceDefinition>, Open311Error> {
    let code = json_resource(file)?;
    query_params(query, &[])?;
    let catalogue = state.store().appeal_catalogue().await?;
    let Some(category) = catalogue
        .as_ref()
        .and_then(|c| c.categories.iter().find(|k| k.code == code))
    else {
        return Err(Open311Error::not_found(format!(
            "service_code: услуги `{}` нет; список услуг: {SERVICES}",
            shown(&code)
        )));
    };
    Ok(Json(ServiceDefinition {
        service_code: category.code.clone(),
        attributes: attributes(),
    }))
}

/// Files an appeal from a registered channel; the host routes it on its next tick.
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311", security(()),
    request_body(description = "A form, as GeoReport v2, or a JSON object with the same names",
        content((NewRequestForm = "application/x-www-form-urlencoded"),
            (NewRequestForm = "application/json"))),
    responses((status = 201, body = Vec<CreatedRequest>, description = "Filed; the id follows the request"),
        (status = 400, body = Vec<ErrorItem>, description = "A field is missing or refused"),
        (status = 403, body = Vec<ErrorItem>, description = "api_key is missing, unknown or revoked"),
        (status = 413, body = Vec<ErrorItem>, description = "The body is over 64 KiB"),
        (status = 415, body = Vec<ErrorItem>, description = "The body is neither a form nor JSON"),
        (status = 503, body = Vec<ErrorItem>, description = "The database is unavailable")))]
pub async fn create_request(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Vec<CreatedRequest>>), Open311Error> {
    let pairs = read_body(&headers, body).await?;
    let channel = channel(&state, &pairs).await?;
    let fields = Fields::new(pairs)?;
    let catalogue = state.store().appeal_catalogue().await?;
    let (appeal, category) = fields.appeal(channel, catalogue.as_deref())?;
    let id = state.store().file_appeal(&appeal).await?;
    Ok((
        StatusCode::CREATED,
        Json(vec![CreatedRequest {
            service_request_id: id.to_string(),
            service_notice: Some(filed_notice(id, category.deadline_days)),
            account_id: None,
        }]),
    ))
}

/// The region's requests, newest first: the last 90 days unless dates are given.
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311", security(()),
    params(
        ("service_request_id" = Option<String>, Query, description = "Ids, comma-separated (up to 200); the other filters are then ignored"),
        ("service_code" = Option<String>, Query, description = "Service codes, comma-separated (up to 20)"),
        ("start_date" = Option<String>, Query, description = "Received at or after (RFC 3339, or YYYY-MM-DD in the region's time zone)"),
        ("end_date" = Option<String>, Query, description = "Received at or before (RFC 3339, or YYYY-MM-DD: that whole day)"),
        ("status" = Option<String>, Query, description = "open, closed, or both comma-separated"),
        ("jurisdiction_id" = Option<String>, Query, description = "Ignored: one region")),
    responses((status = 200, body = Vec<ServiceRequest>),
        (status = 400, body = Vec<ErrorItem>, description = "A filter is malformed, or the dates span over 90 days"),
        (status = 503, body = Vec<ErrorItem>, description = "The database is unavailable")))]
pub async fn requests(
    State(state): State<Arc<WebState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ServiceRequest>>, Open311Error> {
    let params = query_params(
        query,
        &[
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
        ],
    )?;
    let zone = region_zone(&state).await?;
    let store = state.store();
    let rows = if let Some(ids) = params.get("service_request_id") {
        let ids = request_ids(ids)?;
        let filter = AppealFilter {
            limit: ids.len() as u32,
            ids,
            ..AppealFilter::default()
        };
        store.appeals(&filter).await?
    } else {
        let (from, to) = window(
            params.get("start_date").map(String::as_str),
            params.get("end_date").map(String::as_str),
            zone,
            unix_now(),
        )?;
        let statuses = match params.get("status") {
            Some(s) => statuses(s)?,
            None => Vec::new(),
        };
        let codes = match params.get("service_code") {
            Some(c) => service_codes(c)?,
            None => vec![None],
        };
        let mut rows = Vec::new();
        for code in codes {
            let filter = AppealFilter {
                service_code: code,
                statuses: statuses.clone(),
                received_from: Some(from),
                received_to: Some(to),
                limit: MAX_REQUESTS,
                ..AppealFilter::default()
            };
            rows.extend(store.appeals(&filter).await?);
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.dedup_by_key(|r| r.id);
        rows.truncate(MAX_REQUESTS as usize);
        rows
    };
    let catalogue = store.appeal_catalogue().await?;
    Ok(Json(
        rows.iter()
            .map(|r| public_view(r, catalogue.as_deref(), zone))
            .collect(),
    ))
}

/// One request, as a list of one (the specification's shape).
#[utoipa::path(get, path = "/open311/v2/requests/{service_request_id}.json", tag = "open311",
    security(()),
    params(("service_request_id" = String, Path, description = "The id POST requests.json gave"),
        ("jurisdiction_id" = Option<String>, Query, description = "Ignored: one region")),
    responses((status = 200, body = Vec<ServiceRequest>),
        (status = 400, body = Vec<ErrorItem>, description = "Unknown or malformed parameters"),
        (status = 404, body = Vec<ErrorItem>, description = "No such request"),
        (status = 503, body = Vec<ErrorItem>, description = "The database is unavailable")))]
pub async fn request(
    State(state): State<Arc<WebState>>,
    file: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ServiceRequest>>, Open311Error> {
    let id = json_resource(file)?;
    query_params(query, &[])?;
    let missing = || {
        Open311Error::not_found(format!(
            "service_request_id: обращения `{}` нет",
            shown(&id)
        ))
    };
    let number = id
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(missing)?;
    let row = match state.store().appeal(number).await {
        Ok(row) => row,
        Err(StoreError::NotFound(_)) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let zone = region_zone(&state).await?;
    let catalogue = state.store().appeal_catalogue().await?;
    Ok(Json(vec![public_view(&row, catalogue.as_deref(), zone)]))
}

fn service(c: &Category) -> Service {
    Service {
        service_code: c.code.clone(),
        service_name: c.title.clone(),
        description: match c.deadline_days {
            Some(d) => format!("{}. Срок ответа — до {}.", c.title, days(d)),
            None => c.title.clone(),
        },
        metadata: true,
        kind: "realtime".into(),
        keywords: c.keywords.join(","),
        group: c.topic.clone(),
    }
}

fn attributes() -> Vec<Attribute> {
    vec![Attribute {
        variable: true,
        code: ADDRESS_DETAILS.into(),
        datatype: "string".into(),
        required: false,
        datatype_description: Some(format!(
            "До {MAX_ADDRESS_CHARS} символов, например «подъезд 2, у детской площадки»"
        )),
        order: 1,
        description: "Уточнение места: подъезд, этаж, ориентир".into(),
        values: Vec::new(),
    }]
}

/// A number of days after "до" (genitive): "до 1 дня", "до 3 дней", "до 21 дня".
fn days(n: u32) -> String {
    let word = if n % 10 == 1 && n % 100 != 11 {
        "дня"
    } else {
        "дней"
    };
    format!("{n} {word}")
}

fn filed_notice(id: u64, deadline_days: Option<u32>) -> String {
    match deadline_days {
        Some(d) => format!(
            "Обращение № {id} принято. Срок ответа — до {} после распределения исполнителю.",
            days(d)
        ),
        None => {
            format!("Обращение № {id} принято. Срок ответа назначат при распределении исполнителю.")
        }
    }
}

/// `name.json` → `name`; `.xml` is refused, any other suffix is no resource.
fn json_resource(file: Result<Path<String>, PathRejection>) -> Result<String, Open311Error> {
    let Path(file) = file.map_err(|e| Open311Error::bad("path", e.body_text()))?;
    if let Some(name) = file.strip_suffix(".json") {
        return Ok(name.to_string());
    }
    if file.ends_with(".xml") {
        return Err(Open311Error::xml());
    }
    Err(Open311Error::not_found(format!(
        "ресурса `{}` нет: укажите формат .json",
        shown(&file)
    )))
}

/// A value quoted in an error: control characters dropped, at most 100 characters.
fn shown(value: &str) -> String {
    let mut s: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if value.chars().count() > 100 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_agree_with_their_number() {
        assert_eq!(days(1), "1 дня");
        assert_eq!(days(3), "3 дней");
        assert_eq!(days(11), "11 дней");
        assert_eq!(days(21), "21 дня");
    }

    #[test]
    fn windows_are_bounded_to_ninety_days() {
        let moscow = chrono_tz::Europe::Moscow;
        let now = 1_795_413_600;
        assert_eq!(
            window(None, None, moscow, now).unwrap(),
            (now - 90 * DAY, now)
        );
        let (from, to) = window(Some("2026-03-01"), Some("2026-03-01"), moscow, now).unwrap();
        assert_eq!(to - from, DAY - 1);
        assert_eq!(
            datetime(from, moscow),
            "2026-03-01T00:00:00+03:00".to_string()
        );
        // A `+` decoded as a space is read back.
        assert_eq!(
            parse_date("start_date", "2026-03-01T00:00:00 03:00", moscow, false).unwrap(),
            from
        );
        assert!(window(Some("2026-01-01"), Some("2026-06-01"), moscow, now).is_err());
        assert!(window(Some("2026-06-01"), Some("2026-01-01"), moscow, now).is_err());
        assert!(window(Some("вчера"), None, moscow, now).is_err());
    }

    #[test]
    fn statuses_map_both_ways() {
        assert_eq!(open311_status("assigned"), "open");
        assert_eq!(open311_status("reopened"), "open");
        assert_eq!(open311_status("answered"), "closed");
        assert_eq!(statuses("open").unwrap().len(), OPEN.len());
        assert!(statuses("open,closed").unwrap().is_empty());
        assert!(statuses("pending").is_err());
    }
}
