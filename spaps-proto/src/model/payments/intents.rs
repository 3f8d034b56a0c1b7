//! Stripe payment intents and the result of updating the payment method.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// A Stripe payment intent (`payments.create_payment_intent`). `Debug` hides the client secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentIntent {
    /// The payment intent id.
    pub payment_intent_id: String,
    /// The secret the front end confirms the payment with.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// The intent's status (`requires_payment_method`, ...).
    #[serde(default)]
    pub status: Option<String>,
}

/// The result of updating the payment method (`payments.update_payment_method`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentMethodUpdateResult {
    /// The server's message.
    #[serde(default)]
    pub message: Option<String>,
    /// The Stripe customer id.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The payment method id.
    pub payment_method_id: String,
    /// Whether it is now the default.
    #[serde(default)]
    pub is_default: bool,
}
