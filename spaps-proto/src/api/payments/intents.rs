//! Stripe payment intents and the user's payment method (`/api/payments`).

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::payments::{JsonObject, PaymentIntent, PaymentMethodUpdateResult};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a payment intent for `amount` minor units of `currency`.
    /// Optional: `.payment_method_types(..)`, `.metadata(..)`.
    pub fn create_payment_intent(
        &self,
        amount: i64,
        currency: impl Into<String>,
    ) -> CreatePaymentIntent<Bound<'a, X>> {
        CreatePaymentIntent::new(amount, currency).on(self.client)
    }
}

/// `POST /api/payments/create-payment-intent`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreatePaymentIntent<B = Unbound> {
    /// The amount, in minor units (cents).
    pub amount: i64,
    /// The currency.
    pub currency: String,
    /// Allowed payment method types (`card`, ...); sent when set, even empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_types: Option<Vec<String>>,
    /// Intent metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreatePaymentIntent {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(amount: i64, currency: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            amount,
            currency: currency.into(),
            payment_method_types: None,
            metadata: None,
        }
    }
}

crate::arguments::arguments!(CreatePaymentIntent(amount, currency) { payment_method_types: Vec<String>, metadata: JsonObject });

impl Endpoint for CreatePaymentIntent {
    type Output = PaymentIntent;
    type Wire = PaymentIntent;
    const NAME: &'static str = "payments.create_payment_intent";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/create-payment-intent")
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Attaches a payment method to the user. Optional: `.set_default(..)`.
    pub fn update_payment_method(
        &self,
        payment_method_id: impl Into<String>,
    ) -> UpdatePaymentMethod<Bound<'a, X>> {
        UpdatePaymentMethod::new(payment_method_id).on(self.client)
    }
}

/// `POST /api/payments/update-payment-method`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdatePaymentMethod<B = Unbound> {
    /// The Stripe payment method.
    pub payment_method_id: String,
    /// Whether to make it the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_default: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl UpdatePaymentMethod {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(payment_method_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            payment_method_id: payment_method_id.into(),
            set_default: None,
        }
    }
}

crate::arguments::arguments!(UpdatePaymentMethod(payment_method_id) { set_default: bool });

impl Endpoint for UpdatePaymentMethod {
    type Output = PaymentMethodUpdateResult;
    type Wire = PaymentMethodUpdateResult;
    const NAME: &'static str = "payments.update_payment_method";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("payment_method_id", &self.payment_method_id)?;
        Ok(RequestSpec::post("/api/payments/update-payment-method")
            .json(self)
            .auth(Auth::Bearer))
    }
}

crate::registry!(CreatePaymentIntent, UpdatePaymentMethod,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::payments::test_support::{args, body, built, check, wrap};

    #[test]
    fn create_payment_intent() {
        let mut e: CreatePaymentIntent = args(json!({"amount": 4999, "currency": "usd"}));
        check(
            &built(&e),
            Method::POST,
            "/api/payments/create-payment-intent",
            "",
            Some(json!({"amount": 4999, "currency": "usd"})),
            Auth::Bearer,
        );
        e.payment_method_types = Some(vec![]);
        assert_eq!(
            body(&built(&e)),
            Some(json!({"amount": 4999, "currency": "usd", "payment_method_types": []}))
        );
        let out = e
            .parse(&wrap(
                json!({"payment_intent_id": "pi_1", "client_secret": "pi_1_secret_x",
                "status": "requires_payment_method"}),
            ))
            .unwrap();
        assert_eq!(
            out.client_secret.as_ref().unwrap().expose(),
            "pi_1_secret_x"
        );
        assert!(!format!("{out:?}").contains("pi_1_secret_x"));
    }

    #[test]
    fn update_payment_method() {
        let e: UpdatePaymentMethod =
            args(json!({"payment_method_id": "pm_1", "set_default": true}));
        check(
            &built(&e),
            Method::POST,
            "/api/payments/update-payment-method",
            "",
            Some(json!({"payment_method_id": "pm_1", "set_default": true})),
            Auth::Bearer,
        );
        let out = e
            .parse(&wrap(
                json!({"payment_method_id": "pm_1", "customer_id": "cus_1"}),
            ))
            .unwrap();
        assert!(!out.is_default);
        let empty: UpdatePaymentMethod = args(json!({"payment_method_id": ""}));
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument {
                name: "payment_method_id",
                ..
            })
        ));
    }
}
