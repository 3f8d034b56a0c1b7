//! Helpers shared by the unit tests of the email endpoints.

use bytes::Bytes;
use serde_json::{Map, Value};

pub(super) use crate::api::test_support::body;

pub(super) fn response(body: Value) -> http::Response<Bytes> {
    http::Response::new(Bytes::from(body.to_string()))
}

pub(super) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}
