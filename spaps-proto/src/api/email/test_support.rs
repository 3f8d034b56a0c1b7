//! Helpers shared by the unit tests of the email endpoints.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::spec::RequestSpec;

pub(super) fn body(spec: &RequestSpec) -> Option<Value> {
    spec.body
        .as_ref()
        .map(|b| serde_json::from_slice(b).expect("the body is JSON"))
}

pub(super) fn response(body: Value) -> http::Response<Bytes> {
    http::Response::new(Bytes::from(body.to_string()))
}

pub(super) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}
