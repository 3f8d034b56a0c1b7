//! [`Endpoint`]: one SPAPS operation as data, and [`Execute`]: what a client does with it.
//!
//! Every operation is a struct holding its arguments that implements [`Endpoint`]:
//! how its request is built, how its response is read, and what it does to the stored
//! tokens. A client adapter implements [`Execute`] once, generically; the accessors
//! such as `client.auth().sign_in_with_password(..)` are defined here, in the core,
//! over any `Execute`, so both clients offer every endpoint without endpoint-specific
//! code of their own.

use std::future::IntoFuture;

use bytes::Bytes;

use crate::call::Now;
use crate::error::Error;
use crate::machine::Machine;
use crate::paging::PagePosition;
use crate::secret::Secret;
use crate::spec::RequestSpec;
use crate::state::ClientState;
use crate::tokens::TokenUpdate;

/// One SPAPS operation.
pub trait Endpoint: Send + 'static {
    /// The typed result.
    type Output: Send + 'static;

    /// The operation's name, `group.method` as the reference client names it.
    const NAME: &'static str;

    /// Describes the request. Errors here are local: nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an argument the server would refuse anyway.
    fn request(&self) -> Result<RequestSpec, Error>;

    /// Reads a 2xx response.
    ///
    /// # Errors
    /// [`Error::Decode`] when the body does not fit the model.
    fn parse(&self, response: &http::Response<Bytes>) -> Result<Self::Output, Error>;

    /// What a success does to the stored tokens.
    fn token_update(&self, _output: &Self::Output) -> TokenUpdate {
        TokenUpdate::Keep
    }
}

/// A list endpoint whose results come in pages.
///
/// Implement it with [`crate::paging::next_offset`] or [`crate::paging::next_cursor`];
/// the clients' `pages`/`items` helpers walk every page with it.
pub trait Paginated: Endpoint + Clone {
    /// One item of a page.
    type Item: Send + 'static;

    /// The request for the page after `page`, or `None` when `page` was the last.
    fn next_page(&self, page: &Self::Output) -> Option<Self>;

    /// The items of a page.
    fn into_items(page: Self::Output) -> Vec<Self::Item>;

    /// Where this request's page starts, for the loop guard of a page walk
    /// ([`crate::paging::WalkGuard`]): a walk ends with [`Error::Paging`] when a request
    /// would start at a cursor already requested, or at an offset not past the last.
    ///
    /// Offset-paged endpoints return [`PagePosition::Offset`], cursor-paged ones their
    /// cursor. The default takes the whole request (path and query) as the cursor, so
    /// that a walk that would send the same request twice is stopped.
    fn position(&self) -> PagePosition {
        PagePosition::Cursor(
            self.request()
                .map(|spec| format!("{}?{}", spec.path(), spec.query_string()))
                .unwrap_or_default(),
        )
    }
}

/// Per-call options that are not arguments of the operation.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// A bearer token used instead of the stored one (no refresh is attempted for it).
    pub access_token: Option<Secret>,
    /// An idempotency key, sent as `X-Idempotency-Key`; makes POST and PATCH retryable.
    pub idempotency_key: Option<String>,
    /// The call's overall deadline, instead of the client's
    /// ([`Config::call_timeout`](crate::Config::call_timeout)).
    pub call_timeout: Option<std::time::Duration>,
}

/// A client that can run any [`Endpoint`] (and any [`Machine`]): implemented by
/// `spaps_tokio::Client` (where the outcome is a future) and `spaps_blocking::Client`
/// (where it is the result).
pub trait Execute {
    /// What running a machine with output `T` gives back.
    type Outcome<'a, T: Send + 'static>
    where
        Self: 'a;

    /// Runs the machine `start` builds (it is called once, with the client's state and
    /// the time, before the first poll).
    fn run<M, F>(&self, start: F) -> Self::Outcome<'_, M::Output>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M + Send + 'static;

    /// Runs `endpoint` with `options`.
    fn execute<E: Endpoint>(
        &self,
        endpoint: E,
        options: CallOptions,
    ) -> Self::Outcome<'_, E::Output> {
        self.run(move |state: &ClientState, _now: Now| state.call(endpoint, options))
    }
}

/// A call ready to send: the endpoint, its options and the client to run it on.
/// Optional arguments are set with the methods named after them; then call
/// [`Request::send`] (or `.await` it on an async client).
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'a, X, E> {
    client: &'a X,
    endpoint: E,
    options: CallOptions,
}

impl<'a, X: Execute, E: Endpoint> Request<'a, X, E> {
    /// A request of `endpoint` on `client`.
    pub fn new(client: &'a X, endpoint: E) -> Self {
        Self {
            client,
            endpoint,
            options: CallOptions::default(),
        }
    }

    /// Uses `token` as the bearer token for this call instead of the stored one.
    pub fn access_token(mut self, token: impl Into<Secret>) -> Self {
        self.options.access_token = Some(token.into());
        self
    }

    /// Attaches an idempotency key, kept the same on every retry.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.options.idempotency_key = Some(key.into());
        self
    }

    /// Sets this call's overall deadline (every attempt, backoff and token refresh
    /// together), instead of the client's.
    pub fn call_timeout(mut self, limit: std::time::Duration) -> Self {
        self.options.call_timeout = Some(limit);
        self
    }

    /// The endpoint and its arguments.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// Changes the endpoint's arguments in place.
    pub fn with(mut self, change: impl FnOnce(&mut E)) -> Self {
        change(&mut self.endpoint);
        self
    }

    /// The client, the endpoint and the options.
    pub fn into_parts(self) -> (&'a X, E, CallOptions) {
        (self.client, self.endpoint, self.options)
    }

    /// Sends the request.
    pub fn send(self) -> X::Outcome<'a, E::Output> {
        self.client.execute(self.endpoint, self.options)
    }
}

impl<'a, X, E> IntoFuture for Request<'a, X, E>
where
    X: Execute,
    E: Endpoint,
    X::Outcome<'a, E::Output>: std::future::Future,
{
    type Output = <X::Outcome<'a, E::Output> as std::future::Future>::Output;
    type IntoFuture = X::Outcome<'a, E::Output>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

impl<X, E: std::fmt::Debug> std::fmt::Debug for Request<'_, X, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("endpoint", &self.endpoint)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A value a setter accepts for an argument of type `T`: `T` itself, and `&str` or
/// `&String` where `T` is `String` or [`Secret`]. (Unlike `Into`, it lets an integer
/// literal such as `.limit(20)` take the argument's type.)
pub trait Arg<T> {
    /// The argument.
    fn into_arg(self) -> T;
}

impl<T> Arg<T> for T {
    fn into_arg(self) -> T {
        self
    }
}

impl Arg<String> for &str {
    fn into_arg(self) -> String {
        self.to_owned()
    }
}

impl Arg<String> for &String {
    fn into_arg(self) -> String {
        self.clone()
    }
}

impl Arg<Secret> for &str {
    fn into_arg(self) -> Secret {
        Secret::new(self)
    }
}

impl Arg<Secret> for String {
    fn into_arg(self) -> Secret {
        Secret::new(self)
    }
}

impl Arg<Secret> for &String {
    fn into_arg(self) -> Secret {
        Secret::new(self.as_str())
    }
}

/// Generates setters for optional arguments on [`Request`] of one endpoint:
/// `setters!(ListSessions { limit: u32, starting_after: String })` gives
/// `.limit(20)` and `.starting_after("s_1")`, each storing `Some(value)` (see [`Arg`]).
#[macro_export]
#[doc(hidden)]
macro_rules! setters {
    ($endpoint:ty { $($field:ident : $ty:ty),* $(,)? }) => {
        impl<'a, X: $crate::Execute> $crate::Request<'a, X, $endpoint> {
            $(
                #[doc = concat!("Sets the optional argument `", stringify!($field), "`.")]
                pub fn $field(self, value: impl $crate::Arg<$ty>) -> Self {
                    self.with(|e| e.$field = Some($crate::Arg::into_arg(value)))
                }
            )*
        }
    };
}
