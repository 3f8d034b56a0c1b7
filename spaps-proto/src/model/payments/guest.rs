//! Guest checkout sessions, and the result of turning one into an account.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// A new guest checkout session (`payments.create_guest_checkout_session`). The server
/// sends camelCase keys (`expiresAt`, ...); the snake_case ones are accepted too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GuestCheckoutSession {
    /// The checkout session id.
    pub id: String,
    /// Where to send the guest.
    #[serde(default)]
    pub url: Option<String>,
    /// When the session expires (`expiresAt`).
    #[serde(default, alias = "expiresAt")]
    pub expires_at: Option<Timestamp>,
    /// The guest's email address (`customerEmail`).
    #[serde(default, alias = "customerEmail")]
    pub customer_email: Option<String>,
    /// The caller's reference (`clientReferenceId`).
    #[serde(default, alias = "clientReferenceId")]
    pub client_reference_id: Option<String>,
    /// Where Stripe sends the guest after paying (`successUrl`).
    #[serde(default, alias = "successUrl")]
    pub success_url: Option<String>,
    /// Where Stripe sends the guest on cancel (`cancelUrl`).
    #[serde(default, alias = "cancelUrl")]
    pub cancel_url: Option<String>,
}

/// A guest checkout session in a listing (`payments.list_guest_checkout_sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GuestCheckoutSessionSummary {
    /// The checkout session id (sent as `session_id`).
    pub session_id: String,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid`, ...
    #[serde(default)]
    pub payment_status: Option<String>,
    /// The guest's email address.
    #[serde(default)]
    pub customer_email: Option<String>,
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

/// A page of guest checkout sessions (`payments.list_guest_checkout_sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GuestCheckoutSessionList {
    /// The sessions.
    #[serde(default)]
    pub sessions: Vec<GuestCheckoutSessionSummary>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
}

/// The result of turning a guest checkout into an account
/// (`payments.convert_guest_checkout_session`). The server sends camelCase keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GuestCheckoutConversionResult {
    /// Whether the conversion succeeded (the server's own flag).
    pub success: bool,
    /// The account's user id (`userId`).
    #[serde(default, alias = "userId")]
    pub user_id: Option<String>,
    /// The server's message.
    #[serde(default)]
    pub message: Option<String>,
    /// Where the user can sign in (`loginUrl`).
    #[serde(default, alias = "loginUrl")]
    pub login_url: Option<String>,
    /// Whether a magic link was emailed (`magicLinkSent`).
    #[serde(default, alias = "magicLinkSent")]
    pub magic_link_sent: Option<bool>,
}
