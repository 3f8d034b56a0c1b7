//! [`Client`] and [`ClientBuilder`].

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use spaps_proto::{
    ClientState, Clock, Config, Error, Event, Execute, Machine, MemoryTokenStore, Now, Output,
    RetryPolicy, Secret, Timestamp, TokenStore, Tokens,
};

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
    state: Mutex<ClientState>,
    settled: Condvar,
    transport: Transport,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
}

/// How the client waits between retries. Replace it in tests to avoid real sleeps.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);
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
        ClientBuilder::from_env()?.build()
    }

    /// A client for `config` with the default token store.
    ///
    /// # Errors
    /// None today; kept fallible for stores that load on start.
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new().config(config).build()
    }

    spaps_proto::group_accessors!();

    /// The configuration.
    pub fn config(&self) -> Config {
        self.inner.lock().config().clone()
    }

    /// The tokens in use, if any.
    pub fn tokens(&self) -> Option<Tokens> {
        self.inner.lock().tokens().cloned()
    }

    /// Uses and stores `tokens` (e.g. obtained elsewhere).
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub fn set_tokens(&self, tokens: Tokens) -> Result<(), Error> {
        let events = {
            let mut state = self.inner.lock();
            state.set_tokens(Some(tokens));
            drain(&mut state)
        };
        self.inner.apply(events)
    }

    /// Forgets the tokens, in memory and in the store.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot clear them.
    pub fn clear_tokens(&self) -> Result<(), Error> {
        let events = {
            let mut state = self.inner.lock();
            state.set_tokens(None);
            drain(&mut state)
        };
        self.inner.apply(events)
    }

    fn drive<M, F>(&self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M,
    {
        let inner = &*self.inner;
        let mut call = start(&inner.lock(), inner.clock.now());
        let span = spaps_proto::trace::call_span(&call);
        let _entered = span.enter();
        loop {
            let output = {
                let mut state = inner.lock();
                loop {
                    match call.poll(inner.clock.now(), &mut state) {
                        Output::AwaitRefresh => {
                            // Woken by the refreshing call; the timeout only guards
                            // against a refresher that died without settling.
                            state = inner
                                .settled
                                .wait_timeout(state, Duration::from_millis(250))
                                .unwrap_or_else(PoisonError::into_inner)
                                .0;
                        }
                        other => break other,
                    }
                }
            };
            match output {
                Output::Send(request) => {
                    spaps_proto::trace::sending(&span, &call);
                    let result = inner.transport.send(request);
                    spaps_proto::trace::received(&span, &result);
                    let events = {
                        let mut state = inner.lock();
                        let now = inner.clock.now();
                        match result {
                            Ok(response) => call.handle_response(now, &mut state, response),
                            Err(error) => call.handle_error(now, &mut state, error),
                        }
                        drain(&mut state)
                    };
                    inner.apply(events)?;
                }
                Output::Sleep(until) => {
                    let now = inner.clock.now().instant;
                    if until > now {
                        inner.sleeper.sleep(until - now);
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

impl Inner {
    fn lock(&self) -> MutexGuard<'_, ClientState> {
        // ClientState is updated by whole assignments; a panic elsewhere while the
        // lock was held cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn apply(&self, events: Vec<Event>) -> Result<(), Error> {
        let mut outcome = Ok(());
        for event in events {
            match event {
                Event::TokensChanged(Some(tokens)) => {
                    if let Err(e) = self.store.save(&tokens) {
                        tracing::warn!(error = %e, "could not persist tokens");
                        outcome = Err(e);
                    }
                }
                Event::TokensChanged(None) => {
                    if let Err(e) = self.store.clear() {
                        tracing::warn!(error = %e, "could not clear stored tokens");
                        outcome = Err(e);
                    }
                }
                Event::RefreshSettled => self.settled.notify_all(),
                _ => {}
            }
        }
        outcome
    }
}

fn drain(state: &mut ClientState) -> Vec<Event> {
    std::iter::from_fn(|| state.poll_event()).collect()
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    config: Result<Config, Error>,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    sleeper: Option<Arc<dyn Sleeper>>,
    agent: Option<ureq::Agent>,
    seed: Option<u64>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// The defaults: `http://localhost:3301`, no API key, in-memory tokens.
    pub fn new() -> Self {
        Self {
            config: Config::new(spaps_proto::DEFAULT_BASE_URL),
            store: None,
            clock: None,
            sleeper: None,
            agent: None,
            seed: None,
        }
    }

    /// Starts from `SPAPS_API_URL`, `SPAPS_API_KEY` and `SPAPS_REQUEST_TIMEOUT`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unusable value.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new().config(Config::from_env_with(|k| std::env::var(k).ok())?))
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.config = Ok(config);
        self
    }

    /// The SPAPS base URL (a path prefix is kept). An invalid URL fails [`Self::build`].
    pub fn base_url(mut self, url: &str) -> Self {
        self.config = self.config.and_then(|c| c.with_base_url(url));
        self
    }

    /// The API key (`X-API-Key`).
    pub fn api_key(self, key: impl Into<Secret>) -> Self {
        self.map(|c| c.api_key(key))
    }

    /// The time allowed for one attempt.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|c| c.timeout(timeout))
    }

    /// The retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.map(|c| c.retry(policy))
    }

    /// The largest response body accepted.
    pub fn max_response_bytes(self, bytes: usize) -> Self {
        self.map(|c| c.max_response_bytes(bytes))
    }

    /// Where tokens are kept (default: in memory). Tokens already in the store are
    /// loaded by [`Self::build`].
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// A shared token store.
    pub fn shared_token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (default: the system clocks).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How retry backoffs wait (default: the thread sleeps).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// A ureq agent of your own (proxies, TLS roots). Configure it with
    /// `http_status_as_error(false)` and `max_redirects(0)`; the client's timeout
    /// and size limit still apply.
    pub fn agent(mut self, agent: ureq::Agent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// The seed of the backoff jitter (default: random).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Builds the client and loads any stored tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting; [`Error::TokenStore`] when the
    /// store holds tokens it cannot read.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.config?;
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
        let seed = self
            .seed
            .unwrap_or_else(|| RandomState::new().hash_one(std::process::id()));
        let transport = match self.agent {
            Some(agent) => Transport::with_agent(agent, &config),
            None => Transport::new(&config),
        };
        let mut state = ClientState::new(config, seed);
        state.load_tokens(store.load()?);
        Ok(Client {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                settled: Condvar::new(),
                transport,
                store,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                sleeper: self.sleeper.unwrap_or_else(|| Arc::new(ThreadSleeper)),
            }),
        })
    }

    fn map(mut self, f: impl FnOnce(Config) -> Config) -> Self {
        self.config = self.config.map(f);
        self
    }
}
