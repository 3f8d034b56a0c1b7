//! Entitlements: reads (API key only), claims, manual grants and revocation, the change
//! feed, purchase history, and expiry on the mock's clock. Every change is a change
//! event and an `entitlement.*` webhook.

use serde_json::{json, Map, Value};
use time::{Duration as TimeDuration, OffsetDateTime};

use super::support::{
    body, fail, invalid, ok, parse_time, plus, query, query_limit, query_non_empty, rfc3339, Res,
};
use super::{State, APPLICATION_ID, DEMO_EMAIL};
use crate::observed::ObservedRequest;

/// The largest page of `GET /api/entitlements`, and its default.
const MAX_LIST: usize = 100;
/// The largest page of `GET /api/entitlements/changes`.
const MAX_CHANGES: usize = 1000;

#[derive(Debug, Default)]
pub(crate) struct Entitlements {
    list: Vec<Entitlement>,
    /// The change feed, oldest first; `created_at` values are unique and increasing.
    changes: Vec<(OffsetDateTime, Value)>,
    history: Vec<Purchase>,
}

#[derive(Debug, Clone)]
struct Entitlement {
    id: String,
    user_id: Option<String>,
    email: Option<String>,
    key: String,
    source: String,
    starts_at: OffsetDateTime,
    ends_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
    revoked_reason: Option<String>,
    revoked_by: Option<String>,
    manual_grant_id: Option<String>,
    manual_grant_reason: Option<String>,
    granted_by: Option<String>,
    stripe_subscription_id: Option<String>,
    stripe_session_id: Option<String>,
    stripe_product_id: Option<String>,
    crypto_invoice_id: Option<String>,
    /// `(resource_type, resource_id)` it is scoped to.
    resource: Option<(String, String)>,
    metadata: Map<String, Value>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    /// Whether `entitlement.expired` was raised for the current `ends_at`.
    expiry_seen: bool,
}

#[derive(Debug, Clone)]
struct Purchase {
    id: String,
    entitlement_id: String,
    purchased_at: OffsetDateTime,
    amount: Option<f64>,
    currency: Option<String>,
    product_name: Option<String>,
}

impl Entitlement {
    fn new(id: String, key: &str, source: &str, starts_at: OffsetDateTime) -> Entitlement {
        Entitlement {
            id,
            user_id: None,
            email: None,
            key: key.to_owned(),
            source: source.to_owned(),
            starts_at,
            ends_at: None,
            revoked_at: None,
            revoked_reason: None,
            revoked_by: None,
            manual_grant_id: None,
            manual_grant_reason: None,
            granted_by: None,
            stripe_subscription_id: None,
            stripe_session_id: None,
            stripe_product_id: None,
            crypto_invoice_id: None,
            resource: None,
            metadata: Map::new(),
            created_at: starts_at,
            updated_at: starts_at,
            expiry_seen: false,
        }
    }

    fn is_active(&self, at: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.starts_at <= at && self.ends_at.is_none_or(|e| e > at)
    }

    fn is_expired(&self, at: OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|e| e <= at)
    }

    /// Whether it fits the `resource_type`/`resource_id` filters (each when given).
    fn in_resource(&self, resource_type: Option<&str>, resource_id: Option<&str>) -> bool {
        let (t, i) = match &self.resource {
            Some((t, i)) => (Some(t.as_str()), Some(i.as_str())),
            None => (None, None),
        };
        resource_type.is_none_or(|rt| t == Some(rt)) && resource_id.is_none_or(|ri| i == Some(ri))
    }

    fn status(&self, at: OffsetDateTime) -> &'static str {
        if self.revoked_at.is_some() {
            if self.source.starts_with("stripe") {
                "canceled"
            } else {
                "revoked"
            }
        } else if self.is_expired(at) {
            "expired"
        } else {
            "active"
        }
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "application_id": APPLICATION_ID,
            "beneficiary_user_id": self.user_id,
            "beneficiary_email": self.email,
            "entitlement_key": self.key,
            "source": self.source,
            "starts_at": rfc3339(self.starts_at),
            "ends_at": self.ends_at.map(rfc3339),
            "revoked_at": self.revoked_at.map(rfc3339),
            "crypto_invoice_id": self.crypto_invoice_id,
            "stripe_subscription_id": self.stripe_subscription_id,
            "stripe_session_id": self.stripe_session_id,
            "stripe_invoice_id": null,
            "stripe_product_id": self.stripe_product_id,
            "manual_grant_id": self.manual_grant_id,
            "manual_grant_reason": self.manual_grant_reason,
            "granted_by_user_id": self.granted_by,
            "revoked_by_user_id": self.revoked_by,
            "revoked_reason": self.revoked_reason,
            "resource_type": self.resource.as_ref().map(|r| &r.0),
            "resource_id": self.resource.as_ref().map(|r| &r.1),
            "metadata": self.metadata,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    fn state(&self) -> Value {
        json!({
            "starts_at": rfc3339(self.starts_at),
            "ends_at": self.ends_at.map(rfc3339),
            "revoked_at": self.revoked_at.map(rfc3339),
            "beneficiary_user_id": self.user_id,
        })
    }
}

impl Entitlements {
    /// The demo account's entitlements, timed around `now`.
    pub(crate) fn seed(&mut self, user_id: &str, now: OffsetDateTime) {
        let days = |n: i64| plus(now, n * 24 * 3600);
        let base = |id: &str, key: &str, source: &str, starts_at| {
            let mut e = Entitlement::new(id.to_owned(), key, source, starts_at);
            e.user_id = Some(user_id.to_owned());
            e.email = Some(DEMO_EMAIL.to_owned());
            e
        };
        let mut pro = base("ent_mock_1", "pro_plan", "stripe_subscription", days(-30));
        pro.ends_at = Some(days(335));
        pro.stripe_subscription_id = Some("sub_mock_1".to_owned());
        pro.stripe_product_id = Some("prod_mock_pro".to_owned());
        let mut team = base("ent_mock_2", "team_seat", "manual", days(-7));
        team.manual_grant_id = Some("grant_ent_mock_2".to_owned());
        team.manual_grant_reason = Some("Seat on the team of org_mock_1".to_owned());
        team.resource = Some(("org".to_owned(), "org_mock_1".to_owned()));
        let mut beta = base("ent_mock_3", "beta_access", "manual", days(-90));
        beta.ends_at = Some(days(-30));
        beta.expiry_seen = true;
        beta.manual_grant_id = Some("grant_ent_mock_3".to_owned());
        beta.manual_grant_reason = Some("Beta programme".to_owned());
        let mut early = base("ent_mock_4", "early_adopter", "manual", days(-60));
        early.revoked_at = Some(days(-10));
        early.updated_at = days(-10);
        early.revoked_reason = Some("Programme ended".to_owned());
        early.manual_grant_id = Some("grant_ent_mock_4".to_owned());
        early.manual_grant_reason = Some("Early adopter".to_owned());
        self.history.push(Purchase {
            id: "ph_mock_1".to_owned(),
            entitlement_id: pro.id.clone(),
            purchased_at: pro.starts_at,
            amount: Some(20.0),
            currency: Some("usd".to_owned()),
            product_name: Some("Pro".to_owned()),
        });
        self.list.extend([pro, team, beta, early]);
    }
}

impl State {
    /// Whether `user_id` holds an active `key` entitlement (within the resource, when
    /// given).
    pub(crate) fn holds(
        &self,
        user_id: &str,
        key: &str,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> bool {
        let at = self.now;
        self.entitlements.list.iter().any(|e| {
            e.user_id.as_deref() == Some(user_id)
                && e.key == key
                && e.is_active(at)
                && e.in_resource(resource_type, resource_id)
        })
    }

    /// The active entitlements of `user_id`, short form (for users batch).
    pub(crate) fn active_entitlements(&self, user_id: &str) -> Vec<Value> {
        let at = self.now;
        self.entitlements
            .list
            .iter()
            .filter(|e| e.user_id.as_deref() == Some(user_id) && e.is_active(at))
            .map(|e| {
                json!({"entitlement_key": e.key, "ends_at": e.ends_at.map(rfc3339),
                       "resource_type": e.resource.as_ref().map(|r| &r.0),
                       "resource_id": e.resource.as_ref().map(|r| &r.1)})
            })
            .collect()
    }

    /// Records a change of entitlement `index` in the feed and raises its webhook.
    fn changed(&mut self, index: usize, kind: &str, triggered_by: &str, previous: Option<Value>) {
        let e = self.entitlements.list[index].clone();
        let last = self.entitlements.changes.last().map(|c| c.0);
        let at = match last {
            Some(l) if l >= self.now => l + TimeDuration::microseconds(1),
            _ => self.now,
        };
        let change_id = self.next_id("eev");
        let change = json!({
            "id": change_id,
            "entitlement_id": e.id,
            "event_type": kind,
            "application_id": APPLICATION_ID,
            "user_id": e.user_id,
            "email": e.email,
            "entitlement_key": e.key,
            "source": e.source,
            "previous_state": previous,
            "new_state": e.state(),
            "triggered_by": triggered_by,
            "metadata": e.metadata,
            "created_at": rfc3339(at),
        });
        self.entitlements.changes.push((at, change));
        let event_id = self.next_id("evt");
        self.emit(json!({
            "id": event_id,
            "type": format!("entitlement.{kind}"),
            "schema_version": 1,
            "application_id": APPLICATION_ID,
            "created_at": rfc3339(at),
            "data": {
                "entitlement_id": e.id,
                "user_id": e.user_id,
                "email": e.email,
                "entitlement_key": e.key,
                "source": e.source,
                "starts_at": rfc3339(e.starts_at),
                "ends_at": e.ends_at.map(rfc3339),
                "metadata": e.metadata,
            },
        }));
    }

    /// Raises `entitlement.expired` for entitlements whose `ends_at` has passed.
    pub(crate) fn expire_entitlements(&mut self) {
        self.renew_subscriptions();
        let now = self.now;
        let due: Vec<usize> = (0..self.entitlements.list.len())
            .filter(|&i| {
                let e = &self.entitlements.list[i];
                e.revoked_at.is_none() && !e.expiry_seen && e.is_expired(now)
            })
            .collect();
        for i in due {
            let previous = self.entitlements.list[i].state();
            self.entitlements.list[i].expiry_seen = true;
            self.entitlements.list[i].updated_at = now;
            self.changed(i, "expired", "cron", Some(previous));
        }
    }

    /// Extends the entitlements of subscription `sub_id` to `until`
    /// (`entitlement.renewed`).
    pub(crate) fn renew_subscription_entitlements(&mut self, sub_id: &str, until: OffsetDateTime) {
        let now = self.now;
        for i in 0..self.entitlements.list.len() {
            let e = &mut self.entitlements.list[i];
            if e.stripe_subscription_id.as_deref() == Some(sub_id) && e.revoked_at.is_none() {
                let previous = e.state();
                e.ends_at = Some(until);
                e.expiry_seen = false;
                e.updated_at = now;
                self.changed(i, "renewed", "webhook", Some(previous));
            }
        }
    }

    /// Ends the entitlements of subscription `sub_id` at `at` (`entitlement.expired`).
    pub(crate) fn end_subscription_entitlements(
        &mut self,
        sub_id: &str,
        at: OffsetDateTime,
        reason: &str,
    ) {
        for i in 0..self.entitlements.list.len() {
            let e = &mut self.entitlements.list[i];
            if e.stripe_subscription_id.as_deref() == Some(sub_id) && e.revoked_at.is_none() {
                let previous = e.state();
                e.ends_at = Some(at);
                e.expiry_seen = true;
                e.updated_at = at;
                e.metadata.insert("ended_because".to_owned(), json!(reason));
                self.changed(i, "expired", "webhook", Some(previous));
            }
        }
    }

    /// Notes a change of subscription `sub_id` on its entitlements
    /// (`entitlement.updated`).
    pub(crate) fn mark_subscription_entitlements(&mut self, sub_id: &str, change: Value) {
        let now = self.now;
        for i in 0..self.entitlements.list.len() {
            let e = &mut self.entitlements.list[i];
            if e.stripe_subscription_id.as_deref() == Some(sub_id) && e.revoked_at.is_none() {
                let previous = e.state();
                if let Value::Object(map) = &change {
                    e.metadata.extend(map.clone());
                }
                e.updated_at = now;
                self.changed(i, "updated", "webhook", Some(previous));
            }
        }
    }

    /// Grants the entitlement a purchase pays for, and records the purchase.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn grant_purchase(
        &mut self,
        user_id: Option<&str>,
        email: Option<&str>,
        key: &str,
        product_id: &str,
        product_name: &str,
        amount_minor: i64,
        currency: &str,
        subscription: Option<&str>,
        checkout_session: Option<&str>,
        ends_at: Option<OffsetDateTime>,
    ) {
        let id = self.next_id("ent");
        let source = if subscription.is_some() {
            "stripe_subscription"
        } else {
            "stripe_checkout"
        };
        let mut e = Entitlement::new(id.clone(), key, source, self.now);
        e.user_id = user_id.map(str::to_owned);
        e.email = email.map(str::to_owned);
        e.ends_at = ends_at;
        e.stripe_subscription_id = subscription.map(str::to_owned);
        e.stripe_session_id = checkout_session.map(str::to_owned);
        e.stripe_product_id = Some(product_id.to_owned());
        self.entitlements.list.push(e);
        let ph = self.next_id("ph");
        self.entitlements.history.push(Purchase {
            id: ph,
            entitlement_id: id,
            purchased_at: self.now,
            amount: Some(amount_minor as f64 / 100.0),
            currency: Some(currency.to_owned()),
            product_name: Some(product_name.to_owned()),
        });
        let i = self.entitlements.list.len() - 1;
        self.changed(i, "granted", "webhook", None);
    }

    /// Grants `key` for a paid crypto invoice.
    pub(crate) fn grant_crypto(
        &mut self,
        user_id: &str,
        key: &str,
        invoice: &str,
        amount: f64,
        asset: &str,
    ) {
        let id = self.next_id("ent");
        let mut e = Entitlement::new(id.clone(), key, "crypto_invoice", self.now);
        e.user_id = Some(user_id.to_owned());
        e.email = self.users.email_of(user_id).map(str::to_owned);
        e.crypto_invoice_id = Some(invoice.to_owned());
        self.entitlements.list.push(e);
        let ph = self.next_id("ph");
        self.entitlements.history.push(Purchase {
            id: ph,
            entitlement_id: id,
            purchased_at: self.now,
            amount: Some(amount),
            currency: Some(asset.to_owned()),
            product_name: None,
        });
        let i = self.entitlements.list.len() - 1;
        self.changed(i, "granted", "webhook", None);
    }

    /// Loads one fixture entitlement.
    pub(crate) fn add_fixture_entitlement(&mut self, v: &Value) -> Result<(), String> {
        let key = v["entitlement_key"]
            .as_str()
            .ok_or("a fixture entitlement needs an entitlement_key")?;
        let time = |k: &str| -> Result<Option<OffsetDateTime>, String> {
            match v[k].as_str() {
                None => Ok(None),
                Some(t) => parse_time(t)
                    .map(Some)
                    .ok_or_else(|| format!("{k} of a fixture entitlement is not RFC 3339")),
            }
        };
        let starts_at = time("starts_at")?.unwrap_or(self.now);
        let ends_at = time("ends_at")?;
        let email = v["email"].as_str().map(str::to_ascii_lowercase);
        let user_id = match (v["user_id"].as_str(), &email) {
            (Some(u), _) => Some(u.to_owned()),
            (None, Some(e)) => self.users.by_email(e).map(|u| u.id.clone()),
            (None, None) => return Err("a fixture entitlement needs an email or user_id".into()),
        };
        let id = match v["id"].as_str() {
            Some(id) if self.entitlements.list.iter().any(|e| e.id == id) => {
                return Err(format!("entitlement {id} already exists"))
            }
            Some(id) => id.to_owned(),
            None => self.next_id("ent"),
        };
        let source = v["source"].as_str().unwrap_or("manual");
        let mut e = Entitlement::new(id, key, source, starts_at);
        e.email = email.or_else(|| {
            user_id
                .as_deref()
                .and_then(|u| self.users.email_of(u))
                .map(str::to_owned)
        });
        e.user_id = user_id;
        e.ends_at = ends_at;
        e.expiry_seen = ends_at.is_some_and(|t| t <= self.now);
        if let (Some(t), Some(i)) = (v["resource_type"].as_str(), v["resource_id"].as_str()) {
            e.resource = Some((t.to_owned(), i.to_owned()));
        }
        e.metadata = v["metadata"].as_object().cloned().unwrap_or_default();
        self.entitlements.list.push(e);
        Ok(())
    }

    pub(crate) fn route_entitlements(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "entitlements", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("GET", []) => self.list_entitlements(req),
            ("GET", ["check"]) => self.check_access(req),
            ("GET", ["changes"]) => self.entitlement_changes(req),
            ("GET", ["history"]) => self.purchase_history(req),
            ("POST", ["claim"]) => self.claim_pending(req),
            ("POST", ["manual"]) => self.grant_manual(req),
            ("DELETE", [id]) => self.revoke_entitlement(req, id),
            _ => return None,
        })
    }

    /// `GET /api/entitlements/check`.
    fn check_access(&mut self, req: &ObservedRequest) -> Res {
        let (Some(user_id), Some(key)) =
            (query_non_empty(req, "user_id"), query_non_empty(req, "key"))
        else {
            return Err(invalid("user_id and key are required"));
        };
        let has = self.holds(
            user_id,
            key,
            query_non_empty(req, "resource_type"),
            query_non_empty(req, "resource_id"),
        );
        ok(json!({
            "has_entitlement": has,
            "user_id": user_id,
            "entitlement_key": key,
        }))
    }

    /// `GET /api/entitlements`.
    fn list_entitlements(&mut self, req: &ObservedRequest) -> Res {
        let user_id = query_non_empty(req, "user_id");
        let email = query_non_empty(req, "email").map(str::to_ascii_lowercase);
        if user_id.is_none() && email.is_none() {
            return Err(invalid("Either user_id or email is required"));
        }
        let limit = query_limit(req, MAX_LIST, MAX_LIST)?;
        let key = query_non_empty(req, "entitlement_key");
        let include_expired = query(req, "include_expired") == Some("true");
        let include_revoked = query(req, "include_revoked") == Some("true");
        let resource_type = query_non_empty(req, "resource_type");
        let resource_id = query_non_empty(req, "resource_id");
        let at = self.now;
        let list: Vec<Value> = self
            .entitlements
            .list
            .iter()
            .filter(|e| {
                user_id.is_none_or(|u| e.user_id.as_deref() == Some(u))
                    && email.as_deref().is_none_or(|m| {
                        e.email
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case(m))
                    })
                    && key.is_none_or(|k| e.key == k)
                    && (include_expired || !e.is_expired(at))
                    && (include_revoked || e.revoked_at.is_none())
                    && e.in_resource(resource_type, resource_id)
            })
            .take(limit)
            .map(Entitlement::json)
            .collect();
        ok(json!({"count": list.len(), "entitlements": list}))
    }

    /// `GET /api/entitlements/changes`: events after `since` (a `created_at`).
    fn entitlement_changes(&mut self, req: &ObservedRequest) -> Res {
        let limit = query_limit(req, 100, MAX_CHANGES)?;
        let since = match query_non_empty(req, "since") {
            None => None,
            Some(text) => Some(
                parse_time(text).ok_or_else(|| invalid("since must be an RFC 3339 date-time"))?,
            ),
        };
        let after: Vec<&(OffsetDateTime, Value)> = self
            .entitlements
            .changes
            .iter()
            .filter(|(at, _)| since.is_none_or(|s| *at > s))
            .collect();
        let more = after.len() > limit;
        let page: Vec<&(OffsetDateTime, Value)> = after.into_iter().take(limit).collect();
        let cursor = page
            .last()
            .map(|(at, _)| rfc3339(*at))
            .or_else(|| query_non_empty(req, "since").map(str::to_owned));
        let events: Vec<Value> = page.iter().map(|(_, v)| v.clone()).collect();
        ok(json!({"events": events, "cursor": cursor, "has_more": more}))
    }

    /// `GET /api/entitlements/history`.
    fn purchase_history(&mut self, req: &ObservedRequest) -> Res {
        let Some(user_id) = query_non_empty(req, "user_id") else {
            return Err(invalid("user_id is required"));
        };
        let at = self.now;
        let list = &self.entitlements.list;
        let history: Vec<Value> = self
            .entitlements
            .history
            .iter()
            .rev()
            .filter_map(|p| {
                let e = list.iter().find(|e| e.id == p.entitlement_id)?;
                (e.user_id.as_deref() == Some(user_id)).then(|| {
                    json!({
                        "id": p.id,
                        "entitlement_key": e.key,
                        "source": e.source,
                        "status": e.status(at),
                        "purchased_at": rfc3339(p.purchased_at),
                        "starts_at": rfc3339(e.starts_at),
                        "ends_at": e.ends_at.map(rfc3339),
                        "amount": p.amount,
                        "currency": p.currency,
                        "stripe_invoice_id": null,
                        "stripe_subscription_id": e.stripe_subscription_id,
                        "crypto_invoice_id": e.crypto_invoice_id,
                        "product_name": p.product_name,
                    })
                })
            })
            .collect();
        ok(json!({"count": history.len(), "history": history}))
    }

    /// `POST /api/entitlements/claim`: grants waiting for the signed-in user's email.
    fn claim_pending(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        body(req)?;
        let email = self.users.email_of(&session.user_id).map(str::to_owned);
        let now = self.now;
        let mut claimed = Vec::new();
        for i in 0..self.entitlements.list.len() {
            let e = &mut self.entitlements.list[i];
            let mine = e.user_id.is_none()
                && email.as_deref().is_some_and(|m| {
                    e.email
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(m))
                });
            if mine && e.revoked_at.is_none() {
                let previous = e.state();
                e.user_id = Some(session.user_id.clone());
                e.updated_at = now;
                claimed.push(e.json());
                self.changed(i, "claimed", "claim", Some(previous));
            }
        }
        ok(json!({"count": claimed.len(), "claimed": claimed}))
    }

    /// `POST /api/entitlements/manual`.
    fn grant_manual(&mut self, req: &ObservedRequest) -> Res {
        let admin = self.admin(req)?;
        let b = body(req)?;
        let key = b.text("entitlement_key")?;
        let user_id = b.opt_text("beneficiary_user_id")?.filter(|u| !u.is_empty());
        let email = b
            .opt_text("beneficiary_email")?
            .filter(|e| !e.is_empty())
            .map(|e| e.to_ascii_lowercase());
        let starts_at = b.opt_time("starts_at")?.unwrap_or(self.now);
        let ends_at = b.opt_time("ends_at")?;
        let reason = b.opt_text("reason")?;
        let metadata = b.opt_object("metadata")?.unwrap_or_default();
        let resource_type = b.opt_text("resource_type")?;
        let resource_id = b.opt_text("resource_id")?;
        if resource_type
            .as_deref()
            .is_some_and(|t| !matches!(t, "user" | "company" | "system" | "org"))
        {
            return Err(invalid(
                "resource_type must be user, company, system or org",
            ));
        }
        if resource_type.is_some() != resource_id.is_some() {
            return Err(invalid("resource_type and resource_id go together"));
        }
        if ends_at.is_some_and(|e| e <= starts_at) {
            return Err(invalid("ends_at must be after starts_at"));
        }
        let (user_id, email) = match (user_id, email) {
            (None, None) => {
                return Err(invalid(
                    "beneficiary_user_id or beneficiary_email is required",
                ))
            }
            (Some(u), e) => {
                let Some(user) = self.users.get(&u) else {
                    return Err(fail(404, "USER_NOT_FOUND", "No such user"));
                };
                let email = e.or_else(|| user.email.clone());
                (Some(u), email)
            }
            (None, Some(e)) => {
                if !super::support::is_email(&e) {
                    return Err(invalid("beneficiary_email is not an email"));
                }
                (self.users.by_email(&e).map(|u| u.id.clone()), Some(e))
            }
        };
        let resource = resource_type.zip(resource_id);
        let now = self.now;
        let duplicate = self.entitlements.list.iter().any(|e| {
            e.key == key
                && e.is_active(now)
                && e.resource == resource
                && match &user_id {
                    Some(u) => e.user_id.as_deref() == Some(u),
                    None => e.user_id.is_none() && e.email == email,
                }
        });
        if duplicate {
            return Err(fail(
                409,
                "CONFLICT",
                "The beneficiary already holds this entitlement",
            ));
        }
        let id = self.next_id("ent");
        let mut e = Entitlement::new(id, &key, "manual", starts_at);
        e.created_at = now;
        e.updated_at = now;
        e.user_id = user_id;
        e.email = email;
        e.ends_at = ends_at;
        e.manual_grant_id = Some(self.next_id("mg"));
        e.manual_grant_reason = reason;
        e.granted_by = Some(admin.user_id);
        e.resource = resource;
        e.metadata = metadata;
        let json = e.json();
        self.entitlements.list.push(e);
        let i = self.entitlements.list.len() - 1;
        self.changed(i, "granted", "api", None);
        ok(json!({ "entitlement": json }))
    }

    /// `DELETE /api/entitlements/{id}`.
    fn revoke_entitlement(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let admin = self.admin(req)?;
        let b = body(req)?;
        let reason = b.opt_text("reason")?;
        let now = self.now;
        let Some(i) = self.entitlements.list.iter().position(|e| e.id == id) else {
            return Err(fail(404, "ENTITLEMENT_NOT_FOUND", "No such entitlement"));
        };
        let e = &mut self.entitlements.list[i];
        if e.revoked_at.is_some() {
            return Err(fail(409, "CONFLICT", "The entitlement is already revoked"));
        }
        let previous = e.state();
        e.revoked_at = Some(now);
        e.revoked_reason = reason;
        e.revoked_by = Some(admin.user_id);
        e.updated_at = now;
        let json = e.json();
        self.changed(i, "revoked", "api", Some(previous));
        ok(json!({ "entitlement": json }))
    }
}

impl State {
    /// When the active `key` entitlement of `user_id` ends (the latest, if several).
    pub(crate) fn entitlement_end(&self, user_id: &str, key: &str) -> Option<OffsetDateTime> {
        let at = self.now;
        self.entitlements
            .list
            .iter()
            .filter(|e| e.user_id.as_deref() == Some(user_id) && e.key == key && e.is_active(at))
            .filter_map(|e| e.ends_at)
            .max()
    }
}
