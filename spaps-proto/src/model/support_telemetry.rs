//! Models of the support telemetry endpoints.
//!
//! Case lifecycle values (`status`, `priority`, `severity`, `highest_severity`) are
//! free strings: the server defines them and the SDK enforces none.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// Who or what caused a support event.
///
/// Build one for [`ingest_event`](crate::api::support_telemetry::SupportTelemetryApi::ingest_event)
/// with [`SupportActor::new`]; it converts into the JSON object the endpoint sends.
///
/// ```
/// use spaps_proto::model::support_telemetry::SupportActor;
/// let actor: serde_json::Map<String, serde_json::Value> =
///     SupportActor::new("service").with_id("svc-1").into();
/// assert_eq!(serde_json::Value::Object(actor), serde_json::json!({"type": "service", "id": "svc-1"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportActor {
    /// The kind of actor (`user`, `service`, ...).
    pub r#type: String,
    /// The actor's id.
    #[serde(default)]
    pub id: Option<String>,
}

impl SupportActor {
    /// An actor of kind `actor_type`, without an id.
    pub fn new(actor_type: impl Into<String>) -> Self {
        Self {
            r#type: actor_type.into(),
            id: None,
        }
    }

    /// Sets the actor's id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

impl From<SupportActor> for Map<String, Value> {
    /// The JSON object sent as `actor` (`id` only when set).
    fn from(actor: SupportActor) -> Self {
        let mut object = Map::new();
        object.insert("type".to_owned(), Value::String(actor.r#type));
        if let Some(id) = actor.id {
            object.insert("id".to_owned(), Value::String(id));
        }
        object
    }
}

/// A support case (`support_telemetry.list_cases`, `support_telemetry.get_case`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportCase {
    /// The case id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// The case's id in an external system (a helpdesk ticket, a thread).
    #[serde(default)]
    pub external_case_ref: Option<String>,
    /// The title.
    #[serde(default)]
    pub title: Option<String>,
    /// The lifecycle status.
    pub status: String,
    /// The priority.
    pub priority: String,
    /// The highest severity among the case's events.
    pub highest_severity: String,
    /// The assignee.
    #[serde(default)]
    pub assigned_to_user_id: Option<String>,
    /// When the first event occurred.
    pub first_event_at: Timestamp,
    /// When the last event occurred.
    pub last_event_at: Timestamp,
    /// When the case was resolved.
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    /// When the case was created.
    pub created_at: Timestamp,
    /// When the case was last changed.
    pub updated_at: Timestamp,
}

/// One event on a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportCaseEvent {
    /// The event id.
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// The caller's deduplication key of the event.
    pub event_key: String,
    /// Where the event came from (`api`, `sdk`, ...).
    pub source_channel: String,
    /// The kind of event.
    pub event_type: String,
    /// The severity.
    pub severity: String,
    /// Who or what caused it.
    pub actor: SupportActor,
    /// A correlation id linking it to other records.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// When it occurred.
    pub occurred_at: Timestamp,
    /// When the server received it.
    pub received_at: Timestamp,
    /// The event's payload, as sent.
    pub payload: Map<String, Value>,
}

/// The result of ingesting an event (`support_telemetry.ingest_event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IngestedEvent {
    /// The event id.
    pub event_id: String,
    /// The case the event was filed under.
    pub case_id: String,
    /// Whether the event opened a new case.
    pub created_case: bool,
    /// Whether an event with the same `event_key` had already been ingested.
    pub deduplicated: bool,
    /// The case's status after the event.
    pub case_status: String,
}

/// A page of support cases (`support_telemetry.list_cases`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportCaseList {
    /// The cases.
    pub items: Vec<SupportCase>,
    /// The number of cases matching the filter, over all pages.
    pub total: u64,
}

/// A case with a page of its events (`support_telemetry.get_case`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SupportCaseDetail {
    /// The case.
    pub case: SupportCase,
    /// The requested page of its events.
    pub events: Vec<SupportCaseEvent>,
    /// The number of events of the case, over all pages.
    pub event_total: u64,
}

/// The lifecycle fields of a case after a patch (`support_telemetry.patch_case`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchedSupportCase {
    /// The case id.
    pub id: String,
    /// The status.
    pub status: String,
    /// The priority.
    pub priority: String,
    /// The assignee.
    #[serde(default)]
    pub assigned_to_user_id: Option<String>,
    /// When the case was resolved.
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    /// When the case was last changed.
    pub updated_at: Timestamp,
}

/// A case found by its external reference (`support_telemetry.get_case_by_external_ref`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalSupportCase {
    /// The case id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// The external reference.
    #[serde(default)]
    pub external_case_ref: Option<String>,
    /// The status.
    pub status: String,
    /// The priority.
    pub priority: String,
    /// The assignee.
    #[serde(default)]
    pub assigned_to_user_id: Option<String>,
    /// When the case was resolved.
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    /// When the case was last changed.
    pub updated_at: Timestamp,
}

/// `{"case": ..}`, the shape of the patch and lookup-by-reference results.
#[derive(Debug, Deserialize)]
pub struct CaseResult<T> {
    case: T,
}

impl From<CaseResult<PatchedSupportCase>> for PatchedSupportCase {
    fn from(result: CaseResult<PatchedSupportCase>) -> Self {
        result.case
    }
}

impl From<CaseResult<ExternalSupportCase>> for ExternalSupportCase {
    fn from(result: CaseResult<ExternalSupportCase>) -> Self {
        result.case
    }
}
