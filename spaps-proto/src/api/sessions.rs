//! Sessions: the current session, validation, activity, listing and revocation
//! (`/api/sessions`). Every call needs a bearer token.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::model::sessions::{
    SessionList, SessionRecord, SessionRevoked, SessionSummary, SessionTouch, SessionValidation,
};
use crate::request::{Execute, Request};
use crate::spec::{require, Auth, RequestSpec};

/// The session operations of a client: `client.sessions()`.
#[derive(Debug)]
pub struct SessionsApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> SessionsApi<'a, X> {
    /// The session operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// The session of the current token.
    pub fn get_current_session(&self) -> Request<'a, X, GetCurrentSession> {
        Request::new(self.client, GetCurrentSession {})
    }

    /// Checks that the current session is valid.
    pub fn validate_session(&self) -> Request<'a, X, ValidateSession> {
        Request::new(self.client, ValidateSession {})
    }

    /// Lists the user's sessions. Optional: `.limit(..)`, `.starting_after(..)`.
    pub fn list_sessions(&self) -> Request<'a, X, ListSessions> {
        Request::new(self.client, ListSessions::default())
    }

    /// Records activity on the current session.
    pub fn touch_session(&self) -> Request<'a, X, TouchSession> {
        Request::new(self.client, TouchSession {})
    }

    /// Revokes a session.
    pub fn revoke_session(&self, session_id: impl Into<String>) -> Request<'a, X, RevokeSession> {
        Request::new(
            self.client,
            RevokeSession {
                session_id: session_id.into(),
            },
        )
    }
}

/// `GET /api/sessions/current`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCurrentSession {}

impl Endpoint for GetCurrentSession {
    type Output = SessionSummary;
    const NAME: &'static str = "sessions.get_current_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/sessions/current").auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SessionSummary, Error> {
        Envelope::parse_data_or_key(Self::NAME, response.body(), "session")
    }
}

/// `POST /api/sessions/validate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateSession {}

impl Endpoint for ValidateSession {
    type Output = SessionValidation;
    const NAME: &'static str = "sessions.validate_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/sessions/validate")
            .empty_object()
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SessionValidation, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/sessions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSessions {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last session id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
}
crate::setters!(ListSessions {
    limit: u32,
    starting_after: String
});

#[derive(Deserialize)]
struct RawSessionList {
    #[serde(default)]
    sessions: Option<Vec<SessionRecord>>,
    #[serde(default)]
    total: Option<u64>,
}

impl Endpoint for ListSessions {
    type Output = SessionList;
    const NAME: &'static str = "sessions.list_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SessionList, Error> {
        let raw: RawSessionList = Envelope::parse_data(Self::NAME, response.body())?;
        let sessions = raw.sessions.unwrap_or_default();
        let total = raw.total.unwrap_or(sessions.len() as u64);
        Ok(SessionList { sessions, total })
    }
}

impl Paginated for ListSessions {
    type Item = SessionRecord;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Cursor(self.starting_after.clone().unwrap_or_default())
    }

    fn next_page(&self, page: &SessionList) -> Option<Self> {
        let last = page.sessions.last().map(|s| s.session_id.as_str());
        let cursor = crate::paging::next_cursor(None, last, page.sessions.len(), self.limit)?;
        Some(Self {
            limit: self.limit,
            starting_after: Some(cursor),
        })
    }

    fn into_items(page: SessionList) -> Vec<SessionRecord> {
        page.sessions
    }
}

/// `POST /api/sessions/touch`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TouchSession {}

impl Endpoint for TouchSession {
    type Output = SessionTouch;
    const NAME: &'static str = "sessions.touch_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/sessions/touch")
            .empty_object()
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SessionTouch, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `DELETE /api/sessions/{session_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeSession {
    /// The session to revoke.
    pub session_id: String,
}

impl Endpoint for RevokeSession {
    type Output = SessionRevoked;
    const NAME: &'static str = "sessions.revoke_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("session_id", &self.session_id)?;
        Ok(RequestSpec::delete("/api/sessions/{session_id}")
            .param(&self.session_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SessionRevoked, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

crate::registry!(
    GetCurrentSession,
    ValidateSession,
    ListSessions,
    TouchSession,
    RevokeSession,
);
