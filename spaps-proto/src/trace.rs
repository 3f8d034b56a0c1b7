//! `tracing` spans for drivers: one span per call, fields filled as it goes.
//!
//! The span `spaps.call` carries `operation`, `method`, `path` (the template, e.g.
//! `/api/sessions/{session_id}`, never the filled path), `attempt`, `status` and
//! `request_id`. No header, body, URL or token is ever recorded.

use bytes::Bytes;
use tracing::field::Empty;

use crate::call::Call;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::response::request_id;

/// The span of one call. Enter it (or instrument the future with it) while driving.
pub fn call_span<E: Endpoint>(call: &Call<E>) -> tracing::Span {
    tracing::debug_span!(
        "spaps.call",
        operation = E::NAME,
        method = call.method().map(|m| m.as_str()).unwrap_or(""),
        path = call.template().unwrap_or(""),
        attempt = Empty,
        status = Empty,
        request_id = Empty,
    )
}

/// Records that a request is about to be sent.
pub fn sending<E: Endpoint>(span: &tracing::Span, call: &Call<E>) {
    span.record("attempt", call.attempt());
    if call.refreshing() {
        tracing::debug!(parent: span, "refreshing the access token");
    } else {
        tracing::debug!(parent: span, attempt = call.attempt(), "sending");
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
