//! Receive SPAPS webhooks with nothing but std: verify the signature over the raw body,
//! then act on the event: `cargo run -p spaps-examples --example webhook_receiver`.
//!
//! [`Receiver::handle`] is the part a web service copies into its webhook route, with
//! any framework: pass it the request's headers and its body bytes exactly as received,
//! and answer with the status and text it returns. `main` plays SPAPS: it signs a few
//! deliveries with `spaps_testkit::webhooks` (test helpers, not needed in production) and
//! feeds them to the receiver, a tampered one and a stale one among them.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use spaps_blocking::webhook::{WebhookError, WebhookEvent, WebhookVerifier, SIGNATURE_HEADER};
use spaps_blocking::Timestamp;
use spaps_testkit::webhooks::{entitlement_event, signed_header};

/// A webhook endpoint: the verifier, and the events already handled.
struct Receiver {
    verifier: WebhookVerifier,
    /// SPAPS delivers at least once, so the same event can arrive twice. Keep the ids
    /// of handled events (in your database, next to the effect) and skip repeats.
    handled: Mutex<HashSet<String>>,
}

impl Receiver {
    /// A receiver accepting signatures made with any of `secrets`: during a rotation,
    /// the new secret and the old one. Fails on an empty secret, under which anyone
    /// could sign.
    fn new(secrets: [&str; 2]) -> Result<Receiver, WebhookError> {
        Ok(Receiver {
            verifier: WebhookVerifier::with_secrets(secrets)?,
            handled: Mutex::new(HashSet::new()),
        })
    }

    /// Handles one delivery: `headers` as received (names in any case), `raw_body` the
    /// exact bytes received. Verify before parsing, and never re-serialize the JSON: the
    /// signature covers the bytes. Returns the status and text to answer with: 2xx tells
    /// SPAPS the delivery is done, anything else makes it retry later.
    fn handle(&self, headers: &[(&str, &str)], raw_body: &[u8]) -> (u16, String) {
        let signature = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SIGNATURE_HEADER))
            .map(|(_, value)| *value)
            .unwrap_or_default();
        let now = Timestamp::from_system_time(SystemTime::now());
        let event = match self.verifier.verify(signature, raw_body, now) {
            Ok(event) => event,
            // Authentic, but not an event this SDK can read: log it for a human.
            Err(WebhookError::InvalidPayload(reason)) => {
                log(&format!("unreadable webhook payload: {reason}"));
                return (400, "unreadable event".to_owned());
            }
            // Missing or malformed header, wrong MAC, or a time outside the 5-minute
            // window (a replay): the details go to the log, never to the caller.
            Err(e) => {
                log(&format!("webhook rejected ({}): {e}", e.kind()));
                return (400, "invalid signature".to_owned());
            }
        };

        let mut handled = self.handled.lock().unwrap_or_else(PoisonError::into_inner);
        if handled.contains(event.id()) {
            return (200, format!("{} already handled", event.id()));
        }
        let text = match &event {
            WebhookEvent::EntitlementGranted(e) | WebhookEvent::EntitlementRenewed(e) => {
                let until = e
                    .data
                    .ends_at
                    .map_or_else(|| "for good".to_owned(), |end| format!("until {end}"));
                format!(
                    "{}: give {} {} {until}",
                    e.event_type,
                    who(e.data.user_id.as_deref(), e.data.email.as_deref()),
                    e.data.entitlement_key
                )
            }
            WebhookEvent::EntitlementUpdated(e) | WebhookEvent::EntitlementClaimed(e) => {
                format!(
                    "{}: refresh {} of {}",
                    e.event_type,
                    e.data.entitlement_key,
                    who(e.data.user_id.as_deref(), e.data.email.as_deref())
                )
            }
            WebhookEvent::EntitlementExpired(e) | WebhookEvent::EntitlementRevoked(e) => {
                format!(
                    "{}: take {} from {}",
                    e.event_type,
                    e.data.entitlement_key,
                    who(e.data.user_id.as_deref(), e.data.email.as_deref())
                )
            }
            // Acknowledge the types this code does not handle (2xx), or SPAPS would keep
            // redelivering them.
            WebhookEvent::Other(e) => format!("{}: not handled here, acknowledged", e.event_type),
            other => format!("{}: not handled here, acknowledged", other.event_type()),
        };
        // Record the id once the effect is done (in the same transaction, for real).
        handled.insert(event.id().to_owned());
        (200, text)
    }
}

fn who(user_id: Option<&str>, email: Option<&str>) -> String {
    match (user_id, email) {
        (Some(id), _) => id.to_owned(),
        (None, Some(email)) => email.to_owned(),
        (None, None) => "nobody known".to_owned(),
    }
}

fn log(line: &str) {
    println!("    log: {line}");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The secrets come from your configuration; both work while SPAPS rotates to the
    // new one.
    const NEW: &str = "whsec_example_new";
    const OLD: &str = "whsec_example_old";
    let receiver = Receiver::new([NEW, OLD])?;

    // What SPAPS would send.
    let now = Timestamp::from_system_time(SystemTime::now());
    let an_hour_ago =
        Timestamp::from_unix_seconds(now.unix_seconds() - 3600).ok_or("clock out of range")?;
    let granted = entitlement_event("entitlement.granted", "evt_1", "ent_1", "pro_plan", now);
    let renewed = entitlement_event("entitlement.renewed", "evt_2", "ent_1", "pro_plan", now);
    let revoked = entitlement_event("entitlement.revoked", "evt_3", "ent_2", "beta", now);
    let other = serde_json::to_vec(&serde_json::json!({
        "id": "evt_4", "type": "invoice.paid", "schema_version": 1,
        "application_id": "app_test", "created_at": now.to_rfc3339(),
        "data": {"invoice_id": "in_1"}
    }))?;
    let tampered = String::from_utf8(granted.clone())?
        .replace("pro_plan", "team_plan")
        .into_bytes();
    let replayed = entitlement_event("entitlement.granted", "evt_5", "ent_3", "pro_plan", now);
    let intruder = entitlement_event("entitlement.granted", "evt_6", "ent_4", "pro_plan", now);

    // (what, signature header, body, the status SPAPS should get)
    let sign = |secret: &str, body: &[u8], at| Some(signed_header(secret, body, at));
    #[rustfmt::skip]
    let deliveries = [
        ("granted, new secret", sign(NEW, &granted, now), &granted, 200),
        ("renewed, old secret", sign(OLD, &renewed, now), &renewed, 200),
        ("revoked", sign(NEW, &revoked, now), &revoked, 200),
        ("granted again", sign(NEW, &granted, now), &granted, 200),
        ("unknown type", sign(NEW, &other, now), &other, 200),
        ("tampered body", sign(NEW, &granted, now), &tampered, 400),
        ("stale (1 h old)", sign(NEW, &replayed, an_hour_ago), &replayed, 400),
        ("unknown secret", sign("whsec_guess", &intruder, now), &intruder, 400),
        ("no signature", None, &granted, 400),
    ];
    let mut surprises = 0;
    for (what, signature, body, expected) in deliveries {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(signature) = &signature {
            headers.push(("X-SPAPS-Signature", signature.as_str()));
        }
        println!("{what}");
        let (status, text) = receiver.handle(&headers, body);
        println!("    -> {status} {text}");
        if status != expected {
            surprises += 1;
            println!("    (expected {expected})");
        }
    }
    if surprises > 0 {
        return Err(format!("{surprises} delivery(ies) got an unexpected status").into());
    }
    Ok(())
}
