//! Models of the secure messages endpoints.
//!
//! Requests are camelCase (`patientId`), but responses are snake_case (`patient_id`).

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// A message between a patient and a practitioner. The SDK does no cryptography:
/// `content` is whatever the caller sent (typically a payload encrypted beforehand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecureMessage {
    /// The message id.
    pub id: String,
    /// The application the message belongs to.
    #[serde(default)]
    pub application_id: Option<String>,
    /// The patient.
    pub patient_id: String,
    /// The practitioner.
    pub practitioner_id: String,
    /// The message content, as sent.
    pub content: String,
    /// Free-form data stored with the message.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// When the message was created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}
