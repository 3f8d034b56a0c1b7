//! Reading a response's status and headers: error bodies, request ids, `Retry-After`.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::error::{ApiError, ErrorKind};
use crate::retry::parse_retry_after;
use crate::timestamp::Timestamp;

/// Builds the [`ApiError`] of an error response.
///
/// Reads `{"error": {"code", "message", "details"}}`, a string-valued `error`
/// (`{"error": "..", "error_description": ".."}`), a top-level `message`, and
/// `metadata.request_id`; an HTML, empty or otherwise unreadable body still gives the
/// status and a message naming it. `now` resolves an HTTP-date `Retry-After`.
pub fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8], now: Timestamp) -> ApiError {
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

    ApiError {
        status,
        kind: ErrorKind::from_status(status),
        code,
        message,
        request_id,
        retry_after,
        details,
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
        let e = api_error(StatusCode::TOO_MANY_REQUESTS, &h, body, now());
        assert_eq!(e.code.as_deref(), Some("RATE_LIMIT_EXCEEDED"));
        assert_eq!(e.message, "slow down");
        assert_eq!(e.request_id.as_deref(), Some("req_h"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert!(e.details.is_some());
    }

    #[test]
    fn falls_back_to_metadata_request_id() {
        let body = br#"{"error":{"code":"X"},"metadata":{"request_id":"req_b"}}"#;
        let e = api_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), body, now());
        assert_eq!(e.request_id.as_deref(), Some("req_b"));
        assert_eq!(e.message, "HTTP 400 Bad Request");
    }

    #[test]
    fn string_error_is_read_not_crashed_on() {
        let body = br#"{"success":false,"error":"Unauthorized","error_description":"Access token expired"}"#;
        let e = api_error(StatusCode::UNAUTHORIZED, &HeaderMap::new(), body, now());
        assert_eq!(e.code.as_deref(), Some("Unauthorized"));
        assert_eq!(e.message, "Access token expired");
    }

    #[test]
    fn html_and_empty_bodies_give_the_status() {
        let e = api_error(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>502</html>",
            now(),
        );
        assert_eq!(e.message, "HTTP 502 Bad Gateway");
        let e = api_error(StatusCode::NOT_FOUND, &HeaderMap::new(), b"", now());
        assert_eq!(e.message, "HTTP 404 Not Found");
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e = api_error(
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
                StatusCode::INTERNAL_SERVER_ERROR,
                &HeaderMap::new(),
                body,
                now(),
            );
            assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
}
