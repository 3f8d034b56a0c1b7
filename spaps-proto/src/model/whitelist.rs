//! Models of the whitelist endpoints.

use serde::{Deserialize, Serialize};

/// One email address on the application's whitelist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhitelistEntry {
    /// The whitelisted email address.
    pub email: String,
    /// The application the entry belongs to.
    #[serde(default)]
    pub application_id: Option<String>,
    /// The tier granted to the address (`premium`, `enterprise`, ...).
    #[serde(default)]
    pub tier: Option<String>,
    /// Whether the address may use paid features without paying.
    #[serde(default)]
    pub bypass_payment: Option<bool>,
    /// Free-form data stored with the entry.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The result of checking an address (`whitelist.check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhitelistCheckResult {
    /// The server's verdict, e.g. `Email is whitelisted`.
    pub message: String,
    /// The entry, when the address is whitelisted and the server sent it.
    #[serde(default)]
    pub entry: Option<WhitelistEntry>,
}

/// A page of whitelist entries (`whitelist.list`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhitelistListResult {
    /// The entries of this page.
    pub entries: Vec<WhitelistEntry>,
    /// The number of entries in all pages; the page length when the server does not say.
    pub total: u64,
}

/// The server's message after removing an entry (`whitelist.remove`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhitelistMessage {
    /// The message, e.g. `Email ada@example.com removed from whitelist`.
    pub message: String,
}
