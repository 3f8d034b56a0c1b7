//! Usage metering: recording with idempotency keys, the month's features, history.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::{Date, Month, OffsetDateTime, Time};

use super::sessions::Session;
use super::support::{body, fail, invalid, number, ok, plus, query_non_empty, rfc3339, Res};
use super::State;
use crate::observed::ObservedRequest;

/// The metered features: name, description, monthly allowance (`None`: unlimited).
const FEATURES: [(&str, &str, Option<f64>); 2] = [
    ("api_calls", "API requests", Some(10_000.0)),
    ("storage_gb", "Stored data, in GB", None),
];

/// Share of the allowance from which a record carries a warning.
const WARN_AT: f64 = 0.8;

/// Usage per user and feature, and the answers kept for idempotency keys.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    /// Every record: (user id, feature, quantity, recorded at).
    records: Vec<(String, String, f64, OffsetDateTime)>,
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

fn parse_date(text: &str, name: &str) -> Result<Date, super::support::Outcome> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|_| invalid(format!("{name} must be a YYYY-MM-DD date")))
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl Meter {
    fn used(&self, user: &str, feature: &str, from: OffsetDateTime, to: OffsetDateTime) -> f64 {
        self.records
            .iter()
            .filter(|r| r.0 == user && r.1 == feature && r.3 >= from && r.3 < to)
            .map(|r| r.2)
            .sum()
    }
}

impl State {
    pub(crate) fn route_usage(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("POST", ["api", "usage", "record"]) => {
                let session = match self.bearer(req) {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                };
                self.record_usage(req, &session)
            }
            ("GET", ["api", "usage", "features"]) => {
                let session = match self.bearer(req) {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                };
                self.usage_features(&session)
            }
            ("GET", ["api", "usage", "history"]) => self.usage_history(req),
            _ => return None,
        })
    }

    /// `POST /api/usage/record`.
    fn record_usage(&mut self, req: &ObservedRequest, s: &Session) -> Res {
        let b = body(req)?;
        let feature = b.text("feature")?;
        let Some(&(_, _, limit)) = FEATURES.iter().find(|(name, _, _)| *name == feature) else {
            return Err(invalid("unknown feature"));
        };
        let quantity = b.number("quantity")?;
        if quantity <= 0.0 {
            return Err(invalid("quantity must be a positive number"));
        }
        b.opt_object("metadata")?;
        let recorded_at = b.opt_time("timestamp")?.unwrap_or(self.now);

        let key = req
            .header("x-idempotency-key")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| (s.user_id.clone(), k.to_owned()));
        let request = Value::Object(b.0.clone());
        if let Some(replay) = key.as_ref().and_then(|k| self.usage.replays.get(k)) {
            return if replay.request == request {
                ok(replay.answer.clone())
            } else {
                Err(fail(
                    409,
                    "IDEMPOTENCY_KEY_REUSED",
                    "This idempotency key was already used with a different request",
                ))
            };
        }

        let record_id = self.next_id("usage");
        let (start, next) = month_bounds(self.now);
        let meter = &mut self.usage;
        meter
            .records
            .push((s.user_id.clone(), feature.clone(), quantity, recorded_at));
        let used = meter.used(&s.user_id, &feature, start, next);
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
            "record_id": record_id,
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
        ok(answer)
    }

    /// `GET /api/usage/features`.
    fn usage_features(&mut self, s: &Session) -> Res {
        let (start, next) = month_bounds(self.now);
        let features: Vec<Value> = FEATURES
            .iter()
            .map(|&(name, description, limit)| {
                let used = self.usage.used(&s.user_id, name, start, next);
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
        ok(json!({
            "user_id": s.user_id,
            "tier": self.tier_of(&s.user_id),
            "period": {"start": rfc3339(start), "end": rfc3339(plus(next, -1))},
            "features": features,
            "overage": {"enabled": false},
        }))
    }

    /// `GET /api/usage/history`: per day, week or month (`period`), between
    /// `start_date` and `end_date` (default: the last 30 days), optionally one `feature`.
    fn usage_history(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let period = query_non_empty(req, "period").unwrap_or("daily");
        if !matches!(period, "daily" | "weekly" | "monthly") {
            return Err(invalid("period must be daily, weekly or monthly"));
        }
        if let Some(f) = query_non_empty(req, "format") {
            if f != "json" {
                return Err(invalid("format must be json"));
            }
        }
        let feature = query_non_empty(req, "feature");
        if feature.is_some_and(|f| !FEATURES.iter().any(|x| x.0 == f)) {
            return Err(invalid("unknown feature"));
        }
        let today = self.now.date();
        let end = match query_non_empty(req, "end_date") {
            Some(t) => parse_date(t, "end_date")?,
            None => today,
        };
        let start = match query_non_empty(req, "start_date") {
            Some(t) => parse_date(t, "start_date")?,
            None => end - time::Duration::days(29),
        };
        if start > end {
            return Err(invalid("start_date must not be after end_date"));
        }
        if (end - start).whole_days() > 3660 {
            return Err(invalid("the range is at most ten years"));
        }
        // Bucket key of a date.
        let bucket = |d: Date| -> Date {
            match period {
                "weekly" => {
                    d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()))
                }
                "monthly" => d.replace_day(1).unwrap_or(d),
                _ => d,
            }
        };
        let mut buckets: BTreeMap<Date, BTreeMap<String, f64>> = BTreeMap::new();
        let mut summary: BTreeMap<String, f64> = BTreeMap::new();
        for (user, f, q, at) in &self.usage.records {
            let d = at.date();
            if user != &s.user_id || d < start || d > end || feature.is_some_and(|x| x != f) {
                continue;
            }
            *buckets
                .entry(bucket(d))
                .or_default()
                .entry(f.clone())
                .or_default() += q;
            *summary.entry(f.clone()).or_default() += q;
        }
        let history: Vec<Value> = buckets
            .into_iter()
            .map(|(d, features)| {
                let features: serde_json::Map<String, Value> =
                    features.into_iter().map(|(k, v)| (k, number(v))).collect();
                json!({"date": date_text(d), "features": features, "total_cost": 0.0})
            })
            .collect();
        let summary: serde_json::Map<String, Value> =
            summary.into_iter().map(|(k, v)| (k, number(v))).collect();
        ok(json!({
            "period": period,
            "start_date": date_text(start),
            "end_date": date_text(end),
            "history": history,
            "summary": summary,
        }))
    }
}
