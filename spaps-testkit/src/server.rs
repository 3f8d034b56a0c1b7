//! A loopback HTTP/1.1 server on plain std threads, for replaying cassettes and injecting
//! faults; over TLS too ([`MockServer::start_tls`], rustls on the same threads), with
//! HTTP/2 when the TLS setup offers it and the client picks it through ALPN.
//!
//! [`MockServer::start`] binds `127.0.0.1:0`, runs one accept thread and one thread per
//! connection, and answers every request with whatever the handler returns: a normal
//! [`Reply::Response`] (keep-alive, `Content-Length` added by the server) or one of the fault
//! replies (closed or reset connections, truncated or trickled bodies, stalls, raw bytes).
//!
//! Limits: request header blocks over [`MAX_HEADER_BYTES`] get `431` and bodies over
//! [`MAX_BODY_BYTES`] get `413` (then the connection is closed); connections silent for
//! [`IDLE_TIMEOUT`] are closed; faults never run longer than [`MAX_FAULT_TIME`]; and every
//! connection thread notices shutdown within a few tens of milliseconds (except while the
//! handler itself runs).
//!
//! Over HTTP/2 (a small server on the `h2` crate, driven by a single-threaded tokio
//! runtime on the connection's thread) only [`Reply::Response`] is served as such;
//! every fault reply resets the stream (`INTERNAL_ERROR`).

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::observed::ObservedRequest;
use crate::tls::ServerTls;

use head::{content_length, find_head_end, head_bytes, header_tokens, parse_head};

/// HTTP/2 on a TLS connection whose client chose it.
mod h2_server;
/// HTTP/1.1 heads: found, parsed, written.
mod head;
/// A minimal raw HTTP/1.1 client over a std `TcpStream`, for tests.
#[cfg(test)]
pub(crate) mod test_client;
#[cfg(test)]
mod tests;

/// Largest accepted request header block (request line, headers, and chunked trailers).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// A connection on which nothing arrives for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound on how long a [`Reply::Stall`] or [`Reply::Trickle`] may run.
pub const MAX_FAULT_TIME: Duration = Duration::from_secs(300);

/// Granularity of socket reads and sleeps: how quickly threads notice shutdown.
const POLL: Duration = Duration::from_millis(20);
/// Writes to a client that does not read fail after this long.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for connection threads before detaching them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// After a graceful close, unread input is drained for at most this long...
const DRAIN_TIME: Duration = Duration::from_millis(500);
/// ...or this many bytes.
const DRAIN_BYTES: usize = 1024 * 1024;
/// Longest accepted chunk-size line in a chunked request body.
const MAX_CHUNK_LINE: usize = 4096;

/// What the server does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// A normal response. The server adds `Content-Length` (and `Connection: close` when the
    /// connection is closing) and ignores any `Content-Length`, `Transfer-Encoding` and
    /// `Connection` headers given here (a `Connection: close` header closes the connection
    /// after the response). No body is sent for `1xx`, `204` and `304`, nor to `HEAD`.
    Response {
        /// Status code.
        status: u16,
        /// Headers, in order. Headers with invalid names or values are skipped.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Read the request, then close the connection (FIN) without writing anything.
    CloseBeforeHeaders,
    /// Read the request, then tear the connection down at once, without writing anything or
    /// draining input.
    ///
    /// A true RST needs `SO_LINGER` 0, which std only offers as an unstable API (and this
    /// crate has no `unsafe`), so this does `shutdown(Both)` and drops the socket: the peer
    /// sees an immediate end of stream, or a connection reset if it had sent bytes that were
    /// not read yet or writes more.
    ResetBeforeHeaders,
    /// Write the status line and headers with `Content-Length: declared_len`, then
    /// `body_prefix`, then tear the connection down as [`Reply::ResetBeforeHeaders`] does.
    ResetMidBody {
        /// Status code.
        status: u16,
        /// Headers (framing headers are replaced as for [`Reply::Response`]).
        headers: Vec<(String, String)>,
        /// The part of the body that is sent.
        body_prefix: Vec<u8>,
        /// The `Content-Length` announced.
        declared_len: usize,
    },
    /// Write the status line and headers with `Content-Length: declared_len` (larger than
    /// the body), then `body`, then close the connection cleanly (FIN).
    TruncatedBody {
        /// Status code.
        status: u16,
        /// Headers (framing headers are replaced as for [`Reply::Response`]).
        headers: Vec<(String, String)>,
        /// The body actually sent.
        body: Vec<u8>,
        /// The `Content-Length` announced.
        declared_len: usize,
    },
    /// Write the status line and headers (with the true `Content-Length`) at once, then the
    /// body `chunk` bytes at a time, waiting `interval` before each chunk. Stops (closing the
    /// connection) if the client goes away, the server shuts down, or [`MAX_FAULT_TIME`]
    /// passes; once the whole body is sent the connection stays usable.
    Trickle {
        /// Status code.
        status: u16,
        /// Headers (framing headers are replaced as for [`Reply::Response`]).
        headers: Vec<(String, String)>,
        /// The full body.
        body: Vec<u8>,
        /// Bytes per write (0 is treated as 1).
        chunk: usize,
        /// Wait before each chunk.
        interval: Duration,
    },
    /// Read the request, write nothing for `for_` (at most [`MAX_FAULT_TIME`]), or until the
    /// client closes or the server shuts down, then close the connection.
    Stall {
        /// How long to stay silent.
        for_: Duration,
    },
    /// Write these bytes verbatim, then close the connection (FIN).
    Raw(Vec<u8>),
}

impl Reply {
    /// A JSON response with `Content-Type: application/json`.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::Response {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// A response with the given content type and body.
    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Response {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// A response with no headers and no body.
    pub fn empty(status: u16) -> Reply {
        Reply::Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header to a reply that has headers ([`Reply::Response`],
    /// [`Reply::ResetMidBody`], [`Reply::TruncatedBody`], [`Reply::Trickle`]); other replies
    /// are returned unchanged.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        match &mut self {
            Reply::Response { headers, .. }
            | Reply::ResetMidBody { headers, .. }
            | Reply::TruncatedBody { headers, .. }
            | Reply::Trickle { headers, .. } => headers.push((name.into(), value.into())),
            _ => {}
        }
        self
    }
}

type Handler = dyn Fn(&ObservedRequest) -> Reply + Send + Sync + 'static;

struct Shared {
    shutdown: AtomicBool,
    requests: Mutex<Vec<ObservedRequest>>,
    /// The HTTP version of each request in `requests`.
    versions: Mutex<Vec<http::Version>>,
    handler: Box<Handler>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Shared {
    fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running loopback HTTP/1.1 server. Dropping it (or calling [`MockServer::shutdown`])
/// stops it.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: Option<JoinHandle<()>>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("request_count", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Binds `127.0.0.1:0` and starts serving; every request is answered with
    /// `handler(&request)`. If the handler panics the client gets a `500` and the
    /// connection is closed.
    pub fn start<H>(handler: H) -> io::Result<MockServer>
    where
        H: Fn(&ObservedRequest) -> Reply + Send + Sync + 'static,
    {
        MockServer::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), handler)
    }

    /// Like [`MockServer::start`], on `addr` (port 0: a free port).
    pub fn start_on<H>(addr: SocketAddr, handler: H) -> io::Result<MockServer>
    where
        H: Fn(&ObservedRequest) -> Reply + Send + Sync + 'static,
    {
        MockServer::spawn(addr, None, Box::new(handler))
    }

    /// Like [`MockServer::start`], over TLS: `https://127.0.0.1:PORT`. With
    /// [`ServerTls::with_h2`] a client that asks for HTTP/2 through ALPN gets it.
    ///
    /// # Errors
    /// When the socket cannot be bound or rustls refuses the certificate.
    pub fn start_tls<H>(tls: ServerTls, handler: H) -> io::Result<MockServer>
    where
        H: Fn(&ObservedRequest) -> Reply + Send + Sync + 'static,
    {
        MockServer::start_tls_on(SocketAddr::from(([127, 0, 0, 1], 0)), tls, handler)
    }

    /// Like [`MockServer::start_tls`], on `addr`.
    ///
    /// # Errors
    /// When the socket cannot be bound or rustls refuses the certificate.
    pub fn start_tls_on<H>(addr: SocketAddr, tls: ServerTls, handler: H) -> io::Result<MockServer>
    where
        H: Fn(&ObservedRequest) -> Reply + Send + Sync + 'static,
    {
        let config = tls
            .config()
            .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
        MockServer::spawn(addr, Some(config), Box::new(handler))
    }

    fn spawn(
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: Box<Handler>,
    ) -> io::Result<MockServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            shutdown: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            versions: Mutex::new(Vec::new()),
            handler,
            tls,
        });
        let conns = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let shared = Arc::clone(&shared);
            let conns = Arc::clone(&conns);
            thread::Builder::new()
                .name(format!("mock-http-accept-{}", addr.port()))
                .spawn(move || accept_loop(&listener, &shared, &conns))?
        };
        Ok(MockServer {
            addr,
            shared,
            conns,
            accept: Some(accept),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` over TLS).
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The HTTP version of every request received so far, in order.
    pub fn request_versions(&self) -> Vec<http::Version> {
        lock(&self.shared.versions).clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in the order they were read.
    pub fn requests(&self) -> Vec<ObservedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// Stops the server: no more connections are accepted, open connections are closed
    /// (within a few tens of milliseconds, unless a handler is running), and connection
    /// threads are waited for at most about two seconds.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(accept) = self.accept.take() else {
            return;
        };
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Unblock `accept()` with a connection of our own.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if woke || accept.is_finished() {
            let _ = accept.join();
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let handles = std::mem::take(&mut *lock(&self.conns));
        for handle in handles {
            while !handle.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, conns: &Mutex<Vec<JoinHandle<()>>>) {
    loop {
        let accepted = listener.accept();
        if shared.is_shutdown() {
            return;
        }
        match accepted {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                let spawned = thread::Builder::new()
                    .name("mock-http-conn".to_owned())
                    .spawn(move || serve_connection(stream, &shared));
                if let Ok(handle) = spawned {
                    let mut conns = lock(conns);
                    conns.retain(|h| !h.is_finished());
                    conns.push(handle);
                }
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Why reading a request stopped.
enum ReadError {
    /// End of stream, I/O error, idle timeout or shutdown: close silently.
    Closed,
    /// A bad request: answer with this status, then close.
    Status(u16),
}

/// How a connection continues after a reply.
enum Next {
    KeepAlive,
    /// Close cleanly (FIN, then drain a little).
    Close,
    /// Tear down at once.
    Abort,
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

struct Conn<'a> {
    stream: Stream,
    buf: Vec<u8>,
    shared: &'a Shared,
    last_activity: Instant,
}

/// A connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }

    /// `Write` first says goodbye over TLS (`close_notify`); `Both` tears the
    /// connection down at once, as a fault would.
    fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        if let (Stream::Tls(s), Shutdown::Write) = (&mut *self, how) {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        self.tcp().shutdown(how)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Arc<Shared>) {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let stream = match &shared.tls {
        None => Stream::Plain(stream),
        Some(config) => match handshake(stream, config, shared) {
            Some(tls) if tls.conn.alpn_protocol() == Some(b"h2") => {
                return h2_server::serve(Stream::Tls(tls), shared);
            }
            Some(tls) => Stream::Tls(tls),
            None => return,
        },
    };
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        shared,
        last_activity: Instant::now(),
    };
    loop {
        let request = match conn.read_request() {
            Ok(r) => r,
            Err(ReadError::Closed) => return,
            Err(ReadError::Status(status)) => {
                let _ = conn.write_response(status, &[], b"", true, false);
                conn.close_gracefully();
                return;
            }
        };
        let observed = ObservedRequest::from_parts(
            &request.method,
            &request.target,
            request
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
            request.body,
        );
        let reply = shared.answer(observed, http::Version::HTTP_11);
        let is_head = request.method.eq_ignore_ascii_case("HEAD");
        match conn.send(reply, request.keep_alive, is_head) {
            Next::KeepAlive => conn.last_activity = Instant::now(),
            Next::Close => {
                conn.close_gracefully();
                return;
            }
            Next::Abort => {
                let _ = conn.stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Runs the TLS handshake, in small slices so that shutdown is noticed; `None` when it
/// fails (the client is told by an alert), the client goes away or it takes longer
/// than [`IDLE_TIMEOUT`].
fn handshake(
    stream: TcpStream,
    config: &Arc<rustls::ServerConfig>,
    shared: &Shared,
) -> Option<Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>> {
    let conn = rustls::ServerConnection::new(Arc::clone(config)).ok()?;
    let mut tls = Box::new(rustls::StreamOwned::new(conn, stream));
    let started = Instant::now();
    while tls.conn.is_handshaking() {
        if shared.is_shutdown() || started.elapsed() >= IDLE_TIMEOUT {
            return None;
        }
        match tls.conn.complete_io(&mut tls.sock) {
            Ok((0, 0)) if tls.conn.is_handshaking() => return None,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                // Send the alert that says why, if there is one.
                let _ = tls.conn.complete_io(&mut tls.sock);
                return None;
            }
        }
    }
    Some(tls)
}

impl Shared {
    /// Records a request and asks the handler for the reply (a panic gives a 500).
    fn answer(&self, observed: ObservedRequest, version: http::Version) -> Reply {
        {
            let mut requests = lock(&self.requests);
            let mut versions = lock(&self.versions);
            requests.push(observed.clone());
            versions.push(version);
        }
        catch_unwind(AssertUnwindSafe(|| (self.handler)(&observed))).unwrap_or_else(|_| {
            Reply::text(500, "text/plain", "mock server handler panicked")
                .with_header("connection", "close")
        })
    }
}

impl Conn<'_> {
    /// Reads more bytes into `buf`, waiting in small slices so that shutdown and the idle
    /// timeout are noticed.
    fn fill(&mut self) -> Result<(), ReadError> {
        let mut tmp = [0u8; 16 * 1024];
        loop {
            if self.shared.is_shutdown() {
                return Err(ReadError::Closed);
            }
            match self.stream.read(&mut tmp) {
                Ok(0) => return Err(ReadError::Closed),
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    self.last_activity = Instant::now();
                    return Ok(());
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if self.last_activity.elapsed() >= IDLE_TIMEOUT {
                        return Err(ReadError::Closed);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(ReadError::Closed),
            }
        }
    }

    fn read_request(&mut self) -> Result<Request, ReadError> {
        // Head.
        let (head_len, total) = loop {
            // Ignore empty lines before a request line (RFC 9112 §2.2).
            let blank = self
                .buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if blank > 0 {
                self.buf.drain(..blank);
            }
            if let Some(found) = find_head_end(&self.buf) {
                break found;
            }
            if self.buf.len() > MAX_HEADER_BYTES {
                return Err(ReadError::Status(431));
            }
            self.fill()?;
        };
        if total > MAX_HEADER_BYTES {
            return Err(ReadError::Status(431));
        }
        let head: Vec<u8> = self.buf[..head_len].to_vec();
        self.buf.drain(..total);
        let (method, target, http11, headers) = parse_head(&head)?;

        let connection_tokens: Vec<String> = header_tokens(&headers, "connection");
        let keep_alive = if http11 {
            !connection_tokens.iter().any(|t| t == "close")
        } else {
            connection_tokens.iter().any(|t| t == "keep-alive")
        };

        // Body framing.
        let te = header_tokens(&headers, "transfer-encoding");
        let chunked = match te.last() {
            None => false,
            Some(last) if last == "chunked" => true,
            Some(_) => return Err(ReadError::Status(400)),
        };
        let content_length = if chunked {
            None
        } else {
            content_length(&headers)?
        };
        if content_length.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(ReadError::Status(413));
        }
        let expects_body = chunked || content_length.is_some_and(|n| n > 0);
        let wants_continue = header_tokens(&headers, "expect")
            .iter()
            .any(|t| t == "100-continue");
        let send_continue = http11 && wants_continue && expects_body && self.buf.is_empty();
        if send_continue
            && self
                .stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .is_err()
        {
            return Err(ReadError::Closed);
        }

        let body = if chunked {
            self.read_chunked()?
        } else {
            // Checked against MAX_BODY_BYTES above, so it fits in usize.
            let len =
                usize::try_from(content_length.unwrap_or(0)).map_err(|_| ReadError::Status(413))?;
            while self.buf.len() < len {
                self.fill()?;
            }
            self.buf.drain(..len).collect()
        };

        Ok(Request {
            method,
            target,
            headers,
            body,
            keep_alive,
        })
    }

    /// Reads one line (up to `\n`), returning it without the line ending.
    fn read_line(&mut self, limit: usize, too_long: u16) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > limit {
                return Err(ReadError::Status(too_long));
            }
            self.fill()?;
        }
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(MAX_CHUNK_LINE, 400)?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or(&[]);
            let size_text = std::str::from_utf8(size_text)
                .map_err(|_| ReadError::Status(400))?
                .trim_matches([' ', '\t']);
            if size_text.is_empty() || !size_text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ReadError::Status(400));
            }
            let size = u64::from_str_radix(size_text, 16).map_err(|_| ReadError::Status(413))?;
            if size == 0 {
                break;
            }
            if size > (MAX_BODY_BYTES - body.len()) as u64 {
                return Err(ReadError::Status(413));
            }
            let size = usize::try_from(size).map_err(|_| ReadError::Status(413))?;
            while self.buf.len() < size {
                self.fill()?;
            }
            body.extend(self.buf.drain(..size));
            let end = self.read_line(2, 400)?;
            if !end.is_empty() {
                return Err(ReadError::Status(400));
            }
        }
        // Trailers, up to an empty line.
        let mut trailer_bytes = 0usize;
        loop {
            let line = self.read_line(MAX_HEADER_BYTES, 431)?;
            trailer_bytes += line.len() + 2;
            if trailer_bytes > MAX_HEADER_BYTES {
                return Err(ReadError::Status(431));
            }
            if line.is_empty() {
                return Ok(body);
            }
        }
    }

    fn write_head(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        content_length: Option<usize>,
        close: bool,
    ) -> io::Result<()> {
        let head = head_bytes(status, headers, content_length, close);
        self.stream.write_all(&head)
    }

    fn write_response(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        close: bool,
        is_head: bool,
    ) -> io::Result<()> {
        let body_allowed = !(status < 200 || status == 204 || status == 304);
        let mut out = head_bytes(status, headers, body_allowed.then_some(body.len()), close);
        if body_allowed && !is_head {
            out.extend_from_slice(body);
        }
        self.stream.write_all(&out)?;
        self.stream.flush()
    }

    fn send(&mut self, reply: Reply, keep_alive: bool, is_head: bool) -> Next {
        match reply {
            Reply::Response {
                status,
                headers,
                body,
            } => {
                let close = !keep_alive
                    || header_tokens(&headers, "connection")
                        .iter()
                        .any(|t| t == "close");
                match self.write_response(status, &headers, &body, close, is_head) {
                    Ok(()) if !close => Next::KeepAlive,
                    Ok(()) => Next::Close,
                    Err(_) => Next::Abort,
                }
            }
            Reply::CloseBeforeHeaders => Next::Close,
            Reply::ResetBeforeHeaders => Next::Abort,
            Reply::ResetMidBody {
                status,
                headers,
                body_prefix,
                declared_len,
            } => {
                let _ = self
                    .write_head(status, &headers, Some(declared_len), false)
                    .and_then(|()| self.stream.write_all(&body_prefix))
                    .and_then(|()| self.stream.flush());
                Next::Abort
            }
            Reply::TruncatedBody {
                status,
                headers,
                body,
                declared_len,
            } => {
                match self
                    .write_head(status, &headers, Some(declared_len), false)
                    .and_then(|()| self.stream.write_all(&body))
                    .and_then(|()| self.stream.flush())
                {
                    Ok(()) => Next::Close,
                    Err(_) => Next::Abort,
                }
            }
            Reply::Trickle {
                status,
                headers,
                body,
                chunk,
                interval,
            } => self.trickle(status, &headers, &body, chunk, interval, keep_alive),
            Reply::Stall { for_ } => {
                self.stall(for_);
                Next::Close
            }
            Reply::Raw(bytes) => match self
                .stream
                .write_all(&bytes)
                .and_then(|()| self.stream.flush())
            {
                Ok(()) => Next::Close,
                Err(_) => Next::Abort,
            },
        }
    }

    fn trickle(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        chunk: usize,
        interval: Duration,
        keep_alive: bool,
    ) -> Next {
        let started = Instant::now();
        let close = !keep_alive;
        if self
            .write_head(status, headers, Some(body.len()), close)
            .and_then(|()| self.stream.flush())
            .is_err()
        {
            return Next::Abort;
        }
        for piece in body.chunks(chunk.max(1)) {
            if !self.pause(interval, started) {
                return Next::Abort;
            }
            if self
                .stream
                .write_all(piece)
                .and_then(|()| self.stream.flush())
                .is_err()
            {
                return Next::Abort;
            }
        }
        if close {
            Next::Close
        } else {
            Next::KeepAlive
        }
    }

    /// Sleeps for `d` in small slices; false if the server shut down or the fault has run
    /// for [`MAX_FAULT_TIME`] since `started`.
    fn pause(&self, d: Duration, started: Instant) -> bool {
        let until = Instant::now().checked_add(d);
        loop {
            if self.shared.is_shutdown() || started.elapsed() >= MAX_FAULT_TIME {
                return false;
            }
            let now = Instant::now();
            let left = match until {
                Some(until) if now >= until => return true,
                Some(until) => until - now,
                None => POLL,
            };
            thread::sleep(left.min(POLL));
        }
    }

    /// Writes nothing for `d` (capped at [`MAX_FAULT_TIME`]), or until the client closes or
    /// the server shuts down; input is read and discarded meanwhile.
    fn stall(&mut self, d: Duration) {
        let started = Instant::now();
        let d = d.min(MAX_FAULT_TIME);
        let mut tmp = [0u8; 4096];
        while started.elapsed() < d && !self.shared.is_shutdown() {
            match self.stream.read(&mut tmp) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => return,
            }
        }
    }

    /// Sends FIN, then reads and discards input for a short while so that unread input
    /// does not turn the close into a reset before the client has read the response.
    fn close_gracefully(&mut self) {
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(Shutdown::Write);
        let started = Instant::now();
        let mut drained = 0usize;
        let mut tmp = [0u8; 4096];
        while started.elapsed() < DRAIN_TIME && drained < DRAIN_BYTES && !self.shared.is_shutdown()
        {
            match self.stream.read(&mut tmp) {
                Ok(0) => return,
                Ok(n) => drained += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => return,
            }
        }
    }
}
