//! Criterion benchmarks of the sans-IO core: the per-call overhead of building a
//! request and classifying its response, typed parsing against bare `serde_json`, and
//! webhook verification against a bare HMAC-SHA256.
//!
//! `cargo bench -p spaps-proto`. The goals and the latest numbers are in
//! `BENCHMARKS.md`; `spaps-bench` (in spaps-testkit) prints the same ratios in one run.
// `criterion_group!` defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::Sha256;
use spaps_bench::drive::{drive, simulator, Ping};
use spaps_proto::api::auth::SignInWithPassword;
use spaps_proto::api::payments::ListProducts;
use spaps_proto::api::sessions::{GetCurrentSession, ListSessions};
use spaps_proto::model::auth::TokenPair;
use spaps_proto::model::payments::ProductList;
use spaps_proto::model::sessions::{SessionList, SessionSummary};
use spaps_proto::webhook::{sign, WebhookVerifier};
use spaps_proto::{ClientState, Config, Endpoint, Timestamp, Tokens};

fn state() -> ClientState {
    let config = Config::new("https://api.example.com")
        .expect("valid URL")
        .with_api_key("spaps_live_4f9a1c2e7b3d5a6f");
    let mut state = ClientState::new(config, 7);
    state.load_tokens(Some(Tokens::new(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEiLCJleHAiOjE3MzY5NDYwMDB9.c2lnbmF0dXJl",
    )));
    state
}

fn core_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("core");
    let mut st = simulator(state());
    group.bench_function("call_204", |b| {
        b.iter(|| {
            drive(&mut st, Ping, &|| {
                let mut r = http::Response::new(Bytes::new());
                *r.status_mut() = http::StatusCode::NO_CONTENT;
                r
            })
        })
    });
    let small = Bytes::from_static(br#"{"success":true,"data":{}}"#);
    group.bench_function("call_200_small", |b| {
        b.iter(|| drive(&mut st, Ping, &|| http::Response::new(small.clone())))
    });
    group.finish();
}

// The bare side decodes into the same models; its fields are only read by serde.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Env<T> {
    data: T,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct SessionData {
    session: SessionSummary,
}

fn parse_pair<E, M>(c: &mut Criterion, name: &str, endpoint: E, body: Vec<u8>)
where
    E: Endpoint,
    M: DeserializeOwned,
{
    let mut group = c.benchmark_group(format!("parse/{name}"));
    group.throughput(Throughput::Bytes(body.len() as u64));
    let response = http::Response::new(Bytes::from(body.clone()));
    endpoint.parse(&response).expect("the fixture parses");
    serde_json::from_slice::<M>(&body).expect("the fixture parses bare");
    group.bench_function("sdk", |b| b.iter(|| endpoint.parse(black_box(&response))));
    group.bench_function("bare_serde_json", |b| {
        b.iter(|| serde_json::from_slice::<M>(black_box(&body)))
    });
    // What the SDK's one-pass decode does: check UTF-8 once, then read from `&str`
    // (which spares serde_json a UTF-8 check per decoded string).
    group.bench_function("bare_serde_json_from_str", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&body)).expect("UTF-8");
            serde_json::from_str::<M>(text)
        })
    });
    group.finish();
}

fn typed_parse(c: &mut Criterion) {
    parse_pair::<_, Env<TokenPair>>(
        c,
        "sign_in",
        SignInWithPassword::new("ada@example.com", "correct horse"),
        fixtures::sign_in(),
    );
    parse_pair::<_, Env<SessionData>>(
        c,
        "current_session",
        GetCurrentSession::new(),
        fixtures::current_session(),
    );
    parse_pair::<_, Env<ProductList>>(
        c,
        "product_list",
        ListProducts::default(),
        fixtures::product_list(),
    );
    parse_pair::<_, Env<SessionList>>(
        c,
        "sessions_100",
        ListSessions::default(),
        fixtures::session_list(100),
    );
}

fn webhook(c: &mut Criterion) {
    const SECRET: &str = "whsec_5d1e9b0a4f2c77c3a0";
    let t = 1_736_942_400;
    let now = Timestamp::from_unix_seconds(t).expect("in range");
    let verifier = WebhookVerifier::new(SECRET).expect("a non-empty secret");
    let mut group = c.benchmark_group("webhook");
    for size in [256usize, 4 << 10, 64 << 10, 1 << 20] {
        let body = fixtures::webhook_body(size);
        assert_eq!(body.len(), size);
        let header = sign(SECRET, t, &body);
        let expected = fixtures::hex32(&header[header.len() - 64..]);
        let t_text = t.to_string();
        verifier
            .verify_signature(&header, &body, now)
            .expect("the signature verifies");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("sdk", size), &body, |b, body| {
            b.iter(|| verifier.verify_signature(black_box(&header), black_box(body), now))
        });
        group.bench_with_input(BenchmarkId::new("bare_hmac", size), &body, |b, body| {
            b.iter(|| {
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
                mac.update(t_text.as_bytes());
                mac.update(b".");
                mac.update(black_box(body));
                mac.verify_slice(&expected)
            })
        });
    }
    group.finish();
}

use spaps_bench::fixtures;

criterion_group!(benches, core_overhead, typed_parse, webhook);
criterion_main!(benches);
