//! Issue reports: end users report a problem with a UI component, follow it up and
//! reply to it (`/api/v1/issue-reports`).
//!
//! Every call sends the API key, and the bearer token when one is available: the
//! server decides whose reports the caller sees.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::issue_reporting::{IssueReport, IssueReportList, IssueReportStatus};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

/// Page size of [`ListIssueReports`] when none is set.
const DEFAULT_LIMIT: u32 = 50;

/// The issue reporting operations of a client: `client.issue_reporting()`.
#[derive(Debug)]
pub struct IssueReportingApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> IssueReportingApi<'a, X> {
    /// The issue reporting operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Files an issue report about `target` (an
    /// [`IssueReportTarget`](crate::model::issue_reporting::IssueReportTarget) or any JSON
    /// object, sent as given). Optional: `.reporter_role_hint(..)`.
    pub fn create_issue_report(
        &self,
        target: impl Into<Map<String, Value>>,
        note: impl Into<String>,
    ) -> CreateIssueReport<Bound<'a, X>> {
        CreateIssueReport::new(target, note).on(self.client)
    }

    /// Lists the caller's issue reports, a page at a time.
    /// Optional: `.status(..)`, `.limit(..)` (default 50), `.offset(..)` (default 0).
    pub fn list_issue_reports(&self) -> ListIssueReports<Bound<'a, X>> {
        ListIssueReports::new().on(self.client)
    }

    /// Whether the caller has open or recently resolved reports.
    pub fn get_issue_report_status(&self) -> GetIssueReportStatus<Bound<'a, X>> {
        GetIssueReportStatus::new().on(self.client)
    }

    /// One issue report.
    pub fn get_issue_report(
        &self,
        issue_report_id: impl Into<String>,
    ) -> GetIssueReport<Bound<'a, X>> {
        GetIssueReport::new(issue_report_id).on(self.client)
    }

    /// Replaces the note of an issue report.
    pub fn update_issue_report(
        &self,
        issue_report_id: impl Into<String>,
        note: impl Into<String>,
    ) -> UpdateIssueReport<Bound<'a, X>> {
        UpdateIssueReport::new(issue_report_id, note).on(self.client)
    }

    /// Replies to an issue report; returns the reply (a child report).
    /// Optional: `.reporter_role_hint(..)`.
    pub fn reply_to_issue_report(
        &self,
        issue_report_id: impl Into<String>,
        note: impl Into<String>,
    ) -> ReplyToIssueReport<Bound<'a, X>> {
        ReplyToIssueReport::new(issue_report_id, note).on(self.client)
    }
}

/// `POST /api/v1/issue-reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateIssueReport<B = Unbound> {
    /// What the report is about, sent as given (see
    /// [`IssueReportTarget`](crate::model::issue_reporting::IssueReportTarget) for the
    /// keys the server expects).
    pub target: Map<String, Value>,
    /// The reporter's note.
    pub note: String,
    /// The role the reporter acts in (`patient`, `practitioner`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_role_hint: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateIssueReport {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(target: impl Into<Map<String, Value>>, note: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            target: target.into(),
            note: note.into(),
            reporter_role_hint: None,
        }
    }
}

crate::arguments::arguments!(CreateIssueReport(target, note) { reporter_role_hint: String });

impl Endpoint for CreateIssueReport {
    type Output = IssueReport;
    type Wire = IssueReport;
    const NAME: &'static str = "issue_reporting.create_issue_report";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/v1/issue-reports")
            .json(self)
            .auth(Auth::OptionalBearer))
    }
}

/// `GET /api/v1/issue-reports`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListIssueReports<B = Unbound> {
    /// Only reports with this status.
    #[serde(default)]
    pub status: Option<String>,
    /// Page size; 50 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// How many reports to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListIssueReports {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListIssueReports() { status: String, limit: u32, offset: u64 });

impl Endpoint for ListIssueReports {
    type Output = IssueReportList;
    type Wire = IssueReportList;
    const NAME: &'static str = "issue_reporting.list_issue_reports";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/v1/issue-reports")
            .query("limit", self.limit.unwrap_or(DEFAULT_LIMIT))
            .query("offset", self.offset.unwrap_or(0))
            .query_opt("status", self.status.as_deref())
            .auth(Auth::OptionalBearer))
    }
}

impl Paginated for ListIssueReports {
    type Item = IssueReport;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Offset(self.offset.unwrap_or(0))
    }

    fn next_page(&self, page: &IssueReportList) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let next = crate::paging::next_offset(offset, page.items.len(), Some(page.total))?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: IssueReportList) -> Vec<IssueReport> {
        page.items
    }
}

/// `GET /api/v1/issue-reports/status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetIssueReportStatus<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetIssueReportStatus() {});

impl GetIssueReportStatus {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetIssueReportStatus {
    type Output = IssueReportStatus;
    type Wire = IssueReportStatus;
    const NAME: &'static str = "issue_reporting.get_issue_report_status";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/v1/issue-reports/status").auth(Auth::OptionalBearer))
    }
}

/// `GET /api/v1/issue-reports/{issue_report_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetIssueReport<B = Unbound> {
    /// The report.
    pub issue_report_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetIssueReport(issue_report_id) {});

impl GetIssueReport {
    /// The request, with its arguments.
    pub fn new(issue_report_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            issue_report_id: issue_report_id.into(),
        }
    }
}

impl Endpoint for GetIssueReport {
    type Output = IssueReport;
    type Wire = IssueReport;
    const NAME: &'static str = "issue_reporting.get_issue_report";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("issue_report_id", &self.issue_report_id)?;
        Ok(RequestSpec::get("/api/v1/issue-reports/{issue_report_id}")
            .param(&self.issue_report_id)
            .auth(Auth::OptionalBearer))
    }
}

/// `PATCH /api/v1/issue-reports/{issue_report_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateIssueReport<B = Unbound> {
    /// The report.
    pub issue_report_id: String,
    /// The new note.
    pub note: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(UpdateIssueReport(issue_report_id, note) {});

impl UpdateIssueReport {
    /// The request, with its arguments.
    pub fn new(issue_report_id: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            issue_report_id: issue_report_id.into(),
            note: note.into(),
        }
    }
}

/// The body of a note update or a reply.
#[derive(Serialize)]
struct NoteBody<'a> {
    note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reporter_role_hint: Option<&'a str>,
}

impl Endpoint for UpdateIssueReport {
    type Output = IssueReport;
    type Wire = IssueReport;
    const NAME: &'static str = "issue_reporting.update_issue_report";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("issue_report_id", &self.issue_report_id)?;
        let body = NoteBody {
            note: &self.note,
            reporter_role_hint: None,
        };
        Ok(
            RequestSpec::patch("/api/v1/issue-reports/{issue_report_id}")
                .param(&self.issue_report_id)
                .json(&body)
                .auth(Auth::OptionalBearer),
        )
    }
}

/// `POST /api/v1/issue-reports/{issue_report_id}/replies`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ReplyToIssueReport<B = Unbound> {
    /// The report replied to.
    pub issue_report_id: String,
    /// The reply's note.
    pub note: String,
    /// The role the reporter acts in.
    #[serde(default)]
    pub reporter_role_hint: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ReplyToIssueReport {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(issue_report_id: impl Into<String>, note: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            issue_report_id: issue_report_id.into(),
            note: note.into(),
            reporter_role_hint: None,
        }
    }
}

crate::arguments::arguments!(ReplyToIssueReport(issue_report_id, note) { reporter_role_hint: String });

impl Endpoint for ReplyToIssueReport {
    type Output = IssueReport;
    type Wire = IssueReport;
    const NAME: &'static str = "issue_reporting.reply_to_issue_report";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("issue_report_id", &self.issue_report_id)?;
        let body = NoteBody {
            note: &self.note,
            reporter_role_hint: self.reporter_role_hint.as_deref(),
        };
        Ok(
            RequestSpec::post("/api/v1/issue-reports/{issue_report_id}/replies")
                .param(&self.issue_report_id)
                .json(&body)
                .auth(Auth::OptionalBearer),
        )
    }
}

crate::registry!(
    CreateIssueReport,
    ListIssueReports,
    GetIssueReportStatus,
    GetIssueReport,
    UpdateIssueReport,
    ReplyToIssueReport,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::issue_reporting::IssueReportTarget;
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

    fn report_json(id: &str, parent: Option<&str>) -> Value {
        json!({
            "id": id,
            "application_id": "0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69",
            "reporter_user_id": "6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60",
            "reporter_role_hint": null,
            "target": {
                "component_key": "billing.checkout-button",
                "component_label": "Checkout button",
                "page_url": "https://app.example.com/billing",
                "surface_ref": "web",
                "metadata": {"build": "2025.01.15-3"},
                "x_future_flag": true
            },
            "note": "The checkout button spins forever after I click it.",
            "status": "open",
            "parent_issue_report_id": parent,
            "linked_case": {
                "case_id": "case_01JHK6C9D8E7F6",
                "status": "open",
                "priority": "p2",
                "resolved_at": null
            },
            "created_at": "2025-01-15T11:59:00Z",
            "updated_at": "2025-01-15T12:00:00Z"
        })
    }

    fn target() -> Map<String, Value> {
        IssueReportTarget::new(
            "billing.checkout-button",
            "Checkout button",
            "https://app.example.com/billing",
        )
        .with_surface_ref("web")
        .with_metadata(
            json!({"build": "2025.01.15-3"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .into()
    }

    #[test]
    fn create_issue_report_request() {
        let mut ep = CreateIssueReport {
            bound: Unbound,
            target: target(),
            note: "It spins.".into(),
            reporter_role_hint: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/v1/issue-reports");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body_json(&spec),
            Some(json!({
                "target": {
                    "component_key": "billing.checkout-button",
                    "component_label": "Checkout button",
                    "page_url": "https://app.example.com/billing",
                    "surface_ref": "web",
                    "metadata": {"build": "2025.01.15-3"}
                },
                "note": "It spins."
            }))
        );
        ep.reporter_role_hint = Some("practitioner".into());
        let spec = ep.request().unwrap();
        assert_eq!(
            body_json(&spec).unwrap()["reporter_role_hint"],
            "practitioner"
        );
    }

    #[test]
    fn create_issue_report_parses_envelope_and_bare_body() {
        let ep = CreateIssueReport {
            bound: Unbound,
            target: target(),
            note: "n".into(),
            reporter_role_hint: None,
        };
        let raw = report_json("ir_1", None);
        let wrapped = ep
            .parse(&response(json!({"success": true, "data": raw.clone()})))
            .unwrap();
        let bare = ep.parse(&response(raw)).unwrap();
        assert_eq!(wrapped, bare);
        assert_eq!(bare.id, "ir_1");
        assert_eq!(bare.target.surface_ref.as_deref(), Some("web"));
        assert_eq!(bare.target.metadata["build"], "2025.01.15-3");
        assert_eq!(bare.linked_case.priority, "p2");
        assert_eq!(bare.linked_case.resolved_at, None);
        assert_eq!(bare.reporter_role_hint, None);
        assert_eq!(bare.updated_at.unix_seconds(), 1_736_942_400);
    }

    #[test]
    fn list_issue_reports_request_always_pages() {
        let spec = ListIssueReports::default().request().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/v1/issue-reports");
        assert_eq!(spec.query_string(), "limit=50&offset=0");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);

        let ep = ListIssueReports {
            bound: Unbound,
            status: Some("open".into()),
            limit: Some(10),
            offset: Some(20),
        };
        assert_eq!(
            ep.request().unwrap().query_string(),
            "limit=10&offset=20&status=open"
        );
    }

    #[test]
    fn list_issue_reports_parses_and_pages() {
        let ep = ListIssueReports {
            bound: Unbound,
            status: Some("open".into()),
            limit: Some(1),
            offset: None,
        };
        let body = json!({"success": true, "data": {
            "items": [report_json("ir_1", None)], "total": 2
        }});
        let page = ep.parse(&response(body)).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items.len(), 1);

        let next = ep.next_page(&page).expect("a second page");
        assert_eq!(next.offset, Some(1));
        assert_eq!(next.limit, Some(1));
        assert_eq!(next.status.as_deref(), Some("open"));
        assert!(next.next_page(&page).is_none());
        assert_eq!(ListIssueReports::into_items(page).len(), 1);

        let bare = json!({"items": [], "total": 0});
        let empty = ListIssueReports::default().parse(&response(bare)).unwrap();
        assert!(ListIssueReports::default().next_page(&empty).is_none());
    }

    #[test]
    fn get_issue_report_status_request_and_parse() {
        let ep = GetIssueReportStatus { bound: Unbound };
        let spec = ep.request().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/v1/issue-reports/status");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);
        let body = json!({"success": true, "data": {
            "has_open": true, "has_recent_resolved": false,
            "open_count": 1, "recent_resolved_count": 0, "x_future_flag": true
        }});
        let status = ep.parse(&response(body)).unwrap();
        assert!(status.has_open);
        assert!(!status.has_recent_resolved);
        assert_eq!(status.open_count, 1);
        assert_eq!(status.recent_resolved_count, 0);
    }

    #[test]
    fn get_issue_report_request_and_parse() {
        let ep = GetIssueReport {
            bound: Unbound,
            issue_report_id: "ir/1 2".into(),
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/v1/issue-reports/ir%2F1%202");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(body_json(&spec), None);
        let report = ep
            .parse(&response(json!({"data": report_json("ir_1", None)})))
            .unwrap();
        assert_eq!(report.status, "open");

        let empty = GetIssueReport {
            bound: Unbound,
            issue_report_id: " ".into(),
        };
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn update_issue_report_request_and_parse() {
        let ep = UpdateIssueReport {
            bound: Unbound,
            issue_report_id: "ir_1".into(),
            note: "Happens on Safari 17 only.".into(),
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::PATCH);
        assert_eq!(spec.path(), "/api/v1/issue-reports/ir_1");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body_json(&spec),
            Some(json!({"note": "Happens on Safari 17 only."}))
        );
        let report = ep.parse(&response(report_json("ir_1", None))).unwrap();
        assert_eq!(report.id, "ir_1");
    }

    #[test]
    fn reply_to_issue_report_request_and_parse() {
        let mut ep = ReplyToIssueReport {
            bound: Unbound,
            issue_report_id: "ir_1".into(),
            note: "Still happening on Safari.".into(),
            reporter_role_hint: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/v1/issue-reports/ir_1/replies");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body_json(&spec),
            Some(json!({"note": "Still happening on Safari."}))
        );
        ep.reporter_role_hint = Some("patient".into());
        assert_eq!(
            body_json(&ep.request().unwrap()),
            Some(json!({"note": "Still happening on Safari.", "reporter_role_hint": "patient"}))
        );
        let reply = ep
            .parse(&response(
                json!({"data": report_json("ir_2", Some("ir_1"))}),
            ))
            .unwrap();
        assert_eq!(reply.parent_issue_report_id.as_deref(), Some("ir_1"));
    }

    #[test]
    fn args_deserialize_from_reference_names() {
        let ep: ReplyToIssueReport = serde_json::from_value(json!({
            "issue_report_id": "ir_1", "note": "n", "reporter_role_hint": "patient"
        }))
        .unwrap();
        assert_eq!(ep.reporter_role_hint.as_deref(), Some("patient"));
        let list: ListIssueReports =
            serde_json::from_value(json!({"status": "open", "limit": 10, "offset": 0})).unwrap();
        assert_eq!(list.limit, Some(10));
        assert!(serde_json::from_value::<GetIssueReport>(json!({"nope": 1})).is_err());
    }

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let mut bad = report_json("ir_1", None);
        bad["linked_case"]["priority"] = json!(2);
        let err = GetIssueReport {
            bound: Unbound,
            issue_report_id: "ir_1".into(),
        }
        .parse(&response(json!({"data": bad})))
        .unwrap_err();
        match err {
            Error::Decode(d) => {
                assert_eq!(d.operation, "issue_reporting.get_issue_report");
                assert_eq!(d.path, "data.linked_case.priority");
            }
            other => panic!("{other:?}"),
        }

        let err = ListIssueReports::default()
            .parse(&response(json!({"data": {"items": [], "total": "many"}})))
            .unwrap_err();
        assert!(matches!(err, Error::Decode(ref d) if d.path == "data.total"));

        let err = GetIssueReportStatus { bound: Unbound }
            .parse(&response(json!({"data": {"has_open": "yes"}})))
            .unwrap_err();
        assert!(matches!(err, Error::Decode(ref d) if d.path == "data.has_open"));

        for body in [&b""[..], b"<html>", b"[1]", b"{\"data\": null}"] {
            let r = http::Response::new(Bytes::from_static(body));
            assert!(matches!(
                GetIssueReportStatus { bound: Unbound }.parse(&r),
                Err(Error::Decode(_))
            ));
        }
    }
}
