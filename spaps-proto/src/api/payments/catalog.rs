//! The product catalog: products and their prices, including the admin calls that
//! create, change and archive them (`/api/stripe/products`, `/api/stripe/prices`).

use serde::{Deserialize, Serialize};

use super::PriceIdBody;
use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Shape;
use crate::error::Error;
use crate::model::payments::{
    Archived, DefaultPriceCreated, JsonObject, Product, ProductList, ProductPrice,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists the application's products.
    /// Optional: `.category(..)`, `.active(..)`, `.limit(..)`, `.starting_after(..)`, `.mode(..)`.
    pub fn list_products(&self) -> ListProducts<Bound<'a, X>> {
        ListProducts::new().on(self.client)
    }
}

/// `GET /api/stripe/products`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListProducts<B = Unbound> {
    /// Only this category; sent when not empty.
    #[serde(default)]
    pub category: Option<String>,
    /// Only active (`true`) or inactive (`false`) products.
    #[serde(default)]
    pub active: Option<bool>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last product id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
    /// Only products sold in this mode; sent when not empty.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListProducts {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListProducts() { category: String, active: bool, limit: u32, starting_after: String, mode: String });

impl Endpoint for ListProducts {
    type Output = ProductList;
    type Wire = crate::model::payments::RawProductList;
    const NAME: &'static str = "payments.list_products";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/products")
            .query_non_empty("category", self.category.as_deref())
            .query_opt("active", self.active)
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .query_non_empty("mode", self.mode.as_deref())
            .auth(Auth::Bearer))
    }
}

impl Paginated for ListProducts {
    type Item = Product;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Cursor(self.starting_after.clone().unwrap_or_default())
    }

    /// The server sends `total` but no `has_more`. A first page holding all `total`
    /// products is the only one. Otherwise, with a `limit`, a full page means more may
    /// follow; without one (the server's page size is unknown), a page shorter than
    /// `total` means more may follow, and the walk ends at the first empty page.
    fn next_page(&self, page: &ProductList) -> Option<Self> {
        let count = page.products.len();
        let first = self.starting_after.as_deref().is_none_or(str::is_empty);
        let more = if first && count as u64 >= page.total {
            false
        } else {
            match self.limit {
                Some(limit) => count >= limit as usize,
                None => (count as u64) < page.total,
            }
        };
        let last = page.products.last().map(|p| p.id.as_str());
        let cursor = crate::paging::next_cursor(Some(more), last, count, self.limit)?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: ProductList) -> Vec<Product> {
        page.products
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// A product, with its prices unless `.include_prices(false)`.
    /// Optional: `.include_prices(..)`.
    pub fn get_product(&self, product_id: impl Into<String>) -> GetProduct<Bound<'a, X>> {
        GetProduct::new(product_id).on(self.client)
    }
}

/// `GET /api/stripe/products/{product_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetProduct<B = Unbound> {
    /// The product.
    pub product_id: String,
    /// Whether to include the prices (`true` when not set); `include_prices=false` is
    /// sent only when `false`.
    #[serde(default)]
    pub include_prices: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetProduct {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(product_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
            include_prices: None,
        }
    }
}

crate::arguments::arguments!(GetProduct(product_id) { include_prices: bool });

impl Endpoint for GetProduct {
    type Output = Product;
    type Wire = Product;
    const NAME: &'static str = "payments.get_product";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("product_id", &self.product_id)?;
        let spec = RequestSpec::get("/api/stripe/products/{product_id}").param(&self.product_id);
        let spec = match self.include_prices {
            Some(false) => spec.query("include_prices", "false"),
            _ => spec,
        };
        Ok(spec.auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists the products of every application (super admins).
    pub fn list_all_products(&self) -> ListAllProducts<Bound<'a, X>> {
        ListAllProducts::new().on(self.client)
    }
}

/// `GET /api/stripe/products/super-admin/all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListAllProducts<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ListAllProducts() {});

impl ListAllProducts {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for ListAllProducts {
    type Output = ProductList;
    type Wire = crate::model::payments::RawProductList;
    const NAME: &'static str = "payments.list_all_products";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/products/super-admin/all").auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a product.
    /// Optional: `.description(..)`, `.category(..)`, `.images(..)`, `.metadata(..)`,
    /// `.active(..)` (default `true`).
    pub fn create_product(&self, name: impl Into<String>) -> CreateProduct<Bound<'a, X>> {
        CreateProduct::new(name).on(self.client)
    }
}

/// `POST /api/stripe/products`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateProduct<B = Unbound> {
    /// The name.
    pub name: String,
    /// A description; sent when set.
    #[serde(default)]
    pub description: Option<String>,
    /// A category; sent when set.
    #[serde(default)]
    pub category: Option<String>,
    /// Image URLs; sent when set.
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// Product metadata; sent when set.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// Whether it can be bought; `true` when not set (always sent).
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateProduct {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            name: name.into(),
            description: None,
            category: None,
            images: None,
            metadata: None,
            active: None,
        }
    }
}

crate::arguments::arguments!(CreateProduct(name) { description: String, category: String, images: Vec<String>, metadata: JsonObject, active: bool });

#[derive(Serialize)]
struct CreateProductBody<'a> {
    name: &'a str,
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: &'a Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: &'a Option<JsonObject>,
}

impl Endpoint for CreateProduct {
    type Output = Product;
    type Wire = Product;
    const NAME: &'static str = "payments.create_product";
    const SHAPE: Shape = Shape::DataOrKey("product");

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = CreateProductBody {
            name: &self.name,
            active: self.active.unwrap_or(true),
            description: &self.description,
            category: &self.category,
            images: &self.images,
            metadata: &self.metadata,
        };
        Ok(RequestSpec::post("/api/stripe/products")
            .json(&body)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Changes a product; only the fields set are sent.
    /// Optional: `.name(..)`, `.description(..)`, `.images(..)`, `.metadata(..)`, `.active(..)`.
    pub fn update_product(&self, product_id: impl Into<String>) -> UpdateProduct<Bound<'a, X>> {
        UpdateProduct::new(product_id).on(self.client)
    }
}

/// `PUT /api/stripe/products/{product_id}`. Only the fields set are sent (`{}` when none).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateProduct<B = Unbound> {
    /// The product.
    #[serde(skip_serializing)]
    pub product_id: String,
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New image URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    /// New metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// Whether it can be bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl UpdateProduct {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(product_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
            name: None,
            description: None,
            images: None,
            metadata: None,
            active: None,
        }
    }
}

crate::arguments::arguments!(UpdateProduct(product_id) { name: String, description: String, images: Vec<String>, metadata: JsonObject, active: bool });

impl Endpoint for UpdateProduct {
    type Output = Product;
    type Wire = Product;
    const NAME: &'static str = "payments.update_product";
    const SHAPE: Shape = Shape::DataOrKey("product");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::put("/api/stripe/products/{product_id}")
            .param(&self.product_id)
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Archives a product.
    pub fn archive_product(&self, product_id: impl Into<String>) -> ArchiveProduct<Bound<'a, X>> {
        ArchiveProduct::new(product_id).on(self.client)
    }
}

/// `DELETE /api/stripe/products/{product_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ArchiveProduct<B = Unbound> {
    /// The product.
    pub product_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ArchiveProduct(product_id) {});

impl ArchiveProduct {
    /// The request, with its arguments.
    pub fn new(product_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
        }
    }
}

impl Endpoint for ArchiveProduct {
    type Output = Archived;
    type Wire = Archived;
    const NAME: &'static str = "payments.archive_product";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::delete("/api/stripe/products/{product_id}")
            .param(&self.product_id)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a price of `unit_amount` minor units for a product.
    /// Optional: `.interval(..)`, `.interval_count(..)`, `.recurring(..)`, `.nickname(..)`,
    /// `.metadata(..)`, `.active(..)`.
    pub fn create_price(
        &self,
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> CreatePrice<Bound<'a, X>> {
        CreatePrice::new(product_id, unit_amount, currency).on(self.client)
    }
}

/// `POST /api/stripe/prices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreatePrice<B = Unbound> {
    /// The product.
    pub product_id: String,
    /// The price, in minor units.
    pub unit_amount: i64,
    /// The currency.
    pub currency: String,
    /// The billing interval (`month`, `year`, ...); sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Intervals between bills; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_count: Option<u32>,
    /// Whether the price recurs; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
    /// A nickname; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Price metadata; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// Whether it can be bought; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreatePrice {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
            unit_amount,
            currency: currency.into(),
            interval: None,
            interval_count: None,
            recurring: None,
            nickname: None,
            metadata: None,
            active: None,
        }
    }
}

crate::arguments::arguments!(CreatePrice(product_id, unit_amount, currency) { interval: String, interval_count: u32, recurring: bool, nickname: String, metadata: JsonObject, active: bool });

impl Endpoint for CreatePrice {
    type Output = ProductPrice;
    type Wire = ProductPrice;
    const NAME: &'static str = "payments.create_price";
    const SHAPE: Shape = Shape::DataOrKey("price");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/stripe/prices")
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Archives a price.
    pub fn archive_price(&self, price_id: impl Into<String>) -> ArchivePrice<Bound<'a, X>> {
        ArchivePrice::new(price_id).on(self.client)
    }
}

/// `DELETE /api/stripe/prices/{price_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ArchivePrice<B = Unbound> {
    /// The price.
    pub price_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ArchivePrice(price_id) {});

impl ArchivePrice {
    /// The request, with its arguments.
    pub fn new(price_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            price_id: price_id.into(),
        }
    }
}

impl Endpoint for ArchivePrice {
    type Output = Archived;
    type Wire = Archived;
    const NAME: &'static str = "payments.archive_price";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::delete("/api/stripe/prices/{price_id}")
            .param(&self.price_id)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Makes a price the product's default.
    pub fn set_default_price(
        &self,
        product_id: impl Into<String>,
        price_id: impl Into<String>,
    ) -> SetDefaultPrice<Bound<'a, X>> {
        SetDefaultPrice::new(product_id, price_id).on(self.client)
    }
}

/// `POST /api/stripe/products/{product_id}/default-price`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct SetDefaultPrice<B = Unbound> {
    /// The product.
    pub product_id: String,
    /// The price to make the default.
    pub price_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(SetDefaultPrice(product_id, price_id) {});

impl SetDefaultPrice {
    /// The request, with its arguments.
    pub fn new(product_id: impl Into<String>, price_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
            price_id: price_id.into(),
        }
    }
}

impl Endpoint for SetDefaultPrice {
    type Output = Product;
    type Wire = Product;
    const NAME: &'static str = "payments.set_default_price";
    const SHAPE: Shape = Shape::DataOrKey("product");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::post("/api/stripe/products/{product_id}/default-price")
                .param(&self.product_id)
                .json(&PriceIdBody {
                    price_id: &self.price_id,
                })
                .auth(Auth::Bearer),
        )
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Creates a price and makes it the product's default, through the super-admin route
    /// unless `.super_admin(false)`.
    /// Optional: `.interval(..)`, `.interval_count(..)`, `.recurring(..)`, `.nickname(..)`,
    /// `.metadata(..)`, `.deactivate_previous(..)`, `.super_admin(..)` (default `true`).
    pub fn create_price_and_set_default(
        &self,
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> CreatePriceAndSetDefault<Bound<'a, X>> {
        CreatePriceAndSetDefault::new(product_id, unit_amount, currency).on(self.client)
    }
}

/// `POST /api/stripe/products/super-admin/{product_id}/prices/default-new`, or
/// `POST /api/stripe/products/{product_id}/prices/default-new` with `super_admin` false.
/// The product goes in the path only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreatePriceAndSetDefault<B = Unbound> {
    /// The product (path only).
    #[serde(skip_serializing)]
    pub product_id: String,
    /// The price, in minor units.
    pub unit_amount: i64,
    /// The currency.
    pub currency: String,
    /// The billing interval (`month`, `year`, ...); sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Intervals between bills; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_count: Option<u32>,
    /// Whether the price recurs; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
    /// A nickname; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Price metadata; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// Whether to deactivate the previous default price; sent when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_previous: Option<bool>,
    /// Whether to use the super-admin route (`true` when not set; never sent).
    #[serde(default, skip_serializing)]
    pub super_admin: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreatePriceAndSetDefault {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            product_id: product_id.into(),
            unit_amount,
            currency: currency.into(),
            interval: None,
            interval_count: None,
            recurring: None,
            nickname: None,
            metadata: None,
            deactivate_previous: None,
            super_admin: None,
        }
    }
}

crate::arguments::arguments!(CreatePriceAndSetDefault(product_id, unit_amount, currency) { interval: String, interval_count: u32, recurring: bool, nickname: String, metadata: JsonObject, deactivate_previous: bool, super_admin: bool });

impl Endpoint for CreatePriceAndSetDefault {
    type Output = DefaultPriceCreated;
    type Wire = DefaultPriceCreated;
    const NAME: &'static str = "payments.create_price_and_set_default";

    fn request(&self) -> Result<RequestSpec, Error> {
        let template = if self.super_admin.unwrap_or(true) {
            "/api/stripe/products/super-admin/{product_id}/prices/default-new"
        } else {
            "/api/stripe/products/{product_id}/prices/default-new"
        };
        Ok(RequestSpec::post(template)
            .param(&self.product_id)
            .json(self)
            .auth(Auth::Bearer))
    }
}

crate::registry!(
    ListProducts,
    GetProduct,
    ListAllProducts,
    CreateProduct,
    UpdateProduct,
    ArchiveProduct,
    CreatePrice,
    ArchivePrice,
    SetDefaultPrice,
    CreatePriceAndSetDefault,
);

#[cfg(test)]
mod tests;
