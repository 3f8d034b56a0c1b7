//! The application's overrides of a template's subject and body
//! (`/api/email/templates/{template_key}/override`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::email::{EmailOverride, OverrideDeleted};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

use super::EmailApi;

impl<'a, X: Execute> EmailApi<'a, X> {
    /// The application's override of a template.
    pub fn get_override(&self, template_key: impl Into<String>) -> GetOverride<Bound<'a, X>> {
        GetOverride::new(template_key).on(self.client)
    }
}

/// `GET /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetOverride<B = Unbound> {
    /// The template's key.
    pub template_key: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetOverride(template_key) {});

impl GetOverride {
    /// The request, with its arguments.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
        }
    }
}

impl Endpoint for GetOverride {
    type Output = EmailOverride;
    type Wire = EmailOverride;
    const NAME: &'static str = "email.get_override";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(
            RequestSpec::get("/api/email/templates/{template_key}/override")
                .param(&self.template_key)
                .auth(Auth::Bearer),
        )
    }
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Creates or replaces the application's override of a template: the keys of
    /// `.r#override(..)` first, then `.subject_override(..)` and `.body_override(..)`.
    /// Optional: `.r#override(..)`, `.subject_override(..)`, `.body_override(..)`.
    pub fn create_or_update_override(
        &self,
        template_key: impl Into<String>,
    ) -> CreateOrUpdateOverride<Bound<'a, X>> {
        CreateOrUpdateOverride::new(template_key).on(self.client)
    }
}

/// `PUT /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateOrUpdateOverride<B = Unbound> {
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
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateOrUpdateOverride {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
            r#override: None,
            subject_override: None,
            body_override: None,
        }
    }
}

crate::arguments::arguments!(CreateOrUpdateOverride(template_key) { r#override: Map<String, Value>, subject_override: String, body_override: String });

impl Endpoint for CreateOrUpdateOverride {
    type Output = EmailOverride;
    type Wire = EmailOverride;
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
        Ok(
            RequestSpec::put("/api/email/templates/{template_key}/override")
                .param(&self.template_key)
                .json(&body)
                .auth(Auth::Bearer),
        )
    }
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Deletes the application's override of a template.
    pub fn delete_override(&self, template_key: impl Into<String>) -> DeleteOverride<Bound<'a, X>> {
        DeleteOverride::new(template_key).on(self.client)
    }
}

/// `DELETE /api/email/templates/{template_key}/override`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteOverride<B = Unbound> {
    /// The template's key.
    pub template_key: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(DeleteOverride(template_key) {});

impl DeleteOverride {
    /// The request, with its arguments.
    pub fn new(template_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            template_key: template_key.into(),
        }
    }
}

impl Endpoint for DeleteOverride {
    type Output = OverrideDeleted;
    type Wire = OverrideDeleted;
    const NAME: &'static str = "email.delete_override";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("template_key", &self.template_key)?;
        Ok(
            RequestSpec::delete("/api/email/templates/{template_key}/override")
                .param(&self.template_key)
                .auth(Auth::Bearer),
        )
    }
}

crate::registry!(GetOverride, CreateOrUpdateOverride, DeleteOverride,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::email::test_support::{body, obj, response};

    #[test]
    fn overrides() {
        let get = GetOverride {
            bound: Unbound,
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
            bound: Unbound,
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
            bound: Unbound,
            template_key: "welcome".into(),
        };
        let spec = del.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::DELETE);
        assert_eq!(spec.path(), "/api/email/templates/welcome/override");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), None);
        let d = del
            .parse(&response(
                json!({"success": true, "data": {"deleted": true}}),
            ))
            .unwrap();
        assert_eq!(d.deleted, Some(true));
        let d = del.parse(&response(json!({"removed": 1}))).unwrap();
        assert_eq!(d.deleted, None);
        assert_eq!(d.extra.get("removed"), Some(&json!(1)));
    }
}
