//! Unit tests of the mock, without and with a socket.

use super::support::rfc3339;
use super::*;
use crate::server::test_client::{RawClient, RawResponse};
use std::sync::Mutex;
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime};

const KEY: (&str, &str) = ("X-API-Key", "spaps_test_pk_demo");

fn login(c: &mut RawClient, email: &str, password: &str) -> RawResponse {
    c.request(
        "POST",
        "/api/auth/login",
        &[KEY, ("Content-Type", "application/json")],
        Some(&json!({"email": email, "password": password}).to_string()),
    )
}

fn get(c: &mut RawClient, path: &str, token: &str) -> RawResponse {
    let auth = format!("Bearer {token}");
    c.request("GET", path, &[KEY, ("Authorization", &auth)], None)
}

fn post(c: &mut RawClient, path: &str, token: &str, body: Option<&str>) -> RawResponse {
    let auth = format!("Bearer {token}");
    c.request("POST", path, &[KEY, ("Authorization", &auth)], body)
}

fn assert_error(r: &RawResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{:?}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], code);
    assert!(v["error"]["message"].is_string());
    assert_eq!(
        Some(v["metadata"]["request_id"].as_str().unwrap()),
        r.header("x-request-id")
    );
}

#[test]
fn quickstart_flow() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());

    let r = login(&mut c, "ada@example.com", DEMO_PASSWORD);
    assert_eq!(r.status, 200);
    assert!(r.header("x-request-id").is_some());
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(
        v["metadata"]["request_id"],
        r.header("x-request-id").unwrap()
    );
    let data = &v["data"];
    assert_eq!(data["access_token"], "at_1");
    assert_eq!(data["refresh_token"], "rt_1");
    assert_eq!(data["expires_in"], 3600);
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["user"]["email"], "ada@example.com");
    let user_id = data["user"]["id"].as_str().unwrap().to_owned();

    let r = get(&mut c, "/api/sessions/current", "at_1");
    assert_eq!(r.status, 200);
    let session = &r.json()["data"]["session"];
    assert_eq!(session["user_id"], user_id.as_str());
    assert_eq!(session["application_id"], APPLICATION_ID);
    for key in ["created_at", "expires_at", "last_activity"] {
        let text = session[key].as_str().unwrap();
        assert!(
            OffsetDateTime::parse(text, &Rfc3339).is_ok(),
            "{key}: {text}"
        );
    }
    let session_id = session["id"].as_str().unwrap().to_owned();

    let r = get(&mut c, "/api/auth/user", "at_1");
    assert_eq!(r.json()["data"]["user"]["id"], user_id.as_str());

    let r = get(&mut c, "/api/sessions/current", "at_bogus");
    assert_error(&r, 401, "UNAUTHORIZED");
    let r = c.request("GET", "/api/sessions/current", &[KEY], None);
    assert_error(&r, 401, "UNAUTHORIZED");

    let r = post(&mut c, "/api/sessions/validate", "at_1", Some("{}"));
    let data = &r.json()["data"];
    assert_eq!(data["valid"], true);
    assert_eq!(data["session_id"], session_id.as_str());
    assert!(data["expires_at"].is_string());

    let r = post(&mut c, "/api/sessions/touch", "at_1", Some("{}"));
    assert_eq!(r.json()["data"]["session_id"], session_id.as_str());
    assert!(r.json()["data"]["last_activity"].is_string());

    assert_eq!(server.request_count(), 7);
}

#[test]
fn wrong_password_and_api_key() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    let r = login(&mut c, "ada@example.com", "hunter2");
    assert_error(&r, 401, "INVALID_CREDENTIALS");
    let r = c.request(
        "POST",
        "/api/auth/login",
        &[],
        Some(&json!({"email": "a@b.c", "password": DEMO_PASSWORD}).to_string()),
    );
    assert_error(&r, 401, "INVALID_API_KEY");
    let r = c.request("GET", "/api/sessions", &[("X-API-Key", " ")], None);
    assert_error(&r, 401, "INVALID_API_KEY");
    let r = c.request("GET", "/api/nope", &[KEY], None);
    assert_error(&r, 404, "NOT_FOUND");
    let r = c.request("POST", "/api/auth/login", &[KEY], Some("not json"));
    assert_error(&r, 400, "VALIDATION_ERROR");
}

#[test]
fn refresh_rotates_tokens() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    login(&mut c, "ada@example.com", DEMO_PASSWORD);
    let refresh = |c: &mut RawClient, rt: &str| {
        c.request(
            "POST",
            "/api/auth/refresh",
            &[KEY],
            Some(&json!({"refresh_token": rt}).to_string()),
        )
    };
    let r = refresh(&mut c, "rt_bogus");
    assert_error(&r, 401, "INVALID_REFRESH_TOKEN");
    let r = refresh(&mut c, "rt_1");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["access_token"], "at_2");
    assert_eq!(r.json()["data"]["refresh_token"], "rt_2");
    // Old tokens are dead, new ones work.
    assert_error(&get(&mut c, "/api/auth/user", "at_1"), 401, "UNAUTHORIZED");
    assert_eq!(get(&mut c, "/api/auth/user", "at_2").status, 200);
    // A spent refresh token presented again ends the whole family.
    assert_error(&refresh(&mut c, "rt_1"), 401, "REFRESH_TOKEN_REUSED");
    assert_error(&get(&mut c, "/api/auth/user", "at_2"), 401, "UNAUTHORIZED");
    assert_error(&refresh(&mut c, "rt_2"), 401, "INVALID_REFRESH_TOKEN");
}

#[test]
fn sessions_list_revoke_and_logout() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    login(&mut c, "ada@example.com", DEMO_PASSWORD);
    login(&mut c, "ada@example.com", DEMO_PASSWORD);
    login(&mut c, "bob@example.com", DEMO_PASSWORD);

    let r = get(&mut c, "/api/sessions", "at_2");
    let data = r.json()["data"].clone();
    assert_eq!(data["total"], 2);
    let sessions = data["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions
        .iter()
        .filter(|s| s["is_current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    let other = sessions.iter().find(|s| s["is_current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bob cannot revoke Ada's session.
    let auth = "Bearer at_3";
    let r = c.request(
        "DELETE",
        &format!("/api/sessions/{other}"),
        &[KEY, ("Authorization", auth)],
        None,
    );
    assert_error(&r, 404, "SESSION_NOT_FOUND");

    let auth = "Bearer at_2";
    let r = c.request(
        "DELETE",
        &format!("/api/sessions/{other}"),
        &[KEY, ("Authorization", auth)],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["session_id"], other.as_str());
    assert_error(&get(&mut c, "/api/auth/user", "at_1"), 401, "UNAUTHORIZED");
    assert_eq!(
        get(&mut c, "/api/sessions", "at_2").json()["data"]["total"],
        1
    );

    let r = post(&mut c, "/api/auth/logout", "at_2", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["message"], "Successfully logged out");
    assert_error(
        &get(&mut c, "/api/sessions/current", "at_2"),
        401,
        "UNAUTHORIZED",
    );
    assert_error(
        &post(&mut c, "/api/auth/logout", "at_2", None),
        401,
        "UNAUTHORIZED",
    );
    assert_eq!(get(&mut c, "/api/auth/user", "at_3").status, 200);
}

#[test]
fn handle_without_socket() {
    let mock = MockSpaps::new();
    let req = ObservedRequest::from_parts(
        "POST",
        "/api/auth/login",
        [("x-api-key", "k")],
        json!({"email": "e@x", "password": DEMO_PASSWORD})
            .to_string()
            .into_bytes(),
    );
    let Reply::Response {
        status, headers, ..
    } = mock.handle(&req)
    else {
        panic!("expected a response");
    };
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "x-request-id" && v == "req_mock_1"));
}

/// Signs `email` in and returns its access token.
fn sign_in(c: &mut RawClient, email: &str) -> String {
    let r = login(c, email, DEMO_PASSWORD);
    assert_eq!(r.status, 200);
    r.json()["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn product_ids(r: &RawResponse) -> Vec<String> {
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["data"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn products_filter_page_and_get() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    let at = sign_in(&mut c, DEMO_EMAIL);
    let r = c.request("GET", "/api/stripe/products", &[KEY], None);
    assert_error(&r, 401, "UNAUTHORIZED");

    let r = get(&mut c, "/api/stripe/products", &at);
    assert_eq!(r.json()["data"]["total"], 5);
    assert_eq!(
        product_ids(&r),
        [
            "prod_mock_starter",
            "prod_mock_pro",
            "prod_mock_team",
            "prod_mock_credits",
            "prod_mock_legacy"
        ]
    );
    let pro = r.json()["data"]["products"][1].clone();
    assert_eq!(pro["name"], "Pro");
    assert_eq!(pro["active"], true);
    assert_eq!(pro["metadata"]["category"], "subscriptions");
    assert_eq!(
        pro["prices"][0],
        json!({"id": "price_mock_pro_monthly", "unit_amount": 2000, "currency": "usd",
            "type": "recurring", "recurring": {"interval": "month", "interval_count": 1},
            "nickname": "Monthly", "active": true})
    );
    assert_eq!(pro["prices"][1]["recurring"]["interval"], "year");
    assert_eq!(pro["default_price"]["id"], "price_mock_pro_monthly");
    assert!(OffsetDateTime::parse(pro["created_at"].as_str().unwrap(), &Rfc3339).is_ok());
    let credits = &r.json()["data"]["products"][3]["prices"][0];
    assert_eq!(credits["type"], "one_time");
    assert_eq!(credits["recurring"], Value::Null);

    // Cursor pages of the active products; `total` counts every match.
    let r = get(&mut c, "/api/stripe/products?active=true&limit=2", &at);
    assert_eq!(r.json()["data"]["total"], 4);
    assert_eq!(product_ids(&r), ["prod_mock_starter", "prod_mock_pro"]);
    let path = "/api/stripe/products?active=true&limit=2&starting_after=prod_mock_pro";
    assert_eq!(
        product_ids(&get(&mut c, path, &at)),
        ["prod_mock_team", "prod_mock_credits"]
    );
    let path = "/api/stripe/products?active=true&limit=2&starting_after=prod_mock_credits";
    assert!(product_ids(&get(&mut c, path, &at)).is_empty());

    for (query, expected) in [
        ("active=false", vec!["prod_mock_legacy"]),
        ("mode=payment", vec!["prod_mock_credits"]),
        (
            "mode=subscription&active=true",
            vec!["prod_mock_starter", "prod_mock_pro", "prod_mock_team"],
        ),
        ("category=credits", vec!["prod_mock_credits"]),
        ("category=nope", vec![]),
    ] {
        let r = get(&mut c, &format!("/api/stripe/products?{query}"), &at);
        assert_eq!(product_ids(&r), expected, "{query}");
        assert_eq!(r.json()["data"]["total"], expected.len(), "{query}");
    }
    for query in [
        "active=yes",
        "limit=0",
        "limit=101",
        "limit=ten",
        "starting_after=prod_nope",
        "mode=setup",
    ] {
        let r = get(&mut c, &format!("/api/stripe/products?{query}"), &at);
        assert_error(&r, 400, "VALIDATION_ERROR");
    }

    let r = get(&mut c, "/api/stripe/products/prod_mock_pro", &at);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["id"], "prod_mock_pro");
    assert_eq!(r.json()["data"]["prices"].as_array().unwrap().len(), 2);
    let r = get(
        &mut c,
        "/api/stripe/products/prod_mock_pro?include_prices=false",
        &at,
    );
    assert_eq!(r.json()["data"]["prices"], json!([]));
    assert_eq!(r.json()["data"]["default_price"]["unit_amount"], 2000);
    let r = get(&mut c, "/api/stripe/products/prod%5Fmock%5Fteam", &at);
    assert_eq!(r.json()["data"]["name"], "Team");
    let r = get(&mut c, "/api/stripe/products/prod_nope", &at);
    assert_error(&r, 404, "PRODUCT_NOT_FOUND");
    let r = get(&mut c, "/api/stripe/products/prod_mock_pro/prices", &at);
    assert_error(&r, 404, "NOT_FOUND");
    let r = get(
        &mut c,
        "/api/stripe/products/prod_mock_pro?include_prices=0",
        &at,
    );
    assert_error(&r, 400, "VALIDATION_ERROR");
    let r = c.request("GET", "/api/stripe/products/prod_mock_pro", &[KEY], None);
    assert_error(&r, 401, "UNAUTHORIZED");
}

#[test]
fn checkout_sessions_sell_active_prices_in_their_mode() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    let at = sign_in(&mut c, DEMO_EMAIL);
    let checkout = |c: &mut RawClient, price: &str, mode: &str| {
        let body = json!({"price_id": price, "mode": mode,
            "success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/no",
            "metadata": {"order": "42"}});
        post(
            c,
            "/api/payments/create-checkout-session",
            &at,
            Some(&body.to_string()),
        )
    };

    let r = checkout(&mut c, "price_mock_pro_monthly", "subscription");
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let data = r.json()["data"].clone();
    assert_eq!(data["session_id"], "cs_mock_1");
    assert_eq!(
        data["checkout_url"],
        "https://checkout.example.com/pay/cs_mock_1"
    );
    let expires = OffsetDateTime::parse(data["expires_at"].as_str().unwrap(), &Rfc3339);
    assert!(expires.unwrap() > OffsetDateTime::now_utc());
    let r = checkout(&mut c, "price_mock_credits_1k", "payment");
    assert_eq!(r.json()["data"]["session_id"], "cs_mock_2");
    assert_eq!(
        checkout(&mut c, "price_mock_pro_yearly", "setup").status,
        200
    );

    assert_error(
        &checkout(&mut c, "price_nope", "subscription"),
        404,
        "PRICE_NOT_FOUND",
    );
    assert_error(
        &checkout(&mut c, "price_mock_legacy_monthly", "subscription"),
        400,
        "PRICE_INACTIVE",
    );
    for (price, mode) in [
        ("price_mock_credits_1k", "subscription"),
        ("price_mock_pro_monthly", "payment"),
        ("price_mock_pro_monthly", "gift"),
        ("", "subscription"),
    ] {
        assert_error(&checkout(&mut c, price, mode), 400, "VALIDATION_ERROR");
    }
    for body in [
        json!({"price_id": "price_mock_pro_monthly", "mode": "subscription",
            "success_url": "https://a/ok"}),
        json!({"price_id": "price_mock_pro_monthly", "mode": "subscription",
            "success_url": "javascript:alert(1)", "cancel_url": "https://a/no"}),
        json!({"price_id": "price_mock_pro_monthly", "mode": "subscription",
            "success_url": "https://a/ok", "cancel_url": "https://a/no", "metadata": []}),
        json!([]),
    ] {
        let r = post(
            &mut c,
            "/api/payments/create-checkout-session",
            &at,
            Some(&body.to_string()),
        );
        assert_error(&r, 400, "VALIDATION_ERROR");
    }
    let r = c.request(
        "POST",
        "/api/payments/create-checkout-session",
        &[KEY],
        Some("{}"),
    );
    assert_error(&r, 401, "UNAUTHORIZED");
}

fn record(c: &mut RawClient, token: &str, key: Option<&str>, body: &Value) -> RawResponse {
    let auth = format!("Bearer {token}");
    let mut headers = vec![KEY, ("Authorization", auth.as_str())];
    if let Some(key) = key {
        headers.push(("X-Idempotency-Key", key));
    }
    c.request(
        "POST",
        "/api/usage/record",
        &headers,
        Some(&body.to_string()),
    )
}

fn feature_used(c: &mut RawClient, token: &str, name: &str) -> Value {
    let r = get(c, "/api/usage/features", token);
    assert_eq!(r.status, 200);
    r.json()["data"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()["used"]
        .clone()
}

#[test]
fn usage_is_counted_once_per_idempotency_key() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    let ada = sign_in(&mut c, DEMO_EMAIL);
    let bob = sign_in(&mut c, "bob@example.com");
    let five = json!({"feature": "api_calls", "quantity": 5, "metadata": {"job": "j1"}});

    let first = record(&mut c, &ada, Some("job-1"), &five);
    assert_eq!(
        first.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&first.body)
    );
    let data = first.json()["data"].clone();
    assert_eq!(data["record_id"], "usage_mock_1");
    assert_eq!(data["feature"], "api_calls");
    assert_eq!(data["quantity"], 5);
    assert_eq!(
        data["current_usage"],
        json!({"used": 5, "limit": 10000, "remaining": 9995})
    );
    assert_eq!(data["warning"], Value::Null);
    assert!(OffsetDateTime::parse(data["recorded_at"].as_str().unwrap(), &Rfc3339).is_ok());

    // The same key and body: the first answer again, counted once.
    let again = record(&mut c, &ada, Some("job-1"), &five);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["data"], data);
    assert_eq!(feature_used(&mut c, &ada, "api_calls"), 5);

    // The same key with another body is refused; keys belong to one user.
    let six = json!({"feature": "api_calls", "quantity": 6});
    assert_error(
        &record(&mut c, &ada, Some("job-1"), &six),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    );
    let r = record(&mut c, &bob, Some("job-1"), &six);
    assert_eq!(r.json()["data"]["record_id"], "usage_mock_2");
    assert_eq!(feature_used(&mut c, &bob, "api_calls"), 6);

    // Without a key (or with a blank one) every record counts.
    let r = record(&mut c, &ada, None, &five);
    assert_eq!(r.json()["data"]["record_id"], "usage_mock_3");
    let r = record(&mut c, &ada, Some(" "), &five);
    assert_eq!(r.json()["data"]["record_id"], "usage_mock_4");
    assert_eq!(feature_used(&mut c, &ada, "api_calls"), 15);

    // A given timestamp is kept; nearing the limit warns.
    let stamp = rfc3339(super::now_utc());
    let big = json!({"feature": "api_calls", "quantity": 8000.5,
        "timestamp": stamp});
    let r = record(&mut c, &ada, Some("job-2"), &big);
    let data = r.json()["data"].clone();
    assert_eq!(data["recorded_at"], stamp.as_str());
    assert_eq!(data["quantity"], 8000.5);
    assert_eq!(data["current_usage"]["used"], 8015.5);
    assert_eq!(data["warning"], "api_calls is at 80% of its monthly limit");
    let r = record(
        &mut c,
        &ada,
        None,
        &json!({"feature": "api_calls", "quantity": 5000}),
    );
    assert_eq!(r.json()["data"]["current_usage"]["remaining"], 0);
    assert_eq!(
        r.json()["data"]["warning"],
        "api_calls is over its monthly limit"
    );
    let r = record(
        &mut c,
        &ada,
        None,
        &json!({"feature": "storage_gb", "quantity": 2.5}),
    );
    assert_eq!(
        r.json()["data"]["current_usage"],
        json!({"used": 2.5, "limit": null, "remaining": null})
    );

    for body in [
        json!({"feature": "teleports", "quantity": 1}),
        json!({"feature": "", "quantity": 1}),
        json!({"quantity": 1}),
        json!({"feature": "api_calls", "quantity": 0}),
        json!({"feature": "api_calls", "quantity": -1}),
        json!({"feature": "api_calls", "quantity": "1"}),
        json!({"feature": "api_calls", "quantity": 1, "timestamp": "yesterday"}),
        json!({"feature": "api_calls", "quantity": 1, "metadata": "x"}),
    ] {
        assert_error(&record(&mut c, &ada, None, &body), 400, "VALIDATION_ERROR");
    }
    let r = c.request("POST", "/api/usage/record", &[KEY], Some(&five.to_string()));
    assert_error(&r, 401, "UNAUTHORIZED");
}

#[test]
fn usage_features_cover_the_month() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());
    let ada = sign_in(&mut c, DEMO_EMAIL);
    let bob = sign_in(&mut c, "bob@example.com");
    let r = get(&mut c, "/api/usage/features", &ada);
    assert_eq!(r.status, 200);
    let data = r.json()["data"].clone();
    assert_eq!(data["user_id"], "user_1");
    assert_eq!(data["tier"], "pro");
    assert_eq!(data["overage"], json!({"enabled": false}));
    let start = OffsetDateTime::parse(data["period"]["start"].as_str().unwrap(), &Rfc3339).unwrap();
    let end = OffsetDateTime::parse(data["period"]["end"].as_str().unwrap(), &Rfc3339).unwrap();
    let today = OffsetDateTime::now_utc();
    assert_eq!(start.day(), 1);
    assert!(start <= today && today <= end);
    assert_eq!((end + TimeDuration::seconds(1)).day(), 1);
    assert_eq!(
        data["features"],
        json!([
            {"name": "api_calls", "description": "API requests", "used": 0,
             "limit": 10000, "percentage": 0, "reset_at": rfc3339(end + TimeDuration::seconds(1))},
            {"name": "storage_gb", "description": "Stored data, in GB", "used": 0,
             "limit": null, "percentage": null, "reset_at": null},
        ])
    );
    record(
        &mut c,
        &ada,
        None,
        &json!({"feature": "api_calls", "quantity": 1523}),
    );
    let r = get(&mut c, "/api/usage/features", &ada);
    assert_eq!(r.json()["data"]["features"][0]["percentage"], 15.23);
    let r = get(&mut c, "/api/usage/features", &bob);
    assert_eq!(r.json()["data"]["tier"], "free");
    assert_eq!(r.json()["data"]["features"][0]["used"], 0);
    let r = c.request("GET", "/api/usage/features", &[KEY], None);
    assert_error(&r, 401, "UNAUTHORIZED");
}

fn entitlement_keys(r: &RawResponse) -> Vec<String> {
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let data = r.json()["data"].clone();
    let list = data["entitlements"].as_array().unwrap();
    assert_eq!(data["count"], list.len());
    list.iter()
        .map(|e| e["entitlement_key"].as_str().unwrap().to_owned())
        .collect()
}

/// A GET with the API key only.
fn read(c: &mut RawClient, path: &str) -> RawResponse {
    c.request("GET", path, &[KEY], None)
}

#[test]
fn entitlements_are_read_with_the_api_key() {
    let server = start().unwrap();
    let mut c = RawClient::connect(server.addr());

    // Held by the demo account, found by email too.
    let r = read(&mut c, "/api/entitlements?email=Ada@Example.com");
    assert_eq!(entitlement_keys(&r), ["pro_plan", "team_seat"]);
    assert_eq!(
        r.json()["data"]["entitlements"][0]["beneficiary_user_id"],
        "user_1"
    );
    let r = read(
        &mut c,
        "/api/entitlements/check?user_id=user_2&key=pro_plan",
    );
    assert_eq!(r.json()["data"]["has_entitlement"], false);

    let _ = sign_in(&mut c, "bob@example.com");
    let _ = sign_in(&mut c, DEMO_EMAIL);
    let check = |c: &mut RawClient, query: &str| {
        let r = read(c, &format!("/api/entitlements/check?{query}"));
        assert_eq!(r.status, 200, "{query}");
        r.json()["data"].clone()
    };
    assert_eq!(
        check(&mut c, "user_id=user_1&key=pro_plan"),
        json!({"has_entitlement": true, "user_id": "user_1", "entitlement_key": "pro_plan"})
    );
    for (query, has) in [
        ("user_id=user_2&key=pro_plan", false),
        ("user_id=user_1&key=beta_access", false),
        ("user_id=user_1&key=early_adopter", false),
        ("user_id=user_1&key=nope", false),
        ("user_id=user_1&key=team_seat", true),
        (
            "user_id=user_1&key=team_seat&resource_type=org&resource_id=org_mock_1",
            true,
        ),
        (
            "user_id=user_1&key=team_seat&resource_type=org&resource_id=org_other",
            false,
        ),
        ("user_id=user_1&key=pro_plan&resource_type=org", false),
    ] {
        assert_eq!(check(&mut c, query)["has_entitlement"], has, "{query}");
    }
    for query in ["user_id=user_1", "key=pro_plan", "user_id=&key=pro_plan"] {
        let r = read(&mut c, &format!("/api/entitlements/check?{query}"));
        assert_error(&r, 400, "VALIDATION_ERROR");
    }

    let r = read(&mut c, "/api/entitlements?user_id=user_1");
    assert_eq!(entitlement_keys(&r), ["pro_plan", "team_seat"]);
    let pro = r.json()["data"]["entitlements"][0].clone();
    assert_eq!(pro["beneficiary_user_id"], "user_1");
    assert_eq!(pro["beneficiary_email"], DEMO_EMAIL);
    assert_eq!(pro["source"], "stripe_subscription");
    assert_eq!(pro["stripe_subscription_id"], "sub_mock_1");
    assert_eq!(pro["application_id"], APPLICATION_ID);
    for key in ["starts_at", "ends_at", "created_at"] {
        let text = pro[key].as_str().unwrap();
        assert!(OffsetDateTime::parse(text, &Rfc3339).is_ok(), "{key}");
    }
    for (query, expected) in [
        (
            "user_id=user_1&include_expired=true&include_revoked=true",
            vec!["pro_plan", "team_seat", "beta_access", "early_adopter"],
        ),
        (
            "user_id=user_1&include_expired=true",
            vec!["pro_plan", "team_seat", "beta_access"],
        ),
        (
            "user_id=user_1&include_revoked=true&include_expired=false",
            vec!["pro_plan", "team_seat", "early_adopter"],
        ),
        (
            "user_id=user_1&entitlement_key=team_seat",
            vec!["team_seat"],
        ),
        ("user_id=user_1&resource_type=org", vec!["team_seat"]),
        ("user_id=user_1&limit=1", vec!["pro_plan"]),
        ("user_id=user_2", vec![]),
        ("user_id=user_99", vec![]),
        ("user_id=user_1&email=bob@example.com", vec![]),
        ("email=bob@example.com", vec![]),
    ] {
        let r = read(&mut c, &format!("/api/entitlements?{query}"));
        assert_eq!(entitlement_keys(&r), expected, "{query}");
    }
    let r = read(
        &mut c,
        "/api/entitlements?user_id=user_1&include_revoked=true&include_expired=true",
    );
    let revoked = r.json()["data"]["entitlements"][3].clone();
    assert_eq!(revoked["revoked_reason"], "Programme ended");
    assert!(revoked["revoked_at"].is_string());
    for query in ["", "entitlement_key=pro_plan", "user_id=user_1&limit=0"] {
        let r = read(&mut c, &format!("/api/entitlements?{query}"));
        assert_error(&r, 400, "VALIDATION_ERROR");
    }
    let r = c.request("GET", "/api/entitlements?user_id=user_1", &[], None);
    assert_error(&r, 401, "INVALID_API_KEY");
}

/// A request to `mock`, without a socket: status and JSON body.
fn call(mock: &MockSpaps, method: &str, target: &str, body: &Value) -> (u16, Value) {
    let req = ObservedRequest::from_parts(
        method,
        target,
        [("x-api-key", "k"), ("content-type", "application/json")],
        body.to_string().into_bytes(),
    );
    match mock.handle(&req) {
        Reply::Response { status, body, .. } => (status, serde_json::from_slice(&body).unwrap()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn device_login_is_approved_after_pending_polls() {
    let mock = MockSpaps::new().with_device_poll_interval(0);
    let (status, body) = call(&mock, "POST", "/api/cli/device/authorize", &json!({}));
    assert_eq!(status, 200);
    let auth = body["data"].clone();
    assert_eq!(auth["device_code"], "devc_mock_1");
    let user_code = auth["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code
        .chars()
        .all(|ch| ch == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(ch)));
    assert_eq!(auth["verification_uri"], DEVICE_VERIFICATION_URI);
    assert_eq!(
        auth["verification_uri_complete"],
        format!("{DEVICE_VERIFICATION_URI}?user_code={user_code}")
    );
    assert_eq!(auth["expires_in"], DEVICE_CODE_TTL_S);
    assert_eq!(auth["interval"], 0);
    let (_, second) = call(
        &mock,
        "POST",
        "/api/cli/device/authorize",
        &json!({"scope": "read write"}),
    );
    assert_ne!(second["data"]["user_code"], auth["user_code"]);

    let poll = json!({"device_code": "devc_mock_1"});
    for _ in 0..DEVICE_PENDING_POLLS {
        let (status, body) = call(&mock, "POST", "/api/cli/device/token", &poll);
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], "authorization_pending");
        assert_eq!(body["success"], false);
    }
    let (status, body) = call(&mock, "POST", "/api/cli/device/token", &poll);
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"access_token": "at_1", "refresh_token": "rt_1", "expires_in": 3600,
            "token_type": "Bearer"})
    );
    // The tokens are a session of DEMO_EMAIL; the code is spent.
    let req = ObservedRequest::from_parts(
        "GET",
        "/api/auth/user",
        [("x-api-key", "k"), ("authorization", "Bearer at_1")],
        Vec::new(),
    );
    let Reply::Response { body, .. } = mock.handle(&req) else {
        panic!("expected a response");
    };
    let user: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(user["data"]["user"]["email"], DEMO_EMAIL);
    let (status, body) = call(&mock, "POST", "/api/cli/device/token", &poll);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("invalid_grant"))
    );
}

#[test]
fn device_polls_too_fast_slow_down_and_codes_expire() {
    let mock = MockSpaps::new();
    let (_, body) = call(&mock, "POST", "/api/cli/device/authorize", &json!({}));
    assert_eq!(body["data"]["interval"], 1);
    let poll = json!({"device_code": "devc_mock_1"});
    let code = |(status, body): (u16, Value)| (status, body["error"]["code"].clone());
    assert_eq!(
        code(call(&mock, "POST", "/api/cli/device/token", &poll)),
        (400, json!("authorization_pending"))
    );
    assert_eq!(
        code(call(&mock, "POST", "/api/cli/device/token", &poll)),
        (400, json!("slow_down"))
    );
    // An expired code is refused, then forgotten.
    mock.advance_clock(std::time::Duration::from_secs(DEVICE_CODE_TTL_S));
    assert_eq!(
        code(call(&mock, "POST", "/api/cli/device/token", &poll)),
        (400, json!("expired_token"))
    );
    assert_eq!(
        code(call(&mock, "POST", "/api/cli/device/token", &poll)),
        (400, json!("invalid_grant"))
    );
    for body in [json!({}), json!({"device_code": ""}), json!([1])] {
        assert_eq!(
            code(call(&mock, "POST", "/api/cli/device/token", &body)),
            (400, json!("invalid_request"))
        );
    }
    assert_eq!(
        code(call(
            &mock,
            "POST",
            "/api/cli/device/authorize",
            &json!({"scope": 7})
        )),
        (400, json!("invalid_request"))
    );
    let req = ObservedRequest::from_parts(
        "POST",
        "/api/cli/device/authorize",
        [("content-type", "application/json")],
        b"{}".to_vec(),
    );
    let Reply::Response { status, .. } = mock.handle(&req) else {
        panic!("expected a response");
    };
    assert_eq!(status, 401);
}

/// The new routes through the SDK's blocking client: every model decodes.
#[test]
fn the_sdk_reads_the_catalog_usage_entitlements_and_device_routes() {
    let server = serve(MockSpaps::new().with_device_poll_interval(0)).unwrap();
    let client = spaps_blocking::Client::builder()
        .base_url(&server.url())
        .api_key("spaps_test_key")
        .build()
        .unwrap();
    let shown = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&shown);
    let tokens = client
        .device_flow()
        .login(None, move |auth| {
            *seen.lock().unwrap() = Some(auth.user_code.clone());
        })
        .send()
        .unwrap();
    assert!(shown.lock().unwrap().is_some());
    assert_eq!(tokens.expires_in, Some(3600));
    let user = client.auth().get_current_user().send().unwrap();
    assert_eq!(user.email.as_deref(), Some(DEMO_EMAIL));

    let products: Vec<_> = client
        .payments()
        .list_products()
        .active(true)
        .limit(3u32)
        .pages()
        .items()
        .collect::<Result<_, _>>()
        .unwrap();
    let ids: Vec<_> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "prod_mock_starter",
            "prod_mock_pro",
            "prod_mock_team",
            "prod_mock_credits"
        ]
    );
    let pro = client
        .payments()
        .get_product("prod_mock_pro")
        .send()
        .unwrap();
    assert_eq!(pro.prices[1].unit_amount, Some(20000));
    let session = client
        .payments()
        .create_checkout_session(
            "price_mock_pro_yearly",
            "subscription",
            "https://app.example.com/ok",
            "https://app.example.com/no",
        )
        .send()
        .unwrap();
    assert!(session.checkout_url.ends_with(&session.session_id));

    let record = || {
        client
            .usage()
            .record_usage("api_calls", 7.0)
            .idempotency_key("sdk-1")
            .send()
            .unwrap()
    };
    let (first, again) = (record(), record());
    assert_eq!(first.record_id, again.record_id);
    let features = client.usage().get_features().send().unwrap();
    assert_eq!(features.features[0].used, Some(7.0));
    assert_eq!(features.tier.as_deref(), Some("pro"));

    let user_id = user.id;
    let check = client
        .entitlements()
        .check_access(user_id.as_str(), "pro_plan")
        .send()
        .unwrap();
    assert!(check.has_entitlement);
    let all = client
        .entitlements()
        .get_user_entitlements()
        .user_id(user_id.as_str())
        .include_expired(true)
        .include_revoked(true)
        .send()
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(all[3].revoked_at.is_some());
}
