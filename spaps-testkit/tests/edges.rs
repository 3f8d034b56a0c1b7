//! Servers that lie and arguments that bite, against both clients over a real loopback
//! socket: `interval: 0` in the device flow, paging that repeats itself, an absurd
//! timeout, and dot-segment ids. Each case runs once per client (`<case>::tokio` and
//! `<case>::blocking`) on a watchdog thread, so a hang fails the test instead of
//! stalling the run.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use spaps_proto::device::{DeviceFlowError, MIN_INTERVAL};
use spaps_proto::paging::PagingError;
use spaps_proto::{Error, RetryPolicy, Tokens};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

#[allow(dead_code)] // Shared with faults.rs; this file uses part of it.
#[macro_use]
mod support;

use support::{count_path, runtime, Flavor};

both_clients!(
    device_interval_zero_is_polled_at_the_minimum,
    repeated_cursor_ends_the_walk_with_a_typed_error,
    saturated_offset_ends_the_walk_with_a_typed_error,
    duration_max_timeout_is_refused_without_a_panic,
    dot_segment_ids_send_nothing,
    an_endpoint_built_alone_sends_what_its_accessor_sends,
);

/// How long any one case may take before it counts as a hang.
const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `f` on a watchdog thread ([`support::within`] with [`WATCHDOG`]).
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    support::within(WATCHDOG, f)
}

fn tokio_client(url: &str) -> spaps_tokio::Client {
    spaps_tokio::Client::builder()
        .base_url(url)
        .api_key("k")
        .retry(RetryPolicy::disabled())
        .token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
            "at",
        )))
        .build()
        .expect("the tokio client builds")
}

fn blocking_client(url: &str) -> spaps_blocking::Client {
    let client = spaps_blocking::Client::builder()
        .base_url(url)
        .api_key("k")
        .retry(RetryPolicy::disabled())
        .build()
        .expect("the blocking client builds");
    client.set_tokens(Tokens::new("at")).unwrap();
    client
}

fn query<'r>(req: &'r ObservedRequest, name: &str) -> Option<&'r str> {
    req.query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------
// Device flow: `interval: 0`
// ---------------------------------------------------------------------------------------

/// The device code's lifetime in [`device_interval_zero_is_polled_at_the_minimum`].
const DEVICE_CODE_TTL: u64 = 2;

/// `authorize` answers `interval: 0`; the token endpoint answers `authorization_pending`
/// for ever. Before the fix the client polled as fast as it could (thousands of polls a
/// second); now it polls once per [`MIN_INTERVAL`] until the code's lifetime ends.
fn device_interval_zero_is_polled_at_the_minimum(flavor: Flavor) {
    let server = MockServer::start(|req: &ObservedRequest| match req.path.as_str() {
        "/api/cli/device/authorize" => Reply::json(
            200,
            &json!({"success": true, "data": {
                "device_code": "dc_1", "user_code": "ABCD-EFGH",
                "verification_uri": "https://example.com/device",
                "expires_in": DEVICE_CODE_TTL, "interval": 0,
            }}),
        ),
        _ => Reply::json(
            400,
            &json!({"success": false, "error": {"code": "authorization_pending", "message": "wait"}}),
        ),
    })
    .expect("the server starts");
    let url = server.url();
    let (result, elapsed) = within(move || {
        let started = Instant::now();
        let result = match flavor {
            Flavor::Tokio => {
                let client = tokio_client(&url);
                runtime().block_on(async { client.device_flow().login(None, |_| {}).await })
            }
            Flavor::Blocking => blocking_client(&url)
                .device_flow()
                .login(None, |_| {})
                .send(),
        };
        (result.map(|_| ()), started.elapsed())
    });
    assert!(
        matches!(
            result,
            Err(Error::DeviceFlow(DeviceFlowError::DeadlineReached(_)))
        ),
        "{result:?}"
    );
    let polls = count_path(&server, "/api/cli/device/token");
    let bound = (elapsed.as_secs_f64() / MIN_INTERVAL.as_secs_f64()).floor() as usize + 1;
    assert!(
        (1..=bound).contains(&polls),
        "{polls} polls in {elapsed:?} (at most {bound})"
    );
    assert!(
        elapsed < Duration::from_secs(DEVICE_CODE_TTL + 2),
        "{elapsed:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Paging that repeats itself
// ---------------------------------------------------------------------------------------

fn session(id: &str) -> Value {
    json!({"id": id, "user_id": "u", "application_id": "a", "created_at": "2025-01-15T12:00:00Z"})
}

/// Walks every page of `GET /api/sessions?limit=2` and returns what the walk yielded:
/// `Ok(number of sessions)` per page, the error last.
fn walk_sessions(flavor: Flavor, url: String) -> Vec<Result<usize, Error>> {
    within(move || match flavor {
        Flavor::Tokio => {
            let client = tokio_client(&url);
            runtime().block_on(async {
                client
                    .sessions()
                    .list_sessions()
                    .limit(2u32)
                    .pages()
                    .take(50)
                    .map(|page| page.map(|p| p.sessions.len()))
                    .collect()
                    .await
            })
        }
        Flavor::Blocking => blocking_client(&url)
            .sessions()
            .list_sessions()
            .limit(2u32)
            .pages()
            .take(50)
            .map(|page| page.map(|p| p.sessions.len()))
            .collect(),
    })
}

/// Whatever cursor it is asked for, the server answers the same full page `s1, s2`, so
/// the next cursor is always `s2`. Before the fix `.pages()` asked for it for ever;
/// now the walk yields the two pages it got, then `Error::Paging`, then ends.
fn repeated_cursor_ends_the_walk_with_a_typed_error(flavor: Flavor) {
    let server = MockServer::start(|_req: &ObservedRequest| {
        Reply::json(
            200,
            &json!({"success": true, "data": {"sessions": [session("s1"), session("s2")]}}),
        )
    })
    .expect("the server starts");
    let walk = walk_sessions(flavor, server.url());
    assert_eq!(walk.len(), 3, "{walk:?}");
    assert_eq!(walk[0].as_ref().ok(), Some(&2));
    assert_eq!(walk[1].as_ref().ok(), Some(&2));
    match &walk[2] {
        Err(Error::Paging {
            operation: "sessions.list_sessions",
            reason: PagingError::RepeatedCursor { page: 2 },
        }) => {}
        other => panic!("{other:?}"),
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(query(&requests[0], "starting_after"), None);
    assert_eq!(query(&requests[1], "starting_after"), Some("s2"));
    // A cycle (s2 -> s4 -> s2) is caught as well, not only an immediate repeat.
    let server = MockServer::start(|req: &ObservedRequest| {
        let page = match query(req, "starting_after") {
            Some("s2") => [session("s3"), session("s4")],
            _ => [session("s1"), session("s2")],
        };
        Reply::json(200, &json!({"success": true, "data": {"sessions": page}}))
    })
    .expect("the server starts");
    let walk = walk_sessions(flavor, server.url());
    assert_eq!(walk.len(), 4, "{walk:?}");
    assert!(matches!(
        walk[3],
        Err(Error::Paging {
            reason: PagingError::RepeatedCursor { page: 3 },
            ..
        })
    ));
    assert_eq!(server.request_count(), 3);
}

/// A walk of the email log from offset `u64::MAX` over a server that sends no `total`:
/// the next offset saturates at `u64::MAX`, the same request again. Before the fix the
/// walk repeated it for ever; now it stops after the first page with `Error::Paging`.
fn saturated_offset_ends_the_walk_with_a_typed_error(flavor: Flavor) {
    let server = MockServer::start(|_req: &ObservedRequest| {
        Reply::json(
            200,
            &json!({"success": true, "data": {"logs": [{"id": "log_1"}]}}),
        )
    })
    .expect("the server starts");
    let url = server.url();
    let walk: Vec<Result<usize, Error>> = within(move || match flavor {
        Flavor::Tokio => {
            let client = tokio_client(&url);
            runtime().block_on(async {
                client
                    .email()
                    .list_email_logs()
                    .offset(u64::MAX)
                    .pages()
                    .take(50)
                    .map(|page| page.map(|p| p.logs.len()))
                    .collect()
                    .await
            })
        }
        Flavor::Blocking => blocking_client(&url)
            .email()
            .list_email_logs()
            .offset(u64::MAX)
            .pages()
            .take(50)
            .map(|page| page.map(|p| p.logs.len()))
            .collect(),
    });
    assert_eq!(walk.len(), 2, "{walk:?}");
    assert_eq!(walk[0].as_ref().ok(), Some(&1));
    assert!(
        matches!(
            walk[1],
            Err(Error::Paging {
                operation: "email.list_email_logs",
                reason: PagingError::OffsetNotAdvancing {
                    page: 1,
                    previous: u64::MAX,
                    next: u64::MAX
                },
            })
        ),
        "{walk:?}"
    );
    assert_eq!(server.request_count(), 1);
}

// ---------------------------------------------------------------------------------------
// A timeout of `Duration::MAX`
// ---------------------------------------------------------------------------------------

/// `.timeout(Duration::MAX)` panicked inside ureq. Now it is refused with
/// `InvalidArgument { name: "timeout" }`: by the build, or at the latest by the first
/// call, which then sends nothing.
fn duration_max_timeout_is_refused_without_a_panic(flavor: Flavor) {
    let server = MockServer::start(|_req: &ObservedRequest| Reply::json(200, &json!({})))
        .expect("the server starts");
    let url = server.url();
    let outcome: Result<(), Error> = within(move || match flavor {
        Flavor::Tokio => {
            let client = spaps_tokio::Client::builder()
                .base_url(&url)
                .timeout(Duration::MAX)
                .token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
                    "at",
                )))
                .build()?;
            runtime()
                .block_on(async { client.sessions().get_current_session().await })
                .map(|_| ())
        }
        Flavor::Blocking => {
            let client = spaps_blocking::Client::builder()
                .base_url(&url)
                .timeout(Duration::MAX)
                .build()?;
            client.set_tokens(Tokens::new("at"))?;
            client.sessions().get_current_session().send().map(|_| ())
        }
    });
    match outcome {
        Err(Error::InvalidArgument {
            name: "timeout",
            reason,
        }) => {
            assert!(reason.contains("at most"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.request_count(), 0);
}

// ---------------------------------------------------------------------------------------
// `.` and `..` as ids
// ---------------------------------------------------------------------------------------

/// `revoke_session("..")` went out as `DELETE /api/` on tokio (reqwest resolves dot
/// segments) and raw on blocking; `archive_product(".")` and `set_default_price("..",
/// ..)` likewise changed the route. Now each fails locally, naming the parameter, and
/// the server sees nothing; an id with `/ ? # %` still goes out as one segment.
fn dot_segment_ids_send_nothing(flavor: Flavor) {
    let server = MockServer::start(|_req: &ObservedRequest| {
        Reply::json(200, &json!({"success": true, "data": {}}))
    })
    .expect("the server starts");
    let url = server.url();
    let errors: Vec<Error> = within(move || {
        let mut errors = Vec::new();
        match flavor {
            Flavor::Tokio => {
                let client = tokio_client(&url);
                runtime().block_on(async {
                    for id in ["..", ".", ""] {
                        errors.push(client.sessions().revoke_session(id).await.map(|_| ()));
                    }
                    errors.push(client.payments().archive_product(".").await.map(|_| ()));
                    errors.push(
                        client
                            .payments()
                            .set_default_price("..", "price_1")
                            .await
                            .map(|_| ()),
                    );
                    // Goes out: the answer may not decode, but it is not a local error.
                    let sent = client.sessions().revoke_session("a/../b?c#d%2e").await;
                    assert!(!matches!(sent, Err(Error::InvalidArgument { .. })));
                });
            }
            Flavor::Blocking => {
                let client = blocking_client(&url);
                for id in ["..", ".", ""] {
                    errors.push(client.sessions().revoke_session(id).send().map(|_| ()));
                }
                errors.push(client.payments().archive_product(".").send().map(|_| ()));
                errors.push(
                    client
                        .payments()
                        .set_default_price("..", "price_1")
                        .send()
                        .map(|_| ()),
                );
                let sent = client.sessions().revoke_session("a/../b?c#d%2e").send();
                assert!(!matches!(sent, Err(Error::InvalidArgument { .. })));
            }
        }
        errors.into_iter().filter_map(Result::err).collect()
    });
    let names: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::InvalidArgument { name, .. } => *name,
            other => panic!("not a local error: {other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "session_id",
            "session_id",
            "session_id",
            "product_id",
            "product_id"
        ]
    );
    // Only the ordinary id reached the server, as one encoded segment.
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(
        paths[0].starts_with("/api/sessions/a%2F..%2Fb%3Fc%23d%252e"),
        "{paths:?}"
    );
}

// ---------------------------------------------------------------------------------------
// An endpoint built on its own, bound to the client later
// ---------------------------------------------------------------------------------------

/// `ListSessions::new().limit(20).on(&client)` (the README's plain value, bound later)
/// sends what `client.sessions().list_sessions().limit(20)` sends, call options included.
fn an_endpoint_built_alone_sends_what_its_accessor_sends(flavor: Flavor) {
    use spaps_proto::api::sessions::ListSessions;
    let server = MockServer::start(|_req: &ObservedRequest| {
        Reply::json(200, &json!({"success": true, "data": {"sessions": []}}))
    })
    .expect("the server starts");
    let url = server.url();
    within(move || match flavor {
        Flavor::Tokio => {
            let client = tokio_client(&url);
            runtime().block_on(async {
                let plain = ListSessions::new().limit(20u32);
                plain.on(&client).access_token("at_call").await.unwrap();
                client
                    .sessions()
                    .list_sessions()
                    .limit(20u32)
                    .access_token("at_call")
                    .await
                    .unwrap();
            });
        }
        Flavor::Blocking => {
            let client = blocking_client(&url);
            let plain = ListSessions::new().limit(20u32);
            plain.on(&client).access_token("at_call").send().unwrap();
            client
                .sessions()
                .list_sessions()
                .limit(20u32)
                .access_token("at_call")
                .send()
                .unwrap();
        }
    });
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    for request in &sent {
        assert_eq!(request.path, "/api/sessions");
        assert_eq!(request.query, [("limit".to_owned(), "20".to_owned())]);
        assert_eq!(request.header("authorization"), Some("Bearer at_call"));
    }
    assert_eq!(sent[0].headers, sent[1].headers);
}
