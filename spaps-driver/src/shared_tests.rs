//! Tests of [`Shared`](super::Shared): what runs under the state lock, and how.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Method;
use spaps_proto::api::metrics::Health;
use spaps_proto::api::sessions::GetCurrentSession;
use spaps_proto::{
    Call, CallOptions, ClientState, Config, Endpoint, Error, Machine, MemoryTokenStore, Now,
    Output, SendError, StoreSnapshot, Timestamp, Tokens,
};

use super::Shared;
use crate::clock::SystemClock;

/// A call that checks, when asked to read its response ahead, that the state lock is
/// free, and counts the polls and feeds that needed the state to write.
struct Probe<E: Endpoint> {
    call: Call<E>,
    shared: Arc<Shared>,
    unlocked: Arc<AtomicBool>,
    exclusive_polls: usize,
    exclusive_feeds: usize,
}

impl<E: Endpoint> Machine for Probe<E> {
    type Output = E::Output;
    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<Self::Output> {
        self.exclusive_polls += 1;
        self.call.poll(now, state)
    }
    fn poll_shared(&mut self, now: Now, state: &ClientState) -> Option<Output<Self::Output>> {
        Machine::poll_shared(&mut self.call, now, state)
    }
    fn take_result(&mut self) -> Option<Result<Self::Output, Error>> {
        Machine::take_result(&mut self.call)
    }
    fn prepare_response(&mut self, response: &http::Response<Bytes>) {
        let free = self.shared.state.try_write().is_ok();
        self.unlocked.store(free, Ordering::SeqCst);
        Machine::prepare_response(&mut self.call, response);
    }
    fn handle_response_shared(
        &mut self,
        now: Now,
        state: &ClientState,
        response: http::Response<Bytes>,
    ) -> Option<http::Response<Bytes>> {
        Machine::handle_response_shared(&mut self.call, now, state, response)
    }
    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    ) {
        self.exclusive_feeds += 1;
        self.call.handle_response(now, state, response);
    }
    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        self.call.handle_error(now, state, error);
    }
    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    ) {
        self.call.handle_reload(now, state, reloaded);
    }
    fn abandon(&mut self, state: &mut ClientState) {
        Machine::abandon(&mut self.call, state);
    }
    fn deadline(&self) -> Option<Instant> {
        Machine::deadline(&self.call)
    }
    fn name(&self) -> &'static str {
        Machine::name(&self.call)
    }
    fn describe(&self) -> Option<(&Method, &'static str)> {
        Machine::describe(&self.call)
    }
    fn attempt(&self) -> u32 {
        Machine::attempt(&self.call)
    }
    fn refreshing(&self) -> bool {
        Machine::refreshing(&self.call)
    }
}

fn shared_with(tokens: Option<Tokens>) -> Arc<Shared> {
    let config = Config::new("https://api.example.com").unwrap();
    let store = MemoryTokenStore::new();
    if let Some(tokens) = tokens {
        spaps_proto::TokenStore::save(&store, &tokens).unwrap();
    }
    Arc::new(
        Shared::new(
            ClientState::new(config, 1),
            Arc::new(store),
            Arc::new(SystemClock),
        )
        .unwrap(),
    )
}

fn probe<E: Endpoint>(shared: &Arc<Shared>, endpoint: E) -> Probe<E> {
    shared.start(|config, _| Probe {
        call: Call::new(config, endpoint, CallOptions::default()),
        shared: shared.clone(),
        unlocked: Arc::new(AtomicBool::new(false)),
        exclusive_polls: 0,
        exclusive_feeds: 0,
    })
}

const SESSION: &[u8] = br#"{"success":true,"data":{"session":{"id":"s1","user_id":"u1","application_id":"a1","created_at":"2025-01-15T11:17:30Z","expires_at":"2025-01-15T12:17:30Z"}}}"#;

#[test]
fn a_call_is_built_outside_the_state_lock() {
    let shared = shared_with(None);
    let free = shared.start(|config, _| {
        let _call = Call::new(config, Health::new(), CallOptions::default());
        shared.state.try_write().is_ok()
    });
    assert!(free, "the call was built under the state lock");
}

#[test]
fn a_plain_call_never_takes_the_lock_to_write() {
    let shared = shared_with(Some(Tokens::new("at_1")));
    let mut probe = probe(&shared, GetCurrentSession::new());
    let (output, _) = shared.poll(&mut probe);
    let Output::Send(request) = output else {
        panic!("{output:?}")
    };
    assert_eq!(request.headers()["authorization"], "Bearer at_1");
    let _ = shared.feed(
        &mut probe,
        Ok(http::Response::new(Bytes::from_static(SESSION))),
    );
    let (output, _) = shared.poll(&mut probe);
    assert!(matches!(output, Output::Done(Ok(_))), "{output:?}");
    assert_eq!(
        (probe.exclusive_polls, probe.exclusive_feeds),
        (0, 0),
        "a send with the current token and a plain success took the write lock"
    );
    // Taken once: a poll after it is a misuse, answered by the exclusive poll.
    let (output, _) = shared.poll(&mut probe);
    assert!(
        matches!(
            output,
            Output::Done(Err(Error::Misuse(spaps_proto::Misuse::PolledAfterDone)))
        ),
        "{output:?}"
    );
}

#[test]
fn a_token_due_for_refresh_is_refreshed_under_the_write_lock() {
    // Expired long ago: the first poll must start a refresh (a state change).
    let expired = Tokens::new("at_old")
        .with_refresh_token("rt_1")
        .with_expires_at(Timestamp::UNIX_EPOCH);
    let shared = shared_with(Some(expired));
    let mut probe = probe(&shared, GetCurrentSession::new());
    let (output, _) = shared.poll(&mut probe);
    let Output::Send(request) = output else {
        panic!("{output:?}")
    };
    assert_eq!(request.uri().path(), spaps_proto::refresh::PATH);
    assert!(probe.exclusive_polls >= 1);
    assert!(shared.read().token_manager().refreshing());
}

#[test]
fn a_success_that_changes_tokens_is_fed_under_the_write_lock() {
    let shared = shared_with(None);
    let mut probe = probe(
        &shared,
        spaps_proto::api::auth::SignInWithPassword::new("ada@example.com", "pw"),
    );
    let (output, _) = shared.poll(&mut probe);
    assert!(matches!(output, Output::Send(_)), "{output:?}");
    let body = br#"{"success":true,"data":{"access_token":"at_new","refresh_token":"rt_new","token_type":"Bearer","expires_in":3600,"user":{"id":"u1","email":"ada@example.com"}}}"#;
    let effects = shared.feed(
        &mut probe,
        Ok(http::Response::new(Bytes::from_static(body))),
    );
    assert_eq!(probe.exclusive_feeds, 1);
    assert!(
        effects.persist.is_some(),
        "the new tokens are to be persisted"
    );
    assert_eq!(
        shared.tokens().map(|t| t.access_token.expose().to_owned()),
        Some("at_new".to_owned())
    );
}

#[test]
fn a_response_body_is_decoded_outside_the_state_lock() {
    let shared = shared_with(None);
    let mut probe = probe(&shared, Health::new());
    let unlocked = probe.unlocked.clone();
    let (output, _) = shared.poll(&mut probe);
    assert!(matches!(output, Output::Send(_)));
    let ok = http::Response::new(Bytes::from_static(br#"{"status":"healthy"}"#));
    let _ = shared.feed(&mut probe, Ok(ok));
    assert!(
        unlocked.load(Ordering::SeqCst),
        "the body was read under the lock"
    );
    let (output, _) = shared.poll(&mut probe);
    assert!(matches!(output, Output::Done(Ok(_))), "{output:?}");
}
