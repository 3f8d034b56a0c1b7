//! Sessions: the current session, validation, activity, listing and revocation
//! (`/api/sessions`). Every call needs a bearer token.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Shape;
use crate::error::Error;
use crate::model::sessions::{
    SessionList, SessionRecord, SessionRevoked, SessionSummary, SessionTouch, SessionValidation,
};
use crate::request::{Bound, Execute, Unbound};
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
    pub fn get_current_session(&self) -> GetCurrentSession<Bound<'a, X>> {
        GetCurrentSession::new().on(self.client)
    }

    /// Checks that the current session is valid.
    pub fn validate_session(&self) -> ValidateSession<Bound<'a, X>> {
        ValidateSession::new().on(self.client)
    }

    /// Lists the user's sessions. Optional: `.limit(..)`, `.starting_after(..)`.
    pub fn list_sessions(&self) -> ListSessions<Bound<'a, X>> {
        ListSessions::new().on(self.client)
    }

    /// Records activity on the current session.
    pub fn touch_session(&self) -> TouchSession<Bound<'a, X>> {
        TouchSession::new().on(self.client)
    }

    /// Revokes a session.
    pub fn revoke_session(&self, session_id: impl Into<String>) -> RevokeSession<Bound<'a, X>> {
        RevokeSession::new(session_id).on(self.client)
    }
}

/// `GET /api/sessions/current`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetCurrentSession<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetCurrentSession() {});

impl GetCurrentSession {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetCurrentSession {
    type Output = SessionSummary;
    type Wire = SessionSummary;
    const NAME: &'static str = "sessions.get_current_session";
    const SHAPE: Shape = Shape::DataOrKey("session");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/sessions/current").auth(Auth::Bearer))
    }
}

/// `POST /api/sessions/validate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ValidateSession<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ValidateSession() {});

impl ValidateSession {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for ValidateSession {
    type Output = SessionValidation;
    type Wire = SessionValidation;
    const NAME: &'static str = "sessions.validate_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/sessions/validate")
            .empty_object()
            .auth(Auth::Bearer))
    }
}

/// `GET /api/sessions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListSessions<B = Unbound> {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last session id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListSessions {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListSessions() { limit: u32, starting_after: String });

impl Endpoint for ListSessions {
    type Output = SessionList;
    type Wire = crate::model::sessions::RawSessionList;
    const NAME: &'static str = "sessions.list_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
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
            bound: Unbound,
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
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct TouchSession<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(TouchSession() {});

impl TouchSession {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for TouchSession {
    type Output = SessionTouch;
    type Wire = SessionTouch;
    const NAME: &'static str = "sessions.touch_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/sessions/touch")
            .empty_object()
            .auth(Auth::Bearer))
    }
}

/// `DELETE /api/sessions/{session_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RevokeSession<B = Unbound> {
    /// The session to revoke.
    pub session_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(RevokeSession(session_id) {});

impl RevokeSession {
    /// The request, with its arguments.
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            session_id: session_id.into(),
        }
    }
}

impl Endpoint for RevokeSession {
    type Output = SessionRevoked;
    type Wire = SessionRevoked;
    const NAME: &'static str = "sessions.revoke_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("session_id", &self.session_id)?;
        Ok(RequestSpec::delete("/api/sessions/{session_id}")
            .param(&self.session_id)
            .auth(Auth::Bearer))
    }
}

crate::registry!(
    GetCurrentSession,
    ValidateSession,
    ListSessions,
    TouchSession,
    RevokeSession,
);
