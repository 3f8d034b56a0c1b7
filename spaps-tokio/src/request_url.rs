//! Turning the core's `http::Request` into a `reqwest::Request`, with the base URL
//! parsed once.
//!
//! reqwest keeps a request's URL as a `url::Url`, and parsing one runs the host through
//! IDNA processing, which is most of the cost of the parse (and about a quarter of the
//! CPU a small reqwest call spends on its side). Every request the core builds starts
//! with the configured base URL, so the host is parsed once, when the client is built;
//! each request then gets a copy of that URL with its own path and query set, which
//! `url` parses exactly as it parses them in a whole URL.

use bytes::Bytes;
use http::uri::Authority;
use reqwest::Url;
use spaps_proto::{SendError, TransportError, TransportErrorKind};

/// The scheme and authority of the base URL as the core writes them into each request
/// URI, and the parsed URL they stand for.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    parsed: Option<(String, String, Url)>,
}

impl BaseUrl {
    /// The base URL `base` (as configured); one that does not parse is simply not
    /// cached (each request URL is then parsed whole, as reqwest would).
    pub(crate) fn new(base: &str) -> Self {
        let parsed = base.parse::<http::Uri>().ok().and_then(|uri| {
            let scheme = uri.scheme_str()?.to_owned();
            let authority = uri.authority()?.as_str().to_owned();
            let url = Url::parse(&format!("{scheme}://{authority}/")).ok()?;
            Some((scheme, authority, url))
        });
        Self { parsed }
    }

    /// The URL of `uri`: the base's, with the path and query of `uri`, when `uri`
    /// starts with the base's scheme and authority; else `uri` parsed whole, as
    /// reqwest's own conversion parses it.
    fn url_of(&self, uri: &http::Uri) -> Result<Url, SendError> {
        if let Some((scheme, authority, base)) = &self.parsed {
            if uri.scheme_str() == Some(scheme.as_str())
                && uri.authority().map(Authority::as_str) == Some(authority.as_str())
            {
                let mut url = base.clone();
                url.set_path(uri.path());
                url.set_query(uri.query());
                return Ok(url);
            }
        }
        Url::parse(&uri.to_string()).map_err(|e| invalid(&e))
    }

    /// Converts a request for reqwest. A request carrying extensions (an interceptor
    /// may add some) goes through reqwest's own conversion, which keeps them.
    pub(crate) fn to_reqwest(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<reqwest::Request, SendError> {
        if !request.extensions().is_empty() {
            return reqwest::Request::try_from(request).map_err(|e| invalid(&e));
        }
        let (parts, body) = request.into_parts();
        let url = self.url_of(&parts.uri)?;
        let mut out = reqwest::Request::new(parts.method, url);
        *out.headers_mut() = parts.headers;
        *out.version_mut() = parts.version;
        *out.body_mut() = Some(body.into());
        Ok(out)
    }
}

fn invalid(e: &dyn std::fmt::Display) -> SendError {
    SendError::Transport(TransportError::new(
        TransportErrorKind::Other,
        e.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn request(uri: &str) -> http::Request<Bytes> {
        let mut request = http::Request::new(Bytes::from_static(b"{\"a\":1}"));
        *request.method_mut() = http::Method::PATCH;
        *request.uri_mut() = uri.parse().unwrap();
        *request.version_mut() = http::Version::HTTP_11;
        request
            .headers_mut()
            .insert("x-api-key", http::HeaderValue::from_static("k"));
        request
            .headers_mut()
            .append("x-api-key", http::HeaderValue::from_static("k2"));
        request
    }

    /// Converts `uri` with the cache of `base` and with reqwest's own conversion.
    fn both(base: &str, uri: &str) -> (reqwest::Request, reqwest::Request) {
        let ours = BaseUrl::new(base).to_reqwest(request(uri)).unwrap();
        let theirs = reqwest::Request::try_from(request(uri)).unwrap();
        (ours, theirs)
    }

    #[test]
    fn requests_convert_as_reqwest_converts_them() {
        for (base, uri) in [
            (
                "https://api.example.com",
                "https://api.example.com/api/v1/sessions/current",
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/api/users/a%2Fb/x?limit=10&cursor=abc%20d",
            ),
            ("http://[::1]:9", "http://[::1]:9/api/%2e%2e/admin?q=%2e%2e"),
            ("https://api.example.com", "https://api.example.com"),
            (
                "https://API.Example.COM:443/base",
                "https://API.Example.COM:443/base/Path/?",
            ),
            // Another host than the base: parsed whole.
            ("https://api.example.com", "https://other.example.com/x?y"),
            (
                "https://xn--bcher-kva.example",
                "https://xn--bcher-kva.example/a",
            ),
        ] {
            let (ours, theirs) = both(base, uri);
            assert_eq!(ours.url(), theirs.url(), "{uri}");
            assert_eq!(ours.url().as_str(), theirs.url().as_str(), "{uri}");
            assert_eq!(ours.method(), theirs.method());
            assert_eq!(ours.version(), theirs.version());
            assert_eq!(ours.headers(), theirs.headers());
            assert_eq!(
                ours.body().and_then(reqwest::Body::as_bytes),
                Some(&b"{\"a\":1}"[..])
            );
        }
    }

    proptest! {
        /// Whatever path and query the core writes (any characters a URI may carry,
        /// dot segments, encoded dots and slashes), the cached base gives the URL a
        /// whole parse gives.
        #[test]
        fn a_cached_base_parses_paths_as_a_whole_parse(
            segments in prop::collection::vec(
                prop_oneof![
                    Just(".".to_owned()),
                    Just("..".to_owned()),
                    Just("%2e%2e".to_owned()),
                    Just("%2E.".to_owned()),
                    Just("%2F".to_owned()),
                    Just(String::new()),
                    "[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,12}",
                ],
                0..6,
            ),
            query in prop::option::of("[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,16}"),
            base in prop_oneof![
                Just("http://127.0.0.1:8080"),
                Just("https://api.example.com"),
                Just("https://api.example.com/prefix"),
            ],
        ) {
            let mut uri = format!("{base}/{}", segments.join("/"));
            if let Some(query) = &query {
                uri.push('?');
                uri.push_str(query);
            }
            prop_assume!(uri.parse::<http::Uri>().is_ok());
            let (ours, theirs) = both(base, &uri);
            prop_assert_eq!(ours.url().as_str(), theirs.url().as_str());
        }
    }

    #[test]
    fn a_request_with_extensions_keeps_them() {
        #[derive(Clone, Debug, PartialEq)]
        struct Mark(u8);
        let mut marked = request("https://api.example.com/x");
        marked.extensions_mut().insert(Mark(7));
        let converted = BaseUrl::new("https://api.example.com")
            .to_reqwest(marked)
            .unwrap();
        let back = http::Request::try_from(converted).unwrap();
        assert_eq!(back.extensions().get::<Mark>(), Some(&Mark(7)));
    }

    #[test]
    fn a_relative_uri_is_a_typed_error() {
        let mut relative = request("https://api.example.com/x");
        *relative.uri_mut() = "/x".parse().unwrap();
        assert!(matches!(
            BaseUrl::new("https://api.example.com").to_reqwest(relative),
            Err(SendError::Transport(e)) if e.kind == TransportErrorKind::Other
        ));
    }
}
