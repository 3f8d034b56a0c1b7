//! Signing helpers for your own webhook tests: build a body, sign it as SPAPS does,
//! and feed both to the handler under test.
//!
//! ```
//! use spaps_proto::webhook::WebhookVerifier;
//! use spaps_proto::Timestamp;
//! use spaps_testkit::webhooks::{entitlement_event, signed_header};
//!
//! let now = Timestamp::from_unix_seconds(1_736_942_400).unwrap();
//! let body = entitlement_event("entitlement.granted", "evt_1", "ent_1", "pro_plan", now);
//! let header = signed_header("whsec_test", &body, now);
//! let event = WebhookVerifier::new("whsec_test").unwrap().verify(&header, &body, now).unwrap();
//! assert_eq!(event.event_type(), "entitlement.granted");
//! ```

use serde_json::json;
use spaps_proto::Timestamp;

pub use spaps_proto::webhook::{sign, SIGNATURE_HEADER};

/// The `X-SPAPS-Signature` value for `body`, signed with `secret` at `now`.
pub fn signed_header(secret: &str, body: &[u8], now: Timestamp) -> String {
    sign(secret, now.unix_seconds(), body)
}

/// A compact JSON body of an `entitlement.*` event.
pub fn entitlement_event(
    event_type: &str,
    id: &str,
    entitlement_id: &str,
    entitlement_key: &str,
    at: Timestamp,
) -> Vec<u8> {
    let body = json!({
        "id": id,
        "type": event_type,
        "schema_version": 1,
        "application_id": "app_test",
        "created_at": at.to_rfc3339(),
        "data": {
            "entitlement_id": entitlement_id,
            "user_id": "user_test",
            "email": "user@example.com",
            "entitlement_key": entitlement_key,
            "source": "stripe",
            "starts_at": at.to_rfc3339(),
            "ends_at": null,
            "metadata": {}
        }
    });
    serde_json::to_vec(&body).unwrap_or_default()
}
