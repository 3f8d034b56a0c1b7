//! Models of the payments endpoints.
//!
//! Times are [`Timestamp`]s whatever the wire shape: ISO 8601 in the `/api/payments`
//! models, Unix seconds in the Stripe-shaped ones. Minor-unit amounts (cents) are `i64`;
//! major-unit amounts (balances, wallet deposits) are [`Decimal`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::decimal::Decimal;
use crate::secret::Secret;
use crate::timestamp::Timestamp;

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

/// A submitted wallet deposit (`payments.wallet_deposit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WalletDepositResult {
    /// The deposit id.
    pub deposit_id: String,
    /// Its status (`pending`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// The amount, in major units of `currency`.
    #[serde(default)]
    pub amount: Option<Decimal>,
    /// The currency or token.
    #[serde(default)]
    pub currency: Option<String>,
    /// Confirmations required.
    #[serde(default)]
    pub confirmation_required: Option<u64>,
    /// Confirmations so far.
    #[serde(default)]
    pub confirmation_current: Option<u64>,
}

/// The confirmation state of a wallet transaction (`payments.get_wallet_transaction`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WalletTransaction {
    /// The transaction id (hash).
    pub transaction_id: String,
    /// Its status (`confirmed`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// Confirmations so far.
    #[serde(default)]
    pub confirmations: Option<u64>,
    /// The chain.
    #[serde(default)]
    pub chain_type: Option<String>,
    /// The amount, in major units of `currency`.
    #[serde(default)]
    pub amount: Option<Decimal>,
    /// The currency or token.
    #[serde(default)]
    pub currency: Option<String>,
    /// The balance credited, in major units.
    #[serde(default)]
    pub balance_added: Option<Decimal>,
    /// When the transaction completed.
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
}

/// The billing interval of a recurring price.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionItemPriceRecurring {
    /// `day`, `week`, `month` or `year`.
    #[serde(default)]
    pub interval: Option<String>,
    /// Intervals between bills.
    #[serde(default)]
    pub interval_count: Option<u32>,
}

/// The Stripe price of a subscription item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionItemPrice {
    /// The price id.
    pub id: String,
    /// The product id.
    #[serde(default)]
    pub product: Option<String>,
    /// The price, in minor units.
    #[serde(default)]
    pub unit_amount: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// The billing interval.
    #[serde(default)]
    pub recurring: Option<SubscriptionItemPriceRecurring>,
}

/// One line of a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionItem {
    /// The item id.
    pub id: String,
    /// Its price.
    pub price: SubscriptionItemPrice,
}

/// The plan of a subscription: its first item's price, flattened ([`SubscriptionDetail::plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionPlan {
    /// The price id.
    pub price_id: Option<String>,
    /// The product id.
    pub product_id: Option<String>,
    /// The price, in minor units.
    pub unit_amount: Option<i64>,
    /// The currency.
    pub currency: Option<String>,
    /// The billing interval.
    pub interval: Option<String>,
    /// Intervals between bills.
    pub interval_count: Option<u32>,
}

fn plan_of(items: &[SubscriptionItem]) -> Option<SubscriptionPlan> {
    let price = &items.first()?.price;
    let recurring = price.recurring.clone().unwrap_or_default();
    Some(SubscriptionPlan {
        price_id: Some(price.id.clone()),
        product_id: price.product.clone(),
        unit_amount: price.unit_amount,
        currency: price.currency.clone(),
        interval: recurring.interval,
        interval_count: recurring.interval_count,
    })
}

/// A subscription (`payments.get_subscription`, `payments.update_subscription`, and the
/// items of `payments.list_subscriptions`). The server names the id `id` or
/// `subscription_id`; both fields hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSubscriptionDetail")]
#[non_exhaustive]
pub struct SubscriptionDetail {
    /// The subscription id.
    pub id: String,
    /// The subscription id again (the same as `id`).
    pub subscription_id: String,
    /// Its status (`active`, `canceled`, ...).
    pub status: Option<String>,
    /// Start of the current billing period.
    pub current_period_start: Option<Timestamp>,
    /// End of the current billing period.
    pub current_period_end: Option<Timestamp>,
    /// Whether it ends at the end of the current period.
    pub cancel_at_period_end: Option<bool>,
    /// When it was canceled.
    pub canceled_at: Option<Timestamp>,
    /// Its items.
    pub items: Vec<SubscriptionItem>,
}

impl SubscriptionDetail {
    /// The plan: the first item's price, or `None` without items.
    pub fn plan(&self) -> Option<SubscriptionPlan> {
        plan_of(&self.items)
    }
}

#[derive(Deserialize)]
struct RawSubscriptionDetail {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    current_period_start: Option<Timestamp>,
    #[serde(default)]
    current_period_end: Option<Timestamp>,
    #[serde(default)]
    cancel_at_period_end: Option<bool>,
    #[serde(default)]
    canceled_at: Option<Timestamp>,
    #[serde(default)]
    items: Option<Vec<SubscriptionItem>>,
}

impl TryFrom<RawSubscriptionDetail> for SubscriptionDetail {
    type Error = String;

    fn try_from(raw: RawSubscriptionDetail) -> Result<Self, String> {
        let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
        let (id, subscription_id) = match (non_empty(raw.id), non_empty(raw.subscription_id)) {
            (Some(id), Some(sid)) => (id, sid),
            (Some(id), None) => (id.clone(), id),
            (None, Some(sid)) => (sid.clone(), sid),
            (None, None) => return Err("missing field `id` (or `subscription_id`)".to_owned()),
        };
        Ok(Self {
            id,
            subscription_id,
            status: raw.status,
            current_period_start: raw.current_period_start,
            current_period_end: raw.current_period_end,
            cancel_at_period_end: raw.cancel_at_period_end,
            canceled_at: raw.canceled_at,
            items: raw.items.unwrap_or_default(),
        })
    }
}

/// The result of canceling a subscription (`payments.cancel_subscription`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionCancellation {
    /// The subscription id.
    pub id: String,
    /// Its status after the request.
    #[serde(default)]
    pub status: Option<String>,
    /// Start of the current billing period.
    #[serde(default)]
    pub current_period_start: Option<Timestamp>,
    /// End of the current billing period.
    #[serde(default)]
    pub current_period_end: Option<Timestamp>,
    /// Whether it ends at the end of the current period.
    #[serde(default)]
    pub cancel_at_period_end: Option<bool>,
    /// When it was canceled.
    #[serde(default)]
    pub canceled_at: Option<Timestamp>,
    /// Its items.
    #[serde(default)]
    pub items: Vec<SubscriptionItem>,
}

impl SubscriptionCancellation {
    /// The subscription id (the same as `id`).
    pub fn subscription_id(&self) -> &str {
        &self.id
    }
}

/// A page of subscriptions (`payments.list_subscriptions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionList {
    /// The subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionDetail>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
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

/// A payment (`payments.get_payment_detail`, and the items of `payments.list_payment_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentRecord {
    /// The payment id.
    pub id: String,
    /// The amount, in minor units.
    #[serde(default)]
    pub amount: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Its status (`succeeded`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was made.
    #[serde(default)]
    pub created: Option<Timestamp>,
    /// `card`, ...
    #[serde(default)]
    pub payment_method_type: Option<String>,
    /// The invoice id.
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// The invoice PDF's URL.
    #[serde(default)]
    pub invoice_pdf: Option<String>,
    /// Payment metadata.
    #[serde(default)]
    pub metadata: JsonObject,
}

/// A page of payment history (`payments.list_payment_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentHistory {
    /// The payments.
    #[serde(default)]
    pub payments: Vec<PaymentRecord>,
    /// Whether more pages follow.
    #[serde(default)]
    pub has_more: bool,
    /// The number of payments in all pages, when the server says.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// Available and pending balance, in major units of `currency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BalanceAmounts {
    /// Available now.
    pub available: Decimal,
    /// Not yet available.
    pub pending: Decimal,
    /// The currency.
    pub currency: String,
}

/// Usage in the current billing period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageSummary {
    /// Start of the period.
    #[serde(default)]
    pub current_period_start: Option<Timestamp>,
    /// End of the period.
    #[serde(default)]
    pub current_period_end: Option<Timestamp>,
    /// Credits used.
    #[serde(default)]
    pub credits_used: Option<i64>,
    /// Credits left.
    #[serde(default)]
    pub credits_remaining: Option<i64>,
}

/// The user's balance, tier and usage (`payments.get_balance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BalanceOverview {
    /// The balance.
    pub balance: BalanceAmounts,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// When the tier ends.
    #[serde(default)]
    pub tier_expires_at: Option<Timestamp>,
    /// Usage in the current period.
    pub usage: UsageSummary,
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

/// A price of a product (`payments.create_price`, and inside [`Product`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductPrice {
    /// The price id.
    pub id: String,
    /// The price, in minor units.
    #[serde(default)]
    pub unit_amount: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// `one_time` or `recurring`.
    #[serde(default)]
    pub r#type: Option<String>,
    /// The billing interval, as the server describes it.
    #[serde(default)]
    pub recurring: Option<JsonObject>,
    /// A nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Whether it can be bought.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A product of the catalog (`payments.get_product`, `payments.create_product`,
/// `payments.update_product`, `payments.set_default_price`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// The product id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// Whether it can be bought.
    #[serde(default)]
    pub active: Option<bool>,
    /// Product metadata.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// Its prices (empty when not asked for).
    #[serde(default)]
    pub prices: Vec<ProductPrice>,
    /// The default price, as the server describes it (an object, or the price id).
    #[serde(default)]
    pub default_price: Option<Value>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

/// A page of products (`payments.list_products`, `payments.list_all_products`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductList {
    /// The products.
    #[serde(default)]
    pub products: Vec<Product>,
    /// The number of products in all pages; the endpoints fill in the page length when
    /// the server does not say.
    pub total: u64,
    /// Super-admin details of the listing (`adminMetadata`).
    #[serde(default, alias = "adminMetadata")]
    pub admin_metadata: Option<JsonObject>,
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

/// The result of archiving a product or a price (`payments.archive_product`,
/// `payments.archive_price`): the server's object, with the usual fields typed and the
/// rest in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Archived {
    /// The product or price id.
    #[serde(default)]
    pub id: Option<String>,
    /// Whether it is still active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether it was archived.
    #[serde(default)]
    pub archived: Option<bool>,
    /// Every other key of the response.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The result of creating a price and making it the product's default
/// (`payments.create_price_and_set_default`): the server's object, with the usual fields
/// typed and the rest in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DefaultPriceCreated {
    /// The new price.
    #[serde(default)]
    pub price: Option<ProductPrice>,
    /// The product.
    #[serde(default)]
    pub product_id: Option<String>,
    /// The price that was the default before.
    #[serde(default)]
    pub previous_price_id: Option<String>,
    /// Every other key of the response.
    #[serde(flatten)]
    pub extra: JsonObject,
}
