//! Guest checkout: checkout sessions for a guest, and turning one into an account
//! (`/api/stripe/guest-checkout-sessions`). These calls send the API key only.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::payments::{
    CheckoutSessionDetails, GuestCheckoutConversionResult, GuestCheckoutSession,
    GuestCheckoutSessionList, GuestCheckoutSessionSummary, JsonObject, LineItem,
};
use crate::request::{Bound, Execute, Unbound};
use crate::secret::Secret;
use crate::spec::{require, Auth, RequestSpec};

use super::PaymentsApi;

/// True for `None` and an empty secret (the contract's "sent when truthy").
fn blank_secret(value: &Option<Secret>) -> bool {
    value.as_ref().is_none_or(Secret::is_empty)
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a checkout session for a guest (API key only).
    /// Optional: `.metadata(..)`, `.client_reference_id(..)`, `.payment_intent_data(..)`,
    /// `.subscription_data(..)`, `.allow_promotion_codes(..)`, `.locale(..)`.
    pub fn create_guest_checkout_session(
        &self,
        customer_email: impl Into<String>,
        mode: impl Into<String>,
        line_items: Vec<LineItem>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> CreateGuestCheckoutSession<Bound<'a, X>> {
        CreateGuestCheckoutSession::new(customer_email, mode, line_items, success_url, cancel_url)
            .on(self.client)
    }
}

/// `POST /api/stripe/guest-checkout-sessions` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateGuestCheckoutSession<B = Unbound> {
    /// The guest's email address.
    pub customer_email: String,
    /// `payment`, `subscription` or `setup`.
    pub mode: String,
    /// What to sell; at least one.
    pub line_items: Vec<LineItem>,
    /// Where Stripe sends the guest after paying.
    pub success_url: String,
    /// Where Stripe sends the guest on cancel.
    pub cancel_url: String,
    /// Session metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
    /// The caller's reference; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub client_reference_id: Option<String>,
    /// Stripe `payment_intent_data`; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub payment_intent_data: Option<JsonObject>,
    /// Stripe `subscription_data`; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub subscription_data: Option<JsonObject>,
    /// Whether promotion codes are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_promotion_codes: Option<bool>,
    /// The checkout page's locale; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub locale: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateGuestCheckoutSession {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        customer_email: impl Into<String>,
        mode: impl Into<String>,
        line_items: Vec<LineItem>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            customer_email: customer_email.into(),
            mode: mode.into(),
            line_items,
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            metadata: None,
            client_reference_id: None,
            payment_intent_data: None,
            subscription_data: None,
            allow_promotion_codes: None,
            locale: None,
        }
    }
}

crate::arguments::arguments!(CreateGuestCheckoutSession(customer_email, mode, line_items, success_url, cancel_url) { metadata: JsonObject, client_reference_id: String, payment_intent_data: JsonObject, subscription_data: JsonObject, allow_promotion_codes: bool, locale: String });

impl Endpoint for CreateGuestCheckoutSession {
    type Output = GuestCheckoutSession;
    type Wire = GuestCheckoutSession;
    const NAME: &'static str = "payments.create_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("customer_email", &self.customer_email)?;
        if self.line_items.is_empty() {
            return Err(Error::invalid(
                "line_items",
                "at least one line item is required",
            ));
        }
        Ok(RequestSpec::post("/api/stripe/guest-checkout-sessions")
            .json(self)
            .auth(Auth::ApiKey))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// A guest checkout session (API key only).
    pub fn get_guest_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> GetGuestCheckoutSession<Bound<'a, X>> {
        GetGuestCheckoutSession::new(session_id).on(self.client)
    }
}

/// `GET /api/stripe/guest-checkout-sessions/{session_id}` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetGuestCheckoutSession<B = Unbound> {
    /// The checkout session.
    pub session_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetGuestCheckoutSession(session_id) {});

impl GetGuestCheckoutSession {
    /// The request, with its arguments.
    pub fn new(session_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            session_id: session_id.into(),
        }
    }
}

impl Endpoint for GetGuestCheckoutSession {
    type Output = CheckoutSessionDetails;
    type Wire = CheckoutSessionDetails;
    const NAME: &'static str = "payments.get_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/stripe/guest-checkout-sessions/{session_id}")
                .param(&self.session_id)
                .auth(Auth::ApiKey),
        )
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists guest checkout sessions (API key only).
    /// Optional: `.limit(..)`, `.starting_after(..)`, `.customer_email(..)`.
    pub fn list_guest_checkout_sessions(&self) -> ListGuestCheckoutSessions<Bound<'a, X>> {
        ListGuestCheckoutSessions::new().on(self.client)
    }
}

/// `GET /api/stripe/guest-checkout-sessions` (API key only).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListGuestCheckoutSessions<B = Unbound> {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last session id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
    /// Only this guest's sessions; sent when not empty.
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListGuestCheckoutSessions {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListGuestCheckoutSessions() { limit: u32, starting_after: String, customer_email: String });

impl Endpoint for ListGuestCheckoutSessions {
    type Output = GuestCheckoutSessionList;
    type Wire = GuestCheckoutSessionList;
    const NAME: &'static str = "payments.list_guest_checkout_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/guest-checkout-sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .query_non_empty("customer_email", self.customer_email.as_deref())
            .auth(Auth::ApiKey))
    }
}

impl Paginated for ListGuestCheckoutSessions {
    type Item = GuestCheckoutSessionSummary;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Cursor(self.starting_after.clone().unwrap_or_default())
    }

    fn next_page(&self, page: &GuestCheckoutSessionList) -> Option<Self> {
        let last = page.sessions.last().map(|s| s.session_id.as_str());
        let cursor =
            crate::paging::next_cursor(Some(page.has_more), last, page.sessions.len(), self.limit)?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: GuestCheckoutSessionList) -> Vec<GuestCheckoutSessionSummary> {
        page.sessions
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Links a guest checkout to an account, creating it if needed (API key only).
    /// Optional: `.password(..)`, `.send_magic_link(..)`.
    pub fn convert_guest_checkout_session(
        &self,
        session_id: impl Into<String>,
        email: impl Into<String>,
    ) -> ConvertGuestCheckoutSession<Bound<'a, X>> {
        ConvertGuestCheckoutSession::new(session_id, email).on(self.client)
    }
}

/// `POST /api/stripe/guest-checkout-sessions/convert` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ConvertGuestCheckoutSession<B = Unbound> {
    /// The guest checkout session.
    pub session_id: String,
    /// The account's email address.
    pub email: String,
    /// A password for a new account; sent when not empty.
    #[serde(default, skip_serializing_if = "blank_secret")]
    pub password: Option<Secret>,
    /// Whether to email a magic sign-in link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_magic_link: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ConvertGuestCheckoutSession {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(session_id: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            session_id: session_id.into(),
            email: email.into(),
            password: None,
            send_magic_link: None,
        }
    }
}

crate::arguments::arguments!(ConvertGuestCheckoutSession(session_id, email) { password: Secret, send_magic_link: bool });

impl Endpoint for ConvertGuestCheckoutSession {
    type Output = GuestCheckoutConversionResult;
    type Wire = GuestCheckoutConversionResult;
    const NAME: &'static str = "payments.convert_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::post("/api/stripe/guest-checkout-sessions/convert")
                .json(self)
                .auth(Auth::ApiKey),
        )
    }
}

crate::registry!(
    CreateGuestCheckoutSession,
    GetGuestCheckoutSession,
    ListGuestCheckoutSessions,
    ConvertGuestCheckoutSession,
);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::payments::test_support::{args, body, built, check, wrap};

    #[test]
    fn create_guest_checkout_session() {
        let base = json!({"customer_email": "guest@example.com", "mode": "payment",
            "line_items": [{"price_id": "price_1", "quantity": 2}],
            "success_url": "https://a/s", "cancel_url": "https://a/c"});
        let e: CreateGuestCheckoutSession = args(base.clone());
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/guest-checkout-sessions",
            "",
            Some(base.clone()),
            Auth::ApiKey,
        );
        let mut full = base.clone();
        for (k, v) in [
            ("metadata", json!({"campaign": "w"})),
            ("client_reference_id", json!("ref_1")),
            ("payment_intent_data", json!({"description": "d"})),
            ("subscription_data", json!({"trial_period_days": 14})),
            ("allow_promotion_codes", json!(false)),
            ("locale", json!("en")),
        ] {
            full[k] = v;
        }
        let e_full: CreateGuestCheckoutSession = args(full.clone());
        assert_eq!(body(&built(&e_full)), Some(full));

        let out = e
            .parse(&wrap(
                json!({"id": "cs_g", "url": "https://c", "expiresAt": 1737028400,
                "customerEmail": "guest@example.com", "clientReferenceId": "ref_1",
                "successUrl": "https://a/s", "cancelUrl": "https://a/c"}),
            ))
            .unwrap();
        assert_eq!(out.customer_email.as_deref(), Some("guest@example.com"));
        assert_eq!(out.client_reference_id.as_deref(), Some("ref_1"));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_400);
        assert_eq!(out.cancel_url.as_deref(), Some("https://a/c"));

        let mut no_email = base.clone();
        no_email["customer_email"] = json!("");
        let no_email: CreateGuestCheckoutSession = args(no_email);
        assert!(matches!(
            no_email.request(),
            Err(Error::InvalidArgument {
                name: "customer_email",
                ..
            })
        ));
        let mut no_items = base;
        no_items["line_items"] = json!([]);
        let no_items: CreateGuestCheckoutSession = args(no_items);
        assert!(matches!(
            no_items.request(),
            Err(Error::InvalidArgument {
                name: "line_items",
                ..
            })
        ));
    }

    #[test]
    fn list_guest_checkout_sessions_and_its_pages() {
        let e: ListGuestCheckoutSessions =
            args(json!({"limit": 5, "customer_email": "guest@example.com"}));
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/guest-checkout-sessions",
            "limit=5&customer_email=guest@example.com",
            None,
            Auth::ApiKey,
        );
        let page = e
            .parse(&wrap(
                json!({"sessions": [{"session_id": "cs_g", "amount_total": 4200,
                "created_at": "2025-01-01T00:00:00Z", "expires_at": "2025-01-01T00:30:00Z"}],
                "has_more": true}),
            ))
            .unwrap();
        assert_eq!(
            page.sessions[0].created_at.unwrap().unix_seconds(),
            1_735_689_600
        );
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.starting_after.as_deref(), Some("cs_g"));
        assert_eq!(next.customer_email.as_deref(), Some("guest@example.com"));
    }

    #[test]
    fn convert_guest_checkout_session() {
        let e: ConvertGuestCheckoutSession = args(json!({"session_id": "cs_g",
            "email": "guest@example.com", "password": "", "send_magic_link": true}));
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/guest-checkout-sessions/convert",
            "",
            Some(json!({"session_id": "cs_g", "email": "guest@example.com",
                "send_magic_link": true})),
            Auth::ApiKey,
        );
        let with_password: ConvertGuestCheckoutSession =
            args(json!({"session_id": "cs_g", "email": "g@x", "password": "pw"}));
        assert_eq!(
            body(&built(&with_password)).unwrap()["password"],
            json!("pw")
        );
        assert!(!format!("{with_password:?}").contains("pw\""));
        let out = e
            .parse(&wrap(
                json!({"success": true, "userId": "u_1", "loginUrl": "https://l",
                "magicLinkSent": true}),
            ))
            .unwrap();
        assert!(out.success);
        assert_eq!(out.user_id.as_deref(), Some("u_1"));
        assert_eq!(out.login_url.as_deref(), Some("https://l"));
        assert_eq!(out.magic_link_sent, Some(true));
    }
}
