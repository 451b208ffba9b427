//! `zemstvo demo` serving its region through the binary: it prints a one-time sign-in link per
//! role, a click on the employee's link signs them in and shows their own tasks, the API
//! answers on the address it printed, and SIGTERM stops it cleanly.

#[path = "support/cli.rs"]
mod cli;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use cli::Workspace;

/// One HTTP/1.1 request over a fresh connection: the status line's code, the headers, the body.
fn http(address: &str, request: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).expect("the API listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, head.to_string(), body.to_string())
}

#[test]
fn the_demo_serves_its_region_and_a_sign_in_link_opens_the_employees_tasks() {
    let ws = Workspace::new();
    let db = format!("sqlite://{}", ws.p("demo.db"));
    let mut child = ws
        .command()
        .args([
            "demo",
            "--scale",
            "small",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zemstvo demo starts");
    let (tx, rx) = mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
    }
    let mut employee_link = None;
    let mut admin_link = None;
    let mut address = None;
    let mut seen = Vec::new();
    // Links (stdout) and the serving line (stderr) come on two streams, in any order.
    while address.is_none() || employee_link.is_none() || admin_link.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("the demo says where it serves: {seen:#?}"));
        if line.trim_start().starts_with("employee") {
            employee_link = line.split_whitespace().last().map(str::to_string);
        }
        if line.trim_start().starts_with("administrator") {
            admin_link = line.split_whitespace().last().map(str::to_string);
        }
        if let Some(rest) = line.split("API on http://").nth(1) {
            address = rest.split('/').next().map(str::to_string);
        }
        seen.push(line);
    }
    let address = address.unwrap();
    let link = employee_link.unwrap_or_else(|| panic!("no employee link: {seen:#?}"));
    let path = link
        .split(&address)
        .nth(1)
        .expect("the link is on the served address");

    let (code, _, body) = http(
        &address,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((code, body.trim()), (200, "ok"));
    let (code, head, _) = http(
        &address,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(code, 303, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let (code, _, body) = http(
        &address,
        &format!(
            "GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("\"assignee\""),
        "the employee has tasks: {body}"
    );
    // The link works once.
    let (code, _, _) = http(
        &address,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(code, 401);

    // The administrator sees the applications the demo's rule decided without an official,
    // each with its verdict and the trace of what it was decided on.
    let admin_path = admin_link
        .unwrap()
        .split(&address)
        .nth(1)
        .unwrap()
        .to_string();
    let (_, head, _) = http(
        &address,
        &format!("GET {admin_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    let admin_cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let get = |path: &str| {
        http(
            &address,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {admin_cookie}\r\nConnection: close\r\n\r\n"
            ),
        )
    };
    let (code, _, body) = get("/api/v1/cases?status=decided&limit=1");
    assert_eq!(code, 200, "{body}");
    let id = body
        .split("\"application_id\":")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap_or_else(|| panic!("a decided case: {body}"))
        .to_string();
    let (code, _, body) = get(&format!("/api/v1/cases/{id}"));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"trace\""), "{body}");

    // SIGTERM: the service finishes what is in flight and exits cleanly.
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let mut waited = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            waited < 600,
            "the demo did not stop within a minute of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    };
    assert!(status.success(), "{status:?}");
}
