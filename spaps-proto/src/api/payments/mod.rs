//! Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest
//! checkout, history, the product catalog (`/api/payments` and `/api/stripe`).
//!
//! Every call needs a bearer token except the four guest-checkout calls, which send the
//! API key only.

use serde::Serialize;

use crate::request::Execute;

mod catalog;
mod checkout;
mod guest;
mod history;
mod intents;
mod subscriptions;
#[cfg(test)]
mod test_support;
mod wallet;

pub use catalog::{
    ArchivePrice, ArchiveProduct, CreatePrice, CreatePriceAndSetDefault, CreateProduct, GetProduct,
    ListAllProducts, ListProducts, SetDefaultPrice, UpdateProduct,
};
pub use checkout::{
    CreateAuthenticatedCheckoutSession, CreateCheckoutSession, ExpireCheckoutSession,
    GetCheckoutSession, ListCheckoutSessions,
};
pub use guest::{
    ConvertGuestCheckoutSession, CreateGuestCheckoutSession, GetGuestCheckoutSession,
    ListGuestCheckoutSessions,
};
pub use history::{GetPaymentDetail, ListPaymentHistory};
pub use intents::{CreatePaymentIntent, UpdatePaymentMethod};
pub use subscriptions::{
    CancelSubscription, GetSubscription, ListSubscriptions, UpdateSubscription,
};
pub use wallet::{GetBalance, GetWalletTransaction, WalletDeposit};

/// The payments operations of a client: `client.payments()`.
#[derive(Debug)]
pub struct PaymentsApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// The payments operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

/// The `{"price_id": ..}` body of `update_subscription` and `set_default_price`.
#[derive(Serialize)]
struct PriceIdBody<'a> {
    price_id: &'a str,
}

crate::api::registry_of!(
    catalog,
    checkout,
    guest,
    history,
    intents,
    subscriptions,
    wallet
);

#[cfg(test)]
mod tests {
    use super::test_support::{respond, wrap};
    use super::*;
    use crate::request::Unbound;
    use bytes::Bytes;
    use serde_json::json;

    use crate::endpoint::Endpoint;
    use crate::error::Error;

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (
                GetSubscription {
                    bound: Unbound,
                    subscription_id: "s".into(),
                }
                .parse(&wrap(json!({"id": "s", "current_period_start": "soon"})))
                .map(drop),
                "data.current_period_start",
            ),
            (
                GetProduct {
                    bound: Unbound,
                    product_id: "p".into(),
                    include_prices: None,
                }
                .parse(&wrap(json!({"id": "p", "name": "P",
                    "prices": [{"id": "x", "unit_amount": "lots"}]})))
                .map(drop),
                "data.prices[0].unit_amount",
            ),
            (
                GetBalance { bound: Unbound }
                    .parse(&wrap(json!({"balance": {"available": true, "pending": 0,
                        "currency": "USD"}, "usage": {}})))
                    .map(drop),
                "data.balance.available",
            ),
            (
                GetPaymentDetail {
                    bound: Unbound,
                    payment_id: "p".into(),
                }
                .parse(&wrap(json!({"payment": {"id": 7}})))
                .map(drop),
                "payment.id",
            ),
            (
                ListProducts::default()
                    .parse(&wrap(json!({"products": [{"id": "p"}], "total": 1})))
                    .map(drop),
                "data.products[0]",
            ),
        ];
        for (result, path) in cases {
            match result {
                Err(Error::Decode(d)) => assert!(d.path.starts_with(path), "{} vs {path}", d.path),
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(matches!(
            GetBalance { bound: Unbound }.parse(&respond(json!("nope"))),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            ArchivePrice {
                bound: Unbound,
                price_id: "p".into()
            }
            .parse(&http::Response::new(Bytes::new())),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn every_endpoint_is_registered() {
        assert_eq!(NAMES.len(), 30);
        assert!(NAMES.iter().all(|n| n.starts_with("payments.")));
    }
}
