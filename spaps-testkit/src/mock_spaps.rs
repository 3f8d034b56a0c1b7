//! An embedded, stateful fake of the SPAPS API, small enough for the README quickstart and
//! the examples: password login, token refresh with rotation, the current user, sessions
//! (current, list, validate, touch, revoke) and logout.
//!
//! Every request needs a non-empty `X-API-Key` header (else `401 INVALID_API_KEY`); every
//! route but login and refresh needs `Authorization: Bearer <access token>` with a token that
//! is still valid (else `401 UNAUTHORIZED`). Successes use the SPAPS envelope
//! `{"success": true, "data": ..., "metadata": {"request_id": ...}}`, errors
//! `{"success": false, "error": {"code", "message"}, "metadata": {...}}`, and every reply
//! carries an `x-request-id` header. Unknown routes get `404 NOT_FOUND`.
//!
//! Any email signs in with [`DEMO_PASSWORD`]; tokens are numbered `at_1`/`rt_1`,
//! `at_2`/`rt_2`, ... in the order they are issued.
//!
//! ```no_run
//! let server = spaps_testkit::mock_spaps::start()?;
//! println!("mock SPAPS at {}", server.url());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::matching::ObservedRequest;
use crate::server::{MockServer, Reply};

/// The password that signs any email in.
pub const DEMO_PASSWORD: &str = "correct horse battery staple";
/// The `application_id` of every session.
pub const APPLICATION_ID: &str = "app_mock_spaps";
/// Lifetime of access tokens, in seconds (`expires_in` of login and refresh).
pub const ACCESS_TOKEN_TTL_S: i64 = 3600;
/// Lifetime of sessions, in seconds.
pub const SESSION_TTL_S: i64 = 7 * 24 * 3600;

/// Starts the mock SPAPS on a loopback port; point a client's base URL at
/// [`MockServer::url`].
pub fn start() -> io::Result<MockServer> {
    let mock = Arc::new(MockSpaps::new());
    MockServer::start(move |req: &ObservedRequest| mock.handle(req))
}

/// The mock's state and request handler, usable without a socket (e.g. by a sans-IO
/// transport in tests). [`start`] serves one of these.
#[derive(Debug, Default)]
pub struct MockSpaps {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_request: u64,
    next_token: u64,
    next_session: u64,
    users: BTreeMap<String, String>,
    sessions: Vec<Session>,
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
    Err(u16, &'static str, &'static str),
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
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

impl MockSpaps {
    /// A mock with no users and no sessions.
    pub fn new() -> MockSpaps {
        MockSpaps::default()
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
            return Outcome::Err(401, "INVALID_API_KEY", "Missing or invalid API key");
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
                    return Outcome::Err(400, "VALIDATION_ERROR", "Body must be a JSON object");
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
                let id = &p["/api/sessions/".len()..];
                if id.is_empty() || id.contains('/') {
                    return Outcome::Err(404, "NOT_FOUND", "Route not found");
                }
                let id = percent_encoding::percent_decode_str(id)
                    .decode_utf8_lossy()
                    .into_owned();
                self.authed(req, |state, s| {
                    let before = state.sessions.len();
                    state
                        .sessions
                        .retain(|x| !(x.id == id && x.user_id == s.user_id));
                    if state.sessions.len() == before {
                        Outcome::Err(404, "SESSION_NOT_FOUND", "Session not found")
                    } else {
                        Outcome::Ok(json!({
                            "message": "Session revoked successfully",
                            "session_id": id,
                        }))
                    }
                })
            }
            _ => Outcome::Err(404, "NOT_FOUND", "Route not found"),
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
            None => Outcome::Err(401, "UNAUTHORIZED", "Invalid or expired access token"),
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

    fn login(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return Outcome::Err(400, "VALIDATION_ERROR", "Body must be a JSON object");
        };
        let (Some(Value::String(email)), Some(Value::String(password))) =
            (body.get("email"), body.get("password"))
        else {
            return Outcome::Err(400, "VALIDATION_ERROR", "email and password are required");
        };
        if email.trim().is_empty() {
            return Outcome::Err(400, "VALIDATION_ERROR", "email and password are required");
        }
        if password != DEMO_PASSWORD {
            return Outcome::Err(401, "INVALID_CREDENTIALS", "Invalid email or password");
        }
        let email = email.trim().to_ascii_lowercase();
        let user_count = self.users.len();
        let user_id = self
            .users
            .entry(email.clone())
            .or_insert_with(|| format!("user_{}", user_count + 1))
            .clone();
        let (access_token, refresh_token) = self.issue_tokens();
        self.next_session += 1;
        let at = now();
        let session = Session {
            id: format!("sess_{}", self.next_session),
            user_id,
            email,
            access_token,
            refresh_token,
            created_at: at,
            expires_at: at
                .checked_add(TimeDuration::seconds(SESSION_TTL_S))
                .unwrap_or(at),
            last_activity: at,
        };
        let payload = State::token_payload(&session);
        self.sessions.push(session);
        Outcome::Ok(payload)
    }

    fn refresh(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return Outcome::Err(400, "VALIDATION_ERROR", "Body must be a JSON object");
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
            return Outcome::Err(
                401,
                "INVALID_REFRESH_TOKEN",
                "Invalid or expired refresh token",
            );
        };
        let (access_token, refresh_token) = self.issue_tokens();
        let Some(session) = self.sessions.get_mut(index) else {
            return Outcome::Err(
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
}
