//! The `Authorization` header of a call's request: the stored token, a per-call token,
//! none for an anonymous call or an optional one without a token, and a typed error
//! for a token that cannot be sent in a header.

use std::time::Instant;

use http::header::AUTHORIZATION;
use spaps_proto::api::issue_reporting::GetIssueReportStatus;
use spaps_proto::api::sessions::GetCurrentSession;
use spaps_proto::{
    CallOptions, ClientState, Config, Endpoint, Error, Now, Output, Secret, Timestamp, Tokens,
};

fn state(tokens: Option<&str>) -> ClientState {
    let config = Config::new("https://h").unwrap().with_api_key("sk_test");
    let mut state = ClientState::new(config, 1);
    state.set_tokens(tokens.map(Tokens::new));
    state
}

fn now() -> Now {
    Now::new(
        Instant::now(),
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
    )
}

/// The first thing the call does: the request it sends, or the error it ends with.
fn first<E: Endpoint>(
    state: &mut ClientState,
    endpoint: E,
    options: CallOptions,
) -> Result<http::Request<bytes::Bytes>, Error> {
    let mut call = state.call(endpoint, options);
    match call.poll(now(), state) {
        Output::Send(request) => Ok(request),
        Output::Done(Err(e)) => Err(e),
        Output::Done(Ok(_)) => panic!("done without sending"),
        _ => panic!("neither sent nor failed"),
    }
}

fn authorization(request: &http::Request<bytes::Bytes>) -> Vec<&str> {
    request
        .headers()
        .get_all(AUTHORIZATION)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn the_stored_token_is_sent_once_and_marked_sensitive() {
    let mut state = state(Some("at_1"));
    let request = first(&mut state, GetCurrentSession::new(), CallOptions::default()).unwrap();
    assert_eq!(authorization(&request), ["Bearer at_1"]);
    assert!(request.headers()[AUTHORIZATION].is_sensitive());

    // New tokens: the next call sends the new one, not a cached old header.
    state.set_tokens(Some(Tokens::new("at_2")));
    let request = first(&mut state, GetCurrentSession::new(), CallOptions::default()).unwrap();
    assert_eq!(authorization(&request), ["Bearer at_2"]);
}

#[test]
fn a_per_call_token_replaces_the_stored_one() {
    let mut state = state(Some("at_1"));
    let options = CallOptions {
        access_token: Some(Secret::new("at_call")),
        ..CallOptions::default()
    };
    let request = first(&mut state, GetCurrentSession::new(), options).unwrap();
    assert_eq!(authorization(&request), ["Bearer at_call"]);
    assert!(request.headers()[AUTHORIZATION].is_sensitive());
}

#[test]
fn an_optional_token_that_is_missing_sends_no_header_at_all() {
    let mut state = state(None);
    let request = first(
        &mut state,
        GetIssueReportStatus::new(),
        CallOptions::default(),
    )
    .unwrap();
    assert!(authorization(&request).is_empty(), "{request:?}");

    let mut state = self::state(Some("at_1"));
    let request = first(
        &mut state,
        GetIssueReportStatus::new(),
        CallOptions::default(),
    )
    .unwrap();
    assert_eq!(authorization(&request), ["Bearer at_1"]);
}

#[test]
fn a_token_a_header_cannot_carry_is_an_invalid_argument() {
    for token in ["at\nX-Injected: 1", "at\r\n", "at\0"] {
        let mut state = state(Some(token));
        match first(&mut state, GetCurrentSession::new(), CallOptions::default()) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "access_token"),
            other => panic!("{token:?}: {other:?}"),
        }
        let mut state = self::state(None);
        let options = CallOptions {
            access_token: Some(Secret::new(token)),
            ..CallOptions::default()
        };
        match first(&mut state, GetCurrentSession::new(), options) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "access_token"),
            other => panic!("{token:?}: {other:?}"),
        }
    }
}
