//! [`Client`] and [`ClientBuilder`].

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Condvar, PoisonError};
use std::time::{Duration, Instant};

use spaps_proto::{
    ClientOptions, ClientState, Clock, Config, Error, Execute, Machine, Now, Output, Shared,
    Timestamp,
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
    shared: Shared,
    settled: Condvar,
    transport: Transport,
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
        ClientBuilder::from_env().build()
    }

    /// A client for `config` with the default token store.
    ///
    /// # Errors
    /// None today; kept fallible for stores that load on start.
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new().config(config).build()
    }

    spaps_proto::client_methods!();

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    fn drive<M, F>(&self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&ClientState, Now) -> M,
    {
        let inner = &*self.inner;
        let mut machine = inner.shared.start(start);
        let span = spaps_proto::trace::call_span(&machine);
        let _entered = span.enter();
        loop {
            let output = {
                let mut state = inner.shared.lock();
                loop {
                    match machine.poll(inner.shared.now(), &mut state) {
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
                    spaps_proto::trace::sending(&span, &machine);
                    let result = inner.transport.send(request);
                    spaps_proto::trace::received(&span, &result);
                    let fed = inner.shared.feed(&mut machine, result);
                    if fed.refresh_settled {
                        inner.settled.notify_all();
                    }
                    fed.persisted?;
                }
                Output::Sleep(until) => {
                    let now = inner.shared.now().instant;
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

    spaps_proto::builder_methods!();

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

    /// Builds the client and loads any stored tokens.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting; [`Error::TokenStore`] when the
    /// store holds tokens it cannot read.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.options.config()?;
        let transport = match self.agent {
            Some(agent) => Transport::with_agent(agent, config),
            None => Transport::new(config),
        };
        let shared = self.options.build(
            || Arc::new(SystemClock),
            || RandomState::new().hash_one(std::process::id()),
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                settled: Condvar::new(),
                transport,
                sleeper: self.sleeper.unwrap_or_else(|| Arc::new(ThreadSleeper)),
            }),
        })
    }
}
