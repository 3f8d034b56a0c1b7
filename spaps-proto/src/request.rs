//! [`Execute`]: what a client does with an [`Endpoint`]; [`Unbound`] and [`Bound`]: the
//! binding of an endpoint struct, plain or on a client with its call options.
//!
//! Every endpoint struct is generic over its binding. `ListSessions::new()` is a
//! `ListSessions<Unbound>`: a value that implements [`Endpoint`]. A group accessor such
//! as `client.sessions().list_sessions()` (or `ListSessions::new().on(&client)`) gives a
//! `ListSessions<Bound<'_, Client>>`. Both have the endpoint's setters (`.limit(20)`),
//! written once on the endpoint's own type; the bound one adds the call options and
//! `send` (and `IntoFuture` on an async client).
//!
//! A client adapter implements [`Execute`] once, generically; the accessors are defined
//! in the core over any `Execute`, so both clients offer every endpoint without
//! endpoint-specific code of their own.

use crate::call::Call;
use crate::config::Config;
use crate::driver::Now;
use crate::endpoint::{CallOptions, Endpoint};
use crate::machine::Machine;
use crate::secret::Secret;

/// A client that can run any [`Endpoint`] (and any [`Machine`]): implemented by
/// `spaps_tokio::Client` (where the outcome is a future) and `spaps_blocking::Client`
/// (where it is the result).
pub trait Execute {
    /// What running a machine with output `T` gives back.
    type Outcome<'a, T: Send + 'static>
    where
        Self: 'a;

    /// Runs the machine `start` builds (it is called once, with the client's
    /// configuration and the time, before the first poll, and without the state lock:
    /// building the request is the larger part of a call's own work).
    fn run<M, F>(&self, start: F) -> Self::Outcome<'_, M::Output>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static;

    /// Runs `endpoint` with `options`.
    fn execute<E: Endpoint>(
        &self,
        endpoint: E,
        options: CallOptions,
    ) -> Self::Outcome<'_, E::Output> {
        self.run(move |config: &Config, _now: Now| Call::new(config, endpoint, options))
    }
}

/// The binding of an endpoint built on its own: a plain value, to hand to
/// [`Execute::execute`], serialize, or bind later with the endpoint's `on(client)`.
///
/// Every endpoint struct has a binding type parameter that defaults to `Unbound`, so
/// `ListSessions` means `ListSessions<Unbound>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Unbound;

/// The binding of an endpoint to a client, with the call's options: what a group
/// accessor returns, e.g. `client.sessions().list_sessions()` is a
/// `ListSessions<Bound<'_, Client>>`.
///
/// The endpoint's own type holds everything that can be set on it: its optional
/// arguments (on every binding), and on a bound one `access_token`, `idempotency_key`,
/// `call_timeout`, then `send` (or `.await` on an async client) and, for a list
/// endpoint, `pages`.
pub struct Bound<'a, X> {
    client: &'a X,
    options: CallOptions,
}

impl<'a, X: Execute> Bound<'a, X> {
    /// A binding to `client` with default options.
    pub(crate) fn new(client: &'a X) -> Self {
        Self {
            client,
            options: CallOptions::default(),
        }
    }

    /// The call's options, for the generated setters.
    pub(crate) fn options_mut(&mut self) -> &mut CallOptions {
        &mut self.options
    }

    /// Runs `endpoint` on the client with these options.
    pub(crate) fn send<E: Endpoint>(self, endpoint: E) -> X::Outcome<'a, E::Output> {
        self.client.execute(endpoint, self.options)
    }

    /// The client and the options.
    pub(crate) fn into_parts(self) -> (&'a X, CallOptions) {
        (self.client, self.options)
    }
}

impl<X> Clone for Bound<'_, X> {
    fn clone(&self) -> Self {
        Self {
            client: self.client,
            options: self.options.clone(),
        }
    }
}

impl<X> std::fmt::Debug for Bound<'_, X> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
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
