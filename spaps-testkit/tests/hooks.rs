//! What surrounds the calls, through both clients over a real loopback socket:
//! interceptors (a header on every attempt, the refresh included; responses with their
//! elapsed time and attempt; every retry with its delay; transport failures; a panic
//! that fails one call and not the client), errors that name their operation and keep
//! the response's headers and body, secure messages refused without a token, and tokens
//! set from an `expires_in`, and a device login's own timeout and interval floor.

#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use serde_json::json;
use spaps_proto::intercept::{
    Exchange, Interceptor, OutgoingRequest, ResponseInfo, RetryNotice, RetryReason,
};
use spaps_proto::SendError;
use spaps_proto::{Error, RetryPolicy, Timestamp, Tokens, TransportErrorKind};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

use support::{
    api_error, refreshed, refused_url, runtime, session_ok, AnyClient, Flavor, KEY, TOKEN,
};

/// What a recording interceptor saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// `before_send`: operation, attempt, refresh?
    Send(&'static str, u32, bool),
    /// `on_response`: status, attempt, refresh?
    Response(u16, u32, bool),
    /// `on_transport_error`: the transport failure's kind.
    Failure(Option<TransportErrorKind>),
    /// `on_retry`.
    Retry(RetryNotice),
}

/// Adds `x-tenant-id` and a W3C `traceparent` to every request, and records every hook
/// (with each response's elapsed time).
#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    elapsed: Mutex<Vec<Duration>>,
    /// Whether `before_send` could read a credential through the `headers()` view (the
    /// refresh token travels in the body, which interceptors never see).
    leaked: AtomicBool,
}

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn push(&self, seen: Seen) {
        self.seen.lock().unwrap().push(seen);
    }
}

impl Interceptor for Recorder {
    fn before_send(&self, exchange: &Exchange, request: &mut OutgoingRequest<'_>) {
        let shown = format!("{:?}", request.headers());
        let credentials_hidden = request
            .headers()
            .iter()
            .filter(|(name, _)| *name == "authorization" || *name == "x-api-key")
            .all(|(_, value)| value.is_redacted());
        if !credentials_hidden || shown.contains(TOKEN) || shown.contains("at_2") {
            self.leaked.store(true, Ordering::SeqCst);
        }
        request.insert_header("x-tenant-id", HeaderValue::from_static("acme"));
        let traceparent = format!(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-{:016x}-01",
            exchange.attempt()
        );
        request.insert_header("traceparent", HeaderValue::from_str(&traceparent).unwrap());
        self.push(Seen::Send(
            exchange.operation(),
            exchange.attempt(),
            exchange.is_refresh(),
        ));
    }

    fn on_response(&self, exchange: &Exchange, response: &ResponseInfo<'_>) {
        self.elapsed.lock().unwrap().push(response.elapsed());
        self.push(Seen::Response(
            response.status().as_u16(),
            response.attempt(),
            exchange.is_refresh(),
        ));
    }

    fn on_transport_error(&self, _: &Exchange, error: &SendError, _: Duration) {
        let kind = match error {
            SendError::Transport(e) => Some(e.kind),
            _ => None,
        };
        self.push(Seen::Failure(kind));
    }

    fn on_retry(&self, _: &Exchange, retry: &RetryNotice) {
        self.push(Seen::Retry(retry.clone()));
    }
}

/// `interceptor`, shared, as the builders take it.
fn shared<I: Interceptor>(interceptor: &Arc<I>) -> Arc<dyn Interceptor> {
    interceptor.clone()
}

/// A client of `flavor` for `url` with `interceptors`, `retry`, and `tokens` set.
fn client(
    flavor: Flavor,
    url: &str,
    interceptors: &[Arc<dyn Interceptor>],
    retry: RetryPolicy,
    tokens: Option<Tokens>,
) -> AnyClient {
    match flavor {
        Flavor::Tokio => {
            let mut b = spaps_tokio::Client::builder()
                .base_url(url)
                .api_key(KEY)
                .retry(retry);
            for i in interceptors {
                b = b.interceptor(i.clone());
            }
            let client = b.build().unwrap();
            let rt = runtime();
            if let Some(tokens) = tokens {
                rt.block_on(client.set_tokens(tokens)).unwrap();
            }
            AnyClient::Tokio(client, rt)
        }
        Flavor::Blocking => {
            let mut b = spaps_blocking::Client::builder()
                .base_url(url)
                .api_key(KEY)
                .retry(retry);
            for i in interceptors {
                b = b.interceptor(i.clone());
            }
            let client = b.build().unwrap();
            if let Some(tokens) = tokens {
                client.set_tokens(tokens).unwrap();
            }
            AnyClient::Blocking(client)
        }
    }
}

/// Runs a request built from the client `$c` on either client: `.await` or `.send()`.
macro_rules! run {
    ($any:expr, $c:ident => $request:expr) => {
        match &$any {
            AnyClient::Tokio($c, rt) => rt.block_on(async { $request.await }),
            AnyClient::Blocking($c) => $request.send(),
        }
    };
}

/// Ten milliseconds, doubling, no jitter: the delays are exact.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(10))
        .jitter(false)
}

fn header<'a>(request: &'a ObservedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Rejects `at_1` with a 401, refreshes to `at_2`, then answers the replay 503 (once,
/// after 30 ms) and the retry 200.
fn refresh_then_retry_server() -> MockServer {
    let busy = AtomicBool::new(false);
    MockServer::start(move |req: &ObservedRequest| {
        if req.path == "/api/auth/refresh" {
            return refreshed("at_2", "rt_2");
        }
        match header(req, "authorization") {
            Some("Bearer at_2") if !busy.swap(true, Ordering::SeqCst) => {
                std::thread::sleep(Duration::from_millis(30));
                api_error(503, "SERVICE_UNAVAILABLE")
            }
            Some("Bearer at_2") => session_ok(),
            _ => api_error(401, "TOKEN_EXPIRED"),
        }
    })
    .unwrap()
}

fn header_on_every_attempt(flavor: Flavor) {
    let server = refresh_then_retry_server();
    let recorder = Arc::new(Recorder::default());
    let tokens = Tokens::new(TOKEN).with_refresh_token("rt_1");
    let c = client(
        flavor,
        &server.url(),
        &[shared(&recorder)],
        quick_retries(),
        Some(tokens),
    );
    let session = c
        .get_session()
        .expect("the call succeeds after refresh and retry");
    assert_eq!(session.session_id, "sess_1");

    // The server received the header on every attempt: the 401, the refresh, the
    // replay that got a 503, and the retry.
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/sessions/current",
            "/api/auth/refresh",
            "/api/sessions/current",
            "/api/sessions/current"
        ]
    );
    for r in &requests {
        assert_eq!(
            header(r, "x-tenant-id"),
            Some("acme"),
            "{} {}",
            r.method,
            r.path
        );
        assert!(header(r, "traceparent").is_some_and(|t| t.starts_with("00-4bf92f35")));
    }
    // The credentials still went out, and the view never showed them.
    assert_eq!(header(&requests[0], "authorization"), Some("Bearer at_1"));
    assert!(!recorder.leaked.load(Ordering::SeqCst));

    let op = "sessions.get_current_session";
    let retry = RetryNotice::new(
        2,
        Duration::from_millis(20),
        RetryReason::Status {
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
        },
    );
    assert_eq!(
        recorder.seen(),
        [
            Seen::Send(op, 1, false),
            Seen::Response(401, 1, false),
            Seen::Send(op, 1, true),
            Seen::Response(200, 1, true),
            Seen::Send(op, 2, false),
            Seen::Response(503, 2, false),
            Seen::Retry(retry),
            Seen::Send(op, 3, false),
            Seen::Response(200, 3, false),
        ]
    );
    // Elapsed time is measured per exchange: the slow 503 took its 30 ms.
    let elapsed = recorder.elapsed.lock().unwrap().clone();
    assert_eq!(elapsed.len(), 4);
    assert!(elapsed[2] >= Duration::from_millis(30), "{elapsed:?}");
    assert!(
        elapsed.iter().all(|e| *e < Duration::from_secs(5)),
        "{elapsed:?}"
    );
}

fn transport_failures_and_their_retries(flavor: Flavor) {
    let recorder = Arc::new(Recorder::default());
    let c = client(
        flavor,
        &refused_url(),
        &[shared(&recorder)],
        quick_retries().max_attempts(2),
        Some(Tokens::new(TOKEN)),
    );
    let err = c.get_session().unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    let op = "sessions.get_current_session";
    let connect = Some(TransportErrorKind::Connect);
    assert_eq!(
        recorder.seen(),
        [
            Seen::Send(op, 1, false),
            Seen::Failure(connect),
            Seen::Retry(RetryNotice::new(
                1,
                Duration::from_millis(10),
                RetryReason::Transport(TransportErrorKind::Connect)
            )),
            Seen::Send(op, 2, false),
            Seen::Failure(connect),
        ]
    );
}

/// Panics in the hook named by `panic_in`, while `armed`.
#[derive(Debug)]
struct Faulty {
    panic_in: &'static str,
    armed: AtomicBool,
}

impl Faulty {
    fn check(&self, hook: &str) {
        if hook == self.panic_in && self.armed.load(Ordering::SeqCst) {
            panic!("faulty interceptor in {hook}");
        }
    }
}

impl Interceptor for Faulty {
    fn before_send(&self, _: &Exchange, _: &mut OutgoingRequest<'_>) {
        self.check("before_send");
    }
    fn on_response(&self, _: &Exchange, _: &ResponseInfo<'_>) {
        self.check("on_response");
    }
}

fn a_panic_fails_the_call_not_the_client(flavor: Flavor) {
    for hook in ["before_send", "on_response"] {
        let server = support::serve(session_ok());
        let faulty = Arc::new(Faulty {
            panic_in: hook,
            armed: AtomicBool::new(true),
        });
        let c = client(
            flavor,
            &server.url(),
            &[shared(&faulty)],
            RetryPolicy::disabled(),
            Some(Tokens::new(TOKEN)),
        );
        match c.get_session() {
            Err(Error::Interceptor {
                operation,
                hook: failed_in,
                message,
            }) => {
                assert_eq!(operation, "sessions.get_current_session");
                assert_eq!(failed_in, hook);
                assert_eq!(message, format!("faulty interceptor in {hook}"));
            }
            other => panic!("{hook}: {other:?}"),
        }
        // A panic before sending sends nothing; after the response, it was sent.
        let sent = usize::from(hook == "on_response");
        assert_eq!(server.request_count(), sent, "{hook}");
        faulty.armed.store(false, Ordering::SeqCst);
        c.get_session().expect("the client goes on");
    }
}

fn api_errors_name_the_operation_with_headers_and_body(flavor: Flavor) {
    let body = json!({"success": false,
        "error": {"code": "FORBIDDEN", "message": "admins only"},
        "metadata": {"request_id": "req_body"}});
    let server = support::serve(
        Reply::json(403, &body)
            .with_header("x-request-id", "req_403")
            .with_header("x-ratelimit-remaining", "7")
            .with_header("set-cookie", "sid=s3cr3t; HttpOnly"),
    );
    let c = client(
        flavor,
        &server.url(),
        &[],
        RetryPolicy::disabled(),
        Some(Tokens::new(TOKEN)),
    );
    let err = run!(c, c => c.sessions().list_sessions()).unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.operation, "sessions.list_sessions");
    assert_eq!(api.status, 403);
    assert_eq!(api.code.as_deref(), Some("FORBIDDEN"));
    assert_eq!(api.request_id.as_deref(), Some("req_403"));
    assert_eq!(api.headers["x-ratelimit-remaining"], "7");
    assert_eq!(api.headers["set-cookie"], spaps_proto::intercept::REDACTED);
    let sent: serde_json::Value = serde_json::from_slice(&api.body).unwrap();
    assert_eq!(sent, body);
    assert!(!api.body_truncated);
    let shown = err.to_string();
    assert!(
        shown.starts_with("sessions.list_sessions: SPAPS answered 403"),
        "{shown}"
    );
    for text in [shown, format!("{err:?}")] {
        assert!(!text.contains("s3cr3t") && !text.contains(TOKEN), "{text}");
    }
}

fn secure_messages_need_a_token(flavor: Flavor) {
    let server = support::serve(session_ok());
    let c = client(flavor, &server.url(), &[], RetryPolicy::disabled(), None);
    let create = run!(c, c => c.secure_messages().create_message("pat_1", "prac_1", "hello"));
    assert!(
        matches!(
            create,
            Err(Error::MissingToken {
                operation: "secure_messages.create_message"
            })
        ),
        "{create:?}"
    );
    let list = run!(c, c => c.secure_messages().list_messages());
    assert!(
        matches!(
            list,
            Err(Error::MissingToken {
                operation: "secure_messages.list_messages"
            })
        ),
        "{list:?}"
    );
    assert_eq!(server.request_count(), 0, "nothing was sent");
}

fn tokens_from_expires_in(flavor: Flavor) {
    let c = client(flavor, &refused_url(), &[], RetryPolicy::disabled(), None);
    let tokens = Tokens::new("at").with_refresh_token("rt");
    let before = Timestamp::from_system_time(SystemTime::now());
    match &c {
        AnyClient::Tokio(c, rt) => rt
            .block_on(c.set_tokens_expiring_in(tokens, Duration::from_secs(3600)))
            .unwrap(),
        AnyClient::Blocking(c) => c
            .set_tokens_expiring_in(tokens, Duration::from_secs(3600))
            .unwrap(),
    }
    let stored = match &c {
        AnyClient::Tokio(c, _) => c.tokens(),
        AnyClient::Blocking(c) => c.tokens(),
    }
    .unwrap();
    let lifetime = stored.expires_at.unwrap().duration_since(before);
    assert!(
        (Duration::from_secs(3595)..=Duration::from_secs(3605)).contains(&lifetime),
        "{lifetime:?}"
    );
    assert_eq!(stored.refresh_token.unwrap().expose(), "rt");
}

fn device_login_with_a_timeout_and_an_interval_floor(flavor: Flavor) {
    let server = MockServer::start(|req: &ObservedRequest| {
        if req.path == "/api/cli/device/authorize" {
            return Reply::json(
                200,
                &json!({"success": true, "data": {"device_code": "dc_1", "user_code": "ABCD",
                    "verification_uri": "https://example.com/device", "expires_in": 600,
                    "interval": 0}}),
            );
        }
        api_error(400, "authorization_pending")
    })
    .unwrap();
    let c = client(flavor, &server.url(), &[], RetryPolicy::disabled(), None);
    let started = std::time::Instant::now();
    let limit = Duration::from_millis(1500);
    let floor = Duration::from_millis(1200);
    let result =
        run!(c, c => c.device_flow().login(None, |_| {}).timeout(limit).min_interval(floor));
    let took = started.elapsed();
    assert!(
        matches!(result, Err(Error::DeviceFlow(spaps_proto::device::DeviceFlowError::TimedOut(t))) if t == limit),
        "{result:?}"
    );
    // Polls at 0 and 1.2 s (the floor, not the server's `interval: 0`); the next would
    // be at 2.4 s, past the limit, so the login ends at once.
    assert_eq!(support::count_path(&server, "/api/cli/device/token"), 2);
    assert!(took >= floor && took < limit + support::SLACK, "{took:?}");
}

/// Counts every `on_response`, for stacking.
#[derive(Debug, Default)]
struct Counter(AtomicUsize);

impl Interceptor for Counter {
    fn before_send(&self, _: &Exchange, request: &mut OutgoingRequest<'_>) {
        // Runs after the recorder: it sees the header the recorder added.
        assert_eq!(
            request.headers().get("x-tenant-id").unwrap().to_str(),
            Some("acme")
        );
        request.insert_header("x-tenant-id", HeaderValue::from_static("acme-2"));
    }
    fn on_response(&self, _: &Exchange, _: &ResponseInfo<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn interceptors_stack_in_order(flavor: Flavor) {
    let server = support::serve(session_ok());
    let recorder = Arc::new(Recorder::default());
    let counter = Arc::new(Counter::default());
    let c = client(
        flavor,
        &server.url(),
        &[shared(&recorder), shared(&counter)],
        RetryPolicy::disabled(),
        Some(Tokens::new(TOKEN)),
    );
    c.get_session().unwrap();
    c.get_session().unwrap();
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    assert_eq!(recorder.seen().len(), 4);
    for r in server.requests() {
        assert_eq!(header(&r, "x-tenant-id"), Some("acme-2"));
    }
}

/// Declares `<case>::tokio` and `<case>::blocking`.
macro_rules! both {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test]
            fn tokio() {
                super::$case(Flavor::Tokio);
            }
            #[test]
            fn blocking() {
                super::$case(Flavor::Blocking);
            }
        }
    )*};
}

both!(
    header_on_every_attempt,
    transport_failures_and_their_retries,
    a_panic_fails_the_call_not_the_client,
    api_errors_name_the_operation_with_headers_and_body,
    secure_messages_need_a_token,
    tokens_from_expires_in,
    interceptors_stack_in_order,
    device_login_with_a_timeout_and_an_interval_floor,
);
