//! Checkout sessions of the signed-in user: creating one for a price
//! (`/api/payments`) or for line items (`/api/stripe`), reading, listing and expiring them.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::payments::{
    AuthenticatedCheckoutSession, CheckoutSession, CheckoutSessionDetails, CheckoutSessionList,
    CheckoutSessionSummary, ExpireCheckoutSessionResult, JsonObject, LineItem,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a Stripe checkout session for one price.
    /// Optional: `.metadata(..)`, `.require_legal_consent(..)`, `.legal_consent_text(..)`.
    pub fn create_checkout_session(
        &self,
        price_id: impl Into<String>,
        mode: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> CreateCheckoutSession<Bound<'a, X>> {
        CreateCheckoutSession::new(price_id, mode, success_url, cancel_url).on(self.client)
    }
}

/// `POST /api/payments/create-checkout-session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateCheckoutSession<B = Unbound> {
    /// The price to sell.
    pub price_id: String,
    /// `payment`, `subscription` or `setup`.
    pub mode: String,
    /// Where Stripe sends the user after paying.
    pub success_url: String,
    /// Where Stripe sends the user on cancel.
    pub cancel_url: String,
    /// Session metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
    /// Whether the user must accept legal terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_legal_consent: Option<bool>,
    /// The legal terms' text; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub legal_consent_text: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateCheckoutSession {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        price_id: impl Into<String>,
        mode: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            price_id: price_id.into(),
            mode: mode.into(),
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            metadata: None,
            require_legal_consent: None,
            legal_consent_text: None,
        }
    }
}

crate::arguments::arguments!(CreateCheckoutSession(price_id, mode, success_url, cancel_url) { metadata: JsonObject, require_legal_consent: bool, legal_consent_text: String });

impl Endpoint for CreateCheckoutSession {
    type Output = CheckoutSession;
    type Wire = CheckoutSession;
    const NAME: &'static str = "payments.create_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/create-checkout-session")
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a checkout session for line items through the Stripe router.
    /// Optional: `.mode(..)` (default `payment`), `.metadata(..)`, `.customer_email(..)`.
    pub fn create_authenticated_checkout_session(
        &self,
        line_items: Vec<LineItem>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> CreateAuthenticatedCheckoutSession<Bound<'a, X>> {
        CreateAuthenticatedCheckoutSession::new(line_items, success_url, cancel_url).on(self.client)
    }
}

/// `POST /api/stripe/checkout-sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateAuthenticatedCheckoutSession<B = Unbound> {
    /// What to sell.
    pub line_items: Vec<LineItem>,
    /// Where Stripe sends the user after paying.
    pub success_url: String,
    /// Where Stripe sends the user on cancel.
    pub cancel_url: String,
    /// `payment` (when not set), `subscription` or `setup`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Session metadata; sent when not empty.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// The customer's email address; sent when not empty.
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateAuthenticatedCheckoutSession {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        line_items: Vec<LineItem>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            line_items,
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            mode: None,
            metadata: None,
            customer_email: None,
        }
    }
}

crate::arguments::arguments!(CreateAuthenticatedCheckoutSession(line_items, success_url, cancel_url) { mode: String, metadata: JsonObject, customer_email: String });

#[derive(Serialize)]
struct AuthenticatedCheckoutBody<'a> {
    line_items: &'a [LineItem],
    success_url: &'a str,
    cancel_url: &'a str,
    mode: &'a str,
    #[serde(skip_serializing_if = "crate::spec::skip::empty_map")]
    metadata: &'a Option<JsonObject>,
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    customer_email: &'a Option<String>,
}

impl Endpoint for CreateAuthenticatedCheckoutSession {
    type Output = AuthenticatedCheckoutSession;
    type Wire = AuthenticatedCheckoutSession;
    const NAME: &'static str = "payments.create_authenticated_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = AuthenticatedCheckoutBody {
            line_items: &self.line_items,
            success_url: &self.success_url,
            cancel_url: &self.cancel_url,
            mode: self.mode.as_deref().unwrap_or("payment"),
            metadata: &self.metadata,
            customer_email: &self.customer_email,
        };
        Ok(RequestSpec::post("/api/stripe/checkout-sessions")
            .json(&body)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// A checkout session.
    pub fn get_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> GetCheckoutSession<Bound<'a, X>> {
        GetCheckoutSession::new(session_id).on(self.client)
    }
}

/// `GET /api/stripe/checkout-sessions/{session_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetCheckoutSession<B = Unbound> {
    /// The checkout session.
    pub session_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetCheckoutSession(session_id) {});

impl GetCheckoutSession {
    /// The request, with its arguments.
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            session_id: session_id.into(),
        }
    }
}

impl Endpoint for GetCheckoutSession {
    type Output = CheckoutSessionDetails;
    type Wire = CheckoutSessionDetails;
    const NAME: &'static str = "payments.get_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/stripe/checkout-sessions/{session_id}")
                .param(&self.session_id)
                .auth(Auth::Bearer),
        )
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists the user's checkout sessions. Optional: `.limit(..)`, `.starting_after(..)`.
    pub fn list_checkout_sessions(&self) -> ListCheckoutSessions<Bound<'a, X>> {
        ListCheckoutSessions::new().on(self.client)
    }
}

/// `GET /api/stripe/checkout-sessions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCheckoutSessions<B = Unbound> {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the previous page's `next_cursor` (or its last session id).
    #[serde(default)]
    pub starting_after: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListCheckoutSessions {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListCheckoutSessions() { limit: u32, starting_after: String });

impl Endpoint for ListCheckoutSessions {
    type Output = CheckoutSessionList;
    type Wire = CheckoutSessionList;
    const NAME: &'static str = "payments.list_checkout_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/checkout-sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
    }
}

impl Paginated for ListCheckoutSessions {
    type Item = CheckoutSessionSummary;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Cursor(self.starting_after.clone().unwrap_or_default())
    }

    fn next_page(&self, page: &CheckoutSessionList) -> Option<Self> {
        let last = page
            .next_cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .or_else(|| page.sessions.last().map(|s| s.id.as_str()));
        let cursor =
            crate::paging::next_cursor(Some(page.has_more), last, page.sessions.len(), self.limit)?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: CheckoutSessionList) -> Vec<CheckoutSessionSummary> {
        page.sessions
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Expires an open checkout session.
    pub fn expire_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> ExpireCheckoutSession<Bound<'a, X>> {
        ExpireCheckoutSession::new(session_id).on(self.client)
    }
}

/// `POST /api/stripe/checkout-sessions/{session_id}/expire`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ExpireCheckoutSession<B = Unbound> {
    /// The checkout session.
    pub session_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ExpireCheckoutSession(session_id) {});

impl ExpireCheckoutSession {
    /// The request, with its arguments.
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            session_id: session_id.into(),
        }
    }
}

impl Endpoint for ExpireCheckoutSession {
    type Output = ExpireCheckoutSessionResult;
    type Wire = ExpireCheckoutSessionResult;
    const NAME: &'static str = "payments.expire_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::post("/api/stripe/checkout-sessions/{session_id}/expire")
                .param(&self.session_id)
                .empty_object()
                .auth(Auth::Bearer),
        )
    }
}

crate::registry!(
    CreateCheckoutSession,
    CreateAuthenticatedCheckoutSession,
    GetCheckoutSession,
    ListCheckoutSessions,
    ExpireCheckoutSession,
);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::{json, Value};

    use crate::api::payments::test_support::{args, body, built, check, respond, wrap};
    use crate::api::payments::GetGuestCheckoutSession;

    #[test]
    fn create_checkout_session() {
        let mut e: CreateCheckoutSession = args(json!({
            "price_id": "price_1", "mode": "subscription",
            "success_url": "https://a/s", "cancel_url": "https://a/c"
        }));
        let want = json!({"price_id": "price_1", "mode": "subscription",
            "success_url": "https://a/s", "cancel_url": "https://a/c"});
        check(
            &built(&e),
            Method::POST,
            "/api/payments/create-checkout-session",
            "",
            Some(want.clone()),
            Auth::Bearer,
        );
        // Falsy optional fields are dropped, `require_legal_consent: false` is kept.
        e.metadata = Some(JsonObject::new());
        e.legal_consent_text = Some(String::new());
        e.require_legal_consent = Some(false);
        let mut with_consent = want;
        with_consent["require_legal_consent"] = json!(false);
        assert_eq!(body(&built(&e)), Some(with_consent));

        let out = e
            .parse(&wrap(
                json!({"session_id": "cs_1", "checkout_url": "https://c/cs_1",
                "expires_at": "2025-01-16T12:00:00Z"}),
            ))
            .unwrap();
        assert_eq!(out.session_id, "cs_1");
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_800);
    }

    #[test]
    fn create_authenticated_checkout_session() {
        let mut e: CreateAuthenticatedCheckoutSession = args(json!({
            "line_items": [{"price_id": "price_1", "quantity": 1}],
            "success_url": "https://a/s", "cancel_url": "https://a/c"
        }));
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/checkout-sessions",
            "",
            Some(
                json!({"line_items": [{"price_id": "price_1", "quantity": 1}],
                "success_url": "https://a/s", "cancel_url": "https://a/c", "mode": "payment"}),
            ),
            Auth::Bearer,
        );
        e.mode = Some("subscription".into());
        e.customer_email = Some("ada@example.com".into());
        e.line_items =
            vec![LineItem::new("price_2", 3).with("adjustable_quantity", json!({"enabled": true}))];
        assert_eq!(
            body(&built(&e)),
            Some(json!({"line_items": [{"price_id": "price_2", "quantity": 3,
                    "adjustable_quantity": {"enabled": true}}],
                "success_url": "https://a/s", "cancel_url": "https://a/c",
                "mode": "subscription", "customer_email": "ada@example.com"}))
        );
        let custom =
            json!({"price_data": {"currency": "usd", "unit_amount": 500}, "quantity": "2"});
        let Value::Object(custom) = custom else {
            unreachable!()
        };
        let item = LineItem::from(custom.clone());
        assert_eq!(serde_json::to_value(&item).unwrap(), Value::Object(custom));
        let item = LineItem::from(
            json!({"price_id": "p", "quantity": 1})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(item, LineItem::new("p", 1));
        let out = e
            .parse(&respond(
                json!({"id": "cs_1", "url": "https://c", "expires_at": 1737028400,
                "livemode": false}),
            ))
            .unwrap();
        assert_eq!(out.id.as_deref(), Some("cs_1"));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_400);
        assert_eq!(out.extra.get("livemode"), Some(&json!(false)));
    }

    #[test]
    fn checkout_session_reads() {
        let details = json!({"id": "cs_1", "status": "complete", "amount_total": 2000,
            "metadata": {"k": "v"}, "payment_intent": null, "expires_at": 1736985600});
        let e = GetCheckoutSession {
            bound: Unbound,
            session_id: "cs_1".into(),
        };
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/checkout-sessions/cs_1",
            "",
            None,
            Auth::Bearer,
        );
        let out = e.parse(&wrap(details.clone())).unwrap();
        assert_eq!(out.amount_total, Some(2000));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_736_985_600);

        let g = GetGuestCheckoutSession {
            bound: Unbound,
            session_id: "cs_1".into(),
        };
        check(
            &built(&g),
            Method::GET,
            "/api/stripe/guest-checkout-sessions/cs_1",
            "",
            None,
            Auth::ApiKey,
        );
        assert_eq!(g.parse(&respond(details)).unwrap().id, "cs_1");
    }

    #[test]
    fn list_checkout_sessions_and_its_pages() {
        let e: ListCheckoutSessions = args(json!({"limit": 10, "starting_after": ""}));
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/checkout-sessions",
            "limit=10",
            None,
            Auth::Bearer,
        );
        let page = e
            .parse(&wrap(
                json!({"sessions": [{"id": "cs_1", "created_at": 1736942000}],
                "has_more": true, "next_cursor": "cur_9"}),
            ))
            .unwrap();
        assert_eq!(
            page.sessions[0].created_at.unwrap().unix_seconds(),
            1_736_942_000
        );
        assert_eq!(
            e.next_page(&page).unwrap().starting_after.as_deref(),
            Some("cur_9")
        );
        let page = e
            .parse(&wrap(
                json!({"sessions": [{"id": "cs_1"}], "has_more": true, "next_cursor": null}),
            ))
            .unwrap();
        assert_eq!(
            e.next_page(&page).unwrap().starting_after.as_deref(),
            Some("cs_1")
        );
        let page = e
            .parse(&wrap(json!({"sessions": [], "has_more": true})))
            .unwrap();
        assert!(e.next_page(&page).is_none());
    }

    #[test]
    fn expire_checkout_session_sends_an_empty_object() {
        let e = ExpireCheckoutSession {
            bound: Unbound,
            session_id: "cs_1".into(),
        };
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/checkout-sessions/cs_1/expire",
            "",
            Some(json!({})),
            Auth::Bearer,
        );
        let out = e
            .parse(&wrap(json!({"id": "cs_1", "status": "expired"})))
            .unwrap();
        assert!(!out.expired);
    }
}
