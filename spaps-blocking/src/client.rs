//! [`Client`] and [`ClientBuilder`].

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use spaps_driver::{ClientOptions, Effects, Shared, SystemClock};
use spaps_proto::{ClientState, Config, Error, Execute, Machine, Now, Output, Tokens};

use crate::transport::Transport;

/// A blocking SPAPS client. Cheap to clone; clones share tokens and connections.
///
/// ```no_run
/// let client = spaps_blocking::Client::builder()
///     .base_url("https://api.sweetpotato.dev")
///     .api_key("spaps_live_...")
///     .build()?;
/// let pair = client.auth().sign_in_with_password("ada@example.com", "secret").send()?;
/// let session = client.sessions().get_current_session().send()?;
/// # Ok::<(), spaps_blocking::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Shared,
    /// Counts settled refreshes; waiting calls sleep on `settled` until it moves.
    settles: Mutex<u64>,
    settled: Condvar,
    transport: Transport,
    sleeper: Arc<dyn Sleeper>,
}

/// How the client waits between retries. Replace it in tests to avoid real sleeps.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);
}

/// Sleeps the current thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl Client {
    /// A builder, starting from the defaults (`http://localhost:3301`, no API key).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `SPAPS_API_URL`, `SPAPS_API_KEY` and
    /// `SPAPS_REQUEST_TIMEOUT`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unusable value.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// A client for `config` with the default token store.
    ///
    /// # Errors
    /// None today; kept fallible for stores that load on start.
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new().config(config).build()
    }

    spaps_driver::client_methods!();

    /// Uses and stores `tokens` (e.g. obtained elsewhere). A refresh in flight is
    /// cancelled: its result will not overwrite these tokens.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub fn set_tokens(&self, tokens: Tokens) -> Result<(), Error> {
        self.replace_tokens(Some(tokens))
    }

    /// Uses and stores `tokens` with their access token expiring `expires_in` from now
    /// (the client's clock): the reference's `set_tokens(.., expires_in=..)`, without
    /// computing a timestamp by hand.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub fn set_tokens_expiring_in(
        &self,
        tokens: Tokens,
        expires_in: Duration,
    ) -> Result<(), Error> {
        let now = self.inner.shared.now().wall;
        self.set_tokens(tokens.with_expires_in(expires_in, now))
    }

    /// Forgets the tokens, in memory and in the store. A refresh in flight is
    /// cancelled: its result will not sign the client back in.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot clear them.
    pub fn clear_tokens(&self) -> Result<(), Error> {
        self.replace_tokens(None)
    }

    fn replace_tokens(&self, tokens: Option<Tokens>) -> Result<(), Error> {
        let effects = self.inner.shared.set_tokens(tokens);
        self.inner.apply(effects)
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    fn drive<M, F>(&self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M,
    {
        let inner = &*self.inner;
        let mut guard = Guard {
            inner,
            machine: inner.shared.start(start),
            done: false,
        };
        let span = crate::trace::call_span(&guard.machine);
        let _entered = span.enter();
        // Held from a store reload until the refresh it guards is persisted.
        let mut store_lock: Option<spaps_proto::RefreshLock> = None;
        loop {
            let seen = *inner.settles();
            let (output, effects) = inner.shared.poll(&mut guard.machine);
            inner.apply(effects)?;
            match output {
                Output::Send(request) => {
                    crate::trace::sending(&span, &guard.machine);
                    // Interceptors run around the exchange, outside the lock.
                    let (request, sending) = inner.shared.before_send(&guard.machine, request)?;
                    let within = remaining(guard.machine.deadline(), inner.shared.now());
                    let result = inner.transport.send(request, within);
                    crate::trace::received(&span, &result);
                    let (effects, hooked) =
                        inner.shared.after_send(&mut guard.machine, sending, result);
                    inner.apply(effects)?;
                    hooked?;
                }
                Output::ReloadStore => {
                    let (snapshot, lock) = inner.shared.writer().reload();
                    store_lock = lock;
                    let effects = inner.shared.feed_reload(&mut guard.machine, snapshot);
                    inner.apply(effects)?;
                }
                Output::Sleep(until) => {
                    let now = inner.shared.now().instant;
                    if until > now {
                        inner.sleeper.sleep(until - now);
                    }
                }
                Output::AwaitRefresh(until) => inner.await_settle(seen, until),
                Output::Done(result) => {
                    guard.disarm();
                    return result;
                }
            }
            if !guard.machine.refreshing() {
                // The refresh the lock guarded is persisted (or was never sent).
                drop(store_lock.take());
            }
        }
    }
}

impl Inner {
    fn settles(&self) -> MutexGuard<'_, u64> {
        self.settles.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes waiting calls and persists token changes, in that order.
    fn apply(&self, effects: Effects) -> Result<(), Error> {
        if effects.refresh_settled {
            *self.settles() += 1;
            self.settled.notify_all();
        }
        self.shared.writer().persist(effects.persist)
    }

    /// Blocks until a refresh settles after `seen`, or until `until`.
    fn await_settle(&self, seen: u64, until: Option<std::time::Instant>) {
        let mut settles = self.settles();
        while *settles == seen {
            settles = match until {
                None => self
                    .settled
                    .wait(settles)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(until) => {
                    let now = self.shared.now().instant;
                    if now >= until {
                        return;
                    }
                    let (settles, timeout) = self
                        .settled
                        .wait_timeout(settles, until - now)
                        .unwrap_or_else(PoisonError::into_inner);
                    if timeout.timed_out() {
                        return;
                    }
                    settles
                }
            };
        }
    }
}

/// What is left of a deadline.
fn remaining(deadline: Option<Instant>, now: Now) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(now.instant))
}

/// Abandons the machine if the call unwinds before it is done (a panic in a store or a
/// callback), so a refresh it owned does not strand the other calls.
struct Guard<'a, M: Machine> {
    inner: &'a Inner,
    machine: M,
    done: bool,
}

impl<M: Machine> Guard<'_, M> {
    /// The machine is done: nothing to abandon.
    fn disarm(&mut self) {
        self.done = true;
    }
}

impl<M: Machine> Drop for Guard<'_, M> {
    fn drop(&mut self) {
        if !self.done {
            let effects = self.inner.shared.abandon(&mut self.machine);
            // Nothing to persist comes of abandoning; a store error cannot be reported
            // from here, and waking the waiters is what matters.
            let _ = self.inner.apply(effects);
        }
    }
}

impl Execute for Client {
    type Outcome<'a, T: Send + 'static> = Result<T, Error>;

    fn run<M, F>(&self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M + Send + 'static,
    {
        self.drive(start)
    }
}

/// Builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    options: ClientOptions,
    sleeper: Option<Arc<dyn Sleeper>>,
    agent: Option<ureq::Agent>,
}

impl ClientBuilder {
    /// The defaults: `http://localhost:3301`, no API key, in-memory tokens.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from `SPAPS_API_URL`, `SPAPS_API_KEY` and `SPAPS_REQUEST_TIMEOUT`; an
    /// unusable value fails [`Self::build`].
    pub fn from_env() -> Self {
        Self {
            options: ClientOptions::from_env_with(|k| std::env::var(k).ok()),
            ..Self::default()
        }
    }

    spaps_driver::builder_methods!();

    /// How retry backoffs wait (default: the thread sleeps).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// A ureq agent of your own. It keeps its own timeout and `User-Agent` unless the
    /// SDK's are set too (`.timeout(..)`, `Config::with_user_agent_suffix`): then the SDK's
    /// win. Whatever the agent says, redirects are never followed (credentials never
    /// travel to another host) and error statuses come back as responses; the call's
    /// overall deadline and the response size limit apply. The TLS and proxy options
    /// below configure the agent the SDK builds, and cannot be combined with this.
    pub fn agent(mut self, agent: ureq::Agent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// Builds the client and loads any stored tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting (an unreadable certificate, a
    /// proxy URL); [`Error::InsecureTransport`] for an `http://` base URL through a
    /// proxy on another machine; [`Error::TokenStore`] when the store holds tokens it
    /// cannot read.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.options.config()?;
        let transport = match self.agent {
            Some(agent) => Transport::with_agent(agent, config, self.options.net())?,
            None => Transport::new(config, self.options.net())?,
        };
        let shared = self.options.build(
            || Arc::new(SystemClock),
            || RandomState::new().hash_one(std::process::id()),
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                settles: Mutex::new(0),
                settled: Condvar::new(),
                transport,
                sleeper: self.sleeper.unwrap_or_else(|| Arc::new(ThreadSleeper)),
            }),
        })
    }
}
