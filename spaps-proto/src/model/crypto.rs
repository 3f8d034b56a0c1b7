//! Models of the crypto endpoints.
//!
//! Amounts are decimal strings on the wire and [`Decimal`]s here; invoice and
//! settlement ids and statuses are free strings (the server uses `pending` and
//! `confirmed`, with `underpaid`/`overpaid` flags).

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::timestamp::Timestamp;

/// A crypto invoice (`crypto.create_invoice`, `crypto.get_invoice`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CryptoInvoice {
    /// The invoice id (sent as `id` or `invoice_id`).
    #[serde(alias = "id")]
    pub invoice_id: String,
    /// The asset to pay in, e.g. `USDC`.
    pub asset: String,
    /// The network, e.g. `base`.
    pub network: String,
    /// The amount due, in units of `asset` (a decimal string on the wire).
    pub amount: Decimal,
    /// The invoice status, e.g. `pending`.
    pub status: String,
    /// When the invoice stops accepting payment.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Who receives the payment (address, label, ...), as the server describes it.
    #[serde(default)]
    pub beneficiary: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free-form metadata attached at creation.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The settlement status of a crypto invoice (`crypto.get_invoice_status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CryptoInvoiceStatus {
    /// The invoice id.
    pub invoice_id: String,
    /// The status, e.g. `pending` or `confirmed`.
    pub status: String,
    /// When the payment was finalized.
    #[serde(default)]
    pub finalized_at: Option<Timestamp>,
    /// The amount received, normalized to the asset's precision (e.g. `42.750000`).
    #[serde(default)]
    pub normalized_amount: Option<Decimal>,
    /// The ledger settlements that paid the invoice.
    #[serde(default)]
    pub settlement_ids: Option<Vec<String>>,
    /// Whether less than the amount due was received.
    #[serde(default)]
    pub underpaid: Option<bool>,
    /// Whether more than the amount due was received.
    #[serde(default)]
    pub overpaid: Option<bool>,
}

/// A scheduled reconciliation job (`crypto.reconcile`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CryptoReconcileJob {
    /// The job id.
    pub job_id: String,
    /// When the job was scheduled.
    pub scheduled_at: Timestamp,
    /// The opaque cursor the job resumes from; pass it to the next `reconcile`.
    #[serde(default)]
    pub cursor: Option<serde_json::Map<String, serde_json::Value>>,
}
