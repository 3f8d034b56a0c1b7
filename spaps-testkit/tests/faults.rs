//! Fault injection and concurrency, against both clients over a real loopback socket.
//!
//! Every fault test runs once per client (`<fault>::tokio` and `<fault>::blocking`), with
//! a short timeout, on a watchdog thread: a call that does not return within the timeout
//! plus two seconds fails the test instead of hanging it.

#[macro_use]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;
use spaps_proto::{Error, RetryPolicy, TransportErrorKind};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};
use spaps_testkit::virtual_time::VirtualClock;

use support::{
    api_error, assert_in_time, count_path, expired_tokens, refreshed, refused_url, serve,
    session_body, session_ok, AnyClient, Flavor, Opts, KEY,
};

both_clients!(
    connection_refused,
    close_before_headers,
    reset_before_headers,
    reset_mid_body,
    truncated_body,
    trickle_past_the_timeout,
    stalled_headers,
    invalid_json,
    wrong_types_name_the_field,
    too_large_with_content_length,
    too_large_chunked,
    too_large_close_delimited,
    exactly_the_cap_is_accepted,
    redirects_are_not_followed,
    retry_after_seconds,
    retry_after_http_date,
    retry_after_is_clamped,
    storm_is_bounded_by_max_attempts,
    retry_budget_stops_a_storm,
    failed_refresh_is_not_cached,
);

/// Calls `GET /api/sessions/current` once against `url` and checks the call returned in time.
fn call_once(flavor: Flavor, url: &str, opts: &Opts) -> Error {
    let client = AnyClient::new(flavor, url, opts);
    let (result, elapsed) = client.get_session_within(opts.timeout + support::SLACK);
    assert_in_time(elapsed, opts.timeout);
    match result {
        Ok(session) => panic!("{flavor:?}: expected an error, got {session:?}"),
        Err(e) => {
            println!("{flavor:?}: {elapsed:?}: {e:?}");
            e
        }
    }
}

fn transport_kind(flavor: Flavor, error: &Error) -> TransportErrorKind {
    match error {
        Error::Transport(t) => t.kind,
        other => panic!("{flavor:?}: expected Error::Transport, got {other:?}"),
    }
}

// ----------------------------------------------------------------------------------------
// Transport faults.

fn connection_refused(flavor: Flavor) {
    let e = call_once(flavor, &refused_url(), &Opts::default());
    assert_eq!(
        transport_kind(flavor, &e),
        TransportErrorKind::Connect,
        "{e}"
    );
    // The HTTP client's own error is kept as the source, not only as text.
    let Error::Transport(transport) = &e else {
        panic!("{e:?}")
    };
    let source = std::error::Error::source(transport).expect("the HTTP client's error");
    match flavor {
        Flavor::Tokio => assert!(source.is::<reqwest::Error>(), "{source:?}"),
        Flavor::Blocking => assert!(source.is::<ureq::Error>(), "{source:?}"),
    }
}

fn close_before_headers(flavor: Flavor) {
    let server = serve(Reply::CloseBeforeHeaders);
    let e = call_once(flavor, &server.url(), &Opts::default());
    let kind = transport_kind(flavor, &e);
    println!("{flavor:?}: close before headers -> {kind:?}");
    assert!(
        matches!(kind, TransportErrorKind::Send | TransportErrorKind::Other),
        "{kind:?}: {e}"
    );
    assert_eq!(server.request_count(), 1);
}

fn reset_before_headers(flavor: Flavor) {
    let server = serve(Reply::ResetBeforeHeaders);
    let e = call_once(flavor, &server.url(), &Opts::default());
    let kind = transport_kind(flavor, &e);
    println!("{flavor:?}: reset before headers -> {kind:?}");
    assert!(
        matches!(kind, TransportErrorKind::Send | TransportErrorKind::Other),
        "{kind:?}: {e}"
    );
    assert_eq!(server.request_count(), 1);
}

/// A body cut short (by a reset or a clean close) is a transport failure while reading
/// the body: never a success, never a decode error of the partial body.
fn assert_body_failure(flavor: Flavor, e: &Error) {
    assert!(
        !matches!(e, Error::Decode(_)),
        "{flavor:?}: a short body must not reach the decoder: {e:?}"
    );
    let kind = transport_kind(flavor, e);
    println!("{flavor:?}: short body -> {kind:?}");
    assert_eq!(kind, TransportErrorKind::Body, "{e}");
}

/// The first half of a valid session body, announced at its full length.
fn half_a_body() -> (Vec<u8>, usize) {
    let full = serde_json::to_vec(&session_body()).unwrap();
    (full[..full.len() / 2].to_vec(), full.len())
}

fn reset_mid_body(flavor: Flavor) {
    let (prefix, len) = half_a_body();
    let server = serve(Reply::ResetMidBody {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body_prefix: prefix,
        declared_len: len,
    });
    let e = call_once(flavor, &server.url(), &Opts::default());
    assert_body_failure(flavor, &e);
}

fn truncated_body(flavor: Flavor) {
    let (body, len) = half_a_body();
    let server = serve(Reply::TruncatedBody {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
        declared_len: len,
    });
    let e = call_once(flavor, &server.url(), &Opts::default());
    assert_body_failure(flavor, &e);
}

fn trickle_past_the_timeout(flavor: Flavor) {
    // 200 bytes, one every 50 ms: ten seconds for the whole body, against a 1 s timeout.
    let mut body = serde_json::to_vec(&session_body()).unwrap();
    body.truncate(200);
    let server = serve(Reply::Trickle {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
        chunk: 1,
        interval: Duration::from_millis(50),
    });
    let opts = Opts::default();
    let e = call_once(flavor, &server.url(), &opts);
    assert!(matches!(e, Error::Timeout(t) if t == opts.timeout), "{e:?}");
}

fn stalled_headers(flavor: Flavor) {
    let server = serve(Reply::Stall {
        for_: Duration::from_secs(30),
    });
    let opts = Opts::default();
    let e = call_once(flavor, &server.url(), &opts);
    assert!(matches!(e, Error::Timeout(t) if t == opts.timeout), "{e:?}");
}

// ----------------------------------------------------------------------------------------
// Bodies the client cannot read.

fn invalid_json(flavor: Flavor) {
    let server = serve(Reply::text(
        200,
        "application/json",
        r#"{"success": true, "data": {"session": {"id": "#,
    ));
    let e = call_once(flavor, &server.url(), &Opts::default());
    match e {
        Error::Decode(d) => assert_eq!(d.operation, "sessions.get_current_session", "{d}"),
        other => panic!("{flavor:?}: expected Error::Decode, got {other:?}"),
    }
}

fn wrong_types_name_the_field(flavor: Flavor) {
    let mut body = session_body();
    body["data"]["session"]["user_id"] = json!(42);
    let server = serve(Reply::json(200, &body));
    let e = call_once(flavor, &server.url(), &Opts::default());
    match e {
        Error::Decode(d) => {
            println!("{flavor:?}: decode error at `{}`: {}", d.path, d.reason);
            assert!(d.path.ends_with("user_id"), "{d}");
        }
        other => panic!("{flavor:?}: expected Error::Decode, got {other:?}"),
    }
}

// ----------------------------------------------------------------------------------------
// The response size cap.

const CAP: usize = 64 * 1024;
const MIB: usize = 1024 * 1024;

fn too_large_opts() -> Opts {
    Opts {
        max_response_bytes: Some(CAP),
        ..Opts::default()
    }
}

fn assert_too_large(flavor: Flavor, e: &Error) {
    assert!(
        matches!(e, Error::ResponseTooLarge { limit } if *limit == CAP),
        "{flavor:?}: expected Error::ResponseTooLarge {{ limit: {CAP} }}, got {e:?}"
    );
}

/// A 1 MiB JSON string body.
fn big_json() -> Vec<u8> {
    let mut body = Vec::with_capacity(MIB);
    body.push(b'"');
    body.resize(MIB - 1, b'a');
    body.push(b'"');
    body
}

fn too_large_with_content_length(flavor: Flavor) {
    let server = serve(Reply::text(200, "application/json", big_json()));
    let e = call_once(flavor, &server.url(), &too_large_opts());
    assert_too_large(flavor, &e);
}

fn too_large_chunked(flavor: Flavor) {
    // Chunked, so the size is known only by reading: 16 chunks of 64 KiB.
    let mut raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n"
        .to_vec();
    for piece in big_json().chunks(64 * 1024) {
        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let server = serve(Reply::Raw(raw));
    let e = call_once(flavor, &server.url(), &too_large_opts());
    assert_too_large(flavor, &e);
}

fn too_large_close_delimited(flavor: Flavor) {
    // No length at all: the body ends when the connection closes.
    let mut raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    connection: close\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(&big_json());
    let server = serve(Reply::Raw(raw));
    let e = call_once(flavor, &server.url(), &too_large_opts());
    assert_too_large(flavor, &e);
}

fn exactly_the_cap_is_accepted(flavor: Flavor) {
    // A valid session body padded with spaces to exactly the cap: accepted, with a
    // Content-Length and chunked.
    let mut body = serde_json::to_vec(&session_body()).unwrap();
    body.resize(CAP, b' ');
    let mut chunked = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        transfer-encoding: chunked\r\n\r\n"
        .to_vec();
    for piece in body.chunks(10_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for reply in [
        Reply::text(200, "application/json", body.clone()),
        Reply::Raw(chunked),
    ] {
        let server = serve(reply);
        let client = AnyClient::new(flavor, &server.url(), &too_large_opts());
        let (result, _) = client.get_session_within(Duration::from_secs(3));
        assert_eq!(
            result.expect("a body of exactly the cap").session_id,
            "sess_1"
        );
    }
}

// ----------------------------------------------------------------------------------------
// Redirects.

fn redirects_are_not_followed(flavor: Flavor) {
    let other = serve(session_ok());
    let target = format!("{}/api/sessions/current", other.url());
    for status in [301u16, 302, 303, 307, 308] {
        let server = serve(Reply::empty(status).with_header("location", target.clone()));
        // Retries on: a redirect is not retried either.
        let opts = Opts {
            retry: RetryPolicy::default(),
            ..Opts::default()
        };
        let e = call_once(flavor, &server.url(), &opts);
        match &e {
            Error::Redirect {
                status: got,
                location,
            } => {
                assert_eq!(got.as_u16(), status);
                assert_eq!(location.as_deref(), Some(target.as_str()));
            }
            other => panic!("{flavor:?}: {status}: expected Error::Redirect, got {other:?}"),
        }
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
        // The credentials went to the origin only, once.
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{status}");
        assert_eq!(requests[0].header("x-api-key"), Some(KEY));
        assert!(requests[0].header("authorization").is_some());
    }
    assert_eq!(
        other.request_count(),
        0,
        "{flavor:?}: a redirect reached the other host"
    );
}

// ----------------------------------------------------------------------------------------
// Retry-After, retries and the retry budget (virtual time: waits are recorded, not slept).

/// Answers the first request with `first`, every later one with a session.
fn first_then_session(first: Reply) -> MockServer {
    let n = AtomicUsize::new(0);
    MockServer::start(move |_: &ObservedRequest| {
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            first.clone()
        } else {
            session_ok()
        }
    })
    .unwrap()
}

fn virtual_opts(clock: &Arc<VirtualClock>, retry: RetryPolicy) -> Opts {
    Opts {
        retry,
        clock: Some(clock.clone()),
        ..Opts::default()
    }
}

fn retry_after_seconds(flavor: Flavor) {
    let server =
        first_then_session(api_error(429, "RATE_LIMIT_EXCEEDED").with_header("retry-after", "1"));
    let clock = VirtualClock::new();
    let client = AnyClient::new(
        flavor,
        &server.url(),
        &virtual_opts(&clock, RetryPolicy::default()),
    );
    let (result, _) = client.get_session_within(Duration::from_secs(5));
    assert_eq!(result.expect("the retry succeeds").session_id, "sess_1");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1)]);
    assert_eq!(server.request_count(), 2);
}

fn retry_after_http_date(flavor: Flavor) {
    // The virtual wall clock starts at Wed, 15 Jan 2025 12:00:00 GMT and moves only by
    // sleeps, so a date 7 s later is a 7 s wait, exactly.
    let start = UNIX_EPOCH + Duration::from_secs(1_736_942_400);
    let server = first_then_session(
        api_error(429, "RATE_LIMIT_EXCEEDED")
            .with_header("retry-after", "Wed, 15 Jan 2025 12:00:07 GMT"),
    );
    let clock = VirtualClock::starting_at(start);
    let client = AnyClient::new(
        flavor,
        &server.url(),
        &virtual_opts(&clock, RetryPolicy::default()),
    );
    let (result, _) = client.get_session_within(Duration::from_secs(5));
    assert_eq!(result.expect("the retry succeeds").session_id, "sess_1");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
    assert_eq!(server.request_count(), 2);
}

fn retry_after_is_clamped(flavor: Flavor) {
    let cap = Duration::from_secs(30);
    let start = UNIX_EPOCH + Duration::from_secs(1_736_942_400);
    for retry_after in ["86400", "Thu, 16 Jan 2025 12:00:00 GMT"] {
        let server = first_then_session(
            api_error(429, "RATE_LIMIT_EXCEEDED").with_header("retry-after", retry_after),
        );
        let clock = VirtualClock::starting_at(start);
        let policy = RetryPolicy::default().max_retry_after(cap);
        let client = AnyClient::new(flavor, &server.url(), &virtual_opts(&clock, policy));
        let (result, _) = client.get_session_within(Duration::from_secs(5));
        assert_eq!(result.expect("the retry succeeds").session_id, "sess_1");
        assert_eq!(clock.sleeps(), vec![cap], "Retry-After: {retry_after}");
        assert_eq!(server.request_count(), 2);
    }
}

fn assert_unavailable(flavor: Flavor, result: Result<impl std::fmt::Debug, Error>) {
    match result {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 503, "{e}"),
        other => panic!("{flavor:?}: expected a 503 Error::Api, got {other:?}"),
    }
}

fn storm_is_bounded_by_max_attempts(flavor: Flavor) {
    let server = serve(api_error(503, "SERVICE_UNAVAILABLE"));
    let clock = VirtualClock::new();
    let policy = RetryPolicy::default().max_attempts(4);
    let client = AnyClient::new(flavor, &server.url(), &virtual_opts(&clock, policy));
    let (result, _) = client.get_session_within(Duration::from_secs(5));
    assert_unavailable(flavor, result);
    assert_eq!(server.request_count(), 4);
    // Three backoffs, each within the policy's cap.
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3, "{sleeps:?}");
    assert!(sleeps.iter().all(|d| *d <= Duration::from_secs(10)));
}

fn retry_budget_stops_a_storm(flavor: Flavor) {
    // A budget of 10 pays for two retries after an error status (5 each), ever.
    let server = serve(api_error(503, "SERVICE_UNAVAILABLE"));
    let clock = VirtualClock::new();
    let opts = Opts {
        retry_budget: Some(10),
        ..virtual_opts(&clock, RetryPolicy::default().max_attempts(3))
    };
    let client = AnyClient::new(flavor, &server.url(), &opts);
    let calls = 6;
    for _ in 0..calls {
        let (result, _) = client.get_session_within(Duration::from_secs(5));
        assert_unavailable(flavor, result);
    }
    // The first call makes 3 attempts and empties the budget; the other 5 make one each
    // (without the budget it would be 6 * 3 = 18).
    assert_eq!(server.request_count(), 3 + (calls - 1));
    assert_eq!(clock.sleeps().len(), 2);
}

// ----------------------------------------------------------------------------------------
// Token refresh: single flight under concurrency, failures not cached.

const REFRESH: &str = "/api/auth/refresh";
const CURRENT: &str = "/api/sessions/current";

/// A server that refreshes `rt_old` into `at_new` (after `delay`, so that concurrent calls
/// pile up behind the refresh) and serves the current session to `Bearer at_new` only.
/// `refresh_fails_first`: the first refresh gets a 500.
fn refreshing_server(delay: Duration, refresh_fails_first: bool) -> MockServer {
    let refreshes = AtomicUsize::new(0);
    MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH => {
            let n = refreshes.fetch_add(1, Ordering::SeqCst);
            thread::sleep(delay);
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            if body["refresh_token"] != "rt_old" {
                api_error(401, "INVALID_REFRESH_TOKEN")
            } else if refresh_fails_first && n == 0 {
                api_error(500, "INTERNAL_ERROR")
            } else {
                refreshed("at_new", "rt_new")
            }
        }
        CURRENT if req.header("authorization") == Some("Bearer at_new") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .unwrap()
}

fn refresh_opts() -> Opts {
    Opts {
        timeout: Duration::from_secs(20),
        tokens: Some(expired_tokens("at_old", "rt_old")),
        ..Opts::default()
    }
}

fn failed_refresh_is_not_cached(flavor: Flavor) {
    let server = refreshing_server(Duration::ZERO, true);
    let client = AnyClient::new(flavor, &server.url(), &refresh_opts());
    let limit = Duration::from_secs(10);

    let (first, _) = client.get_session_within(limit);
    match &first {
        Err(Error::RefreshFailed(inner)) => {
            assert_eq!(inner.status().map(|s| s.as_u16()), Some(500), "{inner:?}");
        }
        other => panic!("{flavor:?}: expected Error::RefreshFailed, got {other:?}"),
    }
    assert_eq!(count_path(&server, REFRESH), 1);
    assert_eq!(
        count_path(&server, CURRENT),
        0,
        "the call went on after a failed refresh"
    );
    assert_eq!(client.access_token().as_deref(), Some("at_old"));

    let (second, _) = client.get_session_within(limit);
    assert_eq!(
        second.expect("the second refresh works").session_id,
        "sess_1"
    );
    assert_eq!(count_path(&server, REFRESH), 2);
    assert_eq!(count_path(&server, CURRENT), 1);
    assert_eq!(client.access_token().as_deref(), Some("at_new"));
}

/// Once the refresh settles the 1,000 calls send at once, over up to 1,000 connections
/// (reqwest does not cap them; the server runs a thread per connection): about 2,000 file
/// descriptors in this process, so it needs `ulimit -n` well above 1024.
#[test]
fn tokio_1000_concurrent_calls_share_one_refresh() {
    const CALLS: usize = 1000;
    let server = refreshing_server(Duration::from_millis(200), false);
    let client = match AnyClient::new(Flavor::Tokio, &server.url(), &refresh_opts()) {
        AnyClient::Tokio(client, _) => client,
        AnyClient::Blocking(_) => unreachable!(),
    };
    let results = support::within(Duration::from_secs(25), move || {
        let rt = support::runtime();
        rt.block_on(async move {
            let tasks: Vec<_> = (0..CALLS)
                .map(|_| {
                    let client = client.clone();
                    tokio::spawn(async move { client.sessions().get_current_session().await })
                })
                .collect();
            let mut results = Vec::with_capacity(CALLS);
            for task in tasks {
                results.push(task.await.expect("no task panics"));
            }
            (results, client.tokens())
        })
    });
    let (results, tokens) = results;
    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {CALLS} calls failed, e.g. {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(count_path(&server, REFRESH), 1);
    assert_eq!(count_path(&server, CURRENT), CALLS);
    assert_eq!(
        tokens
            .map(|t| t.access_token.expose().to_owned())
            .as_deref(),
        Some("at_new")
    );
}

#[test]
fn blocking_32_threads_share_one_refresh() {
    const THREADS: usize = 32;
    let server = refreshing_server(Duration::from_millis(200), false);
    let client = AnyClient::new(Flavor::Blocking, &server.url(), &refresh_opts());
    let handle = client.clone();
    let results = support::within(Duration::from_secs(25), move || {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let client = handle.clone();
                thread::spawn(move || client.get_session())
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("no thread panics"))
            .collect::<Vec<_>>()
    });
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(count_path(&server, REFRESH), 1);
    assert_eq!(count_path(&server, CURRENT), THREADS);
    assert_eq!(client.access_token().as_deref(), Some("at_new"));
}
