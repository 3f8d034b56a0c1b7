//! [`Call`]: the state machine of one operation, from first attempt to result.
//!
//! A driver runs a call like this (str0m and quinn-proto work the same way):
//!
//! 1. `call.poll(now, &mut state)` and act on the [`Output`]:
//!    - [`Output::Send`]: send the request; feed the response to
//!      [`Call::handle_response`], or a failure to [`Call::handle_error`];
//!    - [`Output::Sleep`]: sleep until the instant (a retry backoff), then poll again;
//!    - [`Output::AwaitRefresh`]: another call is refreshing the token; wait for
//!      [`Event::RefreshSettled`](crate::Event::RefreshSettled), then poll again;
//!    - [`Output::Done`]: the result.
//! 2. After each `handle_*`, drain [`ClientState::poll_event`] and act on the events
//!    (persist tokens, wake waiters).
//!
//! Retries, the token refresh (before expiry, or once after a 401, then one replay)
//! and the single-flight rule between concurrent calls are all decided here.

use std::time::Instant;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};

use crate::api::auth::RefreshTokens;
use crate::config::Config;
use crate::endpoint::{CallOptions, Endpoint};
use crate::error::Error;
use crate::response::api_error;
use crate::retry::{decide, Decision, Failure, RetryBudget};
use crate::secret::Secret;
use crate::spec::{Auth, RequestSpec};
use crate::state::ClientState;
use crate::timestamp::Timestamp;
use crate::tokens::{Acquire, RefreshOutcome};

/// The two clocks a call reads, passed in by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time, for backoff deadlines.
    pub instant: Instant,
    /// Wall time, for token expiry and `Retry-After` dates.
    pub wall: Timestamp,
}

impl Now {
    /// Both clocks.
    pub fn new(instant: Instant, wall: Timestamp) -> Self {
        Self { instant, wall }
    }
}

/// A source of [`Now`]. Drivers read the real clocks; tests pass a virtual one.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Both clocks, now.
    fn now(&self) -> Now;
}

/// What the driver must do next.
///
/// `Debug` shows a request's method and URI only: request bodies carry passwords and
/// tokens, so never log an `http::Request` the core built with `{:?}` yourself.
#[non_exhaustive]
pub enum Output<T> {
    /// Send this request and feed back the response or the failure.
    Send(http::Request<Bytes>),
    /// Sleep until this instant, then poll again.
    Sleep(Instant),
    /// Wait until a refresh run by another call settles, then poll again.
    AwaitRefresh,
    /// A request is outstanding: feed its response before polling.
    AwaitResponse,
    /// The call is over.
    Done(Result<T, Error>),
}

impl<T: std::fmt::Debug> std::fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Send(r) => write!(f, "Send({} {})", r.method(), r.uri()),
            Output::Sleep(t) => f.debug_tuple("Sleep").field(t).finish(),
            Output::AwaitRefresh => f.write_str("AwaitRefresh"),
            Output::AwaitResponse => f.write_str("AwaitResponse"),
            Output::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

impl<T> Output<T> {
    /// Splits off a successful result: `Err(value)` for `Done(Ok(value))`, else the
    /// same output re-typed (for machines that chain calls).
    pub fn split_value<U>(self) -> Result<Output<U>, T> {
        match self {
            Output::Done(Ok(value)) => Err(value),
            Output::Done(Err(e)) => Ok(Output::Done(Err(e))),
            Output::Send(r) => Ok(Output::Send(r)),
            Output::Sleep(t) => Ok(Output::Sleep(t)),
            Output::AwaitRefresh => Ok(Output::AwaitRefresh),
            Output::AwaitResponse => Ok(Output::AwaitResponse),
        }
    }
}

/// One operation in progress.
#[derive(Debug)]
pub struct Call<E: Endpoint> {
    endpoint: E,
    prepared: Option<Prepared>,
    override_token: Option<Secret>,
    phase: Phase,
    attempt: u32,
    replayed: bool,
    result: Option<Result<E::Output, Error>>,
}

#[derive(Debug)]
enum Phase {
    Ready,
    SendRefresh { refresh_token: Secret, epoch: u64 },
    AwaitMain { generation: Option<u64> },
    AwaitRefresh { epoch: u64 },
    WaitRefresh { epoch: u64 },
    Backoff { until: Instant },
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
            } => Phase::SendRefresh {
                refresh_token,
                epoch,
            },
            Acquire::Wait { epoch } => Phase::WaitRefresh { epoch },
            Acquire::Use { .. } | Acquire::Missing => Phase::Ready,
        }
    }
}

/// A request built once and re-sent on every attempt.
#[derive(Clone)]
struct Prepared {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    auth: Auth,
    template: &'static str,
    has_idempotency_key: bool,
}

impl<E: Endpoint> Call<E> {
    /// Starts a call; a local error (bad argument) is reported by the first poll.
    pub fn new(config: &Config, endpoint: E, options: CallOptions) -> Self {
        let (prepared, result) = match endpoint
            .request()
            .and_then(|spec| Prepared::new(config, spec, options.idempotency_key.as_deref()))
        {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(Err(e))),
        };
        let phase = if result.is_some() {
            Phase::Finished
        } else {
            Phase::Ready
        };
        Self {
            endpoint,
            prepared,
            override_token: options.access_token,
            phase,
            attempt: 0,
            replayed: false,
            result,
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

    /// True while the outstanding request is a token refresh.
    pub fn refreshing(&self) -> bool {
        matches!(
            self.phase,
            Phase::AwaitRefresh { .. } | Phase::SendRefresh { .. }
        )
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// What to do next. See the module docs of `spaps_proto::call`.
    pub fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<E::Output> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Finished => {
                    return Output::Done(
                        self.result
                            .take()
                            .unwrap_or(Err(Error::Misuse("polled after the call was done"))),
                    )
                }
                Phase::Ready => {
                    let Some(prepared) = &self.prepared else {
                        self.finish(Err(Error::Misuse("no request")));
                        continue;
                    };
                    let (bearer, generation) = if !prepared.auth.uses_bearer() {
                        (None, None)
                    } else if let Some(token) = &self.override_token {
                        (Some(token.clone()), None)
                    } else {
                        match state.tokens.acquire(now.wall) {
                            Acquire::Use { token, generation } => (Some(token), Some(generation)),
                            acquire @ (Acquire::Refresh { .. } | Acquire::Wait { .. }) => {
                                self.phase = Phase::for_refresh(acquire);
                                continue;
                            }
                            Acquire::Missing if prepared.auth == Auth::Bearer => {
                                self.finish(Err(Error::MissingToken { operation: E::NAME }));
                                continue;
                            }
                            Acquire::Missing => (None, None),
                        }
                    };
                    match prepared.build(bearer.as_ref()) {
                        Ok(request) => {
                            self.attempt += 1;
                            self.phase = Phase::AwaitMain { generation };
                            return Output::Send(request);
                        }
                        Err(e) => self.finish(Err(e)),
                    }
                }
                Phase::SendRefresh {
                    refresh_token,
                    epoch,
                } => match refresh_request(state.config(), refresh_token) {
                    Ok(request) => {
                        self.phase = Phase::AwaitRefresh { epoch };
                        return Output::Send(request);
                    }
                    Err(e) => {
                        state.refresh_done(epoch, Err(e.clone()));
                        self.finish(Err(Error::RefreshFailed(Box::new(e))));
                    }
                },
                Phase::WaitRefresh { epoch } => match state.tokens.outcome(epoch) {
                    RefreshOutcome::InFlight => {
                        self.phase = Phase::WaitRefresh { epoch };
                        return Output::AwaitRefresh;
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
                        return Output::Sleep(until);
                    }
                }
                phase @ (Phase::AwaitMain { .. } | Phase::AwaitRefresh { .. }) => {
                    self.phase = phase;
                    return Output::AwaitResponse;
                }
            }
        }
    }

    /// Feeds the response to the request last returned by [`Output::Send`].
    pub fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitRefresh { epoch } => {
                let result = read_refresh(&response, now);
                state.refresh_done(epoch, result.clone());
                match result {
                    Ok(_) => self.phase = Phase::Ready,
                    Err(e) => self.finish(Err(Error::RefreshFailed(Box::new(e)))),
                }
            }
            Phase::AwaitMain { generation } => self.main_response(now, state, response, generation),
            phase => {
                self.phase = phase;
                self.finish(Err(Error::Misuse(
                    "a response was fed while none was outstanding",
                )));
            }
        }
    }

    /// Feeds a failure to send the request or read its response: a
    /// [`Error::Transport`], [`Error::Timeout`] or [`Error::ResponseTooLarge`].
    pub fn handle_error(&mut self, now: Now, state: &mut ClientState, error: Error) {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::AwaitRefresh { epoch } => {
                state.refresh_done(epoch, Err(error.clone()));
                self.finish(Err(Error::RefreshFailed(Box::new(error))));
            }
            Phase::AwaitMain { .. } => {
                let retryable = matches!(error, Error::Transport(_) | Error::Timeout(_));
                if retryable
                    && self.retry(now, state, Failure::Transport, RetryBudget::TRANSPORT_COST)
                {
                    return;
                }
                self.finish(Err(error));
            }
            phase => {
                self.phase = phase;
                self.finish(Err(Error::Misuse(
                    "an error was fed while no request was outstanding",
                )));
            }
        }
    }

    fn main_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
        generation: Option<u64>,
    ) {
        let status = response.status();
        if status.is_success() {
            let result = self.endpoint.parse(&response);
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
                match state.tokens.on_unauthorized(generation) {
                    // Nothing to refresh with: the 401 is the answer.
                    Acquire::Missing => {}
                    acquire => {
                        self.phase = Phase::for_refresh(acquire);
                        return;
                    }
                }
            }
        }
        let error = api_error(status, response.headers(), response.body(), now.wall);
        let failure = Failure::Status(status, error.retry_after);
        if self.retry(now, state, failure, RetryBudget::RETRY_COST) {
            return;
        }
        self.finish(Err(error.into()));
    }

    /// Schedules another attempt when the policy and the budget allow it.
    fn retry(&mut self, now: Now, state: &mut ClientState, failure: Failure, cost: u32) -> bool {
        let Some(prepared) = &self.prepared else {
            return false;
        };
        let jitter = state.jitter();
        let decision = decide(
            state.config().retry_policy(),
            &prepared.method,
            prepared.has_idempotency_key,
            failure,
            self.attempt,
            jitter,
        );
        match decision {
            // A delay past the end of the monotonic clock (an absurd `Retry-After` under
            // a policy that does not clamp it) is no retry: give up.
            Decision::RetryAfter(delay) => match now.instant.checked_add(delay) {
                Some(until) if state.budget.try_withdraw(cost) => {
                    self.phase = Phase::Backoff { until };
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

impl<E: Endpoint> crate::machine::Machine for Call<E> {
    type Output = E::Output;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<E::Output> {
        Call::poll(self, now, state)
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        Call::handle_response(self, now, state, response);
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: Error) {
        Call::handle_error(self, now, state, error);
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
}

fn read_refresh(response: &http::Response<Bytes>, now: Now) -> Result<crate::Tokens, Error> {
    let status = response.status();
    if status.is_success() {
        return crate::api::auth::token_pair(RefreshTokens::NAME, response)
            .map(|pair| pair.issued().at(now.wall));
    }
    if status.is_redirection() {
        return Err(Error::Redirect {
            status,
            location: None,
        });
    }
    Err(api_error(status, response.headers(), response.body(), now.wall).into())
}

fn refresh_request(config: &Config, refresh_token: Secret) -> Result<http::Request<Bytes>, Error> {
    let endpoint = RefreshTokens::new(refresh_token);
    Prepared::new(config, endpoint.request()?, None)?.build(None)
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold a password or a token: only its size is shown.
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("body_len", &self.body.len())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    fn new(
        config: &Config,
        spec: RequestSpec,
        idempotency_key: Option<&str>,
    ) -> Result<Self, Error> {
        let spec = spec.validate()?;
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
        if spec.auth != Auth::Anonymous && config.api_key_ref().is_some() {
            // Built (and marked sensitive) once, by `Config::api_key`.
            let value = config.api_key_header().cloned().ok_or_else(|| {
                Error::invalid("api_key", "holds characters a header cannot carry")
            })?;
            headers.insert("x-api-key", value);
        }
        if spec.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if !spec.headers.iter().any(|(n, _)| n == ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
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
            headers.insert("x-idempotency-key", value);
        }
        Ok(Self {
            method: spec.method,
            uri,
            headers,
            body: spec.body.unwrap_or_default(),
            auth: spec.auth,
            template: spec.template,
            has_idempotency_key: key.is_some(),
        })
    }

    fn build(&self, bearer: Option<&Secret>) -> Result<http::Request<Bytes>, Error> {
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        if let Some(token) = bearer {
            // The formatted string becomes the header's bytes, without a second copy.
            let mut value =
                HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::invalid("access_token", "holds characters a header cannot carry")
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(request)
    }
}
