//! spaps-fuzz-harness (not published): the bodies of the cargo-fuzz targets of spaps-rs,
//! and the input format each one reads.
//!
//! Every target in `fuzz/fuzz_targets/` is one line calling a function of this crate,
//! and `tests/regressions.rs` replays the saved crash inputs through the same functions
//! on stable, inside `cargo test`, so a regression test runs exactly the code the fuzzer
//! ran. It depends only on crates `spaps-proto` itself depends on, and on `std`.
//!
//! The `encode_*` functions write the input formats; the seed generator uses them.
//! All multi-byte integers are little-endian; a field cut short by the end of the input
//! reads as zero-padded.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use spaps_proto::api::device_flow::StartDeviceFlow;
use spaps_proto::api::metrics::Health;
use spaps_proto::api::Visitor;
use spaps_proto::device::{classify, DeviceLogin, DevicePoll, PollAnswer};
use spaps_proto::model::device_flow::DeviceAuthorization;
use spaps_proto::response::api_error;
use spaps_proto::retry::{decide, parse_retry_after, Decision, Failure};
use spaps_proto::webhook::{sign, WebhookError, WebhookEvent, WebhookVerifier};
use spaps_proto::SendError;
use spaps_proto::{
    ApiError, CallOptions, ClientState, Config, Endpoint, Error, ErrorKind, Machine, Now, Output,
    RetryPolicy, Secret, Timestamp, Tokens, TransportError, TransportErrorKind,
};
use spaps_testkit::simulator::{Responder, Simulator};

/// Separates the responses of a multi-response input (`fuzz_response`, `fuzz_device`).
pub const SEP: &[u8] = b"\n--spaps-next--\n";

/// At most this many responses are read from one input.
pub const MAX_RESPONSES: usize = 16;

/// The wall time every target starts at: 2025-01-15T12:00:00Z.
pub const WALL0: i64 = 1_736_942_400;

/// The statuses a response's status byte picks from (`byte % 32`).
pub const STATUSES: [u16; 32] = [
    200, 201, 202, 204, 206, 299, 400, 401, 402, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500,
    501, 502, 503, 504, 599, 100, 101, 301, 302, 303, 304, 307, 308,
];

/// The largest Unix time the webhook target uses (9999-12-31T23:59:59Z).
const MAX_UNIX: u64 = 253_402_300_799;

// ---------------------------------------------------------------------------------------
// Reading inputs
// ---------------------------------------------------------------------------------------

/// A cursor over a fuzz input.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// One byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    /// Two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    /// Four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    /// Eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    /// The bytes up to the next `\n` (which is consumed), or all that is left.
    pub fn line(&mut self) -> &'a [u8] {
        match self.data.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &self.data[..i];
                self.data = &self.data[i + 1..];
                line
            }
            None => std::mem::take(&mut self.data),
        }
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Splits `data` on [`SEP`], keeping at most [`MAX_RESPONSES`] parts.
pub fn split_responses(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_RESPONSES {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// A response as the fuzzed bytes describe it:
/// `[status byte][header byte] body...`.
///
/// The status is `STATUSES[status byte % 32]`. Header byte bits: `1` an `x-request-id`,
/// `2` a `Retry-After` of `bits 4..8` seconds (`4`: written as an HTTP-date instead),
/// `8` a `Location`.
pub fn decode_response(chunk: &[u8], wall: Timestamp) -> http::Response<Bytes> {
    let mut input = Input::new(chunk);
    let status = STATUSES[usize::from(input.u8()) % STATUSES.len()];
    let h = input.u8();
    let mut response = http::Response::new(Bytes::copy_from_slice(input.rest()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if h & 1 != 0 {
        headers.insert("x-request-id", HeaderValue::from_static("req_fuzz"));
    }
    if h & 2 != 0 {
        let secs = u64::from(h >> 4);
        let value = if h & 4 != 0 {
            http_date(wall.saturating_add(Duration::from_secs(secs)))
        } else {
            secs.to_string()
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(RETRY_AFTER, v);
        }
    }
    if h & 8 != 0 {
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://elsewhere.example/x"),
        );
    }
    response
}

/// Writes one response chunk for [`decode_response`]. A status missing from
/// [`STATUSES`] becomes the first of its class.
pub fn encode_response(
    status: u16,
    request_id: bool,
    retry_after_secs: Option<u64>,
    body: &[u8],
) -> Vec<u8> {
    let index = STATUSES
        .iter()
        .position(|&s| s == status)
        .or_else(|| STATUSES.iter().position(|&s| s / 100 == status / 100))
        .unwrap_or(0);
    let mut h = 0u8;
    if request_id {
        h |= 1;
    }
    if let Some(secs) = retry_after_secs {
        h |= 2 | ((secs.min(15) as u8) << 4);
    }
    let mut out = vec![index as u8, h];
    out.extend_from_slice(body);
    out
}

/// Joins response chunks with [`SEP`].
pub fn join_responses(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEP);
        }
        out.extend_from_slice(chunk);
    }
    out
}

/// An IMF-fixdate (`Wed, 15 Jan 2025 12:00:00 GMT`), without a date crate.
fn http_date(t: Timestamp) -> String {
    let odt = t.as_offset_date_time();
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(odt.weekday().number_days_from_monday())],
        odt.day(),
        MONTHS[usize::from(u8::from(odt.month()) - 1)],
        odt.year(),
        odt.hour(),
        odt.minute(),
        odt.second()
    )
}

// ---------------------------------------------------------------------------------------
// Driving a machine on virtual time
// ---------------------------------------------------------------------------------------

/// What a driven machine did.
#[derive(Debug, Default)]
pub struct Trace {
    /// For each request sent: virtual time since the start, method, path.
    pub sends: Vec<(Duration, Method, String)>,
    /// For each sleep: (from, until), virtual time since the start.
    pub sleeps: Vec<(Duration, Duration)>,
    /// The responses fed, in order: virtual time, the request's path, the response.
    pub fed: Vec<(Duration, String, http::Response<Bytes>)>,
}

/// Drives machines against fuzzed responses on virtual time (the testkit's
/// [`Simulator`]), recording what happened.
pub struct Driver {
    sim: Simulator,
    /// What happened.
    pub trace: Trace,
}

impl Driver {
    /// A driver at `WALL0` for `config`.
    pub fn new(config: Config) -> Self {
        let wall0 = Timestamp::from_unix_seconds(WALL0).unwrap_or(Timestamp::UNIX_EPOCH);
        Self {
            sim: Simulator::starting_at(ClientState::new(config, 0x5eed), wall0),
            trace: Trace::default(),
        }
    }

    /// The client state the machines run on.
    pub fn state(&self) -> &ClientState {
        self.sim.state()
    }

    /// The client state, to change.
    pub fn state_mut(&mut self) -> &mut ClientState {
        self.sim.state_mut()
    }

    /// The virtual time.
    pub fn now(&self) -> Now {
        self.sim.now()
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    /// The instant the driver started at.
    pub fn start(&self) -> Instant {
        self.sim.start()
    }

    /// Runs `machine` to completion, answering each request with the next response
    /// of `responses` (then with a connect failure). Panics when the machine breaks
    /// its protocol: a sleep into the past, a wait for another call's refresh (there
    /// is no other call), a misuse error, or no end within `max_steps` outputs.
    pub fn run<M: Machine>(
        &mut self,
        machine: M,
        responses: &[&[u8]],
        max_steps: usize,
    ) -> Result<M::Output, Error> {
        let name = machine.name();
        let mut responder = FuzzResponder {
            responses,
            next: 0,
            t0: self.sim.start(),
            trace: &mut self.trace,
        };
        self.sim.set_max_steps(max_steps);
        match self.sim.run(machine, &mut responder) {
            Ok(Err(Error::Misuse(what))) => {
                panic!("{name}: misuse reported to a correct driver: {what}")
            }
            Ok(result) => result,
            Err(stuck) => panic!("{stuck}"),
        }
    }
}

/// Answers with the fuzzed responses in order, then with connect failures.
struct FuzzResponder<'a> {
    responses: &'a [&'a [u8]],
    next: usize,
    t0: Instant,
    trace: &'a mut Trace,
}

impl Responder for FuzzResponder<'_> {
    fn respond(
        &mut self,
        request: http::Request<Bytes>,
        now: Now,
    ) -> Result<http::Response<Bytes>, SendError> {
        let at = now.instant - self.t0;
        let path = request.uri().path().to_owned();
        self.trace
            .sends
            .push((at, request.method().clone(), path.clone()));
        let Some(chunk) = self.responses.get(self.next) else {
            return Err(SendError::Transport(TransportError::new(
                TransportErrorKind::Connect,
                "no more fuzzed responses",
            )));
        };
        self.next += 1;
        let response = decode_response(chunk, now.wall);
        self.trace.fed.push((at, path, response.clone()));
        Ok(response)
    }

    fn slept(&mut self, from: Duration, to: Duration) {
        self.trace.sleeps.push((from, to));
    }
}

/// The configuration the call targets use.
fn config(policy: RetryPolicy) -> Config {
    match Config::new("https://api.example.com/spaps") {
        Ok(c) => c.with_api_key("key_fuzz").with_retry(policy),
        Err(e) => panic!("the fuzz base URL is valid: {e}"),
    }
}

// ---------------------------------------------------------------------------------------
// fuzz_response
// ---------------------------------------------------------------------------------------

/// The cassettes directory (`spaps-conformance/cassettes`), relative to the crate that
/// compiles this file (`fuzz/` or `spaps-proto/`: both are its siblings).
pub fn cassettes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spaps-conformance/cassettes")
}

/// Arguments for endpoints no cassette calls with usable arguments.
fn fallback_args(name: &str) -> Option<Value> {
    match name {
        "device_flow.request_token" => Some(json!({"device_code": "dc_fuzz"})),
        _ => None,
    }
}

/// One argument object per endpoint name: from the first cassette (by file name) whose
/// call of that endpoint has arguments that build a request, else `{}` if that does,
/// else `fallback_args`. Loaded once.
pub fn endpoint_args() -> &'static HashMap<&'static str, Map<String, Value>> {
    static ARGS: OnceLock<HashMap<&'static str, Map<String, Value>>> = OnceLock::new();
    ARGS.get_or_init(|| {
        let mut candidates: HashMap<String, Vec<Map<String, Value>>> = HashMap::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(cassettes_dir())
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read(&file) else {
                continue;
            };
            let Ok(cassette) = serde_json::from_slice::<Value>(&text) else {
                continue;
            };
            for step in cassette["steps"].as_array().into_iter().flatten() {
                let call = &step["call"];
                let (Some(client), Some(method)) =
                    (call["client"].as_str(), call["method"].as_str())
                else {
                    continue;
                };
                let mut args = call["args"].as_object().cloned().unwrap_or_default();
                // As the conformance harness does: these are call options.
                args.remove("access_token_override");
                args.remove("access_token");
                candidates
                    .entry(format!("{client}.{method}"))
                    .or_default()
                    .push(args);
            }
        }
        let mut out = HashMap::new();
        for name in spaps_proto::api::names() {
            let mut tries = candidates.remove(name).unwrap_or_default();
            tries.push(Map::new());
            if let Some(Value::Object(args)) = fallback_args(name) {
                tries.push(args);
            }
            if let Some(args) = tries
                .into_iter()
                .find(|args| spaps_proto::api::visit(name, Builds(args.clone())).unwrap_or(false))
            {
                out.insert(name, args);
            }
        }
        out
    })
}

/// Whether an argument object makes an endpoint whose request builds.
struct Builds(Map<String, Value>);

impl Visitor for Builds {
    type Out = bool;

    fn visit<E>(self) -> bool
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        serde_json::from_value::<E>(Value::Object(self.0)).is_ok_and(|e| e.request().is_ok())
    }
}

/// `fuzz_response` setup flag: no stored tokens.
pub const NO_TOKENS: u8 = 1;
/// `fuzz_response` setup flag: the stored access token has expired (refresh first).
pub const EXPIRED: u8 = 2;
/// `fuzz_response` setup flag: the default retry policy (else retries are off).
pub const RETRIES: u8 = 4;
/// `fuzz_response` setup flag: an idempotency key.
pub const IDEMPOTENT: u8 = 8;
/// `fuzz_response` setup flag: a per-call access token.
pub const TOKEN_OVERRIDE: u8 = 16;

/// Every endpoint name in alphabetical order: the `fuzz_response` input picks one by
/// its index here, so an input keeps naming the same endpoint however the registry is
/// ordered or split (only adding or renaming an endpoint shifts the ones after it).
pub fn endpoint_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = spaps_proto::api::names();
        names.sort_unstable();
        names
    })
}

/// `fuzz_response`: `[endpoint u16][setup flags u8]` then responses (see
/// [`decode_response`]) joined by [`SEP`]. Runs the endpoint (index into
/// [`endpoint_names`] modulo its length, arguments from [`endpoint_args`]) as a full
/// call through `ClientState::call` against those responses: retries, the token
/// refresh and the replay after a 401 included. Must never panic; the call must end
/// within 64 steps.
pub fn response(data: &[u8]) {
    let names = endpoint_names();
    let mut input = Input::new(data);
    let name = names[usize::from(input.u16()) % names.len()];
    let flags = input.u8();
    let responses = split_responses(input.rest());
    let Some(args) = endpoint_args().get(name) else {
        return;
    };
    let run = RunCall {
        args: args.clone(),
        flags,
        responses,
    };
    spaps_proto::api::visit(name, run);
}

/// Encodes a `fuzz_response` input for the endpoint named `endpoint`; `None` when no
/// endpoint has that name.
pub fn encode_response_input(endpoint: &str, flags: u8, responses: &[Vec<u8>]) -> Option<Vec<u8>> {
    let index = endpoint_names().iter().position(|n| *n == endpoint)?;
    let mut out = u16::try_from(index).ok()?.to_le_bytes().to_vec();
    out.push(flags);
    out.extend_from_slice(&join_responses(responses));
    Some(out)
}

struct RunCall<'a> {
    args: Map<String, Value>,
    flags: u8,
    responses: Vec<&'a [u8]>,
}

impl Visitor for RunCall<'_> {
    type Out = ();

    fn visit<E>(self)
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        let Ok(endpoint) = serde_json::from_value::<E>(Value::Object(self.args)) else {
            return;
        };
        let policy = if self.flags & RETRIES != 0 {
            RetryPolicy::default()
        } else {
            RetryPolicy::disabled()
        };
        let mut driver = Driver::new(config(policy));
        let wall = driver.now().wall;
        if self.flags & NO_TOKENS == 0 {
            let mut tokens = Tokens::new("at_fuzz");
            tokens.refresh_token = Some(Secret::from("rt_fuzz"));
            tokens.expires_at = Some(if self.flags & EXPIRED != 0 {
                Timestamp::from_unix_seconds(WALL0 - 60).unwrap_or(wall)
            } else {
                wall.saturating_add(Duration::from_secs(3600))
            });
            driver.state_mut().load_tokens(Some(tokens));
        }
        let options = CallOptions {
            access_token: (self.flags & TOKEN_OVERRIDE != 0).then(|| Secret::from("at_override")),
            idempotency_key: (self.flags & IDEMPOTENT != 0).then(|| "idem_fuzz".to_owned()),
            call_timeout: None,
        };
        let call = driver.state_mut().call(endpoint, options);
        let result = driver.run(call, &self.responses, 64);
        // What a driver does with a result: show it, serialize it.
        match &result {
            Ok(output) => {
                let _ = serde_json::to_vec(output);
            }
            Err(error) => {
                let _ = error.to_string();
                let _ = format!("{error:?}");
            }
        }
        let attempts_allowed = if self.flags & RETRIES != 0 { 3 } else { 1 };
        let main_sends = driver
            .trace
            .sends
            .iter()
            .filter(|(_, _, path)| !path.ends_with("/api/auth/refresh"))
            .count();
        // One replay after a 401 comes on top of the retries.
        assert!(
            main_sends <= attempts_allowed + 1,
            "{}: {main_sends} attempts, the policy allows {attempts_allowed}",
            E::NAME
        );
    }
}

// ---------------------------------------------------------------------------------------
// fuzz_error
// ---------------------------------------------------------------------------------------

/// `fuzz_error`: `[status-100 u16 (mod 900)][now u32][flags u8]`, then the
/// `x-request-id` value up to `\n`, the `Retry-After` value up to `\n`, and the body.
/// Flags: `1` send the x-request-id, `2` send the Retry-After, `4` add a second
/// `x-request-id` after the first. Checks what `api_error` reads against the headers
/// and the body.
pub fn error(data: &[u8]) {
    let mut input = Input::new(data);
    let status = StatusCode::from_u16(100 + input.u16() % 900).unwrap_or(StatusCode::OK);
    let now = Timestamp::from_unix_seconds(i64::from(input.u32())).unwrap_or(Timestamp::UNIX_EPOCH);
    let flags = input.u8();
    let request_id = input.line();
    let retry_after = input.line();
    let body = input.rest();

    let mut headers = HeaderMap::new();
    let request_id = HeaderValue::from_bytes(request_id)
        .ok()
        .filter(|_| flags & 1 != 0);
    if let Some(v) = &request_id {
        headers.insert("x-request-id", v.clone());
    }
    if flags & 4 != 0 {
        headers.append("x-request-id", HeaderValue::from_static("req_second"));
    }
    let retry_after = HeaderValue::from_bytes(retry_after)
        .ok()
        .filter(|_| flags & 2 != 0);
    if let Some(v) = &retry_after {
        headers.insert(RETRY_AFTER, v.clone());
    }

    let e = api_error("fuzz.error_response", status, &headers, body, now);
    assert_eq!(e.status, status);
    assert_eq!(e.body.len(), body.len().min(ApiError::BODY_LIMIT));
    assert_eq!(e.body_truncated, body.len() > ApiError::BODY_LIMIT);
    assert_eq!(e.kind, ErrorKind::from_status(status));
    assert!(!e.message.trim().is_empty(), "empty message");
    // The header's request id wins over the body's.
    let from_header = request_id
        .as_ref()
        .or_else(|| headers.get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(id) = from_header {
        assert_eq!(e.request_id.as_deref(), Some(id));
    }
    let expected_wait = retry_after
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    assert_eq!(e.retry_after, expected_wait);
    // A non-empty string `error.code` is read as the code.
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(code) = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
    {
        assert_eq!(e.code.as_deref(), Some(code));
    }
    let _ = e.is_retryable();
    let error = Error::from(e);
    assert_eq!(error.status(), Some(status));
    let _ = error.to_string();
    let _ = format!("{error:?}");
    let answer = classify(&error);
    if !status.is_client_error() {
        assert_eq!(answer, PollAnswer::Other);
    }
}

/// Encodes a `fuzz_error` input.
pub fn encode_error_input(
    status: u16,
    now: u32,
    request_id: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let mut out = status.saturating_sub(100).to_le_bytes().to_vec();
    out.extend_from_slice(&now.to_le_bytes());
    let flags = u8::from(request_id.is_some()) | (u8::from(retry_after.is_some()) << 1);
    out.push(flags);
    out.extend_from_slice(request_id.unwrap_or("").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(retry_after.unwrap_or("").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------------------------------
// fuzz_webhook
// ---------------------------------------------------------------------------------------

/// `fuzz_webhook`: `[now u64 (mod year 10000)][tolerance seconds u16]`, then the
/// secrets (comma-separated, at most 4) up to `\n`, the `X-SPAPS-Signature` header up
/// to `\n`, and the raw body. Verifies the fuzzed header, then checks that a body
/// signed by [`sign`] verifies (and gives what `WebhookEvent::parse` gives), that a
/// rotated header with a bad `v1` first still verifies, and that a tampered body, a
/// wrong secret and a time just outside the window are refused.
pub fn webhook(data: &[u8]) {
    let mut input = Input::new(data);
    let now_s = (input.u64() % (MAX_UNIX + 1)) as i64;
    let tolerance = Duration::from_secs(u64::from(input.u16()));
    let secrets_line = input.line();
    let header = String::from_utf8_lossy(input.line()).into_owned();
    let body = input.rest();
    let now = Timestamp::from_unix_seconds(now_s).unwrap_or(Timestamp::UNIX_EPOCH);
    let secrets: Vec<String> = if secrets_line.is_empty() {
        Vec::new()
    } else {
        secrets_line
            .split(|&b| b == b',')
            .take(4)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };

    // No verifier is built without a secret or with a blank one (anyone could sign).
    let blank = secrets.is_empty() || secrets.iter().any(|s| s.trim().is_empty());
    // Such inputs go on with a stand-in secret, so the header is still fuzzed.
    let secrets = match WebhookVerifier::with_secrets(secrets.clone()) {
        Ok(_) => {
            assert!(
                !blank,
                "a verifier was built with a blank secret: {secrets:?}"
            );
            secrets
        }
        Err(e) => {
            assert!(blank, "a verifier was refused for {secrets:?}: {e}");
            assert_eq!(e, WebhookError::EmptySecret);
            let _ = (e.kind(), e.to_string());
            vec!["whsec_fuzz".to_owned()]
        }
    };
    let verifier = WebhookVerifier::with_secrets(secrets.clone())
        .expect("non-blank secrets")
        .tolerance(tolerance);
    let result = verifier.verify(&header, body, now);
    let signature = verifier.verify_signature(&header, body, now);
    match (&result, &signature) {
        (Ok(event), Ok(())) => {
            let _ = (event.id(), event.event_type());
        }
        (Err(WebhookError::InvalidPayload(_)), Ok(())) => {}
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("verify and verify_signature disagree: {result:?} / {signature:?}"),
    }
    if let Err(e) = &result {
        let _ = (e.kind(), e.to_string());
    }

    // Sign, then verify.
    let secret = secrets[0].clone();
    let one = WebhookVerifier::new(secret.as_str())
        .expect("a non-blank secret")
        .tolerance(tolerance);
    let signed = sign(&secret, now_s, body);
    if let Err(e) = one.verify_signature(&signed, body, now) {
        panic!("a freshly signed body did not verify: {e:?} (header {signed:?})");
    }
    match (one.verify(&signed, body, now), WebhookEvent::parse(body)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("verify and parse disagree: {a:?} / {b:?}"),
    }
    let v1 = signed.split_once(",v1=").map_or("", |(_, v)| v);
    let rotated = format!("t={now_s},v1={},v1={v1}", "0".repeat(64));
    assert!(
        one.verify_signature(&rotated, body, now).is_ok(),
        "rotation"
    );
    assert!(
        verifier.verify_signature(&signed, body, now).is_ok(),
        "any secret"
    );

    let mut tampered = body.to_vec();
    tampered.push(b'x');
    assert_eq!(
        one.verify_signature(&signed, &tampered, now),
        Err(WebhookError::SignatureMismatch)
    );
    let wrong = WebhookVerifier::new(format!("{secret}x"))
        .expect("a non-blank secret")
        .tolerance(tolerance);
    assert_eq!(
        wrong.verify_signature(&signed, body, now),
        Err(WebhookError::SignatureMismatch)
    );
    let tol = tolerance.as_secs() as i64;
    if now_s - tol > 0 {
        let old = sign(&secret, now_s - tol, body);
        assert!(
            one.verify_signature(&old, body, now).is_ok(),
            "edge of the window"
        );
        let too_old = sign(&secret, now_s - tol - 1, body);
        assert!(matches!(
            one.verify_signature(&too_old, body, now),
            Err(WebhookError::TimestampOutOfTolerance { .. })
        ));
    }
}

/// Encodes a `fuzz_webhook` input.
pub fn encode_webhook_input(
    now: i64,
    tolerance_s: u16,
    secrets: &[String],
    header: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut out = (now.max(0) as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&tolerance_s.to_le_bytes());
    out.extend_from_slice(secrets.join(",").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(header.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------------------------------
// fuzz_retry
// ---------------------------------------------------------------------------------------

const METHODS: [&str; 8] = [
    "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH", "PURGE",
];

/// A duration from 8 fuzzed bytes: the low two bits pick milliseconds (below 10^8),
/// whole seconds (any), near `Duration::MAX`, or zero.
pub fn duration(x: u64) -> Duration {
    match x & 3 {
        0 => Duration::from_millis((x >> 2) % 100_000_000),
        1 => Duration::from_secs(x >> 2),
        2 => Duration::MAX.saturating_sub(Duration::from_secs(x >> 2)),
        _ => Duration::ZERO,
    }
}

/// `fuzz_retry`: `[method u8][flags u8][attempt u8][max attempts u8][base u64]`
/// `[max delay u64][max Retry-After u64][jitter sample f64 bits][status-100 u16]`
/// `[now u32]`, then a `Retry-After` text. Durations: see [`duration`]. Flags: `1`
/// idempotency key, `2` no jitter, `4` a transport failure (else the status).
///
/// Checks `parse_retry_after` against the text, `decide` and `backoff` against the
/// policy's caps, then drives a `GET /health` call with that policy, answered with the
/// status and the `Retry-After`, and checks every backoff it sleeps.
pub fn retry(data: &[u8]) {
    let mut input = Input::new(data);
    let method = Method::from_bytes(METHODS[usize::from(input.u8()) % METHODS.len()].as_bytes())
        .unwrap_or(Method::GET);
    let flags = input.u8();
    let attempt = u32::from(input.u8());
    let max_attempts = u32::from(input.u8());
    let base = duration(input.u64());
    let max_delay = duration(input.u64());
    let max_retry_after = duration(input.u64());
    let sample = f64::from_bits(input.u64());
    let status = StatusCode::from_u16(100 + input.u16() % 900).unwrap_or(StatusCode::OK);
    let now = Timestamp::from_unix_seconds(i64::from(input.u32())).unwrap_or(Timestamp::UNIX_EPOCH);
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    let key = flags & 1 != 0;

    // Retry-After.
    let wait = parse_retry_after(&text, now);
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.len() <= 64 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let secs = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(wait, Some(Duration::from_secs(secs)));
    }
    if trimmed.len() > 64 {
        assert_eq!(wait, None);
    }

    // The decision.
    let policy = RetryPolicy::default()
        .max_attempts(max_attempts)
        .base_delay(base)
        .max_delay(max_delay)
        .max_retry_after(max_retry_after)
        .jitter(flags & 2 == 0);
    assert!(policy.attempts() >= 1);
    let failure = if flags & 4 != 0 {
        Failure::Transport
    } else {
        Failure::Status(status, wait)
    };
    match decide(&policy, &method, key, failure, attempt, sample) {
        Decision::RetryAfter(delay) => {
            assert!(attempt < policy.attempts());
            assert!(policy.allows(&method, key));
            match failure {
                Failure::Status(s, Some(w)) => {
                    assert!(policy.retries_status(s));
                    assert_eq!(delay, w.min(max_retry_after));
                }
                Failure::Status(s, None) => {
                    assert!(policy.retries_status(s));
                    assert!(delay <= max_delay);
                }
                Failure::Transport => assert!(delay <= max_delay),
            }
        }
        Decision::GiveUp => {
            let retryable = match failure {
                Failure::Status(s, _) => policy.retries_status(s),
                Failure::Transport => true,
            };
            assert!(attempt >= policy.attempts() || !policy.allows(&method, key) || !retryable);
        }
    }
    let unjittered = policy.clone().jitter(false);
    let mut last = Duration::ZERO;
    for n in [0, 1, 2, 3, 4, 10, 31, 32, 33, 64, u32::MAX] {
        let d = policy.backoff(n, sample);
        assert!(d <= max_delay, "backoff {d:?} over the cap {max_delay:?}");
        let ceiling = unjittered.backoff(n, sample);
        assert!(
            ceiling <= max_delay,
            "backoff {ceiling:?} over the cap {max_delay:?}"
        );
        assert!(ceiling >= last, "the backoff went down at attempt {n}");
        last = ceiling;
    }
    assert!(policy.backoff(attempt + 1, sample) <= max_delay);

    // The same policy in a call.
    let policy = policy.max_attempts(max_attempts % 8);
    let mut driver = Driver::new(config(policy.clone()).with_retry_budget(1000));
    let mut chunk = encode_response(status.as_u16(), false, None, b"{}");
    if let Some(i) = STATUSES.iter().position(|&s| s == status.as_u16()) {
        chunk[0] = i as u8;
    }
    let retry_after = HeaderValue::from_str(&text).ok();
    let responses: Vec<&[u8]> = vec![chunk.as_slice(); 8];
    let call = driver
        .state_mut()
        .call(Health::new(), CallOptions::default());
    // Responses are decoded by the driver; put the Retry-After on by hand.
    let call = WithHeader {
        call,
        retry_after,
        status: StatusCode::from_u16(STATUSES[usize::from(chunk[0]) % STATUSES.len()])
            .unwrap_or(StatusCode::OK),
    };
    let _ = driver.run(call, &responses, 64);
    assert!(driver.trace.sends.len() as u32 <= policy.attempts());
    let cap = max_delay.max(max_retry_after);
    for (from, until) in &driver.trace.sleeps {
        assert!(
            *until - *from <= cap,
            "slept {:?}, over {cap:?}",
            *until - *from
        );
    }
}

/// Encodes a `fuzz_retry` input.
#[allow(clippy::too_many_arguments)]
pub fn encode_retry_input(
    method: usize,
    flags: u8,
    attempt: u8,
    max_attempts: u8,
    durations: [u64; 3],
    sample: f64,
    status: u16,
    now: u32,
    retry_after: &str,
) -> Vec<u8> {
    let mut out = vec![method as u8, flags, attempt, max_attempts];
    for d in durations {
        out.extend_from_slice(&d.to_le_bytes());
    }
    out.extend_from_slice(&sample.to_bits().to_le_bytes());
    out.extend_from_slice(&status.saturating_sub(100).to_le_bytes());
    out.extend_from_slice(&now.to_le_bytes());
    out.extend_from_slice(retry_after.as_bytes());
    out
}

/// A call whose responses get the status and `Retry-After` of the retry input.
struct WithHeader<M> {
    call: M,
    retry_after: Option<HeaderValue>,
    status: StatusCode,
}

impl<M: Machine> Machine for WithHeader<M> {
    type Output = M::Output;

    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<M::Output> {
        self.call.poll(now, state)
    }

    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        mut response: http::Response<Bytes>,
    ) {
        *response.status_mut() = self.status;
        if let Some(v) = &self.retry_after {
            response.headers_mut().insert(RETRY_AFTER, v.clone());
        }
        self.call.handle_response(now, state, response);
    }

    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError) {
        self.call.handle_error(now, state, error);
    }

    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<spaps_proto::StoreSnapshot, Error>,
    ) {
        self.call.handle_reload(now, state, reloaded);
    }

    fn abandon(&mut self, state: &mut ClientState) {
        self.call.abandon(state);
    }

    fn deadline(&self) -> Option<std::time::Instant> {
        self.call.deadline()
    }

    fn name(&self) -> &'static str {
        self.call.name()
    }

    fn describe(&self) -> Option<(&Method, &'static str)> {
        self.call.describe()
    }

    fn attempt(&self) -> u32 {
        self.call.attempt()
    }

    fn refreshing(&self) -> bool {
        self.call.refreshing()
    }
}

// ---------------------------------------------------------------------------------------
// fuzz_device
// ---------------------------------------------------------------------------------------

/// `fuzz_device`: `[mode u8][interval u64][lifetime u64]`, then responses (see
/// [`decode_response`]) joined by [`SEP`]. Mode `% 3`: `0` a `DevicePoll::new` with the
/// interval and lifetime in milliseconds; `1` a `DevicePoll::from_authorization` with
/// them in seconds (`mode & 4`: no interval sent); `2` a whole `DeviceLogin`, whose
/// first response answers the start (interval and lifetime then come from its body).
///
/// Runs the machine on virtual time and checks RFC 8628's rules: the first poll at
/// once, each later poll no sooner than the interval after the previous one (5 s more
/// after each `slow_down`), no poll and no wait past the device code's lifetime, a
/// `DeadlineReached` only when the next poll would fall past it, and an end.
pub fn device(data: &[u8]) {
    let mut input = Input::new(data);
    let mode = input.u8();
    let interval_raw = input.u64();
    let lifetime_raw = input.u64();
    let responses = split_responses(input.rest());
    let mut driver = Driver::new(config(RetryPolicy::default()));
    let max_steps = 4 * MAX_RESPONSES + 16;

    let (result, plan) = match mode % 3 {
        0 => {
            let interval = Duration::from_millis(interval_raw);
            let lifetime = Duration::from_millis(lifetime_raw);
            let poll = DevicePoll::new(Secret::from("dc_fuzz"), interval, lifetime)
                .started_at(driver.now());
            let plan = Plan::new(Duration::ZERO, interval, lifetime);
            (driver.run(poll, &responses, max_steps), Some(plan))
        }
        1 => {
            let interval = (mode & 4 == 0).then_some(interval_raw);
            let authorization: DeviceAuthorization = match serde_json::from_value(json!({
                "device_code": "dc_fuzz",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://example.com/device",
                "expires_in": lifetime_raw,
                "interval": interval,
            })) {
                Ok(a) => a,
                Err(e) => panic!("a device authorization: {e}"),
            };
            let plan = Plan::from_authorization(Duration::ZERO, &authorization);
            let poll = DevicePoll::from_authorization(&authorization).started_at(driver.now());
            (driver.run(poll, &responses, max_steps), Some(plan))
        }
        _ => {
            let login = DeviceLogin::new(
                driver.state().config(),
                StartDeviceFlow::default(),
                Box::new(|_: &DeviceAuthorization| {}),
            );
            let result = driver.run(login, &responses, max_steps);
            // The polls start when the start's answer is read, from what it says.
            let plan = driver.trace.fed.first().and_then(|(at, _, response)| {
                if !response.status().is_success() {
                    return None;
                }
                let authorization = StartDeviceFlow::default().parse(response).ok()?;
                Some(Plan::from_authorization(*at, &authorization))
            });
            (result, plan)
        }
    };
    let polls: Vec<Duration> = driver
        .trace
        .sends
        .iter()
        .filter(|(_, _, path)| path.ends_with("/api/cli/device/token"))
        .map(|(at, _, _)| *at)
        .collect();
    let Some(plan) = plan else {
        assert!(polls.is_empty(), "polled without a device code");
        return;
    };
    plan.check(&driver, &polls, &result);
}

/// Encodes a `fuzz_device` input.
pub fn encode_device_input(
    mode: u8,
    interval: u64,
    lifetime: u64,
    responses: &[Vec<u8>],
) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(&interval.to_le_bytes());
    out.extend_from_slice(&lifetime.to_le_bytes());
    out.extend_from_slice(&join_responses(responses));
    out
}

/// What the device-flow rules allow, for checking a run.
struct Plan {
    /// Virtual time the polling started at.
    start: Duration,
    interval: Duration,
    /// `start + lifetime`; `None` when past anything virtual time can reach.
    deadline: Option<Duration>,
}

impl Plan {
    fn new(start: Duration, interval: Duration, lifetime: Duration) -> Self {
        // `DevicePoll` keeps the interval within `MIN_INTERVAL..=MAX_WAIT` and at most
        // `MAX_WAIT` of the lifetime.
        let interval = interval.clamp(
            spaps_proto::device::MIN_INTERVAL,
            spaps_proto::device::MAX_WAIT,
        );
        let lifetime = lifetime.min(spaps_proto::device::MAX_WAIT);
        Self {
            start,
            interval,
            deadline: start.checked_add(lifetime),
        }
    }

    fn from_authorization(start: Duration, authorization: &DeviceAuthorization) -> Self {
        let interval = authorization
            .interval
            .map_or(spaps_proto::device::DEFAULT_INTERVAL, Duration::from_secs);
        Self::new(
            start,
            interval,
            Duration::from_secs(authorization.expires_in),
        )
    }

    fn check(
        &self,
        driver: &Driver,
        polls: &[Duration],
        result: &Result<spaps_proto::model::device_flow::DeviceTokens, Error>,
    ) {
        let token_responses: Vec<&http::Response<Bytes>> = driver
            .trace
            .fed
            .iter()
            .filter(|(_, path, _)| path.ends_with("/api/cli/device/token"))
            .map(|(_, _, r)| r)
            .collect();
        let mut interval = self.interval;
        for (i, &at) in polls.iter().enumerate() {
            if let Some(deadline) = self.deadline {
                assert!(
                    at <= deadline,
                    "poll {i} at {at:?}, past the deadline {deadline:?}"
                );
            }
            if i == 0 {
                assert_eq!(at, self.start, "the first poll is not at once");
            } else {
                let gap = at - polls[i - 1];
                assert!(
                    gap >= interval,
                    "poll {i} came {gap:?} after the last, the interval is {interval:?}"
                );
            }
            // What the answer to this poll does to the interval.
            if let Some(response) = token_responses.get(i) {
                if answer(response, driver) == PollAnswer::SlowDown {
                    interval = interval
                        .saturating_add(spaps_proto::device::SLOW_DOWN_STEP)
                        .min(spaps_proto::device::MAX_WAIT);
                }
            }
        }
        if let Some(deadline) = self.deadline {
            for (from, until) in &driver.trace.sleeps {
                if *from >= self.start {
                    assert!(
                        *until <= deadline,
                        "slept until {until:?}, past the deadline {deadline:?}"
                    );
                }
            }
        }
        if let Err(Error::DeviceFlow(spaps_proto::device::DeviceFlowError::DeadlineReached(_))) =
            result
        {
            let last = polls.last().copied().unwrap_or(self.start);
            if let Some(deadline) = self.deadline {
                assert!(
                    last.checked_add(interval).is_none_or(|next| next > deadline)
                        || driver.elapsed() >= deadline,
                    "gave up at {:?} although the next poll ({last:?} + {interval:?}) fits before {deadline:?}",
                    driver.elapsed()
                );
            } else {
                panic!("DeadlineReached without a reachable deadline");
            }
        }
    }
}

/// How the device machines classify a fuzzed poll response.
fn answer(response: &http::Response<Bytes>, driver: &Driver) -> PollAnswer {
    let status = response.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return PollAnswer::Other;
    }
    let error = api_error(
        "device_flow.request_token",
        status,
        response.headers(),
        response.body(),
        driver.now().wall,
    );
    classify(&Error::from(error))
}
