//! A model-based test of the token lifecycle: random schedules of calls started,
//! polled, answered and dropped in any phase, refresh answers of every kind (including
//! none at all), `set`, `clear` and sign-in, and time jumping, run against the pure core
//! (`ClientState` and `Call`) on virtual time. After every step the invariants of the
//! lifecycle are checked; at the end a driver that answers everything (with the
//! per-attempt timeout a real driver has) must bring every call to `Done`.
//!
//! Invariants:
//! - at most one refresh is in flight within any lease period;
//! - a call never waits for a refresh past the refresh's lease or its own deadline, and
//!   is never told to wait for an instant already past;
//! - each call sends at most one refresh;
//! - token generations reported to the store only grow;
//! - nothing older is restored after a set, clear or sign-in: tokens from a refresh are
//!   adopted only if no set happened since the refresh was sent;
//! - every call ends within a bounded number of steps once the server answers.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use proptest::prelude::*;
use spaps_proto::api::sessions::GetCurrentSession;
use spaps_proto::SendError;
use spaps_proto::{
    Call, CallOptions, ClientState, Config, Error, Event, Now, Output, RetryPolicy, Timestamp,
    Tokens, TransportError, TransportErrorKind,
};

const SESSION: &str = r#"{"data":{"session":{"id":"s","user_id":"u","application_id":"a","created_at":"2025-01-15T11:00:00Z","expires_at":"2025-01-15T12:00:00Z"}}}"#;
const REFRESH_PATH: &str = "/api/auth/refresh";
const SLOTS: usize = 6;
const WALL0: i64 = 1_736_942_400;
/// The lease a refresh gets: two request timeouts (the config below uses 5 s).
const LEASE: Duration = Duration::from_secs(10);
const CALL_LIMIT: Duration = Duration::from_secs(60);

/// What the server says to a refresh.
#[derive(Debug, Clone, Copy)]
enum RefreshAnswer {
    Ok(u64),
    Unauthorized,
    ServerError,
    Transport,
    Never,
}

/// What the server says to the operation's own request.
#[derive(Debug, Clone, Copy)]
enum MainAnswer {
    Ok,
    Unauthorized,
    ServerError,
    Transport,
}

#[derive(Debug, Clone)]
enum Op {
    Start(usize),
    Poll(usize),
    AnswerRefresh(usize, RefreshAnswer),
    AnswerMain(usize, MainAnswer),
    Drop(usize),
    Set,
    Clear,
    SignIn,
    Advance(u64),
}

fn refresh_answer() -> impl Strategy<Value = RefreshAnswer> {
    prop_oneof![
        4 => prop::sample::select(vec![0u64, 1, 29, 31, 3600, u64::MAX]).prop_map(RefreshAnswer::Ok),
        1 => Just(RefreshAnswer::Unauthorized),
        1 => Just(RefreshAnswer::ServerError),
        1 => Just(RefreshAnswer::Transport),
        1 => Just(RefreshAnswer::Never),
    ]
}

fn main_answer() -> impl Strategy<Value = MainAnswer> {
    prop_oneof![
        4 => Just(MainAnswer::Ok),
        2 => Just(MainAnswer::Unauthorized),
        1 => Just(MainAnswer::ServerError),
        1 => Just(MainAnswer::Transport),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        3 => slot.clone().prop_map(Op::Start),
        6 => slot.clone().prop_map(Op::Poll),
        4 => (slot.clone(), refresh_answer()).prop_map(|(i, a)| Op::AnswerRefresh(i, a)),
        4 => (slot.clone(), main_answer()).prop_map(|(i, a)| Op::AnswerMain(i, a)),
        1 => slot.prop_map(Op::Drop),
        1 => Just(Op::Set),
        1 => Just(Op::Clear),
        1 => Just(Op::SignIn),
        2 => prop::sample::select(vec![1u64, 5, 11, 31, 3600, 86_400]).prop_map(Op::Advance),
    ]
}

/// One live call and what the model knows of it.
struct Slot {
    call: Call<GetCurrentSession>,
    /// The request it was given and not yet answered, and whether it is a refresh.
    outstanding: Option<(http::Request<Bytes>, bool)>,
    refreshes_sent: u32,
    /// When its refresh was sent, and how many sets had happened then.
    refresh_sent_at: Option<(Instant, u64)>,
    done: bool,
    steps: u32,
}

struct Model {
    state: ClientState,
    slots: Vec<Option<Slot>>,
    t0: Instant,
    elapsed: Duration,
    /// Sets, clears and sign-ins so far.
    sets: u64,
    /// Tokens issued by refreshes: access token -> sets count when its refresh was sent.
    issued: Vec<(String, u64)>,
    issued_count: u64,
    last_generation: u64,
    signins: u64,
}

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    let mut r = http::Response::new(Bytes::copy_from_slice(body.as_bytes()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

fn transport() -> SendError {
    SendError::Transport(TransportError::new(TransportErrorKind::Send, "reset"))
}

impl Model {
    fn new() -> Self {
        let config = Config::new("https://api.example.com")
            .unwrap()
            .with_api_key("k")
            .with_timeout(Duration::from_secs(5))
            .with_retry(RetryPolicy::default())
            .with_call_timeout(CALL_LIMIT);
        let mut state = ClientState::new(config, 3);
        state.load_tokens(Some(
            Tokens::new("at_initial")
                .with_refresh_token("rt_initial")
                .with_expires_at(Timestamp::from_unix_seconds(WALL0 - 60).unwrap()),
        ));
        let last_generation = state.token_manager().generation();
        Self {
            state,
            slots: (0..SLOTS).map(|_| None).collect(),
            t0: Instant::now(),
            elapsed: Duration::ZERO,
            sets: 0,
            issued: Vec::new(),
            issued_count: 0,
            last_generation,
            signins: 0,
        }
    }

    fn now(&self) -> Now {
        Now::new(
            self.t0 + self.elapsed,
            Timestamp::from_unix_seconds(WALL0)
                .unwrap()
                .saturating_add(self.elapsed),
        )
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Start(i) => {
                if self.slots[i].is_none() {
                    let call = self
                        .state
                        .call(GetCurrentSession::new(), CallOptions::default());
                    self.slots[i] = Some(Slot {
                        call,
                        outstanding: None,
                        refreshes_sent: 0,
                        refresh_sent_at: None,
                        done: false,
                        steps: 0,
                    });
                }
            }
            Op::Poll(i) => self.poll(i)?,
            Op::AnswerRefresh(i, answer) => self.answer_refresh(i, answer)?,
            Op::AnswerMain(i, answer) => self.answer_main(i, answer)?,
            Op::Drop(i) => {
                if let Some(mut slot) = self.slots[i].take() {
                    slot.call.abandon(&mut self.state);
                }
            }
            Op::Set => {
                self.sets += 1;
                self.state.set_tokens(Some(
                    Tokens::new(format!("at_set_{}", self.sets))
                        .with_refresh_token(format!("rt_set_{}", self.sets))
                        .with_expires_at(self.now().wall.saturating_add(Duration::from_secs(40))),
                ));
            }
            Op::Clear => {
                self.sets += 1;
                self.state.set_tokens(None);
            }
            Op::SignIn => {
                // What a successful sign-in does to the state: new tokens, through the
                // same path as `set_tokens`.
                self.sets += 1;
                self.signins += 1;
                self.state.set_tokens(Some(
                    Tokens::new(format!("at_signin_{}", self.signins))
                        .with_refresh_token(format!("rt_signin_{}", self.signins))
                        .with_expires_at(self.now().wall.saturating_add(Duration::from_secs(3600))),
                ));
            }
            Op::Advance(secs) => self.elapsed += Duration::from_secs(secs),
        }
        self.check()
    }

    fn poll(&mut self, i: usize) -> Result<(), TestCaseError> {
        let now = self.now();
        let Some(slot) = self.slots[i].as_mut() else {
            return Ok(());
        };
        if slot.done || slot.outstanding.is_some() {
            return Ok(());
        }
        slot.steps += 1;
        match slot.call.poll(now, &mut self.state) {
            Output::Send(request) => {
                let refresh = request.uri().path() == REFRESH_PATH;
                if refresh {
                    slot.refreshes_sent += 1;
                    prop_assert!(slot.refreshes_sent <= 1, "a call sent a second refresh");
                    slot.refresh_sent_at = Some((now.instant, self.sets));
                    // At most one refresh sent within any lease period.
                    for (j, other) in self.slots.iter().enumerate() {
                        if j == i {
                            continue;
                        }
                        if let Some(other) = other {
                            // A refresh sent before the latest set was cancelled by
                            // it: its answer will be dropped, so it does not count.
                            if let (Some((at, sets)), Some((_, true))) =
                                (other.refresh_sent_at, &other.outstanding)
                            {
                                if sets != self.sets {
                                    continue;
                                }
                                prop_assert!(
                                    now.instant >= at + LEASE,
                                    "two refreshes in flight within one lease"
                                );
                            }
                        }
                    }
                }
                let slot = self.slots[i].as_mut().unwrap();
                slot.outstanding = Some((request, refresh));
            }
            Output::Sleep(until) => {
                prop_assert!(until > now.instant, "asked to sleep until the past");
            }
            Output::AwaitRefresh(until) => {
                let until = until.expect("the model's calls have deadlines");
                prop_assert!(until > now.instant, "asked to wait until the past");
                prop_assert!(until <= now.instant + LEASE, "a wait past the lease");
                let deadline = slot.call.deadline().expect("a deadline");
                prop_assert!(until <= deadline, "a wait past the call's deadline");
            }
            Output::ReloadStore => prop_assert!(false, "no store coordinates here"),
            Output::Done(result) => {
                if let Err(Error::Misuse(what)) = &result {
                    prop_assert!(false, "misuse reported to a correct driver: {what}");
                }
                slot.done = true;
            }
        }
        Ok(())
    }

    fn take_outstanding(&mut self, i: usize, refresh: bool) -> Option<http::Request<Bytes>> {
        let slot = self.slots[i].as_mut()?;
        match &slot.outstanding {
            Some((_, r)) if *r == refresh => slot.outstanding.take().map(|(req, _)| req),
            _ => None,
        }
    }

    fn answer_refresh(&mut self, i: usize, answer: RefreshAnswer) -> Result<(), TestCaseError> {
        if matches!(answer, RefreshAnswer::Never) {
            return Ok(());
        }
        let Some(_request) = self.take_outstanding(i, true) else {
            return Ok(());
        };
        let now = self.now();
        let slot = self.slots[i].as_mut().unwrap();
        slot.steps += 1;
        match answer {
            RefreshAnswer::Ok(expires_in) => {
                self.issued_count += 1;
                let access = format!("at_refreshed_{}", self.issued_count);
                let sets_then = slot.refresh_sent_at.map_or(0, |(_, s)| s);
                self.issued.push((access.clone(), sets_then));
                let body = format!(
                    r#"{{"data":{{"access_token":"{access}","refresh_token":"rt_refreshed_{}","expires_in":{expires_in}}}}}"#,
                    self.issued_count
                );
                slot.call
                    .handle_response(now, &mut self.state, response(200, &body));
            }
            RefreshAnswer::Unauthorized => slot.call.handle_response(
                now,
                &mut self.state,
                response(
                    401,
                    r#"{"error":{"code":"INVALID_REFRESH_TOKEN","message":"no"}}"#,
                ),
            ),
            RefreshAnswer::ServerError => slot.call.handle_response(
                now,
                &mut self.state,
                response(500, r#"{"error":{"code":"INTERNAL","message":"no"}}"#),
            ),
            RefreshAnswer::Transport | RefreshAnswer::Never => {
                slot.call.handle_error(now, &mut self.state, transport())
            }
        }
        Ok(())
    }

    fn answer_main(&mut self, i: usize, answer: MainAnswer) -> Result<(), TestCaseError> {
        let Some(_request) = self.take_outstanding(i, false) else {
            return Ok(());
        };
        let now = self.now();
        let slot = self.slots[i].as_mut().unwrap();
        slot.steps += 1;
        match answer {
            MainAnswer::Ok => {
                slot.call
                    .handle_response(now, &mut self.state, response(200, SESSION))
            }
            MainAnswer::Unauthorized => slot.call.handle_response(
                now,
                &mut self.state,
                response(401, r#"{"error":{"code":"TOKEN_EXPIRED","message":"no"}}"#),
            ),
            MainAnswer::ServerError => slot.call.handle_response(
                now,
                &mut self.state,
                response(503, r#"{"error":{"code":"UNAVAILABLE","message":"no"}}"#),
            ),
            MainAnswer::Transport => slot.call.handle_error(now, &mut self.state, transport()),
        }
        Ok(())
    }

    /// The invariants that hold after every step.
    fn check(&mut self) -> Result<(), TestCaseError> {
        while let Some(event) = self.state.poll_event() {
            if let Event::TokensChanged { generation, .. } = event {
                prop_assert!(
                    generation > self.last_generation,
                    "the store would go back from generation {} to {generation}",
                    self.last_generation
                );
                self.last_generation = generation;
            }
        }
        if let Some(tokens) = self.state.tokens() {
            let access = tokens.access_token.expose();
            if let Some((_, sets_then)) = self.issued.iter().find(|(a, _)| a == access) {
                // Tokens from a refresh are in use only if no set/clear/sign-in came
                // after the refresh was sent.
                prop_assert_eq!(
                    *sets_then,
                    self.sets,
                    "a refresh sent before a set was adopted after it"
                );
            }
        }
        Ok(())
    }

    /// Answers everything the way a server and a driver with timeouts would, advancing
    /// time, until every call is done.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        for round in 0..400 {
            if self.slots.iter().flatten().all(|s| s.done) {
                return Ok(());
            }
            for i in 0..SLOTS {
                let Some(slot) = self.slots[i].as_ref() else {
                    continue;
                };
                match &slot.outstanding {
                    Some((_, true)) => self.answer_refresh(i, RefreshAnswer::Ok(3600))?,
                    Some((_, false)) => self.answer_main(i, MainAnswer::Ok)?,
                    None => self.poll(i)?,
                }
                self.check()?;
            }
            if round % 4 == 3 {
                self.elapsed += Duration::from_secs(7);
            }
        }
        let stuck: Vec<_> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| !s.done)
            .map(|s| s.steps)
            .collect();
        prop_assert!(false, "calls did not finish: steps {stuck:?}");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_token_lifecycle_holds_under_any_schedule(ops in proptest::collection::vec(op(), 0..160)) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op)?;
        }
        model.drain()?;
        for slot in model.slots.iter().flatten() {
            prop_assert!(slot.steps < 200, "a call took {} steps", slot.steps);
        }
    }
}
