//! Loopback endpoints and a loaded region for the delivery tests.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use zemstvo_core::capabilities::notify::{Channel, Notification};
use zemstvo_core::capabilities::smev::{OutgoingRequest, SmevQuery};
use zemstvo_core::metadata::PluginKind;
use zemstvo_core::report::{PluginRef, RunOutputs, RunReport, RunStatus, Summary};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_outbox::render::render;
use zemstvo_store::Store;
use zemstvo_store::load::RegionInfo;
use zemstvo_store::notifications::Template;
use zemstvo_store::runs::RunCommit;
use zemstvo_store::testing::TestDatabase;

pub const NOW: i64 = 1_795_413_600;

pub async fn region_store(db: &TestDatabase) -> Store {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "lipetsk-demo".into(),
            name: "demo".into(),
            timezone: "Europe/Moscow".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(DemoScale::SMALL, 5, NOW), &|_, _| {})
        .await
        .unwrap();
    store
        .put_template(
            &Template {
                name: "decision".into(),
                subject: Some("Решение по заявлению {{ number }}".into()),
                body: "{{ full_name }}, по заявлению № {{ number }} принято решение.".into(),
            },
            "test",
        )
        .await
        .unwrap();
    store
}

/// Citizens with consent and a phone (and an e-mail, when `email`).
pub async fn reachable_citizens(store: &Store, email: bool, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    for id in 1..600 {
        if let Some(c) = store.contact(id).await.unwrap()
            && c.consent
            && c.phone.is_some()
            && (!email || c.email.is_some())
        {
            out.push(id);
            if out.len() == n {
                break;
            }
        }
    }
    out
}

fn report(run_id: &str, notifications: Vec<Notification>, smev: Vec<SmevQuery>) -> RunReport {
    RunReport {
        run_id: run_id.into(),
        region: "lipetsk-demo".into(),
        plugin: PluginRef {
            name: "informer".into(),
            version: "1.0.0".into(),
            kind: PluginKind::DeviationCheck,
            sha256: "00".repeat(32),
        },
        logical_time: NOW,
        status: RunStatus::Succeeded {
            summary: Summary {
                examined: 0,
                found: 0,
                message: String::new(),
            },
        },
        duration: Duration::from_millis(1),
        peak_memory: 0,
        outputs: RunOutputs {
            notifications: notifications.clone(),
            smev_requests: smev
                .into_iter()
                .enumerate()
                .map(|(i, query)| OutgoingRequest {
                    request_id: format!("{run_id}/smev/{i}"),
                    query,
                })
                .collect(),
            ..RunOutputs::default()
        },
        stdout: String::new(),
        stderr: String::new(),
    }
}

/// Commits a run that emitted these messages (rendered as the service does).
pub async fn commit_messages(store: &Store, run_id: &str, messages: &[(u64, Channel, &str)]) {
    let notifications: Vec<Notification> = messages
        .iter()
        .map(|(citizen, channel, number)| Notification {
            key: format!("decision/{number}"),
            citizen: *citizen,
            channel: *channel,
            template: "decision".into(),
            params: vec![("number".into(), number.to_string())],
        })
        .collect();
    let template = store.template("decision").await.unwrap();
    let mut rendered = Vec::new();
    for n in &notifications {
        let contact = store.contact(n.citizen).await.unwrap();
        rendered.push(render(n, template.as_ref(), contact.as_ref()).unwrap());
    }
    let r = report(run_id, notifications, vec![]);
    store
        .commit_run(RunCommit {
            report: &r,
            queued: None,
            cause: "test",
            host: "test",
            started_at: NOW,
            grants: &Default::default(),
            config: &Default::default(),
            signer: None,
            notifications: rendered,
            case: None,
            wit_version: "0.1.0",
            parameters: &[],
        })
        .await
        .unwrap();
}

/// Commits a run that queued these SMEV requests.
pub async fn commit_requests(store: &Store, run_id: &str, queries: Vec<SmevQuery>) {
    let r = report(run_id, vec![], queries);
    store
        .commit_run(RunCommit {
            report: &r,
            queued: None,
            cause: "test",
            host: "test",
            started_at: NOW,
            grants: &Default::default(),
            config: &Default::default(),
            signer: None,
            notifications: vec![],
            case: None,
            wit_version: "0.1.0",
            parameters: &[],
        })
        .await
        .unwrap();
}

/// What a loopback SMTP server received: one entry per accepted message (its DATA).
#[derive(Clone, Default)]
pub struct Mailbox(pub Arc<Mutex<Vec<String>>>);

/// A minimal SMTP server on loopback that accepts every message.
pub async fn smtp_server() -> (u16, Mailbox) {
    smtp_relay(Duration::ZERO).await
}

/// A loopback SMTP relay that takes `delay` to accept each message (after its DATA).
pub async fn smtp_relay(delay: Duration) -> (u16, Mailbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mailbox = Mailbox::default();
    let inbox = mailbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 localhost ESMTP test\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Ok(Some(line))) =
                    tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await
                {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            tokio::time::sleep(delay).await;
                            inbox.0.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 OK queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-localhost\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, mailbox)
}

/// A loopback SMS gateway that honours idempotency keys: it fails the first `fail_first`
/// requests with 503, then accepts, delivering each key once.
#[derive(Clone, Default)]
pub struct Gateway {
    pub requests: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    pub delivered: Arc<Mutex<Vec<String>>>,
    pub fail_first: Arc<Mutex<usize>>,
    /// How long each request takes to answer.
    pub delay: Duration,
}

async fn gateway_post(
    State(g): State<Gateway>,
    headers: HeaderMap,
    body: axum::Json<serde_json::Value>,
) -> StatusCode {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    tokio::time::sleep(g.delay).await;
    g.requests.lock().unwrap().push((key.clone(), body.0));
    let mut fail = g.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let mut delivered = g.delivered.lock().unwrap();
    if !delivered.contains(&key) {
        delivered.push(key);
    }
    StatusCode::OK
}

pub async fn gateway(fail_first: usize) -> (String, Gateway) {
    slow_gateway(fail_first, Duration::ZERO).await
}

/// A gateway that takes `delay` to answer each request.
pub async fn slow_gateway(fail_first: usize, delay: Duration) -> (String, Gateway) {
    let g = Gateway {
        delay,
        ..Gateway::default()
    };
    *g.fail_first.lock().unwrap() = fail_first;
    let app = Router::new()
        .route("/sms", post(gateway_post))
        .with_state(g.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, g)
}

/// A port with nothing listening on it.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// The `Message-ID` of each message a relay accepted.
pub fn message_ids(mailbox: &Mailbox) -> Vec<String> {
    mailbox
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_string))
        })
        .collect()
}

/// A loopback SMEV adapter that takes `delay` to accept each request and records its
/// idempotency key; every request gets a new message id.
#[derive(Clone, Default)]
pub struct SlowAdapter {
    pub keys: Arc<Mutex<Vec<String>>>,
    pub delay: Duration,
}

async fn slow_adapter_request(
    State(a): State<SlowAdapter>,
    headers: HeaderMap,
    _body: axum::Json<serde_json::Value>,
) -> axum::Json<serde_json::Value> {
    tokio::time::sleep(a.delay).await;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut keys = a.keys.lock().unwrap();
    keys.push(key);
    axum::Json(serde_json::json!({ "message_id": format!("adapter-{}", keys.len()) }))
}

pub async fn slow_adapter(delay: Duration) -> (String, SlowAdapter) {
    let a = SlowAdapter {
        delay,
        ..SlowAdapter::default()
    };
    let app = Router::new()
        .route("/requests", post(slow_adapter_request))
        .with_state(a.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, a)
}

/// How many times each item occurs, for those that occur more than once.
pub fn repeated(items: &[String]) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::<&String, usize>::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, n)| (k.clone(), n))
        .collect()
}
