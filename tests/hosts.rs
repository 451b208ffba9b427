//! Two `zemstvo serve` processes on one database deliver the outbox through a slow SMTP relay
//! on loopback; one is killed (-9) in the middle of its deliveries, the other is stopped with
//! SIGTERM at the end. Every message arrives; the only duplicate the kill can cause is the one
//! message that was in flight, which arrives again with the same `Message-ID`. And a host
//! whose database goes away for a while loses nothing, sends nothing twice and hears other
//! hosts' changes again.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zemstvo_core::capabilities::notify::Channel;
use zemstvo_core::capabilities::notify::Notification;
use zemstvo_core::report::{PluginRef, RunOutputs, RunReport, RunStatus, Summary};
use zemstvo_demo::{DemoScale, demo_region};
use zemstvo_host::PluginKind;
use zemstvo_store::load::RegionInfo;
use zemstvo_store::notifications::NewNotification;
use zemstvo_store::runs::RunCommit;
use zemstvo_store::testing::TestDatabase;
use zemstvo_store::{Store, on_both_databases};

const NOW: i64 = 1_795_413_600;
const MESSAGES: usize = 30;
/// Per message at the relay: a batch of 5 takes 1.5 s, longer than the 1 s lease.
const RELAY_DELAY: Duration = Duration::from_millis(300);

/// The `Message-ID` of every message the relay accepted, in order.
#[derive(Clone, Default)]
struct Relay(Arc<Mutex<Vec<String>>>);

impl Relay {
    fn ids(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A loopback SMTP relay taking `RELAY_DELAY` to accept each message; a thread per
/// connection. It records a message once its data is complete, before answering: a sender
/// killed while it waits for the answer has still delivered it.
fn relay() -> (u16, Relay) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = Relay::default();
    let inbox = relay.clone();
    std::thread::spawn(move || {
        for socket in listener.incoming().map_while(Result::ok) {
            let inbox = inbox.clone();
            std::thread::spawn(move || {
                let mut write = socket.try_clone().unwrap();
                let mut lines = BufReader::new(socket).lines();
                let _ = write.write_all(b"220 localhost ESMTP test\r\n");
                let mut data: Option<String> = None;
                while let Some(Ok(line)) = lines.next() {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let id = body
                                .lines()
                                .find_map(|l| l.strip_prefix("Message-ID: "))
                                .unwrap_or("")
                                .to_string();
                            inbox.0.lock().unwrap().push(id);
                            data = None;
                            std::thread::sleep(RELAY_DELAY);
                            let _ = write.write_all(b"250 OK queued\r\n");
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
                        let _ = write.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, relay)
}

/// A region whose outbox holds `MESSAGES` e-mails to citizens who consent.
async fn region_with_outbox(db: &TestDatabase) -> Store {
    let store = db.store().await;
    store
        .create_region(&RegionInfo {
            id: "hosts".into(),
            name: "hosts".into(),
            timezone: "UTC".into(),
        })
        .await
        .unwrap();
    store
        .load_region(&demo_region(DemoScale::SMALL, 4, NOW), &|_, _| {})
        .await
        .unwrap();
    let mut notifications = Vec::new();
    for citizen in 1..2_000 {
        if notifications.len() == MESSAGES {
            break;
        }
        let Some(c) = store.contact(citizen).await.unwrap() else {
            continue;
        };
        let (true, Some(email)) = (c.consent, c.email) else {
            continue;
        };
        notifications.push(NewNotification {
            key: format!("notice/{citizen}"),
            citizen,
            channel: "email".into(),
            template: "notice".into(),
            params: vec![],
            recipient: email,
            subject: Some("Уведомление".into()),
            body: format!("{}, ваше заявление рассмотрено.", c.full_name),
            undeliverable: None,
        });
    }
    assert_eq!(notifications.len(), MESSAGES);
    let report = RunReport {
        run_id: "informing-1".into(),
        region: "hosts".into(),
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
            notifications: notifications
                .iter()
                .map(|n| Notification {
                    key: n.key.clone(),
                    citizen: n.citizen,
                    channel: Channel::Email,
                    template: n.template.clone(),
                    params: vec![],
                })
                .collect(),
            ..RunOutputs::default()
        },
        stdout: String::new(),
        stderr: String::new(),
    };
    store
        .commit_run(RunCommit {
            report: &report,
            queued: None,
            cause: "test",
            host: "test",
            started_at: NOW,
            grants: &Default::default(),
            config: &Default::default(),
            signer: None,
            notifications,
            case: None,
            wit_version: "0.1.0",
            parameters: &[],
        })
        .await
        .unwrap();
    store
}

fn serve(dir: &std::path::Path, host: &str, url: &str, smtp_port: u16) -> Child {
    let config = dir.join(format!("{host}.toml"));
    std::fs::write(
        &config,
        format!(
            "host_id = \"{host}\"\npoll_interval_ms = 100\n\
             [leases]\noutbox_secs = 1\noutbox_batch = 5\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
             from = \"ЦСЗН <noreply@uszn.example.ru>\"\n\
             [smev]\ntransport = \"none\"\n"
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_zemstvo"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--database", url, "--listen", "127.0.0.1:0"])
        .env("ZEMSTVO_LOG", "info")
        .env("ZEMSTVO_CACHE_DIR", dir.join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zemstvo serve starts")
}

/// Collects a child's log lines in the background; joining the thread after the child
/// exited gives all of them.
fn log_of(child: &mut Child) -> (Arc<Mutex<Vec<String>>>, std::thread::JoinHandle<()>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (lines, reader)
}

/// Waits (bounded) for `done`.
async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_killed_host_duplicates_at_most_its_message_in_flight(db: TestDatabase) {
    let store = region_with_outbox(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let (port, relay) = relay();
    let mut a = serve(dir.path(), "host-a", &db.url, port);
    let mut b = serve(dir.path(), "host-b", &db.url, port);
    let ((log_a, _), (log_b, reader_b)) = (log_of(&mut a), log_of(&mut b));
    // Host A is killed once both hosts are delivering.
    // Both hosts claimed a batch of five at once: by the eighth e-mail both are mid-batch.
    wait_for(
        "both hosts to deliver",
        Duration::from_secs(120),
        async || relay.ids().len() >= 8,
    )
    .await;
    a.kill().unwrap();
    a.wait().unwrap();
    wait_for(
        "every message to be sent",
        Duration::from_secs(120),
        async || {
            store
                .notifications(None)
                .await
                .unwrap()
                .iter()
                .all(|r| r.status == "sent")
        },
    )
    .await;
    // Host B is stopped as a service manager would.
    unsafe { libc::kill(b.id() as i32, libc::SIGTERM) };
    let status = b.wait().unwrap();
    reader_b.join().unwrap();
    let said_b = log_b.lock().unwrap().clone();
    assert!(status.success(), "{said_b:?}");

    let rows = store.notifications(None).await.unwrap();
    let ids = relay.ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    eprintln!(
        "two hosts, one killed mid-delivery: {} e-mails received for {MESSAGES} messages, {} \
         distinct; {} message(s) claimed more than once",
        ids.len(),
        unique.len(),
        rows.iter().filter(|r| r.attempts > 1).count()
    );
    assert_eq!(unique.len(), MESSAGES, "every message arrived: {ids:?}");
    assert!(
        ids.len() <= MESSAGES + 1,
        "one kill duplicates at most the one message in flight: {ids:?}\nA: {:?}",
        log_a.lock().unwrap()
    );
    // Only the killed host's batch was claimed again.
    assert!(
        rows.iter().filter(|r| r.attempts > 1).count() <= 5,
        "{rows:?}"
    );
    assert!(said_b.iter().any(|l| l.contains("stopping")), "{said_b:?}");
}
on_both_databases!(
    two_serving_hosts_one_killed_mid_delivery_deliver_everything_and_duplicate_at_most_one,
    a_killed_host_duplicates_at_most_its_message_in_flight
);

/// A loopback TCP proxy to the PostgreSQL server that can be cut — every connection closed
/// and the port closed, so new ones are refused — and restored, as an outage would.
struct Proxy {
    port: u16,
    cut: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::<std::net::TcpStream>::new()));
        let (down, sockets, upstream) = (cut.clone(), open.clone(), upstream.to_string());
        std::thread::spawn(move || {
            let mut listener = Some(listener);
            loop {
                let is_down = down.load(std::sync::atomic::Ordering::SeqCst);
                match (&listener, is_down) {
                    (Some(_), true) => listener = None,
                    (None, false) => {
                        listener = TcpListener::bind(("127.0.0.1", port)).ok();
                    }
                    _ => {}
                }
                let Some(l) = &listener else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                l.set_nonblocking(true).unwrap();
                let client = match l.accept() {
                    Ok((client, _)) => client,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    continue;
                };
                {
                    let mut open = sockets.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for socket in self.open.lock().unwrap().drain(..) {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_rides_out_a_database_outage_and_hears_changes_again() {
    let Some(db) =
        TestDatabase::postgres("a_host_rides_out_a_database_outage_and_hears_changes_again").await
    else {
        return;
    };
    let store = region_with_outbox(&db).await;
    let proxy = Proxy::start("127.0.0.1:5432");
    let (server, name) = db.url.rsplit_once('/').unwrap();
    let (_, userinfo) = server.rsplit_once("//").unwrap();
    let user = userinfo.split('@').next().unwrap();
    let proxied = format!("postgres://{user}@127.0.0.1:{}/{name}", proxy.port);
    let dir = tempfile::tempdir().unwrap();
    let (smtp_port, relay) = relay();
    let mut host = serve(dir.path(), "host-a", &proxied, smtp_port);
    let (log, reader) = log_of(&mut host);
    wait_for(
        "deliveries to start",
        Duration::from_secs(120),
        async || relay.ids().len() >= 3,
    )
    .await;
    // The database is unreachable for three seconds, several leases long.
    proxy.cut();
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    wait_for(
        "every message to be sent",
        Duration::from_secs(120),
        async || {
            store
                .notifications(None)
                .await
                .unwrap()
                .iter()
                .all(|r| r.status == "sent")
        },
    )
    .await;
    wait_for(
        "the change listener to be back",
        Duration::from_secs(60),
        async || {
            log.lock()
                .unwrap()
                .iter()
                .any(|l| l.contains("change listener is connected again"))
        },
    )
    .await;
    unsafe { libc::kill(host.id() as i32, libc::SIGTERM) };
    assert!(host.wait().unwrap().success());
    reader.join().unwrap();
    let said = log.lock().unwrap().clone();
    assert!(
        said.iter()
            .any(|l| l.contains("lost its database connection")
                || l.contains("change listener failed")),
        "the loss is logged: {said:?}"
    );
    let ids = relay.ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    eprintln!(
        "one host through a 3 s database outage: {} e-mails received for {MESSAGES} messages, {} distinct",
        ids.len(),
        unique.len()
    );
    assert_eq!(unique.len(), MESSAGES, "nothing was lost");
    assert_eq!(
        ids.len(),
        MESSAGES,
        "a host that sent a message during the outage records it afterwards instead of sending \
         it again: {ids:?}"
    );
}
