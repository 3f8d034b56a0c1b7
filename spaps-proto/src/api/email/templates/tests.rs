use super::*;
use http::Method;
use serde_json::json;

use crate::api::email::test_support::{body, obj, response};

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
fn list_templates_request_and_shapes() {
    let e = ListTemplates { bound: Unbound };
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
        bound: Unbound,
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
        bound: Unbound,
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
        .parse(&response(
            json!({"success": true, "data": {"preview": preview}}),
        ))
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
        bound: Unbound,
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
        Some(
            json!({"template_key": "new_template", "name": "New Template",
                    "subject": "Welcome!", "html_body": "<p>Hello</p>"})
        )
    );
    e.category = Some("transactional".into());
    e.is_active = Some(true);
    assert_eq!(
        body(&e.request().unwrap()).unwrap()["category"],
        "transactional"
    );

    let t = e
        .parse(&response(json!({"success": true, "data": {"template": {
            "id": "tmpl_new", "template_key": "new_template", "name": "New Template",
            "subject": "Welcome!"}}})))
        .unwrap();
    assert_eq!(t.id, "tmpl_new");
    assert!(t.is_active);
    assert_eq!(t.created_at, None);
}
