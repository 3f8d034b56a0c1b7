//! Checkout sessions (signed-in and guest): creation, reading, listing, expiry,
//! conversion of a guest into an account, and completion by a test (which starts a
//! subscription, records the payment and grants the product's entitlement).

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{
    body, cursor_page, fail, invalid, is_email, is_url, ok, plus, query_limit, query_non_empty,
    rfc3339, Body, Outcome, Res,
};
use super::State;
use crate::observed::ObservedRequest;

/// Lifetime of checkout sessions, in seconds.
const CHECKOUT_TTL_S: i64 = 24 * 3600;

#[derive(Debug, Default)]
pub(crate) struct Checkouts {
    list: Vec<Checkout>,
}

#[derive(Debug, Clone)]
struct Checkout {
    id: String,
    user_id: Option<String>,
    guest: bool,
    customer_email: Option<String>,
    mode: String,
    /// (price id, quantity)
    items: Vec<(String, i64)>,
    amount_total: i64,
    currency: String,
    success_url: String,
    cancel_url: String,
    client_reference_id: Option<String>,
    metadata: Map<String, Value>,
    status: &'static str,
    payment_status: &'static str,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    payment_intent: Option<String>,
    subscription: Option<String>,
    converted: bool,
}

impl Checkout {
    /// `open` sessions past their expiry read as `expired`.
    fn status(&self, now: OffsetDateTime) -> &'static str {
        if self.status == "open" && now >= self.expires_at {
            "expired"
        } else {
            self.status
        }
    }

    fn details(&self, now: OffsetDateTime) -> Value {
        json!({
            "id": self.id,
            "status": self.status(now),
            "payment_status": self.payment_status,
            "customer_email": self.customer_email,
            "amount_total": self.amount_total,
            "currency": self.currency,
            "success_url": self.success_url,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "subscription": self.subscription,
            "mode": self.mode,
            "expires_at": self.expires_at.unix_timestamp(),
        })
    }

    fn url(&self) -> String {
        format!("https://checkout.example.com/pay/{}", self.id)
    }
}

impl State {
    pub(crate) fn route_checkout(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("POST", ["api", "payments", "create-checkout-session"]) => {
                self.create_checkout_session(req)
            }
            ("POST", ["api", "stripe", "checkout-sessions"]) => {
                self.create_authenticated_checkout(req)
            }
            ("GET", ["api", "stripe", "checkout-sessions"]) => self.list_checkout_sessions(req),
            ("GET", ["api", "stripe", "checkout-sessions", id]) => {
                self.get_checkout_session(req, id)
            }
            ("POST", ["api", "stripe", "checkout-sessions", id, "expire"]) => {
                self.expire_checkout_session(req, id)
            }
            ("POST", ["api", "stripe", "guest-checkout-sessions"]) => {
                self.create_guest_checkout(req)
            }
            ("GET", ["api", "stripe", "guest-checkout-sessions"]) => self.list_guest_checkouts(req),
            ("POST", ["api", "stripe", "guest-checkout-sessions", "convert"]) => {
                self.convert_guest_checkout(req)
            }
            ("GET", ["api", "stripe", "guest-checkout-sessions", id]) => {
                self.get_guest_checkout(id)
            }
            _ => return None,
        })
    }

    /// Prices `items` (price id, quantity) for `mode`; returns the total and currency.
    fn price_items(&self, items: &[(String, i64)], mode: &str) -> Result<(i64, String), Outcome> {
        if !matches!(mode, "payment" | "subscription" | "setup") {
            return Err(invalid("mode must be payment, subscription or setup"));
        }
        if items.is_empty() {
            return Err(invalid("at least one line item is required"));
        }
        let mut total = 0i64;
        let mut currency = String::new();
        for (price_id, quantity) in items {
            let Some((product, price)) = self.catalog.price(price_id) else {
                return Err(fail(
                    404,
                    "PRICE_NOT_FOUND",
                    format!("No such price: {price_id}"),
                ));
            };
            if !price.active || !product.active {
                return Err(fail(
                    400,
                    "PRICE_INACTIVE",
                    "This price can no longer be bought",
                ));
            }
            match (mode, price.interval.is_some()) {
                ("subscription", false) => {
                    return Err(invalid("mode subscription needs a recurring price"))
                }
                ("payment", true) => return Err(invalid("mode payment needs a one-time price")),
                _ => {}
            }
            total = total.saturating_add(price.unit_amount.saturating_mul(*quantity));
            currency.clone_from(&price.currency);
        }
        Ok((total, currency))
    }

    #[allow(clippy::too_many_arguments)]
    fn new_checkout(
        &mut self,
        user_id: Option<String>,
        guest: bool,
        b: &Body,
        items: Vec<(String, i64)>,
        mode: String,
        customer_email: Option<String>,
    ) -> Result<Checkout, Outcome> {
        let success_url = b.text("success_url")?;
        let cancel_url = b.text("cancel_url")?;
        if !is_url(&success_url) || !is_url(&cancel_url) {
            return Err(invalid("success_url and cancel_url must be http(s) URLs"));
        }
        let metadata = b.opt_object("metadata")?.unwrap_or_default();
        let client_reference_id = b.opt_text("client_reference_id")?;
        let (amount_total, currency) = self.price_items(&items, &mode)?;
        let checkout = Checkout {
            id: self.next_id("cs"),
            user_id,
            guest,
            customer_email,
            mode,
            items,
            amount_total,
            currency,
            success_url,
            cancel_url,
            client_reference_id,
            metadata,
            status: "open",
            payment_status: "unpaid",
            created_at: self.now,
            expires_at: plus(self.now, CHECKOUT_TTL_S),
            payment_intent: None,
            subscription: None,
            converted: false,
        };
        self.checkout.list.push(checkout.clone());
        Ok(checkout)
    }

    /// `POST /api/payments/create-checkout-session`.
    fn create_checkout_session(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let b = body(req)?;
        let price_id = b.text("price_id")?;
        let mode = b.text("mode")?;
        b.opt_bool("require_legal_consent")?;
        b.opt_text("legal_consent_text")?;
        let email = self.users.email_of(&session.user_id).map(str::to_owned);
        let c = self.new_checkout(
            Some(session.user_id),
            false,
            &b,
            vec![(price_id, 1)],
            mode,
            email,
        )?;
        ok(json!({
            "session_id": c.id,
            "checkout_url": c.url(),
            "expires_at": rfc3339(c.expires_at),
        }))
    }

    /// `line_items`: `[{"price_id" | "price": ..., "quantity"?: n}]`.
    fn line_items(b: &Body) -> Result<Vec<(String, i64)>, Outcome> {
        let list = b
            .opt_array("line_items")?
            .ok_or_else(|| invalid("line_items is required"))?;
        list.iter()
            .map(|item| {
                let price = item
                    .get("price_id")
                    .or_else(|| item.get("price"))
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| invalid("each line item needs a price_id"))?;
                let quantity = match item.get("quantity") {
                    None | Some(Value::Null) => 1,
                    Some(q) => q
                        .as_i64()
                        .filter(|q| *q >= 1)
                        .ok_or_else(|| invalid("quantity must be a positive integer"))?,
                };
                Ok((price.to_owned(), quantity))
            })
            .collect()
    }

    /// `POST /api/stripe/checkout-sessions`.
    fn create_authenticated_checkout(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let b = body(req)?;
        let items = Self::line_items(&b)?;
        let mode = b.opt_text("mode")?.unwrap_or_else(|| "payment".to_owned());
        let email = match b.opt_text("customer_email")? {
            Some(e) if !is_email(&e) => return Err(invalid("customer_email is not an email")),
            Some(e) => Some(e),
            None => self.users.email_of(&session.user_id).map(str::to_owned),
        };
        let c = self.new_checkout(Some(session.user_id), false, &b, items, mode, email)?;
        ok(json!({
            "id": c.id,
            "url": c.url(),
            "mode": c.mode,
            "status": c.status,
            "amount_total": c.amount_total,
            "currency": c.currency,
            "expires_at": c.expires_at.unix_timestamp(),
        }))
    }

    fn own_checkout(&self, user_id: &str, id: &str) -> Result<&Checkout, Outcome> {
        self.checkout
            .list
            .iter()
            .find(|c| c.id == id && c.user_id.as_deref() == Some(user_id))
            .ok_or_else(|| {
                fail(
                    404,
                    "CHECKOUT_SESSION_NOT_FOUND",
                    "No such checkout session",
                )
            })
    }

    fn get_checkout_session(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        ok(self.own_checkout(&session.user_id, id)?.details(self.now))
    }

    fn list_checkout_sessions(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let limit = query_limit(req, 10, 100)?;
        let now = self.now;
        let mine: Vec<&Checkout> = self
            .checkout
            .list
            .iter()
            .rev()
            .filter(|c| c.user_id.as_deref() == Some(session.user_id.as_str()))
            .collect();
        let (page, more) = cursor_page(
            mine,
            |c| c.id.as_str(),
            query_non_empty(req, "starting_after"),
            limit,
        )?;
        let next = if more {
            page.last().map(|c| c.id.clone())
        } else {
            None
        };
        let sessions: Vec<Value> = page
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "status": c.status(now),
                    "payment_status": c.payment_status,
                    "amount_total": c.amount_total,
                    "currency": c.currency,
                    "created_at": c.created_at.unix_timestamp(),
                    "expires_at": c.expires_at.unix_timestamp(),
                })
            })
            .collect();
        ok(json!({"sessions": sessions, "has_more": more, "next_cursor": next}))
    }

    fn expire_checkout_session(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        body(req)?;
        let now = self.now;
        self.own_checkout(&session.user_id, id)?;
        let Some(c) = self.checkout.list.iter_mut().find(|c| c.id == id) else {
            return Err(fail(
                404,
                "CHECKOUT_SESSION_NOT_FOUND",
                "No such checkout session",
            ));
        };
        match c.status(now) {
            "open" => c.status = "expired",
            "expired" => {}
            _ => {
                return Err(fail(
                    409,
                    "CONFLICT",
                    "Only an open checkout session can be expired",
                ))
            }
        }
        ok(json!({"id": id, "status": "expired", "expired": true}))
    }

    fn create_guest_checkout(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let email = b.text("customer_email")?;
        if !is_email(&email) {
            return Err(invalid("customer_email is not an email"));
        }
        let mode = b.text("mode")?;
        let items = Self::line_items(&b)?;
        for name in ["payment_intent_data", "subscription_data"] {
            b.opt_object(name)?;
        }
        b.opt_bool("allow_promotion_codes")?;
        b.opt_text("locale")?;
        let c = self.new_checkout(None, true, &b, items, mode, Some(email))?;
        ok(json!({
            "id": c.id,
            "url": c.url(),
            "expiresAt": c.expires_at.unix_timestamp(),
            "customerEmail": c.customer_email,
            "clientReferenceId": c.client_reference_id,
            "successUrl": c.success_url,
            "cancelUrl": c.cancel_url,
        }))
    }

    fn guest(&self, id: &str) -> Result<&Checkout, Outcome> {
        self.checkout
            .list
            .iter()
            .find(|c| c.id == id && c.guest)
            .ok_or_else(|| {
                fail(
                    404,
                    "CHECKOUT_SESSION_NOT_FOUND",
                    "No such guest checkout session",
                )
            })
    }

    fn get_guest_checkout(&mut self, id: &str) -> Res {
        ok(self.guest(id)?.details(self.now))
    }

    fn list_guest_checkouts(&mut self, req: &ObservedRequest) -> Res {
        let limit = query_limit(req, 10, 100)?;
        let email = query_non_empty(req, "customer_email");
        let now = self.now;
        let list: Vec<&Checkout> = self
            .checkout
            .list
            .iter()
            .rev()
            .filter(|c| {
                c.guest
                    && email.is_none_or(|e| {
                        c.customer_email
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case(e))
                    })
            })
            .collect();
        let (page, more) = cursor_page(
            list,
            |c| c.id.as_str(),
            query_non_empty(req, "starting_after"),
            limit,
        )?;
        let sessions: Vec<Value> = page
            .iter()
            .map(|c| {
                json!({
                    "session_id": c.id,
                    "status": c.status(now),
                    "payment_status": c.payment_status,
                    "customer_email": c.customer_email,
                    "amount_total": c.amount_total,
                    "currency": c.currency,
                    "created_at": rfc3339(c.created_at),
                    "expires_at": rfc3339(c.expires_at),
                })
            })
            .collect();
        ok(json!({"sessions": sessions, "has_more": more}))
    }

    fn convert_guest_checkout(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let id = b.text("session_id")?;
        let email = b.text("email")?;
        let password = b.opt_text("password")?.filter(|p| !p.is_empty());
        let magic = b.opt_bool("send_magic_link")?.unwrap_or(false);
        if !is_email(&email) {
            return Err(invalid("email is not an email"));
        }
        if password.as_ref().is_some_and(|p| p.chars().count() < 8) {
            return Err(invalid("password must be at least 8 characters"));
        }
        let guest = self.guest(&id)?;
        if guest.converted {
            return Err(fail(
                409,
                "CONFLICT",
                "This guest checkout was already converted",
            ));
        }
        if !guest
            .customer_email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        {
            return Err(invalid(
                "email does not match the checkout's customer_email",
            ));
        }
        let user_id = match self.users.by_email(&email) {
            Some(u) => u.id.clone(),
            None => self.create_user(&email, password.as_deref()),
        };
        if let Some(c) = self.checkout.list.iter_mut().find(|c| c.id == id) {
            c.converted = true;
            c.user_id = Some(user_id.clone());
        }
        if magic {
            self.send_magic_code(&email);
        }
        ok(json!({
            "success": true,
            "userId": user_id,
            "message": "Account created and checkout linked",
            "loginUrl": format!("https://app.example.com/login?email={}", email.replace('@', "%40")),
            "magicLinkSent": magic,
        }))
    }

    /// Completes (pays) the open checkout session `id`, as Stripe would after the
    /// customer pays: subscriptions start, payments are recorded, and the products'
    /// entitlements are granted to the buyer.
    pub(crate) fn complete_checkout(&mut self, id: &str) -> Result<(), Outcome> {
        let now = self.now;
        let Some(c) = self.checkout.list.iter().find(|c| c.id == id).cloned() else {
            return Err(fail(
                404,
                "CHECKOUT_SESSION_NOT_FOUND",
                "No such checkout session",
            ));
        };
        if c.status(now) != "open" {
            return Err(fail(409, "CONFLICT", "The checkout session is not open"));
        }
        let buyer = match (&c.user_id, &c.customer_email) {
            (Some(u), _) => Some(u.clone()),
            (None, Some(e)) => self.users.by_email(e).map(|u| u.id.clone()),
            (None, None) => None,
        };
        let email = c.customer_email.clone().or_else(|| {
            buyer
                .as_deref()
                .and_then(|b| self.users.email_of(b))
                .map(str::to_owned)
        });
        let mut subscription = None;
        for (price_id, _) in &c.items {
            let Some((product, price)) = self.catalog.price(price_id) else {
                continue;
            };
            let (product_id, product_name, key) = (
                product.id.clone(),
                product.name.clone(),
                entitlement_key(&product.id),
            );
            let interval = price.interval.clone();
            let sub = match (&buyer, interval) {
                (Some(user), Some(_)) if c.mode == "subscription" => {
                    Some(self.start_subscription(user, price_id))
                }
                _ => None,
            };
            let ends_at = sub.as_ref().map(|s| s.1);
            if let Some((sub_id, _)) = &sub {
                subscription = Some(sub_id.clone());
            }
            self.grant_purchase(
                buyer.as_deref(),
                email.as_deref(),
                &key,
                &product_id,
                &product_name,
                c.amount_total,
                &c.currency,
                sub.as_ref().map(|s| s.0.as_str()),
                Some(id),
                ends_at,
            );
        }
        let intent = self.next_id("pi");
        if let Some(user) = &buyer {
            self.record_payment(user, &intent, c.amount_total, &c.currency, "Checkout");
        }
        if let Some(x) = self.checkout.list.iter_mut().find(|x| x.id == id) {
            x.status = "complete";
            x.payment_status = "paid";
            x.payment_intent = Some(intent);
            x.subscription = subscription;
        }
        Ok(())
    }

    pub(crate) fn send_magic_code(&mut self, email: &str) {
        let _ = self.route_auth(
            "POST",
            &["api", "auth", "magic-link"],
            &ObservedRequest::from_parts(
                "POST",
                "/api/auth/magic-link",
                [("content-type", "application/json")],
                json!({ "email": email }).to_string().into_bytes(),
            ),
        );
    }
}

/// The entitlement a product grants: `pro_plan` for `prod_mock_pro`, ...
pub(crate) fn entitlement_key(product_id: &str) -> String {
    let base = product_id
        .strip_prefix("prod_mock_")
        .or_else(|| product_id.strip_prefix("prod_"))
        .unwrap_or(product_id);
    format!("{base}_plan")
}
