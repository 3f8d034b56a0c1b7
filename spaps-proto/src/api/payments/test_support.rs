//! Helpers shared by the unit tests of the payments endpoints.

use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use crate::endpoint::Endpoint;
use crate::spec::{Auth, RequestSpec};

pub(super) fn built<E: Endpoint>(endpoint: &E) -> RequestSpec {
    endpoint
        .request()
        .and_then(RequestSpec::validate)
        .expect("request builds")
}

pub(super) use crate::api::test_support::body;

pub(super) fn check(
    spec: &RequestSpec,
    method: Method,
    path: &str,
    query: &str,
    json: Option<Value>,
    auth: Auth,
) {
    assert_eq!(spec.method(), &method, "{path}");
    assert_eq!(spec.path(), path);
    assert_eq!(spec.query_string(), query, "{path}");
    assert_eq!(body(spec), json, "{path}");
    assert_eq!(spec.credentials(), auth, "{path}");
}

pub(super) fn respond(body: Value) -> http::Response<Bytes> {
    http::Response::new(Bytes::from(body.to_string()))
}

pub(super) fn wrap(data: Value) -> http::Response<Bytes> {
    respond(json!({"success": true, "data": data}))
}

pub(super) fn args<E: serde::de::DeserializeOwned>(value: Value) -> E {
    serde_json::from_value(value).expect("cassette args deserialize")
}
