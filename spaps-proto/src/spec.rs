//! [`RequestSpec`]: what an endpoint asks to send, before base URL and credentials.

use std::borrow::Cow;
use std::fmt::Display;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;

use crate::error::Error;
use crate::secret::Secret;

/// Which credentials a request carries (the K/B/b column of the wire contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// Neither the API key nor a bearer token (metrics and health).
    Anonymous,
    /// `X-API-Key` only.
    ApiKey,
    /// `X-API-Key` and a bearer token, which is required: without one the call fails
    /// locally with [`Error::MissingToken`].
    Bearer,
    /// `X-API-Key`, plus the bearer token when one is available.
    OptionalBearer,
}

impl Auth {
    /// True when the request carries a bearer token (required or optional).
    pub fn uses_bearer(self) -> bool {
        matches!(self, Auth::Bearer | Auth::OptionalBearer)
    }
}

/// A request as an endpoint describes it: method, path (with its parameters already
/// percent-encoded), query, JSON body, credentials and extra headers.
///
/// ```
/// use spaps_proto::spec::{Auth, RequestSpec};
/// let spec = RequestSpec::get("/api/v1/whitelist/{email}")
///     .param("a b@example.com")
///     .query("limit", 10)
///     .auth(Auth::Bearer);
/// assert_eq!(spec.path(), "/api/v1/whitelist/a%20b@example.com");
/// ```
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) template: &'static str,
    /// The template itself until a parameter is filled (most paths have none).
    pub(crate) path: Cow<'static, str>,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) auth: Auth,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) idempotency_key: Option<String>,
    error: Option<Error>,
}

/// Characters escaped in a path segment: everything but RFC 3986 `pchar`.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters escaped in a query name or value.
const QUERY: &AsciiSet = &SEGMENT.add(b'&').add(b'=').add(b'+').add(b';');

impl RequestSpec {
    /// A request of `method` to `template` (a path such as `/api/sessions/{session_id}`;
    /// fill each `{..}` with [`RequestSpec::param`], in order). Sends the API key.
    pub fn new(method: Method, template: &'static str) -> Self {
        Self {
            method,
            template,
            path: Cow::Borrowed(template),
            query: Vec::new(),
            body: None,
            auth: Auth::ApiKey,
            headers: Vec::new(),
            idempotency_key: None,
            error: None,
        }
    }

    /// A GET request.
    pub fn get(template: &'static str) -> Self {
        Self::new(Method::GET, template)
    }

    /// A POST request.
    pub fn post(template: &'static str) -> Self {
        Self::new(Method::POST, template)
    }

    /// A PUT request.
    pub fn put(template: &'static str) -> Self {
        Self::new(Method::PUT, template)
    }

    /// A PATCH request.
    pub fn patch(template: &'static str) -> Self {
        Self::new(Method::PATCH, template)
    }

    /// A DELETE request.
    pub fn delete(template: &'static str) -> Self {
        Self::new(Method::DELETE, template)
    }

    /// Fills the next `{..}` of the path with `value`, percent-encoded as one segment.
    ///
    /// A value that is empty, `.` or `..` is refused (see [`check_segment`]):
    /// [`RequestSpec::validate`] then fails with [`Error::InvalidArgument`] naming the
    /// placeholder (e.g. `session_id`), so nothing is sent. Percent-encoding cannot
    /// save such a value: an empty segment or a dot segment changes the route once an
    /// HTTP client normalizes the URL (and `%2e` counts as a dot there).
    pub fn param(mut self, value: &str) -> Self {
        match (self.path.find('{'), self.path.find('}')) {
            (Some(open), Some(close)) if open < close => {
                if let Err(reason) = check_segment(value) {
                    let name = self.next_placeholder();
                    self.fail(Error::invalid(name, reason));
                }
                let encoded = utf8_percent_encode(value, SEGMENT).to_string();
                self.path.to_mut().replace_range(open..=close, &encoded);
            }
            _ => self.fail(Error::Misuse(crate::error::Misuse::PathTemplate)),
        }
        self
    }

    /// Adds a query pair.
    pub fn query(mut self, name: &'static str, value: impl Display) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// Adds a query pair when `value` is `Some`.
    pub fn query_opt(self, name: &'static str, value: Option<impl Display>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// Adds a query pair when `value` is a non-empty string.
    pub fn query_non_empty(self, name: &'static str, value: Option<&str>) -> Self {
        match value {
            Some(v) if !v.is_empty() => self.query(name, v),
            _ => self,
        }
    }

    /// Sets the credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some(Bytes::from(bytes)),
            Err(e) => self.fail(Error::invalid("body", e.to_string())),
        }
        self
    }

    /// Sends the JSON body `{}`.
    pub fn empty_object(mut self) -> Self {
        self.body = Some(Bytes::from_static(b"{}"));
        self
    }

    /// Adds a header. A header named in [`CREDENTIAL_HEADERS`] is marked sensitive, as
    /// by [`RequestSpec::secret_header`].
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        match HeaderValue::from_str(value) {
            Ok(mut v) => {
                if is_credential_header(&name) {
                    v.set_sensitive(true);
                }
                self.headers.push((name, v));
            }
            Err(_) => self.fail(Error::invalid(
                "header",
                format!("`{name}` holds characters a header cannot carry"),
            )),
        }
        self
    }

    /// Adds a header that carries a credential (such as `X-Recon-Token`), marked
    /// sensitive ([`HeaderValue::set_sensitive`]) so that HTTP stacks keep it out of
    /// their logs and HTTP/2 header compression. The value is never shown in an error.
    pub fn secret_header(mut self, name: HeaderName, value: &Secret) -> Self {
        match HeaderValue::from_str(value.expose()) {
            Ok(mut v) => {
                v.set_sensitive(true);
                self.headers.push((name, v));
            }
            Err(_) => self.fail(Error::invalid(
                "header",
                format!("`{name}` holds characters a header cannot carry"),
            )),
        }
        self
    }

    /// Attaches an idempotency key (`X-Idempotency-Key`), which also makes a POST or
    /// PATCH retryable.
    pub fn idempotency_key(mut self, key: Option<&str>) -> Self {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            self.idempotency_key = Some(k.to_owned());
        }
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path template, e.g. `/api/sessions/{session_id}` (safe to log).
    pub fn template(&self) -> &'static str {
        self.template
    }

    /// The path with its parameters encoded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The credentials.
    pub fn credentials(&self) -> Auth {
        self.auth
    }

    /// The encoded query string, without `?` (empty when there is none).
    pub fn query_string(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.extend(utf8_percent_encode(k, QUERY));
            out.push('=');
            out.extend(utf8_percent_encode(v, QUERY));
        }
        out
    }

    /// Checks that the spec was built without error.
    ///
    /// # Errors
    /// The first error met while building (a body that would not serialize, a header
    /// value a header cannot carry, a missing path parameter).
    pub fn validate(self) -> Result<Self, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.path.contains('{') {
            return Err(Error::Misuse(crate::error::Misuse::PathTemplate));
        }
        Ok(self)
    }

    /// The name of the next unfilled placeholder of the template (`"path"` if there is
    /// none), for errors.
    fn next_placeholder(&self) -> &'static str {
        let template: &'static str = self.template;
        let filled = template.matches('{').count() - self.path.matches('{').count();
        template
            .split('{')
            .nth(filled + 1)
            .and_then(|rest| rest.split_once('}'))
            .map_or("path", |(name, _)| name)
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}

/// `skip_serializing_if` helpers for the contract's "sent only when truthy" fields.
pub mod skip {
    /// True for `None` and `Some("")`.
    pub fn blank(value: &Option<String>) -> bool {
        value.as_deref().is_none_or(str::is_empty)
    }

    /// True for `None` and an empty object.
    pub fn empty_map(value: &Option<serde_json::Map<String, serde_json::Value>>) -> bool {
        value.as_ref().is_none_or(serde_json::Map::is_empty)
    }

    /// True for `None` and an empty list.
    pub fn empty_vec<T>(value: &Option<Vec<T>>) -> bool {
        value.as_ref().is_none_or(Vec::is_empty)
    }
}

/// The request headers that carry a credential: always marked sensitive
/// ([`HeaderValue::set_sensitive`]), whichever way they are added.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-recon-token",
];

fn is_credential_header(name: &HeaderName) -> bool {
    CREDENTIAL_HEADERS.contains(&name.as_str())
}

/// Checks that `value` can fill a path parameter: refuses an empty value (it would
/// leave an empty segment, `/api/sessions/`) and the dot segments `.` and `..` (an HTTP
/// client resolves them, turning `DELETE /api/sessions/..` into `DELETE /api/`). Any
/// other value is percent-encoded into exactly one segment, so `/`, `?`, `#` and `%`
/// are safe.
///
/// ```
/// use spaps_proto::spec::check_segment;
/// assert!(check_segment("sess_1").is_ok());
/// assert!(check_segment("a/../b").is_ok()); // encoded as a%2F..%2Fb: one segment
/// assert!(check_segment("...").is_ok());
/// for bad in ["", ".", ".."] {
///     assert!(check_segment(bad).is_err());
/// }
/// ```
///
/// # Errors
/// Why the value was refused.
pub fn check_segment(value: &str) -> Result<(), &'static str> {
    match value {
        "" => Err("must not be empty: the path would change"),
        "." | ".." => Err("must not be `.` or `..`: a dot segment would change the path"),
        _ => Ok(()),
    }
}

/// Rejects an empty required argument before anything is sent.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the argument.
pub fn require(name: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(name, "must not be empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_encoded_as_one_segment() {
        let s = RequestSpec::get("/a/{x}/b/{y}")
            .param("1/2?#")
            .param("ü")
            .validate()
            .unwrap();
        assert_eq!(s.path(), "/a/1%2F2%3F%23/b/%C3%BC");
        assert!(RequestSpec::get("/a/{x}").validate().is_err());
        assert!(RequestSpec::get("/a").param("x").validate().is_err());
    }

    #[test]
    fn empty_and_dot_segments_are_refused_naming_the_placeholder() {
        for bad in ["", ".", ".."] {
            match RequestSpec::delete("/api/sessions/{session_id}")
                .param(bad)
                .validate()
            {
                Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "session_id"),
                other => panic!("{bad:?}: {other:?}"),
            }
            // The second placeholder is named when it is the bad one.
            match RequestSpec::get("/a/{first}/b/{second}/c")
                .param("ok")
                .param(bad)
                .validate()
            {
                Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "second"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        // Dots inside a longer value, and encoded dots, stay in one segment.
        for (good, path) in [
            ("...", "/x/..."),
            ("..a", "/x/..a"),
            ("%2e%2e", "/x/%252e%252e"),
            ("a/../b", "/x/a%2F..%2Fb"),
            ("?#%", "/x/%3F%23%25"),
        ] {
            let spec = RequestSpec::get("/x/{id}").param(good).validate().unwrap();
            assert_eq!(spec.path(), path);
        }
    }

    #[test]
    fn credential_headers_are_sensitive() {
        let spec = RequestSpec::post("/q")
            .header(HeaderName::from_static("x-recon-token"), "rc")
            .header(http::header::ACCEPT, "text/plain")
            .secret_header(HeaderName::from_static("x-other-secret"), &Secret::new("s"));
        let sensitive: Vec<(&str, bool)> = spec
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.is_sensitive()))
            .collect();
        assert_eq!(
            sensitive,
            [
                ("x-recon-token", true),
                ("accept", false),
                ("x-other-secret", true)
            ]
        );
        let bad = RequestSpec::post("/q")
            .secret_header(
                HeaderName::from_static("x-recon-token"),
                &Secret::new("a\nSECRET"),
            )
            .validate()
            .unwrap_err();
        assert!(!bad.to_string().contains("SECRET"));
    }

    #[test]
    fn query_values_are_encoded() {
        let s = RequestSpec::get("/q")
            .query("a", "x y&z=1+2")
            .query_opt("b", None::<u8>)
            .query_non_empty("c", Some(""));
        assert_eq!(s.query_string(), "a=x%20y%26z%3D1%2B2");
    }

    #[test]
    fn bad_header_is_a_local_error() {
        let s = RequestSpec::get("/q").header(HeaderName::from_static("x-recon-token"), "a\nb");
        assert!(matches!(s.validate(), Err(Error::InvalidArgument { .. })));
    }
}
