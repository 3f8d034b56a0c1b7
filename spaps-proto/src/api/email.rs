//! Email sending, templates, overrides and logs (`/api/email`).
//!
//! `send` and the template reads (`list_templates`, `get_template`,
//! `preview_template`) carry the bearer token when one is available; template
//! writes, overrides and logs require one.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::endpoint::{Endpoint, Execute, Paginated, Request};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::model::email::{
    EmailLog, EmailLogPage, EmailOverride, EmailSendResult, EmailTemplate, EmailTemplatePreview,
    OverrideDeleted,
};
use crate::spec::{require, Auth, RequestSpec};

/// The email operations of a client: `client.email()`.
#[derive(Debug)]
pub struct EmailApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// The email operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Sends the template `template_key` to `to`, rendered with `context`.
    /// Optional: `.user_id(..)`, `.owner_id(..)`, `.subject_override(..)`, `.body_override(..)`.
    pub fn send(
        &self,
        template_key: impl Into<String>,
        to: impl Into<String>,
        context: Map<String, Value>,
    ) -> Request<'a, X, SendEmail> {
        Request::new(
            self.client,
            SendEmail {
                template_key: template_key.into(),
                to: to.into(),
                context,
                user_id: None,
                owner_id: None,
                subject_override: None,
                body_override: None,
            },
        )
    }

    /// Lists the application's templates.
    pub fn list_templates(&self) -> Request<'a, X, ListTemplates> {
        Request::new(self.client, ListTemplates {})
    }

    /// One template by key.
    pub fn get_template(&self, template_key: impl Into<String>) -> Request<'a, X, GetTemplate> {
        Request::new(
            self.client,
            GetTemplate {
                template_key: template_key.into(),
            },
        )
    }

    /// Renders a template: with its sample context (a GET), or with the context given by
    /// `.context(..)` (a POST, even for an empty context). Optional: `.context(..)`.
    pub fn preview_template(
        &self,
        template_key: impl Into<String>,
    ) -> Request<'a, X, PreviewTemplate> {
        Request::new(
            self.client,
            PreviewTemplate {
                template_key: template_key.into(),
                context: None,
            },
        )
    }

    /// Changes a template; only the fields set are sent. Optional: `.name(..)`,
    /// `.description(..)`, `.subject(..)`, `.html_body(..)`, `.text_body(..)`,
    /// `.from_email(..)`, `.from_name(..)`, `.reply_to(..)`, `.variables(..)`,
    /// `.sample_context(..)`, `.is_active(..)`, `.category(..)`.
    pub fn update_template(
        &self,
        template_key: impl Into<String>,
    ) -> Request<'a, X, UpdateTemplate> {
        Request::new(self.client, UpdateTemplate::new(template_key))
    }

    /// The application's override of a template.
    pub fn get_override(&self, template_key: impl Into<String>) -> Request<'a, X, GetOverride> {
        Request::new(
            self.client,
            GetOverride {
                template_key: template_key.into(),
            },
        )
    }

    /// Creates or replaces the application's override of a template: the keys of
    /// `.r#override(..)` first, then `.subject_override(..)` and `.body_override(..)`.
    /// Optional: `.r#override(..)`, `.subject_override(..)`, `.body_override(..)`.
    pub fn create_or_update_override(
        &self,
        template_key: impl Into<String>,
    ) -> Request<'a, X, CreateOrUpdateOverride> {
        Request::new(
            self.client,
            CreateOrUpdateOverride {
                template_key: template_key.into(),
                r#override: None,
                subject_override: None,
                body_override: None,
            },
        )
    }

    /// Deletes the application's override of a template.
    pub fn delete_override(
        &self,
        template_key: impl Into<String>,
    ) -> Request<'a, X, DeleteOverride> {
        Request::new(
            self.client,
            DeleteOverride {
                template_key: template_key.into(),
            },
        )
    }

    /// Creates a template. Optional: `.description(..)`, `.text_body(..)`,
    /// `.from_email(..)`, `.from_name(..)`, `.reply_to(..)`, `.variables(..)`,
    /// `.sample_context(..)`, `.is_active(..)`, `.category(..)`.
    pub fn create_template(
        &self,
        template_key: impl Into<String>,
        name: impl Into<String>,
        subject: impl Into<String>,
        html_body: impl Into<String>,
    ) -> Request<'a, X, CreateTemplate> {
        Request::new(
            self.client,
            CreateTemplate {
                template_key: template_key.into(),
                name: name.into(),
                subject: subject.into(),
                html_body: html_body.into(),
                description: None,
                text_body: None,
                from_email: None,
                from_name: None,
                reply_to: None,
                variables: None,
                sample_context: None,
                is_active: None,
                category: None,
            },
        )
    }

    /// Lists sent emails, newest first, 50 at a time. Optional: `.owner_id(..)`,
    /// `.user_id(..)`, `.limit(..)` (default 50), `.offset(..)` (default 0).
    pub fn list_email_logs(&self) -> Request<'a, X, ListEmailLogs> {
        Request::new(self.client, ListEmailLogs::default())
    }
}

/// `POST /api/email/send`. Named after the reference's `send`; called `SendEmail` so it
/// does not shadow the `Send` marker trait.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendEmail {
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
}
crate::setters!(SendEmail {
    user_id: String,
    owner_id: String,
    subject_override: String,
    body_override: String,
});

impl Endpoint for SendEmail {
    type Output = EmailSendResult;
    const NAME: &'static str = "email.send";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/email/send")
            .json(self)
            .auth(Auth::OptionalBearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailSendResult, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/email/templates`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTemplates {}

impl Endpoint for ListTemplates {
    type Output = Vec<EmailTemplate>;
    const NAME: &'static str = "email.list_templates";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/email/templates").auth(Auth::OptionalBearer))
    }

    /// `data.templates` (or `templates` of a bare body); a `data` that is itself a list
    /// is taken as the list; anything else that is not a list gives no templates.
    fn parse(&self, response: &http::Response<Bytes>) -> Result<Vec<EmailTemplate>, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let data = env.data();
        let list = if data.is_object() {
            data.key("templates")?
        } else {
            Some(data)
        };
        match list {
            Some(slot) => {
                let raw: Box<RawValue> = slot.decode()?;
                if raw.get().trim_start().starts_with('[') {
                    slot.decode()
                } else {
                    Ok(Vec::new())
                }
            }
            None => Ok(Vec::new()),
        }
    }
}

/// `GET /api/email/templates/{template_key}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetTemplate {
    /// The template's key.
    pub template_key: String,
}

impl Endpoint for GetTemplate {
    type Output = EmailTemplate;
    const NAME: &'static str = "email.get_template";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(RequestSpec::get("/api/email/templates/{template_key}")
            .param(&self.template_key)
            .auth(Auth::OptionalBearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailTemplate, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/email/templates/{template_key}/preview` without a context, `POST` with one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewTemplate {
    /// The template's key.
    pub template_key: String,
    /// The variables to render with; the template's sample context when not set.
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
}
crate::setters!(PreviewTemplate {
    context: Map<String, Value>
});

#[derive(Serialize)]
struct PreviewBody<'a> {
    context: &'a Map<String, Value>,
}

impl Endpoint for PreviewTemplate {
    type Output = EmailTemplatePreview;
    const NAME: &'static str = "email.preview_template";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        const PATH: &str = "/api/email/templates/{template_key}/preview";
        let spec = match &self.context {
            Some(context) => RequestSpec::post(PATH).json(&PreviewBody { context }),
            None => RequestSpec::get(PATH),
        };
        Ok(spec.param(&self.template_key).auth(Auth::OptionalBearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailTemplatePreview, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("preview")?
            .decode()
    }
}

/// `PUT /api/email/templates/{template_key}`: the fields that are set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplate {
    /// The template's key (in the path, not the body).
    #[serde(skip_serializing)]
    pub template_key: String,
    /// A new display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A new subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A new HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    /// A new plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_body: Option<String>,
    /// A new sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
    /// A new sender name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// A new reply-to address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The variables, passed through as given (an object keyed by name, or a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Value>,
    /// A new sample context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_context: Option<Map<String, Value>>,
    /// Whether it can be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// A new category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}
crate::setters!(UpdateTemplate {
    name: String,
    description: String,
    subject: String,
    html_body: String,
    text_body: String,
    from_email: String,
    from_name: String,
    reply_to: String,
    variables: Value,
    sample_context: Map<String, Value>,
    is_active: bool,
    category: String,
});

impl UpdateTemplate {
    /// An update of `template_key` that changes nothing yet.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            template_key: template_key.into(),
            name: None,
            description: None,
            subject: None,
            html_body: None,
            text_body: None,
            from_email: None,
            from_name: None,
            reply_to: None,
            variables: None,
            sample_context: None,
            is_active: None,
            category: None,
        }
    }
}

impl Endpoint for UpdateTemplate {
    type Output = EmailTemplate;
    const NAME: &'static str = "email.update_template";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(RequestSpec::put("/api/email/templates/{template_key}")
            .param(&self.template_key)
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailTemplate, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("template")?
            .decode()
    }
}

/// `GET /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetOverride {
    /// The template's key.
    pub template_key: String,
}

impl Endpoint for GetOverride {
    type Output = EmailOverride;
    const NAME: &'static str = "email.get_override";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(RequestSpec::get("/api/email/templates/{template_key}/override")
            .param(&self.template_key)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailOverride, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `PUT /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrUpdateOverride {
    /// The template's key.
    pub template_key: String,
    /// Fields of the override, sent as they are (`subject_override` and
    /// `body_override`, when set, replace keys of the same name).
    #[serde(default)]
    pub r#override: Option<Map<String, Value>>,
    /// The subject used instead of the template's.
    #[serde(default)]
    pub subject_override: Option<String>,
    /// The body used instead of the template's.
    #[serde(default)]
    pub body_override: Option<String>,
}
crate::setters!(CreateOrUpdateOverride {
    r#override: Map<String, Value>,
    subject_override: String,
    body_override: String,
});

impl Endpoint for CreateOrUpdateOverride {
    type Output = EmailOverride;
    const NAME: &'static str = "email.create_or_update_override";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        let mut body = self.r#override.clone().unwrap_or_default();
        if let Some(subject) = &self.subject_override {
            body.insert("subject_override".to_owned(), Value::from(subject.as_str()));
        }
        if let Some(text) = &self.body_override {
            body.insert("body_override".to_owned(), Value::from(text.as_str()));
        }
        Ok(RequestSpec::put("/api/email/templates/{template_key}/override")
            .param(&self.template_key)
            .json(&body)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailOverride, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `DELETE /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteOverride {
    /// The template's key.
    pub template_key: String,
}

impl Endpoint for DeleteOverride {
    type Output = OverrideDeleted;
    const NAME: &'static str = "email.delete_override";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(
            RequestSpec::delete("/api/email/templates/{template_key}/override")
                .param(&self.template_key)
                .auth(Auth::Bearer),
        )
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<OverrideDeleted, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/email/templates`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// The key to send it by.
    pub template_key: String,
    /// The display name.
    pub name: String,
    /// The subject (a template).
    pub subject: String,
    /// The HTML body (a template).
    pub html_body: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_body: Option<String>,
    /// The sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
    /// The sender name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// The reply-to address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The variables, passed through as given (an object keyed by name, or a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Value>,
    /// The context used for previews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_context: Option<Map<String, Value>>,
    /// Whether it can be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    /// A category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}
crate::setters!(CreateTemplate {
    description: String,
    text_body: String,
    from_email: String,
    from_name: String,
    reply_to: String,
    variables: Value,
    sample_context: Map<String, Value>,
    is_active: bool,
    category: String,
});

impl Endpoint for CreateTemplate {
    type Output = EmailTemplate;
    const NAME: &'static str = "email.create_template";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/email/templates")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailTemplate, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("template")?
            .decode()
    }
}

/// `GET /api/email/logs`. Pages by offset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEmailLogs {
    /// Only emails sent for this owner.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Only emails about this user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Page size; 50 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Entries to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
}
crate::setters!(ListEmailLogs {
    owner_id: String,
    user_id: String,
    limit: u32,
    offset: u64,
});

impl Endpoint for ListEmailLogs {
    type Output = EmailLogPage;
    const NAME: &'static str = "email.list_email_logs";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/email/logs")
            .query("limit", self.limit.unwrap_or(50))
            .query("offset", self.offset.unwrap_or(0))
            .query_opt("owner_id", self.owner_id.as_deref())
            .query_opt("user_id", self.user_id.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailLogPage, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

impl Paginated for ListEmailLogs {
    type Item = EmailLog;

    fn next_page(&self, page: &EmailLogPage) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let next = crate::paging::next_offset(offset, page.logs.len(), page.total)?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: EmailLogPage) -> Vec<EmailLog> {
        page.logs
    }
}

crate::registry!(
    SendEmail,
    ListTemplates,
    GetTemplate,
    PreviewTemplate,
    UpdateTemplate,
    GetOverride,
    CreateOrUpdateOverride,
    DeleteOverride,
    CreateTemplate,
    ListEmailLogs,
);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    fn body(spec: &RequestSpec) -> Option<Value> {
        spec.body
            .as_ref()
            .map(|b| serde_json::from_slice(b).expect("the body is JSON"))
    }

    fn response(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn template_json() -> Value {
        json!({
            "id": "tmpl_01JHK8A1B2",
            "application_id": "0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69",
            "template_key": "enrollment_reminder",
            "name": "Enrollment reminder",
            "subject": "Finish your enrolment, {{first_name}}",
            "html_body": "<p>Hi {{first_name}}, your spot is waiting.</p>",
            "variables": [
                {"name": "first_name", "required": true, "description": "Recipient first name",
                 "x_future_flag": true},
                {"name": "deadline", "required": false}
            ],
            "sample_context": {"first_name": "Ada", "deadline": "Friday"},
            "category": "transactional",
            "is_active": true,
            "created_at": "2024-12-01T10:00:00Z",
            "updated_at": "2025-01-10T08:30:00.000Z",
            "x_future_field": {"added_in": "2026-02"}
        })
    }

    #[test]
    fn send_request_and_result() {
        let mut e = SendEmail {
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
            Some(json!({"template_key": "enrollment_reminder", "to": "patient@example.com",
                        "context": {}}))
        );

        e.context = obj(json!({"first_name": "Pat"}));
        e.user_id = Some("user-123".into());
        e.owner_id = Some("owner-456".into());
        e.subject_override = Some("Custom subject".into());
        e.body_override = Some("<p>Custom body</p>".into());
        assert_eq!(
            body(&e.request().unwrap()),
            Some(json!({"template_key": "enrollment_reminder", "to": "patient@example.com",
                        "context": {"first_name": "Pat"}, "user_id": "user-123",
                        "owner_id": "owner-456", "subject_override": "Custom subject",
                        "body_override": "<p>Custom body</p>"}))
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

    #[test]
    fn list_templates_request_and_shapes() {
        let e = ListTemplates {};
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/email/templates");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body(&spec), None);

        let wrapped = e
            .parse(&response(json!({"success": true, "data": {"templates": [
                template_json(),
                {"id": "t2", "template_key": "welcome", "name": "Welcome", "subject": "Hi",
                 "is_active": false}
            ]}})))
            .unwrap();
        assert_eq!(wrapped.len(), 2);
        assert_eq!(wrapped[0].template_key, "enrollment_reminder");
        assert_eq!(wrapped[0].variables.len(), 2);
        assert!(wrapped[0].variables[0].required);
        assert!(!wrapped[0].variables[1].required);
        assert_eq!(
            wrapped[0].updated_at.map(|t| t.unix_seconds()),
            Some(1_736_497_800)
        );
        assert!(!wrapped[1].is_active);
        assert!(wrapped[1].variables.is_empty());

        let bare = e
            .parse(&response(json!({"templates": [template_json()]})))
            .unwrap();
        assert_eq!(bare.len(), 1);
        // `data` itself a list: taken as the list (the reference crashes here).
        let listed = e
            .parse(&response(json!({"data": [template_json()]})))
            .unwrap();
        assert_eq!(listed.len(), 1);
        for empty in [
            json!({"success": true, "data": {}}),
            json!({"success": true, "data": {"templates": []}}),
            json!({"data": {"templates": null}}),
            json!({"data": {"templates": {"a": 1}}}),
            json!({"data": "nope"}),
        ] {
            assert!(e.parse(&response(empty)).unwrap().is_empty());
        }
    }

    #[test]
    fn get_template_request_and_result() {
        let e = GetTemplate {
            template_key: "a b/c".into(),
        };
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/email/templates/a%20b%2Fc");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body(&spec), None);

        let t = e
            .parse(&response(json!({"success": true, "data": template_json()})))
            .unwrap();
        assert_eq!(t.id, "tmpl_01JHK8A1B2");
        assert_eq!(
            t.sample_context.as_ref().and_then(|c| c.get("first_name")),
            Some(&json!("Ada"))
        );
        let bare = e.parse(&response(template_json())).unwrap();
        assert_eq!(bare, t);
        // Serializes back with typed times.
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["created_at"], json!("2024-12-01T10:00:00Z"));
    }

    #[test]
    fn preview_is_get_without_context_and_post_with_one() {
        let mut e = PreviewTemplate {
            template_key: "enrollment_reminder".into(),
            context: None,
        };
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(
            spec.path(),
            "/api/email/templates/enrollment_reminder/preview"
        );
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body(&spec), None);

        e.context = Some(Map::new());
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(body(&spec), Some(json!({"context": {}})));

        e.context = Some(obj(json!({"patient_name": "John"})));
        assert_eq!(
            body(&e.request().unwrap()),
            Some(json!({"context": {"patient_name": "John"}}))
        );

        let preview = json!({"subject": "Hi Ada", "html": "<p>Hi</p>", "text": "Hi"});
        let a = e.parse(&response(json!({"preview": preview}))).unwrap();
        let b = e
            .parse(&response(json!({"success": true, "data": {"preview": preview}})))
            .unwrap();
        let c = e
            .parse(&response(json!({"success": true, "data": preview})))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.subject, "Hi Ada");
        assert_eq!(a.text.as_deref(), Some("Hi"));
    }

    #[test]
    fn update_template_sends_only_what_is_set() {
        let mut e = UpdateTemplate::new("welcome");
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::PUT);
        assert_eq!(spec.path(), "/api/email/templates/welcome");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), Some(json!({})));

        e.subject = Some("Updated subject".into());
        e.variables = Some(json!({"first_name": {"required": true}}));
        e.sample_context = Some(obj(json!({"first_name": "Ada"})));
        e.is_active = Some(false);
        assert_eq!(
            body(&e.request().unwrap()),
            Some(json!({"subject": "Updated subject",
                        "variables": {"first_name": {"required": true}},
                        "sample_context": {"first_name": "Ada"}, "is_active": false}))
        );

        let wrapped = e
            .parse(&response(json!({"data": {"template": template_json()}})))
            .unwrap();
        let unwrapped = e
            .parse(&response(json!({"data": template_json()})))
            .unwrap();
        assert_eq!(wrapped, unwrapped);
    }

    #[test]
    fn create_template_request_and_result() {
        let mut e = CreateTemplate {
            template_key: "new_template".into(),
            name: "New Template".into(),
            subject: "Welcome!".into(),
            html_body: "<p>Hello</p>".into(),
            description: None,
            text_body: None,
            from_email: None,
            from_name: None,
            reply_to: None,
            variables: None,
            sample_context: None,
            is_active: None,
            category: None,
        };
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/email/templates");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(
            body(&spec),
            Some(json!({"template_key": "new_template", "name": "New Template",
                        "subject": "Welcome!", "html_body": "<p>Hello</p>"}))
        );
        e.category = Some("transactional".into());
        e.is_active = Some(true);
        assert_eq!(body(&e.request().unwrap()).unwrap()["category"], "transactional");

        let t = e
            .parse(&response(json!({"success": true, "data": {"template": {
                "id": "tmpl_new", "template_key": "new_template", "name": "New Template",
                "subject": "Welcome!"}}})))
            .unwrap();
        assert_eq!(t.id, "tmpl_new");
        assert!(t.is_active);
        assert_eq!(t.created_at, None);
    }

    #[test]
    fn overrides() {
        let get = GetOverride {
            template_key: "welcome".into(),
        };
        let spec = get.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/email/templates/welcome/override");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), None);
        let o = get
            .parse(&response(json!({"success": true, "data": {
                "template_key": "welcome", "subject_override": "Custom",
                "body_override": "<p>Custom</p>", "updated_at": "2025-01-15T12:00:00Z",
                "enabled": true}})))
            .unwrap();
        assert_eq!(o.subject_override.as_deref(), Some("Custom"));
        assert_eq!(o.updated_at.map(|t| t.unix_seconds()), Some(1_736_942_400));
        assert_eq!(o.extra.get("enabled"), Some(&json!(true)));
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(back["enabled"], json!(true));
        assert_eq!(back["template_key"], json!("welcome"));
        let bare = get
            .parse(&response(json!({"subject_override": "S"})))
            .unwrap();
        assert_eq!(bare.subject_override.as_deref(), Some("S"));

        let mut put = CreateOrUpdateOverride {
            template_key: "welcome".into(),
            r#override: None,
            subject_override: None,
            body_override: None,
        };
        let spec = put.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::PUT);
        assert_eq!(spec.path(), "/api/email/templates/welcome/override");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), Some(json!({})));
        put.r#override = Some(obj(
            json!({"subject_override": "ignored: replaced below", "enabled": true}),
        ));
        put.subject_override = Some("New".into());
        put.body_override = Some("<p>New</p>".into());
        assert_eq!(
            body(&put.request().unwrap()),
            Some(json!({"subject_override": "New", "enabled": true,
                        "body_override": "<p>New</p>"}))
        );
        put.subject_override = None;
        assert_eq!(
            body(&put.request().unwrap()).unwrap()["subject_override"],
            json!("ignored: replaced below")
        );

        let del = DeleteOverride {
            template_key: "welcome".into(),
        };
        let spec = del.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::DELETE);
        assert_eq!(spec.path(), "/api/email/templates/welcome/override");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), None);
        let d = del
            .parse(&response(json!({"success": true, "data": {"deleted": true}})))
            .unwrap();
        assert_eq!(d.deleted, Some(true));
        let d = del
            .parse(&response(json!({"removed": 1})))
            .unwrap();
        assert_eq!(d.deleted, None);
        assert_eq!(d.extra.get("removed"), Some(&json!(1)));
    }

    #[test]
    fn list_email_logs_query_and_paging() {
        let mut e = ListEmailLogs::default();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/email/logs");
        assert_eq!(spec.query_string(), "limit=50&offset=0");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), None);

        e.owner_id = Some("owner-1".into());
        e.user_id = Some("user-1".into());
        e.limit = Some(2);
        e.offset = Some(5);
        assert_eq!(
            e.request().unwrap().query_string(),
            "limit=2&offset=5&owner_id=owner-1&user_id=user-1"
        );

        let page = e
            .parse(&response(json!({"success": true, "data": {
                "logs": [
                    {"id": "log_1", "template_key": "welcome", "to": "a@example.com",
                     "status": "sent", "created_at": "2025-01-15T12:00:00Z",
                     "x_future_flag": true},
                    {"id": "log_2"}
                ],
                "total": 9, "limit": 50, "offset": 0, "x_future_field": {"depth": 1}}})))
            .unwrap();
        assert_eq!(page.logs.len(), 2);
        assert_eq!(page.total, Some(9));
        assert_eq!(page.logs[0].status.as_deref(), Some("sent"));
        assert_eq!(page.logs[0].extra.get("x_future_flag"), Some(&json!(true)));
        assert_eq!(page.extra.get("x_future_field"), Some(&json!({"depth": 1})));
        let back = serde_json::to_value(&page).unwrap();
        assert_eq!(back["logs"][0]["x_future_flag"], json!(true));
        assert_eq!(back["offset"], json!(0));

        // Pages by our own offset, not the server's echo.
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.offset, Some(7));
        assert_eq!(next.owner_id.as_deref(), Some("owner-1"));
        assert_eq!(next.limit, Some(2));
        let mut last = page.clone();
        last.total = Some(7);
        assert!(e.next_page(&last).is_none());
        let empty = e
            .parse(&response(json!({"data": {"logs": null}})))
            .unwrap();
        assert!(empty.logs.is_empty());
        assert!(e.next_page(&empty).is_none());
        assert_eq!(ListEmailLogs::into_items(page).len(), 2);
    }

    #[test]
    fn empty_template_key_is_a_local_error() {
        let key = || " ".to_owned();
        let errors = [
            GetTemplate { template_key: key() }.request().err(),
            PreviewTemplate {
                template_key: key(),
                context: None,
            }
            .request()
            .err(),
            UpdateTemplate::new(key()).request().err(),
            GetOverride { template_key: key() }.request().err(),
            CreateOrUpdateOverride {
                template_key: key(),
                r#override: None,
                subject_override: None,
                body_override: None,
            }
            .request()
            .err(),
            DeleteOverride { template_key: key() }.request().err(),
        ];
        for e in errors {
            assert!(
                matches!(e, Some(Error::InvalidArgument { name: "template_key", .. })),
                "{e:?}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (
                GetTemplate {
                    template_key: "t".into(),
                }
                .parse(&response(json!({"data": {"id": 1, "template_key": "t",
                                                 "name": "n", "subject": "s"}})))
                .map(drop),
                "data.id",
            ),
            (
                ListTemplates {}
                    .parse(&response(json!({"data": {"templates": [
                        {"id": "a", "template_key": "t", "name": "n", "subject": "s",
                         "variables": [{"name": 3}]}]}})))
                    .map(drop),
                // The shared join gives `templates.[0]...`; see envelope::decode_str.
                "templates*[0].variables[0].name",
            ),
            (
                PreviewTemplate {
                    template_key: "t".into(),
                    context: None,
                }
                .parse(&response(json!({"data": {"preview": {"subject": "s"}}})))
                .map(drop),
                "preview",
            ),
            (
                SendEmail {
                    template_key: "t".into(),
                    to: "a@example.com".into(),
                    context: Map::new(),
                    user_id: None,
                    owner_id: None,
                    subject_override: None,
                    body_override: None,
                }
                .parse(&response(json!({"data": {"success": "yes"}})))
                .map(drop),
                "data.success",
            ),
            (
                ListEmailLogs::default()
                    .parse(&response(json!({"data": {"logs": [{"created_at": "soon"}]}})))
                    .map(drop),
                "data.logs[0].created_at",
            ),
            (
                GetOverride {
                    template_key: "t".into(),
                }
                .parse(&response(json!({"data": {"subject_override": 5}})))
                .map(drop),
                "data.subject_override",
            ),
        ];
        for (result, path) in cases {
            match result {
                Err(Error::Decode(d)) => match path.split_once('*') {
                    Some((head, tail)) => assert!(
                        d.path.starts_with(head) && d.path.ends_with(tail),
                        "{d:?}"
                    ),
                    None => assert_eq!(d.path, path, "{d:?}"),
                },
                other => panic!("{path}: {other:?}"),
            }
        }
        for bad in [&b""[..], b"{", b"<html>"] {
            let r = ListTemplates {}.parse(&http::Response::new(Bytes::from_static(bad)));
            assert!(matches!(r, Err(Error::Decode(_))));
        }
    }

    #[test]
    fn every_endpoint_is_registered() {
        assert_eq!(
            NAMES,
            &[
                "email.send",
                "email.list_templates",
                "email.get_template",
                "email.preview_template",
                "email.update_template",
                "email.get_override",
                "email.create_or_update_override",
                "email.delete_override",
                "email.create_template",
                "email.list_email_logs",
            ]
        );
    }
}
