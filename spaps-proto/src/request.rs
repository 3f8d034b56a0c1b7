//! [`Execute`]: what a client does with an [`Endpoint`], and [`Request`]: one call
//! ready to send, with its optional arguments.
//!
//! A client adapter implements [`Execute`] once, generically; the accessors such as
//! `client.auth().sign_in_with_password(..)` are defined in the core over any `Execute`,
//! so both clients offer every endpoint without endpoint-specific code of their own.

use std::future::IntoFuture;

use crate::driver::Now;
use crate::endpoint::{CallOptions, Endpoint};
use crate::machine::Machine;
use crate::secret::Secret;
use crate::state::ClientState;

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
