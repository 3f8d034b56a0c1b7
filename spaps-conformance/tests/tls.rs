//! Both clients over TLS: the conformance happy paths, the mock SPAPS, certificates that
//! must fail (untrusted, wrong name, expired), mutual TLS, HTTP/2 through ALPN, faults,
//! proxies (explicit and from the environment, through a loopback CONNECT proxy), the
//! plaintext rule, and HTTP clients of the caller's own.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use spaps_conformance::cassette::{load_paths, Corpus, ExpectKind};
use spaps_conformance::harness::{AdapterKind, Harness};
use spaps_conformance::runner::{run_cassette_on, Verdict};
use spaps_proto::model::sessions::SessionSummary;
use spaps_proto::{Error, RetryPolicy, Tokens, TransportErrorKind};
use spaps_testkit::mock_spaps::{MockSpaps, DEMO_EMAIL, DEMO_PASSWORD};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};
use spaps_testkit::tls::{ServerTls, TestPki, LOOPBACK_NAMES};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Tokio,
    Blocking,
}

const BOTH: [Flavor; 2] = [Flavor::Tokio, Flavor::Blocking];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// How a test client is built.
#[derive(Clone, Debug, Default)]
struct Setup {
    url: String,
    ca: Option<String>,
    identity: Option<(String, String)>,
    proxy: Option<String>,
    timeout: Option<Duration>,
    allow_insecure_http: bool,
    /// The platform's TLS library instead of rustls.
    native_tls: bool,
}

impl Setup {
    fn new(url: &str, pki: Option<&TestPki>) -> Setup {
        Setup {
            url: url.to_owned(),
            ca: pki.map(|p| p.ca_pem().to_owned()),
            timeout: Some(Duration::from_secs(5)),
            ..Setup::default()
        }
    }
}

/// Builds a client of `flavor` from `setup`, signed in with a fixed token, and asks
/// for the current session.
fn current_session(flavor: Flavor, setup: &Setup) -> Result<SessionSummary, Error> {
    macro_rules! configure {
        ($builder:expr) => {{
            let mut b = $builder
                .base_url(&setup.url)
                .api_key("k")
                .retry(RetryPolicy::disabled())
                .allow_insecure_http(setup.allow_insecure_http);
            if let Some(t) = setup.timeout {
                b = b.timeout(t);
            }
            if let Some(ca) = &setup.ca {
                b = b.add_root_certificates_pem(ca);
            }
            if let Some((cert, key)) = &setup.identity {
                b = b.identity_pem(cert, key);
            }
            if let Some(proxy) = &setup.proxy {
                b = b.proxy(proxy);
            }
            b.token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
                "at_1",
            )))
            .build()
        }};
    }
    match flavor {
        Flavor::Tokio => {
            let mut builder = spaps_tokio::Client::builder();
            if setup.native_tls {
                builder = builder.tls_backend(spaps_tokio::TlsBackend::NativeTls);
            }
            let client = configure!(builder)?;
            runtime().block_on(async { client.sessions().get_current_session().await })
        }
        Flavor::Blocking => {
            let mut builder = spaps_blocking::Client::builder();
            if setup.native_tls {
                builder = builder.tls_backend(spaps_blocking::TlsBackend::NativeTls);
            }
            let client = configure!(builder)?;
            client.sessions().get_current_session().send()
        }
    }
}

fn session_ok() -> Reply {
    Reply::json(
        200,
        &json!({
            "success": true,
            "data": {"session": {
                "id": "sess_1",
                "user_id": "user_1",
                "application_id": "app_1",
                "created_at": "2025-01-15T12:00:00Z",
                "expires_at": "2025-01-22T12:00:00Z",
            }},
        }),
    )
}

fn tls_server(tls: ServerTls, reply: Reply) -> MockServer {
    MockServer::start_tls(tls, move |_: &ObservedRequest| reply.clone()).expect("server starts")
}

fn transport_kind(result: Result<SessionSummary, Error>) -> (TransportErrorKind, String) {
    match result {
        Err(Error::Transport(e)) => (e.kind, e.to_string()),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// Conformance and the mock SPAPS over TLS.

/// Every cassette whose steps all succeed, on both clients, over TLS: 2 x the happy
/// paths of the corpus (the error paths run over plain HTTP in `conformance.rs`; over
/// TLS they would exercise nothing more of the transport).
#[test]
fn conformance_happy_paths_over_tls() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = load_paths(&[root.join("cassettes")]).expect("the corpus loads");
    let pki = TestPki::new();
    let mut ran = 0;
    let mut failures = Vec::new();
    for (_, item) in &corpus {
        let Corpus::Cassette(cassette) = item else {
            continue;
        };
        if !cassette
            .steps
            .iter()
            .all(|s| s.expect.kind == ExpectKind::Ok)
        {
            continue;
        }
        for kind in [AdapterKind::Tokio, AdapterKind::Blocking] {
            let harness = Harness::new_tls(kind, &pki).expect("the TLS server starts");
            match run_cassette_on(cassette, harness) {
                Verdict::Pass => ran += 1,
                Verdict::Skip(_) => {}
                Verdict::Fail(why) => failures.push(format!("{} {kind}: {why}", cassette.name)),
            }
        }
    }
    println!("{ran} happy-path runs over TLS");
    assert!(ran > 200, "only {ran} happy-path runs");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// Sign-in, an authenticated call and a refresh against the mock SPAPS over TLS.
#[test]
fn mock_spaps_over_tls_on_both_clients() {
    let pki = TestPki::new();
    let mock = MockSpaps::new().start_tls(pki.server_tls()).unwrap();
    assert!(mock.url().starts_with("https://127.0.0.1:"));

    let client = spaps_blocking::Client::builder()
        .base_url(&mock.url())
        .api_key("k")
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    client
        .auth()
        .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
        .send()
        .unwrap();
    let user = client.auth().get_current_user().send().unwrap();
    assert_eq!(user.email.as_deref(), Some(DEMO_EMAIL));
    let refresh = client.tokens().unwrap().refresh_token.unwrap();
    client.auth().refresh_tokens(refresh).send().unwrap();

    let client = spaps_tokio::Client::builder()
        .base_url(&mock.url())
        .api_key("k")
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    runtime().block_on(async {
        client
            .auth()
            .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .unwrap();
        let user = client.auth().get_current_user().await.unwrap();
        assert_eq!(user.email.as_deref(), Some(DEMO_EMAIL));
    });
}

// ---------------------------------------------------------------------------------
// Certificates that must fail, and mutual TLS.

#[test]
fn untrusted_wrong_name_and_expired_certificates_are_tls_errors() {
    let pki = TestPki::new();
    let other = TestPki::new();
    let cases = [
        (
            "untrusted",
            ServerTls::new(&other.server_cert(&LOOPBACK_NAMES)),
        ),
        (
            "wrong name",
            ServerTls::new(&pki.server_cert(&["wrong.example"])),
        ),
        (
            "expired",
            ServerTls::new(&pki.expired_server_cert(&LOOPBACK_NAMES)),
        ),
    ];
    for (what, tls) in cases {
        let server = tls_server(tls, session_ok());
        for flavor in BOTH {
            let (kind, message) = transport_kind(current_session(
                flavor,
                &Setup::new(&server.url(), Some(&pki)),
            ));
            assert_eq!(
                kind,
                TransportErrorKind::Tls,
                "{what} {flavor:?}: {message}"
            );
            assert!(message.contains("TLS"), "{what} {flavor:?}: {message}");
        }
        assert_eq!(
            server.request_count(),
            0,
            "{what}: nothing reached the handler"
        );
    }
    // Without the extra root, the platform's roots do not know the test CA either.
    let server = tls_server(pki.server_tls(), session_ok());
    for flavor in BOTH {
        let (kind, _) = transport_kind(current_session(flavor, &Setup::new(&server.url(), None)));
        assert_eq!(kind, TransportErrorKind::Tls, "{flavor:?}");
    }
}

#[test]
fn a_pem_without_a_certificate_fails_the_build() {
    for flavor in BOTH {
        let mut setup = Setup::new("https://127.0.0.1:1", None);
        setup.ca = Some("not a certificate".to_owned());
        match current_session(flavor, &setup) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "root_certificates"),
            other => panic!("{flavor:?}: {other:?}"),
        }
    }
}

/// What a transport error says when the server closed the connection before the client
/// read its TLS alert: a write into the closed connection (a broken pipe or a reset),
/// or the async client's pool finding the new connection closed before it could hand
/// it the request (hyper-util, under reqwest, then drops the alert).
const CLOSED_FIRST: [&str; 3] = [
    "Broken pipe",
    "Connection reset",
    "connection was not ready",
];

/// A server that requires a client certificate. Without one the server sends an alert
/// and closes the connection; the request is never served. A client that reads the
/// alert reports a TLS error. Which comes first, the alert read or a write into the
/// closed connection, is a race (under TLS 1.3 the server refuses only after the
/// client has finished its side of the handshake, and under TLS 1.2 the client may
/// still be writing its last handshake flight), so a `Send` error naming the closed
/// connection is the other possible outcome. With the identity the call succeeds.
#[test]
fn mutual_tls_presents_the_identity_and_fails_without_it() {
    let pki = TestPki::new();
    let server = tls_server(pki.require_client_cert(pki.server_tls()), session_ok());
    let client_cert = pki.client_cert("client.example");
    for flavor in BOTH {
        let mut setup = Setup::new(&server.url(), Some(&pki));
        let (kind, message) = transport_kind(current_session(flavor, &setup));
        let closed_first = kind == TransportErrorKind::Send
            && CLOSED_FIRST.iter().any(|reason| message.contains(reason));
        assert!(
            kind == TransportErrorKind::Tls || closed_first,
            "{flavor:?} without identity: {kind:?}: {message}"
        );

        setup.identity = Some((client_cert.cert_pem.clone(), client_cert.key_pem.clone()));
        let session = current_session(flavor, &setup).unwrap();
        assert_eq!(session.session_id, "sess_1");
    }
    assert_eq!(server.request_count(), 2);
}

/// The same with the platform's TLS library (`cargo test -p spaps-testkit --features
/// native-tls --test tls`): trusted, untrusted, wrong name, expired, mutual TLS.
#[cfg(feature = "native-tls")]
#[test]
fn native_tls_backend_trusts_verifies_and_presents_identities() {
    let pki = TestPki::new();
    let native = |url: &str, pki: Option<&TestPki>| Setup {
        native_tls: true,
        ..Setup::new(url, pki)
    };
    let good = tls_server(pki.server_tls().with_h2(), session_ok());
    for flavor in BOTH {
        current_session(flavor, &native(&good.url(), Some(&pki))).unwrap();
        let (kind, message) = transport_kind(current_session(flavor, &native(&good.url(), None)));
        assert_eq!(
            kind,
            TransportErrorKind::Tls,
            "{flavor:?} untrusted: {message}"
        );
    }
    for (what, tls) in [
        (
            "wrong name",
            ServerTls::new(&pki.server_cert(&["wrong.example"])),
        ),
        (
            "expired",
            ServerTls::new(&pki.expired_server_cert(&LOOPBACK_NAMES)),
        ),
    ] {
        let server = tls_server(tls, session_ok());
        for flavor in BOTH {
            let (kind, message) =
                transport_kind(current_session(flavor, &native(&server.url(), Some(&pki))));
            assert_eq!(
                kind,
                TransportErrorKind::Tls,
                "{what} {flavor:?}: {message}"
            );
        }
    }
    let mtls = tls_server(pki.require_client_cert(pki.server_tls()), session_ok());
    let client_cert = pki.client_cert("client.example");
    for flavor in BOTH {
        let mut setup = native(&mtls.url(), Some(&pki));
        assert!(
            current_session(flavor, &setup).is_err(),
            "{flavor:?} without identity"
        );
        setup.identity = Some((client_cert.cert_pem.clone(), client_cert.key_pem.clone()));
        current_session(flavor, &setup).unwrap();
    }
}

// ---------------------------------------------------------------------------------
// HTTP/2.

#[test]
fn the_async_client_speaks_http2_when_offered_and_http11_otherwise() {
    let pki = TestPki::new();
    let h2 = tls_server(pki.server_tls().with_h2(), session_ok());
    let h1 = tls_server(pki.server_tls(), session_ok());
    for _ in 0..2 {
        current_session(Flavor::Tokio, &Setup::new(&h2.url(), Some(&pki))).unwrap();
        current_session(Flavor::Tokio, &Setup::new(&h1.url(), Some(&pki))).unwrap();
    }
    assert_eq!(h2.request_versions(), [http::Version::HTTP_2; 2]);
    assert_eq!(h1.request_versions(), [http::Version::HTTP_11; 2]);
    // The blocking client (ureq) speaks HTTP/1.1, also to a server that offers h2.
    current_session(Flavor::Blocking, &Setup::new(&h2.url(), Some(&pki))).unwrap();
    assert_eq!(h2.request_versions()[2], http::Version::HTTP_11);
}

#[test]
fn http2_carries_bodies_statuses_and_errors() {
    let pki = TestPki::new();
    let mock = MockSpaps::new()
        .start_tls(pki.server_tls().with_h2())
        .unwrap();
    let client = spaps_tokio::Client::builder()
        .base_url(&mock.url())
        .api_key("k")
        .add_root_certificates_pem(pki.ca_pem())
        .build()
        .unwrap();
    runtime().block_on(async {
        client
            .auth()
            .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
            .await
            .unwrap();
        client.auth().get_current_user().await.unwrap();
        let wrong = client
            .auth()
            .sign_in_with_password(DEMO_EMAIL, "wrong password")
            .await
            .unwrap_err();
        assert!(wrong.is_unauthenticated(), "{wrong:?}");
    });
    assert!(mock
        .server()
        .request_versions()
        .iter()
        .all(|v| *v == http::Version::HTTP_2));
}

// ---------------------------------------------------------------------------------
// Faults over TLS.

#[test]
fn faults_over_tls_are_typed_errors() {
    let pki = TestPki::new();
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let cases: Vec<(&str, Reply, &[TransportErrorKind])> = vec![
        (
            "close before headers",
            Reply::CloseBeforeHeaders,
            &[TransportErrorKind::Send, TransportErrorKind::Other],
        ),
        (
            "reset before headers",
            Reply::ResetBeforeHeaders,
            &[TransportErrorKind::Send, TransportErrorKind::Other],
        ),
        (
            "reset mid body",
            Reply::ResetMidBody {
                status: 200,
                headers: headers.clone(),
                body_prefix: b"{\"success\": tr".to_vec(),
                declared_len: 400,
            },
            &[TransportErrorKind::Body, TransportErrorKind::Send],
        ),
        (
            "truncated body",
            Reply::TruncatedBody {
                status: 200,
                headers: headers.clone(),
                body: b"{\"success\": true".to_vec(),
                declared_len: 400,
            },
            &[TransportErrorKind::Body, TransportErrorKind::Send],
        ),
    ];
    for (what, reply, kinds) in cases {
        let server = tls_server(pki.server_tls(), reply);
        for flavor in BOTH {
            let (kind, message) = transport_kind(current_session(
                flavor,
                &Setup::new(&server.url(), Some(&pki)),
            ));
            assert!(
                kinds.contains(&kind),
                "{what} {flavor:?}: {kind:?} {message}"
            );
        }
    }
    // A stall is a timeout, not a TLS error.
    let server = tls_server(
        pki.server_tls(),
        Reply::Stall {
            for_: Duration::from_secs(5),
        },
    );
    for flavor in BOTH {
        let mut setup = Setup::new(&server.url(), Some(&pki));
        setup.timeout = Some(Duration::from_millis(300));
        let started = Instant::now();
        let result = current_session(flavor, &setup);
        assert!(
            matches!(result, Err(Error::Timeout(_))),
            "{flavor:?}: {result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

// ---------------------------------------------------------------------------------
// Proxies.

/// A tiny loopback proxy: `CONNECT` tunnels, and plain requests forwarded as they are,
/// all to `upstream` whatever they name (no lookup, nothing leaves the machine).
struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let seen = Arc::clone(&seen2);
                thread::spawn(move || {
                    let _ = Proxy::serve(conn, upstream, &seen);
                });
            }
        });
        Proxy { addr, seen, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn serve(client: TcpStream, upstream: SocketAddr, seen: &Mutex<Vec<String>>) -> io::Result<()> {
        client.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(client.try_clone()?);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            head.push(line.clone());
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        let first = head[0].trim_end().to_owned();
        let mut server = TcpStream::connect(upstream)?;
        let mut client_w = client.try_clone()?;
        if let Some(target) = first.strip_prefix("CONNECT ") {
            seen.lock().unwrap().push(format!(
                "CONNECT {}",
                target.split(' ').next().unwrap_or("")
            ));
            client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        } else {
            seen.lock().unwrap().push(format!("FORWARD {first}"));
            server.write_all(head.concat().as_bytes())?;
        }
        // Whatever the reader buffered already goes upstream first.
        server.write_all(reader.buffer())?;
        let mut server_r = server.try_clone()?;
        let up = thread::spawn(move || {
            let _ = io::copy(&mut reader.get_mut(), &mut server);
            let _ = server.shutdown(Shutdown::Write);
        });
        let _ = io::copy(&mut server_r, &mut client_w);
        let _ = client_w.shutdown(Shutdown::Both);
        let _ = up.join();
        Ok(())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

#[test]
fn an_explicit_proxy_tunnels_tls_on_both_clients() {
    let pki = TestPki::new();
    // The name exists nowhere: only the proxy "resolves" it (to the test server).
    let server = tls_server(
        ServerTls::new(&pki.server_cert(&["spaps.test"])),
        session_ok(),
    );
    let proxy = Proxy::start(server.addr());
    let url = format!("https://spaps.test:{}", server.addr().port());
    for flavor in BOTH {
        let mut setup = Setup::new(&url, Some(&pki));
        setup.proxy = Some(proxy.url());
        current_session(flavor, &setup).unwrap();
    }
    let target = format!("CONNECT spaps.test:{}", server.addr().port());
    assert_eq!(proxy.seen(), [target.clone(), target]);
    assert_eq!(server.request_count(), 2);
}

/// The environment's proxies, in a child process so that no variable of this one
/// changes: `HTTPS_PROXY` is used for an https URL (through the CONNECT proxy),
/// `HTTP_PROXY` is not used for a loopback http URL.
#[test]
fn environment_proxies_are_honoured_in_a_child_process() {
    let pki = TestPki::new();
    let server = tls_server(
        ServerTls::new(&pki.server_cert(&["spaps.test"])),
        session_ok(),
    );
    let plain = MockServer::start(|_: &ObservedRequest| session_ok()).unwrap();
    let proxy = Proxy::start(server.addr());
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "env_proxy_child",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env("HTTPS_PROXY", proxy.url())
        .env("HTTP_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env(
            "SPAPS_TLS_CHILD_URL",
            format!("https://spaps.test:{}", server.addr().port()),
        )
        .env("SPAPS_TLS_CHILD_PLAIN_URL", plain.url())
        .env("SPAPS_TLS_CHILD_CA", pki.ca_pem())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let target = format!("CONNECT spaps.test:{}", server.addr().port());
    assert_eq!(
        proxy.seen(),
        [target.clone(), target],
        "loopback http went direct"
    );
    assert_eq!(plain.request_count(), 2);
}

#[test]
#[ignore = "run by environment_proxies_are_honoured_in_a_child_process"]
fn env_proxy_child() {
    let (Ok(url), Ok(plain), Ok(ca)) = (
        std::env::var("SPAPS_TLS_CHILD_URL"),
        std::env::var("SPAPS_TLS_CHILD_PLAIN_URL"),
        std::env::var("SPAPS_TLS_CHILD_CA"),
    ) else {
        return;
    };
    for flavor in BOTH {
        let mut setup = Setup::new(&url, None);
        setup.ca = Some(ca.clone());
        current_session(flavor, &setup).unwrap();
        current_session(flavor, &Setup::new(&plain, None)).unwrap();
    }
}

/// `SSL_CERT_FILE` replaces the platform's roots on both clients (a child process, so
/// that this one's environment does not change).
#[test]
fn ssl_cert_file_is_honoured_in_a_child_process() {
    let pki = TestPki::new();
    let server = tls_server(pki.server_tls(), session_ok());
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "ssl_cert_file_child",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env("SSL_CERT_FILE", &ca)
        .env_remove("SSL_CERT_DIR")
        .env("SPAPS_TLS_CHILD_URL", server.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.request_count(), 2);
}

#[test]
#[ignore = "run by ssl_cert_file_is_honoured_in_a_child_process"]
fn ssl_cert_file_child() {
    let Ok(url) = std::env::var("SPAPS_TLS_CHILD_URL") else {
        return;
    };
    for flavor in BOTH {
        // No extra root: the CA comes from SSL_CERT_FILE alone.
        current_session(flavor, &Setup::new(&url, None)).unwrap();
    }
}

// ---------------------------------------------------------------------------------
// The plaintext rule.

#[test]
fn credentials_never_go_in_clear_to_another_host() {
    let plain = MockServer::start(|_: &ObservedRequest| session_ok()).unwrap();
    let proxy = Proxy::start(plain.addr());
    let remote = format!("http://spaps.test:{}", plain.addr().port());
    for flavor in BOTH {
        // http:// to a host that is not loopback: refused before anything is sent.
        let result = current_session(flavor, &Setup::new(&remote, None));
        match result {
            Err(e @ Error::InsecureTransport { .. }) => {
                assert!(e.is_local());
                assert!(e.to_string().contains("spaps.test"), "{e}");
            }
            other => panic!("{flavor:?}: {other:?}"),
        }
        // Through a proxy on another machine, even to loopback: refused at build.
        let mut setup = Setup::new(&plain.url(), None);
        setup.proxy = Some("http://proxy.example:3128".to_owned());
        assert!(
            matches!(current_session(flavor, &setup), Err(Error::InsecureTransport { host }) if host == "proxy.example"),
            "{flavor:?}"
        );
        // Explicitly allowed: it goes (here through the loopback proxy, which forwards
        // it to the test server as it is).
        let mut setup = Setup::new(&remote, None);
        setup.allow_insecure_http = true;
        setup.proxy = Some(proxy.url());
        current_session(flavor, &setup).unwrap();
    }
    assert_eq!(plain.request_count(), 2);
    assert!(proxy.seen().iter().all(|s| s.contains("spaps.test")));
    // Loopback over plain http needs no permission.
    for flavor in BOTH {
        current_session(flavor, &Setup::new(&plain.url(), None)).unwrap();
    }
}

// ---------------------------------------------------------------------------------
// HTTP clients of the caller's own.

fn user_agent_of(server: &MockServer, i: usize) -> String {
    server.requests()[i]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[test]
fn an_own_reqwest_client_keeps_its_timeout_and_user_agent() {
    own_client_keeps_its_timeout_and_user_agent::<spaps_tokio::Tokio>(
        "my-app/1.0",
        |timeout| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("my-app/1.0")
                .timeout(timeout)
                .tls_backend_preconfigured(spaps_testkit::tls::client_config(&[]))
                .build()
                .unwrap()
        },
        |client| runtime().block_on(async { client.sessions().get_current_session().await }),
    );
}

#[test]
fn an_own_ureq_agent_keeps_its_timeout_and_user_agent() {
    own_client_keeps_its_timeout_and_user_agent::<spaps_blocking::Blocking>(
        "my-agent/2.0",
        |timeout| {
            ureq::Agent::config_builder()
                .user_agent("my-agent/2.0")
                .timeout_global(Some(timeout))
                .build()
                .new_agent()
        },
        |client| client.sessions().get_current_session().send(),
    );
}

/// A caller's HTTP client (made by `own` with its timeout, sending `user_agent`) keeps
/// its own timeout and `User-Agent` unless the SDK's are set too; `session` runs one
/// call to the end.
fn own_client_keeps_its_timeout_and_user_agent<R: spaps_driver::Runtime>(
    user_agent: &str,
    own: impl Fn(Duration) -> R::Http,
    session: impl Fn(&spaps_driver::Client<R>) -> Result<SessionSummary, Error>,
) {
    let server = MockServer::start(|_: &ObservedRequest| session_ok()).unwrap();
    let stall = MockServer::start(|_: &ObservedRequest| Reply::Stall {
        for_: Duration::from_secs(3),
    })
    .unwrap();
    let call = |url: &str, http: R::Http, sdk_timeout: Option<Duration>, suffix: bool| {
        let mut config = spaps_proto::Config::new(url).unwrap().with_api_key("k");
        if let Some(t) = sdk_timeout {
            config = config.with_timeout(t);
        }
        if suffix {
            config = config.with_user_agent_suffix("tests/1").unwrap();
        }
        let client = spaps_driver::Client::<R>::builder()
            .config(config)
            .retry(RetryPolicy::disabled())
            .http_client(http)
            .token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
                "at",
            )))
            .build()
            .unwrap();
        let started = Instant::now();
        let result = session(&client);
        (result, started.elapsed())
    };
    // Its User-Agent, unless the SDK's is set too.
    call(&server.url(), own(Duration::from_secs(5)), None, false)
        .0
        .unwrap();
    assert_eq!(user_agent_of(&server, 0), user_agent);
    call(&server.url(), own(Duration::from_secs(5)), None, true)
        .0
        .unwrap();
    assert!(
        user_agent_of(&server, 1).starts_with("spaps-rs/"),
        "{}",
        user_agent_of(&server, 1)
    );
    // Its timeout (300 ms, not the SDK's default 10 s)...
    let (result, took) = call(&stall.url(), own(Duration::from_millis(300)), None, false);
    assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // ...unless the SDK's is set: then the SDK's wins.
    let (result, took) = call(
        &stall.url(),
        own(Duration::from_secs(30)),
        Some(Duration::from_millis(300)),
        false,
    );
    assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// A redirect to another origin: the credentials must never reach it, whatever the
/// caller's client would do on its own.
#[test]
fn own_clients_that_follow_redirects_never_carry_credentials_elsewhere() {
    let elsewhere = MockServer::start(|_: &ObservedRequest| session_ok()).unwrap();
    let target = format!("{}/api/sessions/current", elsewhere.url());
    let redirecting = MockServer::start(move |_: &ObservedRequest| {
        Reply::empty(302).with_header("location", target.clone())
    })
    .unwrap();

    // ureq: an agent that follows redirects is told not to, per request.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(10)
        .build()
        .new_agent();
    let client = spaps_blocking::Client::builder()
        .base_url(&redirecting.url())
        .api_key("k")
        .http_client(agent)
        .token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
            "at",
        )))
        .build()
        .unwrap();
    let result = client.sessions().get_current_session().send();
    assert!(matches!(result, Err(Error::Redirect { .. })), "{result:?}");

    // reqwest offers no per-request switch: a client that may follow redirects is
    // refused at build; one that does not gets the redirect as an error.
    let following = reqwest::Client::builder()
        .tls_backend_preconfigured(spaps_testkit::tls::client_config(&[]))
        .build()
        .unwrap();
    let refused = spaps_tokio::Client::builder()
        .base_url(&redirecting.url())
        .api_key("k")
        .http_client(following)
        .build()
        .unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidArgument { name: "http_client", reason } if reason.contains("redirect")),
        "{refused:?}"
    );
    let not_following = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(spaps_testkit::tls::client_config(&[]))
        .build()
        .unwrap();
    let client = spaps_tokio::Client::builder()
        .base_url(&redirecting.url())
        .api_key("k")
        .http_client(not_following)
        .token_store(spaps_proto::MemoryTokenStore::with_tokens(Tokens::new(
            "at",
        )))
        .build()
        .unwrap();
    let result = runtime().block_on(async { client.sessions().get_current_session().await });
    assert!(matches!(result, Err(Error::Redirect { .. })), "{result:?}");

    assert_eq!(redirecting.request_count(), 2);
    assert_eq!(
        elsewhere.request_count(),
        0,
        "credentials reached another origin"
    );
}

#[test]
fn tls_and_proxy_options_do_not_mix_with_an_own_client() {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().new_agent();
    let e = spaps_blocking::Client::builder()
        .http_client(agent)
        .proxy("http://127.0.0.1:1")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidArgument {
                name: "http_client",
                ..
            }
        ),
        "{e:?}"
    );
}
