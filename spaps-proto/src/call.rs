//! [`Call`]: the state machine of one operation, from first attempt to result.
//!
//! A driver runs a call like this (str0m and quinn-proto work the same way):
//!
//! 1. Read the clock, lock the state, `call.poll(now, &mut state)`, unlock, and act on
//!    the [`Output`] (the match is exhaustive: these are all a driver ever sees):
//!    - [`Output::Send`]: send the request (within [`Machine::deadline`]); lock and
//!      feed the response to [`Call::handle_response`], or a failure to
//!      [`Call::handle_error`];
//!    - [`Output::Sleep`]: sleep until the instant (a retry backoff), then poll again;
//!    - [`Output::AwaitRefresh`]: another call is refreshing the token; wait for
//!      [`Event::RefreshSettled`](crate::Event::RefreshSettled) or the instant,
//!      whichever comes first, then poll again;
//!    - [`Output::ReloadStore`]: the token store is shared with other clients: take its
//!      refresh lock, re-read it and feed what it holds to [`Call::handle_reload`];
//!      keep the lock until the machine is no longer [refreshing](Machine::refreshing)
//!      and the tokens it produced are persisted;
//!    - [`Output::Done`]: the result.
//! 2. After each `handle_*`, drain [`ClientState::poll_event`] while still holding the
//!    lock, release it, and act on the events (persist tokens in generation order, wake
//!    waiters). No user code (stores, clocks, callbacks) runs under the lock.
//! 3. If the call goes away before `Done` (a dropped future, a cancelled task), call
//!    [`Machine::abandon`] from a `Drop` guard, so a refresh it owned is handed to the
//!    calls that wait for it.
//!
//! A driver that shares the state between concurrent calls can keep them from queueing
//! on it: [`Machine::poll_shared`] and [`Machine::handle_response_shared`] take the
//! state by shared reference and handle the common steps (sending with the current
//! token, a success that changes no token), so they run under a read lock; when they
//! decline, poll or feed under the write lock as above. [`Machine::take_result`] hands
//! over a finished call's result with no lock at all.
//!
//! Retries, the token refresh (before expiry, or once after a 401, then one replay),
//! the single-flight rule between concurrent calls and the call's overall deadline are
//! all decided here.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use crate::config::Config;
use crate::driver::{Now, Output, SendError};
use crate::endpoint::{CallOptions, Endpoint};
use crate::error::Error;
use crate::response::api_error;
use crate::retry::{decide, Decision, RetryBudget, RetryNotice, RetryReason};
use crate::secret::Secret;
use crate::spec::{Auth, RequestSpec};
use crate::state::ClientState;
use crate::tokens::{bearer_header, Acquire, RefreshOutcome, Reload, StoreSnapshot, TokenUpdate};

impl ClientState {
    /// Starts a call of `endpoint`.
    pub fn call<E: Endpoint>(&self, endpoint: E, options: CallOptions) -> Call<E> {
        Call::new(self.config(), endpoint, options)
    }
}

/// One operation in progress.
#[derive(Debug)]
pub struct Call<E: Endpoint> {
    endpoint: E,
    prepared: Option<Prepared>,
    /// The first attempt's request, built with the call (outside any driver lock), so
    /// that the poll that sends it only writes the bearer token into it. It goes out
    /// whole; a retry or a replay (rare) builds its request again when it is sent.
    first: Held<http::Request<Bytes>>,
    override_token: Option<Secret>,
    /// The caller's idempotency key, to build the request again for a retry.
    idempotency_key: Option<String>,
    phase: Phase,
    attempt: u32,
    /// A replay after a 401 was made.
    replayed: bool,
    /// This call refreshed the tokens (or adopted a store's): it may not refresh again.
    refreshed: bool,
    /// The store was re-read for this call's refresh.
    reloaded: bool,
    /// The overall time allowed, and the instant it ends (fixed by the first poll).
    limit: Duration,
    deadline: Option<Instant>,
    started: bool,
    /// In [`Phase::Finished`], the result; before, a success body decoded by
    /// [`Machine::prepare_response`] (outside the driver's lock) for the response the
    /// call is fed next. One slot serves both: a call has a decoded body only while it
    /// awaits its response, and a result only after, and the call is boxed by the
    /// drivers, where a smaller box is a cheaper allocation.
    result: Option<Result<E::Output, Error>>,
    /// The last retry decided, until the driver takes it.
    notice: Option<RetryNotice>,
}

/// A request a call holds on to. Its `Debug` shows only whether there is one: a body
/// may carry a password.
struct Held<T>(Option<T>);

impl<T> std::fmt::Debug for Held<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

#[derive(Debug)]
enum Phase {
    Ready,
    SendRefresh {
        refresh_token: Secret,
        epoch: u64,
        generation: u64,
    },
    ReloadStore {
        epoch: u64,
        generation: u64,
    },
    AwaitMain {
        generation: Option<u64>,
    },
    AwaitRefresh {
        epoch: u64,
        generation: u64,
    },
    WaitRefresh {
        epoch: u64,
    },
    Backoff {
        until: Instant,
    },
    Finished,
}

impl Phase {
    /// Where a call goes after the token manager's answer: send the refresh it owns,
    /// wait for another call's refresh, or (a newer token arrived) start again.
    fn for_refresh(acquire: Acquire) -> Self {
        match acquire {
            Acquire::Refresh {
                refresh_token,
                epoch,
                generation,
            } => Phase::SendRefresh {
                refresh_token,
                epoch,
                generation,
            },
            Acquire::Wait { epoch, .. } => Phase::WaitRefresh { epoch },
            Acquire::Use { .. } | Acquire::Missing => Phase::Ready,
        }
    }

    /// The refresh this phase owns, if any.
    fn owned_refresh(&self) -> Option<u64> {
        match self {
            Phase::SendRefresh { epoch, .. }
            | Phase::ReloadStore { epoch, .. }
            | Phase::AwaitRefresh { epoch, .. } => Some(*epoch),
            _ => None,
        }
    }
}

/// Header names built at compile time (a `&str` name is parsed on every insert).
const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("x-idempotency-key");

/// What a call keeps of its request once built: how to send it and how to retry it.
/// The request itself goes out whole with the first attempt (no copy is kept: one
/// header map per call, not two); a retry or a replay builds it again from the
/// endpoint ([`Prepared::new`] is deterministic). It holds no header value or body,
/// so its `Debug` shows nothing secret.
#[derive(Debug)]
struct Prepared {
    method: Method,
    auth: Auth,
    template: &'static str,
    has_idempotency_key: bool,
    /// The request's headers hold a placeholder `Authorization` entry, so that the
    /// bearer token is written in place rather than growing the map.
    bearer_slot: bool,
}

impl<E: Endpoint> Call<E> {
    /// Starts a call; a local error (bad argument) is reported by the first poll.
    pub fn new(config: &Config, endpoint: E, options: CallOptions) -> Self {
        let (prepared, first, result) = match endpoint
            .request()
            .and_then(|spec| Prepared::new(config, spec, options.idempotency_key.as_deref()))
        {
            Ok((p, request)) => (Some(p), Held(Some(request)), None),
            Err(e) => (None, Held(None), Some(Err(e))),
        };
        let phase = if result.is_some() {
            Phase::Finished
        } else {
            Phase::Ready
        };
        Self {
            endpoint,
            prepared,
            first,
            override_token: options.access_token,
            idempotency_key: options.idempotency_key,
            phase,
            attempt: 0,
            replayed: false,
            refreshed: false,
            reloaded: false,
            limit: options.call_timeout.unwrap_or(config.call_timeout()),
            deadline: None,
            started: false,
            result,
            notice: None,
        }
    }

    /// The operation's name, e.g. `sessions.get_current_session`.
    pub fn name(&self) -> &'static str {
        E::NAME
    }

    /// The path template of the operation (safe to log), when the request was built.
    pub fn template(&self) -> Option<&'static str> {
        self.prepared.as_ref().map(|p| p.template)
    }

    /// The operation's HTTP method, when the request was built.
    pub fn method(&self) -> Option<&Method> {
        self.prepared.as_ref().map(|p| &p.method)
    }

    /// Attempts of the operation's own request sent so far (refreshes not counted).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// True while this call owns a token refresh (sending it, waiting for its answer,
    /// or re-reading the store for it).
    pub fn refreshing(&self) -> bool {
        self.phase.owned_refresh().is_some()
    }

    /// The instant the call's overall deadline ends, once the first poll fixed it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// What to do next. See the module docs of `spaps_proto::call`.
    pub fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<E::Output> {
        self.start_clock(now);
        loop {
            if self.deadline.is_some_and(|d| now.instant >= d)
                && !matches!(self.phase, Phase::Finished)
            {
                self.abandon_refresh(state);
                self.finish(Err(Error::DeadlineExceeded {
                    operation: E::NAME,
                    limit: self.limit,
                }));
            }
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Finished => {
                    return Output::Done(
                        self.result
                            .take()
                            .unwrap_or(Err(Error::Misuse(crate::error::Misuse::PolledAfterDone))),
                    )
                }
                Phase::Ready => {
                    if let Some(output) = self.ready(now, state) {
                        return output;
                    }
                }
                Phase::SendRefresh {
                    refresh_token,
                    epoch,
                    generation,
                } => {
                    if !state.tokens.confirm(epoch, now.instant) {
                        // Cancelled by a set, or taken over past its lease while this
                        // call was away: start again.
                        self.phase = Phase::Ready;
                        continue;
                    }
                    if state.coordinates_refreshes() && !self.reloaded {
                        self.reloaded = true;
                        self.phase = Phase::ReloadStore { epoch, generation };
                        return Output::ReloadStore;
                    }
                    match refresh_request(state.config(), refresh_token) {
                        Ok(request) => {
                            self.refreshed = true;
                            self.phase = Phase::AwaitRefresh { epoch, generation };
                            return Output::Send(request);
                        }
                        Err(e) => {
                            state.refresh_done(epoch, generation, Err(e.clone()));
                            self.finish(Err(Error::RefreshFailed(Box::new(e))));
                        }
                    }
                }
                Phase::WaitRefresh { epoch } => match state.tokens.outcome(epoch, now.instant) {
                    RefreshOutcome::InFlight(until) => {
                        self.phase = Phase::WaitRefresh { epoch };
                        return Output::AwaitRefresh(earliest(until, self.deadline));
                    }
                    RefreshOutcome::Settled => self.phase = Phase::Ready,
                    RefreshOutcome::Failed(e) => {
                        self.finish(Err(Error::RefreshFailed(Box::new(e))))
                    }
                },
                Phase::Backoff { until } => {
                    if now.instant >= until {
                        self.phase = Phase::Ready;
                    } else {
                        self.phase = Phase::Backoff { until };
                        return Output::Sleep(
                            earliest(Some(until), self.deadline).unwrap_or(until),
                        );
                    }
                }
                phase @ (Phase::AwaitMain { .. }
                | Phase::AwaitRefresh { .. }
                | Phase::ReloadStore { .. }) => {
                    // The driver polled while it owed the call an answer.
                    self.phase = phase;
                    self.abandon_refresh(state);
                    self.finish(Err(Error::Misuse(
                        crate::error::Misuse::PolledWhileOutstanding,
                    )));
                }
            }
        }
    }

    /// Fixes the call's deadline at its first poll.
    fn start_clock(&mut self, now: Now) {
        if !self.started {
            self.started = true;
            // A limit past the end of the clock is no limit.
            self.deadline = now.instant.checked_add(self.limit);
        }
    }

    /// [`Machine::poll_shared`](crate::Machine::poll_shared): in the `Ready` phase,
    /// before the deadline, with a bearer token that needs no refresh (or none needed),
    /// sends the next attempt; anything else is left to [`Call::poll`].
    pub fn poll_shared(&mut self, now: Now, state: &ClientState) -> Option<Output<E::Output>> {
        if !matches!(self.phase, Phase::Ready) {
            return None;
        }
        self.start_clock(now);
        if self.deadline.is_some_and(|d| now.instant >= d) {
            return None;
        }
        let prepared = self.prepared.as_ref()?;
        let (bearer, generation) = if !prepared.auth.uses_bearer() {
            (None, None)
        } else if let Some(token) = &self.override_token {
            (Some(bearer_header(token)), None)
        } else {
            let (header, generation) = state.tokens.peek(now.wall, !self.refreshed)?;
            (Some(header.clone()), Some(generation))
        };
        if matches!(bearer, Some(None)) {
            // A token a header cannot carry: `poll` reports it.
            return None;
        }
        self.send_attempt(state.config(), bearer, generation)
    }

    /// Sends the next attempt with `bearer` (as [`Prepared::authorize`] takes it);
    /// `None` when the call failed instead. The first attempt's request was built with
    /// the call; a later one is built again here, from the endpoint and `config`.
    fn send_attempt(
        &mut self,
        config: &Config,
        bearer: Option<Option<HeaderValue>>,
        generation: Option<u64>,
    ) -> Option<Output<E::Output>> {
        let prepared = self.prepared.as_ref()?;
        let request = match self.first.0.take() {
            Some(request) => Ok(request),
            None => self
                .endpoint
                .request()
                .and_then(|spec| Prepared::new(config, spec, self.idempotency_key.as_deref()))
                .map(|(_, request)| request),
        };
        match request.and_then(|request| prepared.authorize(request, bearer)) {
            Ok(request) => {
                self.attempt += 1;
                self.phase = Phase::AwaitMain { generation };
                Some(Output::Send(request))
            }
            Err(e) => {
                self.finish(Err(e));
                None
            }
        }
    }

    /// [`Machine::handle_response_shared`](crate::Machine::handle_response_shared): a
    /// success that changes no token and owes the retry budget nothing is fed here
    /// (`None`); anything else goes back.
    pub fn handle_response_shared(
        &mut self,
        state: &ClientState,
        response: http::Response<Bytes>,
    ) -> Option<http::Response<Bytes>> {
        let plain = matches!(self.phase, Phase::AwaitMain { .. })
            && response.status().is_success()
            && state.budget.is_full()
            && match &self.result {
                Some(Ok(output)) => {
                    matches!(self.endpoint.token_update(output), TokenUpdate::Keep)
                }
                Some(Err(_)) => true,
                None => false,
            };
        match self.result.take() {
            Some(result) if plain => {
                self.finish(result);
                // Freed here, under a lock other readers share.
                drop(response);
                None
            }
            decoded => {
                self.result = decoded;
                Some(response)
            }
        }
    }

    /// The `Ready` phase: pick the bearer token and send, or go refresh first.
    fn ready(&mut self, now: Now, state: &mut ClientState) -> Option<Output<E::Output>> {
        let Some(prepared) = &self.prepared else {
            self.finish(Err(Error::Misuse(crate::error::Misuse::PolledAfterDone)));
            return None;
        };
        let (bearer, generation) = if !prepared.auth.uses_bearer() {
            (None, None)
        } else if let Some(token) = &self.override_token {
            (Some(bearer_header(token)), None)
        } else {
            match state.tokens.acquire(now.wall, now.instant, !self.refreshed) {
                Acquire::Use {
                    header, generation, ..
                } => (Some(header), Some(generation)),
                acquire @ (Acquire::Refresh { .. } | Acquire::Wait { .. }) => {
                    self.phase = Phase::for_refresh(acquire);
                    return None;
                }
                Acquire::Missing if prepared.auth == Auth::Bearer => {
                    self.finish(Err(Error::MissingToken { operation: E::NAME }));
                    return None;
                }
                Acquire::Missing => (None, None),
            }
        };
        self.send_attempt(state.config(), bearer, generation)
    }

    /// Feeds the response to the request last returned by [`Output::Send`].
    pub fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitRefresh { epoch, generation } => {
                let result = read_refresh(&response, now);
                state.refresh_done(epoch, generation, result.clone());
                match result {
                    Ok(_) => self.phase = Phase::Ready,
                    Err(e) => self.finish(Err(Error::RefreshFailed(Box::new(e)))),
                }
            }
            Phase::AwaitMain { generation } => {
                self.main_response(now, state, &response, generation);
            }
            phase => {
                self.phase = phase;
                self.abandon_refresh(state);
                self.finish(Err(Error::Misuse(crate::error::Misuse::UnexpectedResponse)));
            }
        }
    }

    /// Feeds a failure to send the request or read its response.
    pub fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        // A body decoded ahead belongs to a response, not to this failure.
        if !matches!(self.phase, Phase::Finished) {
            self.result = None;
        }
        let error = Error::from(error);
        if self.cut_by_deadline(now, &error)
            && matches!(
                self.phase,
                Phase::AwaitRefresh { .. } | Phase::AwaitMain { .. }
            )
        {
            // The driver bounded the request by what was left of the call's deadline:
            // this is the deadline, not a failure of the server. A refresh this call
            // owned is handed back (its waiters may still have time), not failed.
            self.abandon_refresh(state);
            self.finish(Err(Error::DeadlineExceeded {
                operation: E::NAME,
                limit: self.limit,
            }));
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitRefresh { epoch, generation } => {
                state.refresh_done(epoch, generation, Err(error.clone()));
                self.finish(Err(Error::RefreshFailed(Box::new(error))));
            }
            Phase::AwaitMain { .. } => {
                let reason = match &error {
                    // A TLS failure (untrusted, wrong name, expired) fails the same way
                    // again: not retried.
                    Error::Transport(e) if e.kind == crate::error::TransportErrorKind::Tls => None,
                    Error::Transport(e) => Some(RetryReason::Transport(e.kind)),
                    Error::Timeout(_) => Some(RetryReason::Timeout),
                    _ => None,
                };
                if let Some(reason) = reason {
                    if self.retry(now, state, reason, RetryBudget::TRANSPORT_COST) {
                        return;
                    }
                }
                self.finish(Err(error));
            }
            phase => {
                self.phase = phase;
                self.abandon_refresh(state);
                self.finish(Err(Error::Misuse(crate::error::Misuse::UnexpectedError)));
            }
        }
    }

    /// Feeds what the token store held when re-read under its refresh lock (after
    /// [`Output::ReloadStore`]), or the error the lock or the read gave.
    pub fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    ) {
        let Phase::ReloadStore { epoch, generation } =
            std::mem::replace(&mut self.phase, Phase::Finished)
        else {
            self.abandon_refresh(state);
            self.finish(Err(Error::Misuse(crate::error::Misuse::UnexpectedReload)));
            return;
        };
        let snapshot = match reloaded {
            Ok(snapshot) => snapshot,
            Err(e) => {
                state.refresh_done(epoch, generation, Err(e.clone()));
                self.finish(Err(Error::RefreshFailed(Box::new(e))));
                return;
            }
        };
        match state.reload(epoch, generation, snapshot.tokens, snapshot.written, now) {
            Reload::Adopted => {
                self.refreshed = true;
                self.phase = Phase::Ready;
            }
            // Someone else's now (tokens were set, or the lease ran out and another
            // call took it over): start again; a refresh of its own re-reads the store.
            Reload::Gone => {
                self.reloaded = false;
                self.phase = Phase::Ready;
            }
            Reload::Proceed {
                refresh_token,
                generation,
            } => {
                self.phase = Phase::SendRefresh {
                    refresh_token,
                    epoch,
                    generation,
                }
            }
        }
    }

    /// The call goes away before it is done (its future was dropped): a refresh it owns
    /// is abandoned, so the calls waiting for it go on. Safe to call at any time.
    pub fn abandon(&mut self, state: &mut ClientState) {
        self.abandon_refresh(state);
        if !matches!(self.phase, Phase::Finished) {
            self.finish(Err(Error::Misuse(crate::error::Misuse::Abandoned)));
        }
    }

    /// True when a failure came at (or a hair before, for a timeout the driver cut to
    /// the time left) the call's deadline.
    fn cut_by_deadline(&self, now: Now, error: &Error) -> bool {
        const TIMER_SLACK: Duration = Duration::from_millis(20);
        self.deadline.is_some_and(|d| {
            now.instant >= d
                || (matches!(error, Error::Timeout(_))
                    && d.saturating_duration_since(now.instant) <= TIMER_SLACK)
        })
    }

    fn abandon_refresh(&mut self, state: &mut ClientState) {
        if let Some(epoch) = self.phase.owned_refresh() {
            state.refresh_abandoned(epoch);
            self.phase = Phase::Ready;
        }
    }

    fn main_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: &http::Response<Bytes>,
        generation: Option<u64>,
    ) {
        let status = response.status();
        if status.is_success() {
            let result = self
                .result
                .take()
                .unwrap_or_else(|| crate::endpoint::read(&self.endpoint, response));
            if let Ok(output) = &result {
                let update = self.endpoint.token_update(output);
                state.apply(update, now.wall);
                state.budget.on_success();
            }
            self.finish(result);
            return;
        }
        if status.is_redirection() || status.is_informational() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            self.finish(Err(Error::Redirect { status, location }));
            return;
        }
        if status == StatusCode::UNAUTHORIZED && !self.replayed {
            if let Some(generation) = generation {
                self.replayed = true;
                match state
                    .tokens
                    .on_unauthorized(generation, now.instant, !self.refreshed)
                {
                    // Nothing (more) to refresh with: the 401 is the answer.
                    Acquire::Missing => {}
                    acquire => {
                        self.phase = Phase::for_refresh(acquire);
                        return;
                    }
                }
            }
        }
        let error = api_error(
            E::NAME,
            status,
            response.headers(),
            response.body(),
            now.wall,
        );
        let reason = RetryReason::Status {
            status,
            retry_after: error.retry_after,
        };
        if self.retry(now, state, reason, RetryBudget::RETRY_COST) {
            return;
        }
        self.finish(Err(error.into()));
    }

    /// The retry decided by the last `handle_*`, once: the driver reports it (to
    /// interceptors, to `tracing`) before it sleeps.
    pub fn take_retry(&mut self) -> Option<RetryNotice> {
        self.notice.take()
    }

    /// Schedules another attempt when the policy and the budget allow it, leaving a
    /// [`RetryNotice`] for the driver.
    fn retry(&mut self, now: Now, state: &mut ClientState, reason: RetryReason, cost: u32) -> bool {
        let Some(prepared) = &self.prepared else {
            return false;
        };
        let jitter = state.jitter();
        let decision = decide(
            state.config().retry(),
            &prepared.method,
            prepared.has_idempotency_key,
            reason.failure(),
            self.attempt,
            jitter,
        );
        match decision {
            // A delay past the end of the monotonic clock (an absurd `Retry-After` under
            // a policy that does not clamp it), or past the call's deadline, is no
            // retry: give up with the error in hand.
            Decision::RetryAfter(delay) => match now.instant.checked_add(delay) {
                Some(until)
                    if self.deadline.is_none_or(|d| until < d)
                        && state.budget.try_withdraw(cost) =>
                {
                    self.phase = Phase::Backoff { until };
                    self.notice = Some(RetryNotice::new(self.attempt, delay, reason));
                    true
                }
                _ => false,
            },
            Decision::GiveUp => false,
        }
    }

    fn finish(&mut self, result: Result<E::Output, Error>) {
        self.result = Some(result);
        self.phase = Phase::Finished;
    }
}

/// The earlier of two optional instants (`None`: unbounded).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<E: Endpoint> crate::machine::Machine for Call<E> {
    type Output = E::Output;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<E::Output> {
        Call::poll(self, now, state)
    }

    fn poll_shared(&mut self, now: Now, state: &ClientState) -> Option<Output<E::Output>> {
        Call::poll_shared(self, now, state)
    }

    fn handle_response_shared(
        &mut self,
        _now: Now,
        state: &ClientState,
        response: http::Response<Bytes>,
    ) -> Option<http::Response<Bytes>> {
        Call::handle_response_shared(self, state, response)
    }

    fn take_result(&mut self) -> Option<Result<E::Output, Error>> {
        if matches!(self.phase, Phase::Finished) {
            self.result.take()
        } else {
            None
        }
    }

    fn prepare_response(&mut self, response: &http::Response<Bytes>) {
        if !matches!(self.phase, Phase::Finished) {
            self.result = (matches!(self.phase, Phase::AwaitMain { .. })
                && response.status().is_success())
            .then(|| crate::endpoint::read(&self.endpoint, response));
        }
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        Call::handle_response(self, now, state, response);
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        Call::handle_error(self, now, state, error);
    }

    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    ) {
        Call::handle_reload(self, now, state, reloaded);
    }

    fn abandon(&mut self, state: &mut ClientState) {
        Call::abandon(self, state);
    }

    fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn name(&self) -> &'static str {
        E::NAME
    }

    fn describe(&self) -> Option<(&Method, &'static str)> {
        self.prepared.as_ref().map(|p| (&p.method, p.template))
    }

    fn attempt(&self) -> u32 {
        self.attempt
    }

    fn refreshing(&self) -> bool {
        Call::refreshing(self)
    }

    fn take_retry(&mut self) -> Option<RetryNotice> {
        Call::take_retry(self)
    }
}

fn read_refresh(response: &http::Response<Bytes>, now: Now) -> Result<crate::Tokens, Error> {
    let status = response.status();
    if status.is_success() {
        return crate::refresh::read(response).map(|issued| issued.at(now.wall));
    }
    if status.is_redirection() {
        return Err(Error::Redirect {
            status,
            location: None,
        });
    }
    Err(api_error(
        crate::refresh::OPERATION,
        status,
        response.headers(),
        response.body(),
        now.wall,
    )
    .into())
}

fn refresh_request(config: &Config, refresh_token: Secret) -> Result<http::Request<Bytes>, Error> {
    let (prepared, request) =
        Prepared::new(config, crate::refresh::request(&refresh_token)?, None)?;
    prepared.authorize(request, None)
}

impl Prepared {
    fn new(
        config: &Config,
        spec: RequestSpec,
        idempotency_key: Option<&str>,
    ) -> Result<(Self, http::Request<Bytes>), Error> {
        let spec = spec.validate()?;
        if spec.auth != Auth::Anonymous {
            // The request carries credentials (in its headers, or a password or refresh
            // token in its body): never in clear to another machine unless allowed.
            if let Some(host) = config.insecure_host() {
                return Err(Error::InsecureTransport {
                    host: host.to_owned(),
                });
            }
        }
        let query = spec.query_string();
        let mut url =
            String::with_capacity(config.base_url().len() + spec.path.len() + query.len() + 1);
        url.push_str(config.base_url());
        url.push_str(&spec.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        // The string becomes the URI's bytes, without a second copy.
        let uri =
            Uri::try_from(url).map_err(|_| Error::invalid("path", "does not form a valid URI"))?;

        let mut headers = HeaderMap::with_capacity(6 + spec.headers.len());
        headers.insert(USER_AGENT, config.user_agent().clone());
        if spec.auth != Auth::Anonymous && config.api_key().is_some() {
            // Built (and marked sensitive) once, by `Config::with_api_key`.
            let value = config.api_key_header().cloned().ok_or_else(|| {
                Error::invalid("api_key", "holds characters a header cannot carry")
            })?;
            headers.insert(X_API_KEY, value);
        }
        if spec.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if !spec.headers.iter().any(|(n, _)| n == ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        let bearer_slot =
            spec.auth.uses_bearer() && !spec.headers.iter().any(|(n, _)| n == AUTHORIZATION);
        if bearer_slot {
            // Never sent as it is: `build` writes the token over it, or removes it.
            headers.insert(AUTHORIZATION, HeaderValue::from_static(""));
        }
        for (name, value) in spec.headers {
            headers.insert(name, value);
        }
        let key = idempotency_key
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .or(spec.idempotency_key);
        if let Some(key) = &key {
            let value = HeaderValue::from_str(key).map_err(|_| {
                Error::invalid("idempotency_key", "holds characters a header cannot carry")
            })?;
            headers.insert(X_IDEMPOTENCY_KEY, value);
        }
        let mut request = http::Request::new(spec.body.unwrap_or_default());
        *request.method_mut() = spec.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let prepared = Self {
            method: spec.method,
            auth: spec.auth,
            template: spec.template,
            has_idempotency_key: key.is_some(),
            bearer_slot,
        };
        Ok((prepared, request))
    }

    /// `request` (as [`Prepared::new`] built it) ready to send: `bearer` is the
    /// `Authorization` value to send, `None` for none, `Some(None)` for a token that
    /// cannot be sent in a header.
    fn authorize(
        &self,
        mut request: http::Request<Bytes>,
        bearer: Option<Option<HeaderValue>>,
    ) -> Result<http::Request<Bytes>, Error> {
        match bearer {
            Some(Some(value)) => {
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            Some(None) => {
                return Err(Error::invalid(
                    "access_token",
                    "holds characters a header cannot carry",
                ))
            }
            None if self.bearer_slot => {
                request.headers_mut().remove(AUTHORIZATION);
            }
            None => {}
        }
        Ok(request)
    }
}
