//! Reading a response's status and headers: error bodies, request ids, `Retry-After`.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::error::{ApiError, ErrorKind};
use crate::headers::redact;
use crate::retry::parse_retry_after;
use crate::timestamp::Timestamp;

/// Builds the [`ApiError`] of an error response.
///
/// Reads `{"error": {"code", "message", "details"}}`, a string-valued `error`
/// (`{"error": "..", "error_description": ".."}`), a top-level `message`, and
/// `metadata.request_id`; an HTML, empty or otherwise unreadable body still gives the
/// status and a message naming it. `now` resolves an HTTP-date `Retry-After`.
///
/// The error names `operation` and keeps the headers (secret values redacted, see
/// [`crate::headers::redact`]) and the first [`ApiError::BODY_LIMIT`] bytes of the body.
pub fn api_error(
    operation: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> ApiError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let obj = json.as_ref().and_then(Value::as_object);
    let error = obj.and_then(|o| o.get("error"));

    let mut code = None;
    let mut message = None;
    let mut details = None;
    match error {
        Some(Value::Object(e)) => {
            code = e.get("code").and_then(scalar_string);
            message = e.get("message").and_then(non_empty_str);
            details = e.get("details").cloned();
        }
        Some(Value::String(s)) if !s.is_empty() => {
            code = Some(s.clone());
            message = Some(s.clone());
        }
        _ => {}
    }
    if let Some(o) = obj {
        let description = o.get("error_description").and_then(non_empty_str);
        let top_message = o.get("message").and_then(non_empty_str);
        // An RFC 6749-style description is more useful than the bare code.
        if matches!(error, Some(Value::String(_))) {
            message = description.or(message);
        }
        message = message
            .or(top_message)
            .or_else(|| o.get("error_description").and_then(non_empty_str));
    }
    let message = message.unwrap_or_else(|| fallback_message(status, body, json.is_some()));

    let request_id = request_id(headers).or_else(|| {
        obj.and_then(|o| o.get("metadata"))
            .and_then(|m| m.get("request_id"))
            .and_then(non_empty_str)
    });
    let retry_after = retry_after(headers, now);

    let kept = &body[..body.len().min(ApiError::BODY_LIMIT)];
    ApiError {
        operation,
        status,
        kind: ErrorKind::from_status(status),
        code,
        message,
        request_id,
        retry_after,
        details,
        headers: redact(headers),
        body: Bytes::copy_from_slice(kept),
        body_truncated: kept.len() < body.len(),
    }
}

/// The `x-request-id` response header, when present and readable.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The `Retry-After` header as a delay from `now` (seconds or an HTTP-date).
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn non_empty_str(v: &Value) -> Option<String> {
    v.as_str()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn fallback_message(status: StatusCode, body: &[u8], was_json: bool) -> String {
    let reason = status.canonical_reason().unwrap_or("error");
    let base = format!("HTTP {} {}", status.as_u16(), reason);
    if was_json || body.is_empty() {
        return base;
    }
    // A short plain-text body is worth showing; HTML pages and long bodies are not.
    match std::str::from_utf8(body) {
        Ok(text) => {
            let text = text.trim();
            let looks_like_markup = text.starts_with('<');
            if !text.is_empty() && !looks_like_markup && text.chars().count() <= 200 {
                format!("{base}: {text}")
            } else {
                base
            }
        }
        Err(_) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_736_942_400).unwrap()
    }

    #[test]
    fn reads_the_standard_envelope() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("req_h"));
        h.insert("retry-after", HeaderValue::from_static("30"));
        let body = br#"{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED","message":"slow down","details":[1]},"metadata":{"request_id":"req_b"}}"#;
        let e = api_error("t.op", StatusCode::TOO_MANY_REQUESTS, &h, body, now());
        assert_eq!(e.code.as_deref(), Some("RATE_LIMIT_EXCEEDED"));
        assert_eq!(e.message, "slow down");
        assert_eq!(e.request_id.as_deref(), Some("req_h"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert!(e.details.is_some());
    }

    #[test]
    fn keeps_the_operation_headers_and_a_bounded_body() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("req_h"));
        h.insert("set-cookie", HeaderValue::from_static("sid=secret"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        let body = br#"{"error":{"code":"NOPE","message":"no"}}"#;
        let e = api_error(
            "sessions.get_current_session",
            StatusCode::FORBIDDEN,
            &h,
            body,
            now(),
        );
        assert_eq!(e.operation, "sessions.get_current_session");
        assert_eq!(e.headers["x-ratelimit-remaining"], "0");
        assert_eq!(e.headers["set-cookie"], crate::headers::REDACTED);
        assert_eq!(e.body.as_ref(), body);
        assert!(!e.body_truncated);
        assert_eq!(e.body_text(), std::str::from_utf8(body).ok());
        let shown = e.to_string();
        assert!(
            shown.starts_with("sessions.get_current_session: SPAPS answered 403"),
            "{shown}"
        );
        assert!(!shown.contains("secret") && !format!("{e:?}").contains("sid=secret"));

        // A long body is cut at the limit; a cut inside a character drops it.
        let mut long = vec![b'a'; ApiError::BODY_LIMIT - 1];
        long.extend_from_slice("é and more".as_bytes());
        let e = api_error(
            "t.op",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            &long,
            now(),
        );
        assert_eq!(e.body.len(), ApiError::BODY_LIMIT);
        assert!(e.body_truncated);
        assert_eq!(e.body_text().map(str::len), Some(ApiError::BODY_LIMIT - 1));
    }

    #[test]
    fn falls_back_to_metadata_request_id() {
        let body = br#"{"error":{"code":"X"},"metadata":{"request_id":"req_b"}}"#;
        let e = api_error(
            "t.op",
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
            now(),
        );
        assert_eq!(e.request_id.as_deref(), Some("req_b"));
        assert_eq!(e.message, "HTTP 400 Bad Request");
    }

    #[test]
    fn string_error_is_read_not_crashed_on() {
        let body = br#"{"success":false,"error":"Unauthorized","error_description":"Access token expired"}"#;
        let e = api_error(
            "t.op",
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            body,
            now(),
        );
        assert_eq!(e.code.as_deref(), Some("Unauthorized"));
        assert_eq!(e.message, "Access token expired");
    }

    #[test]
    fn html_and_empty_bodies_give_the_status() {
        let e = api_error(
            "t.op",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>502</html>",
            now(),
        );
        assert_eq!(e.message, "HTTP 502 Bad Gateway");
        let e = api_error("t.op", StatusCode::NOT_FOUND, &HeaderMap::new(), b"", now());
        assert_eq!(e.message, "HTTP 404 Not Found");
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e = api_error(
            "t.op",
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new(),
            b"down for maintenance",
            now(),
        );
        assert_eq!(
            e.message,
            "HTTP 503 Service Unavailable: down for maintenance"
        );
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for body in [
            &b"[]"[..],
            b"null",
            b"{\"error\":null}",
            b"{\"error\":[1]}",
            b"{\"metadata\":5}",
            b"\xff\xfe",
        ] {
            let e = api_error(
                "t.op",
                StatusCode::INTERNAL_SERVER_ERROR,
                &HeaderMap::new(),
                body,
                now(),
            );
            assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
}
