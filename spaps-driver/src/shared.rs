//! [`Shared`] and [`ClientOptions`]: what both clients are made of, apart from their
//! transport and their way of waiting.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;

use spaps_proto::intercept::{Exchange, Interceptor, Interceptors, RetryNotice};
use spaps_proto::{
    ClientState, Clock, Config, Error, Event, Machine, MemoryTokenStore, Now, Output, RefreshLock,
    SendError, StoreSnapshot, TokenStore, Tokens, DEFAULT_BASE_URL,
};

/// The state a client's calls share, its token store and its clock.
///
/// The lock is held only while the core decides (microseconds): the clock is read
/// before it is taken, and the token store is called after it is released
/// ([`StoreWriter`]), so no user code ever runs under it. It is a read-write lock: the
/// steps that only read the state (sending with the current token, a success that
/// changes no token) share it ([`Machine::poll_shared`],
/// [`Machine::handle_response_shared`]), so concurrent calls do not queue on it.
#[derive(Debug)]
pub struct Shared {
    state: RwLock<ClientState>,
    /// The state's configuration, which never changes: read without the lock.
    config: Config,
    writer: Arc<StoreWriter>,
    clock: Arc<dyn Clock>,
    interceptors: Interceptors,
}

/// What a step of a machine left for the driver to do, besides its output.
#[derive(Debug, Default)]
#[must_use]
pub struct Effects {
    /// A token refresh ended (or was cancelled or abandoned): wake the calls waiting
    /// for one.
    pub refresh_settled: bool,
    /// The newest token change to persist, with its generation (`None` tokens: clear).
    pub persist: Option<(u64, Option<Tokens>)>,
    /// The retry the machine decided on when it was fed an exchange
    /// ([`Machine::take_retry`]).
    pub retry: Option<RetryNotice>,
}

impl Effects {
    fn from_events(events: impl Iterator<Item = Event>) -> Self {
        let mut effects = Self::default();
        for event in events {
            match event {
                Event::TokensChanged { generation, tokens } => {
                    effects.persist = Some((generation, tokens));
                }
                Event::RefreshSettled => effects.refresh_settled = true,
            }
        }
        effects
    }
}

/// The client's token store, written in generation order: a token change is written
/// only when it is newer than the last one written, so however many calls persist at
/// once, the store never goes back to older tokens. All its methods call the store, so
/// an async driver runs them on a blocking thread.
#[derive(Debug)]
pub struct StoreWriter {
    store: Arc<dyn TokenStore>,
    /// The newest generation written (or loaded at start-up).
    written: Mutex<u64>,
}

impl StoreWriter {
    fn written(&self) -> MutexGuard<'_, u64> {
        // A plain integer: a panic while it was held cannot leave it half-written.
        self.written.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes a token change unless something newer was written already.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save or clear.
    pub fn persist(&self, change: Option<(u64, Option<Tokens>)>) -> Result<(), Error> {
        let Some((generation, tokens)) = change else {
            return Ok(());
        };
        let mut written = self.written();
        if generation <= *written {
            return Ok(());
        }
        let outcome = match &tokens {
            Some(tokens) => self.store.save(tokens),
            None => self.store.clear(),
        };
        if outcome.is_ok() {
            *written = generation;
        } else if let Err(e) = &outcome {
            tracing::warn!(target: "spaps", error = %e, "could not persist tokens");
        }
        outcome
    }

    /// Takes the store's refresh lock and re-reads it, for [`Output::ReloadStore`].
    /// The lock is returned when it was taken, to be held until the refresh is
    /// persisted.
    pub fn reload(&self) -> (Result<StoreSnapshot, Error>, Option<RefreshLock>) {
        let lock = match self.store.lock_refresh() {
            Ok(lock) => lock,
            Err(e) => return (Err(e), None),
        };
        let written = self.written();
        let snapshot = self.store.load().map(|tokens| StoreSnapshot {
            tokens,
            written: *written,
        });
        drop(written);
        (snapshot, Some(lock))
    }
}

impl Shared {
    /// Shares `state`, loading the tokens already in `store`.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store holds tokens it cannot read.
    pub fn new(
        mut state: ClientState,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        state.load_tokens(store.load()?);
        state.coordinate_refreshes(store.coordinates_refresh());
        let written = state.token_manager().generation();
        Ok(Self {
            config: state.config().clone(),
            state: RwLock::new(state),
            writer: Arc::new(StoreWriter {
                store,
                written: Mutex::new(written),
            }),
            clock,
            interceptors: Interceptors::new(),
        })
    }

    /// Runs `interceptors` around every exchange ([`Shared::before_send`],
    /// [`Shared::after_send`]).
    pub fn with_interceptors(mut self, interceptors: Interceptors) -> Self {
        self.interceptors = interceptors;
        self
    }

    /// Runs the interceptors' [`before_send`](Interceptor::before_send) on `request`,
    /// which `machine` just asked to send (outside the state lock), and starts timing
    /// the exchange. Call it for every [`Output::Send`], then send the request it gives
    /// back, then call [`Shared::after_send`].
    ///
    /// # Errors
    /// [`Error::Interceptor`] when an interceptor panicked: do not send; fail the call
    /// (dropping the machine's guard abandons it).
    pub fn before_send<M: Machine>(
        &self,
        machine: &M,
        mut request: http::Request<Bytes>,
    ) -> Result<(http::Request<Bytes>, Sending), Error> {
        let refresh = machine.refreshing();
        let (path, attempt) = if refresh {
            (spaps_proto::refresh::PATH, 1)
        } else {
            (machine.describe().map_or("", |(_, t)| t), machine.attempt())
        };
        let exchange = Exchange::new(
            machine.name(),
            request.method().clone(),
            path,
            attempt,
            refresh,
        );
        self.interceptors.before_send(&exchange, &mut request)?;
        let started = self.instant();
        let time_left = machine
            .deadline()
            .map(|deadline| deadline.saturating_duration_since(started));
        Ok((
            request,
            Sending {
                exchange,
                started,
                time_left,
            },
        ))
    }

    /// Ends an exchange begun with [`Shared::before_send`]: runs the interceptors'
    /// [`on_response`](Interceptor::on_response) or
    /// [`on_transport_error`](Interceptor::on_transport_error), feeds `result` to
    /// `machine` ([`Shared::feed`]), then runs [`on_retry`](Interceptor::on_retry) when
    /// the machine decided to retry. Every interceptor runs outside the state lock.
    ///
    /// Apply the effects first, then fail the call with the error, if any: an
    /// interceptor panicked (the machine was fed all the same, so tokens a refresh
    /// brought are kept).
    pub fn after_send<M: Machine>(
        &self,
        machine: &mut M,
        sending: Sending,
        result: Result<http::Response<Bytes>, SendError>,
    ) -> (Effects, Result<(), Error>) {
        self.after_send_at(machine, sending, result, self.now())
    }

    /// [`Shared::after_send`] at `now`, read when the exchange ended (the same reading
    /// times the exchange and feeds the machine).
    pub fn after_send_at<M: Machine>(
        &self,
        machine: &mut M,
        sending: Sending,
        result: Result<http::Response<Bytes>, SendError>,
        now: Now,
    ) -> (Effects, Result<(), Error>) {
        let Sending {
            exchange, started, ..
        } = sending;
        let elapsed = now.instant.saturating_duration_since(started);
        tracing::debug!(
            target: "spaps",
            attempt = exchange.attempt(),
            refresh = exchange.is_refresh(),
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "exchange ended"
        );
        let observed = match &result {
            Ok(response) => self.interceptors.on_response(&exchange, response, elapsed),
            Err(error) => self
                .interceptors
                .on_transport_error(&exchange, error, elapsed),
        };
        let effects = self.feed_at(machine, result, now);
        let retried = match &effects.retry {
            Some(retry) => {
                tracing::debug!(
                    target: "spaps",
                    attempt = retry.attempt,
                    delay_ms = u64::try_from(retry.delay.as_millis()).unwrap_or(u64::MAX),
                    reason = %retry.reason,
                    "retrying"
                );
                self.interceptors.on_retry(&exchange, retry)
            }
            None => Ok(()),
        };
        (effects, observed.and(retried))
    }

    /// Locks the state, to write it.
    pub fn lock(&self) -> RwLockWriteGuard<'_, ClientState> {
        // ClientState is updated by whole assignments; a panic elsewhere while the lock
        // was held cannot leave it half-written.
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the state, to read it alongside other readers.
    pub fn read(&self) -> RwLockReadGuard<'_, ClientState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The time, from the client's clock.
    pub fn now(&self) -> Now {
        self.clock.now()
    }

    /// The monotonic time alone, from the client's clock ([`Clock::instant`]).
    pub fn instant(&self) -> Instant {
        self.clock.instant()
    }

    /// The token store's writer, to persist [`Effects`] and reload the store (call it
    /// where blocking is allowed).
    pub fn writer(&self) -> &Arc<StoreWriter> {
        &self.writer
    }

    /// Builds a machine with the configuration and the time (without the state lock).
    pub fn start<M, F: FnOnce(&Config, Now) -> M>(&self, start: F) -> M {
        self.start_at(start, self.now())
    }

    /// [`Shared::start`] at `now`.
    pub fn start_at<M, F: FnOnce(&Config, Now) -> M>(&self, start: F, now: Now) -> M {
        start(&self.config, now)
    }

    /// Polls `machine` (reading the clock before taking the lock), then runs the user
    /// callbacks it queued once the lock is released.
    pub fn poll<M: Machine>(&self, machine: &mut M) -> (Output<M::Output>, Effects) {
        self.poll_at(machine, self.now())
    }

    /// [`Shared::poll`] at `now` (a reading taken just before, by the step that led
    /// here). A machine that is done hands its result over without the lock
    /// ([`Machine::take_result`]).
    pub fn poll_at<M: Machine>(&self, machine: &mut M, now: Now) -> (Output<M::Output>, Effects) {
        if let Some(result) = machine.take_result() {
            return (Output::Done(result), Effects::default());
        }
        let shared = machine.poll_shared(now, &self.read());
        if let Some(output) = shared {
            // A shared poll changes no state: no events.
            machine.run_callbacks();
            return (output, Effects::default());
        }
        let (output, effects) = {
            let mut state = self.lock();
            let output = machine.poll(now, &mut state);
            (output, drain(&mut state))
        };
        machine.run_callbacks();
        (output, effects)
    }

    /// Feeds the outcome of an exchange to `machine`.
    pub fn feed<M: Machine>(
        &self,
        machine: &mut M,
        result: Result<http::Response<Bytes>, SendError>,
    ) -> Effects {
        self.feed_at(machine, result, self.now())
    }

    /// [`Shared::feed`] at `now`.
    pub fn feed_at<M: Machine>(
        &self,
        machine: &mut M,
        result: Result<http::Response<Bytes>, SendError>,
        now: Now,
    ) -> Effects {
        let result = match result {
            Ok(response) => {
                // Decoding the body is the slow part of an answer: done before the lock.
                machine.prepare_response(&response);
                let back = machine.handle_response_shared(now, &self.read(), response);
                match back {
                    None => {
                        // Nothing written: no events.
                        return Effects {
                            retry: machine.take_retry(),
                            ..Effects::default()
                        };
                    }
                    Some(response) => Ok(response),
                }
            }
            Err(error) => Err(error),
        };
        let mut state = self.lock();
        match result {
            Ok(response) => machine.handle_response(now, &mut state, response),
            Err(error) => machine.handle_error(now, &mut state, error),
        }
        let mut effects = drain(&mut state);
        effects.retry = machine.take_retry();
        effects
    }

    /// Feeds a store reload to `machine`.
    pub fn feed_reload<M: Machine>(
        &self,
        machine: &mut M,
        reloaded: Result<StoreSnapshot, Error>,
    ) -> Effects {
        let now = self.now();
        let mut state = self.lock();
        machine.handle_reload(now, &mut state, reloaded);
        drain(&mut state)
    }

    /// Tells the state that `machine` went away before it was done.
    pub fn abandon<M: Machine>(&self, machine: &mut M) -> Effects {
        let mut state = self.lock();
        machine.abandon(&mut state);
        drain(&mut state)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The tokens in use.
    pub fn tokens(&self) -> Option<Tokens> {
        self.read().tokens().cloned()
    }

    /// Replaces the tokens (`None` clears them); a refresh in flight is cancelled. The
    /// change still has to be persisted with the [`StoreWriter`].
    pub fn set_tokens(&self, tokens: Option<Tokens>) -> Effects {
        let mut state = self.lock();
        state.set_tokens(tokens);
        drain(&mut state)
    }
}

/// An exchange between [`Shared::before_send`] and [`Shared::after_send`].
#[derive(Debug)]
#[must_use = "pass it to `Shared::after_send`"]
pub struct Sending {
    exchange: Exchange,
    started: Instant,
    time_left: Option<Duration>,
}

impl Sending {
    /// What was left of the call's deadline when the exchange started (`None`: no
    /// deadline): the driver bounds the exchange by it.
    pub fn time_left(&self) -> Option<Duration> {
        self.time_left
    }
}

fn drain(state: &mut ClientState) -> Effects {
    Effects::from_events(std::iter::from_fn(|| state.poll_event()))
}

/// The settings both client builders share: configuration, token store, clock, seed.
#[derive(Debug)]
pub struct ClientOptions {
    config: Result<Config, Error>,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    seed: Option<u64>,
    interceptors: Interceptors,
    net: crate::tls::NetOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            config: Config::new(DEFAULT_BASE_URL),
            store: None,
            clock: None,
            seed: None,
            interceptors: Interceptors::new(),
            net: crate::tls::NetOptions::default(),
        }
    }
}

impl ClientOptions {
    /// The TLS and proxy options.
    pub fn net(&self) -> &crate::tls::NetOptions {
        &self.net
    }

    /// The TLS and proxy options, to change.
    pub fn net_mut(&mut self) -> &mut crate::tls::NetOptions {
        &mut self.net
    }

    /// Options read from `SPAPS_API_URL`, `SPAPS_API_KEY` and `SPAPS_REQUEST_TIMEOUT`
    /// through `var`.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            config: Config::from_env_with(var),
            ..Self::default()
        }
    }

    /// Replaces the whole configuration.
    pub fn set_config(&mut self, config: Config) {
        self.config = Ok(config);
    }

    /// Changes the configuration; a bad setting is reported by the build.
    pub fn map_config(&mut self, f: impl FnOnce(Config) -> Result<Config, Error>) {
        let config = std::mem::replace(
            &mut self.config,
            Err(Error::Misuse(spaps_proto::Misuse::OptionsInUse)),
        );
        self.config = config.and_then(f);
    }

    /// Sets the token store.
    pub fn set_store(&mut self, store: Arc<dyn TokenStore>) {
        self.store = Some(store);
    }

    /// Sets the clock.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = Some(clock);
    }

    /// Sets the jitter seed.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = Some(seed);
    }

    /// Adds an interceptor after those already added.
    pub fn add_interceptor(&mut self, interceptor: Arc<dyn Interceptor>) {
        self.interceptors.push(interceptor);
    }

    /// The configuration, or the first bad setting.
    ///
    /// # Errors
    /// The first invalid setting.
    pub fn config(&self) -> Result<&Config, Error> {
        let config = self.config.as_ref().map_err(Clone::clone)?;
        config.validate()?;
        Ok(config)
    }

    /// Builds the shared part of a client; `clock` and `seed` are the driver's
    /// defaults, used when none was set.
    ///
    /// # Errors
    /// The first invalid setting, or [`Error::TokenStore`] from loading the store.
    pub fn build(
        self,
        clock: impl FnOnce() -> Arc<dyn Clock>,
        seed: impl FnOnce() -> u64,
    ) -> Result<Shared, Error> {
        let config = self.config?;
        config.validate()?;
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryTokenStore::new()));
        let state = ClientState::new(config, self.seed.unwrap_or_else(seed));
        Ok(Shared::new(state, store, self.clock.unwrap_or_else(clock))?
            .with_interceptors(self.interceptors))
    }
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
