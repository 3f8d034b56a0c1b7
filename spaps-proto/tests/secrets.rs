//! No secret value ever shows in `Debug` or `Display` output.

use std::time::Instant;

use bytes::Bytes;
use spaps_proto::api::auth::{
    ConfirmPasswordReset, RefreshTokens, Register, SetPassword, SignInWithPassword, VerifyMagicLink,
};
use spaps_proto::api::crypto::Reconcile;
use spaps_proto::api::device_flow::RequestDeviceToken;
use spaps_proto::model::auth::{SessionTokens, TokenPair};
use spaps_proto::model::device_flow::{DeviceAuthorization, DeviceTokens};
use spaps_proto::webhook::WebhookVerifier;
use spaps_proto::{
    CallOptions, ClientState, Config, Endpoint, Error, MemoryTokenStore, Now, Output, Secret,
    Timestamp, Tokens,
};

const SECRETS: &[&str] = &[
    "sk_API_KEY_1234567890",
    "AT_ACCESS_abcdef",
    "RT_REFRESH_abcdef",
    "PW_password_hunter2",
    "WH_webhook_secret",
    "DC_device_code",
    "RC_recon_token",
    "ML_magic_link_token",
];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows a secret: {text}");
    }
}

fn check<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_display<T: std::fmt::Display + std::fmt::Debug>(what: &str, value: &T) {
    check(what, value);
    assert_clean(what, &value.to_string());
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap()
}

#[test]
fn no_public_type_shows_a_secret() {
    let config = Config::new("https://h")
        .unwrap()
        .with_api_key("sk_API_KEY_1234567890");
    check("Config", &config);
    check("Secret", &Secret::new("PW_password_hunter2"));
    let tokens = Tokens::new("AT_ACCESS_abcdef").with_refresh_token("RT_REFRESH_abcdef");
    check("Tokens", &tokens);
    // The `Authorization` value built once per token, and what hands it to a call.
    let header = spaps_proto::tokens::bearer_header(&tokens.access_token).unwrap();
    check("bearer header", &header);
    let mut manager = spaps_proto::tokens::TokenManager::new(std::time::Duration::ZERO);
    manager.set(Some(tokens.clone()));
    let acquired = manager.acquire(
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
        Instant::now(),
        true,
    );
    assert!(matches!(
        &acquired,
        spaps_proto::tokens::Acquire::Use {
            header: Some(_),
            ..
        }
    ));
    check("Acquire", &acquired);
    check(
        "MemoryTokenStore",
        &MemoryTokenStore::with_tokens(tokens.clone()),
    );

    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(tokens.clone()));
    check("ClientState", &state);

    check(
        "TokenPair",
        &json::<TokenPair>(
            r#"{"access_token":"AT_ACCESS_abcdef","refresh_token":"RT_REFRESH_abcdef","expires_in":1}"#,
        ),
    );
    check(
        "SessionTokens",
        &json::<SessionTokens>(
            r#"{"access_token":"AT_ACCESS_abcdef","refresh_token":"RT_REFRESH_abcdef","expires_in":1}"#,
        ),
    );
    check(
        "DeviceTokens",
        &json::<DeviceTokens>(
            r#"{"access_token":"AT_ACCESS_abcdef","refresh_token":"RT_REFRESH_abcdef"}"#,
        ),
    );
    check(
        "DeviceAuthorization",
        &json::<DeviceAuthorization>(
            r#"{"device_code":"DC_device_code","user_code":"U","verification_uri":"v","expires_in":1}"#,
        ),
    );
    check(
        "WebhookVerifier",
        &WebhookVerifier::with_secrets(["WH_webhook_secret"]).unwrap(),
    );

    check(
        "SignInWithPassword",
        &SignInWithPassword::new("e", "PW_password_hunter2"),
    );
    check("RefreshTokens", &RefreshTokens::new("RT_REFRESH_abcdef"));
    check(
        "SetPassword",
        &json::<SetPassword>(
            r#"{"new_password":"PW_password_hunter2","current_password":"PW_password_hunter2"}"#,
        ),
    );
    check(
        "ConfirmPasswordReset",
        &json::<ConfirmPasswordReset>(
            r#"{"token":"ML_magic_link_token","new_password":"PW_password_hunter2"}"#,
        ),
    );
    check(
        "Register",
        &json::<Register>(r#"{"email":"e","password":"PW_password_hunter2"}"#),
    );
    check(
        "VerifyMagicLink",
        &json::<VerifyMagicLink>(r#"{"token":"ML_magic_link_token"}"#),
    );
    check(
        "RequestDeviceToken",
        &json::<RequestDeviceToken>(r#"{"device_code":"DC_device_code"}"#),
    );
    check(
        "Reconcile",
        &json::<Reconcile>(r#"{"recon_token":"RC_recon_token"}"#),
    );
    check(
        "CallOptions",
        &CallOptions {
            access_token: Some("AT_ACCESS_abcdef".into()),
            idempotency_key: None,
            call_timeout: None,
        },
    );
}

#[test]
fn requests_calls_and_errors_show_no_secret() {
    let config = Config::new("https://h")
        .unwrap()
        .with_api_key("sk_API_KEY_1234567890");
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(
        Tokens::new("AT_ACCESS_abcdef")
            .with_refresh_token("RT_REFRESH_abcdef")
            .with_expires_at(Timestamp::UNIX_EPOCH),
    ));
    let now = Now::new(
        Instant::now(),
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
    );

    // A call that must refresh first: the refresh request carries the refresh token.
    let endpoint = SignInWithPassword::new("e", "PW_password_hunter2");
    let mut call = state.call(endpoint, CallOptions::default());
    check("Call", &call);
    let out = call.poll(now, &mut state);
    check("Output::Send", &out);
    let Output::Send(request) = out else { panic!() };
    check("request headers", request.headers());
    call.handle_response(
        now,
        &mut state,
        http::Response::new(Bytes::from_static(b"{}")),
    );
    let Output::Done(Err(error)) = call.poll(now, &mut state) else {
        panic!()
    };
    check_display("decode error", &error);

    let mut call = state.call(
        spaps_proto::api::sessions::GetCurrentSession::new(),
        CallOptions::default(),
    );
    let out = call.poll(now, &mut state);
    check("Output::Send (refresh)", &out);
    let mut failed = http::Response::new(Bytes::from_static(
        br#"{"error":{"code":"BAD","message":"no"}}"#,
    ));
    *failed.status_mut() = http::StatusCode::UNAUTHORIZED;
    call.handle_response(now, &mut state, failed);
    let Output::Done(Err(error)) = call.poll(now, &mut state) else {
        panic!()
    };
    assert!(matches!(error, Error::RefreshFailed(_)));
    check_display("refresh error", &error);

    let bad_header = Config::new("https://h")
        .unwrap()
        .with_api_key("sk_API_KEY_1234567890\n");
    let err = ClientState::new(bad_header, 1)
        .call(SignInWithPassword::new("e", "p"), CallOptions::default())
        .poll(
            now,
            &mut ClientState::new(Config::new("https://h").unwrap(), 1),
        );
    check("invalid api key", &err);
    let spec_err = RefreshTokens::new("").request().unwrap_err();
    check_display("local error", &spec_err);
}

/// Every header that carries a credential leaves the core marked sensitive (so HTTP
/// stacks keep it out of logs and HTTP/2 compression tables, and `Debug` hides it):
/// the API key, the bearer token, and the reconciliation token of `crypto.reconcile`.
#[test]
fn credential_headers_are_marked_sensitive() {
    let config = Config::new("https://h")
        .unwrap()
        .with_api_key("sk_API_KEY_1234567890");
    let mut state = ClientState::new(config, 1);
    state.load_tokens(Some(Tokens::new("AT_ACCESS_abcdef")));
    let now = Now::new(
        Instant::now(),
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
    );
    let mut first_request = |endpoint: Reconcile| {
        let Output::Send(request) = state
            .call(endpoint, CallOptions::default())
            .poll(now, &mut state)
        else {
            panic!("the call sends first");
        };
        request
    };
    let request = first_request(json::<Reconcile>(r#"{"recon_token":"RC_recon_token"}"#));
    for name in ["x-recon-token", "x-api-key", "authorization"] {
        let value = request.headers().get(name).expect(name);
        assert!(value.is_sensitive(), "{name} is not marked sensitive");
    }
    assert_eq!(request.headers()["x-recon-token"], "RC_recon_token");
    check("reconcile request headers", request.headers());
    // Whatever sends them, the credential headers of spec::CREDENTIAL_HEADERS are sensitive.
    for (name, value) in request.headers() {
        if spaps_proto::spec::CREDENTIAL_HEADERS.contains(&name.as_str()) {
            assert!(value.is_sensitive(), "{name}");
        }
    }
    // Without a recon token, no such header.
    let request = first_request(json::<Reconcile>("{}"));
    assert!(request.headers().get("x-recon-token").is_none());
}

/// A call fed a response carrying tokens shows none of them in its `Debug` (it holds
/// the decoded result until it is taken).
#[test]
fn a_call_after_its_response_shows_no_secret() {
    let config = Config::new("https://h").unwrap();
    let mut state = ClientState::new(config, 1);
    let now = Now::new(
        Instant::now(),
        Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
    );
    let mut call = state.call(
        SignInWithPassword::new("e", "PW_password_hunter2"),
        CallOptions::default(),
    );
    let Output::Send(_) = call.poll(now, &mut state) else {
        panic!()
    };
    let body = r#"{"success":true,"data":{"access_token":"AT_ACCESS_abcdef","refresh_token":"RT_REFRESH_abcdef","token_type":"Bearer","expires_in":3600,"user":{"id":"u1","email":"e"}}}"#;
    call.handle_response(now, &mut state, http::Response::new(Bytes::from(body)));
    check("Call after its response", &call);
}
