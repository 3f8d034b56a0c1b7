//! The SDK's one error type, [`Error`], and the server's error, [`ApiError`].
//!
//! Every fallible call returns `Result<T, Error>`. Match on the variant to tell a
//! server refusal ([`Error::Api`]) from a network failure ([`Error::Transport`],
//! [`Error::Timeout`]), a response the SDK could not read ([`Error::Decode`]), or a
//! mistake caught before anything was sent ([`Error::MissingToken`],
//! [`Error::InvalidArgument`]). No variant ever holds a secret.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

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
    /// the builders' `allow_insecure_http(true)` ([`Config::allow_insecure_http`](crate::Config::allow_insecure_http)).
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
    DeviceFlow(crate::device::DeviceFlowError),

    /// The token store could not load or save tokens.
    #[error("token store: {0}")]
    TokenStore(String),

    /// A page walk (`pages()`, `items()`) was stopped because the server's paging would
    /// ask for the same pages forever: it repeated a cursor already requested in this
    /// walk, or gave an offset that does not advance. The pages before were yielded;
    /// this is the walk's last item.
    #[error("{operation}: paging stopped: {reason}")]
    Paging {
        /// The list operation, e.g. `sessions.list_sessions`.
        operation: &'static str,
        /// What the server did.
        reason: crate::paging::PagingError,
    },

    /// The driver broke the protocol of the state machine (for example fed a response
    /// that was never asked for). A bug in the driver, never in the server's data.
    #[error("driver misuse: {0}")]
    Misuse(&'static str),
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
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
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
}

impl ApiError {
    /// True when retrying the same request later may succeed (429 and 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::RateLimited | ErrorKind::Server)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SPAPS answered {}", self.status)?;
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

/// A failure below HTTP: connecting, sending or reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What failed.
    pub kind: TransportErrorKind,
    /// A description from the HTTP client. Holds no headers or bodies.
    pub message: String,
}

impl TransportError {
    /// A transport error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
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
