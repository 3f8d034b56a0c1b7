//! With every target at TRACE, no credential appears in what either client logs, in
//! clear or hex-encoded: every `tracing` event and span (fields included) and every
//! `log` record (through tracing's log bridge, which `init()` installs) is captured
//! during sign-in, authenticated calls, a refresh, a reconciliation with a recon token
//! and a webhook verification, over plain HTTP/1.1, TLS, and HTTP/2.
//!
//! Its own test binary: the subscriber and the `log` logger are process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use spaps_proto::webhook::{sign, WebhookVerifier};
use spaps_proto::{Secret, Timestamp};
use spaps_testkit::mock_spaps::{MockSpaps, DEMO_EMAIL, DEMO_PASSWORD};
use spaps_testkit::tls::TestPki;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;

const API_KEY: &str = "spaps_live_K3YSECRETapikey9f8e7d";
const RECON_TOKEN: &str = "recon_R3C0NSECRETtoken5a4b";
const WEBHOOK_SECRET: &str = "whsec_W3BH00KSECRETvalue1c2d";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(capture.clone())
            .init();
        capture
    })
}

/// The ways a secret could show: in clear, and hex-encoded as ureq-proto dumps bytes
/// (`4142 4344 ...`), plain (`41424344`) or byte-spaced (`41 42 43 44`), upper or lower
/// case. Pieces of 8 bytes are looked for, so a dump split over rows is still caught.
fn leaks(log: &str, secret: &str) -> Vec<String> {
    let log_lower = log.to_ascii_lowercase();
    let bytes = secret.as_bytes();
    let mut found = Vec::new();
    if log.contains(secret) {
        found.push(format!("`{secret}` in clear"));
    }
    for piece in bytes.windows(8.min(bytes.len())) {
        let text = String::from_utf8_lossy(piece);
        if log.contains(text.as_ref()) {
            found.push(format!("`{text}` of `{secret}` in clear"));
        }
        let hex: Vec<String> = piece.iter().map(|b| format!("{b:02x}")).collect();
        let pairs: Vec<String> = hex.chunks(2).map(|c| c.concat()).collect();
        for form in [hex.concat(), hex.join(" "), pairs.join(" ")] {
            if log_lower.contains(&form) {
                found.push(format!("`{text}` of `{secret}` hex-encoded as `{form}`"));
            }
        }
    }
    found
}

#[test]
fn no_credential_reaches_the_logs_at_trace() {
    let capture = capture();
    assert!(log::log_enabled!(target: "ureq_proto::util", log::Level::Trace));
    let pki = TestPki::new();
    let plain = MockSpaps::new().with_api_key(API_KEY).start().unwrap();
    let tls = MockSpaps::new()
        .with_api_key(API_KEY)
        .start_tls(pki.server_tls().with_h2())
        .unwrap();
    let mut secrets: Vec<String> = vec![
        API_KEY.to_owned(),
        DEMO_PASSWORD.to_owned(),
        RECON_TOKEN.to_owned(),
        WEBHOOK_SECRET.to_owned(),
    ];

    for url in [plain.url(), tls.url()] {
        // The blocking client (ureq: HTTP/1.1).
        let client = spaps_blocking::Client::builder()
            .base_url(&url)
            .api_key(API_KEY)
            .add_root_certificates_pem(pki.ca_pem())
            .build()
            .unwrap();
        client
            .auth()
            .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
            .send()
            .unwrap();
        let first = client.tokens().unwrap();
        client.auth().get_current_user().send().unwrap();
        let refresh = first.refresh_token.clone().unwrap();
        client.auth().refresh_tokens(refresh).send().unwrap();
        let second = client.tokens().unwrap();
        client.auth().get_current_user().send().unwrap();
        let _ = client.crypto().reconcile().recon_token(RECON_TOKEN).send();
        for tokens in [first, second] {
            secrets.push(tokens.access_token.expose().to_owned());
            secrets.extend(tokens.refresh_token.map(|t| t.expose().to_owned()));
        }

        // The async client (HTTP/2 against the TLS mock, which offers it).
        let client = spaps_tokio::Client::builder()
            .base_url(&url)
            .api_key(API_KEY)
            .add_root_certificates_pem(pki.ca_pem())
            .build()
            .unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (first, second) = runtime.block_on(async {
            client
                .auth()
                .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
                .await
                .unwrap();
            let first = client.tokens().unwrap();
            client.auth().get_current_user().await.unwrap();
            let refresh = first.refresh_token.clone().unwrap();
            client.auth().refresh_tokens(refresh).await.unwrap();
            let second = client.tokens().unwrap();
            client.auth().get_current_user().await.unwrap();
            let _ = client.crypto().reconcile().recon_token(RECON_TOKEN).await;
            (first, second)
        });
        for tokens in [first, second] {
            secrets.push(tokens.access_token.expose().to_owned());
            secrets.extend(tokens.refresh_token.map(|t| t.expose().to_owned()));
        }
    }
    assert!(tls
        .server()
        .request_versions()
        .contains(&http::Version::HTTP_2));

    // A webhook verified with its secret.
    let body = br#"{"id":"evt_1","type":"ping","data":{}}"#;
    let now = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
    let header = sign(WEBHOOK_SECRET, 1_700_000_000, body);
    let verifier = WebhookVerifier::new(Secret::from(WEBHOOK_SECRET)).unwrap();
    verifier.verify_signature(&header, body, now).unwrap();

    let log = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    // The capture did see the clients and the HTTP libraries at work.
    for expected in [
        "spaps_blocking",
        "spaps_tokio",
        "spaps.call",
        "url.template",
        "http.response.status_code",
        "server.address",
        "ureq::",
        "h2::",
    ] {
        assert!(
            log.contains(expected),
            "no `{expected}` in the captured logs"
        );
    }
    secrets.sort();
    secrets.dedup();
    let found: Vec<String> = secrets.iter().flat_map(|s| leaks(&log, s)).collect();
    assert!(
        found.is_empty(),
        "{} leaks in {} bytes of logs:\n{}",
        found.len(),
        log.len(),
        found.join("\n")
    );
}

/// The detector itself finds what ureq-proto's dumps looked like before the filter.
#[test]
fn the_leak_detector_finds_hex_dumps() {
    let dump = "TRACE ureq_proto::util: 582d 4150 492d 4b65 793a 2073 7061 7073 X-API-Key: spaps\n\
                TRACE ureq_proto::util: 5f6c 6976 655f 4b33 5953 4543 5245 5461 _live_K3YSECRETa";
    assert!(!leaks(dump, API_KEY).is_empty());
    assert!(leaks("nothing here", API_KEY).is_empty());
}
