//! The registry client (reqwest over rustls): what vendors publish with, what regions search,
//! resolve, download and learn revocations with, and what the operator administers with.
//!
//! Every call is bounded: connecting gives up after `connect_timeout`, an API call after
//! `request_timeout`, and a transfer when no byte moved for `stall_timeout`. A registry that
//! is down, hangs, or answers something that is not the registry's JSON is an error that says
//! which, never a hang or a panic. Downloads are capped at `max_download_bytes` and checked
//! against the sha256 the registry announces.
//!
//! The operator's calls (vendors, keys, yanking, revocation) and mirroring over HTTP are in
//! `client/admin.rs`.

mod admin;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::CONTENT_LENGTH;
use reqwest::{RequestBuilder, StatusCode};
use semver::{Version, VersionReq};
use serde::de::DeserializeOwned;

use crate::api::{
    Challenge, ErrorBody, KeyEvents, PackageSummary, PackageVersions, Published, VendorInfo,
    VersionInfo, headers, publish_request_body,
};
use crate::keys::{KeyId, SecretKey};
use crate::mirror::MirrorError;
use crate::name::PackageName;
use crate::package::package_sha256;
use crate::rotation::{Revocation, RotationStatement};
use crate::signature::SignedDomain;

/// How far a transfer has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    /// Unknown when the registry sends no length.
    pub total: Option<u64>,
}

/// Timeouts and limits of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub connect_timeout: Duration,
    /// For API calls (everything but transfers).
    pub request_timeout: Duration,
    /// For uploads and downloads: the longest wait for the next bytes.
    pub stall_timeout: Duration,
    pub max_download_bytes: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            max_download_bytes: 80 << 20,
        }
    }
}

/// Why a registry call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "`{0}` is not a registry URL; use one like https://registry.example.ru or http://127.0.0.1:7878"
    )]
    InvalidUrl(String),
    #[error(
        "the registry at {url} is unreachable ({why}); check the URL and that the registry is \
         running (installed plugins keep running meanwhile)"
    )]
    Unreachable { url: String, why: String },
    #[error(
        "the registry at {url} did not answer in time; it may be overloaded or stuck: try \
         again later (installed plugins keep running meanwhile)"
    )]
    Timeout { url: String },
    #[error(
        "the server at {url} answered something that is not a zemstvo registry's answer ({why}); \
         check the URL"
    )]
    Garbage { url: String, why: String },
    #[error("the registry refused: {message} (HTTP {status}, {code})")]
    Api {
        status: u16,
        code: String,
        message: String,
        detail: serde_json::Map<String, serde_json::Value>,
    },
    #[error("the download is larger than the limit of {limit} bytes; refused")]
    TooLarge { limit: u64 },
    #[error(
        "the package is {size} bytes, more than the registry's upload limit of {limit} bytes; \
         nothing was sent (the operator sets the limit with `zemstvo registry serve \
         --max-upload-mb`)"
    )]
    UploadTooLarge { size: u64, limit: u64 },
    #[error(
        "the download has sha256 {actual}, but the registry announced {expected}; it was \
         damaged on the way: try again"
    )]
    HashMismatch { expected: String, actual: String },
    #[error(
        "this needs the registry's admin token; pass --admin-token-file or set ZEMSTVO_REGISTRY_ADMIN_TOKEN"
    )]
    NoAdminToken,
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    #[error(transparent)]
    Mirror(#[from] MirrorError),
}

impl ClientError {
    /// The registry's error code, when the registry answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A connection to one registry.
#[derive(Debug, Clone)]
pub struct Client {
    /// Without a trailing slash; endpoints are appended.
    base: String,
    http: reqwest::Client,
    settings: ClientSettings,
    admin_token: Option<Arc<str>>,
}

impl Client {
    pub fn new(url: &str) -> Result<Client, ClientError> {
        Client::with_settings(url, ClientSettings::default())
    }

    pub fn with_settings(url: &str, settings: ClientSettings) -> Result<Client, ClientError> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|_| ClientError::InvalidUrl(url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ClientError::InvalidUrl(url.to_string()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.stall_timeout)
            .user_agent(concat!("zemstvo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Client {
            base: parsed.as_str().trim_end_matches('/').to_string(),
            http,
            settings,
            admin_token: None,
        })
    }

    /// The same client, sending the operator's token with admin calls.
    pub fn with_admin_token(mut self, token: &str) -> Client {
        self.admin_token = Some(Arc::from(token.trim()));
        self
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.base)
    }

    pub async fn search(&self, text: &str) -> Result<Vec<PackageSummary>, ClientError> {
        self.json(
            self.http
                .get(self.endpoint("packages"))
                .query(&[("q", text)]),
        )
        .await
    }

    pub async fn versions(&self, name: &PackageName) -> Result<PackageVersions, ClientError> {
        self.json(self.http.get(self.endpoint(&format!("packages/{name}"))))
            .await
    }

    /// The highest unyanked version matching `req` (a yanked one only for an exact pin).
    pub async fn resolve(
        &self,
        name: &PackageName,
        req: &VersionReq,
    ) -> Result<VersionInfo, ClientError> {
        let url = self.endpoint(&format!("packages/{name}/resolve"));
        self.json(self.http.get(url).query(&[("req", req.to_string())]))
            .await
    }

    pub async fn version(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<VersionInfo, ClientError> {
        self.json(
            self.http
                .get(self.endpoint(&format!("packages/{name}/{version}"))),
        )
        .await
    }

    /// Downloads a package file, reporting progress, refusing more than the download limit,
    /// and checking the sha256 the registry announces.
    pub async fn download(
        &self,
        name: &PackageName,
        version: &Version,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Vec<u8>, ClientError> {
        let url = self.endpoint(&format!("packages/{name}/{version}/download"));
        let mut response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        if !response.status().is_success() {
            return Err(self.error_answer(response).await);
        }
        let announced = response
            .headers()
            .get(headers::PACKAGE_SHA256)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let limit = self.settings.max_download_bytes;
        let total = response.content_length();
        if total.is_some_and(|t| t > limit) {
            return Err(ClientError::TooLarge { limit });
        }
        let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(limit) as usize);
        progress(Progress { done: 0, total });
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(ClientError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
            progress(Progress {
                done: bytes.len() as u64,
                total,
            });
        }
        let actual = package_sha256(&bytes);
        match announced {
            Some(expected) if expected != actual => {
                Err(ClientError::HashMismatch { expected, actual })
            }
            Some(_) => Ok(bytes),
            None => Err(self.garbage("the download carries no sha256 header")),
        }
    }

    /// Downloads the version `info` describes and checks it has the listed sha256.
    pub async fn fetch(
        &self,
        info: &VersionInfo,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Vec<u8>, ClientError> {
        let bytes = self.download(&info.name, &info.version, progress).await?;
        let actual = package_sha256(&bytes);
        if actual != info.package_sha256 {
            return Err(ClientError::HashMismatch {
                expected: info.package_sha256.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Revocations and rotation statements: apply them to the region's trust store.
    pub async fn key_events(&self) -> Result<KeyEvents, ClientError> {
        self.json(self.http.get(self.endpoint("keys/events"))).await
    }

    pub async fn revocations(&self) -> Result<Vec<Revocation>, ClientError> {
        Ok(self.key_events().await?.revocations)
    }

    pub async fn vendors(&self) -> Result<Vec<VendorInfo>, ClientError> {
        self.json(self.http.get(self.endpoint("vendors"))).await
    }

    /// Publishes a package file signed by `key`: asks for a challenge, signs it with the
    /// upload's sha256, uploads with progress.
    pub async fn publish(
        &self,
        package: Vec<u8>,
        key: &SecretKey,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Published, ClientError> {
        // Naming the key gives this publish the key's own share of challenges, which
        // anonymous traffic cannot exhaust.
        let challenge: Challenge = self
            .json(
                self.http
                    .post(self.endpoint("challenges"))
                    .header(headers::KEY_ID, key.key_id().as_str()),
            )
            .await?;
        if package.len() as u64 > challenge.max_upload_bytes {
            return Err(ClientError::UploadTooLarge {
                size: package.len() as u64,
                limit: challenge.max_upload_bytes,
            });
        }
        let sha256 = package_sha256(&package);
        let signature = key.sign(
            SignedDomain::PublishRequest,
            &publish_request_body(&challenge.nonce, &sha256),
        );
        let request = self
            .http
            .post(self.endpoint("packages"))
            .header(headers::KEY_ID, key.key_id().as_str())
            .header(headers::NONCE, &challenge.nonce)
            .header(headers::SIGNATURE, signature);
        self.upload(request, package, progress).await
    }

    /// Registers the key a rotation statement introduces (signed by a registered key).
    pub async fn submit_rotation(
        &self,
        statement: &RotationStatement,
    ) -> Result<KeyId, ClientError> {
        #[derive(serde::Deserialize)]
        struct Added {
            key_id: KeyId,
        }
        let added: Added = self
            .json(self.http.post(self.endpoint("rotations")).json(statement))
            .await?;
        Ok(added.key_id)
    }

    pub(crate) fn admin(&self, request: RequestBuilder) -> Result<RequestBuilder, ClientError> {
        let token = self.admin_token.as_ref().ok_or(ClientError::NoAdminToken)?;
        Ok(request.bearer_auth(token))
    }

    /// Sends an API call and reads its JSON answer (or its JSON error).
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = request
            .timeout(self.settings.request_timeout)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        if !response.status().is_success() {
            return Err(self.error_answer(response).await);
        }
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        serde_json::from_slice(&bytes).map_err(|e| self.garbage(&e.to_string()))
    }

    /// Uploads `body` in chunks, reporting how much was handed to the connection.
    async fn upload<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        body: Vec<u8>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<T, ClientError> {
        const CHUNK: usize = 64 * 1024;
        let total = body.len() as u64;
        let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let body = Arc::new(body);
        let chunks = body.len().div_ceil(CHUNK);
        let stream = futures_util::stream::iter((0..chunks).map(move |i| {
            let end = ((i + 1) * CHUNK).min(body.len());
            // The receiver may be gone once the answer arrived; progress no longer matters.
            let _ = sent_tx.send(end as u64);
            Ok::<Vec<u8>, std::io::Error>(body[i * CHUNK..end].to_vec())
        }));
        let send = request
            .header(CONTENT_LENGTH, total)
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        tokio::pin!(send);
        progress(Progress {
            done: 0,
            total: Some(total),
        });
        let response = loop {
            tokio::select! {
                response = &mut send => break response,
                Some(done) = sent_rx.recv() => progress(Progress { done, total: Some(total) }),
            }
        }
        .map_err(|e| self.transport(e))?;
        if !response.status().is_success() {
            return Err(self.error_answer(response).await);
        }
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        serde_json::from_slice(&bytes).map_err(|e| self.garbage(&e.to_string()))
    }

    /// A non-success answer: the registry's JSON error, or garbage.
    async fn error_answer(&self, response: reqwest::Response) -> ClientError {
        let status = response.status();
        match response.bytes().await {
            Ok(bytes) => match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => ClientError::Api {
                    status: status.as_u16(),
                    code: body.code,
                    message: body.error,
                    detail: body.detail,
                },
                Err(_) => self.garbage(&format!(
                    "HTTP {status} without a registry error body{}",
                    if status == StatusCode::NOT_FOUND {
                        "; is this the registry's base URL?"
                    } else {
                        ""
                    }
                )),
            },
            Err(e) => self.transport(e),
        }
    }

    fn garbage(&self, why: &str) -> ClientError {
        ClientError::Garbage {
            url: self.base.clone(),
            why: why.to_string(),
        }
    }

    /// Sorts a transport failure into down, slow, or not speaking HTTP.
    fn transport(&self, e: reqwest::Error) -> ClientError {
        let url = self.base.clone();
        if e.is_timeout() {
            return ClientError::Timeout { url };
        }
        if e.is_connect() {
            ClientError::Unreachable {
                url,
                why: root_cause(&e),
            }
        } else {
            ClientError::Garbage {
                url,
                why: error_chain(&e),
            }
        }
    }
}

/// The innermost cause: for a refused connection, "Connection refused (os error 111)".
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// An error and its causes on one line: reqwest's own message rarely says what happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
