//! Entitlement reads of the mock SPAPS (API key only, as in the contract).

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{
    invalid, now, plus, query, query_limit, query_non_empty, rfc3339, Outcome, State,
    APPLICATION_ID, DEMO_EMAIL,
};
use crate::matching::ObservedRequest;

/// Page size of `GET /api/entitlements` when no `limit` is given, and the largest.
const MAX_LIST: usize = 100;

#[derive(Debug)]
pub(super) struct Entitlement {
    id: &'static str,
    /// Held by email: it belongs to whichever user signs in with it.
    email: &'static str,
    key: &'static str,
    source: &'static str,
    starts_at: OffsetDateTime,
    ends_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
    revoked_reason: Option<&'static str>,
    manual_grant_reason: Option<&'static str>,
    stripe_subscription_id: Option<&'static str>,
    stripe_product_id: Option<&'static str>,
    /// `(resource_type, resource_id)` it is scoped to.
    resource: Option<(&'static str, &'static str)>,
}

impl Entitlement {
    fn is_active(&self, at: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.starts_at <= at && self.ends_at.is_none_or(|e| e > at)
    }

    fn is_expired(&self, at: OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|e| e <= at)
    }

    /// Whether it fits the `resource_type`/`resource_id` filters (each when given).
    fn in_resource(&self, resource_type: Option<&str>, resource_id: Option<&str>) -> bool {
        let (t, i) = self.resource.unzip();
        resource_type.is_none_or(|rt| t == Some(rt)) && resource_id.is_none_or(|ri| i == Some(ri))
    }

    fn json(&self, user_id: Option<&str>) -> Value {
        let manual = self.source == "manual";
        json!({
            "id": self.id,
            "application_id": APPLICATION_ID,
            "beneficiary_user_id": user_id,
            "beneficiary_email": self.email,
            "entitlement_key": self.key,
            "source": self.source,
            "starts_at": rfc3339(self.starts_at),
            "ends_at": self.ends_at.map(rfc3339),
            "revoked_at": self.revoked_at.map(rfc3339),
            "crypto_invoice_id": null,
            "stripe_subscription_id": self.stripe_subscription_id,
            "stripe_session_id": null,
            "stripe_invoice_id": null,
            "stripe_product_id": self.stripe_product_id,
            "manual_grant_id": manual.then(|| format!("grant_{}", self.id)),
            "manual_grant_reason": self.manual_grant_reason,
            "granted_by_user_id": null,
            "revoked_by_user_id": null,
            "revoked_reason": self.revoked_reason,
            "resource_type": self.resource.map(|r| r.0),
            "resource_id": self.resource.map(|r| r.1),
            "metadata": {},
            "created_at": rfc3339(self.starts_at),
            "updated_at": rfc3339(self.revoked_at.unwrap_or(self.starts_at)),
        })
    }
}

/// The entitlements of the module docs, timed around `started`.
pub(super) fn seed(started: OffsetDateTime) -> Vec<Entitlement> {
    let days = |n: i64| plus(started, n * 24 * 3600);
    let base = |id, key, source, starts_at| Entitlement {
        id,
        email: DEMO_EMAIL,
        key,
        source,
        starts_at,
        ends_at: None,
        revoked_at: None,
        revoked_reason: None,
        manual_grant_reason: None,
        stripe_subscription_id: None,
        stripe_product_id: None,
        resource: None,
    };
    vec![
        Entitlement {
            ends_at: Some(days(335)),
            stripe_subscription_id: Some("sub_mock_1"),
            stripe_product_id: Some("prod_mock_pro"),
            ..base("ent_mock_1", "pro_plan", "stripe_subscription", days(-30))
        },
        Entitlement {
            manual_grant_reason: Some("Seat on the team of org_mock_1"),
            resource: Some(("org", "org_mock_1")),
            ..base("ent_mock_2", "team_seat", "manual", days(-7))
        },
        Entitlement {
            ends_at: Some(days(-30)),
            manual_grant_reason: Some("Beta programme"),
            ..base("ent_mock_3", "beta_access", "manual", days(-90))
        },
        Entitlement {
            revoked_at: Some(days(-10)),
            revoked_reason: Some("Programme ended"),
            manual_grant_reason: Some("Early adopter"),
            ..base("ent_mock_4", "early_adopter", "manual", days(-60))
        },
    ]
}

impl State {
    /// Whether `user_id` holds an active `key` entitlement (within the resource, when
    /// given).
    pub(super) fn holds(
        &self,
        user_id: &str,
        key: &str,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> bool {
        let Some(email) = self.email_of(user_id) else {
            return false;
        };
        let at = now();
        self.entitlements.iter().any(|e| {
            e.email == email
                && e.key == key
                && e.is_active(at)
                && e.in_resource(resource_type, resource_id)
        })
    }

    /// `GET /api/entitlements/check`.
    pub(super) fn check_access(&mut self, req: &ObservedRequest) -> Outcome {
        let (Some(user_id), Some(key)) =
            (query_non_empty(req, "user_id"), query_non_empty(req, "key"))
        else {
            return invalid("user_id and key are required");
        };
        let has = self.holds(
            user_id,
            key,
            query_non_empty(req, "resource_type"),
            query_non_empty(req, "resource_id"),
        );
        Outcome::Ok(json!({
            "has_entitlement": has,
            "user_id": user_id,
            "entitlement_key": key,
        }))
    }

    /// `GET /api/entitlements`.
    pub(super) fn list_entitlements(&mut self, req: &ObservedRequest) -> Outcome {
        let user_id = query_non_empty(req, "user_id");
        let email = query_non_empty(req, "email").map(str::to_ascii_lowercase);
        if user_id.is_none() && email.is_none() {
            return invalid("Either user_id or email is required");
        }
        let limit = match query_limit(req, MAX_LIST, MAX_LIST) {
            Ok(limit) => limit,
            Err(outcome) => return outcome,
        };
        // A user id nobody signed in with matches nothing.
        let user_email = user_id.map(|id| self.email_of(id).unwrap_or_default());
        let key = query_non_empty(req, "entitlement_key");
        let include_expired = query(req, "include_expired") == Some("true");
        let include_revoked = query(req, "include_revoked") == Some("true");
        let resource_type = query_non_empty(req, "resource_type");
        let resource_id = query_non_empty(req, "resource_id");
        let at = now();
        let list: Vec<Value> = self
            .entitlements
            .iter()
            .filter(|e| {
                user_email.is_none_or(|u| e.email == u)
                    && email.as_deref().is_none_or(|m| e.email == m)
                    && key.is_none_or(|k| e.key == k)
                    && (include_expired || !e.is_expired(at))
                    && (include_revoked || e.revoked_at.is_none())
                    && e.in_resource(resource_type, resource_id)
            })
            .take(limit)
            .map(|e| e.json(self.users.get(e.email).map(String::as_str)))
            .collect();
        Outcome::Ok(json!({"count": list.len(), "entitlements": list}))
    }
}
