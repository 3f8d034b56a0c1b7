//! Models of the sessions endpoints.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// The current session (`sessions.get_current_session`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionSummary {
    /// The session id (sent as `id` or `session_id`).
    #[serde(alias = "id")]
    pub session_id: String,
    /// The user.
    pub user_id: String,
    /// The application.
    pub application_id: String,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// When the session began.
    pub created_at: Timestamp,
    /// When it ends.
    pub expires_at: Timestamp,
    /// The last activity.
    #[serde(default)]
    pub last_activity: Option<Timestamp>,
    /// Wallets linked to the user.
    #[serde(default)]
    pub wallets_count: Option<u32>,
    /// Minutes since the session began.
    #[serde(default)]
    pub duration_minutes: Option<f64>,
    /// Minutes since the last activity.
    #[serde(default)]
    pub idle_minutes: Option<f64>,
}

/// The result of validating the current session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionValidation {
    /// Whether the session is valid.
    pub valid: bool,
    /// The session id.
    #[serde(default)]
    pub session_id: Option<String>,
    /// When it ends.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Whether validation extended it.
    #[serde(default)]
    pub renewed: Option<bool>,
}

/// One session of the user (`sessions.list_sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session id (sent as `id` or `session_id`).
    #[serde(alias = "id")]
    pub session_id: String,
    /// The user.
    pub user_id: String,
    /// The application.
    pub application_id: String,
    /// When the session began.
    pub created_at: Timestamp,
    /// When it ends.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// When it was last used.
    #[serde(default)]
    pub last_used: Option<Timestamp>,
    /// The last activity.
    #[serde(default)]
    pub last_activity: Option<Timestamp>,
    /// The client's user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The client's IP address.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// Whether this is the session making the call.
    #[serde(default)]
    pub is_current: Option<bool>,
}

/// A page of sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionList {
    /// The sessions.
    pub sessions: Vec<SessionRecord>,
    /// The total; the page length when the server does not say.
    pub total: u64,
}

/// The result of touching the current session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionTouch {
    /// The server's message.
    pub message: String,
    /// The session id.
    pub session_id: String,
    /// The new last-activity time.
    #[serde(default)]
    pub last_activity: Option<Timestamp>,
}

/// The result of revoking a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionRevoked {
    /// The server's message.
    pub message: String,
    /// The revoked session.
    pub session_id: String,
}

/// The wire form of [`SessionList`]: either field may be missing.
#[derive(Debug, Deserialize)]
pub struct RawSessionList {
    #[serde(default)]
    sessions: Option<Vec<SessionRecord>>,
    #[serde(default)]
    total: Option<u64>,
}

impl From<RawSessionList> for SessionList {
    fn from(raw: RawSessionList) -> Self {
        let sessions = raw.sessions.unwrap_or_default();
        let total = raw.total.unwrap_or(sessions.len() as u64);
        SessionList { sessions, total }
    }
}
