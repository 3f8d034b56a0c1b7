//! Checkout sessions of the signed-in user: created, in detail, listed, expired.

use serde::{Deserialize, Serialize};

use super::JsonObject;
use crate::timestamp::Timestamp;

/// A Stripe checkout session to redirect the user to (`payments.create_checkout_session`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckoutSession {
    /// The checkout session id.
    pub session_id: String,
    /// Where to send the user.
    pub checkout_url: String,
    /// When the session expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// A Stripe checkout session in detail (`payments.get_checkout_session`,
/// `payments.get_guest_checkout_session`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckoutSessionDetails {
    /// The checkout session id.
    pub id: String,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid`, ...
    #[serde(default)]
    pub payment_status: Option<String>,
    /// The customer's email address.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// The total, in minor units.
    #[serde(default)]
    pub amount_total: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Where Stripe sends the user after paying.
    #[serde(default)]
    pub success_url: Option<String>,
    /// Where Stripe sends the user on cancel.
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// The caller's reference.
    #[serde(default)]
    pub client_reference_id: Option<String>,
    /// Session metadata.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// The payment intent id.
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// The subscription id.
    #[serde(default)]
    pub subscription: Option<String>,
    /// When the session expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// A checkout session in a listing (`payments.list_checkout_sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckoutSessionSummary {
    /// The checkout session id.
    pub id: String,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid`, ...
    #[serde(default)]
    pub payment_status: Option<String>,
    /// The total, in minor units.
    #[serde(default)]
    pub amount_total: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// When it expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// A page of checkout sessions (`payments.list_checkout_sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckoutSessionList {
    /// The sessions.
    #[serde(default)]
    pub sessions: Vec<CheckoutSessionSummary>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
    /// The cursor of the next page, when the server gives one.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The result of expiring a checkout session (`payments.expire_checkout_session`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExpireCheckoutSessionResult {
    /// The checkout session id.
    pub id: String,
    /// Its status after the request.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether it was expired.
    #[serde(default)]
    pub expired: bool,
}

/// The result of creating an authenticated checkout session
/// (`payments.create_authenticated_checkout_session`): the server's object, with the
/// usual fields typed and the rest in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthenticatedCheckoutSession {
    /// The checkout session id.
    #[serde(default)]
    pub id: Option<String>,
    /// Where to send the user.
    #[serde(default)]
    pub url: Option<String>,
    /// `payment`, `subscription` or `setup`.
    #[serde(default)]
    pub mode: Option<String>,
    /// When the session expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Every other key of the response.
    #[serde(flatten)]
    pub extra: JsonObject,
}
