//! The driver contract: what a driver passes in ([`Now`], from a [`Clock`]) and what it
//! must do next ([`Output`]). [`Machine`](crate::Machine) is the state machine a driver
//! runs; [`Call`](crate::Call) is the one most drivers meet.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, TransportError};
use crate::timestamp::Timestamp;

/// The two clocks a call reads, passed in by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for backoff deadlines.
    pub instant: Instant,
    /// Wall time, for token expiry and `Retry-After` dates.
    pub wall: Timestamp,
}

impl Now {
    /// Both clocks.
    pub fn new(instant: Instant, wall: Timestamp) -> Self {
        Self { instant, wall }
    }
}

/// A source of [`Now`]. Drivers read the real clocks; tests pass a virtual one.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Both clocks, now.
    fn now(&self) -> Now;

    /// The monotonic clock alone: what a driver reads to time an exchange or a wait
    /// (the wall clock costs a conversion it does not need). Default: `now().instant`.
    fn instant(&self) -> Instant {
        self.now().instant
    }
}

/// What the driver must do next.
///
/// `Debug` shows a request's method and URI only: request bodies carry passwords and
/// tokens, so never log an `http::Request` the core built with `{:?}` yourself.
pub enum Output<T> {
    /// Send this request and feed back the response or the failure.
    Send(http::Request<Bytes>),
    /// Sleep until this instant, then poll again.
    Sleep(Instant),
    /// Wait until a refresh run by another call settles
    /// ([`Event::RefreshSettled`](crate::Event::RefreshSettled)) or until this instant
    /// (the refresh's lease, or the call's deadline), whichever comes first; then poll
    /// again. `None`: no time limit.
    AwaitRefresh(Option<Instant>),
    /// Take the token store's refresh lock
    /// ([`TokenStore::lock_refresh`](crate::TokenStore::lock_refresh)), re-read the
    /// store and feed a [`StoreSnapshot`](crate::StoreSnapshot) (or the store's error) to
    /// [`Machine::handle_reload`](crate::Machine::handle_reload). Hold the lock until the machine is no longer
    /// [refreshing](crate::Machine::refreshing) and the resulting token events are persisted.
    ReloadStore,
    /// The call is over.
    Done(Result<T, Error>),
}

impl<T: std::fmt::Debug> std::fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Send(r) => write!(f, "Send({} {})", r.method(), r.uri()),
            Output::Sleep(t) => f.debug_tuple("Sleep").field(t).finish(),
            Output::AwaitRefresh(t) => f.debug_tuple("AwaitRefresh").field(t).finish(),
            Output::ReloadStore => f.write_str("ReloadStore"),
            Output::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

impl<T> Output<T> {
    /// Splits off a successful result: `Err(value)` for `Done(Ok(value))`, else the
    /// same output re-typed (for machines that chain calls).
    pub fn split_value<U>(self) -> Result<Output<U>, T> {
        match self {
            Output::Done(Ok(value)) => Err(value),
            Output::Done(Err(e)) => Ok(Output::Done(Err(e))),
            Output::Send(r) => Ok(Output::Send(r)),
            Output::Sleep(t) => Ok(Output::Sleep(t)),
            Output::AwaitRefresh(t) => Ok(Output::AwaitRefresh(t)),
            Output::ReloadStore => Ok(Output::ReloadStore),
        }
    }
}

/// Why an exchange ended without a response: the failures a driver can observe, fed to
/// [`Machine::handle_error`](crate::Machine::handle_error). The call turns it into the
/// [`Error`] of the same name when it gives up.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Connecting, TLS, writing the request or reading the response failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// No response came within the attempt's timeout (this long).
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The response body is larger than the limit.
    #[error("response body larger than {limit} bytes")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl From<SendError> for Error {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Transport(e) => Error::Transport(e),
            SendError::Timeout(after) => Error::Timeout(after),
            SendError::ResponseTooLarge { limit } => Error::ResponseTooLarge { limit },
        }
    }
}
