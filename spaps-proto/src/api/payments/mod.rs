//! Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest
//! checkout, history, the product catalog (`/api/payments` and `/api/stripe`).
//!
//! Every call needs a bearer token except the four guest-checkout calls, which send the
//! API key only.

use serde::Serialize;

use crate::decimal::Decimal;
use crate::model::payments::LineItem;
use crate::request::{Execute, Request};

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

    /// Creates a Stripe checkout session for one price.
    /// Optional: `.metadata(..)`, `.require_legal_consent(..)`, `.legal_consent_text(..)`.
    pub fn create_checkout_session(
        &self,
        price_id: impl Into<String>,
        mode: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Request<'a, X, CreateCheckoutSession> {
        Request::new(
            self.client,
            CreateCheckoutSession {
                price_id: price_id.into(),
                mode: mode.into(),
                success_url: success_url.into(),
                cancel_url: cancel_url.into(),
                metadata: None,
                require_legal_consent: None,
                legal_consent_text: None,
            },
        )
    }

    /// Creates a checkout session for line items through the Stripe router.
    /// Optional: `.mode(..)` (default `payment`), `.metadata(..)`, `.customer_email(..)`.
    pub fn create_authenticated_checkout_session(
        &self,
        line_items: Vec<LineItem>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Request<'a, X, CreateAuthenticatedCheckoutSession> {
        Request::new(
            self.client,
            CreateAuthenticatedCheckoutSession {
                line_items,
                success_url: success_url.into(),
                cancel_url: cancel_url.into(),
                mode: None,
                metadata: None,
                customer_email: None,
            },
        )
    }

    /// The user's balance, tier and usage.
    pub fn get_balance(&self) -> Request<'a, X, GetBalance> {
        Request::new(self.client, GetBalance {})
    }

    /// Creates a payment intent for `amount` minor units of `currency`.
    /// Optional: `.payment_method_types(..)`, `.metadata(..)`.
    pub fn create_payment_intent(
        &self,
        amount: i64,
        currency: impl Into<String>,
    ) -> Request<'a, X, CreatePaymentIntent> {
        Request::new(
            self.client,
            CreatePaymentIntent {
                amount,
                currency: currency.into(),
                payment_method_types: None,
                metadata: None,
            },
        )
    }

    /// Attaches a payment method to the user. Optional: `.set_default(..)`.
    pub fn update_payment_method(
        &self,
        payment_method_id: impl Into<String>,
    ) -> Request<'a, X, UpdatePaymentMethod> {
        Request::new(
            self.client,
            UpdatePaymentMethod {
                payment_method_id: payment_method_id.into(),
                set_default: None,
            },
        )
    }

    /// Submits an on-chain deposit of `amount` (major units of `currency`). Optional: `.tier(..)`.
    pub fn wallet_deposit(
        &self,
        wallet_address: impl Into<String>,
        chain_type: impl Into<String>,
        transaction_id: impl Into<String>,
        amount: Decimal,
        currency: impl Into<String>,
    ) -> Request<'a, X, WalletDeposit> {
        Request::new(
            self.client,
            WalletDeposit {
                wallet_address: wallet_address.into(),
                chain_type: chain_type.into(),
                transaction_id: transaction_id.into(),
                amount,
                currency: currency.into(),
                tier: None,
            },
        )
    }

    /// The confirmation state of a wallet transaction.
    pub fn get_wallet_transaction(
        &self,
        transaction_id: impl Into<String>,
    ) -> Request<'a, X, GetWalletTransaction> {
        Request::new(
            self.client,
            GetWalletTransaction {
                transaction_id: transaction_id.into(),
            },
        )
    }

    /// A subscription.
    pub fn get_subscription(
        &self,
        subscription_id: impl Into<String>,
    ) -> Request<'a, X, GetSubscription> {
        Request::new(
            self.client,
            GetSubscription {
                subscription_id: subscription_id.into(),
            },
        )
    }

    /// Lists the user's subscriptions.
    /// Optional: `.status(..)`, `.limit(..)`, `.starting_after(..)`.
    pub fn list_subscriptions(&self) -> Request<'a, X, ListSubscriptions> {
        Request::new(self.client, ListSubscriptions::default())
    }

    /// Cancels a subscription (at the period end unless `immediately`).
    /// Optional: `.immediately(..)`.
    pub fn cancel_subscription(
        &self,
        subscription_id: impl Into<String>,
    ) -> Request<'a, X, CancelSubscription> {
        Request::new(
            self.client,
            CancelSubscription {
                subscription_id: subscription_id.into(),
                immediately: None,
            },
        )
    }

    /// Moves a subscription to another price.
    pub fn update_subscription(
        &self,
        subscription_id: impl Into<String>,
        price_id: impl Into<String>,
    ) -> Request<'a, X, UpdateSubscription> {
        Request::new(
            self.client,
            UpdateSubscription {
                subscription_id: subscription_id.into(),
                price_id: price_id.into(),
            },
        )
    }

    /// A checkout session.
    pub fn get_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> Request<'a, X, GetCheckoutSession> {
        Request::new(
            self.client,
            GetCheckoutSession {
                session_id: session_id.into(),
            },
        )
    }

    /// Lists the user's checkout sessions. Optional: `.limit(..)`, `.starting_after(..)`.
    pub fn list_checkout_sessions(&self) -> Request<'a, X, ListCheckoutSessions> {
        Request::new(self.client, ListCheckoutSessions::default())
    }

    /// Expires an open checkout session.
    pub fn expire_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> Request<'a, X, ExpireCheckoutSession> {
        Request::new(
            self.client,
            ExpireCheckoutSession {
                session_id: session_id.into(),
            },
        )
    }

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
    ) -> Request<'a, X, CreateGuestCheckoutSession> {
        Request::new(
            self.client,
            CreateGuestCheckoutSession {
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
            },
        )
    }

    /// A guest checkout session (API key only).
    pub fn get_guest_checkout_session(
        &self,
        session_id: impl Into<String>,
    ) -> Request<'a, X, GetGuestCheckoutSession> {
        Request::new(
            self.client,
            GetGuestCheckoutSession {
                session_id: session_id.into(),
            },
        )
    }

    /// Lists guest checkout sessions (API key only).
    /// Optional: `.limit(..)`, `.starting_after(..)`, `.customer_email(..)`.
    pub fn list_guest_checkout_sessions(&self) -> Request<'a, X, ListGuestCheckoutSessions> {
        Request::new(self.client, ListGuestCheckoutSessions::default())
    }

    /// Links a guest checkout to an account, creating it if needed (API key only).
    /// Optional: `.password(..)`, `.send_magic_link(..)`.
    pub fn convert_guest_checkout_session(
        &self,
        session_id: impl Into<String>,
        email: impl Into<String>,
    ) -> Request<'a, X, ConvertGuestCheckoutSession> {
        Request::new(
            self.client,
            ConvertGuestCheckoutSession {
                session_id: session_id.into(),
                email: email.into(),
                password: None,
                send_magic_link: None,
            },
        )
    }

    /// Lists the user's payments.
    /// Optional: `.limit(..)`, `.starting_after(..)`, `.ending_before(..)`, `.status(..)`.
    pub fn list_payment_history(&self) -> Request<'a, X, ListPaymentHistory> {
        Request::new(self.client, ListPaymentHistory::default())
    }

    /// A payment.
    pub fn get_payment_detail(
        &self,
        payment_id: impl Into<String>,
    ) -> Request<'a, X, GetPaymentDetail> {
        Request::new(
            self.client,
            GetPaymentDetail {
                payment_id: payment_id.into(),
            },
        )
    }

    /// Lists the application's products.
    /// Optional: `.category(..)`, `.active(..)`, `.limit(..)`, `.starting_after(..)`, `.mode(..)`.
    pub fn list_products(&self) -> Request<'a, X, ListProducts> {
        Request::new(self.client, ListProducts::default())
    }

    /// A product, with its prices unless `.include_prices(false)`.
    /// Optional: `.include_prices(..)`.
    pub fn get_product(&self, product_id: impl Into<String>) -> Request<'a, X, GetProduct> {
        Request::new(
            self.client,
            GetProduct {
                product_id: product_id.into(),
                include_prices: None,
            },
        )
    }

    /// Lists the products of every application (super admins).
    pub fn list_all_products(&self) -> Request<'a, X, ListAllProducts> {
        Request::new(self.client, ListAllProducts {})
    }

    /// Creates a product.
    /// Optional: `.description(..)`, `.category(..)`, `.images(..)`, `.metadata(..)`,
    /// `.active(..)` (default `true`).
    pub fn create_product(&self, name: impl Into<String>) -> Request<'a, X, CreateProduct> {
        Request::new(
            self.client,
            CreateProduct {
                name: name.into(),
                description: None,
                category: None,
                images: None,
                metadata: None,
                active: None,
            },
        )
    }

    /// Changes a product; only the fields set are sent.
    /// Optional: `.name(..)`, `.description(..)`, `.images(..)`, `.metadata(..)`, `.active(..)`.
    pub fn update_product(&self, product_id: impl Into<String>) -> Request<'a, X, UpdateProduct> {
        Request::new(
            self.client,
            UpdateProduct {
                product_id: product_id.into(),
                name: None,
                description: None,
                images: None,
                metadata: None,
                active: None,
            },
        )
    }

    /// Archives a product.
    pub fn archive_product(&self, product_id: impl Into<String>) -> Request<'a, X, ArchiveProduct> {
        Request::new(
            self.client,
            ArchiveProduct {
                product_id: product_id.into(),
            },
        )
    }

    /// Creates a price of `unit_amount` minor units for a product.
    /// Optional: `.interval(..)`, `.interval_count(..)`, `.recurring(..)`, `.nickname(..)`,
    /// `.metadata(..)`, `.active(..)`.
    pub fn create_price(
        &self,
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> Request<'a, X, CreatePrice> {
        Request::new(
            self.client,
            CreatePrice {
                product_id: product_id.into(),
                unit_amount,
                currency: currency.into(),
                interval: None,
                interval_count: None,
                recurring: None,
                nickname: None,
                metadata: None,
                active: None,
            },
        )
    }

    /// Archives a price.
    pub fn archive_price(&self, price_id: impl Into<String>) -> Request<'a, X, ArchivePrice> {
        Request::new(
            self.client,
            ArchivePrice {
                price_id: price_id.into(),
            },
        )
    }

    /// Makes a price the product's default.
    pub fn set_default_price(
        &self,
        product_id: impl Into<String>,
        price_id: impl Into<String>,
    ) -> Request<'a, X, SetDefaultPrice> {
        Request::new(
            self.client,
            SetDefaultPrice {
                product_id: product_id.into(),
                price_id: price_id.into(),
            },
        )
    }

    /// Creates a price and makes it the product's default, through the super-admin route
    /// unless `.super_admin(false)`.
    /// Optional: `.interval(..)`, `.interval_count(..)`, `.recurring(..)`, `.nickname(..)`,
    /// `.metadata(..)`, `.deactivate_previous(..)`, `.super_admin(..)` (default `true`).
    pub fn create_price_and_set_default(
        &self,
        product_id: impl Into<String>,
        unit_amount: i64,
        currency: impl Into<String>,
    ) -> Request<'a, X, CreatePriceAndSetDefault> {
        Request::new(
            self.client,
            CreatePriceAndSetDefault {
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
            },
        )
    }
}

/// The `{"price_id": ..}` body of `update_subscription` and `set_default_price`.
#[derive(Serialize)]
struct PriceIdBody<'a> {
    price_id: &'a str,
}

crate::registry!(
    CreateCheckoutSession,
    CreateAuthenticatedCheckoutSession,
    GetBalance,
    CreatePaymentIntent,
    UpdatePaymentMethod,
    WalletDeposit,
    GetWalletTransaction,
    GetSubscription,
    ListSubscriptions,
    CancelSubscription,
    UpdateSubscription,
    GetCheckoutSession,
    ListCheckoutSessions,
    ExpireCheckoutSession,
    CreateGuestCheckoutSession,
    GetGuestCheckoutSession,
    ListGuestCheckoutSessions,
    ConvertGuestCheckoutSession,
    ListPaymentHistory,
    GetPaymentDetail,
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
mod tests {
    use super::test_support::{respond, wrap};
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    use crate::endpoint::Endpoint;
    use crate::error::Error;

    #[test]
    fn malformed_bodies_are_decode_errors_naming_the_field() {
        let cases: Vec<(Result<(), Error>, &str)> = vec![
            (
                GetSubscription {
                    subscription_id: "s".into(),
                }
                .parse(&wrap(json!({"id": "s", "current_period_start": "soon"})))
                .map(drop),
                "data.current_period_start",
            ),
            (
                GetProduct {
                    product_id: "p".into(),
                    include_prices: None,
                }
                .parse(&wrap(json!({"id": "p", "name": "P",
                    "prices": [{"id": "x", "unit_amount": "lots"}]})))
                .map(drop),
                "data.prices[0].unit_amount",
            ),
            (
                GetBalance {}
                    .parse(&wrap(json!({"balance": {"available": true, "pending": 0,
                        "currency": "USD"}, "usage": {}})))
                    .map(drop),
                "data.balance.available",
            ),
            (
                GetPaymentDetail {
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
            GetBalance {}.parse(&respond(json!("nope"))),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            ArchivePrice {
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
