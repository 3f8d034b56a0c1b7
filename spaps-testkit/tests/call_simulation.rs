//! Simulations of the call state machine on virtual time: a scheduler interleaves many
//! calls against a fake server, the way a multi-threaded driver could; lone calls run
//! on the [`Simulator`].

use std::time::Duration;

use proptest::prelude::*;

use std::time::Instant;

use bytes::Bytes;
use http::header::{AUTHORIZATION, LOCATION};
use http::{HeaderValue, StatusCode};
use spaps_proto::api::auth::SignInWithPassword;
use spaps_proto::api::sessions::GetCurrentSession;
use spaps_proto::api::whitelist::Add as AddToWhitelist;
use spaps_proto::RetryPolicy;
use spaps_proto::SendError;
use spaps_proto::Tokens;
use spaps_proto::{CallOptions, ClientState, Config, Error, Now, Output, Timestamp};
use spaps_testkit::simulator::{Responder, Simulator};

const SESSION: &str = r#"{"data":{"session":{"id":"s","user_id":"u","application_id":"a","created_at":"2025-01-15T11:00:00Z","expires_at":"2025-01-15T12:00:00Z"}}}"#;

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    let mut r = http::Response::new(Bytes::copy_from_slice(body.as_bytes()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

fn wall(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s).unwrap()
}

/// A server that accepts only the newest access token and counts refreshes.
struct Server {
    refreshes: u32,
    current: String,
}

impl Server {
    fn answer(&mut self, request: &http::Request<Bytes>) -> http::Response<Bytes> {
        if request.uri().path() == "/api/auth/refresh" {
            self.refreshes += 1;
            self.current = format!("at_new_{}", self.refreshes);
            let body = format!(
                r#"{{"data":{{"access_token":"{}","refresh_token":"rt_new_{}","expires_in":3600}}}}"#,
                self.current, self.refreshes
            );
            return response(200, &body);
        }
        let auth = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if auth == format!("Bearer {}", self.current) {
            response(200, SESSION)
        } else {
            response(
                401,
                r#"{"error":{"code":"TOKEN_EXPIRED","message":"expired"}}"#,
            )
        }
    }
}

/// Runs `n` concurrent calls on the simulator, stepping them in the order `schedule`
/// picks (then round-robin), and returns the results and the number of refreshes.
fn simulate(
    n: usize,
    tokens: Tokens,
    server_token: &str,
    schedule: &[usize],
) -> (Vec<Result<(), Error>>, u32, ClientState) {
    let config = Config::new("https://api.example.com")
        .unwrap()
        .with_api_key("k")
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 9);
    state.load_tokens(Some(tokens));
    let mut server = Server {
        refreshes: 0,
        current: server_token.to_owned(),
    };
    let calls: Vec<_> = (0..n)
        .map(|_| state.call(GetCurrentSession::new(), CallOptions::default()))
        .collect();
    let mut sim = Simulator::starting_at(state, wall(1_736_942_400));
    let results = sim
        .interleave(
            calls,
            schedule.iter().copied(),
            &mut |request: http::Request<Bytes>, _: Now| Ok(server.answer(&request)),
        )
        .expect("the simulation finishes");
    let refreshes = server.refreshes;
    (
        results.into_iter().map(|r| r.map(|_| ())).collect(),
        refreshes,
        sim.into_state(),
    )
}

proptest! {
    #[test]
    fn one_refresh_for_any_interleaving_of_calls_meeting_an_expired_token(
        n in 1usize..24, schedule in proptest::collection::vec(0usize..24, 0..400),
    ) {
        let expired = Tokens::new("at_old").with_refresh_token("rt_old").with_expires_at(wall(1_000));
        let (results, refreshes, state) = simulate(n, expired, "at_old", &schedule);
        prop_assert_eq!(refreshes, 1);
        prop_assert!(results.iter().all(Result::is_ok));
        prop_assert_eq!(state.tokens().unwrap().access_token.expose(), "at_new_1");
    }

    #[test]
    fn one_refresh_for_any_interleaving_of_calls_meeting_a_401(
        n in 1usize..24, schedule in proptest::collection::vec(0usize..24, 0..400),
    ) {
        // The token looks fresh, but the server has revoked it.
        let revoked = Tokens::new("at_old").with_refresh_token("rt_old").with_expires_at(wall(2_000_000_000));
        let (results, refreshes, state) = simulate(n, revoked, "at_rotated_elsewhere", &schedule);
        prop_assert_eq!(refreshes, 1);
        prop_assert!(results.iter().all(Result::is_ok));
        prop_assert_eq!(state.tokens().unwrap().access_token.expose(), "at_new_1");
    }
}

#[test]
fn a_second_401_is_returned_as_is() {
    let config = Config::new("https://h")
        .unwrap()
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(Tokens::new("a").with_refresh_token("r")));
    let mut sim = Simulator::starting_at(state, wall(0));
    let mut sent = Vec::new();
    let result = sim
        .call(
            GetCurrentSession::new(),
            CallOptions::default(),
            &mut |req: http::Request<Bytes>, _: Now| {
                sent.push(req.uri().path().to_owned());
                Ok(if req.uri().path() == "/api/auth/refresh" {
                    response(
                        200,
                        r#"{"access_token":"b","refresh_token":"r2","expires_in":60}"#,
                    )
                } else {
                    response(401, r#"{"error":{"code":"NO"}}"#)
                })
            },
        )
        .unwrap();
    assert_eq!(
        sent,
        [
            "/api/sessions/current",
            "/api/auth/refresh",
            "/api/sessions/current"
        ]
    );
    assert_eq!(result.unwrap_err().status(), Some(StatusCode::UNAUTHORIZED));
}

#[test]
fn a_failed_refresh_is_not_cached() {
    let config = Config::new("https://h")
        .unwrap()
        .with_retry(RetryPolicy::disabled());
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(
        Tokens::new("a")
            .with_refresh_token("r")
            .with_expires_at(wall(0)),
    ));
    let now = Now::new(Instant::now(), wall(100));
    for _ in 0..2 {
        let mut call = state.call(GetCurrentSession::new(), CallOptions::default());
        let Output::Send(req) = call.poll(now, &mut state) else {
            panic!()
        };
        assert_eq!(req.uri().path(), "/api/auth/refresh");
        call.handle_response(now, &mut state, response(503, ""));
        let Output::Done(Err(Error::RefreshFailed(inner))) = call.poll(now, &mut state) else {
            panic!()
        };
        assert_eq!(inner.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    }
}

#[test]
fn retries_idempotent_calls_with_backoff_and_keeps_the_idempotency_key() {
    let config = Config::new("https://h").unwrap().with_retry(
        RetryPolicy::default()
            .max_attempts(3)
            .jitter(false)
            .base_delay(Duration::from_millis(100)),
    );
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(Tokens::new("a")));
    let mut sim = Simulator::starting_at(state, wall(0));
    let mut keys = Vec::new();
    let mut sleeps = Vec::new();
    struct Busy<'a> {
        keys: &'a mut Vec<String>,
        sleeps: &'a mut Vec<Duration>,
    }
    impl Responder for Busy<'_> {
        fn respond(
            &mut self,
            req: http::Request<Bytes>,
            _: Now,
        ) -> Result<http::Response<Bytes>, SendError> {
            self.keys.push(
                req.headers()["x-idempotency-key"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
            Ok(response(503, ""))
        }
        fn slept(&mut self, from: Duration, to: Duration) {
            self.sleeps.push(to - from);
        }
    }
    let result = sim.call(
        AddToWhitelist::new("x@example.com"),
        CallOptions {
            idempotency_key: Some("idem-1".into()),
            ..CallOptions::default()
        },
        &mut Busy {
            keys: &mut keys,
            sleeps: &mut sleeps,
        },
    );
    let result = result.unwrap();
    assert_eq!(keys, ["idem-1", "idem-1", "idem-1"]);
    assert_eq!(
        sleeps,
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
    assert_eq!(
        result.unwrap_err().status(),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
}

#[test]
fn post_without_a_key_is_sent_once_and_redirects_are_errors() {
    let config = Config::new("https://h").unwrap();
    let mut state = ClientState::new(config, 1);
    let now = Now::new(Instant::now(), wall(0));
    let mut call = state.call(SignInWithPassword::new("e", "p"), CallOptions::default());
    let Output::Send(_) = call.poll(now, &mut state) else {
        panic!()
    };
    call.handle_response(now, &mut state, response(503, ""));
    assert!(matches!(
        call.poll(now, &mut state),
        Output::Done(Err(Error::Api(_)))
    ));

    let mut call = state.call(
        GetCurrentSession::new(),
        CallOptions {
            access_token: Some("t".into()),
            ..CallOptions::default()
        },
    );
    let Output::Send(_) = call.poll(now, &mut state) else {
        panic!()
    };
    let mut redirect = response(302, "");
    redirect.headers_mut().insert(
        LOCATION,
        HeaderValue::from_static("https://evil.example/steal"),
    );
    call.handle_response(now, &mut state, redirect);
    assert!(matches!(
        call.poll(now, &mut state),
        Output::Done(Err(Error::Redirect { .. }))
    ));
}

/// Every retry the call decides is left for the driver once, with the attempt that
/// failed, the wait and the reason; a final failure leaves none.
#[test]
fn retries_leave_a_notice_for_the_driver() {
    use spaps_proto::retry::RetryReason;
    use spaps_proto::{Machine, TransportError, TransportErrorKind};

    let config = Config::new("https://api.example.com")
        .unwrap()
        .with_api_key("k")
        .with_retry(RetryPolicy::default().max_attempts(3));
    let mut state = ClientState::new(config, 3);
    state.load_tokens(Some(Tokens::new("at")));
    let mut call = state.call(GetCurrentSession::new(), CallOptions::default());
    let start = Instant::now();
    let mut now = Now::new(start, wall(1_736_942_400));
    let mut notices = Vec::new();
    for answer in 0..3 {
        loop {
            match call.poll(now, &mut state) {
                Output::Send(_) => break,
                Output::Sleep(until) => now.instant = until,
                other => panic!("{other:?}"),
            }
        }
        match answer {
            0 => {
                let mut busy = response(503, r#"{"error":{"code":"DOWN"}}"#);
                busy.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("2"));
                call.handle_response(now, &mut state, busy);
            }
            1 => call.handle_error(
                now,
                &mut state,
                SendError::Transport(TransportError::new(TransportErrorKind::Connect, "refused")),
            ),
            _ => call.handle_response(now, &mut state, response(503, "{}")),
        }
        notices.push(Machine::take_retry(&mut call));
        assert!(Machine::take_retry(&mut call).is_none(), "taken once");
    }
    let first = notices[0].clone().expect("a retry after the first 503");
    assert_eq!((first.attempt, first.next_attempt()), (1, 2));
    assert_eq!(first.delay, Duration::from_secs(2));
    assert_eq!(
        first.reason,
        RetryReason::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: Some(Duration::from_secs(2)),
        }
    );
    let second = notices[1]
        .clone()
        .expect("a retry after the refused connection");
    assert_eq!(second.attempt, 2);
    assert_eq!(
        second.reason,
        RetryReason::Transport(TransportErrorKind::Connect)
    );
    assert!(second.delay <= Duration::from_secs(10));
    assert_eq!(notices[2], None, "the last attempt is not retried");
    match call.poll(now, &mut state) {
        Output::Done(Err(Error::Api(e))) => assert_eq!(e.operation, "sessions.get_current_session"),
        other => panic!("{other:?}"),
    }
}

/// A driver that breaks the protocol gets a typed [`Misuse`](spaps_proto::Misuse), and
/// the call ends: a response fed before anything was sent, and a poll after `Done`.
#[test]
fn driver_misuse_is_a_typed_error() {
    use spaps_proto::Misuse;
    let config = Config::new("https://api.example.com")
        .unwrap()
        .with_api_key("k");
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(Tokens::new("a")));
    let now = Now::new(Instant::now(), wall(1_736_942_400));
    let mut call = state.call(GetCurrentSession::new(), CallOptions::default());
    call.handle_response(now, &mut state, response(200, SESSION));
    match call.poll(now, &mut state) {
        Output::Done(Err(Error::Misuse(Misuse::UnexpectedResponse))) => {}
        other => panic!("{other:?}"),
    }
    match call.poll(now, &mut state) {
        Output::Done(Err(Error::Misuse(Misuse::PolledAfterDone))) => {}
        other => panic!("{other:?}"),
    }
}

/// Records every request, answers 503 until `fail` attempts failed, then 401 once (a
/// revoked token: the call refreshes and replays), then the refresh, then success.
struct Replayer {
    seen: Vec<http::Request<Bytes>>,
    fail: usize,
    rejected: bool,
}

impl Responder for Replayer {
    fn respond(
        &mut self,
        req: http::Request<Bytes>,
        _: Now,
    ) -> Result<http::Response<Bytes>, SendError> {
        if req.uri().path().ends_with(spaps_proto::refresh::PATH) {
            return Ok(response(
                200,
                r#"{"data":{"access_token":"at_new","refresh_token":"rt_new","expires_in":3600}}"#,
            ));
        }
        self.seen.push(req);
        if self.seen.len() <= self.fail {
            return Ok(response(503, ""));
        }
        if !self.rejected {
            self.rejected = true;
            return Ok(response(
                401,
                r#"{"error":{"code":"TOKEN_EXPIRED","message":"x"}}"#,
            ));
        }
        Ok(response(
            200,
            r#"{"data":{"email":"x@example.com","tier":"premium"}}"#,
        ))
    }
}

/// The request without its `Authorization`, as comparable parts.
fn parts(req: &http::Request<Bytes>) -> (String, String, Vec<(String, Vec<u8>)>, Bytes) {
    let headers = req
        .headers()
        .iter()
        .filter(|(name, _)| *name != AUTHORIZATION)
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    (
        req.method().to_string(),
        req.uri().to_string(),
        headers,
        req.body().clone(),
    )
}

proptest! {
    /// The first attempt's request goes out whole and later attempts build theirs again
    /// from the endpoint: retries and the replay after a refresh must send the very same
    /// request, only the bearer token changing.
    #[test]
    fn every_attempt_sends_the_same_request_but_for_the_token(
        email in "[a-z0-9.+%/?#&=-]{1,24}@[a-z]{1,8}\\.dev",
        tier in proptest::option::of("[ -~]{0,12}"),
        key in proptest::option::of("[A-Za-z0-9_-]{1,32}"),
        fail in 0usize..3,
    ) {
        let config = Config::new("https://h/base").unwrap().with_retry(
            RetryPolicy::default().max_attempts(4).jitter(false).base_delay(Duration::from_millis(1)),
        );
        let mut state = ClientState::new(config, 1);
        state.load_tokens(Some(Tokens::new("at_old").with_refresh_token("rt_old")));
        let mut sim = Simulator::starting_at(state, wall(0));
        let mut endpoint = AddToWhitelist::new(email);
        endpoint.tier = tier;
        // Without a key a POST is not retried: only the replay repeats it.
        let fail = if key.is_some() { fail } else { 0 };
        let mut server = Replayer { seen: Vec::new(), fail, rejected: false };
        let options = CallOptions { idempotency_key: key, ..CallOptions::default() };
        let result = sim.call(endpoint, options, &mut server);
        prop_assert!(result.is_ok(), "{:?}", result.err());
        prop_assert_eq!(server.seen.len(), fail + 2);
        let first = parts(&server.seen[0]);
        for later in &server.seen[1..] {
            prop_assert_eq!(&parts(later), &first);
        }
        let last = &server.seen[server.seen.len() - 1];
        prop_assert_eq!(last.headers()[AUTHORIZATION].as_bytes(), b"Bearer at_new");
    }
}
