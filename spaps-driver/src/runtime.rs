//! [`Runtime`]: what a client adapter provides (its transport, its way of waiting and
//! its drive loop), and [`CallGuard`], the `Drop` guard every drive loop holds.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use spaps_proto::{ClientState, Config, Error, Machine, Now, Tokens};

use crate::client::Client;
use crate::tls::NetOptions;

/// A way to run SPAPS calls: an async runtime (`spaps_tokio::Tokio`) or plain threads
/// (`spaps_blocking::Blocking`). [`Client<R>`](Client) and
/// [`ClientBuilder<R>`](crate::ClientBuilder) are written once over it; an adapter
/// crate implements it and names the client with a type alias.
///
/// A value of the runtime is the per-client part only the adapter knows: its HTTP
/// transport, its sleeper and the signal that wakes calls waiting for a refresh.
pub trait Runtime: Debug + Send + Sync + Sized + 'static {
    /// The HTTP client a caller may pass instead of the one the SDK builds
    /// ([`ClientBuilder::http_client`](crate::ClientBuilder::http_client)).
    type Http: Debug + Send + Sync + 'static;

    /// How calls wait for retry backoffs (a trait object of the adapter's sleeper
    /// trait), replaceable in tests
    /// ([`ClientBuilder::sleeper`](crate::ClientBuilder::sleeper)).
    type Sleeper: ?Sized + Debug + Send + Sync + 'static;

    /// What a call gives back: a future of the result, or the result.
    type Outcome<'a, T: Send + 'static>;

    /// Builds the runtime's part of a client for `config` and `net`, with the caller's
    /// HTTP client and sleeper when given.
    ///
    /// # Errors
    /// A bad TLS, proxy or HTTP-client setting.
    fn new(
        config: &Config,
        net: &NetOptions,
        http: Option<Self::Http>,
        sleeper: Option<Arc<Self::Sleeper>>,
    ) -> Result<Self, Error>;

    /// Runs the machine `start` builds on `client` to completion.
    fn run<M, F>(client: &Client<Self>, start: F) -> Self::Outcome<'_, M::Output>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M + Send + 'static;

    /// Replaces the client's tokens (`None` clears them) and persists the change.
    fn replace_tokens(client: &Client<Self>, tokens: Option<Tokens>) -> Self::Outcome<'_, ()>;

    /// Wakes the calls waiting for a token refresh to settle.
    fn wake_waiters(&self);
}

/// Holds the machine of one call, and abandons it when dropped before the call is
/// done (its future was dropped, its thread unwound): a token refresh the call owned
/// is handed back and the calls waiting on it are woken, as quinn's
/// `Drop for ConnectionRef` tells the connection a handle went away.
#[derive(Debug)]
pub struct CallGuard<'a, R: Runtime, M: Machine> {
    client: &'a Client<R>,
    machine: M,
    done: bool,
}

impl<'a, R: Runtime, M: Machine> CallGuard<'a, R, M> {
    /// Starts the machine `start` builds, with the client's state and time.
    pub fn start<F: FnOnce(&ClientState, Now) -> M>(client: &'a Client<R>, start: F) -> Self {
        Self {
            machine: client.shared().start(start),
            client,
            done: false,
        }
    }

    /// The machine.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine, to feed.
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// What is left of the machine's deadline, by the client's clock (`None`: no
    /// deadline). A driver bounds the request it sends by it.
    pub fn time_left(&self) -> Option<Duration> {
        let now = self.client.shared().instant();
        self.machine
            .deadline()
            .map(|deadline| deadline.saturating_duration_since(now))
    }

    /// The machine is done: nothing to abandon.
    pub fn disarm(&mut self) {
        self.done = true;
    }
}

impl<R: Runtime, M: Machine> Drop for CallGuard<'_, R, M> {
    fn drop(&mut self) {
        if !self.done {
            // Abandoning persists nothing: waking the waiters is all there is to do.
            let effects = self.client.shared().abandon(&mut self.machine);
            if effects.refresh_settled {
                self.client.runtime().wake_waiters();
            }
        }
    }
}
