//! Sell something: list the products with their prices, pick a price, open a Stripe
//! checkout session and send the user to its URL; then walk the whole catalog page by
//! page: `cargo run -p spaps-examples --example checkout`.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`, `SPAPS_EMAIL` and `SPAPS_PASSWORD`).

use futures_util::StreamExt;
use spaps_tokio::model::payments::{Product, ProductPrice};
use spaps_tokio::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!("SPAPS at {target}");
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .build()?;

    // Payment calls act for a signed-in user: the checkout session will be theirs.
    client
        .auth()
        .sign_in_with_password(target.email.as_str(), target.password.as_str())
        .await?;

    // One page of the products on sale, each with its prices.
    let catalog = client
        .payments()
        .list_products()
        .active(true)
        .limit(20u32)
        .await?;
    println!("{} product(s) on sale:", catalog.total);
    for product in &catalog.products {
        println!("  {} ({})", product.name, product.id);
        for price in &product.prices {
            println!("    {:<28} {}", price.id, describe(price));
        }
    }

    // Pick a price; a real shop lets the user choose. A product page would load the one
    // product it shows (prices included) with `get_product`.
    let Some(product) = catalog.products.iter().find(|p| pick(p).is_some()) else {
        println!("nothing to sell");
        return Ok(());
    };
    let product = client.payments().get_product(product.id.as_str()).await?;
    let Some((price, mode)) = pick(&product) else {
        println!("{} has no active price any more", product.name);
        return Ok(());
    };

    // The checkout session: Stripe hosts the payment page. `{CHECKOUT_SESSION_ID}` is
    // filled in by Stripe; SPAPS grants the entitlement when the payment succeeds (and
    // tells your backend with a webhook, see the webhook_receiver example).
    let order = serde_json::Map::from_iter([("order_ref".to_owned(), "order-1042".into())]);
    let session = client
        .payments()
        .create_checkout_session(
            price.id.as_str(),
            mode,
            "https://yourapp.example/billing/done?session_id={CHECKOUT_SESSION_ID}",
            "https://yourapp.example/billing/cancelled",
        )
        .metadata(order)
        .await?;
    println!(
        "\n{} {} ({mode}): send the user to\n  {}",
        product.name,
        describe(price),
        session.checkout_url
    );
    if let Some(expires_at) = session.expires_at {
        println!(
            "  (session {}, open until {expires_at})",
            session.session_id
        );
    }

    // Every product, active or not: `.pages()` asks for the next page only when the
    // stream reaches it, and `.items()` flattens the pages into products.
    println!("\nthe whole catalog, two products a page:");
    let mut products = client
        .payments()
        .list_products()
        .limit(2u32)
        .pages()
        .items();
    let mut count = 0;
    while let Some(product) = products.next().await {
        let product = product?; // a failed page ends the walk with its error
        count += 1;
        let state = if product.active == Some(false) {
            "inactive"
        } else {
            "active"
        };
        println!(
            "  {:<20} {:<8} {} price(s)",
            product.id,
            state,
            product.prices.len()
        );
    }
    println!("{count} product(s) in all");

    client.auth().logout().await?;
    Ok(())
}

/// The first active price of an active product, with the checkout mode it sells in:
/// `subscription` for a recurring price, `payment` for a one-time one.
fn pick(product: &Product) -> Option<(&ProductPrice, &'static str)> {
    if product.active == Some(false) {
        return None;
    }
    let price = product
        .prices
        .iter()
        .find(|p| p.active != Some(false) && p.unit_amount.is_some())?;
    let mode = if price.r#type.as_deref() == Some("recurring") {
        "subscription"
    } else {
        "payment"
    };
    Some((price, mode))
}

/// `20.00 USD a month`. Amounts are integers in minor units (cents); this assumes a
/// currency with two decimals (not JPY, for one).
fn describe(price: &ProductPrice) -> String {
    let amount = price.unit_amount.unwrap_or(0);
    let currency = price.currency.as_deref().unwrap_or("?").to_uppercase();
    // The billing period of a recurring price, as the server describes it.
    let every = price
        .recurring
        .as_ref()
        .and_then(|r| r.get("interval"))
        .and_then(|i| i.as_str())
        .map_or_else(|| " once".to_owned(), |i| format!(" a {i}"));
    format!("{}.{:02} {currency}{every}", amount / 100, amount % 100)
}
