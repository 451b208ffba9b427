//! Reading requests: the query's filters (ids, service codes, statuses, a date window in the
//! region's time zone) and the public view of an appeal, without the applicant's data.

use super::*;

/// The query's parameters by name: `jurisdiction_id` and those in `known`, each at most once;
/// empty values count as absent.
pub(super) fn query_params(
    query: Option<String>,
    known: &[&str],
) -> Result<BTreeMap<String, String>, Open311Error> {
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY_BYTES {
        return Err(Open311Error::bad(
            "query",
            format!("строка запроса длиннее {MAX_QUERY_BYTES} байт"),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query)
        .map_err(|e| Open311Error::bad("query", format!("не разобрать параметры: {e}")))?;
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        if name != "jurisdiction_id" && !known.contains(&name.as_str()) {
            let hint = if known.is_empty() {
                "этот ресурс принимает только jurisdiction_id".to_string()
            } else {
                format!("известны: {}, jurisdiction_id", known.join(", "))
            };
            return Err(Open311Error::bad(
                &shown(&name),
                format!("неизвестный параметр; {hint}"),
            ));
        }
        if params.contains_key(&name) {
            return Err(Open311Error::bad(
                &name,
                "параметр повторяется; перечислите значения через запятую",
            ));
        }
        if name == "jurisdiction_id" {
            plain(&name, &value, 100)?;
        }
        if !value.is_empty() {
            params.insert(name, value);
        }
    }
    params.remove("jurisdiction_id");
    Ok(params)
}

/// A single-line value of at most `max` characters.
pub(super) fn plain(field: &str, value: &str, max: usize) -> Result<(), Open311Error> {
    if value.chars().count() > max {
        return Err(Open311Error::bad(field, format!("длиннее {max} символов")));
    }
    if value.chars().any(char::is_control) {
        return Err(Open311Error::bad(
            field,
            "управляющие символы не допускаются",
        ));
    }
    Ok(())
}

pub(super) fn request_ids(value: &str) -> Result<Vec<u64>, Open311Error> {
    let mut ids = Vec::new();
    for part in value.split(',').map(str::trim) {
        let id = part
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= i64::MAX as u64)
            .ok_or_else(|| {
                Open311Error::bad(
                    "service_request_id",
                    format!("`{}` — не номер обращения", shown(part)),
                )
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_IDS {
        return Err(Open311Error::bad(
            "service_request_id",
            format!("не больше {MAX_IDS} номеров за запрос"),
        ));
    }
    Ok(ids)
}

pub(super) fn service_codes(value: &str) -> Result<Vec<Option<String>>, Open311Error> {
    let mut codes: Vec<Option<String>> = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        plain("service_code", part, 100)?;
        let code = Some(part.to_string());
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.len() > MAX_CODES {
        return Err(Open311Error::bad(
            "service_code",
            format!("не больше {MAX_CODES} услуг за запрос"),
        ));
    }
    if codes.is_empty() {
        codes.push(None);
    }
    Ok(codes)
}

/// The region's statuses an Open311 status stands for.
pub(super) const OPEN: [&str; 4] = ["received", "review", "assigned", "reopened"];
pub(super) const CLOSED: [&str; 2] = ["answered", "closed"];

pub(super) fn open311_status(status: &str) -> &'static str {
    if CLOSED.contains(&status) {
        "closed"
    } else {
        "open"
    }
}

pub(super) fn statuses(value: &str) -> Result<Vec<String>, Open311Error> {
    let (mut open, mut closed) = (false, false);
    for part in value.split(',').map(str::trim) {
        match part {
            "open" => open = true,
            "closed" => closed = true,
            other => {
                return Err(Open311Error::bad(
                    "status",
                    format!(
                        "`{}` — укажите open, closed или оба через запятую",
                        shown(other)
                    ),
                ));
            }
        }
    }
    Ok(match (open, closed) {
        (true, false) => OPEN.iter().map(|s| s.to_string()).collect(),
        (false, true) => CLOSED.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    })
}

/// The received-at window of a listing, in seconds since the epoch, both ends included.
pub(super) fn window(
    start: Option<&str>,
    end: Option<&str>,
    zone: Tz,
    now: i64,
) -> Result<(i64, i64), Open311Error> {
    let span = WINDOW_DAYS * DAY;
    let start = start
        .map(|s| parse_date("start_date", s, zone, false))
        .transpose()?;
    let end = end
        .map(|s| parse_date("end_date", s, zone, true))
        .transpose()?;
    let (from, to) = match (start, end) {
        (None, None) => (now - span, now),
        (Some(from), None) => (from, from.saturating_add(span)),
        (None, Some(to)) => (to.saturating_sub(span), to),
        (Some(from), Some(to)) => {
            if from > to {
                return Err(Open311Error::bad("start_date", "позже end_date"));
            }
            if to - from > span {
                return Err(Open311Error::bad(
                    "end_date",
                    format!(
                        "между start_date и end_date больше {WINDOW_DAYS} дней; разбейте запрос на части"
                    ),
                ));
            }
            (from, to)
        }
    };
    Ok((from, to))
}

/// RFC 3339 (a `+` of the offset decoded as a space is put back), or `YYYY-MM-DD`: the day's
/// first second in the region's time zone, or its last one for an end.
pub(super) fn parse_date(
    field: &str,
    value: &str,
    zone: Tz,
    end: bool,
) -> Result<i64, Open311Error> {
    let bad = || {
        Open311Error::bad(
            field,
            format!(
                "`{}` — не дата; укажите RFC 3339, например 2026-03-01T00:00:00+03:00, или 2026-03-01",
                shown(value)
            ),
        )
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp());
    }
    if value.len() > 19 && value.as_bytes()[19] == b' ' && value.is_char_boundary(19) {
        let fixed = format!("{}+{}", &value[..19], &value[20..]);
        if let Ok(t) = DateTime::parse_from_rfc3339(&fixed) {
            return Ok(t.timestamp());
        }
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad())?;
    let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
    let first = zone
        .from_local_datetime(&midnight)
        .earliest()
        .ok_or_else(bad)?
        .timestamp();
    Ok(if end { first + DAY - 1 } else { first })
}

pub(super) async fn region_zone(state: &WebState) -> Result<Tz, Open311Error> {
    Ok(state
        .store()
        .region()
        .await?
        .and_then(|r| zemstvo_service::parse_time_zone(&r.timezone).ok())
        .unwrap_or(Tz::UTC))
}

pub(super) fn datetime(unix: i64, zone: Tz) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// What the public sees of an appeal: never the applicant's name, e-mail, phone, nor the
/// channel or the router's reasoning.
pub(super) fn public_view(
    row: &AppealRow,
    catalogue: Option<&Catalogue>,
    zone: Tz,
) -> ServiceRequest {
    let code = row.service_code.clone().or_else(|| row.category.clone());
    let category = catalogue.and_then(|c| {
        code.as_deref()
            .and_then(|code| c.categories.iter().find(|k| k.code == code))
    });
    let agency = row.authority.as_ref().map(|a| {
        catalogue
            .and_then(|c| c.authorities.iter().find(|x| &x.code == a))
            .map_or_else(|| a.clone(), |x| x.title.clone())
    });
    let status_notes = match row.status.as_str() {
        "received" => Some("Обращение получено и ждёт распределения исполнителю.".to_string()),
        "review" => Some(
            "Обращение проверяет специалист первой линии: он уточнит категорию и исполнителя."
                .to_string(),
        ),
        "assigned" => Some(match &agency {
            Some(a) => format!("Обращение передано исполнителю: {a}."),
            None => "Обращение передано исполнителю.".to_string(),
        }),
        "reopened" => {
            Some("Заявитель не согласился с ответом; обращение снова в работе.".to_string())
        }
        _ => row
            .answer
            .clone()
            .or_else(|| Some("Обращение закрыто.".to_string())),
    };
    ServiceRequest {
        service_request_id: row.id.to_string(),
        status: open311_status(&row.status).to_string(),
        status_notes,
        service_name: category.map(|k| k.title.clone()),
        service_code: code,
        description: row.text.clone(),
        agency_responsible: agency,
        service_notice: category.and_then(|k| k.deadline_days).map(|d| {
            format!(
                "Срок ответа — до {} после распределения исполнителю.",
                days(d)
            )
        }),
        requested_datetime: datetime(row.received_at, zone),
        updated_datetime: datetime(row.updated_at, zone),
        expected_datetime: row.due_at.map(|t| datetime(t, zone)),
        address: row.address.clone(),
        address_id: None,
        zipcode: None,
        lat: row.lat,
        long: row.lon,
        media_url: row.media_url.clone(),
    }
}
