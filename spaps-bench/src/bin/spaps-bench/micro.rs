//! In-process comparisons: the core's per-call overhead, typed parsing and webhook
//! verification, each against its bare baseline, interleaved.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use spaps_proto::api::auth::SignInWithPassword;
use spaps_proto::api::payments::ListProducts;
use spaps_proto::api::sessions::{GetCurrentSession, ListSessions};
use spaps_proto::model::auth::TokenPair;
use spaps_proto::model::payments::ProductList;
use spaps_proto::model::sessions::SessionList;
use spaps_proto::webhook::{sign, WebhookVerifier};
use spaps_proto::{CallOptions, ClientState, Config, Endpoint, Now, Timestamp};

use super::*;
use crate::report::Report;

/// Nanoseconds per call of `f`, over `iters` calls.
fn per_op<F: FnMut()>(f: &mut F, iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// How many calls of `f` fill about `slice`.
fn calibrate<F: FnMut()>(f: &mut F, slice: Duration) -> u64 {
    let mut iters = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        let took = start.elapsed();
        if took >= slice / 8 || iters >= 1 << 30 {
            let per = took.as_nanos().max(1) as f64 / iters as f64;
            return ((slice.as_nanos() as f64 / per) as u64).max(1);
        }
        iters *= 2;
    }
}

/// The per-round ns/op of `a` and `b`, interleaved (the order alternates by round).
pub(crate) fn pair<A: FnMut(), B: FnMut()>(
    (slice, rounds): &(Duration, usize),
    mut a: A,
    mut b: B,
) -> (Vec<f64>, Vec<f64>) {
    let ia = calibrate(&mut a, *slice);
    let ib = calibrate(&mut b, *slice);
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for round in 0..*rounds {
        if round % 2 == 0 {
            ra.push(per_op(&mut a, ia));
            rb.push(per_op(&mut b, ib));
        } else {
            rb.push(per_op(&mut b, ib));
            ra.push(per_op(&mut a, ia));
        }
    }
    (ra, rb)
}

fn ratio_of(a: &[f64], b: &[f64]) -> f64 {
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    median(&mut r)
}

use spaps_bench::drive::{drive, simulator, Ping};

pub(crate) fn core_overhead(plan: &(Duration, usize), report: &mut Report) {
    let config = Config::new("https://api.example.com")
        .expect("valid URL")
        .with_api_key(API_KEY);
    let mut state = ClientState::new(config, 7);
    state.load_tokens(Some(Tokens::new(TOKEN)));
    let no_content = || {
        let mut r = http::Response::new(Bytes::new());
        *r.status_mut() = http::StatusCode::NO_CONTENT;
        r
    };
    let small = Bytes::from_static(br#"{"success":true,"data":{}}"#);
    let ok_small = || http::Response::new(small.clone());
    // Both sides are the core; `pair` just interleaves them.
    let mut s2 = ClientState::new(state.config().clone(), 7);
    s2.load_tokens(Some(Tokens::new(TOKEN)));
    let (mut state, mut s2) = (simulator(state), simulator(s2));
    let (mut a, mut b) = pair(
        plan,
        || {
            black_box(drive(&mut state, Ping, &no_content)).expect("ping");
        },
        || {
            black_box(drive(&mut s2, Ping, &ok_small)).expect("ping");
        },
    );
    let (n204, n200) = (median(&mut a), median(&mut b));
    println!(
        "# core: one call (build, poll, Send, handle_response, Done): {n204:.0} ns with a 204, {n200:.0} ns with a small 200"
    );
    // The absolute figure is a detail; the gate is `core_vs_minimum`, a ratio.
    println!("# core_overhead_us {:.3}", n204.max(n200) / 1000.0);
    let _ = report;
}

/// The core's whole share of one `get_current_session` (request spec, URL, headers,
/// token, state machine, the 200 decoded into `SessionSummary`) against a hand-written
/// minimum doing the same work in the same process: an `http::Request` built with
/// the same method, URI, headers and (empty) body, and the same response body
/// decoded by `serde_json` into the same model.
pub(crate) fn core_vs_minimum(plan: &(Duration, usize), report: &mut Report) {
    const BASE: &str = "https://api.example.com";
    let config = Config::new(BASE).expect("valid URL").with_api_key(API_KEY);
    let mut state = ClientState::new(config, 7);
    state.load_tokens(Some(Tokens::new(TOKEN)));
    let body = Bytes::from_static(BODY.as_bytes());
    let ok = || {
        let mut r = http::Response::new(body.clone());
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        r
    };
    // What the core sends, to give the minimum the same request.
    let mut seen = None;
    let mut state = simulator(state);
    state
        .call(
            GetCurrentSession::new(),
            CallOptions::default(),
            &mut |request: http::Request<Bytes>, _: Now| {
                seen = Some(request.map(|_| ()));
                Ok(ok())
            },
        )
        .expect("a lone call")
        .expect("the core decodes the body");
    let seen = seen.expect("the core sends the request");
    let uri = seen.uri().to_string();
    let method = seen.method().clone();
    let headers: Vec<(http::HeaderName, String)> = seen
        .headers()
        .iter()
        .map(|(n, v)| (n.clone(), v.to_str().expect("ASCII header").to_owned()))
        .collect();
    let token = TOKEN.to_owned();
    let minimum = || -> Result<Env<SessionData>, BoxError> {
        let mut builder = http::Request::builder().method(method.clone()).uri(&uri);
        for (name, value) in &headers {
            builder = if name == http::header::AUTHORIZATION {
                builder.header(name, format!("Bearer {token}"))
            } else {
                builder.header(name, value.as_str())
            };
        }
        black_box(builder.body(Bytes::new())?);
        let response = ok();
        Ok(serde_json::from_slice(response.body())?)
    };
    minimum().expect("the minimum decodes the body");
    drive(&mut state, GetCurrentSession::new(), &ok).expect("the core decodes the body");
    let (a, b) = pair(
        plan,
        || {
            black_box(drive(&mut state, GetCurrentSession::new(), &ok)).expect("session");
        },
        || {
            black_box(minimum()).expect("session");
        },
    );
    let (ma, mb) = (median(&mut a.clone()), median(&mut b.clone()));
    println!(
        "# core: one get_current_session (request built with {} headers, {} B response decoded): core {:.0} ns, hand-written minimum {:.0} ns",
        headers.len(),
        BODY.len(),
        ma,
        mb
    );
    report.ratio("core_vs_minimum", ratio_of(&a, &b), 1.25, true);
}

fn parse_one<E: Endpoint, M: DeserializeOwned>(
    plan: &(Duration, usize),
    report: &mut Report,
    name: &str,
    endpoint: E,
    body: Vec<u8>,
) {
    let response = http::Response::new(Bytes::from(body.clone()));
    endpoint
        .parse(&response)
        .map(drop)
        .expect("the fixture parses");
    serde_json::from_slice::<M>(&body)
        .map(drop)
        .expect("the fixture parses bare");
    let (a, b) = pair(
        plan,
        || {
            black_box(endpoint.parse(black_box(&response)))
                .map(drop)
                .ok();
        },
        || {
            black_box(serde_json::from_slice::<M>(black_box(&body)))
                .map(drop)
                .ok();
        },
    );
    let (ma, mb) = (median(&mut a.clone()), median(&mut b.clone()));
    println!(
        "# parse {name} ({} B): sdk {:.2} us, bare serde_json {:.2} us",
        body.len(),
        ma / 1000.0,
        mb / 1000.0
    );
    report.ratio(&format!("parse_{name}"), ratio_of(&a, &b), 1.1, true);
}

pub(crate) fn typed_parse(plan: &(Duration, usize), report: &mut Report) {
    parse_one::<_, Env<TokenPair>>(
        plan,
        report,
        "sign_in",
        SignInWithPassword::new("ada@example.com", "correct horse"),
        fixtures::sign_in(),
    );
    parse_one::<_, Env<SessionData>>(
        plan,
        report,
        "current_session",
        GetCurrentSession::new(),
        fixtures::current_session(),
    );
    parse_one::<_, Env<ProductList>>(
        plan,
        report,
        "product_list",
        ListProducts::default(),
        fixtures::product_list(),
    );
    parse_one::<_, Env<SessionList>>(
        plan,
        report,
        "sessions_100",
        ListSessions::default(),
        fixtures::session_list(100),
    );
}

pub(crate) fn webhook(plan: &(Duration, usize), report: &mut Report) {
    const SECRET: &str = "whsec_5d1e9b0a4f2c77c3a0";
    let t = 1_736_942_400;
    let now = Timestamp::from_unix_seconds(t).expect("in range");
    let verifier = WebhookVerifier::new(SECRET).expect("a non-empty secret");
    let t_text = t.to_string();
    for (size, label) in [
        (256usize, "256B"),
        (4 << 10, "4KiB"),
        (64 << 10, "64KiB"),
        (1 << 20, "1MiB"),
    ] {
        let body = fixtures::webhook_body(size);
        let header = sign(SECRET, t, &body);
        let expected = fixtures::hex32(&header[header.len() - 64..]);
        verifier
            .verify_signature(&header, &body, now)
            .expect("the signature verifies");
        let (a, b) = pair(
            plan,
            || {
                black_box(verifier.verify_signature(black_box(&header), black_box(&body), now))
                    .expect("verifies");
            },
            || {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
                mac.update(t_text.as_bytes());
                mac.update(b".");
                mac.update(black_box(&body));
                black_box(mac.verify_slice(&expected)).expect("verifies");
            },
        );
        let (ma, mb) = (median(&mut a.clone()), median(&mut b.clone()));
        println!(
            "# webhook {label}: verify_signature {:.2} us, bare HMAC-SHA256 {:.2} us",
            ma / 1000.0,
            mb / 1000.0
        );
        let goal = if size <= 512 { 1.3 } else { 1.05 };
        report.ratio(&format!("webhook_{label}"), ratio_of(&a, &b), goal, true);
    }
}

use super::fixtures;
