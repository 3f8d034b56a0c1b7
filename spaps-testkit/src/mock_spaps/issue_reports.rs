//! Issue reports: each opens a support case (its `linked_case`); replies are child
//! reports on the same case; the status summary counts the caller's reports.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{
    body, fail, invalid, offset_page, ok, plus, query_limit, query_non_empty, query_offset_named,
    rfc3339, Outcome, Res,
};
use super::{State, APPLICATION_ID};
use crate::observed::ObservedRequest;

/// Who reports without a bearer token.
const ANONYMOUS: &str = "anonymous";

#[derive(Debug, Default)]
pub(crate) struct Issues {
    list: Vec<Issue>,
}

#[derive(Debug, Clone)]
struct Issue {
    id: String,
    reporter: String,
    role_hint: Option<String>,
    target: Map<String, Value>,
    note: String,
    parent: Option<String>,
    case_id: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl State {
    fn issue_json(&self, i: &Issue) -> Value {
        let link = self
            .support
            .get(&i.case_id)
            .map(|c| c.link())
            .unwrap_or_else(|| json!({"case_id": i.case_id, "status": "open", "priority": "normal", "resolved_at": null}));
        let status = match link["status"].as_str() {
            Some("resolved" | "closed") => "resolved",
            _ => "open",
        };
        json!({
            "id": i.id,
            "application_id": APPLICATION_ID,
            "reporter_user_id": i.reporter,
            "reporter_role_hint": i.role_hint,
            "target": i.target,
            "note": i.note,
            "status": status,
            "parent_issue_report_id": i.parent,
            "linked_case": link,
            "created_at": rfc3339(i.created_at),
            "updated_at": rfc3339(i.updated_at),
        })
    }

    fn reporter(&mut self, req: &ObservedRequest) -> Result<String, Outcome> {
        Ok(self
            .maybe_bearer(req)?
            .map_or_else(|| ANONYMOUS.to_owned(), |s| s.user_id))
    }

    pub(crate) fn route_issue_reports(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "v1", "issue-reports", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("POST", []) => self.create_issue(req),
            ("GET", []) => self.list_issues(req),
            ("GET", ["status"]) => self.issue_status(req),
            ("GET", [id]) => self.get_issue(req, id),
            ("PATCH", [id]) => self.update_issue(req, id),
            ("POST", [id, "replies"]) => self.reply_issue(req, id),
            _ => return None,
        })
    }

    fn issue_index(&self, id: &str) -> Result<usize, Outcome> {
        self.issues
            .list
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(|| fail(404, "ISSUE_REPORT_NOT_FOUND", "No such issue report"))
    }

    fn create_issue(&mut self, req: &ObservedRequest) -> Res {
        let reporter = self.reporter(req)?;
        let b = body(req)?;
        let target = b.object("target")?;
        for key in ["component_key", "component_label", "page_url"] {
            if target
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(|v| v.trim().is_empty())
            {
                return Err(invalid(format!("target.{key} is required")));
            }
        }
        if target
            .get("metadata")
            .is_some_and(|m| !m.is_object() && !m.is_null())
        {
            return Err(invalid("target.metadata must be an object"));
        }
        let mut target = target;
        if !target.get("metadata").is_some_and(Value::is_object) {
            target.insert("metadata".to_owned(), json!({}));
        }
        let note = b.text("note")?;
        let role_hint = b.opt_text("reporter_role_hint")?;
        let label = target["component_label"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let case_id = self.open_case(&format!("Issue report: {label}"), "warning");
        let issue = Issue {
            id: self.next_id("ir"),
            reporter,
            role_hint,
            target,
            note,
            parent: None,
            case_id,
            created_at: self.now,
            updated_at: self.now,
        };
        let json = self.issue_json(&issue);
        self.issues.list.push(issue);
        ok(json)
    }

    fn list_issues(&mut self, req: &ObservedRequest) -> Res {
        let reporter = self.reporter(req)?;
        let limit = query_limit(req, 50, 200)?;
        let offset = query_offset_named(req, "offset")?;
        let status = query_non_empty(req, "status");
        if status.is_some_and(|s| s != "open" && s != "resolved") {
            return Err(invalid("status must be open or resolved"));
        }
        let all: Vec<Value> = self
            .issues
            .list
            .iter()
            .rev()
            .filter(|i| i.reporter == reporter)
            .map(|i| self.issue_json(i))
            .filter(|v| status.is_none_or(|s| v["status"] == s))
            .collect();
        let total = all.len();
        ok(json!({"items": offset_page(all, offset, limit), "total": total}))
    }

    fn issue_status(&mut self, req: &ObservedRequest) -> Res {
        let reporter = self.reporter(req)?;
        let week_ago = plus(self.now, -7 * 24 * 3600);
        let (mut open, mut resolved) = (0, 0);
        for i in self.issues.list.iter().filter(|i| i.reporter == reporter) {
            let case = self.support.get(&i.case_id);
            match case.map(|c| (c.status.as_str(), c.resolved_at)) {
                Some(("resolved" | "closed", at)) => {
                    if at.is_none_or(|t| t >= week_ago) {
                        resolved += 1;
                    }
                }
                _ => open += 1,
            }
        }
        ok(json!({
            "has_open": open > 0,
            "has_recent_resolved": resolved > 0,
            "open_count": open,
            "recent_resolved_count": resolved,
        }))
    }

    fn get_issue(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.maybe_bearer(req)?;
        let i = self.issue_index(id)?;
        ok(self.issue_json(&self.issues.list[i]))
    }

    fn update_issue(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.maybe_bearer(req)?;
        let b = body(req)?;
        let note = b.text("note")?;
        let i = self.issue_index(id)?;
        let now = self.now;
        let issue = &mut self.issues.list[i];
        issue.note = note;
        issue.updated_at = now;
        ok(self.issue_json(&self.issues.list[i]))
    }

    fn reply_issue(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let reporter = self.reporter(req)?;
        let b = body(req)?;
        let note = b.text("note")?;
        let role_hint = b.opt_text("reporter_role_hint")?;
        let parent = self.issues.list[self.issue_index(id)?].clone();
        let reply = Issue {
            id: self.next_id("ir"),
            reporter,
            role_hint,
            target: parent.target,
            note,
            parent: Some(parent.id),
            case_id: parent.case_id,
            created_at: self.now,
            updated_at: self.now,
        };
        let json = self.issue_json(&reply);
        self.issues.list.push(reply);
        ok(json)
    }
}
