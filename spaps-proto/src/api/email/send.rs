//! Sending an email from a template (`/api/email/send`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::email::EmailSendResult;
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

use super::EmailApi;

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Sends the template `template_key` to `to`, rendered with `context`.
    /// Optional: `.user_id(..)`, `.owner_id(..)`, `.subject_override(..)`, `.body_override(..)`.
    pub fn send(
        &self,
        template_key: impl Into<String>,
        to: impl Into<String>,
        context: Map<String, Value>,
    ) -> SendEmail<Bound<'a, X>> {
        SendEmail::new(template_key, to, context).on(self.client)
    }
}

/// `POST /api/email/send`. Named after the reference's `send`; called `SendEmail` so it
/// does not shadow the `Send` marker trait.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct SendEmail<B = Unbound> {
    /// The template to send.
    pub template_key: String,
    /// The recipient address.
    pub to: String,
    /// The template's variables (always sent, even when empty).
    pub context: Map<String, Value>,
    /// The user the email is about (for the logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The owner the email is sent for (for the logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// A subject used instead of the template's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_override: Option<String>,
    /// A body used instead of the template's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_override: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl SendEmail {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        template_key: impl Into<String>,
        to: impl Into<String>,
        context: Map<String, Value>,
    ) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
            to: to.into(),
            context,
            user_id: None,
            owner_id: None,
            subject_override: None,
            body_override: None,
        }
    }
}

crate::arguments::arguments!(SendEmail(template_key, to, context) { user_id: String, owner_id: String, subject_override: String, body_override: String });

impl Endpoint for SendEmail {
    type Output = EmailSendResult;
    type Wire = EmailSendResult;
    const NAME: &'static str = "email.send";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/email/send")
            .json(self)
            .auth(Auth::OptionalBearer))
    }
}

crate::registry!(SendEmail,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::email::test_support::{body, obj, response};

    #[test]
    fn send_request_and_result() {
        let mut e = SendEmail {
            bound: Unbound,
            template_key: "enrollment_reminder".into(),
            to: "patient@example.com".into(),
            context: Map::new(),
            user_id: None,
            owner_id: None,
            subject_override: None,
            body_override: None,
        };
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/email/send");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body(&spec),
            Some(
                json!({"template_key": "enrollment_reminder", "to": "patient@example.com",
                        "context": {}})
            )
        );

        e.context = obj(json!({"first_name": "Pat"}));
        e.user_id = Some("user-123".into());
        e.owner_id = Some("owner-456".into());
        e.subject_override = Some("Custom subject".into());
        e.body_override = Some("<p>Custom body</p>".into());
        assert_eq!(
            body(&e.request().unwrap()),
            Some(
                json!({"template_key": "enrollment_reminder", "to": "patient@example.com",
                        "context": {"first_name": "Pat"}, "user_id": "user-123",
                        "owner_id": "owner-456", "subject_override": "Custom subject",
                        "body_override": "<p>Custom body</p>"})
            )
        );

        let out = e
            .parse(&response(json!({
                "success": true,
                "data": {"success": true, "message_id": "msg_123", "x_future_flag": true},
                "metadata": {"request_id": "req_1"}
            })))
            .unwrap();
        assert!(out.success);
        assert_eq!(out.message_id.as_deref(), Some("msg_123"));
        assert_eq!(out.error, None);
        let bare = e.parse(&response(json!({"message_id": "m"}))).unwrap();
        assert!(bare.success);
    }
}
