//! The WASI context every run gets: nothing in it.
//!
//! A wasm32-wasip2 guest imports a few WASI interfaces even when it does no I/O, so the host
//! must link them; what it links is empty. No preopened directories, no environment, no
//! arguments, no sockets or name lookups. Stdout and stderr are captured (bounded) for the
//! run's record and the host's log. Clocks report the run's logical time and randomness is
//! seeded from the run id, so a run is a pure function of what the host gave it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx};

/// Bytes of each of stdout and stderr kept per run; the rest is counted and dropped.
pub const CAPTURE_BYTES: usize = 64 * 1024;

/// Builds the empty WASI context of one run.
pub fn wasi_context(
    run_id: &str,
    now: i64,
    stdout: &CapturedOutput,
    stderr: &CapturedOutput,
) -> WasiCtx {
    let seed: [u8; 32] = Sha256::digest(run_id.as_bytes()).into();
    let insecure_seed = u128::from_le_bytes(seed[..16].try_into().expect("16 of 32 bytes"));
    let mut insecure = seed;
    insecure[0] ^= 0xA5;
    WasiCtx::builder()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .wall_clock(LogicalWallClock { now })
        .monotonic_clock(LogicalMonotonicClock::default())
        .secure_random(StdRng::from_seed(seed))
        .insecure_random(StdRng::from_seed(insecure))
        .insecure_random_seed(insecure_seed)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

/// The wall clock of a run: always the run's logical time.
struct LogicalWallClock {
    now: i64,
}

impl HostWallClock for LogicalWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::from_secs(self.now.max(0) as u64)
    }
}

/// A monotonic clock that advances one nanosecond per reading: strictly increasing, as
/// guests expect, and the same on every replay of the run.
#[derive(Default)]
struct LogicalMonotonicClock {
    ticks: std::sync::atomic::AtomicU64,
}

impl HostMonotonicClock for LogicalMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        self.ticks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }
}

/// Stdout or stderr of a run: the first [`CAPTURE_BYTES`] kept, the rest counted.
#[derive(Clone, Default)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    dropped: usize,
}

impl CapturedOutput {
    /// What the guest wrote (lossily decoded), and how many bytes did not fit.
    pub fn take(&self) -> (String, usize) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&c.bytes).into_owned();
        let dropped = c.dropped;
        *c = Captured::default();
        (text, dropped)
    }

    fn append(&self, buf: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = CAPTURE_BYTES.saturating_sub(c.bytes.len());
        let kept = room.min(buf.len());
        c.bytes.extend_from_slice(&buf[..kept]);
        c.dropped += buf.len() - kept;
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always accept: output past the cap is counted and dropped, never an error, so that
        // a chatty plugin does not fail because of its chatter.
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
