//! Form posts from the pages: the signed-in viewer and the posted fields, accepted only when
//! the hidden `csrf` field is the session's token. The session cookie is `SameSite=Strict`
//! already; the token is the second lock, the same one the API asks for in a header.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;

use super::page::{PageError, Viewer};
use crate::auth::csrf_matches;
use crate::state::WebState;

/// The name of the hidden field every form carries.
pub const CSRF_FIELD: &str = "csrf";

/// `01.01.2027` (or `2027-01-01`) as the host reads it.
pub fn iso_day(typed: &str) -> Option<String> {
    let typed = typed.trim();
    let parts: Vec<&str> = typed.split('.').collect();
    let iso = match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => {
            format!("{y}-{:0>2}-{:0>2}", d, m)
        }
        _ => typed.to_string(),
    };
    zemstvo_service::parameters::parse_day(&iso).map(|_| iso)
}

/// A form posted by a signed-in viewer from one of our pages.
pub struct PostedForm {
    pub viewer: Viewer,
    fields: Vec<(String, String)>,
}

impl PostedForm {
    /// The value of the field `name`, or "" when the form did not send it.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value sent for the field `name` (checkboxes send one per ticked box).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every field whose name starts with `prefix`, without it.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.fields
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

impl FromRequest<Arc<WebState>> for PostedForm {
    type Rejection = PageError;

    async fn from_request(
        request: Request,
        state: &Arc<WebState>,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
            .await
            .map_err(|_| PageError::Status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::Status(StatusCode::BAD_REQUEST))?;
        let form = PostedForm { viewer, fields };
        if !csrf_matches(form.get(CSRF_FIELD), &form.viewer.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(form)
    }
}

/// One part of a `multipart/form-data` post: a field or a file.
#[derive(Debug)]
pub struct Part {
    pub name: String,
    /// The file's name, for a file input.
    pub filename: Option<String>,
    pub bytes: Vec<u8>,
}

/// A form with a file posted by a signed-in viewer (`enctype="multipart/form-data"`): the one
/// form the pages have that sends a package file. Read whole, up to `limit` bytes; accepted
/// only when its `csrf` field is the session's token.
pub struct UploadedForm {
    pub viewer: Viewer,
    parts: Vec<Part>,
}

impl UploadedForm {
    /// The text of the field `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .and_then(|p| std::str::from_utf8(&p.bytes).ok())
            .unwrap_or("")
    }

    /// The file sent in the field `name`: none when no file was chosen.
    pub fn file(&self, name: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.as_deref().is_some_and(|f| !f.is_empty()))
    }

    /// Reads the form of a viewer whose role may do `action` (refused before the body is
    /// read); `limit` bounds the whole body.
    pub async fn read(
        request: Request,
        state: &Arc<WebState>,
        action: crate::policy::Action,
        limit: usize,
    ) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        viewer.require(action)?;
        let boundary = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(boundary)
            .ok_or(PageError::Status(StatusCode::BAD_REQUEST))?;
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| PageError::Status(StatusCode::PAYLOAD_TOO_LARGE))?;
        let parts =
            multipart(&bytes, &boundary).ok_or(PageError::Status(StatusCode::BAD_REQUEST))?;
        let form = UploadedForm { viewer, parts };
        if !csrf_matches(form.get(CSRF_FIELD), &form.viewer.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(form)
    }
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A parameter of a `Content-Disposition` header: `name="csrf"`.
fn disposition_param(headers: &str, param: &str) -> Option<String> {
    let line = headers
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    line.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case(param)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a `multipart/form-data` body (RFC 7578); `None` when it is not one.
fn multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        at += 2;
        if !rest.starts_with(b"\r\n") {
            return None;
        }
        let end = find(body, next.as_bytes(), at)?;
        let part = &body[at..end];
        let split = find(part, b"\r\n\r\n", 0)?;
        let headers = std::str::from_utf8(&part[..split]).ok()?;
        parts.push(Part {
            name: disposition_param(headers, "name")?,
            filename: disposition_param(headers, "filename"),
            bytes: part[split + 4..].to_vec(),
        });
        at = end + next.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_body_gives_its_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt0ken\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"package\"; filename=\"a.zpkg\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n\x02\r\n--XyZ--\r\n";
        let parts = multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].bytes, b"t0ken");
        assert_eq!(parts[1].filename.as_deref(), Some("a.zpkg"));
        assert_eq!(parts[1].bytes, b"\x00\x01\r\n\x02");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert!(multipart(b"garbage", "XyZ").is_none());
    }
}
