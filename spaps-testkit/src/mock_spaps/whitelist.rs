//! The application's whitelist: check (API key), list, add, update, remove (admin).

use serde_json::{json, Map, Value};

use super::support::{
    body, fail, invalid, is_email, offset_page, ok, query_limit, query_non_empty,
    query_offset_named, Res,
};
use super::{State, APPLICATION_ID};
use crate::observed::ObservedRequest;

#[derive(Debug, Default)]
pub(crate) struct Whitelist {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    email: String,
    tier: String,
    bypass_payment: bool,
    metadata: Option<Map<String, Value>>,
}

impl Entry {
    fn json(&self) -> Value {
        json!({
            "email": self.email,
            "application_id": APPLICATION_ID,
            "tier": self.tier,
            "bypass_payment": self.bypass_payment,
            "metadata": self.metadata,
        })
    }
}

impl Whitelist {
    pub(crate) fn seed(&mut self, email: &str) {
        self.entries.push(Entry {
            email: email.to_owned(),
            tier: "premium".to_owned(),
            bypass_payment: true,
            metadata: Some(Map::from_iter([("source".to_owned(), json!("seed"))])),
        });
    }

    fn position(&self, email: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.email.eq_ignore_ascii_case(email.trim()))
    }
}

impl State {
    pub(crate) fn route_whitelist(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "v1", "whitelist", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("GET", ["check"]) => self.whitelist_check(req),
            ("GET", []) => self.whitelist_list(req),
            ("POST", []) => self.whitelist_add(req),
            ("PUT", [email]) => self.whitelist_update(req, email),
            ("DELETE", [email]) => self.whitelist_remove(req, email),
            _ => return None,
        })
    }

    fn whitelist_check(&mut self, req: &ObservedRequest) -> Res {
        let Some(email) = query_non_empty(req, "email") else {
            return Err(invalid("email is required"));
        };
        ok(match self.whitelist.position(email) {
            Some(i) => json!({
                "message": "Email is whitelisted",
                "whitelisted": true,
                "entry": self.whitelist.entries[i].json(),
            }),
            None => json!({
                "message": format!("Email {email} is not whitelisted"),
                "whitelisted": false,
                "entry": null,
            }),
        })
    }

    fn whitelist_list(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let limit = query_limit(req, 10, 1000)?;
        let offset = query_offset_named(req, "offset")?;
        let tier = query_non_empty(req, "tier");
        let all: Vec<Value> = self
            .whitelist
            .entries
            .iter()
            .filter(|e| tier.is_none_or(|t| e.tier == t))
            .map(Entry::json)
            .collect();
        let total = all.len();
        ok(
            json!({"entries": offset_page(all, offset, limit), "total": total, "limit": limit, "offset": offset}),
        )
    }

    fn whitelist_add(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let email = b.text("email")?.trim().to_ascii_lowercase();
        if !is_email(&email) {
            return Err(invalid("email is not an email address"));
        }
        let entry = Entry {
            tier: b.opt_text("tier")?.unwrap_or_else(|| "premium".to_owned()),
            bypass_payment: b.opt_bool("bypass_payment")?.unwrap_or(true),
            metadata: b.opt_object("metadata")?,
            email,
        };
        if self.whitelist.position(&entry.email).is_some() {
            return Err(fail(409, "CONFLICT", "This email is already whitelisted"));
        }
        let json = entry.json();
        self.whitelist.entries.push(entry);
        ok(json!({"entry": json, "message": "Email added to whitelist"}))
    }

    fn whitelist_update(&mut self, req: &ObservedRequest, email: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let tier = b.opt_text("tier")?;
        let bypass = b.opt_bool("bypass_payment")?;
        let metadata = b.opt_object("metadata")?;
        let Some(i) = self.whitelist.position(email) else {
            return Err(fail(
                404,
                "WHITELIST_ENTRY_NOT_FOUND",
                "This email is not whitelisted",
            ));
        };
        let entry = &mut self.whitelist.entries[i];
        if let Some(t) = tier {
            entry.tier = t;
        }
        if let Some(bp) = bypass {
            entry.bypass_payment = bp;
        }
        if metadata.is_some() {
            entry.metadata = metadata;
        }
        ok(json!({"entry": entry.json(), "message": "Whitelist entry updated"}))
    }

    fn whitelist_remove(&mut self, req: &ObservedRequest, email: &str) -> Res {
        self.admin(req)?;
        let Some(i) = self.whitelist.position(email) else {
            return Err(fail(
                404,
                "WHITELIST_ENTRY_NOT_FOUND",
                "This email is not whitelisted",
            ));
        };
        let entry = self.whitelist.entries.remove(i);
        ok(json!({"message": format!("Email {} removed from whitelist", entry.email)}))
    }
}
