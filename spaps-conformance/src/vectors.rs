//! Webhook verification vectors through the core's verifier.

use std::time::Duration;

use spaps_proto::webhook::{WebhookError, WebhookVerifier};
use spaps_proto::Timestamp;

use crate::cassette::WebhookVector;
use crate::verify::Verdict;

/// Runs one vector: the verdict says whether the verifier did what it expects.
pub fn run_vector(vector: &WebhookVector) -> Verdict {
    let body = match vector.body_bytes() {
        Ok(b) => b,
        Err(e) => return Verdict::Fail(format!("bad vector body: {e}")),
    };
    let Some(now) = Timestamp::from_unix_seconds(vector.now) else {
        return Verdict::Fail(format!("bad vector time {}", vector.now));
    };
    // A vector with an empty secret expects the verifier itself to be refused.
    let mut verifier =
        match WebhookVerifier::with_secrets(vector.secrets.iter().map(String::as_str)) {
            Ok(verifier) => verifier,
            Err(e) => {
                return match &vector.expect.ok {
                    Some(_) => Verdict::Fail(format!("expected success, got {} ({e})", e.kind())),
                    None => check_kind(&vector.expect.error, &e),
                }
            }
        };
    if let Some(t) = vector.tolerance_s {
        verifier = verifier.tolerance(Duration::from_secs(t));
    }
    let result = verifier.verify(&vector.header, &body, now);
    match (&vector.expect.ok, result) {
        (Some(want), Ok(event)) => {
            if event.id() == want.id && event.event_type() == want.r#type {
                Verdict::Pass
            } else {
                Verdict::Fail(format!(
                    "got event {} {}, want {} {}",
                    event.id(),
                    event.event_type(),
                    want.id,
                    want.r#type
                ))
            }
        }
        (Some(_), Err(e)) => Verdict::Fail(format!("expected success, got {} ({e})", e.kind())),
        (None, Ok(event)) => Verdict::Fail(format!(
            "expected {:?}, got event {}",
            vector.expect.error,
            event.id()
        )),
        (None, Err(e)) => check_kind(&vector.expect.error, &e),
    }
}

fn check_kind(accepted: &[String], error: &WebhookError) -> Verdict {
    if accepted.iter().any(|k| k == error.kind()) {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("got {}, want one of {accepted:?}", error.kind()))
    }
}
