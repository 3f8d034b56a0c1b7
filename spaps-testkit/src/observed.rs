//! [`ObservedRequest`]: a request as a loopback server received it, easy to assert on.

use percent_encoding::percent_decode;

/// A request as received by a replay server (or produced by a sans-IO client).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedRequest {
    /// The method, as sent.
    pub method: String,
    /// The raw path, not percent-decoded, without the query.
    pub path: String,
    /// The query string as decoded `(name, value)` pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl ObservedRequest {
    /// Builds an observed request from an `http` request.
    pub fn from_http(req: &http::Request<bytes::Bytes>) -> Self {
        let uri = req.uri();
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        ObservedRequest {
            method: req.method().as_str().to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().map(decode_query).unwrap_or_default(),
            headers,
            body: req.body().to_vec(),
        }
    }

    /// Builds an observed request from raw parts. `target` is a request target: origin form
    /// (`/path?query`) or absolute form (`http://host/path?query`); a `#fragment` is dropped.
    pub fn from_parts<I, K, V>(method: &str, target: &str, headers: I, body: Vec<u8>) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let target = target.split('#').next().unwrap_or("");
        let target = strip_scheme_and_authority(target);
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, decode_query(q)),
            None => (target, Vec::new()),
        };
        ObservedRequest {
            method: method.to_owned(),
            path: if path.is_empty() { "/" } else { path }.to_owned(),
            query,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.as_ref().to_owned()))
                .collect(),
            body,
        }
    }

    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of a header (name case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn strip_scheme_and_authority(target: &str) -> &str {
    if target.starts_with('/') {
        return target;
    }
    match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            match rest.find(['/', '?']) {
                Some(j) => &rest[j..],
                None => "",
            }
        }
        None => target,
    }
}

/// Decodes a query string: split on `&` (empty segments skipped), split each at the first
/// `=`, turn `+` into a space and percent-decode both sides (invalid UTF-8 is replaced).
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (name, value) = seg.split_once('=').unwrap_or((seg, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let plus = s.replace('+', " ");
    String::from_utf8_lossy(&percent_decode(plus.as_bytes()).collect::<Vec<u8>>()).into_owned()
}
