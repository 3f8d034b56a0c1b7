//! Models of the entitlements endpoints.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal::Decimal;
use crate::timestamp::Timestamp;

/// Declares a string enum that keeps values it does not know as `Other(text)`, so a
/// value the server adds later never fails a whole response.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this SDK does not know, as the server sent it.
            Other(String),
        }

        impl $name {
            /// The wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Other(_) => Self::Other(text),
                    known => known,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

open_enum! {
    /// What happened to an entitlement ([`EntitlementEvent::event_type`]).
    EntitlementEventType {
        /// It was granted.
        Granted => "granted",
        /// It was changed.
        Updated => "updated",
        /// It was renewed.
        Renewed => "renewed",
        /// It ran out.
        Expired => "expired",
        /// It was revoked.
        Revoked => "revoked",
        /// A pending entitlement was claimed by its user.
        Claimed => "claimed",
    }
}

open_enum! {
    /// What caused an entitlement event ([`EntitlementEvent::triggered_by`]).
    EventTrigger {
        /// A payment-provider webhook.
        Webhook => "webhook",
        /// An API call.
        Api => "api",
        /// A scheduled job.
        Cron => "cron",
        /// A claim by the user.
        Claim => "claim",
    }
}

open_enum! {
    /// The state of a purchase ([`PurchaseHistoryItem::status`]).
    PurchaseStatus {
        /// In force.
        Active => "active",
        /// Ran out.
        Expired => "expired",
        /// Canceled.
        Canceled => "canceled",
        /// Revoked.
        Revoked => "revoked",
    }
}

/// An entitlement: a right of a user (or a pending email) to a feature, from a source
/// such as a subscription, a crypto invoice or a manual grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entitlement {
    /// The entitlement id.
    pub id: String,
    /// The application it belongs to.
    pub application_id: String,
    /// The user who holds it.
    #[serde(default)]
    pub beneficiary_user_id: Option<String>,
    /// The email it is held for (until a user claims it).
    #[serde(default)]
    pub beneficiary_email: Option<String>,
    /// The entitlement key, e.g. `premium_access`.
    pub entitlement_key: String,
    /// Where it came from (`stripe_subscription`, `manual`, ...; a free string).
    pub source: String,
    /// When it begins.
    pub starts_at: Timestamp,
    /// When it ends, if ever.
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// When it was revoked.
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    /// The crypto invoice that paid for it.
    #[serde(default)]
    pub crypto_invoice_id: Option<String>,
    /// The Stripe subscription behind it.
    #[serde(default)]
    pub stripe_subscription_id: Option<String>,
    /// The Stripe checkout session behind it.
    #[serde(default)]
    pub stripe_session_id: Option<String>,
    /// The Stripe invoice behind it.
    #[serde(default)]
    pub stripe_invoice_id: Option<String>,
    /// The Stripe product behind it.
    #[serde(default)]
    pub stripe_product_id: Option<String>,
    /// The manual grant behind it.
    #[serde(default)]
    pub manual_grant_id: Option<String>,
    /// The reason given for the manual grant.
    #[serde(default)]
    pub manual_grant_reason: Option<String>,
    /// The admin who granted it.
    #[serde(default)]
    pub granted_by_user_id: Option<String>,
    /// The admin who revoked it.
    #[serde(default)]
    pub revoked_by_user_id: Option<String>,
    /// The reason given for the revocation.
    #[serde(default)]
    pub revoked_reason: Option<String>,
    /// The kind of resource it is scoped to (`user`, `company`, `system`, `org`).
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The resource it is scoped to.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// The answer of an access check (`entitlements.check_access`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessCheck {
    /// Whether the user holds a valid entitlement of the key.
    pub has_entitlement: bool,
    /// The user checked.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The key checked.
    #[serde(default)]
    pub entitlement_key: Option<String>,
}

/// A change to an entitlement, for syncing and audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntitlementEvent {
    /// The event id.
    pub id: String,
    /// The entitlement that changed.
    pub entitlement_id: String,
    /// What happened.
    pub event_type: EntitlementEventType,
    /// The application.
    pub application_id: String,
    /// The user concerned.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The email concerned.
    #[serde(default)]
    pub email: Option<String>,
    /// The entitlement key.
    pub entitlement_key: String,
    /// The entitlement's source.
    pub source: String,
    /// The state before the change.
    #[serde(default)]
    pub previous_state: Option<serde_json::Map<String, serde_json::Value>>,
    /// The state after the change.
    #[serde(default)]
    pub new_state: Option<serde_json::Map<String, serde_json::Value>>,
    /// What caused it.
    #[serde(default)]
    pub triggered_by: Option<EventTrigger>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// When it happened.
    pub created_at: Timestamp,
}

/// A page of entitlement changes (`entitlements.get_changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntitlementChanges {
    /// The events, oldest first.
    pub events: Vec<EntitlementEvent>,
    /// Where the next page starts: pass it back unchanged as `since`. The server
    /// makes it an ISO 8601 time, but it is kept as sent, as an opaque cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Whether more events follow.
    #[serde(default)]
    pub has_more: bool,
}

/// The entitlements claimed by the signed-in user (`entitlements.claim_pending`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntitlementClaim {
    /// The entitlements now held by the user.
    pub claimed: Vec<Entitlement>,
    /// How many were claimed.
    pub count: u64,
}

/// One purchase of a user (`entitlements.get_purchase_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PurchaseHistoryItem {
    /// The purchase id.
    pub id: String,
    /// The entitlement it bought.
    pub entitlement_key: String,
    /// How it was paid (`stripe_subscription`, `crypto`, ...).
    pub source: String,
    /// Its state.
    pub status: PurchaseStatus,
    /// When it was bought.
    pub purchased_at: Timestamp,
    /// When the entitlement begins.
    pub starts_at: Timestamp,
    /// When the entitlement ends.
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// The amount paid, in major units (e.g. `29.99`).
    #[serde(default)]
    pub amount: Option<Decimal>,
    /// The currency, e.g. `usd`.
    #[serde(default)]
    pub currency: Option<String>,
    /// The Stripe invoice.
    #[serde(default)]
    pub stripe_invoice_id: Option<String>,
    /// The Stripe subscription.
    #[serde(default)]
    pub stripe_subscription_id: Option<String>,
    /// The crypto invoice.
    #[serde(default)]
    pub crypto_invoice_id: Option<String>,
    /// The product's display name.
    #[serde(default)]
    pub product_name: Option<String>,
}

/// The wire form of a user's entitlements: `{"entitlements": [..]}`.
#[derive(Debug, Deserialize)]
pub struct RawEntitlementList {
    entitlements: Vec<Entitlement>,
}

impl From<RawEntitlementList> for Vec<Entitlement> {
    fn from(raw: RawEntitlementList) -> Self {
        raw.entitlements
    }
}

/// The wire form of a purchase history: `{"history": [..]}`.
#[derive(Debug, Deserialize)]
pub struct RawPurchaseHistory {
    history: Vec<PurchaseHistoryItem>,
}

impl From<RawPurchaseHistory> for Vec<PurchaseHistoryItem> {
    fn from(raw: RawPurchaseHistory) -> Self {
        raw.history
    }
}
