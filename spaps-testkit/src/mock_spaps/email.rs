//! Email: templates (rendered with `{{variable}}` substitution), per-template overrides,
//! previews, sending (logged, nothing leaves the mock) and the send log.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{
    body, fail, invalid, is_email, offset_page, ok, query_limit, query_non_empty,
    query_offset_named, rfc3339, Body, Outcome, Res,
};
use super::{State, APPLICATION_ID};
use crate::observed::ObservedRequest;

#[derive(Debug, Default)]
pub(crate) struct Email {
    templates: Vec<Template>,
    overrides: Vec<Override>,
    logs: Vec<Value>,
}

#[derive(Debug, Clone)]
struct Template {
    id: String,
    key: String,
    fields: Map<String, Value>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct Override {
    key: String,
    fields: Map<String, Value>,
    updated_at: OffsetDateTime,
}

/// Template fields a create or update may set, besides `variables`.
const TEXT_FIELDS: [&str; 9] = [
    "name",
    "description",
    "subject",
    "html_body",
    "text_body",
    "from_email",
    "from_name",
    "reply_to",
    "category",
];

fn render(text: &str, context: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match context.get(name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push_str(&other.to_string()),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `variables` as a list of `{name, required, description}`, from a list or from an
/// object `{name: {required, description}}`.
fn variables(value: &Value) -> Result<Value, Outcome> {
    let list: Vec<Value> = match value {
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Object(m) if m.get("name").is_some_and(Value::is_string) => Ok(json!({
                    "name": m["name"],
                    "required": m.get("required").and_then(Value::as_bool).unwrap_or(false),
                    "description": m.get("description").cloned().unwrap_or(Value::Null),
                })),
                Value::String(name) => {
                    Ok(json!({"name": name, "required": false, "description": null}))
                }
                _ => Err(invalid("each variable needs a name")),
            })
            .collect::<Result<_, _>>()?,
        Value::Object(map) => map
            .iter()
            .map(|(name, spec)| {
                json!({
                    "name": name,
                    "required": spec.get("required").and_then(Value::as_bool).unwrap_or(false),
                    "description": spec.get("description").cloned().unwrap_or(Value::Null),
                })
            })
            .collect(),
        _ => return Err(invalid("variables must be a list or an object")),
    };
    Ok(Value::Array(list))
}

impl Template {
    fn json(&self) -> Value {
        let mut map = self.fields.clone();
        map.insert("id".to_owned(), json!(self.id));
        map.insert("application_id".to_owned(), json!(APPLICATION_ID));
        map.insert("template_key".to_owned(), json!(self.key));
        map.entry("variables").or_insert_with(|| json!([]));
        map.entry("is_active").or_insert(json!(true));
        map.insert("created_at".to_owned(), json!(rfc3339(self.created_at)));
        map.insert("updated_at".to_owned(), json!(rfc3339(self.updated_at)));
        Value::Object(map)
    }

    fn text(&self, name: &str) -> String {
        self.fields
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn is_active(&self) -> bool {
        self.fields
            .get("is_active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }
}

impl Email {
    pub(crate) fn seed(now: OffsetDateTime) -> Email {
        let template = |n: u32, key: &str, fields: Value| Template {
            id: format!("tmpl_mock_seed_{n}"),
            key: key.to_owned(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        Email {
            templates: vec![
                template(
                    1,
                    "welcome",
                    json!({
                        "name": "Welcome",
                        "description": "Sent when an account is created",
                        "subject": "Welcome, {{first_name}}",
                        "html_body": "<p>Hi {{first_name}}, welcome aboard.</p>",
                        "text_body": "Hi {{first_name}}, welcome aboard.",
                        "from_email": "hello@example.com",
                        "from_name": "Example",
                        "variables": [{"name": "first_name", "required": true, "description": "Recipient first name"}],
                        "sample_context": {"first_name": "Ada"},
                        "category": "transactional",
                        "is_active": true,
                    }),
                ),
                template(
                    2,
                    "enrollment_reminder",
                    json!({
                        "name": "Enrollment reminder",
                        "subject": "Finish your enrolment, {{first_name}}",
                        "html_body": "<p>Hi {{first_name}}, your spot is waiting until {{deadline}}.</p>",
                        "variables": [{"name": "first_name", "required": true}, {"name": "deadline", "required": false}],
                        "sample_context": {"first_name": "Ada", "deadline": "Friday"},
                        "category": "notification",
                        "is_active": true,
                    }),
                ),
            ],
            overrides: Vec::new(),
            logs: Vec::new(),
        }
    }

    fn template(&self, key: &str) -> Result<usize, Outcome> {
        self.templates
            .iter()
            .position(|t| t.key == key)
            .ok_or_else(|| fail(404, "TEMPLATE_NOT_FOUND", format!("No template {key}")))
    }
}

impl State {
    pub(crate) fn route_email(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "email", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("POST", ["send"]) => self.send_email(req),
            ("GET", ["templates"]) => self.list_templates(req),
            ("POST", ["templates"]) => self.create_template(req),
            ("GET", ["templates", key]) => self.get_template(req, key),
            ("PUT", ["templates", key]) => self.update_template(req, key),
            ("GET", ["templates", key, "preview"]) => self.preview(req, key, false),
            ("POST", ["templates", key, "preview"]) => self.preview(req, key, true),
            ("GET", ["templates", key, "override"]) => self.get_override(req, key),
            ("PUT", ["templates", key, "override"]) => self.put_override(req, key),
            ("DELETE", ["templates", key, "override"]) => self.delete_override(req, key),
            ("GET", ["logs"]) => self.email_logs(req),
            _ => return None,
        })
    }

    /// Subject, html and text of template `i` with `context`, overrides applied.
    fn render_template(
        &self,
        i: usize,
        context: &Map<String, Value>,
    ) -> (String, String, Option<String>) {
        let t = &self.email.templates[i];
        let o = self.email.overrides.iter().find(|o| {
            o.key == t.key && o.fields.get("enabled").and_then(Value::as_bool) != Some(false)
        });
        let pick = |name: &str, fallback: String| {
            o.and_then(|o| o.fields.get(name))
                .and_then(Value::as_str)
                .map_or(fallback, str::to_owned)
        };
        let subject = pick("subject_override", t.text("subject"));
        let html = pick("body_override", t.text("html_body"));
        let text = t
            .fields
            .get("text_body")
            .and_then(Value::as_str)
            .map(|x| render(x, context));
        (render(&subject, context), render(&html, context), text)
    }

    fn send_email(&mut self, req: &ObservedRequest) -> Res {
        let session = self.maybe_bearer(req)?;
        let b = body(req)?;
        let key = b.text("template_key")?;
        let to = b.text("to")?;
        if !is_email(&to) {
            return Err(invalid("to must be an email address"));
        }
        let context = b.object("context")?;
        let user_id = b.opt_text("user_id")?;
        let owner_id = b.opt_text("owner_id")?;
        let subject_override = b.opt_text("subject_override")?;
        let body_override = b.opt_text("body_override")?;
        let i = self.email.template(&key)?;
        let t = &self.email.templates[i];
        if !t.is_active() {
            return Err(fail(
                400,
                "TEMPLATE_INACTIVE",
                format!("Template {key} is not active"),
            ));
        }
        if let Some(vars) = t.fields.get("variables").and_then(Value::as_array) {
            for v in vars {
                let name = v["name"].as_str().unwrap_or_default();
                if v["required"] == true && !context.contains_key(name) {
                    return Err(invalid(format!("context.{name} is required by {key}")));
                }
            }
        }
        let (subject, html, _) = self.render_template(i, &context);
        let id = self.next_id("log");
        let message_id = self.next_id("msg");
        self.email.logs.push(json!({
            "id": id,
            "template_key": key,
            "to": to,
            "status": "sent",
            "subject": subject_override.unwrap_or(subject),
            "html": body_override.unwrap_or(html),
            "provider_message_id": message_id,
            "user_id": user_id.or_else(|| session.map(|s| s.user_id)),
            "owner_id": owner_id,
            "created_at": rfc3339(self.now),
        }));
        ok(json!({"success": true, "message_id": message_id}))
    }

    fn list_templates(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let templates: Vec<Value> = self.email.templates.iter().map(Template::json).collect();
        ok(json!({ "templates": templates }))
    }

    fn get_template(&mut self, req: &ObservedRequest, key: &str) -> Res {
        self.maybe_bearer(req)?;
        let i = self.email.template(key)?;
        ok(self.email.templates[i].json())
    }

    fn preview(&mut self, req: &ObservedRequest, key: &str, post: bool) -> Res {
        self.maybe_bearer(req)?;
        let i = self.email.template(key)?;
        let mut context = self.email.templates[i]
            .fields
            .get("sample_context")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if post {
            let b = body(req)?;
            context.extend(b.opt_object("context")?.unwrap_or_default());
        }
        let (subject, html, text) = self.render_template(i, &context);
        ok(json!({"preview": {"subject": subject, "html": html, "text": text}}))
    }

    /// The fields of a create or update body.
    fn template_fields(b: &Body) -> Result<Map<String, Value>, Outcome> {
        let mut fields = Map::new();
        for name in TEXT_FIELDS {
            if let Some(v) = b.opt_text(name)? {
                fields.insert(name.to_owned(), json!(v));
            }
        }
        if let Some(v) = b.get("variables") {
            fields.insert("variables".to_owned(), variables(v)?);
        }
        if let Some(c) = b.opt_object("sample_context")? {
            fields.insert("sample_context".to_owned(), Value::Object(c));
        }
        if let Some(a) = b.opt_bool("is_active")? {
            fields.insert("is_active".to_owned(), json!(a));
        }
        Ok(fields)
    }

    fn create_template(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let key = b.text("template_key")?;
        for required in ["name", "subject", "html_body"] {
            b.text(required)?;
        }
        if !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            return Err(invalid("template_key may hold letters, digits, _, - and ."));
        }
        if self.email.template(&key).is_ok() {
            return Err(fail(
                409,
                "CONFLICT",
                format!("Template {key} already exists"),
            ));
        }
        let fields = Self::template_fields(&b)?;
        let template = Template {
            id: self.next_id("tmpl"),
            key,
            fields,
            created_at: self.now,
            updated_at: self.now,
        };
        let json = template.json();
        self.email.templates.push(template);
        ok(json!({ "template": json }))
    }

    fn update_template(&mut self, req: &ObservedRequest, key: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let fields = Self::template_fields(&b)?;
        for required in ["name", "subject"] {
            if fields
                .get(required)
                .is_some_and(|v| v.as_str().is_some_and(|s| s.trim().is_empty()))
            {
                return Err(invalid(format!("{required} must not be empty")));
            }
        }
        let i = self.email.template(key)?;
        let now = self.now;
        let t = &mut self.email.templates[i];
        t.fields.extend(fields);
        t.updated_at = now;
        ok(json!({ "template": t.json() }))
    }

    fn get_override(&mut self, req: &ObservedRequest, key: &str) -> Res {
        self.admin(req)?;
        self.email.template(key)?;
        match self.email.overrides.iter().find(|o| o.key == key) {
            Some(o) => {
                let mut map = o.fields.clone();
                map.insert("template_key".to_owned(), json!(key));
                map.insert("updated_at".to_owned(), json!(rfc3339(o.updated_at)));
                ok(Value::Object(map))
            }
            None => Err(fail(
                404,
                "OVERRIDE_NOT_FOUND",
                format!("Template {key} has no override"),
            )),
        }
    }

    fn put_override(&mut self, req: &ObservedRequest, key: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        self.email.template(key)?;
        for name in ["subject_override", "body_override"] {
            b.opt_text(name)?;
        }
        b.opt_bool("enabled")?;
        let now = self.now;
        let overrides = &mut self.email.overrides;
        let created = !overrides.iter().any(|o| o.key == key);
        if created {
            overrides.push(Override {
                key: key.to_owned(),
                fields: Map::new(),
                updated_at: now,
            });
        }
        let Some(o) = overrides.iter_mut().find(|o| o.key == key) else {
            return Err(fail(500, "INTERNAL_ERROR", "lost override"));
        };
        o.fields.extend(b.0.clone());
        o.updated_at = now;
        let mut map = o.fields.clone();
        map.insert("template_key".to_owned(), json!(key));
        map.insert("updated_at".to_owned(), json!(rfc3339(now)));
        map.insert("created".to_owned(), json!(created));
        ok(Value::Object(map))
    }

    fn delete_override(&mut self, req: &ObservedRequest, key: &str) -> Res {
        self.admin(req)?;
        self.email.template(key)?;
        let before = self.email.overrides.len();
        self.email.overrides.retain(|o| o.key != key);
        if self.email.overrides.len() == before {
            return Err(fail(
                404,
                "OVERRIDE_NOT_FOUND",
                format!("Template {key} has no override"),
            ));
        }
        ok(json!({"deleted": true, "template_key": key}))
    }

    fn email_logs(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let limit = query_limit(req, 50, 500)?;
        let offset = query_offset_named(req, "offset")?;
        let owner = query_non_empty(req, "owner_id");
        let user = query_non_empty(req, "user_id");
        let all: Vec<Value> = self
            .email
            .logs
            .iter()
            .rev()
            .filter(|l| {
                owner.is_none_or(|o| l["owner_id"] == o) && user.is_none_or(|u| l["user_id"] == u)
            })
            .cloned()
            .collect();
        let total = all.len();
        ok(
            json!({"logs": offset_page(all, offset, limit), "total": total, "limit": limit, "offset": offset}),
        )
    }
}
