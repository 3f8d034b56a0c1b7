//! Payments and pages of payment history.

use serde::{Deserialize, Serialize};

use super::JsonObject;
use crate::timestamp::Timestamp;

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
