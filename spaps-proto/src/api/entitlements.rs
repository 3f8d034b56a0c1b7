//! Entitlements: checks, history, claims, grants, revocation (`/api/entitlements`).
//!
//! The reads send the API key only, never a bearer token (even when one is stored);
//! claiming, granting and revoking need a bearer token.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Shape;
use crate::error::Error;
use crate::model::entitlements::{
    AccessCheck, Entitlement, EntitlementChanges, EntitlementClaim, EntitlementEvent,
    PurchaseHistoryItem,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

/// The entitlements operations of a client: `client.entitlements()`.
#[derive(Debug)]
pub struct EntitlementsApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> EntitlementsApi<'a, X> {
    /// The entitlements operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Lists a user's entitlements, by user id or email: set one of `.user_id(..)` or
    /// `.email(..)` (without either the call fails before sending).
    /// Optional: `.user_id(..)`, `.email(..)`, `.entitlement_key(..)`,
    /// `.include_expired(..)`, `.include_revoked(..)`, `.limit(..)`,
    /// `.resource_type(..)`, `.resource_id(..)`.
    pub fn get_user_entitlements(&self) -> GetUserEntitlements<Bound<'a, X>> {
        GetUserEntitlements::new().on(self.client)
    }

    /// Checks whether a user holds an entitlement.
    /// Optional: `.resource_type(..)`, `.resource_id(..)`.
    pub fn check_access(
        &self,
        user_id: impl Into<String>,
        entitlement_key: impl Into<String>,
    ) -> CheckAccess<Bound<'a, X>> {
        CheckAccess::new(user_id, entitlement_key).on(self.client)
    }

    /// Entitlement changes for syncing, in pages (the cursor is `since`).
    /// Optional: `.since(..)`, `.limit(..)` (default 100).
    pub fn get_changes(&self) -> GetChanges<Bound<'a, X>> {
        GetChanges::new().on(self.client)
    }

    /// A user's purchase history.
    pub fn get_purchase_history(
        &self,
        user_id: impl Into<String>,
    ) -> GetPurchaseHistory<Bound<'a, X>> {
        GetPurchaseHistory::new(user_id).on(self.client)
    }

    /// Claims the pending entitlements held for the signed-in user's verified email.
    pub fn claim_pending(&self) -> ClaimPending<Bound<'a, X>> {
        ClaimPending::new().on(self.client)
    }

    /// Admin: grants an entitlement by hand.
    /// Optional: `.beneficiary_user_id(..)`, `.beneficiary_email(..)`, `.starts_at(..)`,
    /// `.ends_at(..)`, `.reason(..)`, `.metadata(..)`, `.resource_type(..)`,
    /// `.resource_id(..)`.
    pub fn grant_manual(&self, entitlement_key: impl Into<String>) -> GrantManual<Bound<'a, X>> {
        GrantManual::new(entitlement_key).on(self.client)
    }

    /// Admin: revokes an entitlement. Optional: `.reason(..)`.
    pub fn revoke(&self, entitlement_id: impl Into<String>) -> Revoke<Bound<'a, X>> {
        Revoke::new(entitlement_id).on(self.client)
    }
}

/// `GET /api/entitlements`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetUserEntitlements<B = Unbound> {
    /// The user (this or `email` is required).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's email (this or `user_id` is required).
    #[serde(default)]
    pub email: Option<String>,
    /// Only this entitlement key.
    #[serde(default)]
    pub entitlement_key: Option<String>,
    /// Also list expired entitlements.
    #[serde(default)]
    pub include_expired: Option<bool>,
    /// Also list revoked entitlements.
    #[serde(default)]
    pub include_revoked: Option<bool>,
    /// At most this many.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only entitlements scoped to this kind of resource (`user`, `company`, `system`, `org`).
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Only entitlements scoped to this resource.
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetUserEntitlements {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(GetUserEntitlements() { user_id: String, email: String, entitlement_key: String, include_expired: bool, include_revoked: bool, limit: u32, resource_type: String, resource_id: String });

/// Rejects a lookup with neither a user id nor an email, before anything is sent.
fn require_user_or_email(user_id: Option<&str>, email: Option<&str>) -> Result<(), Error> {
    let given = |v: Option<&str>| v.is_some_and(|s| !s.is_empty());
    if given(user_id) || given(email) {
        Ok(())
    } else {
        Err(Error::invalid(
            "user_id",
            "either user_id or email is required",
        ))
    }
}

/// `true` when the flag is set; the server reads the literal `"true"`.
fn flag(value: Option<bool>) -> Option<&'static str> {
    (value == Some(true)).then_some("true")
}

impl Endpoint for GetUserEntitlements {
    type Output = Vec<Entitlement>;
    type Wire = crate::model::entitlements::RawEntitlementList;
    const NAME: &'static str = "entitlements.get_user_entitlements";

    fn request(&self) -> Result<RequestSpec, Error> {
        require_user_or_email(self.user_id.as_deref(), self.email.as_deref())?;
        Ok(RequestSpec::get("/api/entitlements")
            .query_non_empty("user_id", self.user_id.as_deref())
            .query_non_empty("email", self.email.as_deref())
            .query_non_empty("entitlement_key", self.entitlement_key.as_deref())
            .query_opt("include_expired", flag(self.include_expired))
            .query_opt("include_revoked", flag(self.include_revoked))
            .query_opt("limit", self.limit.filter(|l| *l > 0))
            .query_non_empty("resource_type", self.resource_type.as_deref())
            .query_non_empty("resource_id", self.resource_id.as_deref()))
    }
}

/// `GET /api/entitlements/check`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CheckAccess<B = Unbound> {
    /// The user.
    pub user_id: String,
    /// The entitlement key; sent as `key`.
    pub entitlement_key: String,
    /// Check within this kind of resource (`user`, `company`, `system`, `org`).
    #[serde(default)]
    pub resource_type: Option<String>,
    /// Check within this resource.
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CheckAccess {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(user_id: impl Into<String>, entitlement_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            user_id: user_id.into(),
            entitlement_key: entitlement_key.into(),
            resource_type: None,
            resource_id: None,
        }
    }
}

crate::arguments::arguments!(CheckAccess(user_id, entitlement_key) { resource_type: String, resource_id: String });

impl Endpoint for CheckAccess {
    type Output = AccessCheck;
    type Wire = AccessCheck;
    const NAME: &'static str = "entitlements.check_access";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/entitlements/check")
            .query("user_id", &self.user_id)
            .query("key", &self.entitlement_key)
            .query_non_empty("resource_type", self.resource_type.as_deref())
            .query_non_empty("resource_id", self.resource_id.as_deref()))
    }
}

/// `GET /api/entitlements/changes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetChanges<B = Unbound> {
    /// The cursor: [`EntitlementChanges::cursor`] of the previous page (an ISO 8601
    /// time); from the beginning when not set.
    #[serde(default)]
    pub since: Option<String>,
    /// Page size; 100 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetChanges {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages GetChanges() { since: String, limit: u32 });

impl GetChanges {
    const DEFAULT_LIMIT: u32 = 100;
}

impl Endpoint for GetChanges {
    type Output = EntitlementChanges;
    type Wire = EntitlementChanges;
    const NAME: &'static str = "entitlements.get_changes";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/entitlements/changes")
            .query("limit", self.limit.unwrap_or(Self::DEFAULT_LIMIT))
            .query_non_empty("since", self.since.as_deref()))
    }
}

impl Paginated for GetChanges {
    type Item = EntitlementEvent;

    fn next_page(&self, page: &EntitlementChanges) -> Option<Self> {
        let cursor = crate::paging::next_cursor(
            Some(page.has_more),
            page.cursor.as_deref(),
            page.events.len(),
            Some(self.limit.unwrap_or(Self::DEFAULT_LIMIT)),
        )?;
        // A cursor that does not move would ask for the same page forever.
        if self.since.as_deref() == Some(cursor.as_str()) {
            return None;
        }
        Some(Self {
            bound: Unbound,
            since: Some(cursor),
            limit: self.limit,
        })
    }

    fn into_items(page: EntitlementChanges) -> Vec<EntitlementEvent> {
        page.events
    }
}

/// `GET /api/entitlements/history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetPurchaseHistory<B = Unbound> {
    /// The user.
    pub user_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetPurchaseHistory(user_id) {});

impl GetPurchaseHistory {
    /// The request, with its arguments.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            user_id: user_id.into(),
        }
    }
}

impl Endpoint for GetPurchaseHistory {
    type Output = Vec<PurchaseHistoryItem>;
    type Wire = crate::model::entitlements::RawPurchaseHistory;
    const NAME: &'static str = "entitlements.get_purchase_history";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/entitlements/history").query("user_id", &self.user_id))
    }
}

/// `POST /api/entitlements/claim`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ClaimPending<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ClaimPending() {});

impl ClaimPending {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for ClaimPending {
    type Output = EntitlementClaim;
    type Wire = EntitlementClaim;
    const NAME: &'static str = "entitlements.claim_pending";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/entitlements/claim")
            .empty_object()
            .auth(Auth::Bearer))
    }
}

/// `POST /api/entitlements/manual`: the fields of the reference's `ManualGrantParams`,
/// flattened. Serialized, it is the request body: `entitlement_key`, then each other
/// field only when set and non-empty.
///
/// Deserializes from the flat fields or from `{"params": {..}}` (the reference's shape).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "GrantManualArgs", bound(deserialize = "B: Default"))]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GrantManual<B = Unbound> {
    /// The entitlement key to grant.
    pub entitlement_key: String,
    /// The user to grant it to.
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub beneficiary_user_id: Option<String>,
    /// The email to grant it to (claimed when a user with that email signs in).
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub beneficiary_email: Option<String>,
    /// When it begins (ISO 8601), sent as given; now when not set.
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub starts_at: Option<String>,
    /// When it ends (ISO 8601), sent as given; never when not set.
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub ends_at: Option<String>,
    /// Why it is granted.
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub reason: Option<String>,
    /// Free-form metadata.
    #[serde(skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The kind of resource to scope it to (`user`, `company`, `system`, `org`).
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub resource_type: Option<String>,
    /// The resource to scope it to.
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    pub resource_id: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GrantManual(entitlement_key) { beneficiary_user_id: String, beneficiary_email: String, starts_at: String, ends_at: String, reason: String, metadata: serde_json::Map<String, serde_json::Value>, resource_type: String, resource_id: String });

impl GrantManual {
    /// A grant of `entitlement_key` with nothing else set.
    pub fn new(entitlement_key: impl Into<String>) -> Self {
        ManualGrantFields {
            entitlement_key: entitlement_key.into(),
            beneficiary_user_id: None,
            beneficiary_email: None,
            starts_at: None,
            ends_at: None,
            reason: None,
            metadata: None,
            resource_type: None,
            resource_id: None,
        }
        .into()
    }
}

/// The arguments of [`GrantManual`] as they may arrive: flat or under `params`.
#[derive(Deserialize)]
#[serde(untagged)]
enum GrantManualArgs {
    Nested(NestedGrantArgs),
    Flat(ManualGrantFields),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NestedGrantArgs {
    params: ManualGrantFields,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualGrantFields {
    entitlement_key: String,
    #[serde(default)]
    beneficiary_user_id: Option<String>,
    #[serde(default)]
    beneficiary_email: Option<String>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    resource_id: Option<String>,
}

impl<B: Default> From<ManualGrantFields> for GrantManual<B> {
    fn from(f: ManualGrantFields) -> Self {
        Self {
            bound: B::default(),
            entitlement_key: f.entitlement_key,
            beneficiary_user_id: f.beneficiary_user_id,
            beneficiary_email: f.beneficiary_email,
            starts_at: f.starts_at,
            ends_at: f.ends_at,
            reason: f.reason,
            metadata: f.metadata,
            resource_type: f.resource_type,
            resource_id: f.resource_id,
        }
    }
}

impl<B: Default> From<GrantManualArgs> for GrantManual<B> {
    fn from(args: GrantManualArgs) -> Self {
        match args {
            GrantManualArgs::Nested(n) => n.params.into(),
            GrantManualArgs::Flat(f) => f.into(),
        }
    }
}

impl Endpoint for GrantManual {
    type Output = Entitlement;
    type Wire = Entitlement;
    const NAME: &'static str = "entitlements.grant_manual";
    const SHAPE: Shape = Shape::DataKey("entitlement");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/entitlements/manual")
            .json(self)
            .auth(Auth::Bearer))
    }
}

/// `DELETE /api/entitlements/{entitlement_id}`, with a JSON body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Revoke<B = Unbound> {
    /// The entitlement to revoke.
    pub entitlement_id: String,
    /// Why it is revoked.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl Revoke {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(entitlement_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            entitlement_id: entitlement_id.into(),
            reason: None,
        }
    }
}

crate::arguments::arguments!(Revoke(entitlement_id) { reason: String });

#[derive(Serialize)]
struct RevokeBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl Endpoint for Revoke {
    type Output = Entitlement;
    type Wire = Entitlement;
    const NAME: &'static str = "entitlements.revoke";
    const SHAPE: Shape = Shape::DataKey("entitlement");

    fn request(&self) -> Result<RequestSpec, Error> {
        require("entitlement_id", &self.entitlement_id)?;
        Ok(RequestSpec::delete("/api/entitlements/{entitlement_id}")
            .param(&self.entitlement_id)
            .json(&RevokeBody {
                reason: self.reason.as_deref().filter(|r| !r.is_empty()),
            })
            .auth(Auth::Bearer))
    }
}

crate::registry!(
    GetUserEntitlements,
    CheckAccess,
    GetChanges,
    GetPurchaseHistory,
    ClaimPending,
    GrantManual,
    Revoke,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entitlements::{EntitlementEventType, EventTrigger, PurchaseStatus};
    use bytes::Bytes;

    fn response(status: u16, body: &str) -> http::Response<Bytes> {
        let mut r = http::Response::new(Bytes::from(body.to_owned()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        r
    }

    fn query(spec: &RequestSpec) -> Vec<(&str, &str)> {
        spec.query.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    fn body(spec: &RequestSpec) -> Option<serde_json::Value> {
        spec.body
            .as_ref()
            .map(|b| serde_json::from_slice(b).unwrap())
    }

    const ENTITLEMENT: &str = r#"{"id":"ent_abc123","application_id":"app_123",
        "beneficiary_user_id":"user_456","beneficiary_email":null,
        "entitlement_key":"premium_access","source":"stripe_subscription",
        "starts_at":"2025-01-01T00:00:00Z","ends_at":"2025-02-01T00:00:00Z","revoked_at":null,
        "stripe_subscription_id":"sub_xyz","stripe_product_id":"prod_abc",
        "resource_type":null,"metadata":{"plan":"pro"},
        "created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}"#;

    #[test]
    fn get_user_entitlements_request() {
        let e = GetUserEntitlements {
            bound: Unbound,
            user_id: Some("user_456".into()),
            email: Some(String::new()),
            entitlement_key: Some("premium_access".into()),
            include_expired: Some(true),
            include_revoked: Some(false),
            limit: Some(0),
            resource_type: Some("company".into()),
            resource_id: Some("comp_789".into()),
        };
        let spec = e.request().unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/entitlements");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert!(spec.body.is_none());
        assert_eq!(
            query(&spec),
            [
                ("user_id", "user_456"),
                ("entitlement_key", "premium_access"),
                ("include_expired", "true"),
                ("resource_type", "company"),
                ("resource_id", "comp_789"),
            ]
        );
        let spec = GetUserEntitlements {
            email: Some("a@example.com".into()),
            limit: Some(5),
            ..Default::default()
        }
        .request()
        .unwrap();
        assert_eq!(query(&spec), [("email", "a@example.com"), ("limit", "5")]);
    }

    #[test]
    fn get_user_entitlements_needs_user_or_email() {
        for e in [
            GetUserEntitlements::default(),
            GetUserEntitlements {
                user_id: Some(String::new()),
                email: Some(String::new()),
                ..Default::default()
            },
        ] {
            let err = e.request().unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument {
                        name: "user_id",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.is_local());
        }
    }

    #[test]
    fn get_user_entitlements_parse() {
        let body =
            format!(r#"{{"success":true,"data":{{"entitlements":[{ENTITLEMENT}],"count":1}}}}"#);
        let list = GetUserEntitlements::default()
            .parse(&response(200, &body))
            .unwrap();
        assert_eq!(list.len(), 1);
        let e = &list[0];
        assert_eq!(e.id, "ent_abc123");
        assert_eq!(e.beneficiary_email, None);
        assert_eq!(e.starts_at.unix_seconds(), 1_735_689_600);
        assert_eq!(e.metadata["plan"], "pro");
        // A bare body (no `data`) works too.
        let bare = format!(r#"{{"entitlements":[{ENTITLEMENT}],"count":1}}"#);
        assert_eq!(
            GetUserEntitlements::default()
                .parse(&response(200, &bare))
                .unwrap(),
            list
        );
    }

    #[test]
    fn check_access_request_and_parse() {
        let e = CheckAccess {
            bound: Unbound,
            user_id: "user_456".into(),
            entitlement_key: "premium_access".into(),
            resource_type: Some("org".into()),
            resource_id: None,
        };
        let spec = e.request().unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/entitlements/check");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert_eq!(
            query(&spec),
            [
                ("user_id", "user_456"),
                ("key", "premium_access"),
                ("resource_type", "org")
            ]
        );
        let got = e
            .parse(&response(
                200,
                r#"{"success":true,"data":{"has_entitlement":true,"user_id":"user_456","entitlement_key":"premium_access"}}"#,
            ))
            .unwrap();
        assert!(got.has_entitlement);
        assert_eq!(got.user_id.as_deref(), Some("user_456"));
        let got = e
            .parse(&response(
                200,
                r#"{"success":true,"data":{"has_entitlement":false}}"#,
            ))
            .unwrap();
        assert!(!got.has_entitlement);
    }

    const CHANGES: &str = r#"{"success":true,"data":{"events":[{"id":"evt_abc",
        "entitlement_id":"ent_abc123","event_type":"granted","application_id":"app_123",
        "user_id":"user_456","email":null,"entitlement_key":"premium_access",
        "source":"stripe_subscription","previous_state":null,"new_state":{"active":true},
        "triggered_by":"webhook","metadata":{},"created_at":"2025-01-01T00:00:00Z"}],
        "cursor":"2025-01-01T00:00:00Z","has_more":true}}"#;

    #[test]
    fn get_changes_request_parse_and_pages() {
        let spec = GetChanges::default().request().unwrap();
        assert_eq!(spec.path(), "/api/entitlements/changes");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert_eq!(query(&spec), [("limit", "100")]);
        let e = GetChanges {
            bound: Unbound,
            since: Some("2024-12-31T00:00:00Z".into()),
            limit: Some(50),
        };
        let spec = e.request().unwrap();
        assert_eq!(
            query(&spec),
            [("limit", "50"), ("since", "2024-12-31T00:00:00Z")]
        );
        let page = e.parse(&response(200, CHANGES)).unwrap();
        let ev = &page.events[0];
        assert_eq!(ev.event_type, EntitlementEventType::Granted);
        assert_eq!(ev.triggered_by, Some(EventTrigger::Webhook));
        assert_eq!(ev.new_state.as_ref().unwrap()["active"], true);
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.since.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(next.limit, Some(50));
        // A cursor that does not move, or `has_more: false`, ends the walk.
        assert!(next.next_page(&page).is_none());
        let last = e
            .parse(&response(
                200,
                &CHANGES.replace("\"has_more\":true", "\"has_more\":false"),
            ))
            .unwrap();
        assert!(e.next_page(&last).is_none());
        assert_eq!(GetChanges::into_items(page).len(), 1);
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let body = CHANGES
            .replace("\"granted\"", "\"transferred\"")
            .replace("\"webhook\"", "\"migration\"");
        let page = GetChanges::default().parse(&response(200, &body)).unwrap();
        let ev = &page.events[0];
        assert_eq!(
            ev.event_type,
            EntitlementEventType::Other("transferred".into())
        );
        assert_eq!(ev.event_type.as_str(), "transferred");
        assert_eq!(
            ev.triggered_by,
            Some(EventTrigger::Other("migration".into()))
        );
        let json = serde_json::to_value(ev).unwrap();
        assert_eq!(json["event_type"], "transferred");
        assert_eq!(
            EntitlementEventType::from("revoked"),
            EntitlementEventType::Revoked
        );
    }

    #[test]
    fn get_purchase_history_request_and_parse() {
        let e = GetPurchaseHistory {
            bound: Unbound,
            user_id: "user_456".into(),
        };
        let spec = e.request().unwrap();
        assert_eq!(spec.path(), "/api/entitlements/history");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert_eq!(query(&spec), [("user_id", "user_456")]);
        let body = r#"{"success":true,"data":{"history":[{"id":"ent_abc123",
            "entitlement_key":"premium_access","source":"stripe_subscription",
            "status":"active","purchased_at":"2025-01-01T00:00:00Z",
            "starts_at":"2025-01-01T00:00:00Z","ends_at":"2025-02-01T00:00:00Z",
            "amount":29.99,"currency":"usd","stripe_subscription_id":"sub_xyz",
            "product_name":"Premium Plan"}],"count":1}}"#;
        let items = e.parse(&response(200, body)).unwrap();
        assert_eq!(items[0].status, PurchaseStatus::Active);
        assert_eq!(items[0].amount.as_ref().unwrap().as_str(), "29.99");
        assert_eq!(items[0].product_name.as_deref(), Some("Premium Plan"));
    }

    #[test]
    fn claim_pending_request_and_parse() {
        let spec = ClaimPending { bound: Unbound }.request().unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/entitlements/claim");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), Some(serde_json::json!({})));
        let body = format!(r#"{{"success":true,"data":{{"claimed":[{ENTITLEMENT}],"count":1}}}}"#);
        let claim = ClaimPending { bound: Unbound }
            .parse(&response(200, &body))
            .unwrap();
        assert_eq!(claim.count, 1);
        assert_eq!(claim.claimed[0].entitlement_key, "premium_access");
    }

    #[test]
    fn grant_manual_args_nested_or_flat() {
        let nested: GrantManual = serde_json::from_str(
            r#"{"params":{"entitlement_key":"premium_access","beneficiary_user_id":"user_456",
                "beneficiary_email":null,"starts_at":null,"ends_at":null,"reason":"Test grant",
                "metadata":null,"resource_type":null,"resource_id":null}}"#,
        )
        .unwrap();
        assert_eq!(nested.entitlement_key, "premium_access");
        assert_eq!(nested.reason.as_deref(), Some("Test grant"));
        let flat: GrantManual =
            serde_json::from_str(r#"{"entitlement_key":"k","resource_id":"r"}"#).unwrap();
        assert_eq!(flat.resource_id.as_deref(), Some("r"));
        // Serialized, then read back.
        let again: GrantManual =
            serde_json::from_value(serde_json::to_value(&nested).unwrap()).unwrap();
        assert_eq!(again.beneficiary_user_id.as_deref(), Some("user_456"));
        assert!(
            serde_json::from_str::<GrantManual>(r#"{"entitlement_key":"k","nope":1}"#).is_err()
        );
        assert!(serde_json::from_str::<GrantManual>(r#"{"params":{"reason":"x"}}"#).is_err());
    }

    #[test]
    fn grant_manual_request_and_parse() {
        let mut e = GrantManual::new("premium_access");
        e.beneficiary_user_id = Some("user_456".into());
        e.beneficiary_email = Some(String::new());
        e.starts_at = Some("2025-03-01T00:00:00+00:00".into());
        e.metadata = Some(serde_json::Map::new());
        e.resource_type = Some("company".into());
        let spec = e.request().unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/entitlements/manual");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(
            body(&spec),
            Some(serde_json::json!({
                "entitlement_key": "premium_access",
                "beneficiary_user_id": "user_456",
                "starts_at": "2025-03-01T00:00:00+00:00",
                "resource_type": "company",
            }))
        );
        let wrapped = format!(r#"{{"success":true,"data":{{"entitlement":{ENTITLEMENT}}}}}"#);
        let bare = format!(r#"{{"entitlement":{ENTITLEMENT}}}"#);
        let a = e.parse(&response(201, &wrapped)).unwrap();
        let b = e.parse(&response(201, &bare)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.id, "ent_abc123");
        match e.parse(&response(201, r#"{"success":true,"data":{}}"#)) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "entitlement"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn revoke_request_and_parse() {
        let e = Revoke {
            bound: Unbound,
            entitlement_id: "ent/1".into(),
            reason: None,
        };
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::DELETE);
        assert_eq!(spec.path(), "/api/entitlements/ent%2F1");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), Some(serde_json::json!({})));
        let e = Revoke {
            bound: Unbound,
            entitlement_id: "ent_abc123".into(),
            reason: Some("User requested".into()),
        };
        let spec = e.request().unwrap();
        assert_eq!(
            body(&spec),
            Some(serde_json::json!({"reason": "User requested"}))
        );
        let body = format!(r#"{{"success":true,"data":{{"entitlement":{ENTITLEMENT}}}}}"#);
        assert_eq!(e.parse(&response(200, &body)).unwrap().id, "ent_abc123");
        let empty = Revoke {
            bound: Unbound,
            entitlement_id: " ".into(),
            reason: None,
        };
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument {
                name: "entitlement_id",
                ..
            })
        ));
    }

    #[test]
    fn malformed_bodies_name_the_field() {
        let e = GetUserEntitlements::default();
        let bad = ENTITLEMENT.replace(
            r#""starts_at":"2025-01-01T00:00:00Z""#,
            r#""starts_at":true"#,
        );
        let body = format!(r#"{{"data":{{"entitlements":[{bad}]}}}}"#);
        match e.parse(&response(200, &body)) {
            Err(Error::Decode(d)) => {
                assert_eq!(d.operation, "entitlements.get_user_entitlements");
                assert_eq!(d.path, "data.entitlements[0].starts_at");
            }
            other => panic!("{other:?}"),
        }
        let check = CheckAccess {
            bound: Unbound,
            user_id: "u".into(),
            entitlement_key: "k".into(),
            resource_type: None,
            resource_id: None,
        };
        match check.parse(&response(200, r#"{"data":{"has_entitlement":"yes"}}"#)) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.has_entitlement"),
            other => panic!("{other:?}"),
        }
        match GetChanges::default()
            .parse(&response(200, r#"{"data":{"events":[{"event_type":7}]}}"#))
        {
            Err(Error::Decode(d)) => assert!(d.path.starts_with("data.events[0]"), "{}", d.path),
            other => panic!("{other:?}"),
        }
        for body in ["", "not json", r#"{"data":null}"#, "[1]"] {
            assert!(matches!(
                ClaimPending { bound: Unbound }.parse(&response(200, body)),
                Err(Error::Decode(_))
            ));
        }
    }
}
