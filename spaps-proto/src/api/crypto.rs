//! Crypto invoices and reconciliation (`/api/payments/crypto`). Every call needs a
//! bearer token.

use http::HeaderName;
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::endpoint::Endpoint;
use crate::envelope::Shape;
use crate::error::Error;
use crate::model::crypto::{CryptoInvoice, CryptoInvoiceStatus, CryptoReconcileJob};
use crate::request::{Bound, Execute, Unbound};
use crate::secret::Secret;
use crate::spec::{require, Auth, RequestSpec};

/// The crypto operations of a client: `client.crypto()`.
#[derive(Debug)]
pub struct CryptoApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> CryptoApi<'a, X> {
    /// The crypto operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Creates an invoice for `amount` of `asset` on `network`.
    /// Optional: `.expires_in_seconds(..)`, `.beneficiary(..)`, `.metadata(..)`.
    pub fn create_invoice(
        &self,
        asset: impl Into<String>,
        network: impl Into<String>,
        amount: Decimal,
    ) -> CreateInvoice<Bound<'a, X>> {
        CreateInvoice::new(asset, network, amount).on(self.client)
    }

    /// An invoice.
    pub fn get_invoice(&self, invoice_id: impl Into<String>) -> GetInvoice<Bound<'a, X>> {
        GetInvoice::new(invoice_id).on(self.client)
    }

    /// The settlement status of an invoice.
    pub fn get_invoice_status(
        &self,
        invoice_id: impl Into<String>,
    ) -> GetInvoiceStatus<Bound<'a, X>> {
        GetInvoiceStatus::new(invoice_id).on(self.client)
    }

    /// Schedules a reconciliation of invoices against the chain.
    /// Optional: `.recon_token(..)` (operator/cron callers), `.cursor(..)`.
    pub fn reconcile(&self) -> Reconcile<Bound<'a, X>> {
        Reconcile::new().on(self.client)
    }
}

/// `POST /api/payments/crypto/invoices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateInvoice<B = Unbound> {
    /// The asset to pay in, e.g. `USDC`.
    pub asset: String,
    /// The network, e.g. `base`.
    pub network: String,
    /// The amount, in units of `asset`; sent as a decimal string.
    pub amount: Decimal,
    /// How long the invoice accepts payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    /// Who receives the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free-form metadata kept with the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateInvoice {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(asset: impl Into<String>, network: impl Into<String>, amount: Decimal) -> Self {
        Self {
            bound: Unbound,
            asset: asset.into(),
            network: network.into(),
            amount,
            expires_in_seconds: None,
            beneficiary: None,
            metadata: None,
        }
    }
}

crate::arguments::arguments!(CreateInvoice(asset, network, amount) { expires_in_seconds: u64, beneficiary: serde_json::Map<String, serde_json::Value>, metadata: serde_json::Map<String, serde_json::Value> });

impl Endpoint for CreateInvoice {
    type Output = CryptoInvoice;
    type Wire = CryptoInvoice;
    const NAME: &'static str = "crypto.create_invoice";
    const SHAPE: Shape = Shape::DataOrKey("invoice");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/crypto/invoices")
            .json(self)
            .auth(Auth::Bearer))
    }
}

/// `GET /api/payments/crypto/invoices/{invoice_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetInvoice<B = Unbound> {
    /// The invoice.
    pub invoice_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetInvoice(invoice_id) {});

impl GetInvoice {
    /// The request, with its arguments.
    pub fn new(invoice_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            invoice_id: invoice_id.into(),
        }
    }
}

impl Endpoint for GetInvoice {
    type Output = CryptoInvoice;
    type Wire = CryptoInvoice;
    const NAME: &'static str = "crypto.get_invoice";
    const SHAPE: Shape = Shape::DataOrKey("invoice");

    fn request(&self) -> Result<RequestSpec, Error> {
        require("invoice_id", &self.invoice_id)?;
        Ok(
            RequestSpec::get("/api/payments/crypto/invoices/{invoice_id}")
                .param(&self.invoice_id)
                .auth(Auth::Bearer),
        )
    }
}

/// `GET /api/payments/crypto/invoices/{invoice_id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetInvoiceStatus<B = Unbound> {
    /// The invoice.
    pub invoice_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetInvoiceStatus(invoice_id) {});

impl GetInvoiceStatus {
    /// The request, with its arguments.
    pub fn new(invoice_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            invoice_id: invoice_id.into(),
        }
    }
}

impl Endpoint for GetInvoiceStatus {
    type Output = CryptoInvoiceStatus;
    type Wire = CryptoInvoiceStatus;
    const NAME: &'static str = "crypto.get_invoice_status";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("invoice_id", &self.invoice_id)?;
        Ok(
            RequestSpec::get("/api/payments/crypto/invoices/{invoice_id}/status")
                .param(&self.invoice_id)
                .auth(Auth::Bearer),
        )
    }
}

/// `POST /api/payments/crypto/reconcile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Reconcile<B = Unbound> {
    /// The reconciliation token of operator and cron callers; sent as `X-Recon-Token`
    /// when not empty.
    #[serde(default)]
    pub recon_token: Option<Secret>,
    /// The cursor to resume from (from [`CryptoReconcileJob::cursor`]).
    #[serde(default)]
    pub cursor: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl Reconcile {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(Reconcile() { recon_token: Secret, cursor: serde_json::Map<String, serde_json::Value> });

/// The reconcile body: `{"cursor": ..}`, or `{}` without a cursor.
#[derive(Serialize)]
struct ReconcileBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

const RECON_TOKEN: HeaderName = HeaderName::from_static("x-recon-token");

impl Endpoint for Reconcile {
    type Output = CryptoReconcileJob;
    type Wire = CryptoReconcileJob;
    const NAME: &'static str = "crypto.reconcile";

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = ReconcileBody {
            cursor: self.cursor.as_ref(),
        };
        let mut spec = RequestSpec::post("/api/payments/crypto/reconcile")
            .json(&body)
            .auth(Auth::Bearer);
        if let Some(token) = self.recon_token.as_ref().filter(|t| !t.is_empty()) {
            spec = spec.secret_header(RECON_TOKEN, token);
        }
        Ok(spec)
    }
}

crate::registry!(CreateInvoice, GetInvoice, GetInvoiceStatus, Reconcile);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::test_support::body;
    use bytes::Bytes;
    use http::Method;
    use serde_json::{json, Value};

    fn response(value: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(value.to_string()))
    }

    fn header<'s>(spec: &'s RequestSpec, name: &str) -> Option<&'s str> {
        spec.headers
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .and_then(|(_, v)| v.to_str().ok())
    }

    fn invoice_json() -> Value {
        json!({
            "id": "inv_01JHK5N8P2Q4R6S8T0V2W4X6Y8",
            "asset": "USDC",
            "network": "base",
            "amount": "42.75",
            "status": "pending",
            "expires_at": "2025-01-15T12:15:00Z",
            "beneficiary": {"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "label": "treasury"},
            "metadata": {"order_id": "ord_8841"}
        })
    }

    #[test]
    fn create_invoice_request() {
        let e: CreateInvoice =
            serde_json::from_value(json!({"asset": "USDC", "network": "base", "amount": "42.75"}))
                .unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/payments/crypto/invoices");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(
            body(&spec),
            Some(json!({"asset": "USDC", "network": "base", "amount": "42.75"}))
        );

        let e: CreateInvoice = serde_json::from_value(json!({
            "asset": "USDC", "network": "base", "amount": "42.75",
            "expires_in_seconds": 900, "metadata": {"order_id": "ord_123"}
        }))
        .unwrap();
        let spec = e.request().unwrap();
        assert_eq!(
            body(&spec),
            Some(json!({
                "asset": "USDC", "network": "base", "amount": "42.75",
                "expires_in_seconds": 900, "metadata": {"order_id": "ord_123"}
            }))
        );
    }

    #[test]
    fn invoice_is_read_under_invoice_or_bare_with_either_id() {
        let e = GetInvoice {
            bound: Unbound,
            invoice_id: "inv_1".into(),
        };
        let want: CryptoInvoice = serde_json::from_value(invoice_json()).unwrap();
        assert_eq!(want.invoice_id, "inv_01JHK5N8P2Q4R6S8T0V2W4X6Y8");
        assert_eq!(want.amount.as_str(), "42.75");
        for body in [
            json!({"success": true, "data": {"invoice": invoice_json()}}),
            json!({"invoice": invoice_json()}),
            json!({"data": invoice_json()}),
        ] {
            assert_eq!(e.parse(&response(body)).unwrap(), want);
        }
        let mut by_invoice_id = invoice_json();
        let id = by_invoice_id.as_object_mut().unwrap().remove("id").unwrap();
        by_invoice_id["invoice_id"] = id;
        let got = e
            .parse(&response(json!({"data": {"invoice": by_invoice_id}})))
            .unwrap();
        assert_eq!(got, want);
        // Only the required fields.
        let got = e
            .parse(&response(json!({"data": {"invoice": {
                "id": "inv_123", "asset": "USDC", "network": "base", "amount": "10", "status": "pending"
            }}})))
            .unwrap();
        assert_eq!(got.amount.as_str(), "10");
        assert_eq!(got.expires_at, None);
        assert_eq!(got.metadata, None);
    }

    #[test]
    fn get_invoice_requests() {
        let spec = GetInvoice {
            bound: Unbound,
            invoice_id: "inv 1/2".into(),
        }
        .request()
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/payments/crypto/invoices/inv%201%2F2");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let spec = GetInvoiceStatus {
            bound: Unbound,
            invoice_id: "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE".into(),
        }
        .request()
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(
            spec.path(),
            "/api/payments/crypto/invoices/inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE/status"
        );
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let blank = GetInvoice {
            bound: Unbound,
            invoice_id: " ".into(),
        };
        assert!(matches!(
            blank.request(),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            GetInvoiceStatus {
                bound: Unbound,
                invoice_id: String::new()
            }
            .request(),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn invoice_status_parses() {
        let e = GetInvoiceStatus {
            bound: Unbound,
            invoice_id: "inv".into(),
        };
        let got = e
            .parse(&response(json!({"success": true, "data": {
                "invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE",
                "status": "confirmed",
                "finalized_at": "2025-01-09T11:00:00Z",
                "normalized_amount": "42.750000",
                "settlement_ids": ["ledg_01J1CK5K3QPKM783X2TSZGSQEG"],
                "underpaid": false,
                "x_future_field": {"depth": 1}
            }})))
            .unwrap();
        assert_eq!(got.status, "confirmed");
        assert_eq!(got.normalized_amount.unwrap().as_str(), "42.750000");
        assert_eq!(got.finalized_at.unwrap().unix_seconds(), 1_736_420_400);
        assert_eq!(got.underpaid, Some(false));
        assert_eq!(got.overpaid, None);
        assert_eq!(got.settlement_ids.unwrap().len(), 1);
    }

    #[test]
    fn reconcile_request() {
        let spec = Reconcile::default().request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/payments/crypto/reconcile");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), Some(json!({})));
        assert_eq!(header(&spec, "x-recon-token"), None);

        let e: Reconcile = serde_json::from_value(json!({
            "recon_token": "recon_123", "cursor": {"last_invoice_id": "inv_123"}
        }))
        .unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(
            body(&spec),
            Some(json!({"cursor": {"last_invoice_id": "inv_123"}}))
        );
        assert_eq!(header(&spec, "x-recon-token"), Some("recon_123"));

        let e = Reconcile {
            bound: Unbound,
            recon_token: Some(Secret::new("")),
            cursor: Some(serde_json::Map::new()),
        };
        let spec = e.request().unwrap();
        assert_eq!(header(&spec, "x-recon-token"), None);
        assert_eq!(body(&spec), Some(json!({"cursor": {}})));
        assert!(!format!(
            "{:?}",
            Reconcile {
                bound: Unbound,
                recon_token: Some(Secret::new("recon_123")),
                cursor: None
            }
        )
        .contains("recon_123"));
    }

    #[test]
    fn reconcile_parses() {
        let got = Reconcile::default()
            .parse(&response(json!({"success": true, "data": {
                "job_id": "job_123",
                "scheduled_at": "2025-01-09T11:05:00Z",
                "cursor": {"last_invoice_id": "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE"}
            }})))
            .unwrap();
        assert_eq!(got.job_id, "job_123");
        assert_eq!(
            got.cursor.unwrap()["last_invoice_id"],
            "inv_01J1CJZ3H6TQ1FA6HJX2Y5M3VE"
        );
        let got = Reconcile::default()
            .parse(&response(json!({
                "job_id": "job_01JHKA0B1C", "scheduled_at": "2025-01-15T12:00:00Z", "cursor": null
            })))
            .unwrap();
        assert_eq!(got.cursor, None);
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        let e = GetInvoice {
            bound: Unbound,
            invoice_id: "inv".into(),
        };
        let mut bad = invoice_json();
        bad["amount"] = json!("forty-two");
        match e.parse(&response(json!({"data": {"invoice": bad}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "invoice.amount"),
            other => panic!("{other:?}"),
        }
        match e.parse(&response(json!({"data": {"invoice": {"asset": "USDC"}}}))) {
            Err(Error::Decode(_)) => {}
            other => panic!("{other:?}"),
        }
        let status = GetInvoiceStatus {
            bound: Unbound,
            invoice_id: "inv".into(),
        };
        let bad = json!({"data": {"invoice_id": "i", "status": "s", "underpaid": "no"}});
        match status.parse(&response(bad)) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.underpaid"),
            other => panic!("{other:?}"),
        }
        match Reconcile::default().parse(&response(
            json!({"data": {"job_id": 7, "scheduled_at": "2025-01-15T12:00:00Z"}}),
        )) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.job_id"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e.parse(&http::Response::new(Bytes::from_static(b"<html>"))),
            Err(Error::Decode(_))
        ));
    }
}
