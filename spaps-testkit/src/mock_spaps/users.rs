//! Batch user lookups (API key only).

use serde_json::{json, Map, Value};

use super::support::{body, invalid, ok, Outcome, Res};
use super::State;
use crate::observed::ObservedRequest;

/// The most ids one lookup takes.
const MAX_IDS: usize = 100;

fn user_ids(req: &ObservedRequest) -> Result<Vec<String>, Outcome> {
    let b = body(req)?;
    let list = b
        .opt_array("user_ids")?
        .ok_or_else(|| invalid("user_ids is required"))?;
    if list.is_empty() || list.len() > MAX_IDS {
        return Err(invalid(format!("user_ids must hold 1 to {MAX_IDS} ids")));
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| invalid("user_ids must be non-empty strings"))
        })
        .collect()
}

impl State {
    pub(crate) fn route_users(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("POST", ["api", "users", "emails"]) => self.emails_batch(req),
            ("POST", ["api", "users", "batch"]) => self.users_batch(req),
            _ => return None,
        })
    }

    fn emails_batch(&mut self, req: &ObservedRequest) -> Res {
        let ids = user_ids(req)?;
        let mut emails = Map::new();
        for id in &ids {
            emails.insert(id.clone(), json!(self.users.email_of(id)));
        }
        let with_email = emails.values().filter(|v| !v.is_null()).count();
        ok(json!({"emails": emails, "total": emails.len(), "with_email": with_email}))
    }

    fn users_batch(&mut self, req: &ObservedRequest) -> Res {
        let ids = user_ids(req)?;
        let mut users = Map::new();
        for id in &ids {
            let info: Value = json!({
                "email": self.users.email_of(id),
                "active_entitlements": self.active_entitlements(id),
                "upcoming_bookings": self.upcoming_bookings(id),
            });
            users.insert(id.clone(), info);
        }
        ok(json!({ "users": users }))
    }
}
