//! The product catalog: products, their prices, and the results of the admin calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::JsonObject;
use crate::timestamp::Timestamp;

/// A price of a product (`payments.create_price`, and inside [`Product`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductPrice {
    /// The price id.
    pub id: String,
    /// The price, in minor units.
    #[serde(default)]
    pub unit_amount: Option<i64>,
    /// The currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// `one_time` or `recurring`.
    #[serde(default)]
    pub r#type: Option<String>,
    /// The billing interval, as the server describes it.
    #[serde(default)]
    pub recurring: Option<JsonObject>,
    /// A nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Whether it can be bought.
    #[serde(default)]
    pub active: Option<bool>,
    /// Every other key of the price, as sent (the raw-dict answer of
    /// `payments.create_price_and_set_default` keeps them all).
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A product of the catalog (`payments.get_product`, `payments.create_product`,
/// `payments.update_product`, `payments.set_default_price`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// The product id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Option<Vec<String>>,
    /// Whether it can be bought.
    #[serde(default)]
    pub active: Option<bool>,
    /// Product metadata.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// Its prices (empty when not asked for).
    #[serde(default)]
    pub prices: Vec<ProductPrice>,
    /// The default price, as the server describes it (an object, or the price id).
    #[serde(default)]
    pub default_price: Option<Value>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

/// A page of products (`payments.list_products`, `payments.list_all_products`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductList {
    /// The products.
    #[serde(default)]
    pub products: Vec<Product>,
    /// The number of products in all pages; the endpoints fill in the page length when
    /// the server does not say.
    pub total: u64,
    /// Super-admin details of the listing (`adminMetadata`).
    #[serde(default, alias = "adminMetadata")]
    pub admin_metadata: Option<JsonObject>,
}

/// The result of archiving a product or a price (`payments.archive_product`,
/// `payments.archive_price`): the server's object, with the usual fields typed and the
/// rest in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Archived {
    /// The product or price id.
    #[serde(default)]
    pub id: Option<String>,
    /// Whether it is still active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether it was archived.
    #[serde(default)]
    pub archived: Option<bool>,
    /// Every other key of the response.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The result of creating a price and making it the product's default
/// (`payments.create_price_and_set_default`): the server's object, with the usual fields
/// typed and the rest in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DefaultPriceCreated {
    /// The new price.
    #[serde(default)]
    pub price: Option<ProductPrice>,
    /// The product.
    #[serde(default)]
    pub product_id: Option<String>,
    /// The price that was the default before.
    #[serde(default)]
    pub previous_price_id: Option<String>,
    /// Every other key of the response.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// The wire form of [`ProductList`]: `products` and `total` may be missing.
#[derive(Debug, Deserialize)]
pub struct RawProductList {
    #[serde(default)]
    products: Option<Vec<Product>>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, alias = "adminMetadata")]
    admin_metadata: Option<JsonObject>,
}

impl From<RawProductList> for ProductList {
    fn from(raw: RawProductList) -> Self {
        let products = raw.products.unwrap_or_default();
        let total = raw.total.unwrap_or(products.len() as u64);
        ProductList {
            products,
            total,
            admin_metadata: raw.admin_metadata,
        }
    }
}
