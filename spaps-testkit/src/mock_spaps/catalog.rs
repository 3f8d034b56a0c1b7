//! The product catalog: products, prices, default prices and archiving.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{
    body, fail, invalid, ok, plus, query, query_bool, query_limit, query_non_empty, rfc3339, Body,
    Outcome, Res,
};
use super::State;
use crate::observed::ObservedRequest;

/// Page size of `GET /api/stripe/products` when no `limit` is given.
const DEFAULT_PAGE: usize = 10;
/// The largest accepted `limit`.
const MAX_PAGE: usize = 100;

#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) products: Vec<Product>,
}

#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub(crate) id: String,
    pub(crate) name: String,
    description: Option<String>,
    category: Option<String>,
    images: Vec<String>,
    metadata: Map<String, Value>,
    pub(crate) active: bool,
    created_at: OffsetDateTime,
    pub(crate) prices: Vec<Price>,
    default_price: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Price {
    pub(crate) id: String,
    pub(crate) unit_amount: i64,
    pub(crate) currency: String,
    /// `month`, `year`, ... for a recurring price; `None` for a one-time one.
    pub(crate) interval: Option<String>,
    interval_count: i64,
    nickname: Option<String>,
    pub(crate) active: bool,
}

impl Price {
    fn new(id: &str, unit_amount: i64, interval: Option<&str>) -> Price {
        Price {
            id: id.to_owned(),
            unit_amount,
            currency: "usd".to_owned(),
            interval: interval.map(str::to_owned),
            interval_count: 1,
            nickname: Some(
                match interval {
                    Some("month") => "Monthly",
                    Some("year") => "Yearly",
                    _ => "One-time",
                }
                .to_owned(),
            ),
            active: true,
        }
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "unit_amount": self.unit_amount,
            "currency": self.currency,
            "type": if self.interval.is_some() { "recurring" } else { "one_time" },
            "recurring": self.interval.as_ref().map(|i| json!({"interval": i, "interval_count": self.interval_count})),
            "nickname": self.nickname,
            "active": self.active,
        })
    }

    /// The price as a subscription item carries it.
    pub(crate) fn item_json(&self, product: &str) -> Value {
        json!({
            "id": self.id,
            "product": product,
            "unit_amount": self.unit_amount,
            "currency": self.currency,
            "recurring": self.interval.as_ref().map(|i| json!({"interval": i, "interval_count": self.interval_count})),
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
        let default = self
            .default_price
            .as_deref()
            .and_then(|id| self.prices.iter().find(|p| p.id == id));
        let mut metadata = self.metadata.clone();
        if let Some(c) = &self.category {
            metadata.insert("category".to_owned(), json!(c));
        }
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "images": self.images,
            "active": self.active,
            "metadata": metadata,
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

impl Catalog {
    /// The catalog of the module docs, created `started - 90 days` onwards.
    pub(crate) fn seed(started: OffsetDateTime) -> Catalog {
        let day = 24 * 3600;
        let product = |n: i64,
                       id: &str,
                       name: &str,
                       description: &str,
                       category: &str,
                       prices: Vec<Price>| {
            Product {
                id: id.to_owned(),
                name: name.to_owned(),
                description: Some(description.to_owned()),
                category: Some(category.to_owned()),
                images: Vec::new(),
                metadata: Map::new(),
                active: true,
                created_at: plus(started, (n - 90) * day),
                default_price: prices.first().map(|p| p.id.clone()),
                prices,
            }
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
        Catalog {
            products: vec![
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
            ],
        }
    }

    /// The product and price with `price_id`.
    pub(crate) fn price(&self, price_id: &str) -> Option<(&Product, &Price)> {
        self.products
            .iter()
            .flat_map(|p| p.prices.iter().map(move |price| (p, price)))
            .find(|(_, price)| price.id == price_id)
    }

    fn product_mut(&mut self, id: &str) -> Result<&mut Product, Outcome> {
        self.products
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| fail(404, "PRODUCT_NOT_FOUND", "No such product"))
    }

    /// Loads one fixture product.
    pub(crate) fn add_fixture(&mut self, v: &Value, now: OffsetDateTime) -> Result<(), String> {
        let id = v["id"].as_str().ok_or("a fixture product needs an id")?;
        let name = v["name"].as_str().ok_or("a fixture product needs a name")?;
        if self.products.iter().any(|p| p.id == id) {
            return Err(format!("product {id} already exists"));
        }
        let mut prices = Vec::new();
        for p in v["prices"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let pid = p["id"].as_str().ok_or("a fixture price needs an id")?;
            let amount = p["unit_amount"]
                .as_i64()
                .ok_or("a fixture price needs a unit_amount")?;
            let mut price = Price::new(pid, amount, p["interval"].as_str());
            if let Some(c) = p["currency"].as_str() {
                price.currency = c.to_owned();
            }
            price.active = p["active"].as_bool().unwrap_or(true);
            prices.push(price);
        }
        self.products.push(Product {
            id: id.to_owned(),
            name: name.to_owned(),
            description: v["description"].as_str().map(str::to_owned),
            category: v["category"].as_str().map(str::to_owned),
            images: Vec::new(),
            metadata: v["metadata"].as_object().cloned().unwrap_or_default(),
            active: v["active"].as_bool().unwrap_or(true),
            created_at: now,
            default_price: prices.first().map(|p| p.id.clone()),
            prices,
        });
        Ok(())
    }
}

fn price_from_body(b: &Body, id: String) -> Result<Price, Outcome> {
    let unit_amount = b
        .opt_int("unit_amount")?
        .ok_or_else(|| invalid("unit_amount is required"))?;
    if unit_amount < 0 {
        return Err(invalid("unit_amount must not be negative"));
    }
    let currency = b.text("currency")?.to_ascii_lowercase();
    let interval = b.opt_text("interval")?;
    if interval
        .as_deref()
        .is_some_and(|i| !matches!(i, "day" | "week" | "month" | "year"))
    {
        return Err(invalid("interval must be day, week, month or year"));
    }
    let recurring = b.opt_bool("recurring")?;
    let interval = match (interval, recurring) {
        (Some(i), Some(false)) => {
            return Err(invalid(format!("interval {i} needs a recurring price")))
        }
        (None, Some(true)) => Some("month".to_owned()),
        (i, _) => i,
    };
    let interval_count = b.opt_int("interval_count")?.unwrap_or(1);
    if interval_count < 1 {
        return Err(invalid("interval_count must be at least 1"));
    }
    b.opt_object("metadata")?;
    Ok(Price {
        id,
        unit_amount,
        currency,
        interval,
        interval_count,
        nickname: b.opt_text("nickname")?,
        active: b.opt_bool("active")?.unwrap_or(true),
    })
}

impl State {
    pub(crate) fn route_catalog(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("GET", ["api", "stripe", "products"]) => self.list_products(req, false),
            ("GET", ["api", "stripe", "products", "super-admin", "all"]) => {
                self.list_products(req, true)
            }
            ("POST", ["api", "stripe", "products"]) => self.create_product(req),
            ("GET", ["api", "stripe", "products", id]) => self.get_product(req, id),
            ("PUT", ["api", "stripe", "products", id]) => self.update_product(req, id),
            ("DELETE", ["api", "stripe", "products", id]) => self.archive_product(req, id),
            ("POST", ["api", "stripe", "prices"]) => self.create_price(req),
            ("DELETE", ["api", "stripe", "prices", id]) => self.archive_price(req, id),
            ("POST", ["api", "stripe", "products", id, "default-price"]) => {
                self.set_default_price(req, id)
            }
            ("POST", ["api", "stripe", "products", "super-admin", id, "prices", "default-new"])
            | ("POST", ["api", "stripe", "products", id, "prices", "default-new"]) => {
                self.create_default_price(req, id)
            }
            _ => return None,
        })
    }

    /// `GET /api/stripe/products` and `GET /api/stripe/products/super-admin/all`.
    fn list_products(&mut self, req: &ObservedRequest, all: bool) -> Res {
        if all {
            self.admin(req)?;
        } else {
            self.bearer(req)?;
        }
        let active = query_bool(req, "active")?;
        let mode = query_non_empty(req, "mode");
        if mode.is_some_and(|m| m != "payment" && m != "subscription") {
            return Err(invalid("mode must be payment or subscription"));
        }
        let category = query_non_empty(req, "category");
        let limit = query_limit(req, if all { MAX_PAGE } else { DEFAULT_PAGE }, MAX_PAGE)?;
        // The cursor is a product id: the page starts after it in catalog order.
        let products = &self.catalog.products;
        let start = match query_non_empty(req, "starting_after") {
            None => 0,
            Some(cursor) => match products.iter().position(|p| p.id == cursor) {
                Some(i) => i + 1,
                None => return Err(invalid("starting_after is not a product id")),
            },
        };
        let matches = |p: &&Product| {
            active.is_none_or(|a| p.active == a)
                && category.is_none_or(|c| p.category.as_deref() == Some(c))
                && mode.is_none_or(|m| p.sold_in(m))
        };
        let total = products.iter().filter(matches).count();
        let page: Vec<Value> = products[start..]
            .iter()
            .filter(matches)
            .take(limit)
            .map(|p| p.json(true))
            .collect();
        let mut data = json!({"products": page, "total": total});
        if all {
            data["adminMetadata"] =
                json!({"total_products": products.len(), "scope": "super-admin"});
        }
        ok(data)
    }

    /// `GET /api/stripe/products/{id}`.
    fn get_product(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.bearer(req)?;
        let with_prices = match query(req, "include_prices") {
            None | Some("true") => true,
            Some("false") => false,
            Some(_) => return Err(invalid("include_prices must be true or false")),
        };
        match self.catalog.products.iter().find(|p| p.id == id) {
            Some(product) => ok(product.json(with_prices)),
            None => Err(fail(404, "PRODUCT_NOT_FOUND", "No such product")),
        }
    }

    fn create_product(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let name = b.text("name")?;
        let images = match b.opt_array("images")? {
            None => Vec::new(),
            Some(list) => list
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("images must be strings"))?,
        };
        let product = Product {
            id: self.next_id("prod"),
            name,
            description: b.opt_text("description")?,
            category: b.opt_text("category")?,
            images,
            metadata: b.opt_object("metadata")?.unwrap_or_default(),
            active: b.opt_bool("active")?.unwrap_or(true),
            created_at: self.now,
            prices: Vec::new(),
            default_price: None,
        };
        let json = product.json(true);
        self.catalog.products.push(product);
        ok(json!({ "product": json }))
    }

    fn update_product(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let name = b.opt_text("name")?;
        if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(invalid("name must not be empty"));
        }
        let description = b.opt_text("description")?;
        let images = b.opt_array("images")?;
        let metadata = b.opt_object("metadata")?;
        let active = b.opt_bool("active")?;
        let product = self.catalog.product_mut(id)?;
        if let Some(n) = name {
            product.name = n;
        }
        if let Some(d) = description {
            product.description = Some(d);
        }
        if let Some(list) = images {
            product.images = list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        if let Some(m) = metadata {
            product.metadata.extend(m);
        }
        if let Some(a) = active {
            product.active = a;
        }
        ok(json!({ "product": product.json(true) }))
    }

    fn archive_product(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.admin(req)?;
        let product = self.catalog.product_mut(id)?;
        product.active = false;
        ok(json!({"id": product.id, "active": false, "archived": true}))
    }

    fn create_price(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let product_id = b.text("product_id")?;
        let id = self.next_id("price");
        let price = price_from_body(&b, id)?;
        let product = self.catalog.product_mut(&product_id)?;
        let json = price.json();
        if product.default_price.is_none() && price.active {
            product.default_price = Some(price.id.clone());
        }
        product.prices.push(price);
        ok(json!({ "price": json }))
    }

    fn archive_price(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.admin(req)?;
        let Some(product) = self
            .catalog
            .products
            .iter_mut()
            .find(|p| p.prices.iter().any(|x| x.id == id))
        else {
            return Err(fail(404, "PRICE_NOT_FOUND", "No such price"));
        };
        if product.default_price.as_deref() == Some(id) {
            product.default_price = None;
        }
        let Some(price) = product.prices.iter_mut().find(|x| x.id == id) else {
            return Err(fail(404, "PRICE_NOT_FOUND", "No such price"));
        };
        price.active = false;
        ok(json!({"id": id, "active": false}))
    }

    fn set_default_price(&mut self, req: &ObservedRequest, id: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let price_id = b.text("price_id")?;
        let product = self.catalog.product_mut(id)?;
        match product.prices.iter().find(|p| p.id == price_id) {
            None => {
                return Err(fail(
                    404,
                    "PRICE_NOT_FOUND",
                    "No such price on this product",
                ))
            }
            Some(p) if !p.active => {
                return Err(fail(
                    400,
                    "PRICE_INACTIVE",
                    "An archived price cannot be the default",
                ))
            }
            Some(_) => {}
        }
        product.default_price = Some(price_id);
        ok(json!({ "product": product.json(true) }))
    }

    /// Both `.../prices/default-new` routes.
    fn create_default_price(&mut self, req: &ObservedRequest, product_id: &str) -> Res {
        self.admin(req)?;
        let b = body(req)?;
        let deactivate = b.opt_bool("deactivate_previous")?.unwrap_or(false);
        let id = self.next_id("price");
        let price = price_from_body(&b, id)?;
        let product = self.catalog.product_mut(product_id)?;
        let previous = product.default_price.clone();
        if deactivate {
            if let Some(p) = previous
                .as_deref()
                .and_then(|prev| product.prices.iter_mut().find(|x| x.id == prev))
            {
                p.active = false;
            }
        }
        let json = price.json();
        product.default_price = Some(price.id.clone());
        product.prices.push(price);
        ok(json!({
            "price": json,
            "product_id": product_id,
            "previous_price_id": previous,
            "product": product.json(true),
        }))
    }
}
