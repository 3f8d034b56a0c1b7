//! HTTP/2 over a TLS connection whose client chose `h2`: the `h2` crate's server on a
//! single-threaded tokio runtime owned by the connection's thread. Reads poll the
//! blocking socket in [`POLL`](crate::server::POLL) slices, so shutdown and the idle timeout are noticed as
//! in HTTP/1.1.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{Reply, Shared, Stream, IDLE_TIMEOUT, MAX_BODY_BYTES};
use crate::observed::ObservedRequest;

/// Serves HTTP/2 on `stream` until the client leaves, the connection idles out or
/// the server shuts down.
pub(super) fn serve(stream: Stream, shared: &Arc<Shared>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    let io = Io {
        stream,
        shared: Arc::clone(shared),
        last_activity: Instant::now(),
    };
    runtime.block_on(async {
        let Ok(mut connection) = h2::server::handshake(io).await else {
            return;
        };
        while let Some(Ok((request, respond))) = connection.accept().await {
            tokio::spawn(answer(request, respond, Arc::clone(shared)));
        }
    });
}

async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    shared: Arc<Shared>,
) {
    let (parts, mut body) = request.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
        if data.len() > MAX_BODY_BYTES {
            respond.send_reset(h2::Reason::REFUSED_STREAM);
            return;
        }
    }
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
    let headers = authority.iter().map(|a| ("host", a.as_str())).chain(
        parts
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))),
    );
    let observed = ObservedRequest::from_parts(parts.method.as_str(), target, headers, data);
    // A handler that blocks (a latency fault) holds up the whole connection.
    let reply = shared.answer(observed, http::Version::HTTP_2);
    let Reply::Response {
        status,
        headers,
        body,
    } = reply
    else {
        respond.send_reset(h2::Reason::INTERNAL_ERROR);
        return;
    };
    let mut response = http::Response::builder().status(status);
    for (name, value) in &headers {
        let framing = [
            "content-length",
            "transfer-encoding",
            "connection",
            "keep-alive",
        ]
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f));
        if !framing {
            response = response.header(name.as_str(), value.as_str());
        }
    }
    let response = response
        .header("content-length", body.len())
        .body(())
        .unwrap_or_else(|_| {
            let mut r = http::Response::new(());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        });
    let end = body.is_empty();
    let Ok(mut send) = respond.send_response(response, end) else {
        return;
    };
    if !end {
        let _ = send.send_data(Bytes::from(body), true);
    }
}

/// The blocking TLS stream as tokio I/O: a read that times out (every [`super::POLL`])
/// is `Pending` with an immediate wake-up, which lets the runtime run the other
/// streams' tasks in between.
struct Io {
    stream: Stream,
    shared: Arc<Shared>,
    last_activity: Instant,
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.shared.is_shutdown() || self.last_activity.elapsed() >= IDLE_TIMEOUT {
            return Poll::Ready(Ok(()));
        }
        match self.stream.read(buf.initialize_unfilled()) {
            Ok(n) => {
                buf.advance(n);
                self.last_activity = Instant::now();
                Poll::Ready(Ok(()))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.stream.write(buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.flush())
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.stream.shutdown(Shutdown::Write))
    }
}
