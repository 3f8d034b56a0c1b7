//! The webhook verify path allocates nothing: valid, mismatched, malformed and stale
//! signatures, with one secret and with several. Counted with an instrumented global
//! allocator; an allocation count, not a time. (The only test in this binary, so no
//! other test allocates while the count runs.)

use std::alloc::System;

use spaps_bench::fixtures;
use spaps_proto::webhook::{sign, WebhookVerifier};
use spaps_proto::Timestamp;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn verify_signature_allocates_nothing() {
    let t = 1_736_942_400;
    let now = Timestamp::from_unix_seconds(t).expect("in range");
    let later = Timestamp::from_unix_seconds(t + 3600).expect("in range");
    let one = WebhookVerifier::new("whsec_alloc").expect("a secret");
    let two = WebhookVerifier::with_secrets(["whsec_new", "whsec_alloc"]).expect("secrets");
    let bodies: Vec<Vec<u8>> = [256, 4096, 65536]
        .into_iter()
        .map(fixtures::webhook_body)
        .collect();
    let headers: Vec<String> = bodies.iter().map(|b| sign("whsec_alloc", t, b)).collect();
    let wrong = sign("whsec_other", t, &bodies[0]);
    let spaced = format!(" t = {t} , v1 = {} ", &headers[0][headers[0].len() - 64..]);
    let several = format!(
        "t={t},v1={},v1={}",
        &wrong[wrong.len() - 64..],
        &headers[0][headers[0].len() - 64..]
    );

    let region = Region::new(GLOBAL);
    for _ in 0..10 {
        for verifier in [&one, &two] {
            for (header, body) in headers.iter().zip(&bodies) {
                assert!(verifier.verify_signature(header, body, now).is_ok());
            }
            assert!(verifier.verify_signature(&spaced, &bodies[0], now).is_ok());
            assert!(verifier.verify_signature(&several, &bodies[0], now).is_ok());
            assert!(verifier.verify_signature(&wrong, &bodies[0], now).is_err());
            assert!(verifier
                .verify_signature(&headers[0], &bodies[1], now)
                .is_err());
            assert!(verifier
                .verify_signature(&headers[0], &bodies[0], later)
                .is_err());
            assert!(verifier.verify_signature("t=1", &bodies[0], now).is_err());
            assert!(verifier
                .verify_signature("garbage", &bodies[0], now)
                .is_err());
        }
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "the verify path allocated: {stats:?}"
    );
}
