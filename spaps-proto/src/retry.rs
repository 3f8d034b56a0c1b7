//! Retry policy: when a failed attempt is tried again, and after how long.
//!
//! The decision is a pure function, [`decide`], of the method, whether an idempotency
//! key is attached, what went wrong, the attempt number and a jitter sample the caller
//! draws. A client-wide [`RetryBudget`] keeps an outage from turning into a retry storm.
//!
//! - Idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are retried on the policy's
//!   statuses (429, 500, 502, 503, 504 by default) and on transport failures.
//! - POST and PATCH are retried only with an idempotency key, and the key stays the
//!   same on every attempt, so the server can tell a replay from a new request.
//! - The delay is full-jitter exponential backoff, `jitter * min(cap, base * 2^(n-1))`,
//!   unless the server sent `Retry-After` (seconds or an HTTP-date), which is honoured
//!   and clamped to [`RetryPolicy::max_retry_after`].

use std::time::Duration;

use http::{Method, StatusCode};

use crate::error::TransportErrorKind;
use crate::timestamp::Timestamp;

/// How a client retries failed attempts.
///
/// ```
/// use std::time::Duration;
/// use spaps_proto::RetryPolicy;
/// let p = RetryPolicy::default().max_attempts(5).base_delay(Duration::from_millis(100));
/// assert_eq!(p.attempts(), 5);
/// assert_eq!(RetryPolicy::disabled().attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    statuses: Vec<u16>,
    methods: Vec<Method>,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms base, 10 s cap, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            statuses: vec![429, 500, 502, 503, 504],
            methods: vec![
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::PUT,
                Method::DELETE,
            ],
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// Total attempts, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the second attempt; it doubles for each later one.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` honoured; a longer one is clamped to it.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// The statuses that are retried.
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// The methods retried without an idempotency key.
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Whether the backoff is jittered (full jitter). On by default.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Total attempts allowed.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff cap.
    pub fn delay_cap(&self) -> Duration {
        self.max_delay
    }

    /// The `Retry-After` clamp.
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether `method` may be retried (always, given an idempotency key).
    pub fn allows(&self, method: &Method, has_idempotency_key: bool) -> bool {
        has_idempotency_key || self.methods.contains(method)
    }

    /// Whether `status` is retried.
    pub fn retries_status(&self, status: StatusCode) -> bool {
        self.statuses.contains(&status.as_u16())
    }

    /// The backoff before attempt `next_attempt` (2 for the first retry), given a jitter
    /// sample in `[0, 1]`. Always within `[0, max_delay]`.
    pub fn backoff(&self, next_attempt: u32, jitter_sample: f64) -> Duration {
        let exp = next_attempt.saturating_sub(2).min(32);
        let ceiling = self
            .base_delay
            .checked_mul(1u32 << exp.min(31))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        if !self.jitter {
            return ceiling;
        }
        let sample = if jitter_sample.is_finite() {
            jitter_sample.clamp(0.0, 1.0)
        } else {
            1.0
        };
        // Not `Duration::mul_f64`: it panics when the product rounds up past
        // `Duration::MAX` (a ceiling within 2^11 s of it, under a policy without a cap).
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * sample)
            .map_or(ceiling, |d| d.min(ceiling))
    }
}

/// What went wrong with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with this status (and maybe a `Retry-After`).
    Status(StatusCode, Option<Duration>),
    /// No usable response: connect error, reset, timeout.
    Transport,
}

/// The retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// Give up and report the failure.
    GiveUp,
}

/// A retry the core decided on, for the driver to report (to interceptors and
/// `tracing`) before it waits: the attempt that failed, how long the wait is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryNotice {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// The wait before the next attempt (backoff with jitter, or the server's
    /// `Retry-After`, clamped).
    pub delay: Duration,
    /// What went wrong.
    pub reason: RetryReason,
}

impl RetryNotice {
    /// A notice that attempt `attempt` failed with `reason` and is tried again after
    /// `delay`.
    pub fn new(attempt: u32, delay: Duration, reason: RetryReason) -> Self {
        Self {
            attempt,
            delay,
            reason,
        }
    }

    /// The attempt about to be made.
    pub fn next_attempt(&self) -> u32 {
        self.attempt.saturating_add(1)
    }
}

/// Why an attempt is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// The server answered with a retryable status.
    Status {
        /// The status.
        status: StatusCode,
        /// The wait the server asked for (`Retry-After`), before clamping.
        retry_after: Option<Duration>,
    },
    /// The request could not be sent or its response read.
    Transport(TransportErrorKind),
    /// No response came within the timeout.
    Timeout,
}

impl RetryReason {
    /// The failure [`decide`] weighs.
    pub fn failure(self) -> Failure {
        match self {
            RetryReason::Status {
                status,
                retry_after,
            } => Failure::Status(status, retry_after),
            RetryReason::Transport(_) | RetryReason::Timeout => Failure::Transport,
        }
    }
}

impl std::fmt::Display for RetryReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetryReason::Status { status, .. } => write!(f, "status {}", status.as_u16()),
            RetryReason::Transport(kind) => write!(f, "transport: {kind}"),
            RetryReason::Timeout => f.write_str("timeout"),
        }
    }
}

/// Decides whether attempt `attempt` (1-based), which failed with `failure`, is tried
/// again. `jitter_sample` is a uniform sample in `[0, 1]` drawn by the caller.
///
/// ```
/// use http::{Method, StatusCode};
/// use spaps_proto::retry::{decide, Decision, Failure};
/// use spaps_proto::RetryPolicy;
/// let p = RetryPolicy::default();
/// let busy = Failure::Status(StatusCode::SERVICE_UNAVAILABLE, None);
/// assert!(matches!(decide(&p, &Method::GET, false, busy, 1, 0.5), Decision::RetryAfter(_)));
/// assert_eq!(decide(&p, &Method::POST, false, busy, 1, 0.5), Decision::GiveUp);
/// ```
pub fn decide(
    policy: &RetryPolicy,
    method: &Method,
    has_idempotency_key: bool,
    failure: Failure,
    attempt: u32,
    jitter_sample: f64,
) -> Decision {
    if attempt >= policy.max_attempts || !policy.allows(method, has_idempotency_key) {
        return Decision::GiveUp;
    }
    match failure {
        Failure::Status(status, retry_after) => {
            if !policy.retries_status(status) {
                return Decision::GiveUp;
            }
            match retry_after {
                Some(wait) => Decision::RetryAfter(wait.min(policy.max_retry_after)),
                None => Decision::RetryAfter(policy.backoff(attempt + 1, jitter_sample)),
            }
        }
        Failure::Transport => Decision::RetryAfter(policy.backoff(attempt + 1, jitter_sample)),
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (relative to `now`).
/// A date in the past means no wait. Unparsable values give `None`.
///
/// ```
/// use std::time::Duration;
/// use spaps_proto::{retry::parse_retry_after, Timestamp};
/// let now = Timestamp::from_unix_seconds(784_111_777).unwrap(); // Sun, 06 Nov 1994 08:49:37 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if value.len() > 64 {
        return None;
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values instead of failing; the policy clamps them anyway.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(Timestamp::from_system_time(date).duration_since(now))
}

/// A client-wide token bucket that bounds retries during an outage.
///
/// Each retry withdraws [`RetryBudget::RETRY_COST`] (a transport failure costs
/// [`RetryBudget::TRANSPORT_COST`]); each success refunds one token, up to the capacity.
/// When the bucket cannot pay, the failure is returned instead of retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryBudget {
    capacity: u32,
    available: u32,
}

impl RetryBudget {
    /// The cost of retrying after an error status.
    pub const RETRY_COST: u32 = 5;
    /// The cost of retrying after a transport failure or timeout.
    pub const TRANSPORT_COST: u32 = 10;

    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        Self {
            capacity,
            available: capacity,
        }
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        self.available
    }

    /// Withdraws `cost`; false (and nothing withdrawn) when the bucket cannot pay.
    pub fn try_withdraw(&mut self, cost: u32) -> bool {
        if self.available >= cost {
            self.available -= cost;
            true
        } else {
            false
        }
    }

    /// True when the bucket holds its whole capacity (a success refunds nothing).
    pub fn is_full(&self) -> bool {
        self.available >= self.capacity
    }

    /// Refunds one token after a success.
    pub fn on_success(&mut self) {
        // A full bucket (the usual case) is left unwritten.
        if !self.is_full() {
            self.available += 1;
        }
    }
}

impl Default for RetryBudget {
    /// 500 tokens: a hundred retries in a row before the client stops retrying.
    fn default() -> Self {
        Self::new(500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_method() -> impl Strategy<Value = Method> {
        prop_oneof![
            Just(Method::GET),
            Just(Method::HEAD),
            Just(Method::OPTIONS),
            Just(Method::PUT),
            Just(Method::DELETE),
            Just(Method::POST),
            Just(Method::PATCH),
        ]
    }

    fn any_failure() -> impl Strategy<Value = Failure> {
        prop_oneof![
            Just(Failure::Transport),
            (100u16..600, proptest::option::of(0u64..100_000)).prop_map(|(s, ra)| {
                Failure::Status(
                    StatusCode::from_u16(s).unwrap(),
                    ra.map(Duration::from_secs),
                )
            }),
        ]
    }

    proptest! {
        #[test]
        fn post_and_patch_without_a_key_are_never_retried(
            failure in any_failure(), attempt in 1u32..10, jitter in 0.0f64..=1.0, max in 1u32..10,
        ) {
            let p = RetryPolicy::default().max_attempts(max);
            for m in [Method::POST, Method::PATCH] {
                prop_assert_eq!(decide(&p, &m, false, failure, attempt, jitter), Decision::GiveUp);
            }
        }

        #[test]
        fn backoff_stays_within_zero_and_the_cap(
            base_ms in 0u64..100_000, cap_ms in 0u64..1_000_000, attempt in 0u32..200,
            jitter in proptest::num::f64::ANY, jittered in any::<bool>(),
        ) {
            let p = RetryPolicy::default()
                .base_delay(Duration::from_millis(base_ms))
                .max_delay(Duration::from_millis(cap_ms))
                .jitter(jittered);
            let d = p.backoff(attempt, jitter);
            prop_assert!(d <= Duration::from_millis(cap_ms));
        }

        #[test]
        fn retry_after_is_clamped(
            method in any_method(), key in any::<bool>(), secs in 0u64..u64::MAX / 2,
            clamp in 0u64..3600, status in prop_oneof![Just(429u16), Just(503u16)],
        ) {
            let p = RetryPolicy::default().max_attempts(5).max_retry_after(Duration::from_secs(clamp));
            let f = Failure::Status(StatusCode::from_u16(status).unwrap(), Some(Duration::from_secs(secs)));
            match decide(&p, &method, key, f, 1, 0.5) {
                Decision::RetryAfter(d) => prop_assert!(d <= Duration::from_secs(clamp)),
                Decision::GiveUp => prop_assert!(!p.allows(&method, key)),
            }
        }

        #[test]
        fn never_more_than_max_attempts(method in any_method(), failure in any_failure(), max in 1u32..6) {
            let p = RetryPolicy::default().max_attempts(max);
            prop_assert_eq!(decide(&p, &method, true, failure, max, 0.5), Decision::GiveUp);
        }

        #[test]
        fn retry_after_parsing_never_panics(s in ".{0,80}") {
            let _ = parse_retry_after(&s, Timestamp::UNIX_EPOCH);
        }
    }

    #[test]
    fn idempotency_key_allows_post() {
        let p = RetryPolicy::default();
        let f = Failure::Status(StatusCode::BAD_GATEWAY, None);
        assert!(matches!(
            decide(&p, &Method::POST, true, f, 1, 1.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(
                &p,
                &Method::GET,
                false,
                Failure::Status(StatusCode::BAD_REQUEST, None),
                1,
                1.0
            ),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_doubles_until_the_cap() {
        let p = RetryPolicy::default()
            .jitter(false)
            .base_delay(Duration::from_millis(500))
            .max_delay(Duration::from_secs(3));
        let got: Vec<u128> = (2..7).map(|n| p.backoff(n, 0.0).as_millis()).collect();
        assert_eq!(got, vec![500, 1000, 2000, 3000, 3000]);
    }

    #[test]
    fn retry_after_dates() {
        let now = Timestamp::from_unix_seconds(784_111_777).unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn budget_stops_a_storm_and_refills() {
        let mut b = RetryBudget::new(10);
        assert!(b.try_withdraw(RetryBudget::RETRY_COST));
        assert!(b.try_withdraw(RetryBudget::RETRY_COST));
        assert!(!b.try_withdraw(RetryBudget::RETRY_COST));
        for _ in 0..20 {
            b.on_success();
        }
        assert_eq!(b.available(), 10);
    }
}
