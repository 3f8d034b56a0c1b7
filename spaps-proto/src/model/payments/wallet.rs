//! The user's balance, tier and usage, and on-chain wallet deposits.

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::timestamp::Timestamp;

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
