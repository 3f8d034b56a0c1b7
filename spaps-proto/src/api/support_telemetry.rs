//! Support telemetry: ingest support events, which the server groups into cases, and
//! list, read and triage those cases (`/api/v1/support-telemetry`).
//!
//! The API key alone is enough (a backend service can report events); the bearer token
//! is sent too when one is available.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::support_telemetry::{
    ExternalSupportCase, IngestedEvent, PatchedSupportCase, SupportCase, SupportCaseDetail,
    SupportCaseList,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

/// Page size of [`ListCases`] when none is set.
const DEFAULT_LIMIT: u32 = 50;
/// Event page size of [`GetCase`] when none is set.
const DEFAULT_EVENT_LIMIT: u32 = 100;

/// The support telemetry operations of a client: `client.support_telemetry()`.
#[derive(Debug)]
pub struct SupportTelemetryApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> SupportTelemetryApi<'a, X> {
    /// The support telemetry operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Reports a support event; the server files it under a case (opening one if
    /// needed) and deduplicates on `event_key`. `occurred_at` is sent exactly as given
    /// (an RFC 3339 time, e.g. [`Timestamp::to_rfc3339`](crate::Timestamp::to_rfc3339));
    /// `actor` is a [`SupportActor`](crate::model::support_telemetry::SupportActor) or any
    /// JSON object, `payload` any JSON object.
    /// Optional: `.application_id(..)`, `.correlation_id(..)`, `.external_case_ref(..)`,
    /// `.title(..)`.
    #[allow(clippy::too_many_arguments)]
    pub fn ingest_event(
        &self,
        event_key: impl Into<String>,
        occurred_at: impl Into<String>,
        source_channel: impl Into<String>,
        event_type: impl Into<String>,
        severity: impl Into<String>,
        actor: impl Into<Map<String, Value>>,
        payload: impl Into<Map<String, Value>>,
    ) -> IngestEvent<Bound<'a, X>> {
        IngestEvent::new(
            event_key,
            occurred_at,
            source_channel,
            event_type,
            severity,
            actor,
            payload,
        )
        .on(self.client)
    }

    /// Lists support cases, a page at a time.
    /// Optional: `.application_id(..)`, `.status(..)`, `.priority(..)`, `.severity_gte(..)`,
    /// `.assigned_to_user_id(..)`, `.limit(..)` (default 50), `.offset(..)` (default 0).
    pub fn list_cases(&self) -> ListCases<Bound<'a, X>> {
        ListCases::new().on(self.client)
    }

    /// One case with a page of its events.
    /// Optional: `.event_limit(..)` (default 100), `.event_offset(..)` (default 0).
    pub fn get_case(&self, case_id: impl Into<String>) -> GetCase<Bound<'a, X>> {
        GetCase::new(case_id).on(self.client)
    }

    /// Changes a case's lifecycle fields; returns them as updated. An invalid status
    /// transition is a 400 `SUPPORT_TELEMETRY_INVALID_TRANSITION`.
    /// Optional: `.status(..)`, `.priority(..)`, `.assigned_to_user_id(..)`,
    /// `.resolution_note(..)`.
    pub fn patch_case(&self, case_id: impl Into<String>) -> PatchCase<Bound<'a, X>> {
        PatchCase::new(case_id).on(self.client)
    }

    /// Finds a case by its reference in an external system. Optional: `.application_id(..)`.
    pub fn get_case_by_external_ref(
        &self,
        external_case_ref: impl Into<String>,
    ) -> GetCaseByExternalRef<Bound<'a, X>> {
        GetCaseByExternalRef::new(external_case_ref).on(self.client)
    }
}

/// `POST /api/v1/support-telemetry/events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct IngestEvent<B = Unbound> {
    /// The caller's key of the event; the server deduplicates on it.
    pub event_key: String,
    /// When the event occurred, sent verbatim (RFC 3339 expected).
    pub occurred_at: String,
    /// Where the event comes from (`api`, `sdk`, ...).
    pub source_channel: String,
    /// The kind of event.
    pub event_type: String,
    /// The severity (`info`, `warning`, `error`, ...).
    pub severity: String,
    /// Who or what caused it: `{"type": .., "id"?: ..}`, sent as given.
    pub actor: Map<String, Value>,
    /// The event's details, sent as given.
    pub payload: Map<String, Value>,
    /// The application, for callers acting across applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// A correlation id linking it to other records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The case's reference in an external system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_case_ref: Option<String>,
    /// A title for the case, when the event opens one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl IngestEvent {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        event_key: impl Into<String>,
        occurred_at: impl Into<String>,
        source_channel: impl Into<String>,
        event_type: impl Into<String>,
        severity: impl Into<String>,
        actor: impl Into<Map<String, Value>>,
        payload: impl Into<Map<String, Value>>,
    ) -> Self {
        Self {
            bound: Unbound,
            event_key: event_key.into(),
            occurred_at: occurred_at.into(),
            source_channel: source_channel.into(),
            event_type: event_type.into(),
            severity: severity.into(),
            actor: actor.into(),
            payload: payload.into(),
            application_id: None,
            correlation_id: None,
            external_case_ref: None,
            title: None,
        }
    }
}

crate::arguments::arguments!(IngestEvent(event_key, occurred_at, source_channel, event_type, severity, actor, payload) { application_id: String, correlation_id: String, external_case_ref: String, title: String });

impl Endpoint for IngestEvent {
    type Output = IngestedEvent;
    type Wire = IngestedEvent;
    const NAME: &'static str = "support_telemetry.ingest_event";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/v1/support-telemetry/events")
            .json(self)
            .auth(Auth::OptionalBearer))
    }
}

/// `GET /api/v1/support-telemetry/cases`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCases<B = Unbound> {
    /// Only cases of this application.
    #[serde(default)]
    pub application_id: Option<String>,
    /// Only cases with this status.
    #[serde(default)]
    pub status: Option<String>,
    /// Only cases with this priority.
    #[serde(default)]
    pub priority: Option<String>,
    /// Only cases whose highest severity is at least this.
    #[serde(default)]
    pub severity_gte: Option<String>,
    /// Only cases assigned to this user.
    #[serde(default)]
    pub assigned_to_user_id: Option<String>,
    /// Page size; 50 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// How many cases to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListCases {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListCases() { application_id: String, status: String, priority: String, severity_gte: String, assigned_to_user_id: String, limit: u32, offset: u64 });

impl Endpoint for ListCases {
    type Output = SupportCaseList;
    type Wire = SupportCaseList;
    const NAME: &'static str = "support_telemetry.list_cases";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/v1/support-telemetry/cases")
            .query("limit", self.limit.unwrap_or(DEFAULT_LIMIT))
            .query("offset", self.offset.unwrap_or(0))
            .query_opt("application_id", self.application_id.as_deref())
            .query_opt("status", self.status.as_deref())
            .query_opt("priority", self.priority.as_deref())
            .query_opt("severity_gte", self.severity_gte.as_deref())
            .query_opt("assigned_to_user_id", self.assigned_to_user_id.as_deref())
            .auth(Auth::OptionalBearer))
    }
}

impl Paginated for ListCases {
    type Item = SupportCase;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Offset(self.offset.unwrap_or(0))
    }

    fn next_page(&self, page: &SupportCaseList) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let next = crate::paging::next_offset(offset, page.items.len(), Some(page.total))?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: SupportCaseList) -> Vec<SupportCase> {
        page.items
    }
}

/// `GET /api/v1/support-telemetry/cases/{case_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetCase<B = Unbound> {
    /// The case.
    pub case_id: String,
    /// How many events to return; 100 when not set.
    #[serde(default)]
    pub event_limit: Option<u32>,
    /// How many events to skip; 0 when not set.
    #[serde(default)]
    pub event_offset: Option<u64>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetCase {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(case_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            case_id: case_id.into(),
            event_limit: None,
            event_offset: None,
        }
    }
}

crate::arguments::arguments!(GetCase(case_id) { event_limit: u32, event_offset: u64 });

impl Endpoint for GetCase {
    type Output = SupportCaseDetail;
    type Wire = SupportCaseDetail;
    const NAME: &'static str = "support_telemetry.get_case";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("case_id", &self.case_id)?;
        Ok(
            RequestSpec::get("/api/v1/support-telemetry/cases/{case_id}")
                .param(&self.case_id)
                .query(
                    "event_limit",
                    self.event_limit.unwrap_or(DEFAULT_EVENT_LIMIT),
                )
                .query("event_offset", self.event_offset.unwrap_or(0))
                .auth(Auth::OptionalBearer),
        )
    }
}

/// `PATCH /api/v1/support-telemetry/cases/{case_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct PatchCase<B = Unbound> {
    /// The case.
    pub case_id: String,
    /// The new status.
    #[serde(default)]
    pub status: Option<String>,
    /// The new priority.
    #[serde(default)]
    pub priority: Option<String>,
    /// The new assignee.
    #[serde(default)]
    pub assigned_to_user_id: Option<String>,
    /// A note on the resolution.
    #[serde(default)]
    pub resolution_note: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl PatchCase {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(case_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            case_id: case_id.into(),
            status: None,
            priority: None,
            assigned_to_user_id: None,
            resolution_note: None,
        }
    }
}

crate::arguments::arguments!(PatchCase(case_id) { status: String, priority: String, assigned_to_user_id: String, resolution_note: String });

/// The body of [`PatchCase`]: only the fields set (`{}` when none is).
#[derive(Serialize)]
struct PatchCaseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_to_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution_note: Option<&'a str>,
}

impl Endpoint for PatchCase {
    type Output = PatchedSupportCase;
    type Wire = crate::model::support_telemetry::CaseResult<PatchedSupportCase>;
    const NAME: &'static str = "support_telemetry.patch_case";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("case_id", &self.case_id)?;
        let body = PatchCaseBody {
            status: self.status.as_deref(),
            priority: self.priority.as_deref(),
            assigned_to_user_id: self.assigned_to_user_id.as_deref(),
            resolution_note: self.resolution_note.as_deref(),
        };
        Ok(
            RequestSpec::patch("/api/v1/support-telemetry/cases/{case_id}")
                .param(&self.case_id)
                .json(&body)
                .auth(Auth::OptionalBearer),
        )
    }
}

/// `GET /api/v1/support-telemetry/cases/by-external/{external_case_ref}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetCaseByExternalRef<B = Unbound> {
    /// The case's reference in the external system (percent-encoded into the path).
    pub external_case_ref: String,
    /// The application, for callers acting across applications.
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetCaseByExternalRef {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(external_case_ref: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            external_case_ref: external_case_ref.into(),
            application_id: None,
        }
    }
}

crate::arguments::arguments!(GetCaseByExternalRef(external_case_ref) { application_id: String });

impl Endpoint for GetCaseByExternalRef {
    type Output = ExternalSupportCase;
    type Wire = crate::model::support_telemetry::CaseResult<ExternalSupportCase>;
    const NAME: &'static str = "support_telemetry.get_case_by_external_ref";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("external_case_ref", &self.external_case_ref)?;
        Ok(
            RequestSpec::get("/api/v1/support-telemetry/cases/by-external/{external_case_ref}")
                .param(&self.external_case_ref)
                .query_opt("application_id", self.application_id.as_deref())
                .auth(Auth::OptionalBearer),
        )
    }
}

crate::registry!(
    IngestEvent,
    ListCases,
    GetCase,
    PatchCase,
    GetCaseByExternalRef,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::support_telemetry::SupportActor;
    use bytes::Bytes;
    use http::Method;
    use serde_json::json;

    fn body_json(spec: &RequestSpec) -> Option<Value> {
        spec.body
            .as_ref()
            .map(|b| serde_json::from_slice(b).expect("request bodies are JSON"))
    }

    fn response(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn case_json() -> Value {
        json!({
            "id": "case_01JHK6C9D8E7F6",
            "application_id": "0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69",
            "external_case_ref": "ZD-48213",
            "title": "Checkout button unresponsive",
            "status": "open",
            "priority": "p2",
            "highest_severity": "error",
            "assigned_to_user_id": null,
            "first_event_at": "2025-01-15T11:58:00Z",
            "last_event_at": "2025-01-15T11:59:30Z",
            "resolved_at": null,
            "created_at": "2025-01-15T11:58:01Z",
            "updated_at": "2025-01-15T11:59:31Z"
        })
    }

    fn ingest() -> IngestEvent {
        IngestEvent {
            bound: Unbound,
            event_key: "checkout-timeout-7c1d".into(),
            occurred_at: "2025-01-15T11:58:00.000Z".into(),
            source_channel: "sdk".into(),
            event_type: "client_error".into(),
            severity: "error".into(),
            actor: SupportActor::new("user").with_id("u_1").into(),
            payload: object(json!({"http_status": 504, "route": "/billing"})),
            application_id: None,
            correlation_id: None,
            external_case_ref: None,
            title: None,
        }
    }

    #[test]
    fn ingest_event_request_passes_occurred_at_verbatim() {
        let mut ep = ingest();
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/v1/support-telemetry/events");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body_json(&spec),
            Some(json!({
                "event_key": "checkout-timeout-7c1d",
                "occurred_at": "2025-01-15T11:58:00.000Z",
                "source_channel": "sdk",
                "event_type": "client_error",
                "severity": "error",
                "actor": {"type": "user", "id": "u_1"},
                "payload": {"http_status": 504, "route": "/billing"}
            }))
        );
        ep.application_id = Some("app".into());
        ep.correlation_id = Some("corr".into());
        ep.external_case_ref = Some("ZD-1".into());
        ep.title = Some(String::new());
        let body = body_json(&ep.request().unwrap()).unwrap();
        assert_eq!(body["application_id"], "app");
        assert_eq!(body["correlation_id"], "corr");
        assert_eq!(body["external_case_ref"], "ZD-1");
        // `f?`: an empty string is still sent.
        assert_eq!(body["title"], "");
    }

    #[test]
    fn ingest_event_parses() {
        let body = json!({"success": true, "data": {
            "event_id": "evt_1", "case_id": "case_1", "created_case": true,
            "deduplicated": false, "case_status": "open"
        }});
        let out = ingest().parse(&response(body)).unwrap();
        assert_eq!(out.event_id, "evt_1");
        assert_eq!(out.case_id, "case_1");
        assert!(out.created_case);
        assert!(!out.deduplicated);
        assert_eq!(out.case_status, "open");
    }

    #[test]
    fn list_cases_request_always_pages() {
        let spec = ListCases::default().request().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/v1/support-telemetry/cases");
        assert_eq!(spec.query_string(), "limit=50&offset=0");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);
        let ep = ListCases {
            bound: Unbound,
            application_id: Some("app".into()),
            status: Some("open".into()),
            priority: Some("high".into()),
            severity_gte: Some("warning".into()),
            assigned_to_user_id: Some("u 1".into()),
            limit: Some(10),
            offset: Some(30),
        };
        assert_eq!(
            ep.request().unwrap().query_string(),
            "limit=10&offset=30&application_id=app&status=open&priority=high\
             &severity_gte=warning&assigned_to_user_id=u%201"
        );
    }

    #[test]
    fn list_cases_parses_and_pages() {
        let ep = ListCases {
            status: Some("open".into()),
            limit: Some(1),
            ..ListCases::default()
        };
        let page = ep
            .parse(&response(json!({"items": [case_json()], "total": 2})))
            .unwrap();
        assert_eq!(page.total, 2);
        let case = &page.items[0];
        assert_eq!(case.external_case_ref.as_deref(), Some("ZD-48213"));
        assert_eq!(case.assigned_to_user_id, None);
        assert_eq!(case.first_event_at.unix_seconds(), 1_736_942_280);

        let next = ep.next_page(&page).expect("a second page");
        assert_eq!(next.offset, Some(1));
        assert_eq!(next.status.as_deref(), Some("open"));
        assert!(next.next_page(&page).is_none());
        assert_eq!(ListCases::into_items(page).len(), 1);
    }

    #[test]
    fn get_case_request_and_parse() {
        let mut ep = GetCase {
            bound: Unbound,
            case_id: "case_1".into(),
            event_limit: None,
            event_offset: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/v1/support-telemetry/cases/case_1");
        assert_eq!(spec.query_string(), "event_limit=100&event_offset=0");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);
        ep.event_limit = Some(20);
        ep.event_offset = Some(40);
        assert_eq!(
            ep.request().unwrap().query_string(),
            "event_limit=20&event_offset=40"
        );

        let body = json!({"success": true, "data": {
            "case": case_json(),
            "events": [{
                "id": "evt_1", "case_id": "case_1", "event_key": "k",
                "source_channel": "sdk", "event_type": "client_error", "severity": "error",
                "actor": {"type": "user", "id": "u_1"}, "correlation_id": null,
                "occurred_at": "2025-01-15T11:58:00Z", "received_at": "2025-01-15T11:58:01Z",
                "payload": {"http_status": 504}
            }],
            "event_total": 1
        }});
        let detail = ep.parse(&response(body)).unwrap();
        assert_eq!(detail.case.id, "case_01JHK6C9D8E7F6");
        assert_eq!(detail.event_total, 1);
        let event = &detail.events[0];
        assert_eq!(event.actor, SupportActor::new("user").with_id("u_1"));
        assert_eq!(event.payload["http_status"], 504);
        assert_eq!(event.correlation_id, None);
    }

    #[test]
    fn patch_case_request_and_parse() {
        let mut ep = PatchCase {
            bound: Unbound,
            case_id: "case_1".into(),
            status: None,
            priority: None,
            assigned_to_user_id: None,
            resolution_note: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::PATCH);
        assert_eq!(spec.path(), "/api/v1/support-telemetry/cases/case_1");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), Some(json!({})));
        ep.status = Some("resolved".into());
        ep.priority = Some("high".into());
        ep.assigned_to_user_id = Some("user-1".into());
        ep.resolution_note = Some("done".into());
        assert_eq!(
            body_json(&ep.request().unwrap()),
            Some(json!({
                "status": "resolved", "priority": "high",
                "assigned_to_user_id": "user-1", "resolution_note": "done"
            }))
        );

        let body = json!({"success": true, "data": {"case": {
            "id": "case_1", "status": "resolved", "priority": "high",
            "assigned_to_user_id": "user-1", "resolved_at": "2026-03-01T16:30:00Z",
            "updated_at": "2026-03-01T16:30:00Z"
        }}});
        let case = ep.parse(&response(body)).unwrap();
        assert_eq!(case.status, "resolved");
        assert_eq!(case.resolved_at, Some(case.updated_at));
    }

    #[test]
    fn get_case_by_external_ref_request_and_parse() {
        let mut ep = GetCaseByExternalRef {
            bound: Unbound,
            external_case_ref: "ZD/48 213".into(),
            application_id: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(
            spec.path(),
            "/api/v1/support-telemetry/cases/by-external/ZD%2F48%20213"
        );
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);
        ep.application_id = Some("app-1".into());
        assert_eq!(ep.request().unwrap().query_string(), "application_id=app-1");

        let body = json!({"case": {
            "id": "case_1", "application_id": "app-1", "external_case_ref": "ZD-48213",
            "status": "open", "priority": "p2", "assigned_to_user_id": null,
            "resolved_at": null, "updated_at": "2025-01-15T11:59:31Z", "x_future_flag": true
        }});
        let case = ep.parse(&response(body)).unwrap();
        assert_eq!(case.external_case_ref.as_deref(), Some("ZD-48213"));
        assert_eq!(case.resolved_at, None);

        let empty = GetCaseByExternalRef {
            bound: Unbound,
            external_case_ref: String::new(),
            application_id: None,
        };
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn args_deserialize_from_reference_names() {
        let ep: IngestEvent = serde_json::from_value(json!({
            "event_key": "evt_1", "occurred_at": "2026-11-22T23:22:35.027469+00:00",
            "source_channel": "api", "event_type": "issue_reported", "severity": "warning",
            "actor": {"type": "service", "id": "svc-1"}, "payload": {"message": "example"}
        }))
        .unwrap();
        assert_eq!(ep.occurred_at, "2026-11-22T23:22:35.027469+00:00");
        assert_eq!(
            body_json(&ep.request().unwrap()).unwrap()["occurred_at"],
            "2026-11-22T23:22:35.027469+00:00"
        );
        let get: GetCase =
            serde_json::from_value(json!({"case_id": "c", "event_limit": 50, "event_offset": 0}))
                .unwrap();
        assert_eq!(get.event_limit, Some(50));
    }

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let mut bad = case_json();
        bad["last_event_at"] = json!("yesterday");
        let err = ListCases::default()
            .parse(&response(json!({"data": {"items": [bad], "total": 1}})))
            .unwrap_err();
        match err {
            Error::Decode(d) => {
                assert_eq!(d.operation, "support_telemetry.list_cases");
                assert_eq!(d.path, "data.items[0].last_event_at");
            }
            other => panic!("{other:?}"),
        }

        let patch = PatchCase {
            bound: Unbound,
            case_id: "c".into(),
            status: None,
            priority: None,
            assigned_to_user_id: None,
            resolution_note: None,
        };
        let err = patch
            .parse(&response(json!({"data": {"id": "c"}})))
            .unwrap_err();
        assert!(matches!(err, Error::Decode(ref d) if d.path == "data"));
        let err = patch
            .parse(&response(json!({"data": {"case": {"id": 7}}})))
            .unwrap_err();
        assert!(matches!(err, Error::Decode(ref d) if d.path == "data.case.id"));

        let err = ingest()
            .parse(&response(
                json!({"data": {"event_id": "e", "created_case": "yes"}}),
            ))
            .unwrap_err();
        assert!(matches!(err, Error::Decode(ref d) if d.path.starts_with("data")));

        for body in [&b""[..], b"server exploded", b"[]", b"{\"data\": null}"] {
            let r = http::Response::new(Bytes::from_static(body));
            assert!(matches!(ingest().parse(&r), Err(Error::Decode(_))));
        }
    }
}
