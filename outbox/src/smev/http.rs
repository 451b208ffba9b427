//! A transport to a real SMEV adapter over HTTP (the region's "СМЭВ-адаптер"):
//!
//! - `POST {url}/requests` with `{"request_key", "agency", "kind", "subject", "application",
//!   "params"}` → `{"message_id": "…"}`; the request key doubles as the idempotency key, so a
//!   resend after a crash does not make a second request;
//! - `GET {url}/deliveries?limit=N` → `[{"delivery_id", "message_id", "received_at",
//!   "outcome": {"type": "answered" | "rejected" | "status", …}}]`;
//! - `POST {url}/deliveries/{delivery_id}/ack`.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use zemstvo_core::capabilities::smev::SmevQuery;
use zemstvo_store::smev::SmevDelivery;

use super::SmevTransport;
use crate::senders::SendError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSmevConfig {
    pub url: String,
    pub token: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    15_000
}

pub struct HttpSmevTransport {
    client: reqwest::Client,
    config: HttpSmevConfig,
}

#[derive(Serialize)]
struct RequestBody<'a> {
    request_key: &'a str,
    agency: &'a str,
    kind: &'a str,
    subject: u64,
    application: Option<u64>,
    params: &'a [(String, String)],
}

#[derive(Deserialize)]
struct Sent {
    message_id: String,
}

impl HttpSmevTransport {
    pub fn new(config: HttpSmevConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .map_err(|e| format!("SMEV adapter client: {e}"))?;
        Ok(HttpSmevTransport { client, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.url.trim_end_matches('/'))
    }

    fn authorize(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn check(
        &self,
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<reqwest::Response, SendError> {
        let response = response.map_err(|e| {
            SendError::Transient(format!("SMEV adapter {} unreachable: {e}", self.config.url))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let detail = format!("SMEV adapter answered {status}: {text}");
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Transient(detail))
        } else {
            Err(SendError::Permanent(detail))
        }
    }
}

#[async_trait]
impl SmevTransport for HttpSmevTransport {
    async fn send(&self, request_key: &str, q: &SmevQuery) -> Result<String, SendError> {
        let body = RequestBody {
            request_key,
            agency: &q.agency,
            kind: &q.kind,
            subject: q.subject,
            application: q.application,
            params: &q.params,
        };
        let response = self
            .check(
                self.authorize(self.client.post(self.url("requests")))
                    .header("Idempotency-Key", request_key)
                    .json(&body)
                    .send()
                    .await,
            )
            .await?;
        let sent: Sent = response.json().await.map_err(|e| {
            SendError::Transient(format!(
                "the SMEV adapter's answer to a request is not understood: {e}"
            ))
        })?;
        Ok(sent.message_id)
    }

    async fn receive(&self, limit: usize) -> Result<Vec<SmevDelivery>, SendError> {
        let response = self
            .check(
                self.authorize(self.client.get(self.url("deliveries")))
                    .query(&[("limit", limit)])
                    .send()
                    .await,
            )
            .await?;
        response.json().await.map_err(|e| {
            SendError::Transient(format!(
                "the SMEV adapter's deliveries are not understood: {e}"
            ))
        })
    }

    async fn ack(&self, delivery_id: &str) -> Result<(), SendError> {
        let path = format!("deliveries/{delivery_id}/ack");
        self.check(
            self.authorize(self.client.post(self.url(&path)))
                .send()
                .await,
        )
        .await?;
        Ok(())
    }
}
