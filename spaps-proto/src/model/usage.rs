//! Models of the usage endpoints.
//!
//! Usage amounts (used, limit, quantity) are plain numbers and kept as `f64`; costs
//! are money and kept as [`Decimal`].

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::timestamp::Timestamp;

/// The bounds of a billing period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsagePeriod {
    /// The start of the period.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// The end of the period.
    #[serde(default)]
    pub end: Option<Timestamp>,
}

/// The usage of one metered feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageFeature {
    /// The feature name, e.g. `api_calls`.
    pub name: String,
    /// A description of the feature.
    #[serde(default)]
    pub description: Option<String>,
    /// The amount used in the current period.
    #[serde(default)]
    pub used: Option<f64>,
    /// The allowance of the period; `None` when unlimited or not sent.
    #[serde(default)]
    pub limit: Option<f64>,
    /// The share of the allowance used, in percent.
    #[serde(default)]
    pub percentage: Option<f64>,
    /// When the usage counter resets.
    #[serde(default)]
    pub reset_at: Option<Timestamp>,
}

/// The user's usage overview (`usage.get_features`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageFeatures {
    /// The user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// The current billing period.
    #[serde(default)]
    pub period: UsagePeriod,
    /// The metered features.
    #[serde(default)]
    pub features: Vec<UsageFeature>,
    /// The overage settings and charges, as the server describes them.
    #[serde(default)]
    pub overage: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A feature's usage right after recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CurrentUsage {
    /// The amount used in the current period.
    #[serde(default)]
    pub used: Option<f64>,
    /// The allowance of the period.
    #[serde(default)]
    pub limit: Option<f64>,
    /// What is left of the allowance.
    #[serde(default)]
    pub remaining: Option<f64>,
}

/// The result of recording usage (`usage.record_usage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageRecordResult {
    /// The id of the usage record.
    pub record_id: String,
    /// The feature.
    pub feature: String,
    /// The quantity recorded.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// When the usage was recorded.
    #[serde(default)]
    pub recorded_at: Option<Timestamp>,
    /// The feature's usage after this record.
    #[serde(default)]
    pub current_usage: CurrentUsage,
    /// A warning, e.g. when the allowance is nearly used up.
    #[serde(default)]
    pub warning: Option<String>,
}

/// One period of usage history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageHistoryEntry {
    /// The day or period, as the server writes it (e.g. `2025-01-14`).
    #[serde(default)]
    pub date: Option<String>,
    /// Feature name → amount used (numbers, kept as sent).
    #[serde(default)]
    pub features: serde_json::Map<String, serde_json::Value>,
    /// The cost of the period, in major currency units.
    #[serde(default)]
    pub total_cost: Option<Decimal>,
}

/// Usage history (`usage.get_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageHistory {
    /// The granularity, e.g. `daily`.
    #[serde(default)]
    pub period: Option<String>,
    /// The first day covered, as the server writes it (e.g. `2025-01-13`).
    #[serde(default)]
    pub start_date: Option<String>,
    /// The last day covered, as the server writes it.
    #[serde(default)]
    pub end_date: Option<String>,
    /// The entries, oldest first.
    #[serde(default)]
    pub history: Vec<UsageHistoryEntry>,
    /// Totals over the range, as the server describes them.
    #[serde(default)]
    pub summary: Option<serde_json::Map<String, serde_json::Value>>,
}
