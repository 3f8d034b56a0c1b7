//! The device-code login machines (RFC 8628 §3.4-3.5).
//!
//! [`DevicePoll`] polls the token endpoint: the first poll at once, then every
//! `interval` (5 s when the server gave none); `authorization_pending` keeps the
//! interval, `slow_down` adds 5 s to it for every later poll; `access_denied` and
//! `expired_token` end the login; and no wait ever runs past the device code's expiry:
//! when the next poll would fall after it, the login ends at once with
//! [`DeviceFlowError::DeadlineReached`]. Both error shapes are read: `{"error":
//! {"code": ..}}` and the RFC's `{"error": "..", "error_description": ..}`.
//!
//! Unlike the reference client 0.5.0, `slow_down` is not terminal and the server's
//! `interval` and `expires_in` are honoured, within bounds: an interval is never
//! shorter than [`MIN_INTERVAL`] (a server answering `interval: 0` does not make the
//! client poll as fast as it can) nor longer than [`MAX_WAIT`].
//!
//! Like the reference's `poll_interval` and `timeout`, [`DeviceLoginOptions`] adds a
//! floor of your own under the interval and an overall time limit: the login ends with
//! [`DeviceFlowError::TimedOut`] when the limit is reached, before any poll that would
//! start at or after it (a zero limit sends nothing), and no request outlives it.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;

use crate::api::device_flow::{RequestDeviceToken, StartDeviceFlow};
use crate::call::Call;
use crate::config::Config;
use crate::driver::{Now, Output, SendError};
use crate::endpoint::CallOptions;
use crate::error::Error;
use crate::machine::Machine;
use crate::model::device_flow::{DeviceAuthorization, DeviceTokens};
use crate::request::Unbound;
use crate::retry::RetryNotice;
use crate::secret::Secret;
use crate::state::ClientState;
use crate::tokens::StoreSnapshot;

/// The interval used when the server sends none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The shortest interval between polls (1 s). A smaller interval from the server
/// (`interval: 0`) or from the caller is raised to it, so that a lying or broken server
/// cannot turn polling into a busy loop.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The longest interval and device-code lifetime a [`DevicePoll`] keeps (100 years): a
/// larger one, such as a server's absurd `interval` or `expires_in`, is taken as this,
/// so that no deadline or wait overflows the clock.
pub const MAX_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

pub use crate::error::DeviceFlowError;

/// How the server answered one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::exhaustive_enums)] // RFC 8628's answers, with `Other` for the rest: complete.
pub enum PollAnswer {
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: ask again after the interval plus 5 s, and keep the longer interval.
    SlowDown,
    /// `access_denied`: stop.
    Denied,
    /// `expired_token`: stop.
    Expired,
    /// Anything else: stop with the error.
    Other,
}

/// Classifies a failed poll by its error code.
pub fn classify(error: &Error) -> PollAnswer {
    let Some(api) = error.api() else {
        return PollAnswer::Other;
    };
    if !api.status.is_client_error() {
        return PollAnswer::Other;
    }
    match api.code.as_deref() {
        Some("authorization_pending") => PollAnswer::Pending,
        Some("slow_down") => PollAnswer::SlowDown,
        Some("access_denied") => PollAnswer::Denied,
        Some("expired_token") => PollAnswer::Expired,
        _ => PollAnswer::Other,
    }
}

/// Limits a device-code login sets beyond the server's: the reference's
/// `poll_interval` (here a floor under the server's interval) and `timeout`.
///
/// ```
/// use std::time::Duration;
/// use spaps_proto::device::DeviceLoginOptions;
/// let options = DeviceLoginOptions::default()
///     .timeout(Duration::from_secs(300))
///     .min_interval(Duration::from_secs(5));
/// assert_eq!(options.timeout, Some(Duration::from_secs(300)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceLoginOptions {
    /// The longest the whole login may take, from its start (the start request, every
    /// poll and every wait); `None`: only the device code's lifetime bounds it.
    pub timeout: Option<Duration>,
    /// The shortest interval between two polls, whatever the server says; never below
    /// [`MIN_INTERVAL`]. `slow_down` still lengthens the interval from there.
    pub min_interval: Option<Duration>,
}

impl DeviceLoginOptions {
    /// Sets [`DeviceLoginOptions::timeout`].
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Sets [`DeviceLoginOptions::min_interval`].
    pub fn min_interval(mut self, floor: Duration) -> Self {
        self.min_interval = Some(floor);
        self
    }

    /// The floor under the interval: the caller's, at least [`MIN_INTERVAL`].
    fn floor(&self) -> Duration {
        self.min_interval
            .unwrap_or(MIN_INTERVAL)
            .clamp(MIN_INTERVAL, MAX_WAIT)
    }

    /// When the login started at `now` must end.
    fn end(&self, now: Now) -> Option<Instant> {
        self.timeout
            .and_then(|limit| now.instant.checked_add(limit.min(MAX_WAIT)))
    }
}

/// Polls the token endpoint until the login ends. See the module docs.
pub struct DevicePoll {
    device_code: Secret,
    interval: Duration,
    valid_for: Duration,
    deadline: Option<Instant>,
    options: DeviceLoginOptions,
    /// When the caller's time limit ends (fixed at the start).
    limit_at: Option<Instant>,
    next_at: Option<Instant>,
    call: Option<Call<RequestDeviceToken>>,
    result: Option<Result<DeviceTokens, Error>>,
    polls: u32,
}

impl fmt::Debug for DevicePoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicePoll")
            .field("interval", &self.interval)
            .field("valid_for", &self.valid_for)
            .field("options", &self.options)
            .field("polls", &self.polls)
            .finish_non_exhaustive()
    }
}

impl DevicePoll {
    /// Polls with `device_code` every `interval` for at most `valid_for` (the interval
    /// kept within [`MIN_INTERVAL`]..=[`MAX_WAIT`], the lifetime capped at [`MAX_WAIT`]).
    pub fn new(device_code: Secret, interval: Duration, valid_for: Duration) -> Self {
        Self {
            device_code,
            interval: clamp_interval(interval, MIN_INTERVAL),
            valid_for: valid_for.min(MAX_WAIT),
            deadline: None,
            options: DeviceLoginOptions::default(),
            limit_at: None,
            next_at: None,
            call: None,
            result: None,
            polls: 0,
        }
    }

    /// Polls for `authorization`, with its interval (5 s when absent, at least
    /// [`MIN_INTERVAL`]) and lifetime.
    pub fn from_authorization(authorization: &DeviceAuthorization) -> Self {
        Self::new(
            authorization.device_code.clone(),
            authorization
                .interval
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_INTERVAL),
            Duration::from_secs(authorization.expires_in),
        )
    }

    /// Applies `options`: the floor under the interval, and the time limit (counted
    /// from [`DevicePoll::started_at`], else from the first poll).
    pub fn with_options(mut self, options: DeviceLoginOptions) -> Self {
        self.options = options;
        self.interval = clamp_interval(self.interval, options.floor());
        self
    }

    /// Fixes the start of the device code's lifetime and of the time limit (else: the
    /// first poll).
    pub fn started_at(mut self, now: Now) -> Self {
        self.deadline = Some(now.instant + self.valid_for);
        self.limit_at = self.options.end(now);
        self
    }

    /// Ends the time limit at `limit_at` (a login's, which started before the polls).
    fn limited_until(mut self, limit_at: Option<Instant>) -> Self {
        self.limit_at = limit_at;
        self
    }

    /// The current interval between polls.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Polls sent so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    fn schedule(&mut self, now: Now, deadline: Instant) {
        let next = now.instant + self.interval;
        if next > deadline {
            self.result = Some(Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(
                self.valid_for,
            ))));
        } else if self.limit_at.is_some_and(|end| next >= end) {
            self.result = Some(Err(timed_out(self.options)));
        } else {
            self.next_at = Some(next);
        }
    }

    /// True once the caller's time limit has ended.
    fn expired(&self, now: Now) -> bool {
        self.limit_at.is_some_and(|end| now.instant >= end)
    }
}

impl Machine for DevicePoll {
    type Output = DeviceTokens;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<DeviceTokens> {
        if self.deadline.is_none() {
            self.limit_at = self.limit_at.or_else(|| self.options.end(now));
        }
        let deadline = *self.deadline.get_or_insert(now.instant + self.valid_for);
        loop {
            if let Some(result) = self.result.take() {
                return Output::Done(result);
            }
            if let Some(call) = &mut self.call {
                match call.poll(now, state) {
                    Output::Done(Ok(tokens)) => {
                        self.call = None;
                        return Output::Done(Ok(tokens));
                    }
                    Output::Done(Err(error)) => {
                        self.call = None;
                        if self.expired(now) && matches!(error, Error::DeadlineExceeded { .. }) {
                            return Output::Done(Err(timed_out(self.options)));
                        }
                        match classify(&error) {
                            PollAnswer::Pending => self.schedule(now, deadline),
                            PollAnswer::SlowDown => {
                                self.interval = clamp_interval(
                                    self.interval.saturating_add(SLOW_DOWN_STEP),
                                    self.options.floor(),
                                );
                                self.schedule(now, deadline);
                            }
                            PollAnswer::Denied | PollAnswer::Expired | PollAnswer::Other => {
                                return Output::Done(Err(terminal(error)));
                            }
                        }
                        continue;
                    }
                    other => return other,
                }
            }
            if let Some(at) = self.next_at {
                if now.instant < at {
                    return Output::Sleep(at);
                }
            }
            if self.expired(now) {
                return Output::Done(Err(timed_out(self.options)));
            }
            if now.instant > deadline && self.polls > 0 {
                return Output::Done(Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(
                    self.valid_for,
                ))));
            }
            self.next_at = None;
            self.polls += 1;
            let endpoint = RequestDeviceToken {
                bound: Unbound,
                device_code: self.device_code.clone(),
            };
            let options = limited(state.config(), self.limit_at, now);
            self.call = Some(state.call(endpoint, options));
        }
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        match &mut self.call {
            Some(call) => call.handle_response(now, state, response),
            None => {
                self.result = Some(Err(Error::Misuse(crate::error::Misuse::UnexpectedResponse)))
            }
        }
    }

    fn prepare_response(&mut self, response: &http::Response<Bytes>) {
        if let Some(call) = &mut self.call {
            Machine::prepare_response(call, response);
        }
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        match &mut self.call {
            Some(call) => call.handle_error(now, state, error),
            None => self.result = Some(Err(Error::Misuse(crate::error::Misuse::UnexpectedError))),
        }
    }

    fn name(&self) -> &'static str {
        "device_flow.poll"
    }

    fn describe(&self) -> Option<(&Method, &'static str)> {
        self.call.as_ref().and_then(Machine::describe)
    }

    fn attempt(&self) -> u32 {
        self.polls
    }

    fn refreshing(&self) -> bool {
        self.call.as_ref().is_some_and(Call::refreshing)
    }

    fn take_retry(&mut self) -> Option<RetryNotice> {
        self.call.as_mut().and_then(Call::take_retry)
    }

    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    ) {
        match &mut self.call {
            Some(call) => call.handle_reload(now, state, reloaded),
            None => self.result = Some(Err(Error::Misuse(crate::error::Misuse::UnexpectedReload))),
        }
    }

    fn abandon(&mut self, state: &mut ClientState) {
        if let Some(call) = &mut self.call {
            call.abandon(state);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.call.as_ref().and_then(Call::deadline)
    }
}

/// Keeps an interval within `floor..=MAX_WAIT` (`floor` is at least [`MIN_INTERVAL`]).
fn clamp_interval(interval: Duration, floor: Duration) -> Duration {
    interval.clamp(floor, MAX_WAIT)
}

/// The error of a login whose own time limit ran out.
fn timed_out(options: DeviceLoginOptions) -> Error {
    Error::DeviceFlow(DeviceFlowError::TimedOut(
        options.timeout.unwrap_or_default(),
    ))
}

/// Call options whose overall deadline ends no later than `limit_at`.
fn limited(config: &Config, limit_at: Option<Instant>, now: Now) -> CallOptions {
    CallOptions {
        call_timeout: limit_at.map(|end| {
            end.saturating_duration_since(now.instant)
                .min(config.call_timeout())
        }),
        ..CallOptions::default()
    }
}

fn terminal(error: Error) -> Error {
    let answer = classify(&error);
    match error {
        Error::Api(api) if answer == PollAnswer::Denied => {
            Error::DeviceFlow(DeviceFlowError::Denied(api))
        }
        Error::Api(api) if answer == PollAnswer::Expired => {
            Error::DeviceFlow(DeviceFlowError::Expired(api))
        }
        other => other,
    }
}

/// The whole login: start, show the codes, poll.
///
/// `show` is user code: it is called from [`Machine::run_callbacks`], which drivers run
/// after releasing their lock, before the first poll is sent.
pub struct DeviceLogin {
    start: Option<Call<StartDeviceFlow>>,
    poll: Option<DevicePoll>,
    options: DeviceLoginOptions,
    /// When the caller's time limit ends (fixed when the login was made).
    limit_at: Option<Instant>,
    show: Box<dyn FnMut(&DeviceAuthorization) + Send>,
    /// Codes to show, once the driver released the state lock.
    pending_show: Option<DeviceAuthorization>,
}

impl fmt::Debug for DeviceLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceLogin")
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl DeviceLogin {
    /// A login that starts with `start` and calls `show` once with the codes.
    pub fn new(
        config: &Config,
        start: StartDeviceFlow,
        show: Box<dyn FnMut(&DeviceAuthorization) + Send>,
    ) -> Self {
        Self {
            start: Some(Call::new(config, start, CallOptions::default())),
            poll: None,
            options: DeviceLoginOptions::default(),
            limit_at: None,
            show,
            pending_show: None,
        }
    }

    /// A login like [`DeviceLogin::new`], within `options`, its time limit counted from
    /// `now`.
    pub fn with_options(
        config: &Config,
        now: Now,
        start: StartDeviceFlow,
        show: Box<dyn FnMut(&DeviceAuthorization) + Send>,
        options: DeviceLoginOptions,
    ) -> Self {
        let limit_at = options.end(now);
        Self {
            start: Some(Call::new(config, start, limited(config, limit_at, now))),
            poll: None,
            options,
            limit_at,
            show,
            pending_show: None,
        }
    }
}

impl Machine for DeviceLogin {
    type Output = DeviceTokens;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<DeviceTokens> {
        if let Some(start) = &mut self.start {
            match start.poll(now, state).split_value() {
                Err(authorization) => {
                    self.start = None;
                    self.poll = Some(
                        DevicePoll::from_authorization(&authorization)
                            .with_options(self.options)
                            .started_at(now)
                            .limited_until(self.limit_at),
                    );
                    // Shown by `run_callbacks`, outside the driver's lock.
                    self.pending_show = Some(authorization);
                }
                Ok(Output::Done(Err(Error::DeadlineExceeded { .. })))
                    if self.limit_at.is_some_and(|end| now.instant >= end) =>
                {
                    self.start = None;
                    return Output::Done(Err(timed_out(self.options)));
                }
                Ok(other) => return other,
            }
        }
        match &mut self.poll {
            Some(poll) => poll.poll(now, state),
            None => Output::Done(Err(Error::Misuse(crate::error::Misuse::PolledAfterDone))),
        }
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => start.handle_response(now, state, response),
            (None, Some(poll)) => poll.handle_response(now, state, response),
            (None, None) => {}
        }
    }

    fn prepare_response(&mut self, response: &http::Response<Bytes>) {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => Machine::prepare_response(start, response),
            (None, Some(poll)) => poll.prepare_response(response),
            (None, None) => {}
        }
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => start.handle_error(now, state, error),
            (None, Some(poll)) => poll.handle_error(now, state, error),
            (None, None) => {}
        }
    }

    fn name(&self) -> &'static str {
        "device_flow.login"
    }

    fn describe(&self) -> Option<(&Method, &'static str)> {
        match (&self.start, &self.poll) {
            (Some(start), _) => Machine::describe(start),
            (None, Some(poll)) => poll.describe(),
            (None, None) => None,
        }
    }

    fn attempt(&self) -> u32 {
        match (&self.start, &self.poll) {
            (Some(start), _) => start.attempt(),
            (None, Some(poll)) => poll.polls(),
            (None, None) => 0,
        }
    }

    fn refreshing(&self) -> bool {
        match (&self.start, &self.poll) {
            (Some(start), _) => start.refreshing(),
            (None, Some(poll)) => poll.refreshing(),
            (None, None) => false,
        }
    }

    fn take_retry(&mut self) -> Option<RetryNotice> {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => start.take_retry(),
            (None, Some(poll)) => poll.take_retry(),
            (None, None) => None,
        }
    }

    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    ) {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => start.handle_reload(now, state, reloaded),
            (None, Some(poll)) => poll.handle_reload(now, state, reloaded),
            (None, None) => {}
        }
    }

    fn abandon(&mut self, state: &mut ClientState) {
        match (&mut self.start, &mut self.poll) {
            (Some(start), _) => start.abandon(state),
            (None, Some(poll)) => poll.abandon(state),
            (None, None) => {}
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match (&self.start, &self.poll) {
            (Some(start), _) => start.deadline(),
            (None, Some(poll)) => Machine::deadline(poll),
            (None, None) => None,
        }
    }

    fn run_callbacks(&mut self) {
        if let Some(authorization) = self.pending_show.take() {
            (self.show)(&authorization);
        }
    }
}
