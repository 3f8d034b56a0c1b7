//! `fuzz_webhook`: verifying a webhook's signature and reading its event.

use std::time::Duration;

use spaps_proto::webhook::{sign, WebhookError, WebhookEvent, WebhookVerifier};
use spaps_proto::Timestamp;

use crate::input::Input;

/// The largest Unix time the webhook target uses (9999-12-31T23:59:59Z).
const MAX_UNIX: u64 = 253_402_300_799;

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
