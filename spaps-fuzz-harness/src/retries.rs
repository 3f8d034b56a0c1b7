//! `fuzz_retry`: the retry decision and `Retry-After`.

use std::time::Duration;

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderValue, Method, StatusCode};
use spaps_proto::api::metrics::Health;
use spaps_proto::retry::{decide, parse_retry_after, Decision, Failure};
use spaps_proto::SendError;
use spaps_proto::{CallOptions, ClientState, Error, Machine, Now, Output, RetryPolicy, Timestamp};

use crate::driver::{config, Driver};
use crate::input::{encode_response, Input, STATUSES};

const METHODS: [&str; 8] = [
    "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH", "PURGE",
];

/// A duration from 8 fuzzed bytes: the low two bits pick milliseconds (below 10^8),
/// whole seconds (any), near `Duration::MAX`, or zero.
pub fn duration(x: u64) -> Duration {
    match x & 3 {
        0 => Duration::from_millis((x >> 2) % 100_000_000),
        1 => Duration::from_secs(x >> 2),
        2 => Duration::MAX.saturating_sub(Duration::from_secs(x >> 2)),
        _ => Duration::ZERO,
    }
}

/// `fuzz_retry`: `[method u8][flags u8][attempt u8][max attempts u8][base u64]`
/// `[max delay u64][max Retry-After u64][jitter sample f64 bits][status-100 u16]`
/// `[now u32]`, then a `Retry-After` text. Durations: see [`duration`]. Flags: `1`
/// idempotency key, `2` no jitter, `4` a transport failure (else the status).
///
/// Checks `parse_retry_after` against the text, `decide` and `backoff` against the
/// policy's caps, then drives a `GET /health` call with that policy, answered with the
/// status and the `Retry-After`, and checks every backoff it sleeps.
pub fn retry(data: &[u8]) {
    let mut input = Input::new(data);
    let method = Method::from_bytes(METHODS[usize::from(input.u8()) % METHODS.len()].as_bytes())
        .unwrap_or(Method::GET);
    let flags = input.u8();
    let attempt = u32::from(input.u8());
    let max_attempts = u32::from(input.u8());
    let base = duration(input.u64());
    let max_delay = duration(input.u64());
    let max_retry_after = duration(input.u64());
    let sample = f64::from_bits(input.u64());
    let status = StatusCode::from_u16(100 + input.u16() % 900).unwrap_or(StatusCode::OK);
    let now = Timestamp::from_unix_seconds(i64::from(input.u32())).unwrap_or(Timestamp::UNIX_EPOCH);
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    let key = flags & 1 != 0;

    // Retry-After.
    let wait = parse_retry_after(&text, now);
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.len() <= 64 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let secs = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(wait, Some(Duration::from_secs(secs)));
    }
    if trimmed.len() > 64 {
        assert_eq!(wait, None);
    }

    // The decision.
    let policy = RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(base)
        .max_delay(max_delay)
        .max_retry_after(max_retry_after)
        .jitter(flags & 2 == 0);
    assert!(policy.attempts() >= 1);
    let failure = if flags & 4 != 0 {
        Failure::Transport
    } else {
        Failure::Status(status, wait)
    };
    match decide(&policy, &method, key, failure, attempt, sample) {
        Decision::RetryAfter(delay) => {
            assert!(attempt < policy.attempts());
            assert!(policy.allows(&method, key));
            match failure {
                Failure::Status(s, Some(w)) => {
                    assert!(policy.retries_status(s));
                    assert_eq!(delay, w.min(max_retry_after));
                }
                Failure::Status(s, None) => {
                    assert!(policy.retries_status(s));
                    assert!(delay <= max_delay);
                }
                Failure::Transport => assert!(delay <= max_delay),
            }
        }
        Decision::GiveUp => {
            let retryable = match failure {
                Failure::Status(s, _) => policy.retries_status(s),
                Failure::Transport => true,
            };
            assert!(attempt >= policy.attempts() || !policy.allows(&method, key) || !retryable);
        }
    }
    let unjittered = policy.clone().jitter(false);
    let mut last = Duration::ZERO;
    for n in [0, 1, 2, 3, 4, 10, 31, 32, 33, 64, u32::MAX] {
        let d = policy.backoff(n, sample);
        assert!(d <= max_delay, "backoff {d:?} over the cap {max_delay:?}");
        let ceiling = unjittered.backoff(n, sample);
        assert!(
            ceiling <= max_delay,
            "backoff {ceiling:?} over the cap {max_delay:?}"
        );
        assert!(ceiling >= last, "the backoff went down at attempt {n}");
        last = ceiling;
    }
    assert!(policy.backoff(attempt + 1, sample) <= max_delay);

    // The same policy in a call.
    let policy = policy.max_attempts(max_attempts % 8);
    let mut driver = Driver::new(config(policy.clone()).with_retry_budget(1000));
    let mut chunk = encode_response(status.as_u16(), false, None, b"{}");
    if let Some(i) = STATUSES.iter().position(|&s| s == status.as_u16()) {
        chunk[0] = i as u8;
    }
    let retry_after = HeaderValue::from_str(&text).ok();
    let responses: Vec<&[u8]> = vec![chunk.as_slice(); 8];
    let call = driver
        .state_mut()
        .call(Health::new(), CallOptions::default());
    // Responses are decoded by the driver; put the Retry-After on by hand.
    let call = WithHeader {
        call,
        retry_after,
        status: StatusCode::from_u16(STATUSES[usize::from(chunk[0]) % STATUSES.len()])
            .unwrap_or(StatusCode::OK),
    };
    let _ = driver.run(call, &responses, 64);
    assert!(driver.trace.sends.len() as u32 <= policy.attempts());
    let cap = max_delay.max(max_retry_after);
    for (from, until) in &driver.trace.sleeps {
        assert!(
            *until - *from <= cap,
            "slept {:?}, over {cap:?}",
            *until - *from
        );
    }
}

/// Encodes a `fuzz_retry` input.
#[allow(clippy::too_many_arguments)]
pub fn encode_retry_input(
    method: usize,
    flags: u8,
    attempt: u8,
    max_attempts: u8,
    durations: [u64; 3],
    sample: f64,
    status: u16,
    now: u32,
    retry_after: &str,
) -> Vec<u8> {
    let mut out = vec![method as u8, flags, attempt, max_attempts];
    for d in durations {
        out.extend_from_slice(&d.to_le_bytes());
    }
    out.extend_from_slice(&sample.to_bits().to_le_bytes());
    out.extend_from_slice(&status.saturating_sub(100).to_le_bytes());
    out.extend_from_slice(&now.to_le_bytes());
    out.extend_from_slice(retry_after.as_bytes());
    out
}

/// A call whose responses get the status and `Retry-After` of the retry input.
struct WithHeader<M> {
    call: M,
    retry_after: Option<HeaderValue>,
    status: StatusCode,
}

impl<M: Machine> Machine for WithHeader<M> {
    type Output = M::Output;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<M::Output> {
        self.call.poll(now, state)
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        mut response: http::Response<Bytes>,
    ) {
        *response.status_mut() = self.status;
        if let Some(v) = &self.retry_after {
            response.headers_mut().insert(RETRY_AFTER, v.clone());
        }
        self.call.handle_response(now, state, response);
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        self.call.handle_error(now, state, error);
    }

    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<spaps_proto::StoreSnapshot, Error>,
    ) {
        self.call.handle_reload(now, state, reloaded);
    }

    fn abandon(&mut self, state: &mut ClientState) {
        self.call.abandon(state);
    }

    fn deadline(&self) -> Option<std::time::Instant> {
        self.call.deadline()
    }

    fn name(&self) -> &'static str {
        self.call.name()
    }

    fn describe(&self) -> Option<(&Method, &'static str)> {
        self.call.describe()
    }

    fn attempt(&self) -> u32 {
        self.call.attempt()
    }

    fn refreshing(&self) -> bool {
        self.call.refreshing()
    }
}
