//! Filing a request: the body (a form or a JSON object) read within its byte limit, the
//! channel's key checked first, every field bounded and checked before anything is stored.

use super::*;

/// The body's name/value pairs: a form, or a JSON object of strings and numbers (`attribute`
/// may be an object of code → value).
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Open311Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = match content_type.as_str() {
        "application/x-www-form-urlencoded" => false,
        "application/json" => true,
        t if t.starts_with("application/") && t.ends_with("+json") => true,
        other => {
            return Err(Open311Error::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "content-type: `{}` не принимается; отправьте форму \
                     (application/x-www-form-urlencoded) или JSON (application/json)",
                    shown(other)
                ),
            ));
        }
    };
    let too_large = || {
        Open311Error::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: тело запроса больше {} КиБ", MAX_BODY_BYTES >> 10),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    if !json {
        return serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| Open311Error::bad("body", format!("форма не разбирается: {e}")));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| Open311Error::bad("body", format!("JSON не разбирается: {e}")))?;
    let serde_json::Value::Object(object) = value else {
        return Err(Open311Error::bad("body", "ожидается объект JSON"));
    };
    let mut pairs = Vec::new();
    for (name, value) in object {
        if name == "attribute"
            && let serde_json::Value::Object(attributes) = value
        {
            for (code, value) in attributes {
                let field = format!("attribute[{code}]");
                if let Some(v) = scalar(&field, value)? {
                    pairs.push((field, v));
                }
            }
        } else if let Some(v) = scalar(&name, value)? {
            pairs.push((name, v));
        }
    }
    Ok(pairs)
}

/// A JSON value as a form value: strings and numbers; null is absent.
pub(super) fn scalar(
    field: &str,
    value: serde_json::Value,
) -> Result<Option<String>, Open311Error> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(Open311Error::bad(
            &shown(field),
            "ожидается строка или число",
        )),
    }
}

/// The channel whose `api_key` this is; 403 otherwise, before any other field is looked at.
pub(super) async fn channel(
    state: &WebState,
    pairs: &[(String, String)],
) -> Result<String, Open311Error> {
    let forbidden = |why: &str| Open311Error::new(StatusCode::FORBIDDEN, format!("api_key: {why}"));
    let keys: Vec<&str> = pairs
        .iter()
        .filter(|(n, v)| n == "api_key" && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    let [key] = keys.as_slice() else {
        return Err(forbidden(
            "нужен ровно один ключ канала; его выдаёт администратор региона",
        ));
    };
    if key.len() > 200 {
        return Err(forbidden("ключ не подходит"));
    }
    state
        .store()
        .appeal_channel(&hash_secret(key))
        .await?
        .ok_or_else(|| forbidden("ключ не подходит или отозван"))
}

/// The request's fields by name, each at most once; empty values are absent.
pub(super) struct Fields {
    values: BTreeMap<String, String>,
}

pub(super) const FIELDS: [&str; 15] = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

impl Fields {
    pub(super) fn new(pairs: Vec<(String, String)>) -> Result<Self, Open311Error> {
        if pairs.len() > MAX_FIELDS {
            return Err(Open311Error::bad(
                "body",
                format!("больше {MAX_FIELDS} полей"),
            ));
        }
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            if let Some(code) = name
                .strip_prefix("attribute[")
                .and_then(|c| c.strip_suffix(']'))
            {
                if code != ADDRESS_DETAILS {
                    return Err(Open311Error::bad(
                        &shown(&name),
                        format!(
                            "у услуг есть только атрибут {ADDRESS_DETAILS} (см. \
                             /open311/v2/services/{{service_code}}.json)"
                        ),
                    ));
                }
            } else if !FIELDS.contains(&name.as_str()) {
                let hint = match name.as_str() {
                    "lon" | "lng" | "longitude" => "; долгота передаётся полем long".to_string(),
                    "latitude" => "; широта передаётся полем lat".to_string(),
                    _ => String::new(),
                };
                return Err(Open311Error::bad(
                    &shown(&name),
                    format!("неизвестное поле{hint}"),
                ));
            }
            if values.contains_key(&name) {
                return Err(Open311Error::bad(&shown(&name), "поле повторяется"));
            }
            if !value.is_empty() {
                values.insert(name, value);
            }
        }
        Ok(Fields { values })
    }

    /// A single-line field of at most `max` characters.
    fn plain(&self, field: &str, max: usize) -> Result<Option<String>, Open311Error> {
        match self.values.get(field) {
            Some(v) => {
                plain(field, v, max)?;
                let v = v.trim();
                Ok((!v.is_empty()).then(|| v.to_string()))
            }
            None => Ok(None),
        }
    }

    fn coordinate(&self, field: &str, limit: f64) -> Result<Option<f64>, Open311Error> {
        let Some(v) = self.values.get(field) else {
            return Ok(None);
        };
        let x = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                Open311Error::bad(
                    field,
                    format!("`{}` — не число; например 52.6031", shown(v)),
                )
            })?;
        if !(-limit..=limit).contains(&x) {
            return Err(Open311Error::bad(
                field,
                format!("{x} вне диапазона от -{limit} до {limit}"),
            ));
        }
        Ok(Some(x))
    }

    /// The appeal these fields file, and its service; 400 naming the first field at fault.
    pub(super) fn appeal<'c>(
        &self,
        channel: String,
        catalogue: Option<&'c Catalogue>,
    ) -> Result<(NewAppeal, &'c Category), Open311Error> {
        let Some(code) = self.plain("service_code", 100)? else {
            return Err(Open311Error::bad(
                "service_code",
                format!("не указана услуга; список услуг: {SERVICES}"),
            ));
        };
        let Some(category) = catalogue.and_then(|c| c.categories.iter().find(|k| k.code == code))
        else {
            return Err(Open311Error::bad(
                "service_code",
                format!(
                    "неизвестная услуга `{}`; список услуг: {SERVICES}",
                    shown(&code)
                ),
            ));
        };
        self.plain("jurisdiction_id", 100)?;
        let lat = self.coordinate("lat", 90.0)?;
        let lon = self.coordinate("long", 180.0)?;
        let address = self.plain("address_string", MAX_ADDRESS_CHARS)?;
        self.plain("address_id", 100)?;
        let place = match (lat, lon) {
            (Some(lat), Some(lon)) => Some(Place {
                lat,
                lon,
                address: address.clone(),
            }),
            (None, None) => None,
            (Some(_), None) => return Err(Open311Error::bad("long", "lat дана без long")),
            (None, Some(_)) => return Err(Open311Error::bad("lat", "long дана без lat")),
        };
        if place.is_none() && address.is_none() {
            return Err(Open311Error::bad(
                "lat",
                "укажите место: lat и long или address_string (address_id не распознаётся)",
            ));
        }
        let Some(text) = self.values.get("description") else {
            return Err(Open311Error::bad("description", "опишите проблему"));
        };
        if text.trim().is_empty() {
            return Err(Open311Error::bad("description", "опишите проблему"));
        }
        if text.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Open311Error::bad(
                "description",
                format!("длиннее {MAX_DESCRIPTION_CHARS} символов"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Open311Error::bad(
                "description",
                "управляющие символы не допускаются (кроме переводов строк и табуляции)",
            ));
        }
        let media_url = self.plain("media_url", MAX_MEDIA_URL_CHARS)?;
        if let Some(url) = &media_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
                || url.chars().any(char::is_whitespace)
            {
                return Err(Open311Error::bad(
                    "media_url",
                    "нужна ссылка http:// или https:// без пробелов",
                ));
            }
        }
        let email = self.plain("email", 254)?;
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.contains('@')
            }) && !e.chars().any(char::is_whitespace);
            if !ok {
                return Err(Open311Error::bad("email", "не адрес электронной почты"));
            }
        }
        let phone = self.plain("phone", 32)?;
        if let Some(p) = &phone
            && !p
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ' | '.'))
        {
            return Err(Open311Error::bad(
                "phone",
                "допустимы цифры, пробелы и знаки + - ( ) .",
            ));
        }
        let first = self.plain("first_name", 100)?;
        let last = self.plain("last_name", 100)?;
        self.plain("device_id", 100)?;
        self.plain("account_id", 100)?;
        let field = format!("attribute[{ADDRESS_DETAILS}]");
        let details = self.plain(&field, MAX_ADDRESS_CHARS)?;
        let name = match (first, last) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (f, l) => f.or(l),
        };
        let mut attributes = Vec::new();
        if let Some(d) = details {
            attributes.push((ADDRESS_DETAILS.to_string(), d));
        }
        // An address without a point is kept as the appeal's address and also reaches the
        // router as an attribute (the router's place needs coordinates).
        let address_only = place.is_none().then(|| address.clone()).flatten();
        // Open311 sends a point, never a municipality: the catalogue's outlines say whose
        // territory it is, so that territory's authority (an ОМСУ) answers, not the region's.
        let territory = place
            .as_ref()
            .zip(catalogue)
            .and_then(|(p, c)| c.territory_at(p.lat, p.lon))
            .map(str::to_string);
        if let Some(a) = &address_only {
            attributes.push(("address_string".to_string(), a.clone()));
        }
        Ok((
            NewAppeal {
                channel,
                service_code: Some(category.code.clone()),
                text: text.clone(),
                place,
                address: address_only,
                territory,
                media_url,
                applicant_name: name,
                applicant_email: email,
                applicant_phone: phone,
                attributes,
                received_at: unix_now(),
            },
            category,
        ))
    }
}
