//! The endpoints where the reference client returns the server's dict as it is (U7, U8
//! and "raw dict" in its tables): their typed models must keep every field they do not
//! name, at every level the reference would hand back. One test per endpoint: a body
//! with an unknown field at each level must come out of the model (serialized again)
//! with every one of its fields, at the same place: through the core's parser, and
//! through both clients against a loopback server answering with that body.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use spaps_proto::api::{visit, Visitor};
use spaps_proto::{CallOptions, Endpoint, Execute, MemoryTokenStore, RetryPolicy, Tokens};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

/// How the body was read.
#[derive(Clone, Copy, Debug)]
enum Via {
    Core,
    Blocking,
    Tokio,
}

/// Parses `body` with the endpoint named `name` (built from `args`) by each way in
/// turn, and serializes each output back to JSON.
fn round_trip(name: &str, args: Value, body: &Value) -> Vec<(Via, Value)> {
    struct Parse<'a> {
        args: Value,
        body: &'a Value,
        via: Via,
    }
    impl Visitor for Parse<'_> {
        type Out = Value;
        fn visit<E>(self) -> Value
        where
            E: Endpoint + DeserializeOwned,
            E::Output: Serialize,
        {
            let endpoint: E = serde_json::from_value(self.args).expect("the arguments fit");
            let output = match self.via {
                Via::Core => {
                    let response = http::Response::new(Bytes::from(self.body.to_string()));
                    endpoint.parse(&response).expect("the body decodes")
                }
                Via::Blocking | Via::Tokio => {
                    let body = self.body.clone();
                    let server =
                        MockServer::start(move |_req: &ObservedRequest| Reply::json(200, &body))
                            .expect("the server starts");
                    // The same settings on either client's builder.
                    macro_rules! client {
                        ($krate:ident) => {
                            $krate::Client::builder()
                                .base_url(&server.url())
                                .api_key("k")
                                .retry(RetryPolicy::disabled())
                                .token_store(MemoryTokenStore::with_tokens(Tokens::new("at_1")))
                                .build()
                                .expect("the client builds")
                        };
                    }
                    if let Via::Blocking = self.via {
                        client!(spaps_blocking)
                            .execute(endpoint, CallOptions::default())
                            .expect("the call succeeds")
                    } else {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("a runtime")
                            .block_on(
                                client!(spaps_tokio).execute(endpoint, CallOptions::default()),
                            )
                            .expect("the call succeeds")
                    }
                }
            };
            serde_json::to_value(output).expect("outputs serialize")
        }
    }
    [Via::Core, Via::Blocking, Via::Tokio]
        .into_iter()
        .map(|via| {
            let parse = Parse {
                args: args.clone(),
                body,
                via,
            };
            let out = visit(name, parse).unwrap_or_else(|| panic!("no endpoint {name}"));
            (via, out)
        })
        .collect()
}

/// Fails unless every field of `sent` is in `kept` at the same path with the same value.
fn assert_kept(sent: &Value, kept: &Value, path: &str) {
    match (sent, kept) {
        (Value::Object(sent), Value::Object(kept)) => {
            for (key, value) in sent {
                let at = format!("{path}.{key}");
                let Some(found) = kept.get(key) else {
                    panic!("`{at}` was dropped; the model kept {kept:?}");
                };
                assert_kept(value, found, &at);
            }
        }
        (Value::Array(sent), Value::Array(kept)) => {
            assert_eq!(sent.len(), kept.len(), "`{path}` lost items");
            for (i, (s, k)) in sent.iter().zip(kept).enumerate() {
                assert_kept(s, k, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(sent, kept, "`{path}` changed"),
    }
}

/// One test per raw-dict endpoint: `data` is what the reference returns (after its
/// `data` unwrapping, when it unwraps), sent in the usual envelope unless `bare`.
macro_rules! raw_dict {
    ($test:ident, $name:literal, $args:expr, $data:expr) => {
        raw_dict!($test, $name, $args, $data, enveloped);
    };
    ($test:ident, $name:literal, $args:expr, $data:expr, $shape:ident) => {
        #[test]
        fn $test() {
            let data: Value = $data;
            let body = raw_dict!(@body $shape, data);
            for (via, kept) in round_trip($name, $args, &body) {
                assert_kept(&data, &kept, &format!("{via:?}: data"));
            }
        }
    };
    (@body enveloped, $data:ident) => {
        json!({"success": true, "data": $data.clone(), "metadata": {"request_id": "req_1"}})
    };
    (@body bare, $data:ident) => {
        $data.clone()
    };
}

raw_dict!(
    create_authenticated_checkout_session,
    "payments.create_authenticated_checkout_session",
    json!({"line_items": [{"price_id": "price_1", "quantity": 1}],
           "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
    json!({"id": "cs_1", "url": "https://checkout.example/cs_1", "mode": "payment",
           "expires_at": "2025-01-15T12:00:00Z", "x_top": {"nested": [1, 2]},
           "livemode": false})
);

raw_dict!(
    archive_product,
    "payments.archive_product",
    json!({"product_id": "prod_1"}),
    json!({"id": "prod_1", "active": false, "archived": true, "x_top": "kept",
           "object": "product"})
);

raw_dict!(
    archive_price,
    "payments.archive_price",
    json!({"price_id": "price_1"}),
    json!({"id": "price_1", "active": false, "x_top": {"why": "replaced"}})
);

raw_dict!(
    create_price_and_set_default,
    "payments.create_price_and_set_default",
    json!({"product_id": "prod_1", "unit_amount": 1900, "currency": "usd"}),
    json!({
        "price": {"id": "price_2", "unit_amount": 1900, "currency": "usd",
                  "type": "recurring", "recurring": {"interval": "month", "x_rec": 1},
                  "nickname": "Monthly", "active": true, "x_price": "kept",
                  "lookup_key": "monthly"},
        "product_id": "prod_1", "previous_price_id": "price_1",
        "x_top": true, "deactivated": ["price_1"]
    })
);

raw_dict!(
    get_override,
    "email.get_override",
    json!({"template_key": "welcome"}),
    json!({"template_key": "welcome", "subject_override": "Hi", "body_override": "<p>Hi</p>",
           "updated_at": "2025-01-15T12:00:00Z", "x_top": {"a": 1}, "enabled": true})
);

raw_dict!(
    create_or_update_override,
    "email.create_or_update_override",
    json!({"template_key": "welcome", "subject_override": "Hi"}),
    json!({"template_key": "welcome", "subject_override": "Hi", "x_top": [1], "version": 3})
);

raw_dict!(
    delete_override,
    "email.delete_override",
    json!({"template_key": "welcome"}),
    json!({"deleted": true, "x_top": "kept", "removed": 1})
);

raw_dict!(
    list_email_logs,
    "email.list_email_logs",
    json!({}),
    json!({
        "logs": [{"id": "log_1", "template_key": "welcome", "to": "ada@example.com",
                  "status": "sent", "created_at": "2025-01-15T12:00:00Z",
                  "x_log": {"opened": 2}}],
        "total": 1, "limit": 50, "offset": 0, "x_top": "kept"
    })
);

raw_dict!(
    get_availability,
    "dayrate.get_availability",
    json!({}),
    json!({"timezone": "America/New_York",
           "slots": [{"date": "2025-01-20", "slot": "morning", "available": true,
                      "remaining": 2, "x_slot": "kept"}],
           "x_top": {"a": [1]}})
);

raw_dict!(
    get_allotment,
    "dayrate.get_allotment",
    json!({"policy_key": "p1"}),
    json!({"policyKey": "p1", "entitled": true,
           "allotment": {"total": 4, "used": 1, "remaining": 3, "x_counts": "kept"},
           "x_top": 1})
);

raw_dict!(
    create_booking,
    "dayrate.create_booking",
    json!({"date": "2025-01-20", "slot": "morning", "client_email": "ada@example.com",
           "client_name": "Ada", "success_url": "https://a.example/ok",
           "cancel_url": "https://a.example/no"}),
    json!({"bookingId": "bk_1", "status": "pending_payment",
           "checkoutUrl": "https://checkout.example/bk_1", "isFree": false,
           "x_top": {"deep": {"deeper": true}}})
);

raw_dict!(
    cancel_booking,
    "dayrate.cancel_booking",
    json!({"booking_id": "bk_1"}),
    json!({"bookingId": "bk_1", "status": "cancelled",
           "refund": {"status": "pending", "x_refund": 12}, "x_top": "kept"})
);

raw_dict!(
    get_admin_bookings,
    "dayrate.get_admin_bookings",
    json!({}),
    json!({"bookings": [{"id": "bk_1", "date": "2025-01-20", "slot": "morning",
                         "status": "confirmed", "clientEmail": "ada@example.com",
                         "isFree": true, "x_booking": [1, 2]}],
           "total": 1, "x_top": "kept"})
);

raw_dict!(
    get_metrics_json,
    "metrics.get_metrics_json",
    json!({}),
    json!({"timestamp": "2025-01-15T12:00:00Z", "uptime_seconds": 12.5, "version": "1.2.3",
           "requests": {"total": 10, "x_requests": {"by_status": {"200": 9}}},
           "x_top": true}),
    bare
);

raw_dict!(
    metrics_json_enveloped,
    "metrics.get_metrics_json",
    json!({}),
    json!({"success": true, "data": {"uptime_seconds": 1.0, "x_inner": 1}, "x_top": 2}),
    bare
);

raw_dict!(
    health,
    "metrics.health",
    json!({}),
    json!({"status": "ok", "timestamp": "2025-01-15T12:00:00Z", "version": "1.2.3",
           "x_top": {"region": "eu"}}),
    bare
);

raw_dict!(
    readiness,
    "metrics.readiness",
    json!({}),
    json!({"status": "ready", "ready": true,
           "checks": {"database": "ok", "x_check": {"latency_ms": 3}}, "x_top": [true]}),
    bare
);
