//! The HTTP layer's own error answers, in the envelope.
//!
//! actix-http answers a request it cannot parse — a URL over 64 KiB, a head over 128 KiB,
//! a malformed request line — itself, with an empty body, before any middleware runs. Our
//! application never sends an error without a body (every error goes through the
//! envelope), so an error head with `content-length: 0` on the way out can only be one of
//! those: the connection wrapper below gives it the envelope's body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::envelope::error_json;

/// A connection whose outgoing bodiless error answers are rewritten into the envelope.
pub struct EnvelopedErrors<T> {
    inner: T,
    /// A rewritten answer not yet fully written, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> EnvelopedErrors<T> {
    pub fn new(inner: T) -> Self {
        EnvelopedErrors {
            inner,
            pending: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> EnvelopedErrors<T> {
    /// Writes what remains of a rewritten answer; ready once all of it is written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written >= bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// The envelope version of `bytes` when they are exactly one bodiless error answer.
pub fn envelope_bodiless_error(bytes: &[u8]) -> Option<Vec<u8>> {
    let head_end = bytes.windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    if head_end != bytes.len() || !bytes.starts_with(b"HTTP/1.") {
        return None;
    }
    let head = std::str::from_utf8(&bytes[..head_end - 4]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code: u16 = status_line.get(9..12)?.parse().ok()?;
    let status = actix_web::http::StatusCode::from_u16(code).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let headers: Vec<&str> = lines.collect();
    let is_bodiless = headers
        .iter()
        .any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    if !is_bodiless {
        return None;
    }
    let message = match code {
        400 => {
            "Bad Request: the request could not be parsed (malformed, or a URL longer than 64 KiB)"
        }
        431 => "Request Header Fields Too Large: the request line and headers exceed 128 KiB",
        408 => "Request Timeout: the request head did not arrive in time",
        _ => status.canonical_reason().unwrap_or("error"),
    };
    let body = error_json(status, message, "");
    let mut answer = format!("{status_line}\r\n");
    for line in headers.iter().filter(|line| {
        let name = line.split(':').next().unwrap_or_default();
        !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("content-type")
    }) {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str("content-type: application/json\r\n");
    answer.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    answer.push_str(&body);
    Some(answer.into_bytes())
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopedErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopedErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        match envelope_bodiless_error(buf) {
            Some(answer) => {
                self.pending = Some((answer, 0));
                // The caller's bytes are taken; the rewritten answer goes out from here.
                if let Poll::Ready(Err(error)) = self.poll_pending(cx) {
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(buf.len()))
            }
            None => Pin::new(&mut self.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bodiless_error_gets_the_envelope() {
        let raw = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Mon, 30 Nov 2026 12:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(envelope_bodiless_error(raw).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(head.contains("connection: close"));
        assert!(head.contains("content-type: application/json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], 400);
        assert!(json["message"].as_str().unwrap().contains("64 KiB"));
    }

    #[test]
    fn answers_with_a_body_or_successes_pass_unchanged() {
        assert!(envelope_bodiless_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            envelope_bodiless_error(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}")
                .is_none()
        );
        assert!(
            envelope_bodiless_error(b"HTTP/1.1 404 Not Found\r\ncontent-length: 20\r\n\r\n")
                .is_none()
        );
        assert!(envelope_bodiless_error(b"{\"code\":400}").is_none());
    }
}
