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
mod tests;
