//! The product catalog: products and their prices, including the admin calls that
//! create, change and archive them (`/api/stripe/products`, `/api/stripe/prices`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::PriceIdBody;
use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::model::payments::{
    Archived, DefaultPriceCreated, JsonObject, Product, ProductList, ProductPrice,
};
use crate::spec::{require, Auth, RequestSpec};

#[derive(Deserialize)]
struct RawProductList {
    #[serde(default)]
    products: Option<Vec<Product>>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, alias = "adminMetadata")]
    admin_metadata: Option<JsonObject>,
}

fn product_list(
    operation: &'static str,
    response: &http::Response<Bytes>,
) -> Result<ProductList, Error> {
    let raw: RawProductList = Envelope::parse_data(operation, response.body())?;
    let products = raw.products.unwrap_or_default();
    let total = raw.total.unwrap_or(products.len() as u64);
    Ok(ProductList {
        products,
        total,
        admin_metadata: raw.admin_metadata,
    })
}

/// `GET /api/stripe/products`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListProducts {
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
}
crate::setters!(ListProducts {
    category: String,
    active: bool,
    limit: u32,
    starting_after: String,
    mode: String,
});

impl Endpoint for ListProducts {
    type Output = ProductList;
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

    fn parse(&self, response: &http::Response<Bytes>) -> Result<ProductList, Error> {
        product_list(Self::NAME, response)
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

/// `GET /api/stripe/products/{product_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetProduct {
    /// The product.
    pub product_id: String,
    /// Whether to include the prices (`true` when not set); `include_prices=false` is
    /// sent only when `false`.
    #[serde(default)]
    pub include_prices: Option<bool>,
}
crate::setters!(GetProduct {
    include_prices: bool
});

impl Endpoint for GetProduct {
    type Output = Product;
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

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Product, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/products/super-admin/all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListAllProducts {}

impl Endpoint for ListAllProducts {
    type Output = ProductList;
    const NAME: &'static str = "payments.list_all_products";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/products/super-admin/all").auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<ProductList, Error> {
        product_list(Self::NAME, response)
    }
}

/// `POST /api/stripe/products`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
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
}
crate::setters!(CreateProduct {
    description: String,
    category: String,
    images: Vec<String>,
    metadata: JsonObject,
    active: bool,
});

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
    const NAME: &'static str = "payments.create_product";

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

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Product, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("product")?
            .decode()
    }
}

/// `PUT /api/stripe/products/{product_id}`. Only the fields set are sent (`{}` when none).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
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
}
crate::setters!(UpdateProduct {
    name: String,
    description: String,
    images: Vec<String>,
    metadata: JsonObject,
    active: bool,
});

impl Endpoint for UpdateProduct {
    type Output = Product;
    const NAME: &'static str = "payments.update_product";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::put("/api/stripe/products/{product_id}")
            .param(&self.product_id)
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Product, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("product")?
            .decode()
    }
}

/// `DELETE /api/stripe/products/{product_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveProduct {
    /// The product.
    pub product_id: String,
}

impl Endpoint for ArchiveProduct {
    type Output = Archived;
    const NAME: &'static str = "payments.archive_product";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::delete("/api/stripe/products/{product_id}")
            .param(&self.product_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Archived, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/stripe/prices`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePrice {
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
}
crate::setters!(CreatePrice {
    interval: String,
    interval_count: u32,
    recurring: bool,
    nickname: String,
    metadata: JsonObject,
    active: bool,
});

impl Endpoint for CreatePrice {
    type Output = ProductPrice;
    const NAME: &'static str = "payments.create_price";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/stripe/prices")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<ProductPrice, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("price")?
            .decode()
    }
}

/// `DELETE /api/stripe/prices/{price_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivePrice {
    /// The price.
    pub price_id: String,
}

impl Endpoint for ArchivePrice {
    type Output = Archived;
    const NAME: &'static str = "payments.archive_price";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::delete("/api/stripe/prices/{price_id}")
            .param(&self.price_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Archived, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/stripe/products/{product_id}/default-price`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDefaultPrice {
    /// The product.
    pub product_id: String,
    /// The price to make the default.
    pub price_id: String,
}

impl Endpoint for SetDefaultPrice {
    type Output = Product;
    const NAME: &'static str = "payments.set_default_price";

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

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Product, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("product")?
            .decode()
    }
}

/// `POST /api/stripe/products/super-admin/{product_id}/prices/default-new`, or
/// `POST /api/stripe/products/{product_id}/prices/default-new` with `super_admin` false.
/// The product goes in the path only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePriceAndSetDefault {
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
}
crate::setters!(CreatePriceAndSetDefault {
    interval: String,
    interval_count: u32,
    recurring: bool,
    nickname: String,
    metadata: JsonObject,
    deactivate_previous: bool,
    super_admin: bool,
});

impl Endpoint for CreatePriceAndSetDefault {
    type Output = DefaultPriceCreated;
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

    fn parse(&self, response: &http::Response<Bytes>) -> Result<DefaultPriceCreated, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

#[cfg(test)]
mod tests;
