//! Support telemetry: events (deduplicated by `event_key`) open or join cases; cases
//! are listed, read with their events, patched through a status machine, and found by
//! external reference.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::support::{
    body, fail, invalid, offset_page, ok, query_limit, query_limit_named, query_non_empty,
    query_offset_named, rfc3339, Outcome, Res,
};
use super::{State, APPLICATION_ID};
use crate::observed::ObservedRequest;

const SEVERITIES: [&str; 5] = ["debug", "info", "warning", "error", "critical"];
const STATUSES: [&str; 4] = ["open", "investigating", "resolved", "closed"];
const PRIORITIES: [&str; 8] = ["low", "normal", "high", "urgent", "p1", "p2", "p3", "p4"];

#[derive(Debug, Default)]
pub(crate) struct Cases {
    list: Vec<Case>,
}

#[derive(Debug, Clone)]
pub(crate) struct Case {
    id: String,
    application_id: String,
    external_case_ref: Option<String>,
    title: Option<String>,
    pub(crate) status: String,
    pub(crate) priority: String,
    highest_severity: String,
    assigned_to: Option<String>,
    first_event_at: OffsetDateTime,
    last_event_at: OffsetDateTime,
    pub(crate) resolved_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    events: Vec<Value>,
}

fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0)
}

fn allowed(from: &str, to: &str) -> bool {
    from == to
        || matches!(
            (from, to),
            ("open", "investigating" | "resolved" | "closed")
                | ("investigating", "open" | "resolved" | "closed")
                | ("resolved", "open" | "closed")
        )
}

impl Case {
    fn summary(&self) -> Value {
        json!({
            "id": self.id,
            "application_id": self.application_id,
            "external_case_ref": self.external_case_ref,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "highest_severity": self.highest_severity,
            "assigned_to_user_id": self.assigned_to,
            "first_event_at": rfc3339(self.first_event_at),
            "last_event_at": rfc3339(self.last_event_at),
            "resolved_at": self.resolved_at.map(rfc3339),
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// The short form of patch and by-external answers.
    fn fields(&self) -> Value {
        json!({
            "id": self.id,
            "application_id": self.application_id,
            "external_case_ref": self.external_case_ref,
            "status": self.status,
            "priority": self.priority,
            "assigned_to_user_id": self.assigned_to,
            "resolved_at": self.resolved_at.map(rfc3339),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// The issue-report view of the case.
    pub(crate) fn link(&self) -> Value {
        json!({
            "case_id": self.id,
            "status": self.status,
            "priority": self.priority,
            "resolved_at": self.resolved_at.map(rfc3339),
        })
    }
}

impl Cases {
    pub(crate) fn get(&self, id: &str) -> Option<&Case> {
        self.list.iter().find(|c| c.id == id)
    }
}

impl State {
    /// Opens a case (for an issue report); returns its id.
    pub(crate) fn open_case(&mut self, title: &str, severity: &str) -> String {
        let id = self.next_id("case");
        let now = self.now;
        self.support.list.push(Case {
            id: id.clone(),
            application_id: APPLICATION_ID.to_owned(),
            external_case_ref: None,
            title: Some(title.to_owned()),
            status: "open".to_owned(),
            priority: "normal".to_owned(),
            highest_severity: severity.to_owned(),
            assigned_to: None,
            first_event_at: now,
            last_event_at: now,
            resolved_at: None,
            created_at: now,
            updated_at: now,
            events: Vec::new(),
        });
        id
    }

    pub(crate) fn route_support_telemetry(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "v1", "support-telemetry", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("POST", ["events"]) => self.ingest_event(req),
            ("GET", ["cases"]) => self.list_cases(req),
            ("GET", ["cases", "by-external", reference]) => self.case_by_external(req, reference),
            ("GET", ["cases", id]) => self.get_case(req, id),
            ("PATCH", ["cases", id]) => self.patch_case(req, id),
            _ => return None,
        })
    }

    fn ingest_event(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let b = body(req)?;
        let event_key = b.text("event_key")?;
        let occurred_at = b
            .opt_time("occurred_at")?
            .ok_or_else(|| invalid("occurred_at is required"))?;
        let source_channel = b.text("source_channel")?;
        let event_type = b.text("event_type")?;
        let severity = b.text("severity")?;
        if !SEVERITIES.contains(&severity.as_str()) {
            return Err(invalid(
                "severity must be debug, info, warning, error or critical",
            ));
        }
        let actor = b.object("actor")?;
        if !actor.get("type").is_some_and(Value::is_string) {
            return Err(invalid("actor.type is required"));
        }
        let payload = b.object("payload")?;
        let application_id = b
            .opt_text("application_id")?
            .unwrap_or_else(|| APPLICATION_ID.to_owned());
        let correlation_id = b.opt_text("correlation_id")?;
        let external = b.opt_text("external_case_ref")?;
        let title = b.opt_text("title")?;

        // The same event_key is the same event.
        for case in &self.support.list {
            if let Some(e) = case
                .events
                .iter()
                .find(|e| e["event_key"] == event_key.as_str())
            {
                return ok(json!({
                    "event_id": e["id"], "case_id": case.id, "created_case": false,
                    "deduplicated": true, "case_status": case.status,
                }));
            }
        }
        let now = self.now;
        let existing = self.support.list.iter().position(|c| {
            c.status != "closed"
                && c.application_id == application_id
                && (external.is_some() && c.external_case_ref == external
                    || correlation_id.is_some()
                        && c.events
                            .iter()
                            .any(|e| e["correlation_id"].as_str() == correlation_id.as_deref()))
        });
        let created = existing.is_none();
        let index = match existing {
            Some(i) => i,
            None => {
                let id = self.next_id("case");
                self.support.list.push(Case {
                    id,
                    application_id,
                    external_case_ref: external,
                    title: title.clone(),
                    status: "open".to_owned(),
                    priority: match severity.as_str() {
                        "critical" => "urgent",
                        "error" => "high",
                        "warning" => "normal",
                        _ => "low",
                    }
                    .to_owned(),
                    highest_severity: severity.clone(),
                    assigned_to: None,
                    first_event_at: occurred_at,
                    last_event_at: occurred_at,
                    resolved_at: None,
                    created_at: now,
                    updated_at: now,
                    events: Vec::new(),
                });
                self.support.list.len() - 1
            }
        };
        let event_id = self.next_id("sev");
        let case = &mut self.support.list[index];
        case.events.push(json!({
            "id": event_id,
            "case_id": case.id,
            "event_key": event_key,
            "source_channel": source_channel,
            "event_type": event_type,
            "severity": severity,
            "actor": actor,
            "correlation_id": correlation_id,
            "occurred_at": rfc3339(occurred_at),
            "received_at": rfc3339(now),
            "payload": payload,
        }));
        if rank(&severity) > rank(&case.highest_severity) {
            case.highest_severity = severity;
        }
        case.first_event_at = case.first_event_at.min(occurred_at);
        case.last_event_at = case.last_event_at.max(occurred_at);
        if case.title.is_none() {
            case.title = title;
        }
        if case.status == "resolved" {
            case.status = "open".to_owned();
            case.resolved_at = None;
        }
        case.updated_at = now;
        ok(json!({
            "event_id": event_id,
            "case_id": case.id,
            "created_case": created,
            "deduplicated": false,
            "case_status": case.status,
        }))
    }

    fn list_cases(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let limit = query_limit(req, 50, 200)?;
        let offset = query_offset_named(req, "offset")?;
        let app = query_non_empty(req, "application_id");
        let status = query_non_empty(req, "status");
        let priority = query_non_empty(req, "priority");
        let assigned = query_non_empty(req, "assigned_to_user_id");
        let severity = query_non_empty(req, "severity_gte");
        if severity.is_some_and(|s| !SEVERITIES.contains(&s)) {
            return Err(invalid(
                "severity_gte must be debug, info, warning, error or critical",
            ));
        }
        let all: Vec<Value> = self
            .support
            .list
            .iter()
            .rev()
            .filter(|c| {
                app.is_none_or(|a| c.application_id == a)
                    && status.is_none_or(|s| c.status == s)
                    && priority.is_none_or(|p| c.priority == p)
                    && assigned.is_none_or(|a| c.assigned_to.as_deref() == Some(a))
                    && severity.is_none_or(|s| rank(&c.highest_severity) >= rank(s))
            })
            .map(Case::summary)
            .collect();
        let total = all.len();
        ok(json!({"items": offset_page(all, offset, limit), "total": total}))
    }

    fn case_index(&self, id: &str) -> Result<usize, Outcome> {
        self.support
            .list
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| fail(404, "SUPPORT_CASE_NOT_FOUND", "No such support case"))
    }

    fn get_case(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.maybe_bearer(req)?;
        let limit = query_limit_named(req, "event_limit", 100, 500)?;
        let offset = query_offset_named(req, "event_offset")?;
        let case = &self.support.list[self.case_index(id)?];
        ok(json!({
            "case": case.summary(),
            "events": offset_page(case.events.clone(), offset, limit),
            "event_total": case.events.len(),
        }))
    }

    fn patch_case(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.maybe_bearer(req)?;
        let b = body(req)?;
        let status = b.opt_text("status")?;
        let priority = b.opt_text("priority")?;
        let assigned: Option<Option<String>> = match b.0.get("assigned_to_user_id") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => return Err(invalid("assigned_to_user_id must be a string")),
        };
        b.opt_text("resolution_note")?;
        if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
            return Err(invalid(
                "status must be open, investigating, resolved or closed",
            ));
        }
        if priority
            .as_deref()
            .is_some_and(|p| !PRIORITIES.contains(&p))
        {
            return Err(invalid(
                "priority must be low, normal, high, urgent or p1 to p4",
            ));
        }
        let i = self.case_index(id)?;
        let now = self.now;
        let case = &mut self.support.list[i];
        if let Some(to) = &status {
            if !allowed(&case.status, to) {
                return Err(fail(
                    400,
                    "SUPPORT_TELEMETRY_INVALID_TRANSITION",
                    format!("A {} case cannot become {to}", case.status),
                ));
            }
            if to == "resolved" && case.status != "resolved" {
                case.resolved_at = Some(now);
            } else if to == "open" || to == "investigating" {
                case.resolved_at = None;
            }
            case.status.clone_from(to);
        }
        if let Some(p) = priority {
            case.priority = p;
        }
        if let Some(a) = assigned {
            case.assigned_to = a;
        }
        case.updated_at = now;
        ok(json!({ "case": case.fields() }))
    }

    fn case_by_external(&mut self, req: &ObservedRequest, reference: &str) -> Res {
        self.maybe_bearer(req)?;
        let app = query_non_empty(req, "application_id");
        let case = self.support.list.iter().rev().find(|c| {
            c.external_case_ref.as_deref() == Some(reference)
                && app.is_none_or(|a| c.application_id == a)
        });
        match case {
            Some(c) => ok(json!({ "case": c.fields() })),
            None => Err(fail(
                404,
                "SUPPORT_CASE_NOT_FOUND",
                "No case has this external reference",
            )),
        }
    }
}
