//! Helpers shared by the unit tests of the endpoints.

use serde_json::Value;

use crate::spec::RequestSpec;

/// The request's JSON body, parsed; `None` when it has none.
pub(crate) fn body(spec: &RequestSpec) -> Option<Value> {
    spec.body
        .as_ref()
        .map(|b| serde_json::from_slice(b).expect("the request body is JSON"))
}

/// The request's query pairs, in order.
pub(crate) fn query(spec: &RequestSpec) -> Vec<(&str, &str)> {
    spec.query.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
