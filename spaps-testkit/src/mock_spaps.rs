//! An embedded, stateful fake of the SPAPS API, small enough to read, for the README
//! quickstart and the examples. It follows the wire contract's paths, credentials and
//! envelopes; what it serves:
//!
//! | route | needs | behaviour |
//! | --- | --- | --- |
//! | `POST /api/auth/login` | key | any email signs in with [`DEMO_PASSWORD`] and opens a session |
//! | `POST /api/auth/refresh` | key | rotates both tokens |
//! | `GET /api/auth/user`, `POST /api/auth/logout` | key + bearer | the user; ends the session |
//! | `GET /api/sessions/current`, `GET /api/sessions` | key + bearer | the session; the user's sessions |
//! | `POST /api/sessions/validate`, `POST /api/sessions/touch` | key + bearer | |
//! | `DELETE /api/sessions/{id}` | key + bearer | revokes one of the user's sessions |
//! | `GET /api/stripe/products` | key + bearer | the [catalog](#catalog); `active`, `category`, `mode` filters; cursor pages (`limit`, default 10, at most 100; `starting_after`) with `total` |
//! | `GET /api/stripe/products/{id}` | key + bearer | one product, with its prices unless `include_prices=false`; else `404 PRODUCT_NOT_FOUND` |
//! | `POST /api/payments/create-checkout-session` | key + bearer | a checkout session for an active price whose kind fits `mode` (`subscription`: recurring, `payment`: one-time); else `404 PRICE_NOT_FOUND`, `400 PRICE_INACTIVE` or `400 VALIDATION_ERROR` |
//! | `POST /api/usage/record` | key + bearer | meters `api_calls` (10 000 a month) and `storage_gb` (unlimited), see [idempotency](#idempotency) |
//! | `GET /api/usage/features` | key + bearer | the user's usage of the calendar month (UTC) |
//! | `GET /api/entitlements/check` | key | `user_id` and `key` (plus `resource_type`/`resource_id`) against the [entitlements](#entitlements) |
//! | `GET /api/entitlements` | key | by `user_id` or `email`; `entitlement_key`, `include_expired`, `include_revoked`, `limit`, `resource_type`, `resource_id` |
//! | `POST /api/cli/device/authorize`, `POST /api/cli/device/token` | key | [device-code login](#device-code-login) |
//!
//! Every request needs a non-empty `X-API-Key` header (else `401 INVALID_API_KEY`); the
//! "key + bearer" routes need `Authorization: Bearer <access token>` with a token that is
//! still valid (else `401 UNAUTHORIZED`). Successes use the SPAPS envelope
//! `{"success": true, "data": ..., "metadata": {"request_id": ...}}`, errors
//! `{"success": false, "error": {"code", "message"}, "metadata": {...}}`, and every reply
//! carries an `x-request-id` header. Bad input is `400 VALIDATION_ERROR` (`400
//! invalid_request` in the device flow); unknown routes get `404 NOT_FOUND`.
//!
//! Any email signs in with [`DEMO_PASSWORD`]; users are numbered `user_1`, `user_2`, ... in
//! the order they first sign in, and tokens `at_1`/`rt_1`, `at_2`/`rt_2`, ... in the order
//! they are issued.
//!
//! # Catalog
//!
//! | product | category | prices |
//! | --- | --- | --- |
//! | `prod_mock_starter` Starter | `subscriptions` | `price_mock_starter_monthly` 9.00 USD a month |
//! | `prod_mock_pro` Pro | `subscriptions` | `price_mock_pro_monthly` 20.00 USD a month, `price_mock_pro_yearly` 200.00 USD a year |
//! | `prod_mock_team` Team | `subscriptions` | `price_mock_team_monthly` 50.00 USD a month |
//! | `prod_mock_credits` 1,000 API credits | `credits` | `price_mock_credits_1k` 10.00 USD once |
//! | `prod_mock_legacy` Legacy (inactive) | `subscriptions` | `price_mock_legacy_monthly` 5.00 USD a month (inactive) |
//!
//! # Idempotency
//!
//! `POST /api/usage/record` remembers each `X-Idempotency-Key` per user: the same key with
//! the same body replays the first answer (same `record_id`, the quantity counted once),
//! the same key with another body is `409 IDEMPOTENCY_KEY_REUSED`.
//!
//! # Entitlements
//!
//! [`DEMO_EMAIL`] holds `pro_plan` (active, from a Stripe subscription), `team_seat`
//! (active, scoped to resource `org`/`org_mock_1`), `beta_access` (expired) and
//! `early_adopter` (revoked). They are held by email, so they belong to whichever user id
//! that email signs in as; until then `beneficiary_user_id` is null. `resource_type` and
//! `resource_id` narrow a check or a list to entitlements scoped to that resource; without
//! them, scoped entitlements count too.
//!
//! # Device-code login
//!
//! `authorize` issues a device code valid for [`DEVICE_CODE_TTL_S`] seconds, with an `interval` of
//! 1 s (see [`MockSpaps::with_device_poll_interval`]). The token endpoint answers
//! `400 authorization_pending` [`DEVICE_PENDING_POLLS`] times, then approves the login as
//! [`DEMO_EMAIL`]: it opens a session and returns its tokens, once (the code is then
//! spent: `400 invalid_grant`). A poll sooner than `interval` after the previous one gets
//! `400 slow_down` (RFC 8628 §3.5); an expired code `400 expired_token`. Error codes are in
//! the envelope's `error.code`.
//!
//! ```no_run
//! let server = spaps_testkit::mock_spaps::start()?;
//! println!("mock SPAPS at {}", server.url());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::matching::ObservedRequest;
use crate::server::{MockServer, Reply};

mod catalog;
mod device;
mod entitlements;
mod usage;

/// The password that signs any email in.
pub const DEMO_PASSWORD: &str = "correct horse battery staple";
/// The email that holds the seeded entitlements and that device-code logins sign in as.
pub const DEMO_EMAIL: &str = "ada@example.com";
/// The `application_id` of every session.
pub const APPLICATION_ID: &str = "app_mock_spaps";
/// Lifetime of access tokens, in seconds (`expires_in` of login and refresh).
pub const ACCESS_TOKEN_TTL_S: i64 = 3600;
/// Lifetime of sessions, in seconds.
pub const SESSION_TTL_S: i64 = 7 * 24 * 3600;
/// Lifetime of device codes, in seconds (`expires_in` of `/api/cli/device/authorize`).
pub const DEVICE_CODE_TTL_S: u64 = 600;
/// How many polls of a device code are answered `authorization_pending` before it is
/// approved.
pub const DEVICE_PENDING_POLLS: u32 = 2;
/// Where device-code logins send the user (`verification_uri`).
pub const DEVICE_VERIFICATION_URI: &str = "https://spaps.example.com/device";

/// Starts the mock SPAPS on a loopback port; point a client's base URL at
/// [`MockServer::url`].
pub fn start() -> io::Result<MockServer> {
    serve(MockSpaps::new())
}

/// Serves `mock` on a loopback port, like [`start`] (for a mock configured first).
pub fn serve(mock: MockSpaps) -> io::Result<MockServer> {
    let mock = Arc::new(mock);
    MockServer::start(move |req: &ObservedRequest| mock.handle(req))
}

/// The mock's state and request handler, usable without a socket (e.g. by a sans-IO
/// transport in tests). [`start`] serves one of these.
#[derive(Debug)]
pub struct MockSpaps {
    state: Mutex<State>,
}

impl Default for MockSpaps {
    fn default() -> Self {
        MockSpaps::new()
    }
}

#[derive(Debug)]
struct State {
    next_request: u64,
    next_token: u64,
    next_session: u64,
    /// Email → user id.
    users: BTreeMap<String, String>,
    sessions: Vec<Session>,
    catalog: Vec<catalog::Product>,
    next_checkout: u64,
    usage: usage::Meter,
    entitlements: Vec<entitlements::Entitlement>,
    device: device::DeviceCodes,
}

#[derive(Clone, Debug)]
struct Session {
    id: String,
    user_id: String,
    email: String,
    access_token: String,
    refresh_token: String,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    last_activity: OffsetDateTime,
}

/// A reply in the making: status and JSON payload (`data` on success, `error` otherwise).
enum Outcome {
    Ok(Value),
    Err(u16, &'static str, Cow<'static, str>),
}

/// An error outcome.
fn fail(status: u16, code: &'static str, message: impl Into<Cow<'static, str>>) -> Outcome {
    Outcome::Err(status, code, message.into())
}

/// A `400 VALIDATION_ERROR` outcome.
fn invalid(message: impl Into<Cow<'static, str>>) -> Outcome {
    fail(400, "VALIDATION_ERROR", message)
}

fn not_found() -> Outcome {
    fail(404, "NOT_FOUND", "Route not found")
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// `t` plus `seconds` (saturating at `t`).
fn plus(t: OffsetDateTime, seconds: i64) -> OffsetDateTime {
    t.checked_add(TimeDuration::seconds(seconds)).unwrap_or(t)
}

fn bearer_token(req: &ObservedRequest) -> Option<&str> {
    let value = req.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn json_body(req: &ObservedRequest) -> Option<serde_json::Map<String, Value>> {
    if req.body.is_empty() {
        return Some(serde_json::Map::new());
    }
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The first value of a query parameter.
fn query<'r>(req: &'r ObservedRequest, name: &str) -> Option<&'r str> {
    req.query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The query parameter `name` when present and not empty.
fn query_non_empty<'r>(req: &'r ObservedRequest, name: &str) -> Option<&'r str> {
    query(req, name).filter(|v| !v.is_empty())
}

/// `limit` from the query: `default` when absent, else an integer in `1..=max`.
fn query_limit(req: &ObservedRequest, default: usize, max: usize) -> Result<usize, Outcome> {
    match query(req, "limit") {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(format!("limit must be an integer from 1 to {max}"))),
        },
    }
}

/// The one path segment after `prefix`, percent-decoded; `None` when it is empty or
/// more segments follow.
fn segment_after(path: &str, prefix: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// A number as JSON: whole values as integers (`5`, not `5.0`).
fn number(value: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() <= EXACT {
        json!(value as i64)
    } else {
        json!(value)
    }
}

impl MockSpaps {
    /// A mock with the seeded catalog and entitlements, and no users or sessions yet.
    pub fn new() -> MockSpaps {
        let started = now();
        MockSpaps {
            state: Mutex::new(State {
                next_request: 0,
                next_token: 0,
                next_session: 0,
                users: BTreeMap::new(),
                sessions: Vec::new(),
                catalog: catalog::seed(started),
                next_checkout: 0,
                usage: usage::Meter::default(),
                entitlements: entitlements::seed(started),
                device: device::DeviceCodes::new(1),
            }),
        }
    }

    /// Sets the `interval` of device-code logins, in seconds (1 by default; 0 lets tests
    /// poll without waiting).
    pub fn with_device_poll_interval(self, seconds: u64) -> MockSpaps {
        self.state().device.set_interval(seconds);
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers one request.
    pub fn handle(&self, req: &ObservedRequest) -> Reply {
        let mut state = self.state();
        state.next_request += 1;
        let request_id = format!("req_mock_{}", state.next_request);
        let outcome = state.route(req);
        drop(state);

        let metadata = json!({"request_id": request_id, "timestamp": rfc3339(now())});
        let (status, body) = match outcome {
            Outcome::Ok(data) => (
                200,
                json!({"success": true, "data": data, "metadata": metadata}),
            ),
            Outcome::Err(status, code, message) => (
                status,
                json!({
                    "success": false,
                    "error": {"code": code, "message": message},
                    "metadata": metadata,
                }),
            ),
        };
        let mut reply = Reply::json(status, &body).with_header("x-request-id", request_id);
        if status == 401 {
            reply = reply.with_header("www-authenticate", "Bearer");
        }
        reply
    }
}

impl State {
    fn route(&mut self, req: &ObservedRequest) -> Outcome {
        if req.header("x-api-key").is_none_or(|k| k.trim().is_empty()) {
            return fail(401, "INVALID_API_KEY", "Missing or invalid API key");
        }
        let path = req.path.as_str();
        match (req.method.as_str(), path) {
            ("POST", "/api/auth/login") => self.login(req),
            ("POST", "/api/auth/refresh") => self.refresh(req),
            ("GET", "/api/auth/user") => self.authed(req, |_, s| {
                Outcome::Ok(json!({"user": {"id": s.user_id, "email": s.email}}))
            }),
            ("POST", "/api/auth/logout") => self.authed(req, |state, s| {
                state.sessions.retain(|x| x.id != s.id);
                Outcome::Ok(json!({"message": "Successfully logged out"}))
            }),
            ("GET", "/api/sessions/current") => self.authed(req, |_, s| {
                Outcome::Ok(json!({"session": session_json(&s)}))
            }),
            ("GET", "/api/sessions") => self.authed(req, |state, s| {
                let sessions: Vec<Value> = state
                    .sessions
                    .iter()
                    .filter(|x| x.user_id == s.user_id)
                    .map(|x| {
                        let mut v = session_json(x);
                        v["is_current"] = Value::Bool(x.id == s.id);
                        v
                    })
                    .collect();
                Outcome::Ok(json!({"total": sessions.len(), "sessions": sessions}))
            }),
            ("POST", "/api/sessions/validate") => self.authed(req, |_, s| {
                if json_body(req).is_none() {
                    return invalid("Body must be a JSON object");
                }
                Outcome::Ok(json!({
                    "valid": true,
                    "session_id": s.id,
                    "expires_at": rfc3339(s.expires_at),
                }))
            }),
            ("POST", "/api/sessions/touch") => self.authed(req, |state, s| {
                let at = now();
                if let Some(x) = state.sessions.iter_mut().find(|x| x.id == s.id) {
                    x.last_activity = at;
                }
                Outcome::Ok(json!({
                    "message": "Session activity updated",
                    "session_id": s.id,
                    "last_activity": rfc3339(at),
                }))
            }),
            ("DELETE", p) if p.starts_with("/api/sessions/") => {
                let Some(id) = segment_after(p, "/api/sessions/") else {
                    return not_found();
                };
                self.authed(req, |state, s| {
                    let before = state.sessions.len();
                    state
                        .sessions
                        .retain(|x| !(x.id == id && x.user_id == s.user_id));
                    if state.sessions.len() == before {
                        fail(404, "SESSION_NOT_FOUND", "Session not found")
                    } else {
                        Outcome::Ok(json!({
                            "message": "Session revoked successfully",
                            "session_id": id,
                        }))
                    }
                })
            }
            ("GET", "/api/stripe/products") => {
                self.authed(req, |state, _| state.list_products(req))
            }
            ("GET", p) if p.starts_with("/api/stripe/products/") => {
                let Some(id) = segment_after(p, "/api/stripe/products/") else {
                    return not_found();
                };
                self.authed(req, |state, _| state.get_product(req, &id))
            }
            ("POST", "/api/payments/create-checkout-session") => {
                self.authed(req, |state, _| state.create_checkout_session(req))
            }
            ("POST", "/api/usage/record") => {
                self.authed(req, |state, s| state.record_usage(req, &s))
            }
            ("GET", "/api/usage/features") => self.authed(req, |state, s| state.usage_features(&s)),
            ("GET", "/api/entitlements/check") => self.check_access(req),
            ("GET", "/api/entitlements") => self.list_entitlements(req),
            ("POST", "/api/cli/device/authorize") => self.device_authorize(req),
            ("POST", "/api/cli/device/token") => self.device_token(req),
            _ => not_found(),
        }
    }

    /// Runs `f` with the session of the request's bearer token, or answers 401.
    fn authed(
        &mut self,
        req: &ObservedRequest,
        f: impl FnOnce(&mut State, Session) -> Outcome,
    ) -> Outcome {
        let session = bearer_token(req)
            .and_then(|t| self.sessions.iter().find(|s| s.access_token == t))
            .cloned();
        match session {
            Some(s) => f(self, s),
            None => fail(401, "UNAUTHORIZED", "Invalid or expired access token"),
        }
    }

    fn issue_tokens(&mut self) -> (String, String) {
        self.next_token += 1;
        (
            format!("at_{}", self.next_token),
            format!("rt_{}", self.next_token),
        )
    }

    fn token_payload(s: &Session) -> Value {
        json!({
            "access_token": s.access_token,
            "refresh_token": s.refresh_token,
            "expires_in": ACCESS_TOKEN_TTL_S,
            "token_type": "Bearer",
            "user": {"id": s.user_id, "email": s.email},
        })
    }

    /// The id of the user with `email` (normalized), created on first use.
    fn user_id_for(&mut self, email: &str) -> String {
        let user_count = self.users.len();
        self.users
            .entry(email.to_owned())
            .or_insert_with(|| format!("user_{}", user_count + 1))
            .clone()
    }

    /// The email of the user `user_id`, if that user exists.
    fn email_of(&self, user_id: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(_, id)| id.as_str() == user_id)
            .map(|(email, _)| email.as_str())
    }

    /// Opens a session for `email` (normalized) with fresh tokens.
    fn open_session(&mut self, email: &str) -> Session {
        let user_id = self.user_id_for(email);
        let (access_token, refresh_token) = self.issue_tokens();
        self.next_session += 1;
        let at = now();
        let session = Session {
            id: format!("sess_{}", self.next_session),
            user_id,
            email: email.to_owned(),
            access_token,
            refresh_token,
            created_at: at,
            expires_at: plus(at, SESSION_TTL_S),
            last_activity: at,
        };
        self.sessions.push(session.clone());
        session
    }

    fn login(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return invalid("Body must be a JSON object");
        };
        let (Some(Value::String(email)), Some(Value::String(password))) =
            (body.get("email"), body.get("password"))
        else {
            return invalid("email and password are required");
        };
        if email.trim().is_empty() {
            return invalid("email and password are required");
        }
        if password != DEMO_PASSWORD {
            return fail(401, "INVALID_CREDENTIALS", "Invalid email or password");
        }
        let session = self.open_session(&email.trim().to_ascii_lowercase());
        Outcome::Ok(State::token_payload(&session))
    }

    fn refresh(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return invalid("Body must be a JSON object");
        };
        let token = match body.get("refresh_token") {
            Some(Value::String(t)) => t.clone(),
            _ => String::new(),
        };
        let Some(index) = self
            .sessions
            .iter()
            .position(|s| !token.is_empty() && s.refresh_token == token)
        else {
            return fail(
                401,
                "INVALID_REFRESH_TOKEN",
                "Invalid or expired refresh token",
            );
        };
        let (access_token, refresh_token) = self.issue_tokens();
        let Some(session) = self.sessions.get_mut(index) else {
            return fail(
                401,
                "INVALID_REFRESH_TOKEN",
                "Invalid or expired refresh token",
            );
        };
        session.access_token = access_token;
        session.refresh_token = refresh_token;
        session.last_activity = now();
        Outcome::Ok(State::token_payload(session))
    }
}

fn session_json(s: &Session) -> Value {
    json!({
        "id": s.id,
        "user_id": s.user_id,
        "application_id": APPLICATION_ID,
        "created_at": rfc3339(s.created_at),
        "expires_at": rfc3339(s.expires_at),
        "last_activity": rfc3339(s.last_activity),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_client::{RawClient, RawResponse};

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
        assert_error(&refresh(&mut c, "rt_1"), 401, "INVALID_REFRESH_TOKEN");
        assert_error(&get(&mut c, "/api/auth/user", "at_1"), 401, "UNAUTHORIZED");
        assert_eq!(get(&mut c, "/api/auth/user", "at_2").status, 200);
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
        let big = json!({"feature": "api_calls", "quantity": 8000.5,
            "timestamp": "2025-01-09T10:30:00Z"});
        let r = record(&mut c, &ada, Some("job-2"), &big);
        let data = r.json()["data"].clone();
        assert_eq!(data["recorded_at"], "2025-01-09T10:30:00Z");
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
        let start =
            OffsetDateTime::parse(data["period"]["start"].as_str().unwrap(), &Rfc3339).unwrap();
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

        // Held by email before the user ever signs in, with no user id yet.
        let r = read(&mut c, "/api/entitlements?email=Ada@Example.com");
        assert_eq!(entitlement_keys(&r), ["pro_plan", "team_seat"]);
        assert_eq!(
            r.json()["data"]["entitlements"][0]["beneficiary_user_id"],
            Value::Null
        );
        let r = read(
            &mut c,
            "/api/entitlements/check?user_id=user_1&key=pro_plan",
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
            check(&mut c, "user_id=user_2&key=pro_plan"),
            json!({"has_entitlement": true, "user_id": "user_2", "entitlement_key": "pro_plan"})
        );
        for (query, has) in [
            ("user_id=user_1&key=pro_plan", false),
            ("user_id=user_2&key=beta_access", false),
            ("user_id=user_2&key=early_adopter", false),
            ("user_id=user_2&key=nope", false),
            ("user_id=user_2&key=team_seat", true),
            (
                "user_id=user_2&key=team_seat&resource_type=org&resource_id=org_mock_1",
                true,
            ),
            (
                "user_id=user_2&key=team_seat&resource_type=org&resource_id=org_other",
                false,
            ),
            ("user_id=user_2&key=pro_plan&resource_type=org", false),
        ] {
            assert_eq!(check(&mut c, query)["has_entitlement"], has, "{query}");
        }
        for query in ["user_id=user_2", "key=pro_plan", "user_id=&key=pro_plan"] {
            let r = read(&mut c, &format!("/api/entitlements/check?{query}"));
            assert_error(&r, 400, "VALIDATION_ERROR");
        }

        let r = read(&mut c, "/api/entitlements?user_id=user_2");
        assert_eq!(entitlement_keys(&r), ["pro_plan", "team_seat"]);
        let pro = r.json()["data"]["entitlements"][0].clone();
        assert_eq!(pro["beneficiary_user_id"], "user_2");
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
                "user_id=user_2&include_expired=true&include_revoked=true",
                vec!["pro_plan", "team_seat", "beta_access", "early_adopter"],
            ),
            (
                "user_id=user_2&include_expired=true",
                vec!["pro_plan", "team_seat", "beta_access"],
            ),
            (
                "user_id=user_2&include_revoked=true&include_expired=false",
                vec!["pro_plan", "team_seat", "early_adopter"],
            ),
            (
                "user_id=user_2&entitlement_key=team_seat",
                vec!["team_seat"],
            ),
            ("user_id=user_2&resource_type=org", vec!["team_seat"]),
            ("user_id=user_2&limit=1", vec!["pro_plan"]),
            ("user_id=user_1", vec![]),
            ("user_id=user_99", vec![]),
            ("user_id=user_2&email=bob@example.com", vec![]),
            ("email=bob@example.com", vec![]),
        ] {
            let r = read(&mut c, &format!("/api/entitlements?{query}"));
            assert_eq!(entitlement_keys(&r), expected, "{query}");
        }
        let r = read(
            &mut c,
            "/api/entitlements?user_id=user_2&include_revoked=true&include_expired=true",
        );
        let revoked = r.json()["data"]["entitlements"][3].clone();
        assert_eq!(revoked["revoked_reason"], "Programme ended");
        assert!(revoked["revoked_at"].is_string());
        for query in ["", "entitlement_key=pro_plan", "user_id=user_2&limit=0"] {
            let r = read(&mut c, &format!("/api/entitlements?{query}"));
            assert_error(&r, 400, "VALIDATION_ERROR");
        }
        let r = c.request("GET", "/api/entitlements?user_id=user_2", &[], None);
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
            Reply::Response { status, body, .. } => {
                (status, serde_json::from_slice(&body).unwrap())
            }
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
        mock.state().device.codes[0].expires_at = std::time::Instant::now();
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
}
