//! Models of the issue reporting endpoints.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// What an issue report is about: a snapshot of the UI component the user reported.
///
/// Build one for [`create_issue_report`](crate::api::issue_reporting::IssueReportingApi::create_issue_report)
/// with [`IssueReportTarget::new`]; it converts into the JSON object the endpoint sends.
///
/// ```
/// use spaps_proto::model::issue_reporting::IssueReportTarget;
/// let target = IssueReportTarget::new("billing.checkout-button", "Checkout button", "/billing")
///     .with_surface_ref("web");
/// let object: serde_json::Map<String, serde_json::Value> = target.into();
/// assert_eq!(object["surface_ref"], "web");
/// assert!(object["metadata"].as_object().unwrap().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueReportTarget {
    /// A stable key of the component.
    pub component_key: String,
    /// The component's human-readable label.
    pub component_label: String,
    /// The page the component was on.
    pub page_url: String,
    /// Where inside the page (a tab, a panel, a surface).
    #[serde(default)]
    pub surface_ref: Option<String>,
    /// Free-form context (build, section, ...).
    pub metadata: Map<String, Value>,
}

impl IssueReportTarget {
    /// A target with no surface and empty metadata.
    pub fn new(
        component_key: impl Into<String>,
        component_label: impl Into<String>,
        page_url: impl Into<String>,
    ) -> Self {
        Self {
            component_key: component_key.into(),
            component_label: component_label.into(),
            page_url: page_url.into(),
            surface_ref: None,
            metadata: Map::new(),
        }
    }

    /// Sets where inside the page the component is.
    pub fn with_surface_ref(mut self, surface_ref: impl Into<String>) -> Self {
        self.surface_ref = Some(surface_ref.into());
        self
    }

    /// Sets the free-form metadata.
    pub fn with_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = metadata;
        self
    }
}

impl From<IssueReportTarget> for Map<String, Value> {
    /// The JSON object sent as `target` (`surface_ref` only when set).
    fn from(target: IssueReportTarget) -> Self {
        let mut object = Map::new();
        object.insert(
            "component_key".to_owned(),
            Value::String(target.component_key),
        );
        object.insert(
            "component_label".to_owned(),
            Value::String(target.component_label),
        );
        object.insert("page_url".to_owned(), Value::String(target.page_url));
        if let Some(surface) = target.surface_ref {
            object.insert("surface_ref".to_owned(), Value::String(surface));
        }
        object.insert("metadata".to_owned(), Value::Object(target.metadata));
        object
    }
}

/// The support case linked to an issue report, as the reporter sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkedCaseSummary {
    /// The support case.
    pub case_id: String,
    /// The case status (`open`, `in_progress`, `resolved`, ...).
    pub status: String,
    /// The case priority.
    pub priority: String,
    /// When the case was resolved.
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
}

/// An issue report (or a reply to one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueReport {
    /// The report id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// The user who reported it.
    pub reporter_user_id: String,
    /// The role the reporter said they act in (`patient`, `practitioner`, ...).
    #[serde(default)]
    pub reporter_role_hint: Option<String>,
    /// What the report is about.
    pub target: IssueReportTarget,
    /// The reporter's note.
    pub note: String,
    /// The report status.
    pub status: String,
    /// The report this one replies to, for replies.
    #[serde(default)]
    pub parent_issue_report_id: Option<String>,
    /// The linked support case.
    pub linked_case: LinkedCaseSummary,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// A page of issue reports (`issue_reporting.list_issue_reports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueReportList {
    /// The reports.
    pub items: Vec<IssueReport>,
    /// The number of reports matching the filter, over all pages.
    pub total: u64,
}

/// The caller's issue-report summary, for a floating "report an issue" entry point
/// (`issue_reporting.get_issue_report_status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssueReportStatus {
    /// Whether the caller has an open report.
    pub has_open: bool,
    /// Whether a report of the caller was resolved recently.
    pub has_recent_resolved: bool,
    /// The number of open reports.
    pub open_count: u64,
    /// The number of recently resolved reports.
    pub recent_resolved_count: u64,
}
