//! The device-flow polling machine on virtual time.
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use spaps_proto::device::{DeviceFlowError, DevicePoll, DEFAULT_INTERVAL, SLOW_DOWN_STEP};
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
        let config = Config::new("https://h").unwrap().retry(RetryPolicy::disabled());
        let mut state = ClientState::new(config, 3);
        let start = Instant::now();
        let mut now = Now::new(start, Timestamp::from_unix_seconds(1_700_000_000).unwrap());
        let deadline = start + Duration::from_secs(expires_s);
        let mut poll = DevicePoll::new(Secret::from("dc"), Duration::from_secs(interval_s), Duration::from_secs(expires_s)).started_at(now);
        let mut interval = Duration::from_secs(interval_s);
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
