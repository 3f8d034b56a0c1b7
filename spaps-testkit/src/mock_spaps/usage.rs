//! Usage metering of the mock SPAPS, with idempotent recording.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Month, OffsetDateTime, Time};

use super::{fail, invalid, json_body, now, number, plus, rfc3339, Outcome, Session, State};
use crate::matching::ObservedRequest;

/// The metered features: name, description, monthly allowance (`None`: unlimited).
const FEATURES: [(&str, &str, Option<f64>); 2] = [
    ("api_calls", "API requests", Some(10_000.0)),
    ("storage_gb", "Stored data, in GB", None),
];

/// Share of the allowance from which a record carries a warning.
const WARN_AT: f64 = 0.8;

/// Usage per user and feature, and the answers kept for idempotency keys.
#[derive(Debug, Default)]
pub(super) struct Meter {
    /// (user id, feature) → amount used.
    used: BTreeMap<(String, String), f64>,
    next_record: u64,
    /// (user id, idempotency key) → the first request with that key and its answer.
    replays: BTreeMap<(String, String), Replay>,
}

#[derive(Debug)]
struct Replay {
    request: Value,
    answer: Value,
}

/// The first instant of `t`'s month and of the next month (UTC).
fn month_bounds(t: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let start = t
        .replace_day(1)
        .map(|d| d.replace_time(Time::MIDNIGHT))
        .unwrap_or(t);
    let (year, month) = match start.month() {
        Month::December => (start.year() + 1, Month::January),
        m => (start.year(), m.next()),
    };
    let next = start
        .replace_year(year)
        .and_then(|d| d.replace_month(month))
        .unwrap_or(start);
    (start, next)
}

impl State {
    /// `POST /api/usage/record`.
    pub(super) fn record_usage(&mut self, req: &ObservedRequest, s: &Session) -> Outcome {
        let Some(body) = json_body(req) else {
            return invalid("Body must be a JSON object");
        };
        let Some(feature) = body
            .get("feature")
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty())
        else {
            return invalid("feature is required");
        };
        let Some(&(_, _, limit)) = FEATURES.iter().find(|(name, _, _)| *name == feature) else {
            return invalid("unknown feature");
        };
        let Some(quantity) = body
            .get("quantity")
            .and_then(Value::as_f64)
            .filter(|q| q.is_finite() && *q > 0.0)
        else {
            return invalid("quantity must be a positive number");
        };
        if body.get("metadata").is_some_and(|m| !m.is_object()) {
            return invalid("metadata must be an object");
        }
        let recorded_at = match body.get("timestamp") {
            None | Some(Value::Null) => now(),
            Some(Value::String(text)) => match OffsetDateTime::parse(text, &Rfc3339) {
                Ok(t) => t,
                Err(_) => return invalid("timestamp must be an RFC 3339 date-time"),
            },
            Some(_) => return invalid("timestamp must be an RFC 3339 date-time"),
        };

        let key = req
            .header("x-idempotency-key")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| (s.user_id.clone(), k.to_owned()));
        let request = Value::Object(body.clone());
        if let Some(replay) = key.as_ref().and_then(|k| self.usage.replays.get(k)) {
            return if replay.request == request {
                Outcome::Ok(replay.answer.clone())
            } else {
                fail(
                    409,
                    "IDEMPOTENCY_KEY_REUSED",
                    "This idempotency key was already used with a different request",
                )
            };
        }

        let meter = &mut self.usage;
        let used = meter
            .used
            .entry((s.user_id.clone(), feature.to_owned()))
            .or_insert(0.0);
        *used += quantity;
        let used = *used;
        meter.next_record += 1;
        let warning = limit.and_then(|limit| {
            let share = used / limit;
            if share >= 1.0 {
                Some(format!("{feature} is over its monthly limit"))
            } else if share >= WARN_AT {
                Some(format!(
                    "{feature} is at {:.0}% of its monthly limit",
                    share * 100.0
                ))
            } else {
                None
            }
        });
        let answer = json!({
            "record_id": format!("usage_mock_{}", meter.next_record),
            "feature": feature,
            "quantity": number(quantity),
            "recorded_at": rfc3339(recorded_at),
            "current_usage": {
                "used": number(used),
                "limit": limit.map(number),
                "remaining": limit.map(|l| number((l - used).max(0.0))),
            },
            "warning": warning,
        });
        if let Some(key) = key {
            meter.replays.insert(
                key,
                Replay {
                    request,
                    answer: answer.clone(),
                },
            );
        }
        Outcome::Ok(answer)
    }

    /// `GET /api/usage/features`.
    pub(super) fn usage_features(&mut self, s: &Session) -> Outcome {
        let (start, next) = month_bounds(now());
        let features: Vec<Value> = FEATURES
            .iter()
            .map(|&(name, description, limit)| {
                let used = self
                    .usage
                    .used
                    .get(&(s.user_id.clone(), name.to_owned()))
                    .copied()
                    .unwrap_or(0.0);
                json!({
                    "name": name,
                    "description": description,
                    "used": number(used),
                    "limit": limit.map(number),
                    "percentage": limit.map(|l| number((used / l * 10_000.0).round() / 100.0)),
                    "reset_at": limit.map(|_| rfc3339(next)),
                })
            })
            .collect();
        let tier = if self.holds(&s.user_id, "pro_plan", None, None) {
            "pro"
        } else {
            "free"
        };
        Outcome::Ok(json!({
            "user_id": s.user_id,
            "tier": tier,
            "period": {"start": rfc3339(start), "end": rfc3339(plus(next, -1))},
            "features": features,
            "overage": {"enabled": false},
        }))
    }
}
