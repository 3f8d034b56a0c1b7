//! The device-flow polling machine on virtual time.
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use spaps_proto::device::{
    DeviceFlowError, DevicePoll, DEFAULT_INTERVAL, MAX_WAIT, MIN_INTERVAL, SLOW_DOWN_STEP,
};
use spaps_proto::model::device_flow::DeviceAuthorization;
use spaps_proto::{
    ClientState, Config, Error, Machine, Now, Output, RetryPolicy, Secret, Timestamp,
};

#[derive(Debug, Clone, Copy)]
enum Answer {
    Pending,
    SlowDown,
    Tokens,
    Denied,
    Expired,
    ServerError,
}

fn reply(answer: Answer) -> http::Response<Bytes> {
    let (status, body) = match answer {
        Answer::Pending => (400, r#"{"error":{"code":"authorization_pending"}}"#),
        Answer::SlowDown => (400, r#"{"error":"slow_down","error_description":"easy"}"#),
        Answer::Tokens => (
            200,
            r#"{"data":{"access_token":"at","refresh_token":"rt","expires_in":60}}"#,
        ),
        Answer::Denied => (403, r#"{"error":{"code":"access_denied","message":"no"}}"#),
        Answer::Expired => (400, r#"{"error":"expired_token"}"#),
        Answer::ServerError => (500, "oops"),
    };
    let mut r = http::Response::new(Bytes::from_static(body.as_bytes()));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    r
}

fn any_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        8 => Just(Answer::Pending),
        3 => Just(Answer::SlowDown),
        1 => Just(Answer::Tokens),
        1 => Just(Answer::Denied),
        1 => Just(Answer::Expired),
        1 => Just(Answer::ServerError),
    ]
}

proptest! {
    #[test]
    fn waits_respect_the_interval_and_never_pass_the_expiry(
        answers in proptest::collection::vec(any_answer(), 1..40),
        interval_s in 0u64..20,
        expires_s in 1u64..600,
    ) {
        let config = Config::new("https://h").unwrap().with_retry(RetryPolicy::disabled());
        let mut state = ClientState::new(config, 3);
        let start = Instant::now();
        let mut now = Now::new(start, Timestamp::from_unix_seconds(1_700_000_000).unwrap());
        let deadline = start + Duration::from_secs(expires_s);
        let mut poll = DevicePoll::new(Secret::from("dc"), Duration::from_secs(interval_s), Duration::from_secs(expires_s)).started_at(now);
        // An interval below the minimum (`interval: 0`) is raised to it.
        let mut interval = Duration::from_secs(interval_s).max(MIN_INTERVAL);
        let mut answers = answers.into_iter();
        let mut last_poll: Option<Instant> = None;
        let mut last_answer = None;
        let result = loop {
            match poll.poll(now, &mut state) {
                Output::Send(_) => {
                    if let Some(prev) = last_poll {
                        // Never sooner than the interval in force, never past the expiry.
                        prop_assert!(now.instant - prev >= interval, "polled after {:?} < {:?}", now.instant - prev, interval);
                    }
                    prop_assert!(now.instant <= deadline);
                    last_poll = Some(now.instant);
                    let answer = answers.next().unwrap_or(Answer::Tokens);
                    if matches!(answer, Answer::SlowDown) {
                        interval += SLOW_DOWN_STEP;
                    }
                    last_answer = Some(answer);
                    poll.handle_response(now, &mut state, reply(answer));
                }
                Output::Sleep(until) => {
                    prop_assert!(until <= deadline, "a wait runs past the expiry");
                    now.instant = until;
                }
                Output::Done(r) => break r,
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        };
        match (last_answer, result) {
            (Some(Answer::Tokens), r) => prop_assert!(r.is_ok()),
            (Some(Answer::Denied), Err(Error::DeviceFlow(DeviceFlowError::Denied(_)))) => {}
            (Some(Answer::Expired), Err(Error::DeviceFlow(DeviceFlowError::Expired(_)))) => {}
            (Some(Answer::ServerError), Err(Error::Api(_))) => {}
            (Some(Answer::Pending | Answer::SlowDown), Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(_)))) => {
                prop_assert!(last_poll.unwrap() + interval > deadline);
            }
            (a, r) => prop_assert!(false, "answer {:?} ended with {:?}", a, r),
        }
    }
}

#[test]
fn rfc_defaults_and_slow_down() {
    let auth: DeviceAuthorization = serde_json::from_str(
        r#"{"device_code":"d","user_code":"U","verification_uri":"v","expires_in":900}"#,
    )
    .unwrap();
    let mut poll = DevicePoll::from_authorization(&auth);
    assert_eq!(poll.interval(), DEFAULT_INTERVAL);
    let config = Config::new("https://h").unwrap();
    let mut state = ClientState::new(config, 1);
    let now = Now::new(Instant::now(), Timestamp::UNIX_EPOCH);
    assert!(matches!(poll.poll(now, &mut state), Output::Send(_)));
    poll.handle_response(now, &mut state, reply(Answer::SlowDown));
    assert!(
        matches!(poll.poll(now, &mut state), Output::Sleep(t) if t == now.instant + Duration::from_secs(10))
    );
    assert_eq!(poll.interval(), Duration::from_secs(10));
}

/// Drives `poll` on virtual time, answering every poll with `answer`, until it ends;
/// returns the number of polls, the virtual time taken and the result.
fn run_virtual(
    mut poll: DevicePoll,
    answer: Answer,
) -> (
    u32,
    Duration,
    Result<spaps_proto::model::device_flow::DeviceTokens, Error>,
) {
    let config = Config::new("https://h")
        .unwrap()
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 5);
    let start = Instant::now();
    let mut now = Now::new(start, Timestamp::from_unix_seconds(1_700_000_000).unwrap());
    let mut sent = 0u32;
    loop {
        match poll.poll(now, &mut state) {
            Output::Send(_) => {
                sent += 1;
                assert!(sent < 100_000, "the poll loop does not end");
                poll.handle_response(now, &mut state, reply(answer));
            }
            Output::Sleep(until) => {
                assert!(until > now.instant, "a sleep that does not move the clock");
                now.instant = until;
            }
            Output::Done(result) => return (sent, now.instant - start, result),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A server answering `interval: 0` (then `authorization_pending` forever) is polled
/// once per [`MIN_INTERVAL`], not as fast as the client can go.
#[test]
fn interval_zero_is_raised_to_the_minimum() {
    let auth: DeviceAuthorization = serde_json::from_str(
        r#"{"device_code":"d","user_code":"U","verification_uri":"v","expires_in":60,"interval":0}"#,
    )
    .unwrap();
    let poll = DevicePoll::from_authorization(&auth);
    assert_eq!(poll.interval(), MIN_INTERVAL);
    let (polls, elapsed, result) = run_virtual(poll, Answer::Pending);
    assert!(matches!(
        result,
        Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(_)))
    ));
    // 60 s of lifetime at one poll a second: the first poll, then one per second.
    let bound = (elapsed.as_secs_f64() / MIN_INTERVAL.as_secs_f64()) as u32 + 1;
    assert!(polls <= bound, "{polls} polls in {elapsed:?}");
    assert_eq!(polls, 61);

    // The same through `DevicePoll::new`, with sub-second intervals.
    for interval in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_millis(999),
    ] {
        let poll = DevicePoll::new(Secret::from("dc"), interval, Duration::from_secs(10));
        assert_eq!(poll.interval(), MIN_INTERVAL);
        let (polls, _, _) = run_virtual(poll, Answer::Pending);
        assert_eq!(polls, 11, "interval {interval:?}");
    }
}

/// `slow_down` arithmetic keeps the interval within bounds: it adds its step to the
/// clamped interval and never overflows past [`MAX_WAIT`].
#[test]
fn slow_down_stays_within_bounds() {
    let poll = DevicePoll::new(Secret::from("dc"), Duration::ZERO, Duration::from_secs(60));
    let (polls, elapsed, result) = run_virtual(poll, Answer::SlowDown);
    assert!(matches!(
        result,
        Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(_)))
    ));
    // Waits of 6 s, 11 s, 16 s, 21 s (54 s in all); the next (26 s) would pass 60 s.
    assert_eq!(polls, 5);
    assert_eq!(elapsed, Duration::from_secs(54));

    let mut poll = DevicePoll::new(Secret::from("dc"), Duration::MAX, Duration::MAX);
    assert_eq!(poll.interval(), MAX_WAIT);
    let config = Config::new("https://h")
        .unwrap()
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 5);
    let now = Now::new(Instant::now(), Timestamp::UNIX_EPOCH);
    assert!(matches!(poll.poll(now, &mut state), Output::Send(_)));
    poll.handle_response(now, &mut state, reply(Answer::SlowDown));
    let _ = poll.poll(now, &mut state);
    assert_eq!(poll.interval(), MAX_WAIT);
}

/// Drives a device login on virtual time, answering every poll `pending`; returns the
/// result, the instants of the polls and when the login ended.
fn login_until_done(
    options: spaps_proto::device::DeviceLoginOptions,
    interval: u64,
) -> (Result<(), Error>, Vec<Duration>, Duration) {
    use spaps_proto::api::device_flow::StartDeviceFlow;
    use spaps_proto::device::DeviceLogin;

    let config = Config::new("https://h")
        .unwrap()
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 3);
    let start = Instant::now();
    let mut now = Now::new(start, Timestamp::from_unix_seconds(1_700_000_000).unwrap());
    let mut login = DeviceLogin::with_options(
        state.config(),
        now,
        StartDeviceFlow::default(),
        Box::new(|_| {}),
        options,
    );
    let mut polls = Vec::new();
    let result = loop {
        match login.poll(now, &mut state) {
            Output::Send(request) if request.uri().path().ends_with("/authorize") => {
                let body = format!(
                    r#"{{"data":{{"device_code":"d","user_code":"U","verification_uri":"v","expires_in":900,"interval":{interval}}}}}"#
                );
                login.handle_response(now, &mut state, http::Response::new(Bytes::from(body)));
            }
            Output::Send(_) => {
                polls.push(now.instant - start);
                login.handle_response(now, &mut state, reply(Answer::Pending));
            }
            Output::Sleep(until) => now.instant = until,
            Output::Done(r) => break r.map(|_| ()),
            other => panic!("unexpected {other:?}"),
        }
    };
    (result, polls, now.instant - start)
}

#[test]
fn a_login_timeout_ends_it_before_a_poll_past_it() {
    use spaps_proto::device::DeviceLoginOptions;
    let secs = Duration::from_secs;
    let (result, polls, ended) =
        login_until_done(DeviceLoginOptions::default().timeout(secs(12)), 5);
    assert!(
        matches!(result, Err(Error::DeviceFlow(DeviceFlowError::TimedOut(t))) if t == secs(12)),
        "{result:?}"
    );
    // Polls at 0, 5 and 10 s; the next would be at 15 s, past the limit: the login ends
    // at once instead of waiting for nothing.
    assert_eq!(polls, [secs(0), secs(5), secs(10)]);
    assert_eq!(ended, secs(10));
    // A zero limit sends nothing at all.
    let (result, polls, _) = login_until_done(DeviceLoginOptions::default().timeout(secs(0)), 5);
    assert!(matches!(
        result,
        Err(Error::DeviceFlow(DeviceFlowError::TimedOut(_)))
    ));
    assert!(polls.is_empty());
}

#[test]
fn the_interval_floor_holds_against_the_server() {
    use spaps_proto::device::DeviceLoginOptions;
    let secs = Duration::from_secs;
    // The server says 1 s; the caller's floor is 5 s.
    let options = DeviceLoginOptions::default()
        .min_interval(secs(5))
        .timeout(secs(21));
    let (_, polls, _) = login_until_done(options, 1);
    assert_eq!(polls, [secs(0), secs(5), secs(10), secs(15), secs(20)]);
    // A floor below the built-in minimum is raised to it.
    let options = DeviceLoginOptions::default()
        .min_interval(Duration::ZERO)
        .timeout(secs(3) + Duration::from_millis(500));
    let (_, polls, _) = login_until_done(options, 0);
    assert_eq!(
        polls,
        [secs(0), MIN_INTERVAL, MIN_INTERVAL * 2, MIN_INTERVAL * 3]
    );
    // DevicePoll takes the same options.
    let poll = DevicePoll::new(Secret::from("dc"), secs(1), secs(60))
        .with_options(DeviceLoginOptions::default().min_interval(secs(7)));
    assert_eq!(poll.interval(), secs(7));
}
