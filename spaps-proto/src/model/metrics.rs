//! Models of the metrics endpoints: health, readiness and the JSON metrics snapshot.
//!
//! The server's answers here are free-form objects, returned as they come (no `data`
//! unwrapping). Each model types the fields seen in practice and keeps every other
//! field in `extra`.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// The service's liveness (`metrics.health`, `GET /health`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthStatus {
    /// The service's status, e.g. `ok` or `healthy`.
    #[serde(default)]
    pub status: Option<String>,
    /// The server's time of the check.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// The server's version.
    #[serde(default)]
    pub version: Option<String>,
    /// Every other field of the body.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Whether the service can take traffic (`metrics.readiness`, `GET /health/ready`).
/// A service that is not ready answers 503, which is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReadinessStatus {
    /// The readiness status, e.g. `ready`.
    #[serde(default)]
    pub status: Option<String>,
    /// The readiness flag, for servers that answer `{"ready": true}`.
    #[serde(default)]
    pub ready: Option<bool>,
    /// The result of each dependency check by name (`database`, `redis`, ...), usually
    /// a status string such as `ok`.
    #[serde(default)]
    pub checks: Option<serde_json::Map<String, serde_json::Value>>,
    /// Every other field of the body.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The service's metrics as JSON (`metrics.get_metrics_json`, `GET /api/metrics/json`).
///
/// The body is kept as sent: an enveloped answer (`{"success": true, "data": {..}}`)
/// leaves the typed fields empty and holds `success` and `data` in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// When the snapshot was taken.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// Seconds since the server process started.
    #[serde(default)]
    pub uptime_seconds: Option<f64>,
    /// The server's version.
    #[serde(default)]
    pub version: Option<String>,
    /// Every other field (request counters, memory, ...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
