//! [`Client`] and [`ClientBuilder`].

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use spaps_proto::{
    ClientOptions, ClientState, Clock, Config, Error, Execute, Machine, Now, Output, Shared,
    Timestamp,
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

/// The real clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Now {
        Now::new(
            Instant::now(),
            Timestamp::from_system_time(std::time::SystemTime::now()),
        )
    }
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

    spaps_proto::client_methods!();

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    async fn drive<M, F>(self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M,
    {
        let inner = &*self.inner;
        let mut machine = inner.shared.start(start);
        let span = spaps_proto::trace::call_span(&machine);
        async {
            loop {
                let (output, mut settled) = {
                    let mut state = inner.shared.lock();
                    let output = machine.poll(inner.shared.now(), &mut state);
                    // Subscribed while the lock is held, so a refresh that settles
                    // after the lock is released still wakes this call.
                    let settled =
                        matches!(output, Output::AwaitRefresh).then(|| inner.settled.subscribe());
                    (output, settled)
                };
                match output {
                    Output::Send(request) => {
                        spaps_proto::trace::sending(&tracing::Span::current(), &machine);
                        let result = inner.transport.send(request).await;
                        spaps_proto::trace::received(&tracing::Span::current(), &result);
                        let fed = inner.shared.feed(&mut machine, result);
                        if fed.refresh_settled {
                            inner.settled.send_modify(|n| *n = n.wrapping_add(1));
                        }
                        fed.persisted?;
                    }
                    Output::Sleep(until) => {
                        let now = inner.shared.now().instant;
                        if until > now {
                            inner.sleeper.sleep(until - now).await;
                        }
                    }
                    Output::AwaitRefresh => {
                        if let Some(rx) = settled.as_mut() {
                            // The sender lives as long as `inner`; a closed channel
                            // just means: poll again.
                            let _ = rx.changed().await;
                        }
                    }
                    Output::Done(result) => return result,
                    _ => {
                        return Err(Error::Misuse(
                            "unexpected output from the call state machine",
                        ))
                    }
                }
            }
        }
        .instrument(span)
        .await
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

    spaps_proto::builder_methods!();

    /// How retry backoffs wait (default: the tokio timer).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// A reqwest client of your own (proxies, TLS roots). Build it with
    /// `redirect(Policy::none())`: the SDK never follows redirects itself, but a
    /// client that does would carry credentials elsewhere. The client's timeout and
    /// size limit still apply.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client and loads any stored tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting; [`Error::TokenStore`] when the
    /// store holds tokens it cannot read; [`Error::Transport`] when no HTTP client
    /// can be built.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.options.config()?;
        let transport = match self.http {
            Some(http) => Transport::with_client(http, config),
            None => Transport::new(config)?,
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
