//! Interceptors: your code around every exchange both clients make.
//!
//! An [`Interceptor`] is told, for every HTTP exchange of a call (each attempt, and the
//! token refresh a call makes):
//! - [`before_send`](Interceptor::before_send): the request is about to go out; add or
//!   change headers (trace propagation, a tenant id). Credential values are hidden from
//!   the [`headers`](OutgoingRequest::headers) view; ask for one by name with
//!   [`header`](OutgoingRequest::header) to read it.
//! - [`on_response`](Interceptor::on_response): a response came back (any status), with
//!   its headers, the time the exchange took and the attempt number.
//! - [`on_transport_error`](Interceptor::on_transport_error): no response (connect
//!   failure, reset, timeout, oversized body).
//! - [`on_retry`](Interceptor::on_retry): the core decided to try again, after a delay,
//!   for a reason; called before the client waits.
//!
//! Register them on either client's builder with `.interceptor(Arc::new(..))`; several
//! run in the order they were added, for every hook. Both clients call them the same
//! way, outside the client's state lock, on the task or thread making the call: keep
//! them quick and never block in an async client. A panic in an interceptor is caught:
//! that call fails with [`Error::Interceptor`] and the client goes on (with
//! `panic = "abort"` there is nothing to catch).
//!
//! Without any interceptor the clients still trace every call with `tracing` (a
//! `spaps.call` span, its attempts, statuses, elapsed times and retries).
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use http::HeaderValue;
//! use spaps_proto::intercept::{Exchange, Interceptor, OutgoingRequest, ResponseInfo};
//!
//! /// Adds a tenant header to every request and counts responses.
//! #[derive(Default)]
//! struct Tenant {
//!     responses: AtomicUsize,
//! }
//!
//! impl Interceptor for Tenant {
//!     fn before_send(&self, _: &Exchange, request: &mut OutgoingRequest<'_>) {
//!         request.insert_header("x-tenant-id", HeaderValue::from_static("acme"));
//!     }
//!     fn on_response(&self, exchange: &Exchange, response: &ResponseInfo<'_>) {
//!         self.responses.fetch_add(1, Ordering::Relaxed);
//!         println!("{} -> {} in {:?}", exchange.operation(), response.status(), response.elapsed());
//!     }
//! }
//! ```

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AsHeaderName, HeaderMap, HeaderName, HeaderValue, IntoHeaderName};
use http::{Method, StatusCode, Uri};

use crate::driver::SendError;
use crate::error::Error;
use crate::headers::is_hidden;

pub use crate::headers::{is_secret_header, redact, REDACTED};
pub use crate::retry::{RetryNotice, RetryReason};

/// Code run around every exchange of a client. Every method has an empty default:
/// implement the ones you need. See the [module docs](self).
pub trait Interceptor: Send + Sync + 'static {
    /// The request is about to be sent: read it, add or change headers.
    fn before_send(&self, exchange: &Exchange, request: &mut OutgoingRequest<'_>) {
        let _ = (exchange, request);
    }

    /// A response came back (2xx or not).
    fn on_response(&self, exchange: &Exchange, response: &ResponseInfo<'_>) {
        let _ = (exchange, response);
    }

    /// The exchange failed without a response (`error` says how); `elapsed` is the
    /// time spent.
    fn on_transport_error(&self, exchange: &Exchange, error: &SendError, elapsed: Duration) {
        let _ = (exchange, error, elapsed);
    }

    /// The exchange will be tried again after `retry.delay` (the client waits once
    /// every interceptor has returned).
    fn on_retry(&self, exchange: &Exchange, retry: &RetryNotice) {
        let _ = (exchange, retry);
    }
}

/// What an interceptor is told about the exchange in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    operation: &'static str,
    method: Method,
    path: &'static str,
    attempt: u32,
    refresh: bool,
}

impl Exchange {
    /// An exchange of `operation` (drivers build these; tests of interceptors too).
    pub fn new(
        operation: &'static str,
        method: Method,
        path: &'static str,
        attempt: u32,
        refresh: bool,
    ) -> Self {
        Self {
            operation,
            method,
            path,
            attempt,
            refresh,
        }
    }

    /// The call's operation, e.g. `sessions.get_current_session` (also for the token
    /// refresh it makes).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's path template, e.g. `/api/sessions/{session_id}` (never the
    /// filled path, which may hold an email address).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The attempt: 1 for the first request of the call, 2 and on for retries and for
    /// the replay after a token refresh; 1 for a token refresh (never retried).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// True when this exchange is the token refresh the call makes before (or after a
    /// 401, instead of) its own request.
    pub fn is_refresh(&self) -> bool {
        self.refresh
    }
}

/// A request about to be sent, as an interceptor may see and change it.
///
/// Credential values (the bearer token, the API key, anything marked sensitive or
/// named like a secret, see [`is_secret_header`]) read [`REDACTED`] in
/// [`headers`](Self::headers); [`header`](Self::header) returns any value by name. The
/// body is not shown: it may hold a password or a token.
pub struct OutgoingRequest<'a> {
    request: &'a mut http::Request<Bytes>,
}

impl<'a> OutgoingRequest<'a> {
    /// A view of `request` (drivers build these; tests of interceptors too).
    pub fn new(request: &'a mut http::Request<Bytes>) -> Self {
        Self { request }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The full URI (path parameters filled in: it may hold an email address).
    pub fn uri(&self) -> &Uri {
        self.request.uri()
    }

    /// The headers, credential values hidden.
    pub fn headers(&self) -> Headers<'_> {
        Headers::new(self.request.headers())
    }

    /// The value of header `name`, in clear even when it is a credential: you asked for
    /// it by name.
    pub fn header<K: AsHeaderName>(&self, name: K) -> Option<&HeaderValue> {
        self.request.headers().get(name)
    }

    /// Sets header `name` to `value`, replacing any value it had. Mark a value that
    /// must stay hidden from later interceptors with [`HeaderValue::set_sensitive`].
    pub fn insert_header<K: IntoHeaderName>(&mut self, name: K, value: HeaderValue) {
        self.request.headers_mut().insert(name, value);
    }

    /// Adds a value to header `name`, keeping the values it had.
    pub fn append_header<K: IntoHeaderName>(&mut self, name: K, value: HeaderValue) {
        self.request.headers_mut().append(name, value);
    }

    /// Removes header `name`; true when it was there.
    pub fn remove_header<K: AsHeaderName>(&mut self, name: K) -> bool {
        self.request.headers_mut().remove(name).is_some()
    }

    /// The size of the body in bytes.
    pub fn body_len(&self) -> usize {
        self.request.body().len()
    }
}

impl fmt::Debug for OutgoingRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("headers", &self.headers())
            .field("body_len", &self.body_len())
            .finish()
    }
}

/// A response, as an interceptor sees it: status, headers, the time the exchange took
/// and the attempt. The body is not shown (it may hold tokens); its size is.
pub struct ResponseInfo<'a> {
    response: &'a http::Response<Bytes>,
    elapsed: Duration,
    attempt: u32,
}

impl<'a> ResponseInfo<'a> {
    /// A view of `response`, received `elapsed` after the request of attempt `attempt`
    /// was handed to the transport (drivers build these; tests of interceptors too).
    pub fn new(response: &'a http::Response<Bytes>, elapsed: Duration, attempt: u32) -> Self {
        Self {
            response,
            elapsed,
            attempt,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The headers, credential values (`set-cookie`, ...) hidden.
    pub fn headers(&self) -> Headers<'a> {
        Headers::new(self.response.headers())
    }

    /// The value of header `name`, in clear: you asked for it by name.
    pub fn header<K: AsHeaderName>(&self, name: K) -> Option<&'a HeaderValue> {
        self.response.headers().get(name)
    }

    /// The server's request id (`x-request-id`), when it sent one.
    pub fn request_id(&self) -> Option<&'a str> {
        self.header("x-request-id").and_then(|v| v.to_str().ok())
    }

    /// From handing the request to the transport to having the whole response (by the
    /// client's clock).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The attempt this response answers (see [`Exchange::attempt`]).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The size of the body in bytes.
    pub fn body_len(&self) -> usize {
        self.response.body().len()
    }
}

impl fmt::Debug for ResponseInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseInfo")
            .field("status", &self.status())
            .field("headers", &self.headers())
            .field("elapsed", &self.elapsed)
            .field("attempt", &self.attempt)
            .field("body_len", &self.body_len())
            .finish()
    }
}

/// Headers with credential values hidden: what interceptors iterate over.
#[derive(Clone, Copy)]
pub struct Headers<'a> {
    map: &'a HeaderMap,
}

impl<'a> Headers<'a> {
    fn new(map: &'a HeaderMap) -> Self {
        Self { map }
    }

    /// The first value of `name` (any case), hidden when it is a credential.
    pub fn get(&self, name: &str) -> Option<HeaderView<'a>> {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = self.map.get(&name)?;
        Some(HeaderView::of(&name, value))
    }

    /// True when header `name` (any case) is present.
    pub fn contains(&self, name: &str) -> bool {
        HeaderName::from_bytes(name.as_bytes()).is_ok_and(|name| self.map.contains_key(name))
    }

    /// Every name and value (a name appears once per value), credentials hidden.
    pub fn iter(&self) -> impl Iterator<Item = (&'a HeaderName, HeaderView<'a>)> + 'a {
        self.map
            .iter()
            .map(|(name, value)| (name, HeaderView::of(name, value)))
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// One header value as an interceptor sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HeaderView<'a> {
    /// An ordinary value.
    Visible(&'a HeaderValue),
    /// A credential: ask for the header by name to read it.
    Redacted,
}

impl<'a> HeaderView<'a> {
    fn of(name: &HeaderName, value: &'a HeaderValue) -> Self {
        if is_hidden(name, value) {
            HeaderView::Redacted
        } else {
            HeaderView::Visible(value)
        }
    }

    /// The value, unless it is hidden.
    pub fn value(self) -> Option<&'a HeaderValue> {
        match self {
            HeaderView::Visible(value) => Some(value),
            HeaderView::Redacted => None,
        }
    }

    /// The value as text, unless it is hidden or not visible ASCII.
    pub fn to_str(self) -> Option<&'a str> {
        self.value().and_then(|v| v.to_str().ok())
    }

    /// True when the value is hidden.
    pub fn is_redacted(self) -> bool {
        matches!(self, HeaderView::Redacted)
    }
}

impl fmt::Debug for HeaderView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderView::Visible(value) => fmt::Debug::fmt(value, f),
            HeaderView::Redacted => f.write_str(REDACTED),
        }
    }
}

impl fmt::Display for HeaderView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderView::Visible(value) => f.write_str(&String::from_utf8_lossy(value.as_bytes())),
            HeaderView::Redacted => f.write_str(REDACTED),
        }
    }
}

/// A client's interceptors, in order, and the one place they are called from: every
/// hook runs each interceptor in turn and turns a panic into [`Error::Interceptor`]
/// (the interceptors after the one that panicked are not called for that hook).
#[derive(Clone, Default)]
pub struct Interceptors {
    chain: Vec<Arc<dyn Interceptor>>,
}

impl Interceptors {
    /// No interceptors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `interceptor` after the others.
    pub fn push(&mut self, interceptor: Arc<dyn Interceptor>) {
        self.chain.push(interceptor);
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.chain.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// Runs [`Interceptor::before_send`] of each on `request`.
    ///
    /// # Errors
    /// [`Error::Interceptor`] when one panicked.
    pub fn before_send(
        &self,
        exchange: &Exchange,
        request: &mut http::Request<Bytes>,
    ) -> Result<(), Error> {
        let mut view = OutgoingRequest::new(request);
        self.each(exchange, "before_send", |i| {
            i.before_send(exchange, &mut view)
        })
    }

    /// Runs [`Interceptor::on_response`] of each.
    ///
    /// # Errors
    /// [`Error::Interceptor`] when one panicked.
    pub fn on_response(
        &self,
        exchange: &Exchange,
        response: &http::Response<Bytes>,
        elapsed: Duration,
    ) -> Result<(), Error> {
        let info = ResponseInfo::new(response, elapsed, exchange.attempt());
        self.each(exchange, "on_response", |i| i.on_response(exchange, &info))
    }

    /// Runs [`Interceptor::on_transport_error`] of each.
    ///
    /// # Errors
    /// [`Error::Interceptor`] when one panicked.
    pub fn on_transport_error(
        &self,
        exchange: &Exchange,
        error: &SendError,
        elapsed: Duration,
    ) -> Result<(), Error> {
        self.each(exchange, "on_transport_error", |i| {
            i.on_transport_error(exchange, error, elapsed)
        })
    }

    /// Runs [`Interceptor::on_retry`] of each.
    ///
    /// # Errors
    /// [`Error::Interceptor`] when one panicked.
    pub fn on_retry(&self, exchange: &Exchange, retry: &RetryNotice) -> Result<(), Error> {
        self.each(exchange, "on_retry", |i| i.on_retry(exchange, retry))
    }

    fn each(
        &self,
        exchange: &Exchange,
        hook: &'static str,
        mut call: impl FnMut(&dyn Interceptor),
    ) -> Result<(), Error> {
        for interceptor in &self.chain {
            // The interceptor gets shared references only (and the request view, which
            // is dropped with the call): a panic leaves nothing of ours half-changed.
            catch_unwind(AssertUnwindSafe(|| call(interceptor.as_ref()))).map_err(|panic| {
                Error::Interceptor {
                    operation: exchange.operation(),
                    hook,
                    message: panic_message(panic.as_ref()),
                }
            })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Interceptors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interceptors({})", self.chain.len())
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn exchange() -> Exchange {
        Exchange::new("sessions.get_current_session", Method::GET, "/p", 1, false)
    }

    fn request() -> http::Request<Bytes> {
        let mut r = http::Request::new(Bytes::from_static(b"{\"password\":\"pw\"}"));
        let mut bearer = HeaderValue::from_static("Bearer at_secret");
        bearer.set_sensitive(true);
        r.headers_mut().insert("authorization", bearer);
        r.headers_mut()
            .insert("x-api-key", HeaderValue::from_static("key_secret"));
        r.headers_mut()
            .insert("accept", HeaderValue::from_static("application/json"));
        r
    }

    #[derive(Default)]
    struct Seen {
        log: Mutex<Vec<String>>,
    }

    impl Interceptor for Seen {
        fn before_send(&self, _: &Exchange, request: &mut OutgoingRequest<'_>) {
            let shown = format!("{request:?}");
            let mut log = self.log.lock().unwrap();
            log.push(shown);
            for (name, value) in request.headers().iter() {
                log.push(format!("{name}={value}"));
            }
            log.push(format!(
                "by name: {:?}",
                request.header("authorization").unwrap()
            ));
            request.insert_header("traceparent", HeaderValue::from_static("00-ab-cd-01"));
        }
    }

    #[test]
    fn secrets_are_hidden_unless_asked_for_by_name() {
        let seen = Arc::new(Seen::default());
        let mut chain = Interceptors::new();
        chain.push(seen.clone());
        let mut r = request();
        chain.before_send(&exchange(), &mut r).unwrap();
        assert_eq!(r.headers()["traceparent"], "00-ab-cd-01");
        let log = seen.log.lock().unwrap().join("\n");
        assert!(!log.contains("key_secret"), "{log}");
        assert!(!log.contains("pw"), "{log}");
        assert!(log.contains("authorization=[redacted]"), "{log}");
        assert!(log.contains("x-api-key=[redacted]"), "{log}");
        assert!(log.contains("accept=application/json"), "{log}");
        // Asked for by name, the value is there (its Debug still says Sensitive).
        assert!(log.contains("by name: Sensitive"), "{log}");
    }

    #[test]
    fn response_headers_named_like_secrets_are_hidden() {
        let mut response = http::Response::new(Bytes::from_static(b"{}"));
        response
            .headers_mut()
            .insert("set-cookie", HeaderValue::from_static("sid=1"));
        response
            .headers_mut()
            .insert("x-request-id", HeaderValue::from_static("req_1"));
        let info = ResponseInfo::new(&response, Duration::from_millis(5), 2);
        assert!(info.headers().get("set-cookie").unwrap().is_redacted());
        assert_eq!(info.header("set-cookie").unwrap(), "sid=1");
        assert_eq!(info.request_id(), Some("req_1"));
        assert_eq!(
            (info.elapsed(), info.attempt()),
            (Duration::from_millis(5), 2)
        );
        assert!(!format!("{info:?}").contains("sid=1"));
    }

    struct Boom;
    impl Interceptor for Boom {
        fn on_retry(&self, _: &Exchange, _: &RetryNotice) {
            panic!("boom at {}", 3);
        }
    }

    #[test]
    fn a_panic_becomes_a_typed_error_and_stops_the_chain() {
        let after = Arc::new(Seen::default());
        let mut chain = Interceptors::new();
        chain.push(Arc::new(Boom));
        chain.push(after.clone());
        let notice = RetryNotice::new(1, Duration::from_millis(10), RetryReason::Timeout);
        match chain.on_retry(&exchange(), &notice) {
            Err(Error::Interceptor {
                operation,
                hook,
                message,
            }) => {
                assert_eq!(operation, "sessions.get_current_session");
                assert_eq!(hook, "on_retry");
                assert_eq!(message, "boom at 3");
            }
            other => panic!("{other:?}"),
        }
        // The other hooks of the panicking interceptor are its defaults.
        let mut r = request();
        chain.before_send(&exchange(), &mut r).unwrap();
        assert!(!after.log.lock().unwrap().is_empty());
    }
}
