//! `tracing` spans for drivers: one span per call, fields filled as it goes.
//!
//! The span `spaps.call` carries `operation`, `method`, `path` (the template, e.g.
//! `/api/sessions/{session_id}`, never the filled path), `attempt`, `status` and
//! `request_id`. No header, body, URL or token is ever recorded.

use bytes::Bytes;
use tracing::field::Empty;

use spaps_proto::response::request_id;
use spaps_proto::{Error, Machine};

/// The span of one call. Enter it (or instrument the future with it) while driving.
pub fn call_span<M: Machine>(machine: &M) -> tracing::Span {
    let (method, path) = machine
        .describe()
        .map(|(m, t)| (m.as_str(), t))
        .unwrap_or(("", ""));
    tracing::debug_span!(
        "spaps.call",
        operation = machine.name(),
        method,
        path,
        attempt = Empty,
        status = Empty,
        request_id = Empty,
    )
}

/// Records that a request is about to be sent.
pub fn sending<M: Machine>(span: &tracing::Span, machine: &M) {
    span.record("attempt", machine.attempt());
    if machine.refreshing() {
        tracing::debug!(parent: span, "refreshing the access token");
    } else if let Some((method, path)) = machine.describe() {
        tracing::debug!(parent: span, attempt = machine.attempt(), %method, path, "sending");
    }
}

/// Records how an exchange ended.
pub fn received(span: &tracing::Span, result: &Result<http::Response<Bytes>, Error>) {
    match result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            if let Some(id) = request_id(response.headers()) {
                span.record("request_id", id.as_str());
            }
            tracing::debug!(parent: span, status = response.status().as_u16(), "response");
        }
        Err(e) => tracing::warn!(parent: span, error = %e, "exchange failed"),
    }
}
