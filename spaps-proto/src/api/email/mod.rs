//! Email sending, templates, overrides and logs (`/api/email`).
//!
//! `send` and the template reads (`list_templates`, `get_template`,
//! `preview_template`) carry the bearer token when one is available; template
//! writes, overrides and logs require one.

use crate::request::{Bound, Execute};

mod logs;
mod overrides;
mod send;
mod templates;
#[cfg(test)]
mod test_support;

pub use logs::ListEmailLogs;
pub use overrides::{CreateOrUpdateOverride, DeleteOverride, GetOverride};
pub use send::SendEmail;
pub use templates::{CreateTemplate, GetTemplate, ListTemplates, PreviewTemplate, UpdateTemplate};

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

    /// Changes a template; only the fields set are sent. Optional: `.name(..)`,
    /// `.description(..)`, `.subject(..)`, `.html_body(..)`, `.text_body(..)`,
    /// `.from_email(..)`, `.from_name(..)`, `.reply_to(..)`, `.variables(..)`,
    /// `.sample_context(..)`, `.is_active(..)`, `.category(..)`.
    pub fn update_template(&self, template_key: impl Into<String>) -> UpdateTemplate<Bound<'a, X>> {
        UpdateTemplate::new(template_key).on(self.client)
    }
}

crate::api::registry_of!(logs, overrides, send, templates);

#[cfg(test)]
mod tests {
    use super::test_support::response;
    use super::*;
    use crate::request::Unbound;
    use bytes::Bytes;
    use serde_json::{json, Map};

    use crate::endpoint::Endpoint;
    use crate::error::Error;

    #[test]
    fn empty_template_key_is_a_local_error() {
        let key = || " ".to_owned();
        let errors = [
            GetTemplate {
                bound: Unbound,
                template_key: key(),
            }
            .request()
            .err(),
            PreviewTemplate {
                bound: Unbound,
                template_key: key(),
                context: None,
            }
            .request()
            .err(),
            UpdateTemplate::new(key()).request().err(),
            GetOverride {
                bound: Unbound,
                template_key: key(),
            }
            .request()
            .err(),
            CreateOrUpdateOverride {
                bound: Unbound,
                template_key: key(),
                r#override: None,
                subject_override: None,
                body_override: None,
            }
            .request()
            .err(),
            DeleteOverride {
                bound: Unbound,
                template_key: key(),
            }
            .request()
            .err(),
        ];
        for e in errors {
            assert!(
                matches!(
                    e,
                    Some(Error::InvalidArgument {
                        name: "template_key",
                        ..
                    })
                ),
                "{e:?}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (
                GetTemplate {
                    bound: Unbound,
                    template_key: "t".into(),
                }
                .parse(&response(json!({"data": {"id": 1, "template_key": "t",
                                                 "name": "n", "subject": "s"}})))
                .map(drop),
                "data.id",
            ),
            (
                ListTemplates { bound: Unbound }
                    .parse(&response(json!({"data": {"templates": [
                        {"id": "a", "template_key": "t", "name": "n", "subject": "s",
                         "variables": [{"name": 3}]}]}})))
                    .map(drop),
                // The shared join gives `templates.[0]...`; see envelope::decode_str.
                "templates*[0].variables[0].name",
            ),
            (
                PreviewTemplate {
                    bound: Unbound,
                    template_key: "t".into(),
                    context: None,
                }
                .parse(&response(json!({"data": {"preview": {"subject": "s"}}})))
                .map(drop),
                "preview",
            ),
            (
                SendEmail {
                    bound: Unbound,
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
                    .parse(&response(
                        json!({"data": {"logs": [{"created_at": "soon"}]}}),
                    ))
                    .map(drop),
                "data.logs[0].created_at",
            ),
            (
                GetOverride {
                    bound: Unbound,
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
                    Some((head, tail)) => {
                        assert!(d.path.starts_with(head) && d.path.ends_with(tail), "{d:?}")
                    }
                    None => assert_eq!(d.path, path, "{d:?}"),
                },
                other => panic!("{path}: {other:?}"),
            }
        }
        for bad in [&b""[..], b"{", b"<html>"] {
            let r = ListTemplates { bound: Unbound }
                .parse(&http::Response::new(Bytes::from_static(bad)));
            assert!(matches!(r, Err(Error::Decode(_))));
        }
    }

    #[test]
    fn every_endpoint_is_registered() {
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        let mut expected = vec![
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
        ];
        expected.sort_unstable();
        assert_eq!(names, expected);
    }
}
