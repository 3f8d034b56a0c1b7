//! Email templates: listing, reading and previewing them, and the calls that create and
//! change them (`/api/email/templates`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::envelope::{Envelope, Shape};
use crate::error::Error;
use crate::model::email::{EmailTemplate, EmailTemplatePreview};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

use super::EmailApi;

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Lists the application's templates.
    pub fn list_templates(&self) -> ListTemplates<Bound<'a, X>> {
        ListTemplates::new().on(self.client)
    }
}

/// `GET /api/email/templates`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListTemplates<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ListTemplates() {});

impl ListTemplates {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for ListTemplates {
    type Output = Vec<EmailTemplate>;
    type Wire = Vec<EmailTemplate>;
    const NAME: &'static str = "email.list_templates";
    const SHAPE: Shape = Shape::Custom;

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

impl<'a, X: Execute> EmailApi<'a, X> {
    /// One template by key.
    pub fn get_template(&self, template_key: impl Into<String>) -> GetTemplate<Bound<'a, X>> {
        GetTemplate::new(template_key).on(self.client)
    }
}

/// `GET /api/email/templates/{template_key}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetTemplate<B = Unbound> {
    /// The template's key.
    pub template_key: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetTemplate(template_key) {});

impl GetTemplate {
    /// The request, with its arguments.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
        }
    }
}

impl Endpoint for GetTemplate {
    type Output = EmailTemplate;
    type Wire = EmailTemplate;
    const NAME: &'static str = "email.get_template";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(RequestSpec::get("/api/email/templates/{template_key}")
            .param(&self.template_key)
            .auth(Auth::OptionalBearer))
    }
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Renders a template: with its sample context (a GET), or with the context given by
    /// `.context(..)` (a POST, even for an empty context). Optional: `.context(..)`.
    pub fn preview_template(
        &self,
        template_key: impl Into<String>,
    ) -> PreviewTemplate<Bound<'a, X>> {
        PreviewTemplate::new(template_key).on(self.client)
    }
}

/// `GET /api/email/templates/{template_key}/preview` without a context, `POST` with one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct PreviewTemplate<B = Unbound> {
    /// The template's key.
    pub template_key: String,
    /// The variables to render with; the template's sample context when not set.
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl PreviewTemplate {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
            context: None,
        }
    }
}

crate::arguments::arguments!(PreviewTemplate(template_key) { context: Map<String, Value> });

#[derive(Serialize)]
struct PreviewBody<'a> {
    context: &'a Map<String, Value>,
}

impl Endpoint for PreviewTemplate {
    type Output = EmailTemplatePreview;
    type Wire = EmailTemplatePreview;
    const NAME: &'static str = "email.preview_template";
    const SHAPE: Shape = Shape::DataOrKey("preview");

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        const PATH: &str = "/api/email/templates/{template_key}/preview";
        let spec = match &self.context {
            Some(context) => RequestSpec::post(PATH).json(&PreviewBody { context }),
            None => RequestSpec::get(PATH),
        };
        Ok(spec.param(&self.template_key).auth(Auth::OptionalBearer))
    }
}

/// `PUT /api/email/templates/{template_key}`: the fields that are set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateTemplate<B = Unbound> {
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
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(UpdateTemplate(template_key) { name: String, description: String, subject: String, html_body: String, text_body: String, from_email: String, from_name: String, reply_to: String, variables: Value, sample_context: Map<String, Value>, is_active: bool, category: String });

impl UpdateTemplate {
    /// An update of `template_key` that changes nothing yet.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
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
    type Wire = EmailTemplate;
    const NAME: &'static str = "email.update_template";
    const SHAPE: Shape = Shape::DataOrKey("template");

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(RequestSpec::put("/api/email/templates/{template_key}")
            .param(&self.template_key)
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Creates a template. Optional: `.description(..)`, `.text_body(..)`,
    /// `.from_email(..)`, `.from_name(..)`, `.reply_to(..)`, `.variables(..)`,
    /// `.sample_context(..)`, `.is_active(..)`, `.category(..)`.
    pub fn create_template(
        &self,
        template_key: impl Into<String>,
        name: impl Into<String>,
        subject: impl Into<String>,
        html_body: impl Into<String>,
    ) -> CreateTemplate<Bound<'a, X>> {
        CreateTemplate::new(template_key, name, subject, html_body).on(self.client)
    }
}

/// `POST /api/email/templates`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateTemplate<B = Unbound> {
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
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateTemplate {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        template_key: impl Into<String>,
        name: impl Into<String>,
        subject: impl Into<String>,
        html_body: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
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
        }
    }
}

crate::arguments::arguments!(CreateTemplate(template_key, name, subject, html_body) { description: String, text_body: String, from_email: String, from_name: String, reply_to: String, variables: Value, sample_context: Map<String, Value>, is_active: bool, category: String });

impl Endpoint for CreateTemplate {
    type Output = EmailTemplate;
    type Wire = EmailTemplate;
    const NAME: &'static str = "email.create_template";
    const SHAPE: Shape = Shape::DataOrKey("template");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/email/templates")
            .json(self)
            .auth(Auth::Bearer))
    }
}

crate::registry!(
    ListTemplates,
    GetTemplate,
    PreviewTemplate,
    UpdateTemplate,
    CreateTemplate,
);

#[cfg(test)]
mod tests;
