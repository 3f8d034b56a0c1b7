//! Subscriptions, their items and plan, cancellations and pages of them.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

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
