//! The mock's own controls over HTTP, under `/__mock/` (no credentials), for a mock in
//! another process (the `spaps-mock` binary, the Python reference script).

use std::time::Duration;

use serde_json::{json, Value};

use super::support::{body, fail, invalid, no_route, ok, rfc3339, Outcome, Res};
use super::{Fault, MockSpaps};
use crate::observed::ObservedRequest;

impl MockSpaps {
    /// Answers a `/__mock/...` request.
    pub(crate) fn control(&self, req: &ObservedRequest) -> Outcome {
        self.control_inner(req).unwrap_or_else(|e| e)
    }

    fn control_inner(&self, req: &ObservedRequest) -> Res {
        let path = req.path.trim_end_matches('/');
        match (req.method.as_str(), path) {
            ("GET", "/__mock/clock") => {
                let now = self.now();
                ok(json!({"now": rfc3339(now), "unix": now.unix_timestamp()}))
            }
            ("POST", "/__mock/clock/advance") => {
                let b = body(req)?;
                let seconds = b.number("seconds")?;
                if !(0.0..=1e10).contains(&seconds) {
                    return Err(invalid("seconds must be from 0 to 1e10"));
                }
                self.advance_clock(Duration::from_secs_f64(seconds));
                ok(json!({"now": rfc3339(self.now())}))
            }
            ("POST", "/__mock/webhooks") => {
                let b = body(req)?;
                let url = b.text("url")?;
                let secret = b.text("secret")?;
                self.register_webhook(&url, &secret);
                ok(json!({"url": url, "registered": true}))
            }
            ("GET", "/__mock/webhooks/deliveries") => {
                let list: Vec<Value> = self
                    .webhook_deliveries()
                    .into_iter()
                    .map(|d| {
                        json!({"url": d.url, "event_id": d.event_id, "event_type": d.event_type,
                               "attempt": d.attempt, "status": d.status, "signature": d.signature,
                               "body": d.body})
                    })
                    .collect();
                ok(json!({ "deliveries": list }))
            }
            ("GET", "/__mock/events") => ok(json!({ "events": self.events() })),
            ("GET", "/__mock/codes") => {
                let codes: Vec<Value> = self
                    .codes()
                    .into_iter()
                    .map(|c| json!({"kind": c.kind, "to": c.to, "code": c.code}))
                    .collect();
                ok(json!({ "codes": codes }))
            }
            ("POST", "/__mock/faults") => {
                let b = body(req)?;
                let route = b.text("route")?;
                let times = b.opt_int("times")?.unwrap_or(1);
                let times = u32::try_from(times).map_err(|_| invalid("times must be 0 or more"))?;
                let fault = match (b.opt_int("status")?, b.opt_bool("drop")?) {
                    (_, Some(true)) => Fault::Drop,
                    (Some(s), _) if (400..=599).contains(&s) => Fault::Status(s as u16),
                    _ => return Err(invalid("give a status from 400 to 599, or drop: true")),
                };
                self.fail_next(&route, times, fault);
                ok(json!({"route": route, "times": times}))
            }
            ("POST", "/__mock/latency") => {
                let b = body(req)?;
                let ms = b.number("ms")?;
                if !(0.0..=60_000.0).contains(&ms) {
                    return Err(invalid("ms must be from 0 to 60000"));
                }
                self.set_latency(Duration::from_secs_f64(ms / 1000.0));
                ok(json!({ "ms": ms }))
            }
            ("GET", "/__mock/requests") => {
                let list: Vec<Value> = self
                    .received()
                    .iter()
                    .map(|r| {
                        json!({"method": r.method, "path": r.path, "query": r.query,
                               "body": String::from_utf8_lossy(&r.body)})
                    })
                    .collect();
                ok(json!({ "requests": list }))
            }
            ("POST", "/__mock/device/approve") => {
                let b = body(req)?;
                let code = b.text("user_code")?;
                let email = b
                    .opt_text("email")?
                    .unwrap_or_else(|| super::DEMO_EMAIL.to_owned());
                if self.approve_device(&code, &email) {
                    ok(json!({"approved": true}))
                } else {
                    Err(fail(
                        404,
                        "NOT_FOUND",
                        "No pending login has this user code",
                    ))
                }
            }
            ("POST", "/__mock/device/deny") => {
                let b = body(req)?;
                let code = b.text("user_code")?;
                if self.deny_device(&code) {
                    ok(json!({"denied": true}))
                } else {
                    Err(fail(
                        404,
                        "NOT_FOUND",
                        "No pending login has this user code",
                    ))
                }
            }
            ("POST", "/__mock/checkout/complete") => {
                let b = body(req)?;
                let id = b.text("session_id")?;
                self.complete_checkout(&id)
                    .map_err(|e| fail(409, "CONFLICT", e))?;
                ok(json!({"completed": id}))
            }
            ("POST", "/__mock/crypto/pay") => {
                let b = body(req)?;
                let id = b.text("invoice_id")?;
                let amount = b.text("amount")?;
                self.pay_crypto_invoice(&id, &amount)
                    .map_err(|e| fail(409, "CONFLICT", e))?;
                ok(json!({"paid": id}))
            }
            _ => Err(no_route()),
        }
    }
}
