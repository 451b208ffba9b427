//! The registry's connections: each knows its client's address (for the per-client limits on
//! publish challenges), and the answers hyper writes by itself — before axum ever sees a
//! request — for a request line or header section it cannot take (400, 414 URI too long, 431
//! header fields too large, all with an empty body) are rewritten into the registry's JSON
//! error bodies, so that every error a client receives is JSON.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::api::ErrorBody;

/// A TCP listener whose connections answer hyper's own errors in JSON.
pub struct JsonErrorListener(pub TcpListener);

/// The address of the client on the other end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

impl Listener for JsonErrorListener {
    type Io = JsonErrors<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        (JsonErrors::new(stream), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, JsonErrorListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, JsonErrorListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// A connection that replaces hyper's bodiless automatic error answers with JSON ones.
pub struct JsonErrors<IO> {
    inner: IO,
    /// A replacement still being written, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
}

impl<IO> JsonErrors<IO> {
    pub fn new(inner: IO) -> Self {
        JsonErrors {
            inner,
            pending: None,
        }
    }
}

impl<IO: AsyncWrite + Unpin> JsonErrors<IO> {
    fn flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for JsonErrors<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for JsonErrors<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.flush_pending(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        if let Some(replacement) = json_answer_for(buf) {
            self.pending = Some((replacement, 0));
            // Written as far as the caller is concerned; the rest goes out on flush.
            if let Poll::Ready(Err(e)) = self.flush_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.flush_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.flush_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

/// The JSON answer replacing `head` when it is one of hyper's automatic error answers: a
/// complete response head of status 400, 414 or 431 with no content type and an empty body.
/// The registry's own answers always carry a JSON content type, so they never match.
fn json_answer_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    if !text.ends_with("\r\n\r\n") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("\r\ncontent-type:") || !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let (reason, code, message) = match status {
        "414" => (
            "URI Too Long",
            "uri_too_long",
            "the request's URI is longer than this server accepts (64 KiB); shorten the query",
        ),
        "431" => (
            "Request Header Fields Too Large",
            "headers_too_large",
            "the request's header section is larger than this server accepts; send fewer or \
             smaller headers",
        ),
        "400" => (
            "Bad Request",
            "malformed_request",
            "the request is not well-formed HTTP (its request line or a header could not be \
             read); the registry's API is under /api/v1 (see registry/README.md)",
        ),
        _ => return None,
    };
    let body = serde_json::to_vec(&ErrorBody {
        error: message.to_string(),
        code: code.to_string(),
        detail: Default::default(),
    })
    .ok()?;
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::json_answer_for;

    #[test]
    fn only_bodiless_automatic_errors_are_rewritten() {
        let hyper = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(json_answer_for(hyper).unwrap()).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
            "{answer}"
        );
        assert!(answer.contains("content-type: application/json"));
        assert!(answer.ends_with("\"code\":\"uri_too_long\"}"), "{answer}");
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(json_answer_for(ours).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(json_answer_for(ok).is_none());
    }
}
