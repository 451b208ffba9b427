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
