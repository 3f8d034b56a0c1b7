//! `fuzz_error`: reading an error response.

use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use spaps_proto::device::{classify, PollAnswer};
use spaps_proto::response::api_error;
use spaps_proto::retry::parse_retry_after;
use spaps_proto::{ApiError, Error, ErrorKind, Timestamp};

use crate::input::Input;

/// `fuzz_error`: `[status-100 u16 (mod 900)][now u32][flags u8]`, then the
/// `x-request-id` value up to `\n`, the `Retry-After` value up to `\n`, and the body.
/// Flags: `1` send the x-request-id, `2` send the Retry-After, `4` add a second
/// `x-request-id` after the first. Checks what `api_error` reads against the headers
/// and the body.
pub fn error(data: &[u8]) {
    let mut input = Input::new(data);
    let status = StatusCode::from_u16(100 + input.u16() % 900).unwrap_or(StatusCode::OK);
    let now = Timestamp::from_unix_seconds(i64::from(input.u32())).unwrap_or(Timestamp::UNIX_EPOCH);
    let flags = input.u8();
    let request_id = input.line();
    let retry_after = input.line();
    let body = input.rest();

    let mut headers = HeaderMap::new();
    let request_id = HeaderValue::from_bytes(request_id)
        .ok()
        .filter(|_| flags & 1 != 0);
    if let Some(v) = &request_id {
        headers.insert("x-request-id", v.clone());
    }
    if flags & 4 != 0 {
        headers.append("x-request-id", HeaderValue::from_static("req_second"));
    }
    let retry_after = HeaderValue::from_bytes(retry_after)
        .ok()
        .filter(|_| flags & 2 != 0);
    if let Some(v) = &retry_after {
        headers.insert(RETRY_AFTER, v.clone());
    }

    let e = api_error("fuzz.error_response", status, &headers, body, now);
    assert_eq!(e.status, status);
    assert_eq!(e.body.len(), body.len().min(ApiError::BODY_LIMIT));
    assert_eq!(e.body_truncated, body.len() > ApiError::BODY_LIMIT);
    assert_eq!(e.kind, ErrorKind::from_status(status));
    assert!(!e.message.trim().is_empty(), "empty message");
    // The header's request id wins over the body's.
    let from_header = request_id
        .as_ref()
        .or_else(|| headers.get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let Some(id) = from_header {
        assert_eq!(e.request_id.as_deref(), Some(id));
    }
    let expected_wait = retry_after
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    assert_eq!(e.retry_after, expected_wait);
    // A non-empty string `error.code` is read as the code.
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(code) = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
    {
        assert_eq!(e.code.as_deref(), Some(code));
    }
    let _ = e.is_retryable();
    let error = Error::from(e);
    assert_eq!(error.status(), Some(status));
    let _ = error.to_string();
    let _ = format!("{error:?}");
    let answer = classify(&error);
    if !status.is_client_error() {
        assert_eq!(answer, PollAnswer::Other);
    }
}

/// Encodes a `fuzz_error` input.
pub fn encode_error_input(
    status: u16,
    now: u32,
    request_id: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let mut out = status.saturating_sub(100).to_le_bytes().to_vec();
    out.extend_from_slice(&now.to_le_bytes());
    let flags = u8::from(request_id.is_some()) | (u8::from(retry_after.is_some()) << 1);
    out.push(flags);
    out.extend_from_slice(request_id.unwrap_or("").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(retry_after.unwrap_or("").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}
