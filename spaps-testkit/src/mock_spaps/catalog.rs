//! The product catalog and checkout sessions of the mock SPAPS.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{
    fail, invalid, json_body, plus, query, query_limit, query_non_empty, rfc3339, Outcome, State,
};
use crate::matching::ObservedRequest;

/// Page size of `GET /api/stripe/products` when no `limit` is given.
const DEFAULT_PAGE: usize = 10;
/// The largest accepted `limit`.
const MAX_PAGE: usize = 100;
/// Lifetime of checkout sessions, in seconds.
const CHECKOUT_TTL_S: i64 = 30 * 60;

#[derive(Debug)]
pub(super) struct Product {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    category: &'static str,
    active: bool,
    created_at: OffsetDateTime,
    prices: Vec<Price>,
}

#[derive(Debug)]
struct Price {
    id: &'static str,
    unit_amount: i64,
    currency: &'static str,
    /// `month` or `year` for a recurring price; `None` for a one-time one.
    interval: Option<&'static str>,
    nickname: &'static str,
    active: bool,
}

impl Price {
    fn new(id: &'static str, unit_amount: i64, interval: Option<&'static str>) -> Price {
        Price {
            id,
            unit_amount,
            currency: "usd",
            interval,
            nickname: match interval {
                Some("month") => "Monthly",
                Some("year") => "Yearly",
                _ => "One-time",
            },
            active: true,
        }
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "unit_amount": self.unit_amount,
            "currency": self.currency,
            "type": if self.interval.is_some() { "recurring" } else { "one_time" },
            "recurring": self.interval.map(|i| json!({"interval": i, "interval_count": 1})),
            "nickname": self.nickname,
            "active": self.active,
        })
    }
}

impl Product {
    /// Whether the product can be bought in `mode` (`payment` or `subscription`).
    fn sold_in(&self, mode: &str) -> bool {
        self.prices
            .iter()
            .any(|p| p.active && p.interval.is_some() == (mode == "subscription"))
    }

    fn json(&self, with_prices: bool) -> Value {
        let default = self.prices.first();
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "images": [],
            "active": self.active,
            "metadata": {"category": self.category},
            "prices": if with_prices {
                self.prices.iter().map(Price::json).collect()
            } else {
                Vec::new()
            },
            "default_price": default.map(|p| json!({
                "id": p.id,
                "unit_amount": p.unit_amount,
                "currency": p.currency,
            })),
            "created_at": rfc3339(self.created_at),
        })
    }
}

/// The catalog of the module docs, created `started - 90 days` onwards.
pub(super) fn seed(started: OffsetDateTime) -> Vec<Product> {
    let day = 24 * 3600;
    let product = |n: i64, id, name, description, category, prices| Product {
        id,
        name,
        description,
        category,
        active: true,
        created_at: plus(started, (n - 90) * day),
        prices,
    };
    let mut legacy_price = Price::new("price_mock_legacy_monthly", 500, Some("month"));
    legacy_price.active = false;
    let mut legacy = product(
        4,
        "prod_mock_legacy",
        "Legacy",
        "The old plan, no longer sold",
        "subscriptions",
        vec![legacy_price],
    );
    legacy.active = false;
    vec![
        product(
            0,
            "prod_mock_starter",
            "Starter",
            "For side projects",
            "subscriptions",
            vec![Price::new("price_mock_starter_monthly", 900, Some("month"))],
        ),
        product(
            1,
            "prod_mock_pro",
            "Pro",
            "Unlimited sessions and priority support",
            "subscriptions",
            vec![
                Price::new("price_mock_pro_monthly", 2000, Some("month")),
                Price::new("price_mock_pro_yearly", 20000, Some("year")),
            ],
        ),
        product(
            2,
            "prod_mock_team",
            "Team",
            "Pro for up to 10 people",
            "subscriptions",
            vec![Price::new("price_mock_team_monthly", 5000, Some("month"))],
        ),
        product(
            3,
            "prod_mock_credits",
            "1,000 API credits",
            "A one-time top-up",
            "credits",
            vec![Price::new("price_mock_credits_1k", 1000, None)],
        ),
        legacy,
    ]
}

impl State {
    /// `GET /api/stripe/products`.
    pub(super) fn list_products(&mut self, req: &ObservedRequest) -> Outcome {
        let active = match query(req, "active") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return invalid("active must be true or false"),
        };
        let mode = query_non_empty(req, "mode");
        if mode.is_some_and(|m| m != "payment" && m != "subscription") {
            return invalid("mode must be payment or subscription");
        }
        let category = query_non_empty(req, "category");
        let limit = match query_limit(req, DEFAULT_PAGE, MAX_PAGE) {
            Ok(limit) => limit,
            Err(outcome) => return outcome,
        };
        // The cursor is a product id: the page starts after it in catalog order.
        let start = match query_non_empty(req, "starting_after") {
            None => 0,
            Some(cursor) => match self.catalog.iter().position(|p| p.id == cursor) {
                Some(i) => i + 1,
                None => return invalid("starting_after is not a product id"),
            },
        };
        let matches = |p: &&Product| {
            active.is_none_or(|a| p.active == a)
                && category.is_none_or(|c| p.category == c)
                && mode.is_none_or(|m| p.sold_in(m))
        };
        let total = self.catalog.iter().filter(matches).count();
        let page: Vec<Value> = self.catalog[start..]
            .iter()
            .filter(matches)
            .take(limit)
            .map(|p| p.json(true))
            .collect();
        Outcome::Ok(json!({"products": page, "total": total}))
    }

    /// `GET /api/stripe/products/{id}`.
    pub(super) fn get_product(&mut self, req: &ObservedRequest, id: &str) -> Outcome {
        let with_prices = match query(req, "include_prices") {
            None | Some("true") => true,
            Some("false") => false,
            Some(_) => return invalid("include_prices must be true or false"),
        };
        match self.catalog.iter().find(|p| p.id == id) {
            Some(product) => Outcome::Ok(product.json(with_prices)),
            None => fail(404, "PRODUCT_NOT_FOUND", "No such product"),
        }
    }

    /// `POST /api/payments/create-checkout-session`.
    pub(super) fn create_checkout_session(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return invalid("Body must be a JSON object");
        };
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.trim().is_empty())
        };
        let (Some(price_id), Some(mode), Some(success_url), Some(cancel_url)) = (
            text("price_id"),
            text("mode"),
            text("success_url"),
            text("cancel_url"),
        ) else {
            return invalid("price_id, mode, success_url and cancel_url are required");
        };
        if !matches!(mode, "payment" | "subscription" | "setup") {
            return invalid("mode must be payment, subscription or setup");
        }
        let is_url = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        if !is_url(success_url) || !is_url(cancel_url) {
            return invalid("success_url and cancel_url must be http(s) URLs");
        }
        if body.get("metadata").is_some_and(|m| !m.is_object()) {
            return invalid("metadata must be an object");
        }
        let price = self
            .catalog
            .iter()
            .flat_map(|p| p.prices.iter().map(move |price| (p, price)))
            .find(|(_, price)| price.id == price_id);
        let Some((product, price)) = price else {
            return fail(404, "PRICE_NOT_FOUND", "No such price");
        };
        if !price.active || !product.active {
            return fail(400, "PRICE_INACTIVE", "This price can no longer be bought");
        }
        match (mode, price.interval.is_some()) {
            ("subscription", false) => return invalid("mode subscription needs a recurring price"),
            ("payment", true) => return invalid("mode payment needs a one-time price"),
            _ => {}
        }
        self.next_checkout += 1;
        let id = format!("cs_mock_{}", self.next_checkout);
        Outcome::Ok(json!({
            "session_id": id,
            "checkout_url": format!("https://checkout.example.com/pay/{id}"),
            "expires_at": rfc3339(plus(super::now(), CHECKOUT_TTL_S)),
        }))
    }
}
