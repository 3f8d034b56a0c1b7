//! Models of the payments endpoints.
//!
//! Times are [`Timestamp`](crate::Timestamp)s whatever the wire shape: ISO 8601 in the
//! `/api/payments` models, Unix seconds in the Stripe-shaped ones. Minor-unit amounts
//! (cents) are `i64`; major-unit amounts (balances, wallet deposits) are
//! [`Decimal`](crate::Decimal).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod catalog;
mod checkout;
mod guest;
mod history;
mod intents;
mod subscriptions;
mod wallet;

pub use catalog::{
    Archived, DefaultPriceCreated, Product, ProductList, ProductPrice, RawProductList,
};
pub use checkout::{
    AuthenticatedCheckoutSession, CheckoutSession, CheckoutSessionDetails, CheckoutSessionList,
    CheckoutSessionSummary, ExpireCheckoutSessionResult,
};
pub use guest::{
    GuestCheckoutConversionResult, GuestCheckoutSession, GuestCheckoutSessionList,
    GuestCheckoutSessionSummary,
};
pub use history::{PaymentHistory, PaymentRecord};
pub use intents::{PaymentIntent, PaymentMethodUpdateResult};
pub use subscriptions::{
    SubscriptionCancellation, SubscriptionDetail, SubscriptionItem, SubscriptionItemPrice,
    SubscriptionItemPriceRecurring, SubscriptionList, SubscriptionPlan,
};
pub use wallet::{
    BalanceAmounts, BalanceOverview, UsageSummary, WalletDepositResult, WalletTransaction,
};

/// A free-form JSON object.
pub type JsonObject = Map<String, Value>;

/// One line item of a checkout session, passed to the server as given.
///
/// ```
/// use spaps_proto::model::payments::LineItem;
/// let item = LineItem::new("price_123", 2);
/// assert_eq!(
///     serde_json::to_value(&item).unwrap(),
///     serde_json::json!({"price_id": "price_123", "quantity": 2})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineItem {
    /// The price to buy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_id: Option<String>,
    /// How many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Any other keys of the item (`price_data`, `adjustable_quantity`, ...), sent as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl LineItem {
    /// `quantity` of `price_id`.
    pub fn new(price_id: impl Into<String>, quantity: u64) -> Self {
        Self {
            price_id: Some(price_id.into()),
            quantity: Some(quantity),
            extra: JsonObject::new(),
        }
    }

    /// Adds another key to the item.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

impl From<JsonObject> for LineItem {
    /// An item given as a JSON object (e.g. one with `price_data` instead of `price_id`).
    fn from(object: JsonObject) -> Self {
        serde_json::from_value(Value::Object(object.clone())).unwrap_or(Self {
            price_id: None,
            quantity: None,
            extra: object,
        })
    }
}
