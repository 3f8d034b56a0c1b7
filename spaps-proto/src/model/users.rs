//! Models of the users endpoints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Email addresses of a batch of users (`users.get_emails_batch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchEmailsResult {
    /// User id → email address; `None` for a user without one (e.g. a wallet-only user).
    pub emails: BTreeMap<String, Option<String>>,
    /// The number of users looked up.
    #[serde(default)]
    pub total: u64,
    /// How many of them have an email address.
    #[serde(default)]
    pub with_email: u64,
}

/// What the server knows of one user in a batch lookup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserBatchInfo {
    /// The email address, when the user has one.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's active entitlements, as the server describes them.
    #[serde(default)]
    pub active_entitlements: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    /// The user's upcoming bookings, as the server describes them.
    #[serde(default)]
    pub upcoming_bookings: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

/// Information on a batch of users (`users.get_users_batch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchUsersResult {
    /// User id → what is known of the user; `None` when the server sent `null`.
    pub users: BTreeMap<String, Option<UserBatchInfo>>,
}
