//! [`Client`] and [`ClientBuilder`].

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use spaps_driver::{ClientOptions, Effects, Shared, SystemClock};
use spaps_proto::{
    ClientState, Config, Error, Execute, Machine, Now, Output, RefreshLock, StoreError,
    StoreSnapshot, Tokens,
};
use tokio::sync::watch;
use tracing::Instrument;

use crate::transport::Transport;

/// A boxed, `Send` future, as returned by every operation.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An async SPAPS client. Cheap to clone; clones share tokens and connections.
///
/// ```no_run
/// # async fn run() -> Result<(), spaps_tokio::Error> {
/// let client = spaps_tokio::Client::builder()
///     .base_url("https://api.sweetpotato.dev")
///     .api_key("spaps_live_...")
///     .build()?;
/// client.auth().sign_in_with_password("ada@example.com", "secret").await?;
/// let session = client.sessions().get_current_session().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Shared,
    /// Bumped every time a token refresh settles; waiting calls watch it.
    settled: watch::Sender<u64>,
    transport: Transport,
    sleeper: Arc<dyn Sleeper>,
}

/// How the client waits between retries. Replace it in tests to avoid real sleeps.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Sleeps on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
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
    /// [`Error::Transport`] when the HTTP client cannot be built (no TLS backend).
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new().config(config).build()
    }

    spaps_driver::client_methods!();

    /// Uses and stores `tokens` (e.g. obtained elsewhere). A refresh in flight is
    /// cancelled: its result will not overwrite these tokens. The store is written on a
    /// blocking thread.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub async fn set_tokens(&self, tokens: Tokens) -> Result<(), Error> {
        self.replace_tokens(Some(tokens)).await
    }

    /// Uses and stores `tokens` with their access token expiring `expires_in` from now
    /// (the client's clock): the reference's `set_tokens(.., expires_in=..)`, without
    /// computing a timestamp by hand.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub async fn set_tokens_expiring_in(
        &self,
        tokens: Tokens,
        expires_in: Duration,
    ) -> Result<(), Error> {
        let now = self.inner.shared.now().wall;
        self.set_tokens(tokens.with_expires_in(expires_in, now))
            .await
    }

    /// Forgets the tokens, in memory and in the store. A refresh in flight is
    /// cancelled: its result will not sign the client back in.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot clear them.
    pub async fn clear_tokens(&self) -> Result<(), Error> {
        self.replace_tokens(None).await
    }

    async fn replace_tokens(&self, tokens: Option<Tokens>) -> Result<(), Error> {
        let effects = self.inner.shared.set_tokens(tokens);
        self.inner.apply(effects).await
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    async fn drive<M, F>(self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M,
    {
        let inner = &*self.inner;
        // Dropping this future at any await point drops the guard, which hands a
        // refresh the call owned back to the client (quinn's `Drop for ConnectionRef`).
        let mut guard = Guard {
            inner,
            machine: inner.shared.start(start),
            done: false,
        };
        let span = crate::trace::call_span(&guard.machine);
        async move {
            // Held from a store reload until the refresh it guards is persisted.
            let mut store_lock: Option<RefreshLock> = None;
            loop {
                let seen = *inner.settled.borrow();
                let (output, effects) = inner.shared.poll(&mut guard.machine);
                inner.apply(effects).await?;
                match output {
                    Output::Send(request) => {
                        crate::trace::sending(&tracing::Span::current(), &guard.machine);
                        // Interceptors run around the exchange, outside the lock.
                        let (request, sending) =
                            inner.shared.before_send(&guard.machine, request)?;
                        let within = remaining(guard.machine.deadline(), inner.shared.now());
                        let result = inner.transport.send(request, within).await;
                        crate::trace::received(&tracing::Span::current(), &result);
                        let (effects, hooked) =
                            inner.shared.after_send(&mut guard.machine, sending, result);
                        inner.apply(effects).await?;
                        hooked?;
                    }
                    Output::ReloadStore => {
                        let (snapshot, lock) = inner.reload().await;
                        store_lock = lock;
                        let effects = inner.shared.feed_reload(&mut guard.machine, snapshot);
                        inner.apply(effects).await?;
                    }
                    Output::Sleep(until) => {
                        let now = inner.shared.now().instant;
                        if until > now {
                            inner.sleeper.sleep(until - now).await;
                        }
                    }
                    Output::AwaitRefresh(until) => inner.await_settle(seen, until).await,
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
        .instrument(span)
        .await
    }
}

impl Inner {
    /// Wakes waiting calls, then persists token changes on a blocking thread. A write
    /// that started finishes even if this future is dropped.
    async fn apply(&self, effects: Effects) -> Result<(), Error> {
        if effects.refresh_settled {
            self.settled.send_modify(|n| *n = n.wrapping_add(1));
        }
        if effects.persist.is_none() {
            return Ok(());
        }
        let writer = self.shared.writer().clone();
        tokio::task::spawn_blocking(move || writer.persist(effects.persist))
            .await
            .unwrap_or_else(|e| Err(store_panicked(e)))
    }

    /// Takes the store's refresh lock and re-reads it, on a blocking thread.
    async fn reload(&self) -> (Result<StoreSnapshot, Error>, Option<RefreshLock>) {
        let writer = self.shared.writer().clone();
        tokio::task::spawn_blocking(move || writer.reload())
            .await
            .unwrap_or_else(|e| (Err(store_panicked(e)), None))
    }

    /// Waits until a refresh settles after `seen`, or until `until`.
    async fn await_settle(&self, seen: u64, until: Option<Instant>) {
        let mut settled = self.settled.subscribe();
        if *settled.borrow_and_update() != seen {
            return;
        }
        let wait = until.map(|until| until.saturating_duration_since(self.shared.now().instant));
        match wait {
            // The sender lives as long as `self`; a closed channel just means: poll again.
            None => {
                let _ = settled.changed().await;
            }
            Some(wait) => {
                tokio::select! {
                    _ = settled.changed() => {}
                    () = self.sleeper.sleep(wait) => {}
                }
            }
        }
    }
}

/// The error of a store call that panicked on its blocking thread.
fn store_panicked(panic: tokio::task::JoinError) -> Error {
    StoreError::with_source("the token store panicked", panic).into()
}

/// What is left of a deadline.
fn remaining(deadline: Option<Instant>, now: Now) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(now.instant))
}

/// Abandons the machine when the call's future is dropped before it is done.
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
            if effects.refresh_settled {
                self.inner.settled.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }
}

impl Execute for Client {
    type Outcome<'a, T: Send + 'static> = BoxFuture<'a, Result<T, Error>>;

    fn run<M, F>(&self, start: F) -> BoxFuture<'_, Result<M::Output, Error>>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M + Send + 'static,
    {
        Box::pin(self.clone().drive(start))
    }
}

/// Builds a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    options: ClientOptions,
    sleeper: Option<Arc<dyn Sleeper>>,
    http: Option<reqwest::Client>,
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

    /// How retry backoffs wait (default: the tokio timer).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// A reqwest client of your own. It keeps its own timeout and `User-Agent` unless
    /// the SDK's are set too (`.timeout(..)`, `Config::with_user_agent_suffix`): then the
    /// SDK's win. The call's overall deadline and the response size limit always apply.
    /// It must not follow redirects (build it with `redirect(Policy::none())`): the
    /// build refuses one that may, as it would carry the API key to another host. The
    /// TLS and proxy options below configure the client the SDK builds, and cannot be
    /// combined with this.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client and loads any stored tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting (an unreadable certificate, a
    /// proxy URL, a client of your own that follows redirects);
    /// [`Error::InsecureTransport`] for an `http://` base URL through a proxy on
    /// another machine; [`Error::TokenStore`] when the store holds tokens it cannot
    /// read; [`Error::Transport`] when no HTTP client can be built.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.options.config()?;
        let transport = match self.http {
            Some(http) => Transport::with_client(http, config, self.options.net())?,
            None => Transport::new(config, self.options.net())?,
        };
        let shared = self.options.build(
            || Arc::new(SystemClock),
            || RandomState::new().hash_one(std::process::id()),
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                settled: watch::Sender::new(0),
                transport,
                sleeper: self.sleeper.unwrap_or_else(|| Arc::new(TokioSleeper)),
            }),
        })
    }
}
