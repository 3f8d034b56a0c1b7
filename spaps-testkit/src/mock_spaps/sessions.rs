//! Sessions and their tokens: access tokens expire on the mock's clock, refresh tokens
//! rotate, and a spent refresh token presented again ends its session.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::support::{
    cursor_page, fail, ok, plus, query_limit, query_non_empty, rfc3339, Outcome, Res,
};
use super::{State, APPLICATION_ID, SESSION_TTL_S};
use crate::observed::ObservedRequest;

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    list: Vec<Session>,
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) access_token: String,
    access_expires_at: OffsetDateTime,
    pub(crate) refresh_token: String,
    /// Refresh tokens of this session already exchanged (its token family).
    spent_refresh: Vec<String>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    last_activity: OffsetDateTime,
    user_agent: Option<String>,
}

impl Session {
    fn json(&self, now: OffsetDateTime) -> Value {
        json!({
            "id": self.id,
            "user_id": self.user_id,
            "application_id": APPLICATION_ID,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "last_activity": rfc3339(self.last_activity),
            "last_used": rfc3339(self.last_activity),
            "user_agent": self.user_agent,
            "ip_address": "127.0.0.1",
            "duration_minutes": (now - self.created_at).whole_seconds() as f64 / 60.0,
            "idle_minutes": (now - self.last_activity).whole_seconds() as f64 / 60.0,
        })
    }
}

fn expired() -> Outcome {
    fail(401, "TOKEN_EXPIRED", "The access token has expired")
}

impl State {
    /// Opens a session for `user_id` with fresh tokens.
    pub(crate) fn open_session(&mut self, user_id: &str, req: Option<&ObservedRequest>) -> Session {
        let n = self.next_number("token");
        let id = format!("sess_{}", self.next_number("sess"));
        let at = self.now;
        let session = Session {
            id,
            user_id: user_id.to_owned(),
            access_token: format!("at_{n}"),
            access_expires_at: plus(at, self.access_ttl_s),
            refresh_token: format!("rt_{n}"),
            spent_refresh: Vec::new(),
            created_at: at,
            expires_at: plus(at, SESSION_TTL_S),
            last_activity: at,
            user_agent: req.and_then(|r| r.header("user-agent")).map(str::to_owned),
        };
        self.sessions.list.push(session.clone());
        session
    }

    /// The live session whose access token is `token`.
    pub(crate) fn session_for_token(&mut self, token: &str) -> Result<Session, Outcome> {
        let now = self.now;
        let Some(session) = self.sessions.list.iter().find(|s| s.access_token == token) else {
            return Err(fail(401, "UNAUTHORIZED", "Invalid access token"));
        };
        if now >= session.access_expires_at || now >= session.expires_at {
            return Err(expired());
        }
        Ok(session.clone())
    }

    /// Rotates the tokens of the session holding `refresh_token`.
    pub(crate) fn rotate(&mut self, refresh_token: &str) -> Result<Session, Outcome> {
        let now = self.now;
        let ttl = self.access_ttl_s;
        let known = self
            .sessions
            .list
            .iter()
            .any(|s| !refresh_token.is_empty() && s.refresh_token == refresh_token);
        let n = if known { self.next_number("token") } else { 0 };
        let list = &mut self.sessions.list;
        if let Some(i) = list
            .iter()
            .position(|s| s.spent_refresh.iter().any(|t| t == refresh_token))
        {
            // Reuse of a spent token: the family is compromised.
            list.remove(i);
            return Err(fail(
                401,
                "REFRESH_TOKEN_REUSED",
                "This refresh token was already used; the session is revoked",
            ));
        }
        let Some(session) = list
            .iter_mut()
            .find(|s| !refresh_token.is_empty() && s.refresh_token == refresh_token)
        else {
            return Err(fail(
                401,
                "INVALID_REFRESH_TOKEN",
                "Invalid or expired refresh token",
            ));
        };
        if now >= session.expires_at {
            return Err(fail(
                401,
                "INVALID_REFRESH_TOKEN",
                "The session has expired",
            ));
        }
        session.spent_refresh.push(session.refresh_token.clone());
        session.access_token = format!("at_{n}");
        session.refresh_token = format!("rt_{n}");
        session.access_expires_at = plus(now, ttl);
        session.last_activity = now;
        Ok(session.clone())
    }

    /// Ends the session `id`.
    pub(crate) fn end_session(&mut self, id: &str) {
        self.sessions.list.retain(|s| s.id != id);
    }

    /// Ends every session of `user_id`.
    pub(crate) fn end_sessions_of(&mut self, user_id: &str) {
        self.sessions.list.retain(|s| s.user_id != user_id);
    }

    pub(crate) fn route_sessions(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "sessions", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("GET", ["current"]) => self.current_session(req),
            ("POST", ["validate"]) => self.validate_session(req),
            ("GET", []) => self.list_sessions(req),
            ("POST", ["touch"]) => self.touch_session(req),
            ("DELETE", [id]) => self.revoke_session(req, id),
            _ => return None,
        })
    }

    fn current_session(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let mut json = session.json(self.now);
        json["tier"] = json!(self.tier_of(&session.user_id));
        json["wallets_count"] = json!(self
            .users
            .get(&session.user_id)
            .map_or(0, |u| u.wallets.len()));
        ok(json!({ "session": json }))
    }

    fn validate_session(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        super::support::body(req)?;
        ok(json!({
            "valid": true,
            "session_id": session.id,
            "expires_at": rfc3339(session.expires_at),
            "renewed": false,
        }))
    }

    fn list_sessions(&mut self, req: &ObservedRequest) -> Res {
        let current = self.bearer(req)?;
        let limit = query_limit(req, 10, 100)?;
        let now = self.now;
        let mine: Vec<&Session> = self
            .sessions
            .list
            .iter()
            .filter(|x| x.user_id == current.user_id && now < x.expires_at)
            .collect();
        let total = mine.len();
        let (page, more) = cursor_page(
            mine,
            |x| x.id.as_str(),
            query_non_empty(req, "starting_after"),
            limit,
        )?;
        let sessions: Vec<Value> = page
            .iter()
            .map(|x| {
                let mut v = x.json(now);
                v["is_current"] = Value::Bool(x.id == current.id);
                v
            })
            .collect();
        ok(json!({"sessions": sessions, "total": total, "has_more": more}))
    }

    fn touch_session(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        super::support::body(req)?;
        let at = self.now;
        if let Some(x) = self.sessions.list.iter_mut().find(|x| x.id == session.id) {
            x.last_activity = at;
        }
        ok(json!({
            "message": "Session activity updated",
            "session_id": session.id,
            "last_activity": rfc3339(at),
        }))
    }

    fn revoke_session(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        let before = self.sessions.list.len();
        self.sessions
            .list
            .retain(|x| !(x.id == id && x.user_id == session.user_id));
        if self.sessions.list.len() == before {
            return Err(fail(404, "SESSION_NOT_FOUND", "Session not found"));
        }
        ok(json!({"message": "Session revoked successfully", "session_id": id}))
    }
}
