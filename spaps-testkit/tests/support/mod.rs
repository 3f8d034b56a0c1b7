//! Shared helpers of the fault-injection tests: one way to build and call either client,
//! canned SPAPS bodies, and a guard that turns a hang into a test failure.

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use spaps_proto::model::sessions::SessionSummary;
use spaps_proto::{Config, Error, RetryPolicy, Timestamp, Tokens};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};
use spaps_testkit::virtual_time::VirtualClock;

/// Runs each named `fn(Flavor)` as two tests, `<name>::tokio` and `<name>::blocking`.
#[allow(unused_macros)]
macro_rules! both_clients {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn tokio() {
                super::$name(super::Flavor::Tokio);
            }
            #[test]
            fn blocking() {
                super::$name(super::Flavor::Blocking);
            }
        }
    )*};
}

/// The API key every test client sends.
pub(crate) const KEY: &str = "k";
/// The access token of the signed-in test user.
pub(crate) const TOKEN: &str = "at_1";
/// Slack allowed on top of the configured timeout before a call counts as late.
pub(crate) const SLACK: Duration = Duration::from_secs(2);

/// Which client a test drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `spaps_tokio::Client`, driven by a multi-thread runtime's `block_on`.
    Tokio,
    /// `spaps_blocking::Client`.
    Blocking,
}

/// How a test client is configured.
#[derive(Clone, Debug)]
pub(crate) struct Opts {
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: Option<usize>,
    pub(crate) retry_budget: Option<u32>,
    pub(crate) clock: Option<Arc<VirtualClock>>,
    pub(crate) tokens: Option<Tokens>,
}

impl Default for Opts {
    /// One-second timeout, no retries, signed in with [`TOKEN`] (no expiry).
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::disabled(),
            max_response_bytes: None,
            retry_budget: None,
            clock: None,
            tokens: Some(Tokens::new(TOKEN)),
        }
    }
}

/// Either client, plus the runtime that drives the async one. Cheap to clone and `Send`,
/// so a call can run on a watchdog thread.
#[derive(Clone, Debug)]
pub(crate) enum AnyClient {
    Tokio(spaps_tokio::Client, Arc<tokio::runtime::Runtime>),
    Blocking(spaps_blocking::Client),
}

pub(crate) fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    )
}

impl AnyClient {
    /// A client of `flavor` for the server at `url`, built with the builder of its crate.
    pub(crate) fn new(flavor: Flavor, url: &str, opts: &Opts) -> AnyClient {
        match flavor {
            Flavor::Tokio => {
                let mut b = spaps_tokio::Client::builder();
                if let Some(budget) = opts.retry_budget {
                    b = b.config(Config::new(url).unwrap().with_retry_budget(budget));
                }
                let mut b = b
                    .base_url(url)
                    .api_key(KEY)
                    .timeout(opts.timeout)
                    .retry(opts.retry.clone());
                if let Some(max) = opts.max_response_bytes {
                    b = b.max_response_bytes(max);
                }
                if let Some(clock) = &opts.clock {
                    b = b.clock(clock.clone()).sleeper(clock.clone());
                }
                let client = b.build().expect("the tokio client builds");
                let rt = runtime();
                if let Some(tokens) = &opts.tokens {
                    rt.block_on(client.set_tokens(tokens.clone())).unwrap();
                }
                AnyClient::Tokio(client, rt)
            }
            Flavor::Blocking => {
                let mut b = spaps_blocking::Client::builder();
                if let Some(budget) = opts.retry_budget {
                    b = b.config(Config::new(url).unwrap().with_retry_budget(budget));
                }
                let mut b = b
                    .base_url(url)
                    .api_key(KEY)
                    .timeout(opts.timeout)
                    .retry(opts.retry.clone());
                if let Some(max) = opts.max_response_bytes {
                    b = b.max_response_bytes(max);
                }
                if let Some(clock) = &opts.clock {
                    b = b.clock(clock.clone()).sleeper(clock.clone());
                }
                let client = b.build().expect("the blocking client builds");
                if let Some(tokens) = &opts.tokens {
                    client.set_tokens(tokens.clone()).unwrap();
                }
                AnyClient::Blocking(client)
            }
        }
    }

    /// `GET /api/sessions/current`, on this thread.
    pub(crate) fn get_session(&self) -> Result<SessionSummary, Error> {
        match self {
            AnyClient::Tokio(client, rt) => {
                rt.block_on(async { client.sessions().get_current_session().await })
            }
            AnyClient::Blocking(client) => client.sessions().get_current_session().send(),
        }
    }

    /// `GET /api/sessions/current` on a watchdog thread: the result and how long the call
    /// took, or a test failure if it has not returned within `limit`.
    pub(crate) fn get_session_within(
        &self,
        limit: Duration,
    ) -> (Result<SessionSummary, Error>, Duration) {
        let client = self.clone();
        within(limit, move || {
            let started = Instant::now();
            let result = client.get_session();
            (result, started.elapsed())
        })
    }

    /// The access token the client holds now.
    pub(crate) fn access_token(&self) -> Option<String> {
        let tokens = match self {
            AnyClient::Tokio(c, _) => c.tokens(),
            AnyClient::Blocking(c) => c.tokens(),
        };
        tokens.map(|t| t.access_token.expose().to_owned())
    }
}

/// Runs `f` on its own thread and fails the test if it does not finish within `limit`
/// (the thread is then left behind; the test binary still ends).
pub(crate) fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("fault-call".to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("a thread");
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the call did not return within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the call panicked"),
    }
}

/// Starts a server answering every request with a clone of `reply`.
pub(crate) fn serve(reply: Reply) -> MockServer {
    MockServer::start(move |_: &ObservedRequest| reply.clone()).expect("the mock server starts")
}

/// A URL on which nothing listens: a port bound, then released.
pub(crate) fn refused_url() -> String {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A valid `sessions.get_current_session` body.
pub(crate) fn session_body() -> Value {
    json!({
        "success": true,
        "data": {"session": {
            "id": "sess_1",
            "user_id": "user_1",
            "application_id": "app_1",
            "created_at": "2025-01-15T12:00:00Z",
            "expires_at": "2025-01-22T12:00:00Z",
        }},
        "metadata": {"request_id": "req_1"},
    })
}

pub(crate) fn session_ok() -> Reply {
    Reply::json(200, &session_body())
}

/// A successful refresh answer.
pub(crate) fn refreshed(access: &str, refresh: &str) -> Reply {
    Reply::json(
        200,
        &json!({
            "success": true,
            "data": {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 3600,
                "token_type": "Bearer",
            },
        }),
    )
}

/// An error answer in the SPAPS envelope.
pub(crate) fn api_error(status: u16, code: &str) -> Reply {
    Reply::json(
        status,
        &json!({"success": false, "error": {"code": code, "message": code}}),
    )
}

/// Tokens whose access token expired an hour ago, with a refresh token.
pub(crate) fn expired_tokens(access: &str, refresh: &str) -> Tokens {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    Tokens::new(access)
        .with_refresh_token(refresh)
        .with_expires_at(Timestamp::from_system_time(hour_ago))
}

/// Fails unless `elapsed` is within `timeout` plus [`SLACK`].
pub(crate) fn assert_in_time(elapsed: Duration, timeout: Duration) {
    assert!(
        elapsed <= timeout + SLACK,
        "the call took {elapsed:?}, more than the {timeout:?} timeout plus {SLACK:?}"
    );
}

/// The requests to `path` a server received.
pub(crate) fn count_path(server: &MockServer, path: &str) -> usize {
    server.requests().iter().filter(|r| r.path == path).count()
}
