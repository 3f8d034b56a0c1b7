//! Several processes share one token file against a server that rotates refresh tokens
//! and punishes reuse: one refresh must serve them all.
//!
//! Each test re-invokes this test binary (`--exact <its own name>`) as child processes
//! that find their orders in `SPAPS_MP_*` environment variables. The parent runs the
//! loopback server and seeds the token file with an expired access token; every child
//! builds a client over a `FileTokenStore` at that path, waits for the parent's signal so
//! that they all start together, and makes a few authenticated calls. The expired token
//! forces a refresh; the file store [coordinates refreshes], so the drivers must take
//! its refresh lock, re-read the file, and refresh only when nobody else did.
//!
//! [coordinates refreshes]: spaps_proto::TokenStore::coordinates_refresh

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use spaps_proto::{Timestamp, TokenStore, Tokens};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

/// Selects child mode and the client: `blocking` or `tokio`.
const CHILD_ENV: &str = "SPAPS_MP_CHILD";
/// The server's base URL.
const URL_ENV: &str = "SPAPS_MP_URL";
/// The shared token file.
const FILE_ENV: &str = "SPAPS_MP_TOKEN_FILE";
/// The file whose appearance tells the children to start.
const GO_ENV: &str = "SPAPS_MP_GO";
/// Authenticated calls per child.
const CALLS: usize = 3;
/// How long a child may take, all told.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

/// Four blocking clients, each in its own process.
#[test]
fn blocking_processes_share_one_token_file_and_refresh_once() {
    if run_child_if_asked() {
        return;
    }
    share_one_file(
        "blocking_processes_share_one_token_file_and_refresh_once",
        &["blocking"; 4],
    );
}

/// Three blocking and three tokio clients, each in its own process.
#[test]
fn blocking_and_tokio_processes_share_one_token_file_and_refresh_once() {
    if run_child_if_asked() {
        return;
    }
    share_one_file(
        "blocking_and_tokio_processes_share_one_token_file_and_refresh_once",
        &[
            "blocking", "tokio", "blocking", "tokio", "blocking", "tokio",
        ],
    );
}

/// The control: four processes follow the coordination protocol by hand (lock, re-read,
/// refresh only if still expired, save, unlock) with clients that keep tokens in memory.
/// When this passes and the tests above fail, the drivers do not coordinate yet.
#[test]
fn processes_coordinating_by_hand_through_the_file_store_refresh_once() {
    if run_child_if_asked() {
        return;
    }
    share_one_file(
        "processes_coordinating_by_hand_through_the_file_store_refresh_once",
        &["by_hand"; 4],
    );
}

fn share_one_file(test_name: &str, flavors: &[&str]) {
    let family = Arc::new(Mutex::new(Family::new()));
    let server = {
        let family = Arc::clone(&family);
        MockServer::start(move |req| lock(&family).handle(req)).expect("server starts")
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = spaps_blocking::FileTokenStore::new(&path);
    let an_hour_ago = Timestamp::from_system_time(SystemTime::now() - Duration::from_secs(3600));
    store
        .save(
            &Tokens::new("at_0")
                .with_refresh_token("rt_0")
                .with_expires_at(an_hour_ago),
        )
        .unwrap();
    let go = dir.path().join("go");

    let exe = std::env::current_exe().unwrap();
    let children: Vec<(String, Child, PathBuf)> = flavors
        .iter()
        .enumerate()
        .map(|(i, flavor)| {
            // Output goes to a file: a pipe nobody reads while we wait could fill up.
            let log = dir.path().join(format!("child-{i}.log"));
            let out = std::fs::File::create(&log).unwrap();
            let child = Command::new(&exe)
                .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, flavor)
                .env(URL_ENV, server.url())
                .env(FILE_ENV, &path)
                .env(GO_ENV, &go)
                .stdout(Stdio::from(out.try_clone().unwrap()))
                .stderr(Stdio::from(out))
                .spawn()
                .expect("the test binary re-runs itself");
            (flavor.to_string(), child, log)
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();

    let deadline = Instant::now() + CHILD_DEADLINE + Duration::from_secs(10);
    let mut failures = Vec::new();
    for (flavor, child, log) in children {
        if !wait_until(child, deadline) {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            failures.push(format!("{flavor} child failed:\n{output}"));
        }
    }
    let family = lock(&family).clone();
    server.shutdown();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(!family.revoked, "a used refresh token was sent again");
    assert_eq!(
        family.refresh_requests, 1,
        "the processes must share one refresh"
    );
    assert!(
        family.authorized_calls >= flavors.len() * CALLS,
        "{} calls succeeded",
        family.authorized_calls
    );
    let stored = store.load().unwrap().expect("the file holds tokens");
    assert_eq!(
        Some(stored.access_token.expose()),
        family.access_token.as_deref()
    );
    assert_eq!(
        stored.refresh_token.as_ref().map(|t| t.expose().to_owned()),
        Some(family.refresh_token.clone())
    );
    assert_eq!(family.refresh_token, "rt_1");
    assert!(stored.expires_at.expect("an expiry") > Timestamp::from_system_time(SystemTime::now()));
}

/// Runs the child's part when this process is one; true if it was.
fn run_child_if_asked() -> bool {
    let Ok(flavor) = std::env::var(CHILD_ENV) else {
        return false;
    };
    let url = std::env::var(URL_ENV).expect("the server URL");
    let path = PathBuf::from(std::env::var_os(FILE_ENV).expect("the token file"));
    let go = PathBuf::from(std::env::var_os(GO_ENV).expect("the start signal"));
    match flavor.as_str() {
        "blocking" => blocking_child(&url, &path, &go),
        "tokio" => tokio_child(&url, &path, &go),
        "by_hand" => by_hand_child(&url, &path, &go),
        other => panic!("unknown child flavor {other}"),
    }
    true
}

fn blocking_child(url: &str, path: &Path, go: &Path) {
    let client = spaps_blocking::Client::builder()
        .base_url(url)
        .api_key("k")
        .token_store(spaps_blocking::FileTokenStore::new(path))
        .build()
        .expect("the client builds and loads the file");
    wait_for(go);
    for call in 0..CALLS {
        let session = client
            .sessions()
            .get_current_session()
            .send()
            .unwrap_or_else(|e| panic!("call {call} failed: {e}"));
        assert_eq!(session.session_id, "sess_1");
    }
}

fn tokio_child(url: &str, path: &Path, go: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = spaps_tokio::Client::builder()
            .base_url(url)
            .api_key("k")
            .token_store(spaps_tokio::FileTokenStore::new(path))
            .build()
            .expect("the client builds and loads the file");
        wait_for(go);
        for call in 0..CALLS {
            let session = client
                .sessions()
                .get_current_session()
                .await
                .unwrap_or_else(|e| panic!("call {call} failed: {e}"));
            assert_eq!(session.session_id, "sess_1");
        }
    });
}

/// The protocol the drivers follow, done by hand around a client with in-memory tokens.
fn by_hand_child(url: &str, path: &Path, go: &Path) {
    let store = spaps_blocking::FileTokenStore::new(path);
    let client = spaps_blocking::Client::builder()
        .base_url(url)
        .api_key("k")
        .build()
        .unwrap();
    wait_for(go);
    {
        let _lock = store.lock_refresh().expect("the refresh lock");
        let tokens = store.load().unwrap().expect("the seeded tokens");
        let now = Timestamp::from_system_time(SystemTime::now());
        if tokens.expires_within(now, Duration::from_secs(30)) {
            let refresh = tokens.refresh_token.expect("a refresh token");
            client
                .auth()
                .refresh_tokens(refresh)
                .send()
                .unwrap_or_else(|e| panic!("the refresh failed: {e}"));
            store.save(&client.tokens().expect("refreshed")).unwrap();
        } else {
            client.set_tokens(tokens).unwrap();
        }
    }
    for call in 0..CALLS {
        let session = client
            .sessions()
            .get_current_session()
            .send()
            .unwrap_or_else(|e| panic!("call {call} failed: {e}"));
        assert_eq!(session.session_id, "sess_1");
    }
}

/// Waits (briefly polling) for the parent's start signal.
fn wait_for(go: &Path) {
    let give_up = Instant::now() + CHILD_DEADLINE;
    while !go.exists() {
        assert!(Instant::now() < give_up, "no start signal");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits for `child` until `deadline` (killing it then); whether it succeeded.
fn wait_until(mut child: Child, deadline: Instant) -> bool {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One token family on the server: each refresh rotates both tokens; sending a used
/// refresh token again revokes the family (as real servers detect token theft).
#[derive(Clone, Debug)]
struct Family {
    /// The access token that is valid now; `at_0` of the seed has already expired.
    access_token: Option<String>,
    /// The refresh token that is valid now.
    refresh_token: String,
    /// Every refresh token already exchanged.
    used: HashSet<String>,
    /// How many tokens were issued.
    issued: u32,
    /// Set once a used refresh token came back; nothing is accepted after that.
    revoked: bool,
    /// Every `POST /api/auth/refresh`, good or bad.
    refresh_requests: usize,
    /// Authenticated calls answered with 200.
    authorized_calls: usize,
}

impl Family {
    fn new() -> Self {
        Self {
            access_token: None,
            refresh_token: "rt_0".to_owned(),
            used: HashSet::new(),
            issued: 0,
            revoked: false,
            refresh_requests: 0,
            authorized_calls: 0,
        }
    }

    fn handle(&mut self, req: &ObservedRequest) -> Reply {
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if header("x-api-key").is_none_or(str::is_empty) {
            return fail(401, "INVALID_API_KEY", "Missing API key");
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/auth/refresh") => {
                self.refresh_requests += 1;
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let token = body
                    .get("refresh_token")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                self.refresh(token)
            }
            ("GET", "/api/sessions/current") => {
                let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer "));
                if self.revoked || bearer.is_none() || bearer != self.access_token.as_deref() {
                    return fail(401, "UNAUTHORIZED", "Invalid or expired access token");
                }
                self.authorized_calls += 1;
                ok(json!({"session": {
                    "id": "sess_1",
                    "user_id": "user_1",
                    "application_id": "app_1",
                    "created_at": "2025-01-15T12:00:00Z",
                    "expires_at": "2099-01-15T12:00:00Z",
                    "last_activity": "2025-01-15T12:00:00Z",
                }}))
            }
            _ => fail(404, "NOT_FOUND", "Not found"),
        }
    }

    fn refresh(&mut self, token: &str) -> Reply {
        if self.used.contains(token) {
            self.revoked = true;
        }
        if self.revoked || token != self.refresh_token {
            return fail(
                401,
                "INVALID_REFRESH_TOKEN",
                "Invalid or expired refresh token",
            );
        }
        self.used.insert(token.to_owned());
        self.issued += 1;
        self.access_token = Some(format!("at_{}", self.issued));
        self.refresh_token = format!("rt_{}", self.issued);
        ok(json!({
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": 3600,
            "token_type": "Bearer",
            "user": {"id": "user_1", "email": "ada@example.com"},
        }))
    }
}

fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        &json!({"success": true, "data": data, "metadata": {"request_id": "req_mp"}}),
    )
}

fn fail(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "success": false,
            "error": {"code": code, "message": message},
            "metadata": {"request_id": "req_mp"},
        }),
    )
}
