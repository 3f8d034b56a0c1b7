//! Usage metering: features, recording, history (`/api/usage`). Every call needs a
//! bearer token.

use serde::{Deserialize, Serialize, Serializer};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::usage::{UsageFeatures, UsageHistory, UsageRecordResult};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

/// The usage operations of a client: `client.usage()`.
#[derive(Debug)]
pub struct UsageApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> UsageApi<'a, X> {
    /// The usage operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// The user's usage of each metered feature in the current period.
    pub fn get_features(&self) -> GetFeatures<Bound<'a, X>> {
        GetFeatures::new().on(self.client)
    }

    /// Records `quantity` of usage of `feature`.
    /// Optional: `.metadata(..)`, `.timestamp(..)`, and `.idempotency_key(..)` (sent as
    /// `X-Idempotency-Key`; it also makes the call retryable).
    pub fn record_usage(
        &self,
        feature: impl Into<String>,
        quantity: f64,
    ) -> RecordUsage<Bound<'a, X>> {
        RecordUsage::new(feature, quantity).on(self.client)
    }

    /// Usage history.
    /// Optional: `.period(..)`, `.start_date(..)`, `.end_date(..)`, `.feature(..)`, `.format(..)`.
    pub fn get_history(&self) -> GetHistory<Bound<'a, X>> {
        GetHistory::new().on(self.client)
    }
}

/// `GET /api/usage/features`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetFeatures<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetFeatures() {});

impl GetFeatures {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetFeatures {
    type Output = UsageFeatures;
    type Wire = UsageFeatures;
    const NAME: &'static str = "usage.get_features";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/usage/features").auth(Auth::Bearer))
    }
}

/// `POST /api/usage/record`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RecordUsage<B = Unbound> {
    /// The feature, e.g. `api_calls`.
    pub feature: String,
    /// How much was used; a whole number is sent without a fraction (`5`, not `5.0`).
    #[serde(serialize_with = "whole_as_integer")]
    pub quantity: f64,
    /// Free-form metadata kept with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// When the usage happened, as RFC 3339 text (e.g. from
    /// [`Timestamp::to_rfc3339`](crate::Timestamp::to_rfc3339)); the server's clock
    /// when not set. Sent exactly as given, as the server reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// An idempotency key, sent as `X-Idempotency-Key` when not empty (never in the
    /// body). On a bound request, set it with `.idempotency_key(..)`, which
    /// takes precedence over this field.
    #[serde(default, skip_serializing)]
    pub idempotency_key: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl RecordUsage {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(feature: impl Into<String>, quantity: f64) -> Self {
        Self {
            bound: Unbound,
            feature: feature.into(),
            quantity,
            metadata: None,
            timestamp: None,
            idempotency_key: None,
        }
    }
}

crate::arguments::arguments!(RecordUsage(feature, quantity, idempotency_key) { metadata: serde_json::Map<String, serde_json::Value>, timestamp: String });

/// Writes a whole `f64` as a JSON integer, like the reference does for an `int` quantity.
fn whole_as_integer<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    // 2^53: beyond it not every integer is an f64, and the cast below would round.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() <= EXACT {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl Endpoint for RecordUsage {
    type Output = UsageRecordResult;
    type Wire = UsageRecordResult;
    const NAME: &'static str = "usage.record_usage";

    fn request(&self) -> Result<RequestSpec, Error> {
        if !self.quantity.is_finite() {
            return Err(Error::invalid("quantity", "must be a finite number"));
        }
        Ok(RequestSpec::post("/api/usage/record")
            .json(self)
            .idempotency_key(self.idempotency_key.as_deref())
            .auth(Auth::Bearer))
    }
}

/// `GET /api/usage/history`. Each filter is sent only when not empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetHistory<B = Unbound> {
    /// The granularity, e.g. `daily`.
    #[serde(default)]
    pub period: Option<String>,
    /// The first day, e.g. `2025-01-01`.
    #[serde(default)]
    pub start_date: Option<String>,
    /// The last day, e.g. `2025-01-31`.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Only this feature.
    #[serde(default)]
    pub feature: Option<String>,
    /// The response format the server should use.
    #[serde(default)]
    pub format: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetHistory {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(GetHistory() { period: String, start_date: String, end_date: String, feature: String, format: String });

impl Endpoint for GetHistory {
    type Output = UsageHistory;
    type Wire = UsageHistory;
    const NAME: &'static str = "usage.get_history";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/usage/history")
            .query_non_empty("period", self.period.as_deref())
            .query_non_empty("start_date", self.start_date.as_deref())
            .query_non_empty("end_date", self.end_date.as_deref())
            .query_non_empty("feature", self.feature.as_deref())
            .query_non_empty("format", self.format.as_deref())
            .auth(Auth::Bearer))
    }
}

crate::registry!(GetFeatures, RecordUsage, GetHistory);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::test_support::body;
    use bytes::Bytes;
    use http::Method;
    use serde_json::{json, Value};

    fn raw_body(spec: &RequestSpec) -> &str {
        std::str::from_utf8(spec.body.as_ref().expect("a body")).unwrap()
    }

    fn response(value: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(value.to_string()))
    }

    #[test]
    fn get_features_request_and_parse() {
        let spec = GetFeatures { bound: Unbound }
            .request()
            .unwrap()
            .validate()
            .unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/usage/features");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let got = GetFeatures { bound: Unbound }
            .parse(&response(json!({"success": true, "data": {
                "user_id": "6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60",
                "tier": "pro",
                "period": {"start": "2025-01-01T00:00:00Z", "end": "2025-01-31T23:59:59Z"},
                "features": [
                    {"name": "api_calls", "description": "API requests", "used": 1523,
                     "limit": 10000, "percentage": 15.23, "reset_at": "2025-02-01T00:00:00Z"},
                    {"name": "storage_gb", "description": "Stored data", "used": 2.5,
                     "limit": null, "percentage": null, "reset_at": null}
                ],
                "overage": {"enabled": false}
            }})))
            .unwrap();
        assert_eq!(got.tier.as_deref(), Some("pro"));
        assert_eq!(got.period.start.unwrap().unix_seconds(), 1_735_689_600);
        assert_eq!(got.features.len(), 2);
        assert_eq!(got.features[0].used, Some(1523.0));
        assert_eq!(got.features[0].percentage, Some(15.23));
        assert_eq!(got.features[1].limit, None);
        assert_eq!(got.overage.unwrap()["enabled"], json!(false));

        // Everything optional may be missing.
        let got = GetFeatures { bound: Unbound }
            .parse(&response(json!({"data": {}})))
            .unwrap();
        assert!(got.features.is_empty());
        assert_eq!(got.period.start, None);
    }

    #[test]
    fn record_usage_request() {
        let e: RecordUsage =
            serde_json::from_value(json!({"feature": "api_calls", "quantity": 1})).unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/usage/record");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(raw_body(&spec), r#"{"feature":"api_calls","quantity":1}"#);
        assert_eq!(spec.idempotency_key, None);

        let e: RecordUsage = serde_json::from_value(json!({
            "feature": "api_calls", "quantity": 5,
            "metadata": {"endpoint": "/api/auth/verify-wallet"},
            "timestamp": "2025-01-09T10:30:00Z",
            "idempotency_key": "req_123456"
        }))
        .unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(
            body(&spec),
            Some(json!({
                "feature": "api_calls", "quantity": 5,
                "metadata": {"endpoint": "/api/auth/verify-wallet"},
                "timestamp": "2025-01-09T10:30:00Z"
            }))
        );
        assert!(raw_body(&spec).contains(r#""quantity":5,"#));
        assert_eq!(spec.idempotency_key.as_deref(), Some("req_123456"));

        let mut e = e;
        e.quantity = 2.5;
        e.idempotency_key = Some(String::new());
        let spec = e.request().unwrap();
        assert!(raw_body(&spec).contains(r#""quantity":2.5"#));
        assert_eq!(spec.idempotency_key, None);

        for q in [f64::NAN, f64::INFINITY] {
            e.quantity = q;
            assert!(matches!(e.request(), Err(Error::InvalidArgument { .. })));
        }
    }

    #[test]
    fn record_usage_parses() {
        let e: RecordUsage =
            serde_json::from_value(json!({"feature": "api_calls", "quantity": 1})).unwrap();
        for body in [
            json!({"success": true, "data": {
                "record_id": "ur_01JHKB1C2D", "feature": "api_calls", "quantity": 1,
                "recorded_at": "2025-01-15T12:00:00Z",
                "current_usage": {"used": 1524, "limit": 10000, "remaining": 8476},
                "warning": null
            }}),
            json!({
                "record_id": "ur_01JHKB1C2D", "feature": "api_calls", "quantity": 1,
                "recorded_at": "2025-01-15T12:00:00Z",
                "current_usage": {"used": 1524, "limit": 10000, "remaining": 8476},
                "warning": null
            }),
        ] {
            let got = e.parse(&response(body)).unwrap();
            assert_eq!(got.record_id, "ur_01JHKB1C2D");
            assert_eq!(got.quantity, Some(1.0));
            assert_eq!(got.current_usage.remaining, Some(8476.0));
            assert_eq!(got.warning, None);
        }
    }

    #[test]
    fn get_history_request_and_parse() {
        let spec = GetHistory::default().request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/usage/history");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let e: GetHistory = serde_json::from_value(json!({
            "period": "daily", "start_date": "2025-01-01", "end_date": "2025-01-03",
            "feature": "api_calls", "format": ""
        }))
        .unwrap();
        let spec = e.request().unwrap();
        assert_eq!(
            spec.query_string(),
            "period=daily&start_date=2025-01-01&end_date=2025-01-03&feature=api_calls"
        );

        let got = e
            .parse(&response(json!({"success": true, "data": {
                "period": "daily", "start_date": "2025-01-01", "end_date": "2025-01-03",
                "history": [{"date": "2025-01-01",
                             "features": {"api_calls": 320, "wallet_verifications": 12},
                             "total_cost": 0}],
                "summary": {"total_api_calls": 8501, "total_cost": 0}
            }})))
            .unwrap();
        assert_eq!(got.period.as_deref(), Some("daily"));
        assert_eq!(got.history.len(), 1);
        assert_eq!(got.history[0].features["api_calls"], json!(320));
        assert_eq!(got.history[0].total_cost.as_ref().unwrap().as_str(), "0");
        assert_eq!(got.summary.unwrap()["total_api_calls"], json!(8501));

        let got = e
            .parse(&response(
                json!({"history": [{"date": "2025-01-14", "total_cost": 0.25}]}),
            ))
            .unwrap();
        assert_eq!(got.history[0].total_cost.as_ref().unwrap().as_str(), "0.25");
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        let bad = json!({"data": {"features": [{"name": "a", "used": "lots"}]}});
        let result = GetFeatures { bound: Unbound }.parse(&response(bad));
        match result {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.features[0].used"),
            other => panic!("{other:?}"),
        }
        let e: RecordUsage =
            serde_json::from_value(json!({"feature": "api_calls", "quantity": 1})).unwrap();
        match e.parse(&response(json!({"data": {"feature": "api_calls"}}))) {
            Err(Error::Decode(d)) => assert!(d.reason.contains("record_id"), "{d:?}"),
            other => panic!("{other:?}"),
        }
        match GetHistory::default().parse(&response(json!({"data": {"history": {}}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.history"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            GetFeatures { bound: Unbound }.parse(&http::Response::new(Bytes::new())),
            Err(Error::Decode(_))
        ));
    }
}
