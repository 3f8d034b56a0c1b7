//! Metrics, health and readiness. These calls carry no credentials: neither the API
//! key nor a bearer token. Bodies are read as sent (no `data` unwrapping).

use bytes::Bytes;
use http::header::ACCEPT;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::envelope::Shape;
use crate::error::{DecodeError, Error};
use crate::model::metrics::{HealthStatus, MetricsSnapshot, ReadinessStatus};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

/// The metrics operations of a client: `client.metrics()`.
#[derive(Debug)]
pub struct MetricsApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> MetricsApi<'a, X> {
    /// The metrics operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// The metrics in the Prometheus text format, as the server sent them.
    pub fn get_prometheus_metrics(&self) -> GetPrometheusMetrics<Bound<'a, X>> {
        GetPrometheusMetrics::new().on(self.client)
    }

    /// The metrics as JSON.
    pub fn get_metrics_json(&self) -> GetMetricsJson<Bound<'a, X>> {
        GetMetricsJson::new().on(self.client)
    }

    /// The service's liveness (`GET /health`).
    pub fn health(&self) -> Health<Bound<'a, X>> {
        Health::new().on(self.client)
    }

    /// Whether the service is ready for traffic (`GET /health/ready`); a service that is
    /// not ready answers 503, an error.
    pub fn readiness(&self) -> Readiness<Bound<'a, X>> {
        Readiness::new().on(self.client)
    }
}

/// `GET /api/metrics` with `Accept: text/plain`; the body is returned as text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetPrometheusMetrics<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetPrometheusMetrics() {});

impl GetPrometheusMetrics {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetPrometheusMetrics {
    type Output = String;
    type Wire = String;
    const NAME: &'static str = "metrics.get_prometheus_metrics";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/metrics")
            .header(ACCEPT, "text/plain")
            .auth(Auth::Anonymous))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<String, Error> {
        match std::str::from_utf8(response.body()) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => {
                Err(
                    DecodeError::new(Self::NAME, ".", format!("the body is not UTF-8 text: {e}"))
                        .into(),
                )
            }
        }
    }
}

/// `GET /api/metrics/json` with `Accept: application/json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetMetricsJson<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetMetricsJson() {});

impl GetMetricsJson {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetMetricsJson {
    type Output = MetricsSnapshot;
    type Wire = MetricsSnapshot;
    const NAME: &'static str = "metrics.get_metrics_json";
    const SHAPE: Shape = Shape::Whole;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/metrics/json")
            .header(ACCEPT, "application/json")
            .auth(Auth::Anonymous))
    }
}

/// `GET /health`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Health<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(Health() {});

impl Health {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for Health {
    type Output = HealthStatus;
    type Wire = HealthStatus;
    const NAME: &'static str = "metrics.health";
    const SHAPE: Shape = Shape::Whole;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/health").auth(Auth::Anonymous))
    }
}

/// `GET /health/ready`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Readiness<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(Readiness() {});

impl Readiness {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for Readiness {
    type Output = ReadinessStatus;
    type Wire = ReadinessStatus;
    const NAME: &'static str = "metrics.readiness";
    const SHAPE: Shape = Shape::Whole;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/health/ready").auth(Auth::Anonymous))
    }
}

crate::registry!(GetPrometheusMetrics, GetMetricsJson, Health, Readiness);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn response(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn accept(spec: &RequestSpec) -> Option<&str> {
        spec.headers
            .iter()
            .find(|(n, _)| n == ACCEPT)
            .and_then(|(_, v)| v.to_str().ok())
    }

    #[test]
    fn requests_are_anonymous_gets() {
        let cases: [(RequestSpec, &str, Option<&str>); 4] = [
            (
                GetPrometheusMetrics { bound: Unbound }.request().unwrap(),
                "/api/metrics",
                Some("text/plain"),
            ),
            (
                GetMetricsJson { bound: Unbound }.request().unwrap(),
                "/api/metrics/json",
                Some("application/json"),
            ),
            (
                Health { bound: Unbound }.request().unwrap(),
                "/health",
                None,
            ),
            (
                Readiness { bound: Unbound }.request().unwrap(),
                "/health/ready",
                None,
            ),
        ];
        for (spec, path, want_accept) in cases {
            let spec = spec.validate().unwrap();
            assert_eq!(spec.method(), http::Method::GET);
            assert_eq!(spec.path(), path);
            assert_eq!(spec.query_string(), "");
            assert_eq!(spec.credentials(), Auth::Anonymous);
            assert!(spec.body.is_none());
            assert_eq!(accept(&spec), want_accept);
        }
    }

    #[test]
    fn prometheus_text_is_returned_as_is() {
        let text =
            "# HELP http_requests_total Total HTTP requests received\nhttp_requests_total 123";
        let out = GetPrometheusMetrics { bound: Unbound }
            .parse(&http::Response::new(Bytes::from(text)))
            .unwrap();
        assert_eq!(out, text);
        let empty = GetPrometheusMetrics { bound: Unbound }
            .parse(&http::Response::new(Bytes::new()))
            .unwrap();
        assert_eq!(empty, "");
    }

    #[test]
    fn metrics_json_keeps_the_body() {
        let out = GetMetricsJson { bound: Unbound }
            .parse(&response(json!({"timestamp": "2025-01-09T10:30:00Z",
                "uptime_seconds": 864000, "system": {"memory": {"rss_mb": 93.6}}})))
            .unwrap();
        assert_eq!(out.uptime_seconds, Some(864_000.0));
        assert_eq!(out.timestamp.unwrap().unix_seconds(), 1_736_418_600);
        assert_eq!(out.extra["system"]["memory"]["rss_mb"], json!(93.6));

        let enveloped = json!({"success": true, "data": {"uptime_seconds": 86412.5}});
        let out = GetMetricsJson { bound: Unbound }
            .parse(&response(enveloped.clone()))
            .unwrap();
        assert_eq!(out.uptime_seconds, None);
        assert_eq!(serde_json::to_value(&out).unwrap()["success"], json!(true));
        assert_eq!(out.extra["data"], enveloped["data"]);
    }

    #[test]
    fn health_and_readiness() {
        let out = Health { bound: Unbound }
            .parse(&response(
                json!({"status": "ok", "timestamp": "2025-01-15T12:00:00Z",
                "version": "1.42.0", "api_version": "2026-02-01"}),
            ))
            .unwrap();
        assert_eq!(out.status.as_deref(), Some("ok"));
        assert_eq!(out.version.as_deref(), Some("1.42.0"));
        assert_eq!(out.timestamp.unwrap().unix_seconds(), 1_736_942_400);
        assert_eq!(out.extra["api_version"], json!("2026-02-01"));

        let out = Readiness { bound: Unbound }
            .parse(&response(json!({"status": "ready",
                "checks": {"database": "ok", "redis": "ok"}})))
            .unwrap();
        assert_eq!(out.status.as_deref(), Some("ready"));
        assert_eq!(out.checks.unwrap()["redis"], json!("ok"));
        let out = Readiness { bound: Unbound }
            .parse(&response(json!({"ready": true})))
            .unwrap();
        assert_eq!(out.ready, Some(true));
        assert!(out.status.is_none());
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        match (Health { bound: Unbound }).parse(&response(json!({"status": 5}))) {
            Err(Error::Decode(d)) => {
                assert_eq!(d.operation, "metrics.health");
                assert_eq!(d.path, "status");
            }
            other => panic!("{other:?}"),
        }
        match (Readiness { bound: Unbound }).parse(&response(json!({"ready": "yes"}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "ready"),
            other => panic!("{other:?}"),
        }
        match (GetMetricsJson { bound: Unbound }).parse(&response(json!({"timestamp": "tomorrow"})))
        {
            Err(Error::Decode(d)) => assert_eq!(d.path, "timestamp"),
            other => panic!("{other:?}"),
        }
        for body in [&b""[..], b"<html>", b"[1]", b"null"] {
            let r = http::Response::new(Bytes::copy_from_slice(body));
            assert!(matches!(
                Health { bound: Unbound }.parse(&r),
                Err(Error::Decode(_))
            ));
            assert!(matches!(
                GetMetricsJson { bound: Unbound }.parse(&r),
                Err(Error::Decode(_))
            ));
        }
        let r = http::Response::new(Bytes::from_static(b"\xff\xfe metrics"));
        assert!(matches!(
            GetPrometheusMetrics { bound: Unbound,}.parse(&r),
            Err(Error::Decode(d)) if d.path == "."
        ));
    }
}
