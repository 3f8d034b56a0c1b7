use super::*;
use http::Method;
use serde_json::{json, Value};

use crate::api::payments::test_support::{args, body, built, check, respond, wrap};

fn product() -> Value {
    json!({
        "id": "prod_1", "name": "Pro", "description": null, "images": ["https://x/p.png"],
        "active": true, "metadata": {"tier": "pro"},
        "prices": [{"id": "price_1", "unit_amount": 2000, "currency": "usd",
            "type": "recurring", "recurring": {"interval": "month"}, "nickname": "Monthly",
            "active": true}],
        "default_price": {"id": "price_1"}, "created_at": "2024-11-02T09:30:00Z"
    })
}

#[test]
fn list_products_and_its_pages() {
    let e: ListProducts = args(json!({"category": "billing", "active": false, "limit": 1,
        "starting_after": "prod_0", "mode": ""}));
    check(
        &built(&e),
        Method::GET,
        "/api/stripe/products",
        "category=billing&active=false&limit=1&starting_after=prod_0",
        None,
        Auth::Bearer,
    );
    let page = e
        .parse(&wrap(json!({"products": [product()], "total": 3,
            "adminMetadata": {"is_super_admin": true}})))
        .unwrap();
    assert_eq!(page.total, 3);
    assert!(page.admin_metadata.is_some());
    assert_eq!(
        e.next_page(&page).unwrap().starting_after.as_deref(),
        Some("prod_1")
    );
    // Without `total`, the page length stands in.
    let page = e.parse(&wrap(json!({"products": [product()]}))).unwrap();
    assert_eq!(page.total, 1);
    // A first page that holds every product is the last.
    let first = ListProducts {
        limit: Some(1),
        ..ListProducts::default()
    };
    assert!(first.next_page(&page).is_none());
}

#[test]
fn get_product() {
    let mut e = GetProduct {
        bound: Unbound,
        product_id: "prod_1".into(),
        include_prices: None,
    };
    check(
        &built(&e),
        Method::GET,
        "/api/stripe/products/prod_1",
        "",
        None,
        Auth::Bearer,
    );
    e.include_prices = Some(true);
    assert_eq!(built(&e).query_string(), "");
    e.include_prices = Some(false);
    assert_eq!(built(&e).query_string(), "include_prices=false");
    let out = e.parse(&wrap(product())).unwrap();
    assert_eq!(out.prices[0].unit_amount, Some(2000));
    assert_eq!(out.prices[0].r#type.as_deref(), Some("recurring"));
    assert_eq!(out.created_at.unwrap().unix_seconds(), 1_730_539_800);
    e.product_id = String::new();
    assert!(matches!(
        e.request(),
        Err(Error::InvalidArgument {
            name: "product_id",
            ..
        })
    ));
}

#[test]
fn list_all_products() {
    let e = ListAllProducts { bound: Unbound };
    check(
        &built(&e),
        Method::GET,
        "/api/stripe/products/super-admin/all",
        "",
        None,
        Auth::Bearer,
    );
    let out = e
        .parse(&respond(
            json!({"products": [{"id": "p1", "name": "P"}], "total": 1}),
        ))
        .unwrap();
    assert_eq!(out.products[0].prices, vec![]);
}

#[test]
fn create_product() {
    let e: CreateProduct = args(json!({"name": "Team"}));
    check(
        &built(&e),
        Method::POST,
        "/api/stripe/products",
        "",
        Some(json!({"name": "Team", "active": true})),
        Auth::Bearer,
    );
    let full: CreateProduct = args(json!({"name": "Team", "description": "", "category": "c",
        "images": [], "metadata": {}, "active": false}));
    assert_eq!(
        body(&built(&full)),
        Some(
            json!({"name": "Team", "active": false, "description": "", "category": "c",
            "images": [], "metadata": {}})
        )
    );
    assert_eq!(
        e.parse(&wrap(json!({"product": product()}))).unwrap().id,
        "prod_1"
    );
    assert_eq!(e.parse(&respond(product())).unwrap().name, "Pro");
}

#[test]
fn update_product() {
    let mut e: UpdateProduct = args(json!({"product_id": "prod_1"}));
    check(
        &built(&e),
        Method::PUT,
        "/api/stripe/products/prod_1",
        "",
        Some(json!({})),
        Auth::Bearer,
    );
    e.name = Some("Pro+".into());
    e.images = Some(vec![]);
    e.active = Some(false);
    assert_eq!(
        body(&built(&e)),
        Some(json!({"name": "Pro+", "images": [], "active": false}))
    );
    assert_eq!(
        e.parse(&wrap(json!({"product": product()}))).unwrap().id,
        "prod_1"
    );
}

#[test]
fn archive_product_and_price() {
    let p = ArchiveProduct {
        bound: Unbound,
        product_id: "prod_1".into(),
    };
    check(
        &built(&p),
        Method::DELETE,
        "/api/stripe/products/prod_1",
        "",
        None,
        Auth::Bearer,
    );
    let out = p
        .parse(&wrap(
            json!({"id": "prod_1", "active": false, "archived": true, "n": 1}),
        ))
        .unwrap();
    assert_eq!(out.archived, Some(true));
    assert_eq!(out.extra.get("n"), Some(&json!(1)));

    let q = ArchivePrice {
        bound: Unbound,
        price_id: "price_1".into(),
    };
    check(
        &built(&q),
        Method::DELETE,
        "/api/stripe/prices/price_1",
        "",
        None,
        Auth::Bearer,
    );
    let out = q.parse(&respond(json!({"archived": true}))).unwrap();
    assert_eq!((out.id, out.archived), (None, Some(true)));
}

#[test]
fn create_price() {
    let e: CreatePrice = args(json!({"product_id": "prod_1", "unit_amount": 19900,
        "currency": "usd", "interval": "year", "interval_count": 1, "recurring": true,
        "nickname": "Yearly", "metadata": {"promo": "none"}, "active": true}));
    check(
        &built(&e),
        Method::POST,
        "/api/stripe/prices",
        "",
        Some(
            json!({"product_id": "prod_1", "unit_amount": 19900, "currency": "usd",
            "interval": "year", "interval_count": 1, "recurring": true,
            "nickname": "Yearly", "metadata": {"promo": "none"}, "active": true}),
        ),
        Auth::Bearer,
    );
    let out = e
        .parse(&wrap(
            json!({"price": {"id": "price_9", "unit_amount": 19900}}),
        ))
        .unwrap();
    assert_eq!(out.id, "price_9");
}

#[test]
fn set_default_price() {
    let e = SetDefaultPrice {
        bound: Unbound,
        product_id: "prod_1".into(),
        price_id: "price_9".into(),
    };
    check(
        &built(&e),
        Method::POST,
        "/api/stripe/products/prod_1/default-price",
        "",
        Some(json!({"price_id": "price_9"})),
        Auth::Bearer,
    );
    let out = e
        .parse(&wrap(json!({"product": {"id": "prod_1", "name": "P",
            "default_price": "price_9"}})))
        .unwrap();
    assert_eq!(out.default_price, Some(json!("price_9")));
}

#[test]
fn create_price_and_set_default_has_two_routes() {
    let mut e: CreatePriceAndSetDefault =
        args(json!({"product_id": "prod_1", "unit_amount": 19900, "currency": "usd"}));
    check(
        &built(&e),
        Method::POST,
        "/api/stripe/products/super-admin/prod_1/prices/default-new",
        "",
        Some(json!({"unit_amount": 19900, "currency": "usd"})),
        Auth::Bearer,
    );
    e.super_admin = Some(false);
    e.deactivate_previous = Some(true);
    check(
        &built(&e),
        Method::POST,
        "/api/stripe/products/prod_1/prices/default-new",
        "",
        Some(json!({"unit_amount": 19900, "currency": "usd", "deactivate_previous": true})),
        Auth::Bearer,
    );
    let out = e
        .parse(&wrap(
            json!({"price": {"id": "price_9", "unit_amount": 19900},
            "product_id": "prod_1", "previous_price_id": "price_1", "note": "x"}),
        ))
        .unwrap();
    assert_eq!(out.price.unwrap().unit_amount, Some(19900));
    assert_eq!(out.previous_price_id.as_deref(), Some("price_1"));
    assert_eq!(out.extra.get("note"), Some(&json!("x")));
}

#[test]
fn list_products_without_a_limit_walks_until_an_empty_page() {
    let page = |ids: &[&str], total: u64| -> ProductList {
        let products = ids.iter().map(|id| {
            let mut p = product();
            p["id"] = json!(id);
            p
        });
        serde_json::from_value(json!({"products": products.collect::<Vec<_>>(), "total": total}))
            .unwrap()
    };
    let first = ListProducts::default();
    // A first page shorter than `total` (the server's page size is unknown) goes on.
    let second = first.next_page(&page(&["a", "b"], 5)).expect("more pages");
    assert_eq!(second.starting_after.as_deref(), Some("b"));
    let third = second.next_page(&page(&["c", "d"], 5)).expect("more pages");
    assert_eq!(third.starting_after.as_deref(), Some("d"));
    // The walk ends at the first empty page, and at a first page holding everything.
    assert!(third.next_page(&page(&[], 5)).is_none());
    assert!(first.next_page(&page(&["a", "b"], 2)).is_none());
}
