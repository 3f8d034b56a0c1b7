//! The SDK's one error type, [`Error`], and the server's error, [`ApiError`].
//!
//! Every fallible call returns `Result<T, Error>`. Match on the variant to tell a
//! server refusal ([`Error::Api`]) from a network failure ([`Error::Transport`],
//! [`Error::Timeout`]), a response the SDK could not read ([`Error::Decode`]), or a
//! mistake caught before anything was sent ([`Error::MissingToken`],
//! [`Error::InvalidArgument`]). No variant ever holds a secret.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// Everything that can go wrong in a call.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status (4xx or 5xx).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The request could not be sent or the response could not be read.
    #[error(transparent)]
    Transport(TransportError),

    /// No response came within the configured timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),

    /// A 2xx response whose body does not fit the expected model.
    #[error(transparent)]
    Decode(DecodeError),

    /// The server answered with a redirect. Redirects are never followed, so that
    /// credentials never travel to another origin.
    #[error("the server answered {status} (redirect to {location:?}); redirects are not followed")]
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, when there was one.
        location: Option<String>,
    },

    /// The response body was larger than the configured limit.
    #[error("the response body exceeds the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
    },

    /// The operation needs an access token and none was given or stored. Nothing was sent.
    #[error("{operation} needs an access token: sign in first or pass one with `access_token`")]
    MissingToken {
        /// The operation, e.g. `sessions.get_current_session`.
        operation: &'static str,
    },

    /// The request would carry credentials (the API key, a bearer token, a password or
    /// a refresh token) over plain `http://` to a host that is not this machine
    /// (loopback: `127.0.0.0/8`, `::1`, `localhost`), or through a proxy that is not
    /// on this machine. Nothing was sent. Use `https://`, or allow it explicitly with
    /// the builders' `allow_insecure_http(true)` ([`Config::with_insecure_http`](crate::Config::with_insecure_http)).
    #[error("refusing to send credentials in clear over http:// to {host}: use https://, or allow it with `allow_insecure_http(true)`")]
    InsecureTransport {
        /// The host the credentials would have gone to in clear.
        host: String,
    },

    /// An argument was rejected before anything was sent.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// The call did not finish within its overall deadline (retries, backoff, waiting
    /// for a token refresh and the refresh itself included). Set it with
    /// `Config::with_call_timeout` or per request with `.call_timeout(..)`.
    #[error("{operation} did not finish within its overall deadline of {limit:?}")]
    DeadlineExceeded {
        /// The operation, e.g. `sessions.get_current_session`.
        operation: &'static str,
        /// The overall time the call was allowed.
        limit: Duration,
    },

    /// The automatic token refresh failed; the original call was not made again.
    #[error("refreshing the access token failed: {0}")]
    RefreshFailed(Box<Error>),

    /// Device-code login ended without tokens.
    #[error(transparent)]
    DeviceFlow(DeviceFlowError),

    /// The token store could not load or save tokens. The store's own error (an
    /// `std::io::Error`, ...) is the [`source`](std::error::Error::source) of the
    /// [`StoreError`].
    #[error("token store: {0}")]
    TokenStore(#[source] StoreError),

    /// An interceptor (`spaps_proto::intercept::Interceptor`) panicked. The call fails with
    /// this error (the request may or may not have been sent); the client and its other
    /// calls go on.
    #[error("{operation}: interceptor panicked in {hook}: {message}")]
    Interceptor {
        /// The operation whose exchange the interceptor was running for.
        operation: &'static str,
        /// The hook: `before_send`, `on_response`, `on_transport_error` or `on_retry`.
        hook: &'static str,
        /// The panic's message, when it was a string.
        message: String,
    },

    /// A page walk (`pages()`, `items()`) was stopped because the server's paging would
    /// ask for the same pages forever: it repeated a cursor already requested in this
    /// walk, or gave an offset that does not advance. The pages before were yielded;
    /// this is the walk's last item.
    #[error("{operation}: paging stopped: {reason}")]
    Paging {
        /// The list operation, e.g. `sessions.list_sessions`.
        operation: &'static str,
        /// What the server did.
        reason: PagingError,
    },

    /// The driver broke the protocol of the state machine (for example fed a response
    /// that was never asked for). A bug in the driver, never in the server's data.
    #[error("driver misuse: {0}")]
    Misuse(Misuse),
}

/// How a driver (or code around the SDK) broke the protocol of a state machine: always a
/// bug on the caller's side, never the server's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misuse {
    /// A machine was polled after it returned `Done`.
    #[error("polled after the machine was done")]
    PolledAfterDone,
    /// A machine was polled while the driver owed it a response or a store reload.
    #[error("polled while a response or a store reload was outstanding")]
    PolledWhileOutstanding,
    /// A response was fed while no request was outstanding.
    #[error("a response was fed while none was outstanding")]
    UnexpectedResponse,
    /// A transport failure was fed while no request was outstanding.
    #[error("an error was fed while no request was outstanding")]
    UnexpectedError,
    /// A store reload was fed while none was asked for.
    #[error("a store reload was fed while none was asked for")]
    UnexpectedReload,
    /// The machine was abandoned before it was done.
    #[error("the call was abandoned before it was done")]
    Abandoned,
    /// An endpoint's path template and its parameters disagree (a bug in an endpoint).
    #[error("an endpoint's path template and its parameters disagree")]
    PathTemplate,
    /// The client options were used while they were being changed.
    #[error("the client options were in use")]
    OptionsInUse,
    /// No TLS backend is compiled into the client.
    #[error("no TLS backend is compiled in")]
    NoTlsBackend,
    /// Anything else a custom driver or test harness reports.
    #[error("{0}")]
    Other(&'static str),
}

impl Error {
    /// The server's error, when this is one (looking through a failed refresh).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::RefreshFailed(inner) => inner.api(),
            Error::DeviceFlow(e) => e.api(),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Redirect { status, .. } => Some(*status),
            _ => self.api().map(|e| e.status),
        }
    }

    /// True when the server refused the credentials (401), directly or while refreshing
    /// them: the user has to sign in again.
    pub fn is_unauthenticated(&self) -> bool {
        self.api()
            .is_some_and(|e| e.kind == ErrorKind::Unauthenticated)
    }

    /// True for an error raised before any request was sent.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            Error::MissingToken { .. }
                | Error::InvalidArgument { .. }
                | Error::InsecureTransport { .. }
        )
    }

    /// A [`Error::TokenStore`] with `message` and no source.
    pub fn store(message: impl Into<String>) -> Self {
        Error::TokenStore(StoreError::new(message))
    }

    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

/// What kind of refusal an [`ApiError`] is, from its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 or 422: the request was malformed or failed validation.
    Validation,
    /// 401: missing, invalid or expired credentials.
    Unauthenticated,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404.
    NotFound,
    /// 409: conflicts with the current state.
    Conflict,
    /// 429: too many requests.
    RateLimited,
    /// 5xx.
    Server,
    /// Any other 4xx.
    Client,
}

impl ErrorKind {
    /// The kind of an error status.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Client,
        }
    }
}

/// An error response from SPAPS.
///
/// Besides what the server said (status, code, message, details), it keeps the
/// operation that failed and the response itself: its headers, with the values of
/// credential headers (`set-cookie`, `authorization`, ... see
/// `spaps_proto::intercept::is_secret_header`) replaced by `[redacted]`,
/// and its body as received, up to [`ApiError::BODY_LIMIT`] bytes. `Display` shows the
/// operation, the status, the code, the message and the request id, never a header or
/// the body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation that failed, e.g. `sessions.get_current_session` (for a failed
    /// token refresh, `auth.refresh_tokens`).
    pub operation: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// The kind, from the status.
    pub kind: ErrorKind,
    /// The server's error code, e.g. `VALIDATION_ERROR`.
    pub code: Option<String>,
    /// The server's message, or a description of the status when it sent none.
    pub message: String,
    /// The request id: the `x-request-id` header, else `metadata.request_id`.
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The server's `error.details`, when present.
    pub details: Option<serde_json::Value>,
    /// The response headers, credential values redacted.
    pub headers: HeaderMap,
    /// The response body as received, cut at [`ApiError::BODY_LIMIT`] bytes.
    pub body: Bytes,
    /// True when the body was longer than [`ApiError::BODY_LIMIT`] and `body` holds
    /// only its start.
    pub body_truncated: bool,
}

impl ApiError {
    /// How much of an error response's body is kept: 16 KiB.
    pub const BODY_LIMIT: usize = 16 * 1024;

    /// True when retrying the same request later may succeed (429 and 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::RateLimited | ErrorKind::Server)
    }

    /// The body as text, when it is UTF-8 (cut at [`ApiError::BODY_LIMIT`]; a cut
    /// inside a character leaves that character out).
    pub fn body_text(&self) -> Option<&str> {
        match std::str::from_utf8(&self.body) {
            Ok(text) => Some(text),
            Err(e) if self.body_truncated && e.error_len().is_none() => {
                std::str::from_utf8(&self.body[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: SPAPS answered {}", self.operation, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A shareable error from below the SDK (an HTTP client's, a store's), kept as the
/// [`source`](std::error::Error::source) of the SDK's error.
pub type SourceError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A failure below HTTP: connecting, sending or reading. The HTTP client's own error,
/// when the driver kept it, is its [`source`](std::error::Error::source).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportError {
    /// What failed.
    pub kind: TransportErrorKind,
    /// A description from the HTTP client. Holds no headers or bodies.
    pub message: String,
    source: Option<SourceError>,
}

impl TransportError {
    /// A transport error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Keeps `source`, the HTTP client's error, as this error's
    /// [`source`](std::error::Error::source).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for TransportError {
    /// Compares the kind and the message (sources are not comparable).
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for TransportError {}

/// A token store failure: what failed, and the store's own error as its
/// [`source`](std::error::Error::source) when there was one.
///
/// ```
/// use std::error::Error as _;
/// use spaps_proto::StoreError;
/// let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
/// let e = StoreError::with_source("cannot write tokens.json", io);
/// assert_eq!(e.to_string(), "cannot write tokens.json");
/// assert_eq!(e.source().unwrap().to_string(), "denied");
/// ```
#[derive(Debug, Clone)]
pub struct StoreError {
    message: String,
    source: Option<SourceError>,
}

impl StoreError {
    /// A store error with no underlying error.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A store error caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Arc::new(source)),
        }
    }

    /// What failed (without the source's text).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::TokenStore(e)
    }
}

/// The stage at which a transport failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, proxy).
    Connect,
    /// The TLS handshake failed: the server's certificate is not trusted, names
    /// another host or has expired, the server asked for a client certificate that was
    /// not given, or the two sides share no protocol version or cipher suite.
    Tls,
    /// The connection broke while sending or before the response headers.
    Send,
    /// The connection broke while reading the body, or the body was shorter than declared.
    Body,
    /// Anything else the HTTP client reported.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Tls => "TLS handshake failed",
            TransportErrorKind::Send => "connection failed before the response",
            TransportErrorKind::Body => "connection failed while reading the response body",
            TransportErrorKind::Other => "transport failure",
        })
    }
}

/// A 2xx body that does not fit the expected model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: cannot decode the response at `{path}`: {reason}")]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation whose response it was.
    pub operation: &'static str,
    /// The offending field path, e.g. `data.user.id` (`.` for the whole body).
    pub path: String,
    /// What was wrong, without the body itself.
    pub reason: String,
}

impl DecodeError {
    /// A decode error at `path`.
    pub fn new(
        operation: &'static str,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            operation,
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// How a device-code login ended without tokens.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceFlowError {
    /// The user refused (`access_denied`).
    #[error("the user denied the login: {0}")]
    Denied(Box<ApiError>),
    /// The server says the device code expired (`expired_token`).
    #[error("the device code expired: {0}")]
    Expired(Box<ApiError>),
    /// The device code's lifetime ran out before the user approved.
    #[error("no approval within the device code's lifetime of {0:?}")]
    DeadlineReached(Duration),
    /// The login's own time limit
    /// ([`DeviceLoginOptions::timeout`](crate::device::DeviceLoginOptions::timeout)) ran
    /// out before the user approved.
    #[error("the device login did not finish within its timeout of {0:?}")]
    TimedOut(Duration),
}

impl DeviceFlowError {
    /// The server's error, for `Denied` and `Expired`.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            DeviceFlowError::Denied(e) | DeviceFlowError::Expired(e) => Some(e),
            DeviceFlowError::DeadlineReached(_) | DeviceFlowError::TimedOut(_) => None,
        }
    }
}

/// Why a page walk was stopped (the `reason` of [`Error::Paging`]). Holds no
/// cursor value: only page numbers and offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagingError {
    /// After page `page`, the server pointed at a cursor already requested in this walk.
    #[error("after page {page}, the server sent a cursor already requested in this walk")]
    RepeatedCursor {
        /// The number of the page (from 1) whose answer repeated a cursor.
        page: u32,
    },
    /// After page `page`, the next offset does not move past the last one.
    #[error("after page {page}, the next offset {next} does not move past offset {previous}")]
    OffsetNotAdvancing {
        /// The number of the page (from 1) whose answer gave the offset.
        page: u32,
        /// The offset of the last page requested.
        previous: u64,
        /// The offset the walk would have asked for next.
        next: u64,
    },
}
