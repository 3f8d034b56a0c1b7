//! Metrics (Prometheus text and JSON), health and readiness: no credentials.

use std::collections::BTreeMap;

use serde_json::json;
use time::OffsetDateTime;

use super::support::{rfc3339, Outcome, Res};
use super::State;
use crate::observed::ObservedRequest;
use crate::server::Reply;

/// The version the mock reports.
const VERSION: &str = concat!("spaps-mock/", env!("CARGO_PKG_VERSION"));

#[derive(Debug)]
pub(crate) struct Counters {
    started: OffsetDateTime,
    /// (method, status) → requests; status 0 is a dropped connection.
    by: BTreeMap<(String, u16), u64>,
}

impl Counters {
    pub(crate) fn new(now: OffsetDateTime) -> Counters {
        Counters {
            started: now,
            by: BTreeMap::new(),
        }
    }

    pub(crate) fn count(&mut self, method: &str, status: u16) {
        *self.by.entry((method.to_owned(), status)).or_insert(0) += 1;
    }

    fn total(&self) -> u64 {
        self.by.values().sum()
    }

    fn errors(&self) -> u64 {
        self.by
            .iter()
            .filter(|((_, s), _)| *s >= 400 || *s == 0)
            .map(|(_, n)| n)
            .sum()
    }
}

impl State {
    fn uptime(&self) -> f64 {
        (self.now - self.metrics.started).as_seconds_f64().max(0.0)
    }

    pub(crate) fn route_metrics(
        &mut self,
        m: &str,
        s: &[&str],
        _req: &ObservedRequest,
    ) -> Option<Res> {
        let reply = match (m, s) {
            ("GET", ["api", "metrics"]) => {
                let mut text = String::from(
                    "# HELP http_requests_total Total HTTP requests\n# TYPE http_requests_total counter\n",
                );
                for ((method, status), n) in &self.metrics.by {
                    text.push_str(&format!(
                        "http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}\n"
                    ));
                }
                text.push_str(&format!(
                    "# HELP process_uptime_seconds Process uptime\n# TYPE process_uptime_seconds gauge\nprocess_uptime_seconds {}\n",
                    self.uptime()
                ));
                Reply::text(200, "text/plain; version=0.0.4; charset=utf-8", text)
            }
            ("GET", ["api", "metrics", "json"]) => Reply::json(
                200,
                &json!({
                    "timestamp": rfc3339(self.now),
                    "uptime_seconds": self.uptime(),
                    "version": VERSION,
                    "requests": {"total": self.metrics.total(), "errors": self.metrics.errors()},
                    "users": self.users.all().len(),
                }),
            ),
            ("GET", ["health"]) => Reply::json(
                200,
                &json!({"status": "ok", "timestamp": rfc3339(self.now), "version": VERSION}),
            ),
            ("GET", ["health", "ready"]) => Reply::json(
                200,
                &json!({"status": "ready", "ready": true,
                        "checks": {"database": "ok", "redis": "ok", "stripe": "ok"}}),
            ),
            _ => return None,
        };
        Some(Ok(Outcome::Raw(reply)))
    }
}
