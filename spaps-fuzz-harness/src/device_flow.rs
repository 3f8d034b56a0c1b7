//! `fuzz_device`: the device flow's polling.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use spaps_proto::api::device_flow::StartDeviceFlow;
use spaps_proto::device::{classify, DeviceLogin, DevicePoll, PollAnswer};
use spaps_proto::model::device_flow::DeviceAuthorization;
use spaps_proto::response::api_error;
use spaps_proto::{Endpoint, Error, RetryPolicy, Secret};

use crate::driver::{config, Driver};
use crate::input::{join_responses, split_responses, Input, MAX_RESPONSES};

/// `fuzz_device`: `[mode u8][interval u64][lifetime u64]`, then responses (see
/// [`decode_response`](crate::decode_response)) joined by [`SEP`](crate::SEP). Mode `% 3`:
/// `0` a `DevicePoll::new` with the interval and lifetime in milliseconds; `1` a
/// `DevicePoll::from_authorization` with them in seconds (`mode & 4`: no interval sent);
/// `2` a whole `DeviceLogin`, whose first response answers the start (interval and lifetime
/// then come from its body).
///
/// Runs the machine on virtual time and checks RFC 8628's rules: the first poll at
/// once, each later poll no sooner than the interval after the previous one (5 s more
/// after each `slow_down`), no poll and no wait past the device code's lifetime, a
/// `DeadlineReached` only when the next poll would fall past it, and an end.
pub fn device(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.u8();
    let interval_raw = input.u64();
    let lifetime_raw = input.u64();
    let responses = split_responses(input.rest());
    let mut driver = Driver::new(config(RetryPolicy::default()));
    let max_steps = 4 * MAX_RESPONSES + 16;

    let (result, plan) = match mode % 3 {
        0 => {
            let interval = Duration::from_millis(interval_raw);
            let lifetime = Duration::from_millis(lifetime_raw);
            let poll = DevicePoll::new(Secret::from("dc_fuzz"), interval, lifetime)
                .started_at(driver.now());
            let plan = Plan::new(Duration::ZERO, interval, lifetime);
            (driver.run(poll, &responses, max_steps), Some(plan))
        }
        1 => {
            let interval = (mode & 4 == 0).then_some(interval_raw);
            let authorization: DeviceAuthorization = match serde_json::from_value(json!({
                "device_code": "dc_fuzz",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://example.com/device",
                "expires_in": lifetime_raw,
                "interval": interval,
            })) {
                Ok(a) => a,
                Err(e) => panic!("a device authorization: {e}"),
            };
            let plan = Plan::from_authorization(Duration::ZERO, &authorization);
            let poll = DevicePoll::from_authorization(&authorization).started_at(driver.now());
            (driver.run(poll, &responses, max_steps), Some(plan))
        }
        _ => {
            let login = DeviceLogin::new(
                driver.state().config(),
                StartDeviceFlow::default(),
                Box::new(|_: &DeviceAuthorization| {}),
            );
            let result = driver.run(login, &responses, max_steps);
            // The polls start when the start's answer is read, from what it says.
            let plan = driver.trace.fed.first().and_then(|(at, _, response)| {
                if !response.status().is_success() {
                    return None;
                }
                let authorization = StartDeviceFlow::default().parse(response).ok()?;
                Some(Plan::from_authorization(*at, &authorization))
            });
            (result, plan)
        }
    };
    let polls: Vec<Duration> = driver
        .trace
        .sends
        .iter()
        .filter(|(_, _, path)| path.ends_with("/api/cli/device/token"))
        .map(|(at, _, _)| *at)
        .collect();
    let Some(plan) = plan else {
        assert!(polls.is_empty(), "polled without a device code");
        return;
    };
    plan.check(&driver, &polls, &result);
}

/// Encodes a `fuzz_device` input.
pub fn encode_device_input(
    mode: u8,
    interval: u64,
    lifetime: u64,
    responses: &[Vec<u8>],
) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(&interval.to_le_bytes());
    out.extend_from_slice(&lifetime.to_le_bytes());
    out.extend_from_slice(&join_responses(responses));
    out
}

/// What the device-flow rules allow, for checking a run.
struct Plan {
    /// Virtual time the polling started at.
    start: Duration,
    interval: Duration,
    /// `start + lifetime`; `None` when past anything virtual time can reach.
    deadline: Option<Duration>,
}

impl Plan {
    fn new(start: Duration, interval: Duration, lifetime: Duration) -> Self {
        // `DevicePoll` keeps the interval within `MIN_INTERVAL..=MAX_WAIT` and at most
        // `MAX_WAIT` of the lifetime.
        let interval = interval.clamp(
            spaps_proto::device::MIN_INTERVAL,
            spaps_proto::device::MAX_WAIT,
        );
        let lifetime = lifetime.min(spaps_proto::device::MAX_WAIT);
        Self {
            start,
            interval,
            deadline: start.checked_add(lifetime),
        }
    }

    fn from_authorization(start: Duration, authorization: &DeviceAuthorization) -> Self {
        let interval = authorization
            .interval
            .map_or(spaps_proto::device::DEFAULT_INTERVAL, Duration::from_secs);
        Self::new(
            start,
            interval,
            Duration::from_secs(authorization.expires_in),
        )
    }

    fn check(
        &self,
        driver: &Driver,
        polls: &[Duration],
        result: &Result<spaps_proto::model::device_flow::DeviceTokens, Error>,
    ) {
        let token_responses: Vec<&http::Response<Bytes>> = driver
            .trace
            .fed
            .iter()
            .filter(|(_, path, _)| path.ends_with("/api/cli/device/token"))
            .map(|(_, _, r)| r)
            .collect();
        let mut interval = self.interval;
        for (i, &at) in polls.iter().enumerate() {
            if let Some(deadline) = self.deadline {
                assert!(
                    at <= deadline,
                    "poll {i} at {at:?}, past the deadline {deadline:?}"
                );
            }
            if i == 0 {
                assert_eq!(at, self.start, "the first poll is not at once");
            } else {
                let gap = at - polls[i - 1];
                assert!(
                    gap >= interval,
                    "poll {i} came {gap:?} after the last, the interval is {interval:?}"
                );
            }
            // What the answer to this poll does to the interval.
            if let Some(response) = token_responses.get(i) {
                if answer(response, driver) == PollAnswer::SlowDown {
                    interval = interval
                        .saturating_add(spaps_proto::device::SLOW_DOWN_STEP)
                        .min(spaps_proto::device::MAX_WAIT);
                }
            }
        }
        if let Some(deadline) = self.deadline {
            for (from, until) in &driver.trace.sleeps {
                if *from >= self.start {
                    assert!(
                        *until <= deadline,
                        "slept until {until:?}, past the deadline {deadline:?}"
                    );
                }
            }
        }
        if let Err(Error::DeviceFlow(spaps_proto::device::DeviceFlowError::DeadlineReached(_))) =
            result
        {
            let last = polls.last().copied().unwrap_or(self.start);
            if let Some(deadline) = self.deadline {
                assert!(
                    last.checked_add(interval).is_none_or(|next| next > deadline)
                        || driver.elapsed() >= deadline,
                    "gave up at {:?} although the next poll ({last:?} + {interval:?}) fits before {deadline:?}",
                    driver.elapsed()
                );
            } else {
                panic!("DeadlineReached without a reachable deadline");
            }
        }
    }
}

/// How the device machines classify a fuzzed poll response.
fn answer(response: &http::Response<Bytes>, driver: &Driver) -> PollAnswer {
    let status = response.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return PollAnswer::Other;
    }
    let error = api_error(
        "device_flow.request_token",
        status,
        response.headers(),
        response.body(),
        driver.now().wall,
    );
    classify(&Error::from(error))
}
