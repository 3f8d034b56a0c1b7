//! The mock's test controls: the clock, webhooks out, faults, fixtures, the binary; and
//! that it stays up and answers 4xx (never 5xx, never a hang) under bad input and 200
//! concurrent clients.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use spaps_proto::webhook::WebhookVerifier;
use spaps_proto::{Error, Timestamp};
use spaps_testkit::mock_spaps::{Fault, MockSpaps, DEMO_EMAIL, DEMO_PASSWORD};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// A raw call: status and JSON body.
fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let agent = agent();
    let url = format!("{base}{path}");
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match method {
        "GET" | "DELETE" => {
            let mut r = if method == "GET" {
                agent.get(&url)
            } else {
                agent.delete(&url)
            };
            r = r.header("x-api-key", "k");
            if let Some(a) = &auth {
                r = r.header("authorization", a);
            }
            r.call()
        }
        _ => {
            let mut r = match method {
                "PUT" => agent.put(&url),
                "PATCH" => agent.patch(&url),
                _ => agent.post(&url),
            };
            r = r
                .header("x-api-key", "k")
                .header("content-type", "application/json");
            if let Some(a) = &auth {
                r = r.header("authorization", a);
            }
            r.send(body.map(Value::to_string).unwrap_or_default())
        }
    };
    let mut response = response.expect("the mock answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn login(base: &str, email: &str) -> (String, String) {
    let (status, body) = call(
        base,
        "POST",
        "/api/auth/login",
        None,
        Some(&json!({"email": email, "password": DEMO_PASSWORD})),
    );
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    (
        d["access_token"].as_str().unwrap().to_owned(),
        d["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn access_tokens_expire_on_the_mock_clock_and_refresh_tokens_rotate() {
    let spaps = MockSpaps::new().with_access_token_ttl(900).start().unwrap();
    let base = spaps.url();
    let (at, rt) = login(&base, DEMO_EMAIL);
    assert_eq!(call(&base, "GET", "/api/auth/user", Some(&at), None).0, 200);
    spaps.advance_clock(Duration::from_secs(901));
    let (status, body) = call(&base, "GET", "/api/auth/user", Some(&at), None);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("TOKEN_EXPIRED"))
    );
    let (status, body) = call(
        &base,
        "POST",
        "/api/auth/refresh",
        None,
        Some(&json!({"refresh_token": rt})),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"]["expires_in"], 900);
    let at2 = body["data"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&base, "GET", "/api/auth/user", Some(&at2), None).0,
        200
    );
    // The spent refresh token again: rejected, and the family is gone.
    let (status, body) = call(
        &base,
        "POST",
        "/api/auth/refresh",
        None,
        Some(&json!({"refresh_token": rt})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("REFRESH_TOKEN_REUSED"))
    );
    assert_eq!(
        call(&base, "GET", "/api/auth/user", Some(&at2), None).0,
        401
    );
}

#[test]
fn device_codes_expire_on_the_mock_clock() {
    let spaps = MockSpaps::new()
        .with_device_poll_interval(0)
        .start()
        .unwrap();
    let base = spaps.url();
    let (_, auth) = call(
        &base,
        "POST",
        "/api/cli/device/authorize",
        None,
        Some(&json!({})),
    );
    let code = auth["data"]["device_code"].clone();
    spaps.advance_clock(Duration::from_secs(601));
    let (status, body) = call(
        &base,
        "POST",
        "/api/cli/device/token",
        None,
        Some(&json!({"device_code": code})),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("expired_token"))
    );
}

/// A webhook receiver: the requests it got.
fn receiver() -> (MockServer, Arc<Mutex<Vec<ObservedRequest>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let server = MockServer::start(move |req: &ObservedRequest| {
        sink.lock().unwrap().push(req.clone());
        Reply::empty(204)
    })
    .unwrap();
    (server, got)
}

#[test]
fn state_changes_are_delivered_as_signed_webhooks() {
    let (hook, got) = receiver();
    let spaps = MockSpaps::new().start().unwrap();
    spaps.register_webhook(&format!("{}/hooks/spaps", hook.url()), "whsec_test");
    let base = spaps.url();
    let (admin, _) = login(&base, DEMO_EMAIL);
    let ends = spaps.now() + time::Duration::days(1);
    let ends = ends
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, body) = call(
        &base,
        "POST",
        "/api/entitlements/manual",
        Some(&admin),
        Some(&json!({"entitlement_key": "beta", "beneficiary_email": DEMO_EMAIL, "ends_at": ends})),
    );
    assert_eq!(status, 200, "{body}");
    let check = |base: &str| {
        call(
            base,
            "GET",
            "/api/entitlements/check?user_id=user_1&key=beta",
            None,
            None,
        )
        .1
    };
    assert_eq!(check(&base)["data"]["has_entitlement"], true);
    // A day and a bit later it has expired, without sleeping.
    spaps.advance_clock(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(check(&base)["data"]["has_entitlement"], false);
    assert!(spaps.flush_webhooks(Duration::from_secs(10)));

    let got = got.lock().unwrap().clone();
    let verifier = WebhookVerifier::new("whsec_test").unwrap();
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            assert_eq!(r.path, "/hooks/spaps");
            let header = r.header("x-spaps-signature").expect("signed");
            let event = verifier
                .verify(
                    header,
                    &r.body,
                    Timestamp::from_system_time(std::time::SystemTime::now()),
                )
                .expect("the signature verifies");
            event.event_type().to_owned()
        })
        .collect();
    assert_eq!(types, ["entitlement.granted", "entitlement.expired"]);
    assert!(spaps
        .webhook_deliveries()
        .iter()
        .all(|d| d.status == Some(204)));
    let events = spaps.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["data"]["entitlement_key"], "beta");
}

#[test]
fn faults_fail_the_next_requests_of_a_route() {
    let spaps = MockSpaps::new().start().unwrap();
    let base = spaps.url();
    spaps.fail_next("POST /api/auth/login", 2, Fault::Status(503));
    let body = json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD});
    for _ in 0..2 {
        let (status, b) = call(&base, "POST", "/api/auth/login", None, Some(&body));
        assert_eq!(
            (status, b["error"]["code"].as_str()),
            (503, Some("SERVICE_UNAVAILABLE"))
        );
    }
    assert_eq!(
        call(&base, "POST", "/api/auth/login", None, Some(&body)).0,
        200
    );

    spaps.fail_next("/api/usage/*", 1, Fault::Drop);
    let client = spaps_blocking::Client::builder()
        .base_url(&base)
        .api_key("k")
        .build()
        .unwrap();
    client
        .auth()
        .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
        .send()
        .unwrap();
    // A POST is not retried, so the dropped connection reaches the caller.
    let dropped = client.usage().record_usage("api_calls", 1.0).send();
    assert!(
        matches!(dropped, Err(Error::Transport(_))),
        "a dropped connection: {dropped:?}"
    );
    assert!(client.usage().record_usage("api_calls", 1.0).send().is_ok());

    spaps.set_latency(Duration::from_millis(200));
    let started = std::time::Instant::now();
    client.metrics().health().send().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    spaps.set_latency(Duration::ZERO);
    // What the mock received, in order.
    let paths: Vec<String> = spaps.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.first().map(String::as_str), Some("/api/auth/login"));
    assert_eq!(paths.last().map(String::as_str), Some("/health"));
}

#[test]
fn fixtures_load_users_products_and_entitlements() {
    let fixtures = json!({
        "users": [{"email": "grace@example.com", "password": "grace password", "username": "grace"}],
        "products": [{"id": "prod_fx", "name": "Fixture", "category": "fx",
                       "prices": [{"id": "price_fx", "unit_amount": 700, "interval": "month"}]}],
        "entitlements": [{"email": "grace@example.com", "entitlement_key": "fx_plan"}],
    });
    let path =
        std::env::temp_dir().join(format!("spaps-mock-fixtures-{}.json", std::process::id()));
    std::fs::write(&path, fixtures.to_string()).unwrap();
    let spaps = MockSpaps::new()
        .with_fixtures_file(&path)
        .unwrap()
        .start()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let base = spaps.url();
    let (status, body) = call(
        &base,
        "POST",
        "/api/auth/login",
        None,
        Some(&json!({"email": "grace@example.com", "password": "grace password"})),
    );
    assert_eq!(status, 200, "{body}");
    let user = body["data"]["user"]["id"].as_str().unwrap().to_owned();
    let at = body["data"]["access_token"].as_str().unwrap().to_owned();
    let (_, check) = call(
        &base,
        "GET",
        &format!("/api/entitlements/check?user_id={user}&key=fx_plan"),
        None,
        None,
    );
    assert_eq!(check["data"]["has_entitlement"], true);
    let (_, product) = call(
        &base,
        "GET",
        "/api/stripe/products/prod_fx",
        Some(&at),
        None,
    );
    assert_eq!(product["data"]["prices"][0]["unit_amount"], 700);
    // Bad fixtures are refused with the entry named.
    let err = MockSpaps::new()
        .with_fixtures(&json!({"users": [{"email": "nope"}]}))
        .unwrap_err();
    assert!(err.to_string().contains("users[0]"), "{err}");
}

/// Bodies and paths that are wrong in every way the mock should survive.
#[test]
fn bad_input_is_a_4xx_never_a_5xx() {
    let spaps = MockSpaps::new().start().unwrap();
    let base = spaps.url();
    let (admin, _) = login(&base, DEMO_EMAIL);
    let bodies = [
        "not json",
        "[]",
        "null",
        "{\"email\": 7, \"amount\": \"x\", \"limit\": -1, \"line_items\": {}}",
        "{\"user_ids\": [1, 2], \"quantity\": 1e400}",
        "{}",
    ];
    let paths = [
        "/api/auth/login",
        "/api/auth/register",
        "/api/auth/refresh",
        "/api/auth/nonce",
        "/api/auth/wallet-sign-in",
        "/api/auth/magic-link",
        "/api/auth/verify-magic-link",
        "/api/auth/password-reset",
        "/api/auth/reset-password-confirm",
        "/api/auth/set-password",
        "/api/sessions/validate",
        "/api/sessions/touch",
        "/api/payments/create-checkout-session",
        "/api/payments/create-payment-intent",
        "/api/payments/update-payment-method",
        "/api/payments/wallet-deposit",
        "/api/stripe/checkout-sessions",
        "/api/stripe/guest-checkout-sessions",
        "/api/stripe/guest-checkout-sessions/convert",
        "/api/stripe/products",
        "/api/stripe/prices",
        "/api/stripe/products/prod_mock_pro/default-price",
        "/api/stripe/products/prod_mock_pro/prices/default-new",
        "/api/stripe/subscription/sub_mock_1/cancel",
        "/api/stripe/subscription/sub_mock_1/update",
        "/api/payments/crypto/invoices",
        "/api/payments/crypto/reconcile",
        "/api/usage/record",
        "/api/v1/whitelist",
        "/api/secure-messages",
        "/api/v1/issue-reports",
        "/api/v1/support-telemetry/events",
        "/api/entitlements/claim",
        "/api/entitlements/manual",
        "/api/email/send",
        "/api/email/templates",
        "/api/email/templates/welcome/preview",
        "/api/users/emails",
        "/api/users/batch",
        "/api/dayrate/book",
        "/api/dayrate/cancel",
        "/api/cli/device/authorize",
        "/api/cli/device/token",
    ];
    let agent = agent();
    for path in paths {
        for body in bodies {
            for token in [None, Some(admin.as_str())] {
                let mut r = agent
                    .post(&format!("{base}{path}"))
                    .header("x-api-key", "k")
                    .header("content-type", "application/json");
                if let Some(t) = token {
                    r = r.header("authorization", &format!("Bearer {t}"));
                }
                let response = r.send(body).expect("the mock answers");
                let status = response.status().as_u16();
                assert!((200..500).contains(&status), "POST {path} {body}: {status}");
            }
        }
    }
    for query in [
        "/api/sessions?limit=abc",
        "/api/stripe/products?limit=0",
        "/api/stripe/history?starting_after=zzz",
        "/api/entitlements/changes?since=yesterday",
        "/api/usage/history?start_date=2025-13-01",
        "/api/v1/whitelist?offset=-3",
        "/api/dayrate/admin/bookings?isFree=maybe",
        "/api/stripe/products/%FF%FE",
        "/api/v1/issue-reports/..%2F..%2Fetc",
    ] {
        let (status, _) = call(&base, "GET", query, Some(&admin), None);
        assert!((400..500).contains(&status), "GET {query}: {status}");
    }
    assert_eq!(call(&base, "GET", "/health", None, None).0, 200);
}

#[test]
fn two_hundred_concurrent_clients() {
    let spaps = Arc::new(MockSpaps::new().start().unwrap());
    let base = spaps.url();
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || -> Result<(), Error> {
                let client = spaps_blocking::Client::builder()
                    .base_url(&base)
                    .api_key("k")
                    .build()?;
                let email = format!("user{i}@example.com");
                client
                    .auth()
                    .sign_in_with_password(email.as_str(), DEMO_PASSWORD)
                    .send()?;
                client.sessions().get_current_session().send()?;
                client
                    .usage()
                    .record_usage("api_calls", 1.0)
                    .idempotency_key(format!("k{i}"))
                    .send()?;
                client.payments().list_products().send()?;
                client.auth().logout().send()?;
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic").expect("every call succeeds");
    }
    let (_, metrics) = call(&base, "GET", "/api/metrics/json", None, None);
    assert_eq!(metrics["requests"]["total"], 1000);
    assert_eq!(metrics["users"], 201);
}

#[test]
fn the_binary_prints_its_url_first_and_serves_fixtures() {
    let fixtures = std::env::temp_dir().join(format!("spaps-mock-bin-{}.json", std::process::id()));
    std::fs::write(
        &fixtures,
        json!({"users": [{"email": "bin@example.com"}]}).to_string(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spaps-mock"))
        .args(["30", "--addr", "127.0.0.1:0", "--fixtures"])
        .arg(&fixtures)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (status, body) = call(
        &url,
        "POST",
        "/api/users/emails",
        None,
        Some(&json!({"user_ids": ["user_2"]})),
    );
    assert_eq!(status, 200);
    assert_eq!(body["data"]["emails"]["user_2"], "bin@example.com");
    let (status, _) = call(
        &url,
        "POST",
        "/__mock/clock/advance",
        None,
        Some(&json!({"seconds": 60})),
    );
    assert_eq!(status, 200);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&fixtures);
}
