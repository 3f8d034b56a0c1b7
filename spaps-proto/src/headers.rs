//! Which headers carry credentials, and header maps with those values redacted.
//!
//! The SDK marks the credentials it sends (`authorization`, `x-api-key`,
//! `x-recon-token`) as sensitive ([`HeaderValue::set_sensitive`]). Response headers
//! come unmarked from the HTTP stack, so a header counts as secret by its name too:
//! see [`is_secret_header`]. Interceptors see secret values only when they ask for the
//! header by name, and [`ApiError::headers`](crate::ApiError::headers) keeps them
//! redacted.

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// What a redacted header value reads.
pub const REDACTED: &str = "[redacted]";

/// True for a header whose value is a credential, by its name: `authorization`,
/// `proxy-authorization`, `cookie`, `set-cookie`, `x-api-key`, and any name containing
/// `token`, `secret`, `password`, `api-key`, `apikey`, `credential` or `cookie`
/// (`x-recon-token`, `x-csrf-token`, `set-cookie2`, ...). Names are lower case in
/// `http`, so the test is case-insensitive.
///
/// ```
/// use http::header::{HeaderName, SET_COOKIE};
/// use spaps_proto::intercept::is_secret_header;
/// assert!(is_secret_header(&SET_COOKIE));
/// assert!(is_secret_header(&HeaderName::from_static("x-refresh-token")));
/// assert!(!is_secret_header(&HeaderName::from_static("x-request-id")));
/// ```
pub fn is_secret_header(name: &HeaderName) -> bool {
    const NAMES: [&str; 5] = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
    ];
    const PARTS: [&str; 7] = [
        "token",
        "secret",
        "password",
        "api-key",
        "apikey",
        "credential",
        "cookie",
    ];
    let name = name.as_str();
    NAMES.contains(&name) || PARTS.iter().any(|part| name.contains(part))
}

/// True when the value of `name` must not be shown: marked sensitive, or a secret by
/// its name.
pub(crate) fn is_hidden(name: &HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive() || is_secret_header(name)
}

/// A copy of `headers` in which every hidden value (see [`is_secret_header`]; marked
/// sensitive) reads [`REDACTED`]. Names and the number of values are kept.
pub fn redact(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let value = if is_hidden(name, value) {
            let mut redacted = HeaderValue::from_static(REDACTED);
            redacted.set_sensitive(true);
            redacted
        } else {
            value.clone()
        };
        out.append(name.clone(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_the_rest_kept() {
        let mut h = HeaderMap::new();
        h.append("set-cookie", HeaderValue::from_static("sid=1"));
        h.append("set-cookie", HeaderValue::from_static("csrf=2"));
        h.insert("x-request-id", HeaderValue::from_static("req_1"));
        h.insert("x-session-token", HeaderValue::from_static("st"));
        let mut marked = HeaderValue::from_static("opaque");
        marked.set_sensitive(true);
        h.insert("x-custom", marked);
        let r = redact(&h);
        assert_eq!(r.len(), h.len());
        assert!(r.get_all("set-cookie").iter().all(|v| v == REDACTED));
        assert_eq!(r.get_all("set-cookie").iter().count(), 2);
        assert_eq!(r["x-session-token"], REDACTED);
        assert_eq!(r["x-custom"], REDACTED);
        assert_eq!(r["x-request-id"], "req_1");
        assert!(!format!("{r:?}").contains("sid=1"));
    }
}
