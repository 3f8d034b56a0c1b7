use super::*;
use crate::api::test_support::{body, query};
use crate::model::entitlements::{EntitlementEventType, EventTrigger, PurchaseStatus};
use bytes::Bytes;

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    let mut r = http::Response::new(Bytes::from(body.to_owned()));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
    r
}

const ENTITLEMENT: &str = r#"{"id":"ent_abc123","application_id":"app_123",
        "beneficiary_user_id":"user_456","beneficiary_email":null,
        "entitlement_key":"premium_access","source":"stripe_subscription",
        "starts_at":"2025-01-01T00:00:00Z","ends_at":"2025-02-01T00:00:00Z","revoked_at":null,
        "stripe_subscription_id":"sub_xyz","stripe_product_id":"prod_abc",
        "resource_type":null,"metadata":{"plan":"pro"},
        "created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}"#;

#[test]
fn get_user_entitlements_request() {
    let e = GetUserEntitlements {
        bound: Unbound,
        user_id: Some("user_456".into()),
        email: Some(String::new()),
        entitlement_key: Some("premium_access".into()),
        include_expired: Some(true),
        include_revoked: Some(false),
        limit: Some(0),
        resource_type: Some("company".into()),
        resource_id: Some("comp_789".into()),
    };
    let spec = e.request().unwrap();
    assert_eq!(spec.method(), http::Method::GET);
    assert_eq!(spec.path(), "/api/entitlements");
    assert_eq!(spec.credentials(), Auth::ApiKey);
    assert!(spec.body.is_none());
    assert_eq!(
        query(&spec),
        [
            ("user_id", "user_456"),
            ("entitlement_key", "premium_access"),
            ("include_expired", "true"),
            ("resource_type", "company"),
            ("resource_id", "comp_789"),
        ]
    );
    let spec = GetUserEntitlements {
        email: Some("a@example.com".into()),
        limit: Some(5),
        ..Default::default()
    }
    .request()
    .unwrap();
    assert_eq!(query(&spec), [("email", "a@example.com"), ("limit", "5")]);
}

#[test]
fn get_user_entitlements_needs_user_or_email() {
    for e in [
        GetUserEntitlements::default(),
        GetUserEntitlements {
            user_id: Some(String::new()),
            email: Some(String::new()),
            ..Default::default()
        },
    ] {
        let err = e.request().unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "user_id",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.is_local());
    }
}

#[test]
fn get_user_entitlements_parse() {
    let body = format!(r#"{{"success":true,"data":{{"entitlements":[{ENTITLEMENT}],"count":1}}}}"#);
    let list = GetUserEntitlements::default()
        .parse(&response(200, &body))
        .unwrap();
    assert_eq!(list.len(), 1);
    let e = &list[0];
    assert_eq!(e.id, "ent_abc123");
    assert_eq!(e.beneficiary_email, None);
    assert_eq!(e.starts_at.unix_seconds(), 1_735_689_600);
    assert_eq!(e.metadata["plan"], "pro");
    // A bare body (no `data`) works too.
    let bare = format!(r#"{{"entitlements":[{ENTITLEMENT}],"count":1}}"#);
    assert_eq!(
        GetUserEntitlements::default()
            .parse(&response(200, &bare))
            .unwrap(),
        list
    );
}

#[test]
fn check_access_request_and_parse() {
    let e = CheckAccess {
        bound: Unbound,
        user_id: "user_456".into(),
        entitlement_key: "premium_access".into(),
        resource_type: Some("org".into()),
        resource_id: None,
    };
    let spec = e.request().unwrap();
    assert_eq!(spec.method(), http::Method::GET);
    assert_eq!(spec.path(), "/api/entitlements/check");
    assert_eq!(spec.credentials(), Auth::ApiKey);
    assert_eq!(
        query(&spec),
        [
            ("user_id", "user_456"),
            ("key", "premium_access"),
            ("resource_type", "org")
        ]
    );
    let got = e
            .parse(&response(
                200,
                r#"{"success":true,"data":{"has_entitlement":true,"user_id":"user_456","entitlement_key":"premium_access"}}"#,
            ))
            .unwrap();
    assert!(got.has_entitlement);
    assert_eq!(got.user_id.as_deref(), Some("user_456"));
    let got = e
        .parse(&response(
            200,
            r#"{"success":true,"data":{"has_entitlement":false}}"#,
        ))
        .unwrap();
    assert!(!got.has_entitlement);
}

const CHANGES: &str = r#"{"success":true,"data":{"events":[{"id":"evt_abc",
        "entitlement_id":"ent_abc123","event_type":"granted","application_id":"app_123",
        "user_id":"user_456","email":null,"entitlement_key":"premium_access",
        "source":"stripe_subscription","previous_state":null,"new_state":{"active":true},
        "triggered_by":"webhook","metadata":{},"created_at":"2025-01-01T00:00:00Z"}],
        "cursor":"2025-01-01T00:00:00Z","has_more":true}}"#;

#[test]
fn get_changes_request_parse_and_pages() {
    let spec = GetChanges::default().request().unwrap();
    assert_eq!(spec.path(), "/api/entitlements/changes");
    assert_eq!(spec.credentials(), Auth::ApiKey);
    assert_eq!(query(&spec), [("limit", "100")]);
    let e = GetChanges {
        bound: Unbound,
        since: Some("2024-12-31T00:00:00Z".into()),
        limit: Some(50),
    };
    let spec = e.request().unwrap();
    assert_eq!(
        query(&spec),
        [("limit", "50"), ("since", "2024-12-31T00:00:00Z")]
    );
    let page = e.parse(&response(200, CHANGES)).unwrap();
    let ev = &page.events[0];
    assert_eq!(ev.event_type, EntitlementEventType::Granted);
    assert_eq!(ev.triggered_by, Some(EventTrigger::Webhook));
    assert_eq!(ev.new_state.as_ref().unwrap()["active"], true);
    let next = e.next_page(&page).unwrap();
    assert_eq!(next.since.as_deref(), Some("2025-01-01T00:00:00Z"));
    assert_eq!(next.limit, Some(50));
    // A cursor that does not move, or `has_more: false`, ends the walk.
    assert!(next.next_page(&page).is_none());
    let last = e
        .parse(&response(
            200,
            &CHANGES.replace("\"has_more\":true", "\"has_more\":false"),
        ))
        .unwrap();
    assert!(e.next_page(&last).is_none());
    assert_eq!(GetChanges::into_items(page).len(), 1);
}

#[test]
fn unknown_enum_values_are_kept() {
    let body = CHANGES
        .replace("\"granted\"", "\"transferred\"")
        .replace("\"webhook\"", "\"migration\"");
    let page = GetChanges::default().parse(&response(200, &body)).unwrap();
    let ev = &page.events[0];
    assert_eq!(
        ev.event_type,
        EntitlementEventType::Other("transferred".into())
    );
    assert_eq!(ev.event_type.as_str(), "transferred");
    assert_eq!(
        ev.triggered_by,
        Some(EventTrigger::Other("migration".into()))
    );
    let json = serde_json::to_value(ev).unwrap();
    assert_eq!(json["event_type"], "transferred");
    assert_eq!(
        EntitlementEventType::from("revoked"),
        EntitlementEventType::Revoked
    );
}

#[test]
fn get_purchase_history_request_and_parse() {
    let e = GetPurchaseHistory {
        bound: Unbound,
        user_id: "user_456".into(),
    };
    let spec = e.request().unwrap();
    assert_eq!(spec.path(), "/api/entitlements/history");
    assert_eq!(spec.credentials(), Auth::ApiKey);
    assert_eq!(query(&spec), [("user_id", "user_456")]);
    let body = r#"{"success":true,"data":{"history":[{"id":"ent_abc123",
            "entitlement_key":"premium_access","source":"stripe_subscription",
            "status":"active","purchased_at":"2025-01-01T00:00:00Z",
            "starts_at":"2025-01-01T00:00:00Z","ends_at":"2025-02-01T00:00:00Z",
            "amount":29.99,"currency":"usd","stripe_subscription_id":"sub_xyz",
            "product_name":"Premium Plan"}],"count":1}}"#;
    let items = e.parse(&response(200, body)).unwrap();
    assert_eq!(items[0].status, PurchaseStatus::Active);
    assert_eq!(items[0].amount.as_ref().unwrap().as_str(), "29.99");
    assert_eq!(items[0].product_name.as_deref(), Some("Premium Plan"));
}

#[test]
fn claim_pending_request_and_parse() {
    let spec = ClaimPending { bound: Unbound }.request().unwrap();
    assert_eq!(spec.method(), http::Method::POST);
    assert_eq!(spec.path(), "/api/entitlements/claim");
    assert_eq!(spec.credentials(), Auth::Bearer);
    assert_eq!(body(&spec), Some(serde_json::json!({})));
    let body = format!(r#"{{"success":true,"data":{{"claimed":[{ENTITLEMENT}],"count":1}}}}"#);
    let claim = ClaimPending { bound: Unbound }
        .parse(&response(200, &body))
        .unwrap();
    assert_eq!(claim.count, 1);
    assert_eq!(claim.claimed[0].entitlement_key, "premium_access");
}

#[test]
fn grant_manual_args_nested_or_flat() {
    let nested: GrantManual = serde_json::from_str(
        r#"{"params":{"entitlement_key":"premium_access","beneficiary_user_id":"user_456",
                "beneficiary_email":null,"starts_at":null,"ends_at":null,"reason":"Test grant",
                "metadata":null,"resource_type":null,"resource_id":null}}"#,
    )
    .unwrap();
    assert_eq!(nested.entitlement_key, "premium_access");
    assert_eq!(nested.reason.as_deref(), Some("Test grant"));
    let flat: GrantManual =
        serde_json::from_str(r#"{"entitlement_key":"k","resource_id":"r"}"#).unwrap();
    assert_eq!(flat.resource_id.as_deref(), Some("r"));
    // Serialized, then read back.
    let again: GrantManual =
        serde_json::from_value(serde_json::to_value(&nested).unwrap()).unwrap();
    assert_eq!(again.beneficiary_user_id.as_deref(), Some("user_456"));
    assert!(serde_json::from_str::<GrantManual>(r#"{"entitlement_key":"k","nope":1}"#).is_err());
    assert!(serde_json::from_str::<GrantManual>(r#"{"params":{"reason":"x"}}"#).is_err());
}

#[test]
fn grant_manual_request_and_parse() {
    let mut e = GrantManual::new("premium_access");
    e.beneficiary_user_id = Some("user_456".into());
    e.beneficiary_email = Some(String::new());
    e.starts_at = Some("2025-03-01T00:00:00+00:00".into());
    e.metadata = Some(serde_json::Map::new());
    e.resource_type = Some("company".into());
    let spec = e.request().unwrap();
    assert_eq!(spec.method(), http::Method::POST);
    assert_eq!(spec.path(), "/api/entitlements/manual");
    assert_eq!(spec.credentials(), Auth::Bearer);
    assert_eq!(
        body(&spec),
        Some(serde_json::json!({
            "entitlement_key": "premium_access",
            "beneficiary_user_id": "user_456",
            "starts_at": "2025-03-01T00:00:00+00:00",
            "resource_type": "company",
        }))
    );
    let wrapped = format!(r#"{{"success":true,"data":{{"entitlement":{ENTITLEMENT}}}}}"#);
    let bare = format!(r#"{{"entitlement":{ENTITLEMENT}}}"#);
    let a = e.parse(&response(201, &wrapped)).unwrap();
    let b = e.parse(&response(201, &bare)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.id, "ent_abc123");
    match e.parse(&response(201, r#"{"success":true,"data":{}}"#)) {
        Err(Error::Decode(d)) => assert_eq!(d.path, "entitlement"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn revoke_request_and_parse() {
    let e = Revoke {
        bound: Unbound,
        entitlement_id: "ent/1".into(),
        reason: None,
    };
    let spec = e.request().unwrap().validate().unwrap();
    assert_eq!(spec.method(), http::Method::DELETE);
    assert_eq!(spec.path(), "/api/entitlements/ent%2F1");
    assert_eq!(spec.credentials(), Auth::Bearer);
    assert_eq!(body(&spec), Some(serde_json::json!({})));
    let e = Revoke {
        bound: Unbound,
        entitlement_id: "ent_abc123".into(),
        reason: Some("User requested".into()),
    };
    let spec = e.request().unwrap();
    assert_eq!(
        body(&spec),
        Some(serde_json::json!({"reason": "User requested"}))
    );
    let body = format!(r#"{{"success":true,"data":{{"entitlement":{ENTITLEMENT}}}}}"#);
    assert_eq!(e.parse(&response(200, &body)).unwrap().id, "ent_abc123");
    let empty = Revoke {
        bound: Unbound,
        entitlement_id: " ".into(),
        reason: None,
    };
    assert!(matches!(
        empty.request(),
        Err(Error::InvalidArgument {
            name: "entitlement_id",
            ..
        })
    ));
}

#[test]
fn malformed_bodies_name_the_field() {
    let e = GetUserEntitlements::default();
    let bad = ENTITLEMENT.replace(
        r#""starts_at":"2025-01-01T00:00:00Z""#,
        r#""starts_at":true"#,
    );
    let body = format!(r#"{{"data":{{"entitlements":[{bad}]}}}}"#);
    match e.parse(&response(200, &body)) {
        Err(Error::Decode(d)) => {
            assert_eq!(d.operation, "entitlements.get_user_entitlements");
            assert_eq!(d.path, "data.entitlements[0].starts_at");
        }
        other => panic!("{other:?}"),
    }
    let check = CheckAccess {
        bound: Unbound,
        user_id: "u".into(),
        entitlement_key: "k".into(),
        resource_type: None,
        resource_id: None,
    };
    match check.parse(&response(200, r#"{"data":{"has_entitlement":"yes"}}"#)) {
        Err(Error::Decode(d)) => assert_eq!(d.path, "data.has_entitlement"),
        other => panic!("{other:?}"),
    }
    match GetChanges::default().parse(&response(200, r#"{"data":{"events":[{"event_type":7}]}}"#)) {
        Err(Error::Decode(d)) => assert!(d.path.starts_with("data.events[0]"), "{}", d.path),
        other => panic!("{other:?}"),
    }
    for body in ["", "not json", r#"{"data":null}"#, "[1]"] {
        assert!(matches!(
            ClaimPending { bound: Unbound }.parse(&response(200, body)),
            Err(Error::Decode(_))
        ));
    }
}
