//! Adapters that hand a message to the outside world, one per channel.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use zemstvo_store::notifications::OutgoingNotification;

/// Why a message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: the endpoint is down, slow, or overloaded.
    #[error("{0}")]
    Transient(String),
    /// Retrying cannot help: the message or the address is refused.
    #[error("{0}")]
    Permanent(String),
}

/// Hands one message to a channel's endpoint.
#[async_trait]
pub trait NotificationSender: Send + Sync {
    async fn send(&self, message: &OutgoingNotification) -> Result<(), SendError>;
}

/// How e-mail leaves the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `none` (loopback relays only), `starttls` or `tls`.
    #[serde(default = "default_tls")]
    pub tls: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `ЦСЗН Липецкой области <noreply@uszn.example.ru>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_tls() -> String {
    "starttls".into()
}

/// E-mail over SMTP (lettre). SMTP has no idempotency key; instead the `Message-ID` is stable
/// per notification — `<IDEMPOTENCY-ID@REGION.zemstvo>` ([`message_id`]) — so a resend after
/// a crash mid-send carries the same id, by which a relay, the archive or the recipient's mail
/// client can drop the second copy.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    region: String,
}

/// The `Message-ID` of a notification's e-mail: its idempotency id (stable across attempts,
/// derived from the plugin and the message key) at the region, so two regions sharing a
/// relay never collide.
pub fn message_id(idempotency_id: &str, region: &str) -> String {
    let region: String = region
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let region = region.trim_matches('-');
    let region = if region.is_empty() { "region" } else { region };
    format!("<{idempotency_id}@{region}.zemstvo>")
}

impl SmtpSender {
    /// A sender for the region `region` (its id names the `Message-ID`s' domain).
    pub fn new(config: &SmtpConfig, region: &str) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("smtp.from `{}` is not a mailbox: {e}", config.from))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(Duration::from_secs(20)));
        builder = match config.tls.as_str() {
            "none" => builder.tls(Tls::None),
            "starttls" | "tls" => {
                let params = TlsParameters::new(config.host.clone())
                    .map_err(|e| format!("smtp TLS: {e}"))?;
                builder.tls(if config.tls == "tls" {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                })
            }
            other => {
                return Err(format!(
                    "smtp.tls `{other}` is not one of none, starttls, tls"
                ));
            }
        };
        if let (Some(user), Some(pass)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from,
            region: region.to_string(),
        })
    }
}

#[async_trait]
impl NotificationSender for SmtpSender {
    async fn send(&self, m: &OutgoingNotification) -> Result<(), SendError> {
        let to: Mailbox = m.recipient.parse().map_err(|e| {
            SendError::Permanent(format!("`{}` is not an e-mail address: {e}", m.recipient))
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone().unwrap_or_else(|| "Уведомление".into()))
            .message_id(Some(message_id(&m.idempotency_id, &self.region)))
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| SendError::Permanent(format!("cannot build the e-mail: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "the SMTP server refused the message: {e}"
            ))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}

/// An HTTP gateway for SMS or voice calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The endpoint messages are POSTed to.
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// SMS and voice through an HTTP gateway: `POST url` with a JSON body and an
/// `Idempotency-Key` header; 2xx is delivered, 408/429/5xx and network errors are retried,
/// other 4xx are permanent.
pub struct HttpGatewaySender {
    client: reqwest::Client,
    config: GatewayConfig,
}

impl HttpGatewaySender {
    pub fn new(config: GatewayConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .map_err(|e| format!("gateway client: {e}"))?;
        Ok(HttpGatewaySender { client, config })
    }
}

/// What the gateway receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayMessage {
    pub id: String,
    pub channel: String,
    pub to: String,
    pub text: String,
}

#[async_trait]
impl NotificationSender for HttpGatewaySender {
    async fn send(&self, m: &OutgoingNotification) -> Result<(), SendError> {
        let body = GatewayMessage {
            id: m.idempotency_id.clone(),
            channel: m.channel.clone(),
            to: m.recipient.clone(),
            text: m.body.clone(),
        };
        let mut request = self
            .client
            .post(&self.config.url)
            .header("Idempotency-Key", &m.idempotency_id)
            .json(&body);
        if let Some(token) = &self.config.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            SendError::Transient(format!("gateway {} unreachable: {e}", self.config.url))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let detail = format!(
            "gateway answered {status}: {}",
            text.chars().take(200).collect::<String>()
        );
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(SendError::Transient(detail))
        } else {
            Err(SendError::Permanent(detail))
        }
    }
}
