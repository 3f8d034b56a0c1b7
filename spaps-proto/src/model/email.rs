//! Models of the email endpoints.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

fn yes() -> bool {
    true
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// The result of sending an email (`email.send`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailSendResult {
    /// Whether the email was accepted; `true` when the server does not say.
    #[serde(default = "yes")]
    pub success: bool,
    /// The provider's message id.
    #[serde(default)]
    pub message_id: Option<String>,
    /// Why sending failed, when it did.
    #[serde(default)]
    pub error: Option<String>,
}

/// A variable a template expects in its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TemplateVariable {
    /// The variable's name.
    pub name: String,
    /// Whether a send must provide it; `false` when the server does not say.
    #[serde(default)]
    pub required: bool,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// An email template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailTemplate {
    /// The template id.
    pub id: String,
    /// The application that owns it.
    #[serde(default)]
    pub application_id: Option<String>,
    /// The key used to send it (e.g. `enrollment_reminder`).
    pub template_key: String,
    /// The display name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The subject line (a template).
    pub subject: String,
    /// The HTML body (a template).
    #[serde(default)]
    pub html_body: Option<String>,
    /// The plain-text body (a template).
    #[serde(default)]
    pub text_body: Option<String>,
    /// The sender address.
    #[serde(default)]
    pub from_email: Option<String>,
    /// The sender name.
    #[serde(default)]
    pub from_name: Option<String>,
    /// The reply-to address.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The variables it expects.
    #[serde(default)]
    pub variables: Vec<TemplateVariable>,
    /// The context used for previews when none is given.
    #[serde(default)]
    pub sample_context: Option<Map<String, Value>>,
    /// A category (`transactional`, `auth`, ...).
    #[serde(default)]
    pub category: Option<String>,
    /// Whether it can be sent; `true` when the server does not say.
    #[serde(default = "yes")]
    pub is_active: bool,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// When it was last changed.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// A template rendered with a context (`email.preview_template`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailTemplatePreview {
    /// The rendered subject.
    pub subject: String,
    /// The rendered HTML body.
    pub html: String,
    /// The rendered plain-text body.
    #[serde(default)]
    pub text: Option<String>,
}

/// An application's override of a template's subject and body
/// (`email.get_override`, `email.create_or_update_override`).
///
/// The server's object is passed through: fields not named here are kept in
/// [`EmailOverride::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailOverride {
    /// The template it overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_key: Option<String>,
    /// The subject used instead of the template's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_override: Option<String>,
    /// The body used instead of the template's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_override: Option<String>,
    /// When it was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    /// Every other field the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The result of deleting a template override (`email.delete_override`).
///
/// Fields not named here are kept in [`OverrideDeleted::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OverrideDeleted {
    /// Whether an override was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Every other field the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One sent (or attempted) email (`email.list_email_logs`).
///
/// Fields not named here are kept in [`EmailLog::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailLog {
    /// The log entry id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The template sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_key: Option<String>,
    /// The recipient address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The delivery status (`sent`, `failed`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The provider's message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// The user the email was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The owner the email was sent for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Every other field the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of email logs (`email.list_email_logs`).
///
/// Fields not named here are kept in [`EmailLogPage::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailLogPage {
    /// The log entries of this page (`null` or missing: none).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub logs: Vec<EmailLog>,
    /// The number of entries matching the filters, when the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// The page size the server applied, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// The offset the server applied, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Every other field the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
