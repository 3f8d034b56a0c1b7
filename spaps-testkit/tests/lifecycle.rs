//! Regression tests of issue #9, the token lifecycle, against both clients over a real
//! loopback socket (DESIGN.md, "The token lifecycle: who owns a refresh").
//!
//! 1. A call dropped (or whose thread panics) while it owns a refresh does not wedge the
//!    client.
//! 2. Short-lived and absurd token lifetimes cost one refresh, never a loop.
//! 3. `clear_tokens`, `set_tokens` or a sign-in while a refresh runs are not undone by it.
//! 4. The token store sees token changes in generation order.
//! 5. User code (the device-login `show` callback, a clock) may call back into the client.
//! 6. A call is bounded by its overall deadline, also while it waits for a refresh.
//! 7. Cancellation at scale (tokio): 1,000 calls, ~30% dropped at random points.
//! 8. A clock that jumps by hours: one refresh per expiry.
//!
//! Every scenario runs on a watchdog thread (`support::within`) or with a bounded wait,
//! so a hang fails the test instead of freezing it. Most run once per client
//! (`<name>::tokio` and `<name>::blocking`).

#[allow(dead_code)] // Shared with faults.rs; this file uses part of it.
#[macro_use]
mod support;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use spaps_proto::model::device_flow::DeviceTokens;
use spaps_proto::model::sessions::SessionSummary;
use spaps_proto::{
    Clock, Config, Error, MemoryTokenStore, Now, RetryPolicy, Timestamp, TokenStore, Tokens,
};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};
use spaps_testkit::virtual_time::{VirtualClock, VirtualRuntime};

use support::{
    api_error, count_path, expired_tokens, refreshed, session_ok, within, AnyClient, Flavor, KEY,
    SLACK,
};

both_clients!(
    owner_panics_mid_refresh,
    odd_lifetimes_refresh_once,
    clear_during_refresh_wins,
    set_during_refresh_wins,
    sign_in_during_refresh_wins,
    store_writes_follow_generations,
    device_login_show_may_use_the_client,
    clock_may_use_the_client,
    deadline_bounds_a_stalled_call,
    deadline_bounds_a_wait_for_a_stuck_refresh,
    deadline_bounds_a_stuck_refresh,
    owner_deadline_does_not_fail_a_waiter,
    per_request_call_timeout_overrides_the_clients,
    jumping_clock_refreshes_once_per_expiry,
);

const REFRESH: &str = "/api/auth/refresh";
const CURRENT: &str = "/api/sessions/current";
const LOGIN: &str = "/api/auth/login";
const DEVICE_START: &str = "/api/cli/device/authorize";
const DEVICE_TOKEN: &str = "/api/cli/device/token";

// ----------------------------------------------------------------------------------------
// Building and driving clients.

/// How a test client is built (more knobs than `support::Opts`).
#[derive(Clone)]
struct Setup {
    timeout: Duration,
    retry: RetryPolicy,
    call_timeout: Option<Duration>,
    store: Option<Arc<dyn TokenStore>>,
    clock: Option<Arc<dyn Clock>>,
    virtual_clock: Option<Arc<VirtualClock>>,
    tokens: Option<Tokens>,
}

impl Default for Setup {
    /// A five-second request timeout, no retries, no tokens.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::disabled(),
            call_timeout: None,
            store: None,
            clock: None,
            virtual_clock: None,
            tokens: None,
        }
    }
}

impl Setup {
    /// Signed in with `at_old`, expired an hour ago, refreshable with `rt_old`.
    fn expired() -> Self {
        Self {
            tokens: Some(expired_tokens("at_old", "rt_old")),
            ..Self::default()
        }
    }
}

fn config(url: &str, setup: &Setup) -> Config {
    let config = Config::new(url)
        .expect("a valid base URL")
        .with_api_key(KEY)
        .with_timeout(setup.timeout)
        .with_retry(setup.retry.clone());
    match setup.call_timeout {
        Some(limit) => config.with_call_timeout(limit),
        None => config,
    }
}

fn tokio_client(url: &str, setup: Setup) -> (spaps_tokio::Client, Arc<tokio::runtime::Runtime>) {
    match build(Flavor::Tokio, url, setup) {
        AnyClient::Tokio(client, rt) => (client, rt),
        AnyClient::Blocking(_) => unreachable!(),
    }
}

/// A client of `flavor` for `url`; the tokens of `setup` are set (and so persisted).
fn build(flavor: Flavor, url: &str, setup: Setup) -> AnyClient {
    let config = config(url, &setup);
    let client = match flavor {
        Flavor::Tokio => AnyClient::Tokio(configured(config, &setup), support::runtime()),
        Flavor::Blocking => AnyClient::Blocking(configured(config, &setup)),
    };
    if let Some(tokens) = setup.tokens {
        client.set(tokens).expect("the tokens are set");
    }
    client
}

/// A client of runtime `R` with the store and clocks of `setup`.
fn configured<R: VirtualRuntime>(config: Config, setup: &Setup) -> spaps_driver::Client<R> {
    let mut b = spaps_driver::Client::<R>::builder().config(config);
    if let Some(store) = &setup.store {
        b = b.shared_token_store(store.clone());
    }
    if let Some(clock) = &setup.clock {
        b = b.clock(clock.clone());
    }
    if let Some(clock) = &setup.virtual_clock {
        b = b
            .clock(clock.clone())
            .sleeper(R::virtual_sleeper(clock.clone()));
    }
    b.build().expect("the client builds")
}

/// What the tests do with either client, on the calling thread.
trait Lifecycle {
    fn set(&self, tokens: Tokens) -> Result<(), Error>;
    fn clear(&self) -> Result<(), Error>;
    fn current(&self) -> Option<Tokens>;
    /// `GET /api/sessions/current`, with a per-request call timeout when given.
    fn session(&self, call_timeout: Option<Duration>) -> Result<SessionSummary, Error>;
    fn sign_in(&self) -> Result<(), Error>;
    fn device_login(
        &self,
        show: Box<dyn FnMut(&spaps_proto::model::device_flow::DeviceAuthorization) + Send>,
    ) -> Result<DeviceTokens, Error>;
    fn config_of(&self) -> Config;
}

impl Lifecycle for AnyClient {
    fn set(&self, tokens: Tokens) -> Result<(), Error> {
        match self {
            AnyClient::Tokio(c, rt) => rt.block_on(c.set_tokens(tokens)),
            AnyClient::Blocking(c) => c.set_tokens(tokens),
        }
    }

    fn clear(&self) -> Result<(), Error> {
        match self {
            AnyClient::Tokio(c, rt) => rt.block_on(c.clear_tokens()),
            AnyClient::Blocking(c) => c.clear_tokens(),
        }
    }

    fn current(&self) -> Option<Tokens> {
        match self {
            AnyClient::Tokio(c, _) => c.tokens(),
            AnyClient::Blocking(c) => c.tokens(),
        }
    }

    fn session(&self, call_timeout: Option<Duration>) -> Result<SessionSummary, Error> {
        match (self, call_timeout) {
            (AnyClient::Tokio(c, rt), None) => {
                rt.block_on(async { c.sessions().get_current_session().await })
            }
            (AnyClient::Tokio(c, rt), Some(limit)) => {
                rt.block_on(async { c.sessions().get_current_session().call_timeout(limit).await })
            }
            (AnyClient::Blocking(c), None) => c.sessions().get_current_session().send(),
            (AnyClient::Blocking(c), Some(limit)) => c
                .sessions()
                .get_current_session()
                .call_timeout(limit)
                .send(),
        }
    }

    fn sign_in(&self) -> Result<(), Error> {
        match self {
            AnyClient::Tokio(c, rt) => rt
                .block_on(async { c.auth().sign_in_with_password("c@example.com", "pw").await })
                .map(drop),
            AnyClient::Blocking(c) => c
                .auth()
                .sign_in_with_password("c@example.com", "pw")
                .send()
                .map(drop),
        }
    }

    fn device_login(
        &self,
        show: Box<dyn FnMut(&spaps_proto::model::device_flow::DeviceAuthorization) + Send>,
    ) -> Result<DeviceTokens, Error> {
        match self {
            AnyClient::Tokio(c, rt) => rt.block_on(c.device_flow().login(None, show).send()),
            AnyClient::Blocking(c) => c.device_flow().login(None, show).send(),
        }
    }

    fn config_of(&self) -> Config {
        match self {
            AnyClient::Tokio(c, _) => c.config().clone(),
            AnyClient::Blocking(c) => c.config().clone(),
        }
    }
}

fn access(tokens: &Option<Tokens>) -> Option<String> {
    tokens.as_ref().map(|t| t.access_token.expose().to_owned())
}

/// Runs `f` on a watchdog thread: its result and how long it took.
fn timed<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    within(limit, move || {
        let started = Instant::now();
        let value = f();
        (value, started.elapsed())
    })
}

/// The name of the threads `background` starts.
const BACKGROUND: &str = "lifecycle-background";

/// Runs `f` on its own thread; `recv_timeout` the receiver for its result.
fn background<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(BACKGROUND.to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("a thread");
    rx
}

/// Waits until `condition` holds; fails the test after `limit`.
fn wait_until(limit: Duration, what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The same, in async code.
async fn wait_until_async(limit: Duration, what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn system_now() -> Now {
    Now::new(
        Instant::now(),
        Timestamp::from_system_time(SystemTime::now()),
    )
}

fn bearer(req: &ObservedRequest) -> Option<&str> {
    req.header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
}

/// A server that answers every refresh after `delay` with `at_new`/`rt_new`, a sign-in
/// with `at_c`/`rt_c`, and the current session to any bearer token except `at_old`.
fn slow_refresh_server(delay: Duration) -> MockServer {
    MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH => {
            thread::sleep(delay);
            refreshed("at_new", "rt_new")
        }
        LOGIN => refreshed("at_c", "rt_c"),
        CURRENT if bearer(req).is_some_and(|t| t != "at_old") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .expect("the mock server starts")
}

// ----------------------------------------------------------------------------------------
// 1. The owner of a refresh goes away: tokio futures dropped at an await point, and (both
//    clients) a panic in user code on the owner's thread.

/// Expects the call after a dropped owner to have completed, successfully.
fn assert_recovered<E: fmt::Debug>(
    second: Result<Result<SessionSummary, Error>, E>,
    server: &MockServer,
) {
    let second = second.unwrap_or_else(|e| {
        panic!("the call after the dropped owner did not complete within 5 s ({e:?}): the client is wedged")
    });
    assert_eq!(second.expect("the call succeeds").session_id, "sess_1");
    assert_eq!(count_path(server, CURRENT), 1);
}

#[test]
fn tokio_owner_dropped_by_timeout() {
    let server = slow_refresh_server(Duration::from_millis(500));
    let (client, rt) = tokio_client(&server.url(), Setup::expired());
    let (dropped, second, tokens) = within(Duration::from_secs(15), move || {
        rt.block_on(async move {
            let first = tokio::time::timeout(
                Duration::from_millis(100),
                client.sessions().get_current_session(),
            )
            .await;
            let second = tokio::time::timeout(
                Duration::from_secs(5),
                client.sessions().get_current_session(),
            )
            .await;
            (first.is_err(), second, client.tokens())
        })
    });
    assert!(
        dropped,
        "the first call was meant to be dropped mid-refresh"
    );
    assert_recovered(second, &server);
    let refreshes = count_path(&server, REFRESH);
    assert!((1..=2).contains(&refreshes), "{refreshes} refreshes");
    assert_eq!(access(&tokens).as_deref(), Some("at_new"));
}

#[test]
fn tokio_owner_aborted() {
    let server = Arc::new(slow_refresh_server(Duration::from_millis(500)));
    let (client, rt) = tokio_client(&server.url(), Setup::expired());
    let seen = server.clone();
    let (joined, second) = within(Duration::from_secs(15), move || {
        rt.block_on(async move {
            let owner = {
                let client = client.clone();
                tokio::spawn(async move { client.sessions().get_current_session().await })
            };
            wait_until_async(Duration::from_secs(5), "the refresh", || {
                count_path(&seen, REFRESH) >= 1
            })
            .await;
            owner.abort();
            let joined = owner.await;
            let second = tokio::time::timeout(
                Duration::from_secs(5),
                client.sessions().get_current_session(),
            )
            .await;
            (joined.map_err(|e| e.is_cancelled()), second)
        })
    });
    assert!(
        matches!(joined, Err(true)),
        "the owner was meant to be aborted mid-refresh: {joined:?}"
    );
    assert_recovered(second, &server);
    assert_eq!(count_path(&server, REFRESH), 2);
}

#[test]
fn tokio_owner_dropped_by_select() {
    use futures_util::future::{select, Either};
    let server = Arc::new(slow_refresh_server(Duration::from_millis(500)));
    let (client, rt) = tokio_client(&server.url(), Setup::expired());
    let seen = server.clone();
    let (dropped, second) = within(Duration::from_secs(15), move || {
        rt.block_on(async move {
            let call = client.sessions().get_current_session().send();
            let refresh_seen = Box::pin(wait_until_async(
                Duration::from_secs(5),
                "the refresh",
                move || count_path(&seen, REFRESH) >= 1,
            ));
            // The other branch wins as soon as the refresh is at the server: the call
            // is dropped with it.
            let dropped = match select(call, refresh_seen).await {
                Either::Left(_) => false,
                Either::Right(((), call)) => {
                    drop(call);
                    true
                }
            };
            let second = tokio::time::timeout(
                Duration::from_secs(5),
                client.sessions().get_current_session(),
            )
            .await;
            (dropped, second)
        })
    });
    assert!(dropped, "the call was meant to lose the select mid-refresh");
    assert_recovered(second, &server);
    assert_eq!(count_path(&server, REFRESH), 2);
}

#[test]
fn tokio_owner_dropped_while_a_call_waits() {
    let server = Arc::new(slow_refresh_server(Duration::from_millis(800)));
    let (client, rt) = tokio_client(&server.url(), Setup::expired());
    let seen = server.clone();
    let (owner, waiter) = within(Duration::from_secs(15), move || {
        rt.block_on(async move {
            let owner = {
                let client = client.clone();
                tokio::spawn(async move {
                    tokio::time::timeout(
                        Duration::from_millis(300),
                        client.sessions().get_current_session(),
                    )
                    .await
                })
            };
            wait_until_async(Duration::from_secs(5), "the refresh", || {
                count_path(&seen, REFRESH) >= 1
            })
            .await;
            let waiter = {
                let client = client.clone();
                tokio::spawn(async move {
                    tokio::time::timeout(
                        Duration::from_secs(5),
                        client.sessions().get_current_session(),
                    )
                    .await
                })
            };
            (
                owner.await.expect("no panic").is_err(),
                waiter.await.expect("no panic"),
            )
        })
    });
    assert!(owner, "the owner was meant to be dropped mid-refresh");
    assert_recovered(waiter, &server);
    assert_eq!(count_path(&server, REFRESH), 2);
}

/// A clock that panics once, on the first reading after it is armed, on any thread but
/// the waiter's (a `background` thread).
#[derive(Debug, Default)]
struct PanickyClock {
    armed: AtomicBool,
}

impl Clock for PanickyClock {
    fn now(&self) -> Now {
        let waiter = thread::current().name() == Some(BACKGROUND);
        if !waiter && self.armed.swap(false, Ordering::SeqCst) {
            panic!("the clock fails (a fault injected by the test)");
        }
        system_now()
    }
}

/// The blocking client cannot be cancelled, but the owner's thread can unwind: here a
/// panic in user code (the clock, read when the refresh answer is fed) while a second
/// call waits for the refresh. The waiter must take the refresh over.
fn owner_panics_mid_refresh(flavor: Flavor) {
    let server = Arc::new(slow_refresh_server(Duration::from_millis(800)));
    let clock = Arc::new(PanickyClock::default());
    let client = build(
        flavor,
        &server.url(),
        Setup {
            clock: Some(clock.clone()),
            ..Setup::expired()
        },
    );
    // The owner: a thread, or a task.
    let owner: Box<dyn FnOnce() -> bool + Send> = match &client {
        AnyClient::Tokio(c, rt) => {
            let c = c.clone();
            let task = rt.spawn(async move { c.sessions().get_current_session().await });
            let rt = rt.clone();
            Box::new(move || rt.block_on(task).is_err_and(|e| e.is_panic()))
        }
        AnyClient::Blocking(_) => {
            let c = client.clone();
            let thread = thread::spawn(move || c.get_session());
            Box::new(move || thread.join().is_err())
        }
    };
    wait_until(Duration::from_secs(5), "the refresh", || {
        count_path(&server, REFRESH) >= 1
    });
    let waiter = {
        let c = client.clone();
        background(move || c.get_session())
    };
    // Let the waiter settle into its wait, then arm the clock: the owner's next reading
    // is when the refresh answer comes.
    thread::sleep(Duration::from_millis(200));
    clock.armed.store(true, Ordering::SeqCst);
    let waited = waiter
        .recv_timeout(Duration::from_secs(10))
        .expect("the waiter completes after the owner's panic (the client is wedged)");
    assert_eq!(
        waited.expect("the waiter succeeds").session_id,
        "sess_1",
        "{flavor:?}"
    );
    assert!(owner(), "{flavor:?}: the owner was meant to panic");
    assert!(
        !clock.armed.load(Ordering::SeqCst),
        "the clock was never read"
    );
    assert_eq!(count_path(&server, REFRESH), 2);
    assert_eq!(client.access_token().as_deref(), Some("at_new"));
}

// ----------------------------------------------------------------------------------------
// 2. Short-lived and absurd lifetimes.

/// Refreshes with `expires_in`; serves the session to any bearer except `at_old`.
fn lifetime_server(expires_in: u64) -> MockServer {
    MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH => Reply::json(
            200,
            &json!({
                "success": true,
                "data": {
                    "access_token": "at_new",
                    "refresh_token": "rt_new",
                    "expires_in": expires_in,
                    "token_type": "Bearer",
                },
            }),
        ),
        CURRENT if bearer(req).is_some_and(|t| t != "at_old") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .expect("the mock server starts")
}

fn odd_lifetimes_refresh_once(flavor: Flavor) {
    for expires_in in [0, 5, 29, 1_000_000_000_000, u64::MAX] {
        let server = lifetime_server(expires_in);
        let client = build(flavor, &server.url(), Setup::expired());
        for call in 1..=3 {
            let c = client.clone();
            let (result, elapsed) = timed(Duration::from_secs(10), move || c.get_session());
            let session = result.unwrap_or_else(|e| {
                panic!("{flavor:?}: expires_in {expires_in}: call {call} failed: {e:?}")
            });
            assert_eq!(session.session_id, "sess_1");
            let refreshes = count_path(&server, REFRESH);
            println!("{flavor:?}: expires_in {expires_in}: call {call}: {refreshes} refreshes, {elapsed:?}");
            assert_eq!(
                count_path(&server, CURRENT),
                call,
                "{flavor:?}: expires_in {expires_in}: one request per call"
            );
            let most = match (call, expires_in) {
                (1, _) => 1,
                // No expiry, or one past the end of the calendar: never due again.
                (_, 0 | 1_000_000_000_000 | u64::MAX) => 1,
                // Short-lived: at most one more per call, never a loop.
                (call, _) => call,
            };
            assert!(
                (1..=most).contains(&refreshes),
                "{flavor:?}: expires_in {expires_in}: {refreshes} refreshes after call {call}, expected 1..={most}"
            );
        }
        assert_eq!(client.access_token().as_deref(), Some("at_new"));
    }
}

// ----------------------------------------------------------------------------------------
// 3. A change of tokens while a refresh runs is not undone by the refresh.

#[derive(Clone, Copy, Debug)]
enum Change {
    Clear,
    Set,
    SignIn,
}

#[derive(Clone, Copy, Debug)]
enum StoreKind {
    Memory,
    File,
}

/// A unique path in the temp directory, removed when dropped.
struct TempPath(std::path::PathBuf);

impl TempPath {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        Self(std::env::temp_dir().join(format!(
            "spaps-lifecycle-{}-{name}-{}.json",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn store_of(flavor: Flavor, kind: StoreKind, path: &TempPath) -> Arc<dyn TokenStore> {
    match (kind, flavor) {
        (StoreKind::Memory, _) => Arc::new(MemoryTokenStore::new()),
        (StoreKind::File, Flavor::Tokio) => Arc::new(spaps_tokio::FileTokenStore::new(&path.0)),
        (StoreKind::File, Flavor::Blocking) => {
            Arc::new(spaps_blocking::FileTokenStore::new(&path.0))
        }
    }
}

fn change_during_refresh(flavor: Flavor, change: Change) {
    for kind in [StoreKind::Memory, StoreKind::File] {
        let what = format!("{flavor:?}, {change:?}, {kind:?} store");
        let server = slow_refresh_server(Duration::from_millis(500));
        let path = TempPath::new("stale");
        let store = store_of(flavor, kind, &path);
        let client = build(
            flavor,
            &server.url(),
            Setup {
                store: Some(store.clone()),
                ..Setup::expired()
            },
        );
        assert_eq!(
            access(&store.load().unwrap()).as_deref(),
            Some("at_old"),
            "{what}"
        );
        let first = {
            let c = client.clone();
            background(move || c.get_session())
        };
        wait_until(Duration::from_secs(5), "the refresh", || {
            count_path(&server, REFRESH) >= 1
        });
        let expected = match change {
            Change::Clear => {
                client.clear().expect("clear_tokens");
                None
            }
            Change::Set => {
                client
                    .set(Tokens::new("at_b").with_refresh_token("rt_b"))
                    .expect("set_tokens");
                Some("at_b")
            }
            Change::SignIn => {
                client.sign_in().expect("the sign-in");
                Some("at_c")
            }
        };
        let first = first
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{what}: the first call did not return"));
        println!("{what}: the call that refreshed ended with {first:?}");
        assert_eq!(
            client.access_token().as_deref(),
            expected,
            "{what}: the client's tokens after the stale refresh settled"
        );
        assert_eq!(
            access(&store.load().expect("the store reads")).as_deref(),
            expected,
            "{what}: the store after the stale refresh settled"
        );
        assert_eq!(count_path(&server, REFRESH), 1, "{what}");
    }
}

fn clear_during_refresh_wins(flavor: Flavor) {
    change_during_refresh(flavor, Change::Clear);
}

fn set_during_refresh_wins(flavor: Flavor) {
    change_during_refresh(flavor, Change::Set);
}

fn sign_in_during_refresh_wins(flavor: Flavor) {
    change_during_refresh(flavor, Change::SignIn);
}

// ----------------------------------------------------------------------------------------
// 4. The store sees token changes in generation order.

/// Records every save and clear, sleeping a little (outside its own lock) in each save,
/// so that two concurrent writes can overtake each other.
#[derive(Debug, Default)]
struct RecordingStore {
    state: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    current: Option<Tokens>,
    /// The access token of every save, `None` for a clear, in the order they happened.
    log: Vec<Option<String>>,
}

impl RecordingStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for RecordingStore {
    fn load(&self) -> Result<Option<Tokens>, Error> {
        Ok(self.lock().current.clone())
    }

    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        let token = tokens.access_token.expose().to_owned();
        // 0.2 to 2 ms, varying with the token.
        let spread = token
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
        thread::sleep(Duration::from_micros(200 + spread % 1800));
        let mut state = self.lock();
        state.current = Some(tokens.clone());
        state.log.push(Some(token));
        Ok(())
    }

    fn clear(&self) -> Result<(), Error> {
        thread::sleep(Duration::from_micros(500));
        let mut state = self.lock();
        state.current = None;
        state.log.push(None);
        Ok(())
    }
}

fn store_writes_follow_generations(flavor: Flavor) {
    const BURSTS: usize = 20;
    const THREADS: usize = 4;
    const SETS: usize = 6;
    // Refreshes `rt_*` into `at_r<n>` (fresh), serves the session to any bearer.
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = refreshes.clone();
    let server = MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH => {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(2));
            refreshed(&format!("at_r{n}"), &format!("rt_r{n}"))
        }
        CURRENT => session_ok(),
        _ => api_error(404, "NOT_FOUND"),
    })
    .unwrap();
    let store = Arc::new(RecordingStore::default());
    let client = build(
        flavor,
        &server.url(),
        Setup {
            store: Some(store.clone()),
            ..Setup::default()
        },
    );
    // When each set_tokens started and returned, on one sequence shared by all threads:
    // a set that returned before another started has the older generation.
    let seq = Arc::new(AtomicU64::new(0));
    let spans: Arc<Mutex<HashMap<String, (u64, u64)>>> = Arc::default();
    for burst in 0..BURSTS {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let client = client.clone();
                let seq = seq.clone();
                let spans = spans.clone();
                thread::spawn(move || {
                    for k in 0..SETS {
                        let name = format!("at_{burst}_{t}_{k}");
                        let start = seq.fetch_add(1, Ordering::SeqCst);
                        // Expired, so that the calls below refresh.
                        client
                            .set(expired_tokens(&name, &format!("rt_{burst}_{t}_{k}")))
                            .expect("set_tokens");
                        let end = seq.fetch_add(1, Ordering::SeqCst);
                        spans.lock().unwrap().insert(name, (start, end));
                        if (t + k) % 3 == 0 {
                            // Refreshes. It may fail (tokens cleared meanwhile); only
                            // its writes count.
                            let _ = client.session(None);
                        }
                        if t == 0 && k == SETS - 1 && burst % 2 == 0 {
                            client.clear().expect("clear_tokens");
                        }
                    }
                })
            })
            .collect();
        within(Duration::from_secs(60), move || {
            for t in threads {
                t.join().expect("no thread panics");
            }
        });
        let stored = store.load().unwrap();
        assert_eq!(
            access(&stored),
            client.access_token(),
            "{flavor:?}: burst {burst}: the store holds other tokens than the client ({:?})",
            store.lock().log
        );
    }
    let log = store.lock().log.clone();
    let spans = spans.lock().unwrap().clone();
    println!(
        "{flavor:?}: {} writes, {} refreshes",
        log.len(),
        refreshes.load(Ordering::SeqCst)
    );
    assert!(refreshes.load(Ordering::SeqCst) > 0, "no refresh ran");
    // Each generation is written at most once: no value twice.
    let mut seen = BTreeSet::new();
    for token in log.iter().flatten() {
        assert!(seen.insert(token), "{flavor:?}: {token} written twice");
    }
    // No write of an older set after a newer one.
    let sets: Vec<(usize, &String, (u64, u64))> = log
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_ref().and_then(|t| spans.get(t).map(|s| (i, t, *s))))
        .collect();
    for (i, (_, earlier, (started, _))) in sets.iter().enumerate() {
        for (_, later, (_, returned)) in &sets[i + 1..] {
            assert!(
                returned > started,
                "{flavor:?}: {later} (set before {earlier} was) was written after it"
            );
        }
    }
}

// ----------------------------------------------------------------------------------------
// 5. User code may call back into the client.

/// Starts the device flow and approves the first poll; serves the session to `at_dev`.
fn device_server() -> MockServer {
    MockServer::start(|req: &ObservedRequest| match req.path.as_str() {
        DEVICE_START => Reply::json(
            200,
            &json!({
                "success": true,
                "data": {
                    "device_code": "dc_1",
                    "user_code": "ABCD-EFGH",
                    "verification_uri": "https://example.com/device",
                    "expires_in": 600,
                    "interval": 1,
                },
            }),
        ),
        DEVICE_TOKEN => Reply::json(
            200,
            &json!({
                "success": true,
                "data": {
                    "access_token": "at_dev",
                    "refresh_token": "rt_dev",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            }),
        ),
        REFRESH => refreshed("at_new", "rt_new"),
        CURRENT if bearer(req).is_some_and(|t| t != "at_old") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .unwrap()
}

fn device_login_show_may_use_the_client(flavor: Flavor) {
    let server = device_server();
    let client = build(flavor, &server.url(), Setup::default());
    // (user code, base URL, access token) as `show` saw them.
    type Shown = Vec<(String, String, Option<String>)>;
    let shown: Arc<Mutex<Shown>> = Arc::default();
    let show = {
        let client = client.clone();
        let shown = shown.clone();
        Box::new(
            move |auth: &spaps_proto::model::device_flow::DeviceAuthorization| {
                // Both lock the client's state.
                let base = client.config_of().base_url().to_owned();
                let tokens = access(&client.current());
                shown
                    .lock()
                    .unwrap()
                    .push((auth.user_code.clone(), base, tokens));
            },
        )
    };
    let c = client.clone();
    let (result, _) = timed(Duration::from_secs(10), move || c.device_login(show));
    let tokens = result.expect("the device login succeeds");
    assert_eq!(tokens.access_token.expose(), "at_dev");
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{flavor:?}: show is called once");
    let (user_code, base_url, tokens) = &shown[0];
    assert_eq!(user_code, "ABCD-EFGH");
    assert!(base_url.contains("127.0.0.1"), "{base_url}");
    assert_eq!(*tokens, None, "{flavor:?}: no tokens before the login ends");
    assert_eq!(client.access_token().as_deref(), Some("at_dev"));
}

/// A clock that reads the client (its tokens and configuration) every time it is read.
#[derive(Default)]
struct ClientReadingClock {
    client: OnceLock<AnyClient>,
    readings: AtomicUsize,
}

impl fmt::Debug for ClientReadingClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientReadingClock")
            .field("readings", &self.readings)
            .finish_non_exhaustive()
    }
}

impl Clock for ClientReadingClock {
    fn now(&self) -> Now {
        if let Some(client) = self.client.get() {
            self.readings.fetch_add(1, Ordering::SeqCst);
            let _ = client.current();
            let _ = client.config_of();
        }
        system_now()
    }
}

fn clock_may_use_the_client(flavor: Flavor) {
    let server = device_server();
    let clock = Arc::new(ClientReadingClock::default());
    let client = build(
        flavor,
        &server.url(),
        Setup {
            clock: Some(clock.clone()),
            ..Setup::default()
        },
    );
    // Wired in after the build. (The cycle client -> clock -> client is leaked.)
    clock
        .client
        .set(client.clone())
        .expect("the clock is wired once");
    let c = client.clone();
    within(Duration::from_secs(20), move || {
        // A refresh, then a plain call, token changes, and a device login.
        c.set(expired_tokens("at_old", "rt_old"))
            .expect("set_tokens");
        assert_eq!(
            c.get_session().expect("a call that refreshes").session_id,
            "sess_1"
        );
        assert_eq!(c.get_session().expect("a plain call").session_id, "sess_1");
        c.clear().expect("clear_tokens");
        let tokens = c
            .device_login(Box::new(|_| {}))
            .expect("the device login succeeds");
        assert_eq!(tokens.access_token.expose(), "at_dev");
    });
    assert!(
        clock.readings.load(Ordering::SeqCst) > 0,
        "the clock was never read"
    );
    assert_eq!(count_path(&server, REFRESH), 1);
    assert_eq!(client.access_token().as_deref(), Some("at_dev"));
}

// ----------------------------------------------------------------------------------------
// 6. The overall deadline of a call.

fn assert_deadline(what: &str, result: &Result<SessionSummary, Error>, limit: Duration) {
    match result {
        Err(Error::DeadlineExceeded { limit: got, .. }) => assert_eq!(*got, limit, "{what}"),
        other => panic!("{what}: expected Error::DeadlineExceeded after {limit:?}, got {other:?}"),
    }
}

fn assert_bounded(what: &str, elapsed: Duration, limit: Duration) {
    println!("{what}: {elapsed:?}");
    assert!(
        elapsed <= limit + SLACK,
        "{what}: took {elapsed:?}, more than the {limit:?} deadline plus {SLACK:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(100),
        "{what}: ended at once ({elapsed:?})"
    );
}

fn deadline_bounds_a_stalled_call(flavor: Flavor) {
    let limit = Duration::from_secs(2);
    let server = support::serve(Reply::Stall {
        for_: Duration::from_secs(30),
    });
    let client = build(
        flavor,
        &server.url(),
        Setup {
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            call_timeout: Some(limit),
            tokens: Some(Tokens::new(support::TOKEN)),
            ..Setup::default()
        },
    );
    let c = client.clone();
    let (result, elapsed) = timed(limit + SLACK + SLACK, move || c.session(None));
    let what = format!("{flavor:?}: a stalled server, 1 s attempts, retries on");
    assert_bounded(&what, elapsed, limit);
    println!("{what}: {} attempts", server.request_count());
    assert_deadline(&what, &result, limit);
}

fn deadline_bounds_a_wait_for_a_stuck_refresh(flavor: Flavor) {
    let limit = Duration::from_secs(2);
    let server = MockServer::start(|req: &ObservedRequest| match req.path.as_str() {
        REFRESH => Reply::Stall {
            for_: Duration::from_secs(30),
        },
        _ => session_ok(),
    })
    .unwrap();
    let client = build(
        flavor,
        &server.url(),
        Setup {
            // Long attempts (and a long lease): only the waiter's deadline ends its wait.
            timeout: Duration::from_secs(20),
            call_timeout: Some(limit),
            ..Setup::expired()
        },
    );
    // The owner may run 25 s; it ends when the server goes away at the end.
    let owner = {
        let c = client.clone();
        background(move || c.session(Some(Duration::from_secs(25))))
    };
    wait_until(Duration::from_secs(5), "the refresh", || {
        count_path(&server, REFRESH) >= 1
    });
    let c = client.clone();
    let (result, elapsed) = timed(limit + SLACK + SLACK, move || c.session(None));
    let what = format!("{flavor:?}: a call waiting for a refresh that never answers");
    assert_bounded(&what, elapsed, limit);
    assert_deadline(&what, &result, limit);
    assert!(
        owner.try_recv().is_err(),
        "{flavor:?}: the owner (25 s) ended before the waiter (2 s)"
    );
    assert_eq!(count_path(&server, REFRESH), 1);
    assert_eq!(count_path(&server, CURRENT), 0);
    drop(server);
    let _ = owner.recv_timeout(Duration::from_secs(10));
}

/// The owner of a refresh that never answers ends at its own deadline too.
fn deadline_bounds_a_stuck_refresh(flavor: Flavor) {
    let limit = Duration::from_secs(2);
    let server = MockServer::start(|req: &ObservedRequest| match req.path.as_str() {
        REFRESH => Reply::Stall {
            for_: Duration::from_secs(30),
        },
        _ => session_ok(),
    })
    .unwrap();
    let client = build(
        flavor,
        &server.url(),
        Setup {
            timeout: Duration::from_secs(20),
            call_timeout: Some(limit),
            ..Setup::expired()
        },
    );
    let c = client.clone();
    let (result, elapsed) = timed(limit + SLACK + SLACK, move || c.session(None));
    let what = format!("{flavor:?}: a call whose refresh never answers");
    assert_bounded(&what, elapsed, limit);
    assert_deadline(&what, &result, limit);
    assert_eq!(count_path(&server, REFRESH), 1);
}

/// The owner's short deadline is the owner's business: a waiter with time left takes
/// the refresh over instead of failing with the owner's timeout.
fn owner_deadline_does_not_fail_a_waiter(flavor: Flavor) {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counter = refreshes.clone();
    let server = MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH if counter.fetch_add(1, Ordering::SeqCst) == 0 => Reply::Stall {
            for_: Duration::from_secs(30),
        },
        REFRESH => refreshed("at_new", "rt_new"),
        CURRENT if bearer(req).is_some_and(|t| t != "at_old") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .unwrap();
    let client = build(
        flavor,
        &server.url(),
        Setup {
            timeout: Duration::from_secs(20),
            call_timeout: Some(Duration::from_secs(10)),
            ..Setup::expired()
        },
    );
    let owner = {
        let c = client.clone();
        background(move || c.session(Some(Duration::from_secs(1))))
    };
    wait_until(Duration::from_secs(5), "the refresh", || {
        count_path(&server, REFRESH) >= 1
    });
    let c = client.clone();
    let (waited, _) = timed(Duration::from_secs(10), move || c.session(None));
    let owner = owner
        .recv_timeout(Duration::from_secs(5))
        .expect("the owner returns");
    println!("{flavor:?}: the owner (1 s) ended with {owner:?}");
    assert!(
        owner.is_err(),
        "{flavor:?}: the owner's refresh never answers"
    );
    assert_eq!(
        waited
            .unwrap_or_else(|e| panic!(
                "{flavor:?}: the waiter (10 s) failed with the owner's deadline: {e:?}"
            ))
            .session_id,
        "sess_1"
    );
    assert_eq!(count_path(&server, REFRESH), 2);
    assert_eq!(client.access_token().as_deref(), Some("at_new"));
}

fn per_request_call_timeout_overrides_the_clients(flavor: Flavor) {
    // Longer than the client's: a server that answers after 1.2 s, a 0.5 s client
    // deadline, 5 s for this call.
    let slow = MockServer::start(|_: &ObservedRequest| {
        thread::sleep(Duration::from_millis(1200));
        session_ok()
    })
    .unwrap();
    let client_default = Duration::from_millis(500);
    let client = build(
        flavor,
        &slow.url(),
        Setup {
            timeout: Duration::from_secs(5),
            call_timeout: Some(client_default),
            tokens: Some(Tokens::new(support::TOKEN)),
            ..Setup::default()
        },
    );
    let c = client.clone();
    let (result, _) = timed(Duration::from_secs(10), move || {
        c.session(Some(Duration::from_secs(5)))
    });
    assert_eq!(
        result
            .unwrap_or_else(|e| panic!("{flavor:?}: .call_timeout(5 s) on a 0.5 s client: {e:?}"))
            .session_id,
        "sess_1"
    );
    // Without the override, the client's deadline applies.
    let c = client.clone();
    let (default_result, elapsed) = timed(Duration::from_secs(10), move || c.session(None));
    let default_what = format!("{flavor:?}: the client's 0.5 s deadline");
    assert_bounded(&default_what, elapsed, client_default);

    // Shorter than the client's: a stalled server, a 60 s client deadline, 1 s for
    // this call.
    let short = Duration::from_secs(1);
    let stalled = support::serve(Reply::Stall {
        for_: Duration::from_secs(30),
    });
    let client = build(
        flavor,
        &stalled.url(),
        Setup {
            timeout: Duration::from_secs(10),
            call_timeout: Some(Duration::from_secs(60)),
            tokens: Some(Tokens::new(support::TOKEN)),
            ..Setup::default()
        },
    );
    let c = client.clone();
    let (short_result, elapsed) = timed(short + SLACK + SLACK, move || c.session(Some(short)));
    let short_what = format!("{flavor:?}: .call_timeout(1 s) on a 60 s client");
    assert_bounded(&short_what, elapsed, short);

    // The times are right; now the errors.
    assert_deadline(&default_what, &default_result, client_default);
    assert_deadline(&short_what, &short_result, short);
}

// ----------------------------------------------------------------------------------------
// 7. Cancellation at scale.

/// xorshift64*: a fixed sequence of pseudo-random numbers.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A whole number of milliseconds in `lo..=hi`.
    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo + 1))
    }
}

/// What the scale server saw of refreshes.
#[derive(Debug, Default)]
struct RefreshLog {
    /// Refresh handlers running now, and the most that ever ran at once.
    running: AtomicUsize,
    max_running: AtomicUsize,
    next: AtomicUsize,
    /// Per refresh: the refresh token sent, its number, when it arrived and when it
    /// was answered.
    seen: Mutex<Vec<(String, usize, Instant, Instant)>>,
}

#[derive(Debug)]
enum Outcome {
    Completed(Result<SessionSummary, Error>),
    /// Dropped, at or after `after`.
    Dropped {
        after: Instant,
    },
}

#[test]
fn tokio_cancellation_at_scale() {
    const ROUNDS: [usize; 3] = [1000, 100, 100];
    const REFRESH_DELAY: Duration = Duration::from_millis(100);
    let log = Arc::new(RefreshLog::default());
    let server = {
        let log = log.clone();
        Arc::new(
            MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
                REFRESH => {
                    let arrived = Instant::now();
                    let running = log.running.fetch_add(1, Ordering::SeqCst) + 1;
                    log.max_running.fetch_max(running, Ordering::SeqCst);
                    let n = log.next.fetch_add(1, Ordering::SeqCst);
                    let body: serde_json::Value =
                        serde_json::from_slice(&req.body).unwrap_or_default();
                    let sent = body["refresh_token"].as_str().unwrap_or("").to_owned();
                    thread::sleep(REFRESH_DELAY);
                    log.running.fetch_sub(1, Ordering::SeqCst);
                    // rt_old_<round> -> at_new_<round>_<n>
                    let round = sent.trim_start_matches("rt_old_").to_owned();
                    log.seen
                        .lock()
                        .unwrap()
                        .push((sent, n, arrived, Instant::now()));
                    refreshed(&format!("at_new_{round}_{n}"), &format!("rt_new_{n}"))
                }
                CURRENT if bearer(req).is_some_and(|t| t.starts_with("at_new_")) => session_ok(),
                CURRENT => api_error(401, "UNAUTHORIZED"),
                _ => api_error(404, "NOT_FOUND"),
            })
            .unwrap(),
        )
    };
    let (client, rt) = tokio_client(
        &server.url(),
        Setup {
            timeout: Duration::from_secs(20),
            ..Setup::default()
        },
    );
    let (rounds, last) = within(Duration::from_secs(180), move || {
        rt.block_on(async move {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
            let mut rounds = Vec::new();
            for (round, calls) in ROUNDS.into_iter().enumerate() {
                client
                    .set_tokens(expired_tokens(
                        &format!("at_old_{round}"),
                        &format!("rt_old_{round}"),
                    ))
                    .await
                    .unwrap();
                let mut tasks = Vec::with_capacity(calls);
                for i in 0..calls {
                    let c = client.clone();
                    let roll = rng.next() % 100;
                    // The first call of a round gets a head start and is dropped 10-50 ms
                    // in: it owns the refresh and goes away mid-flight.
                    let task = if i == 0 || roll < 15 {
                        let d = if i == 0 {
                            rng.millis(10, 50)
                        } else {
                            rng.millis(0, 50)
                        };
                        tokio::spawn(async move {
                            let after = Instant::now() + d;
                            match tokio::time::timeout(d, c.sessions().get_current_session()).await
                            {
                                Ok(result) => Outcome::Completed(result),
                                Err(_) => Outcome::Dropped { after },
                            }
                        })
                    } else if roll < 30 {
                        let d = rng.millis(0, 50);
                        let call =
                            tokio::spawn(async move { c.sessions().get_current_session().await });
                        tokio::spawn(async move {
                            tokio::time::sleep(d).await;
                            let after = Instant::now();
                            call.abort();
                            match call.await {
                                Ok(result) => Outcome::Completed(result),
                                Err(e) if e.is_cancelled() => Outcome::Dropped { after },
                                Err(e) => panic!("a call panicked: {e}"),
                            }
                        })
                    } else {
                        tokio::spawn(async move {
                            Outcome::Completed(c.sessions().get_current_session().await)
                        })
                    };
                    tasks.push(task);
                    // Calls keep arriving while refreshes run (50 every 10 ms), so
                    // that the owners that take over are dropped too, now and then.
                    if i == 0 || i % 50 == 49 {
                        tokio::time::sleep(Duration::from_millis(5 + 5 * u64::from(i > 0))).await;
                    }
                }
                let mut outcomes = Vec::with_capacity(calls);
                for task in tasks {
                    outcomes.push(task.await.expect("no task panics"));
                }
                rounds.push((outcomes, client.tokens()));
            }
            let last = tokio::time::timeout(
                Duration::from_secs(5),
                client.sessions().get_current_session(),
            )
            .await;
            (rounds, last)
        })
    });
    let seen = log.seen.lock().unwrap().clone();
    let requests = server.requests();
    let mut total_dropped = 0;
    for (round, (outcomes, tokens)) in rounds.iter().enumerate() {
        let failures: Vec<_> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Completed(Err(e)) => Some(e),
                _ => None,
            })
            .collect();
        let drops: Vec<Instant> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Dropped { after, .. } => Some(*after),
                Outcome::Completed(_) => None,
            })
            .collect();
        total_dropped += drops.len();
        assert!(
            failures.is_empty(),
            "round {round}: {} of {} calls that were not dropped failed, e.g. {:?}",
            failures.len(),
            outcomes.len() - drops.len(),
            failures.first()
        );
        // The refreshes of this round, by arrival.
        let sent = format!("rt_old_{round}");
        let mut refreshes: Vec<_> = seen.iter().filter(|r| r.0 == sent).collect();
        refreshes.sort_by_key(|r| r.2);
        assert!(!refreshes.is_empty(), "round {round}: no refresh");
        // A refresh is repeated only after its owner was dropped: the i-th to arrive
        // comes after at least i dropped calls.
        for (i, (_, n, arrived, _)) in refreshes.iter().enumerate() {
            let dropped_before = drops.iter().filter(|d| *d <= arrived).count();
            assert!(
                dropped_before >= i,
                "round {round}: refresh #{n} is the {i}-th repeat, but only {dropped_before} calls were dropped before it arrived"
            );
        }
        // Exactly one refresh answer was used: every session request of the round
        // carries the same token, the client's.
        let prefix = format!("at_new_{round}_");
        let used: BTreeSet<&str> = requests
            .iter()
            .filter(|r| r.path == CURRENT)
            .filter_map(bearer)
            .filter(|t| t.starts_with(&prefix))
            .collect();
        let held = access(tokens).expect("signed in after the round");
        assert_eq!(
            used.into_iter().collect::<Vec<_>>(),
            vec![held.as_str()],
            "round {round}: the tokens the calls used"
        );
        // ... and it came from the newest refresh: none arrived after it was answered.
        let n: usize = held[prefix.len()..].parse().unwrap();
        let (_, _, _, answered) = refreshes.iter().find(|r| r.1 == n).unwrap();
        for (_, other, arrived, _) in &refreshes {
            assert!(
                arrived <= answered,
                "round {round}: refresh #{other} arrived after #{n}, whose tokens are in use, was answered"
            );
        }
        println!(
            "round {round}: {} calls, {} dropped, {} refreshes ({} repeated after a dropped owner)",
            outcomes.len(),
            drops.len(),
            refreshes.len(),
            refreshes.len() - 1
        );
    }
    println!(
        "most refreshes at the server at once: {} (abandoned ones keep running there)",
        log.max_running.load(Ordering::SeqCst)
    );
    assert!(
        log.max_running.load(Ordering::SeqCst) <= 1 + total_dropped,
        "more refreshes ran at once than dropped owners explain"
    );
    let last = last.expect("a call after the rounds completes within 5 s");
    assert_eq!(last.expect("and succeeds").session_id, "sess_1");
}

// ----------------------------------------------------------------------------------------
// 8. A clock that jumps.

fn jumping_clock_refreshes_once_per_expiry(flavor: Flavor) {
    // Tokens live an hour; the refresh number is in the access token.
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let server = MockServer::start(move |req: &ObservedRequest| match req.path.as_str() {
        REFRESH => {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            refreshed(&format!("at_{n}"), &format!("rt_{n}"))
        }
        CURRENT if bearer(req).is_some_and(|t| t != "at_old") => session_ok(),
        CURRENT => api_error(401, "UNAUTHORIZED"),
        _ => api_error(404, "NOT_FOUND"),
    })
    .unwrap();
    let clock = VirtualClock::new();
    let client = build(
        flavor,
        &server.url(),
        Setup {
            virtual_clock: Some(clock.clone()),
            ..Setup::expired()
        },
    );
    const HOUR: u64 = 3600;
    // (jump before the call, refreshes expected after it)
    let steps = [
        (0, 1),                 // expired: one refresh
        (0, 1),                 // fresh
        (2 * HOUR, 2),          // two hours later: one refresh
        (HOUR / 2, 2),          // half an hour: still fresh
        (HOUR / 2, 3),          // an hour after the refresh (past the 30 s skew): due
        (10 * HOUR, 4),         // ten hours
        (100 * 8766 * HOUR, 5), // a century
        (0, 5),
    ];
    for (i, (jump, expected)) in steps.into_iter().enumerate() {
        clock.sleep(Duration::from_secs(jump));
        let c = client.clone();
        let (result, _) = timed(Duration::from_secs(10), move || c.get_session());
        result.unwrap_or_else(|e| panic!("{flavor:?}: step {i} (+{jump} s): {e:?}"));
        assert_eq!(
            count_path(&server, REFRESH),
            expected,
            "{flavor:?}: step {i} (+{jump} s): refreshes"
        );
        assert_eq!(count_path(&server, CURRENT), i + 1);
        assert_eq!(
            client.access_token(),
            Some(format!("at_{expected}")),
            "{flavor:?}: step {i}"
        );
    }
}
