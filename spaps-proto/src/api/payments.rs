//! Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest
//! checkout, history, the product catalog (`/api/payments` and `/api/stripe`).
//!
//! Every call needs a bearer token except the four guest-checkout calls, which send the
//! API key only.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::endpoint::{Endpoint, Execute, Paginated, Request};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::model::payments::{
    Archived, AuthenticatedCheckoutSession, BalanceOverview, CheckoutSession,
    CheckoutSessionDetails, CheckoutSessionList, CheckoutSessionSummary, DefaultPriceCreated,
    ExpireCheckoutSessionResult, GuestCheckoutConversionResult, GuestCheckoutSession,
    GuestCheckoutSessionList, GuestCheckoutSessionSummary, JsonObject, LineItem, PaymentHistory,
    PaymentIntent, PaymentMethodUpdateResult, PaymentRecord, Product, ProductList, ProductPrice,
    SubscriptionCancellation, SubscriptionDetail, SubscriptionList, WalletDepositResult,
    WalletTransaction,
};
use crate::secret::Secret;
use crate::spec::{require, Auth, RequestSpec};

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

/// True for `None` and an empty secret (the contract's "sent when truthy").
fn blank_secret(value: &Option<Secret>) -> bool {
    value.as_ref().is_none_or(Secret::is_empty)
}

/// `POST /api/payments/create-checkout-session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckoutSession {
    /// The price to sell.
    pub price_id: String,
    /// `payment`, `subscription` or `setup`.
    pub mode: String,
    /// Where Stripe sends the user after paying.
    pub success_url: String,
    /// Where Stripe sends the user on cancel.
    pub cancel_url: String,
    /// Session metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
    /// Whether the user must accept legal terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_legal_consent: Option<bool>,
    /// The legal terms' text; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub legal_consent_text: Option<String>,
}
crate::setters!(CreateCheckoutSession {
    metadata: JsonObject,
    require_legal_consent: bool,
    legal_consent_text: String,
});

impl Endpoint for CreateCheckoutSession {
    type Output = CheckoutSession;
    const NAME: &'static str = "payments.create_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/create-checkout-session")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<CheckoutSession, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/stripe/checkout-sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAuthenticatedCheckoutSession {
    /// What to sell.
    pub line_items: Vec<LineItem>,
    /// Where Stripe sends the user after paying.
    pub success_url: String,
    /// Where Stripe sends the user on cancel.
    pub cancel_url: String,
    /// `payment` (when not set), `subscription` or `setup`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Session metadata; sent when not empty.
    #[serde(default)]
    pub metadata: Option<JsonObject>,
    /// The customer's email address; sent when not empty.
    #[serde(default)]
    pub customer_email: Option<String>,
}
crate::setters!(CreateAuthenticatedCheckoutSession {
    mode: String,
    metadata: JsonObject,
    customer_email: String,
});

#[derive(Serialize)]
struct AuthenticatedCheckoutBody<'a> {
    line_items: &'a [LineItem],
    success_url: &'a str,
    cancel_url: &'a str,
    mode: &'a str,
    #[serde(skip_serializing_if = "crate::spec::skip::empty_map")]
    metadata: &'a Option<JsonObject>,
    #[serde(skip_serializing_if = "crate::spec::skip::blank")]
    customer_email: &'a Option<String>,
}

impl Endpoint for CreateAuthenticatedCheckoutSession {
    type Output = AuthenticatedCheckoutSession;
    const NAME: &'static str = "payments.create_authenticated_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = AuthenticatedCheckoutBody {
            line_items: &self.line_items,
            success_url: &self.success_url,
            cancel_url: &self.cancel_url,
            mode: self.mode.as_deref().unwrap_or("payment"),
            metadata: &self.metadata,
            customer_email: &self.customer_email,
        };
        Ok(RequestSpec::post("/api/stripe/checkout-sessions")
            .json(&body)
            .auth(Auth::Bearer))
    }

    fn parse(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<AuthenticatedCheckoutSession, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/payments/balance`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetBalance {}

impl Endpoint for GetBalance {
    type Output = BalanceOverview;
    const NAME: &'static str = "payments.get_balance";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/payments/balance").auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<BalanceOverview, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/payments/create-payment-intent`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentIntent {
    /// The amount, in minor units (cents).
    pub amount: i64,
    /// The currency.
    pub currency: String,
    /// Allowed payment method types (`card`, ...); sent when set, even empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_types: Option<Vec<String>>,
    /// Intent metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
}
crate::setters!(CreatePaymentIntent {
    payment_method_types: Vec<String>,
    metadata: JsonObject,
});

impl Endpoint for CreatePaymentIntent {
    type Output = PaymentIntent;
    const NAME: &'static str = "payments.create_payment_intent";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/create-payment-intent")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<PaymentIntent, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/payments/update-payment-method`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePaymentMethod {
    /// The Stripe payment method.
    pub payment_method_id: String,
    /// Whether to make it the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_default: Option<bool>,
}
crate::setters!(UpdatePaymentMethod { set_default: bool });

impl Endpoint for UpdatePaymentMethod {
    type Output = PaymentMethodUpdateResult;
    const NAME: &'static str = "payments.update_payment_method";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("payment_method_id", &self.payment_method_id)?;
        Ok(RequestSpec::post("/api/payments/update-payment-method")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<PaymentMethodUpdateResult, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/payments/wallet-deposit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletDeposit {
    /// The wallet the deposit came from.
    pub wallet_address: String,
    /// The chain (`ethereum`, `solana`, ...).
    pub chain_type: String,
    /// The on-chain transaction.
    pub transaction_id: String,
    /// The amount, in major units of `currency`; sent as a JSON number.
    #[serde(serialize_with = "crate::decimal::as_number")]
    pub amount: Decimal,
    /// The currency or token.
    pub currency: String,
    /// The tier bought; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub tier: Option<String>,
}
crate::setters!(WalletDeposit { tier: String });

impl Endpoint for WalletDeposit {
    type Output = WalletDepositResult;
    const NAME: &'static str = "payments.wallet_deposit";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/wallet-deposit")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WalletDepositResult, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/payments/wallet-transaction/{transaction_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetWalletTransaction {
    /// The on-chain transaction.
    pub transaction_id: String,
}

impl Endpoint for GetWalletTransaction {
    type Output = WalletTransaction;
    const NAME: &'static str = "payments.get_wallet_transaction";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/payments/wallet-transaction/{transaction_id}")
                .param(&self.transaction_id)
                .auth(Auth::Bearer),
        )
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WalletTransaction, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/subscription/{subscription_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetSubscription {
    /// The subscription.
    pub subscription_id: String,
}

impl Endpoint for GetSubscription {
    type Output = SubscriptionDetail;
    const NAME: &'static str = "payments.get_subscription";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/subscription/{subscription_id}")
            .param(&self.subscription_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SubscriptionDetail, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/subscriptions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSubscriptions {
    /// Only subscriptions with this status; sent when not empty.
    #[serde(default)]
    pub status: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last subscription id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
}
crate::setters!(ListSubscriptions {
    status: String,
    limit: u32,
    starting_after: String,
});

impl Endpoint for ListSubscriptions {
    type Output = SubscriptionList;
    const NAME: &'static str = "payments.list_subscriptions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/subscriptions")
            .query_non_empty("status", self.status.as_deref())
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SubscriptionList, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

impl Paginated for ListSubscriptions {
    type Item = SubscriptionDetail;

    fn next_page(&self, page: &SubscriptionList) -> Option<Self> {
        let last = page.subscriptions.last().map(|s| s.id.as_str());
        let cursor = crate::paging::next_cursor(
            Some(page.has_more),
            last,
            page.subscriptions.len(),
            self.limit,
        )?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: SubscriptionList) -> Vec<SubscriptionDetail> {
        page.subscriptions
    }
}

/// `POST /api/stripe/subscription/{subscription_id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelSubscription {
    /// The subscription.
    pub subscription_id: String,
    /// Cancel now rather than at the period end; the body is `{}` when not set.
    #[serde(default)]
    pub immediately: Option<bool>,
}
crate::setters!(CancelSubscription { immediately: bool });

#[derive(Serialize)]
struct CancelSubscriptionBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    immediately: Option<bool>,
}

impl Endpoint for CancelSubscription {
    type Output = SubscriptionCancellation;
    const NAME: &'static str = "payments.cancel_subscription";

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = CancelSubscriptionBody {
            immediately: self.immediately,
        };
        Ok(
            RequestSpec::post("/api/stripe/subscription/{subscription_id}/cancel")
                .param(&self.subscription_id)
                .json(&body)
                .auth(Auth::Bearer),
        )
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SubscriptionCancellation, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/stripe/subscription/{subscription_id}/update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// The subscription.
    pub subscription_id: String,
    /// The new price.
    pub price_id: String,
}

#[derive(Serialize)]
struct PriceIdBody<'a> {
    price_id: &'a str,
}

impl Endpoint for UpdateSubscription {
    type Output = SubscriptionDetail;
    const NAME: &'static str = "payments.update_subscription";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("price_id", &self.price_id)?;
        Ok(
            RequestSpec::post("/api/stripe/subscription/{subscription_id}/update")
                .param(&self.subscription_id)
                .json(&PriceIdBody {
                    price_id: &self.price_id,
                })
                .auth(Auth::Bearer),
        )
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<SubscriptionDetail, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/checkout-sessions/{session_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetCheckoutSession {
    /// The checkout session.
    pub session_id: String,
}

impl Endpoint for GetCheckoutSession {
    type Output = CheckoutSessionDetails;
    const NAME: &'static str = "payments.get_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/checkout-sessions/{session_id}")
            .param(&self.session_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<CheckoutSessionDetails, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/checkout-sessions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListCheckoutSessions {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the previous page's `next_cursor` (or its last session id).
    #[serde(default)]
    pub starting_after: Option<String>,
}
crate::setters!(ListCheckoutSessions {
    limit: u32,
    starting_after: String,
});

impl Endpoint for ListCheckoutSessions {
    type Output = CheckoutSessionList;
    const NAME: &'static str = "payments.list_checkout_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/checkout-sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<CheckoutSessionList, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

impl Paginated for ListCheckoutSessions {
    type Item = CheckoutSessionSummary;

    fn next_page(&self, page: &CheckoutSessionList) -> Option<Self> {
        let last = page
            .next_cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .or_else(|| page.sessions.last().map(|s| s.id.as_str()));
        let cursor = crate::paging::next_cursor(
            Some(page.has_more),
            last,
            page.sessions.len(),
            self.limit,
        )?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: CheckoutSessionList) -> Vec<CheckoutSessionSummary> {
        page.sessions
    }
}

/// `POST /api/stripe/checkout-sessions/{session_id}/expire`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpireCheckoutSession {
    /// The checkout session.
    pub session_id: String,
}

impl Endpoint for ExpireCheckoutSession {
    type Output = ExpireCheckoutSessionResult;
    const NAME: &'static str = "payments.expire_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::post("/api/stripe/checkout-sessions/{session_id}/expire")
                .param(&self.session_id)
                .empty_object()
                .auth(Auth::Bearer),
        )
    }

    fn parse(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<ExpireCheckoutSessionResult, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `POST /api/stripe/guest-checkout-sessions` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGuestCheckoutSession {
    /// The guest's email address.
    pub customer_email: String,
    /// `payment`, `subscription` or `setup`.
    pub mode: String,
    /// What to sell; at least one.
    pub line_items: Vec<LineItem>,
    /// Where Stripe sends the guest after paying.
    pub success_url: String,
    /// Where Stripe sends the guest on cancel.
    pub cancel_url: String,
    /// Session metadata; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub metadata: Option<JsonObject>,
    /// The caller's reference; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub client_reference_id: Option<String>,
    /// Stripe `payment_intent_data`; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub payment_intent_data: Option<JsonObject>,
    /// Stripe `subscription_data`; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::empty_map")]
    pub subscription_data: Option<JsonObject>,
    /// Whether promotion codes are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_promotion_codes: Option<bool>,
    /// The checkout page's locale; sent when not empty.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub locale: Option<String>,
}
crate::setters!(CreateGuestCheckoutSession {
    metadata: JsonObject,
    client_reference_id: String,
    payment_intent_data: JsonObject,
    subscription_data: JsonObject,
    allow_promotion_codes: bool,
    locale: String,
});

impl Endpoint for CreateGuestCheckoutSession {
    type Output = GuestCheckoutSession;
    const NAME: &'static str = "payments.create_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("customer_email", &self.customer_email)?;
        if self.line_items.is_empty() {
            return Err(Error::invalid(
                "line_items",
                "at least one line item is required",
            ));
        }
        Ok(RequestSpec::post("/api/stripe/guest-checkout-sessions")
            .json(self)
            .auth(Auth::ApiKey))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<GuestCheckoutSession, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/guest-checkout-sessions/{session_id}` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetGuestCheckoutSession {
    /// The checkout session.
    pub session_id: String,
}

impl Endpoint for GetGuestCheckoutSession {
    type Output = CheckoutSessionDetails;
    const NAME: &'static str = "payments.get_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/stripe/guest-checkout-sessions/{session_id}")
                .param(&self.session_id)
                .auth(Auth::ApiKey),
        )
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<CheckoutSessionDetails, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/guest-checkout-sessions` (API key only).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListGuestCheckoutSessions {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last session id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
    /// Only this guest's sessions; sent when not empty.
    #[serde(default)]
    pub customer_email: Option<String>,
}
crate::setters!(ListGuestCheckoutSessions {
    limit: u32,
    starting_after: String,
    customer_email: String,
});

impl Endpoint for ListGuestCheckoutSessions {
    type Output = GuestCheckoutSessionList;
    const NAME: &'static str = "payments.list_guest_checkout_sessions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/guest-checkout-sessions")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .query_non_empty("customer_email", self.customer_email.as_deref())
            .auth(Auth::ApiKey))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<GuestCheckoutSessionList, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

impl Paginated for ListGuestCheckoutSessions {
    type Item = GuestCheckoutSessionSummary;

    fn next_page(&self, page: &GuestCheckoutSessionList) -> Option<Self> {
        let last = page.sessions.last().map(|s| s.session_id.as_str());
        let cursor = crate::paging::next_cursor(
            Some(page.has_more),
            last,
            page.sessions.len(),
            self.limit,
        )?;
        Some(Self {
            starting_after: Some(cursor),
            ..self.clone()
        })
    }

    fn into_items(page: GuestCheckoutSessionList) -> Vec<GuestCheckoutSessionSummary> {
        page.sessions
    }
}

/// `POST /api/stripe/guest-checkout-sessions/convert` (API key only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertGuestCheckoutSession {
    /// The guest checkout session.
    pub session_id: String,
    /// The account's email address.
    pub email: String,
    /// A password for a new account; sent when not empty.
    #[serde(default, skip_serializing_if = "blank_secret")]
    pub password: Option<Secret>,
    /// Whether to email a magic sign-in link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_magic_link: Option<bool>,
}
crate::setters!(ConvertGuestCheckoutSession {
    password: Secret,
    send_magic_link: bool,
});

impl Endpoint for ConvertGuestCheckoutSession {
    type Output = GuestCheckoutConversionResult;
    const NAME: &'static str = "payments.convert_guest_checkout_session";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::post("/api/stripe/guest-checkout-sessions/convert")
                .json(self)
                .auth(Auth::ApiKey),
        )
    }

    fn parse(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<GuestCheckoutConversionResult, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

/// `GET /api/stripe/history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPaymentHistory {
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: payments after this one; sent when not empty.
    #[serde(default)]
    pub starting_after: Option<String>,
    /// The cursor: payments before this one; sent when not empty.
    #[serde(default)]
    pub ending_before: Option<String>,
    /// Only payments with this status; sent when not empty.
    #[serde(default)]
    pub status: Option<String>,
}
crate::setters!(ListPaymentHistory {
    limit: u32,
    starting_after: String,
    ending_before: String,
    status: String,
});

impl Endpoint for ListPaymentHistory {
    type Output = PaymentHistory;
    const NAME: &'static str = "payments.list_payment_history";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/history")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .query_non_empty("ending_before", self.ending_before.as_deref())
            .query_non_empty("status", self.status.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<PaymentHistory, Error> {
        Envelope::parse(Self::NAME, response.body())?.decode_data()
    }
}

impl Paginated for ListPaymentHistory {
    type Item = PaymentRecord;

    /// Walks forward (`starting_after` the last payment), or backward (`ending_before`
    /// the first payment) when the first request set `ending_before`.
    fn next_page(&self, page: &PaymentHistory) -> Option<Self> {
        let backward = self.ending_before.as_deref().is_some_and(|c| !c.is_empty());
        let edge = if backward {
            page.payments.first()
        } else {
            page.payments.last()
        };
        let cursor = crate::paging::next_cursor(
            Some(page.has_more),
            edge.map(|p| p.id.as_str()),
            page.payments.len(),
            self.limit,
        )?;
        let mut next = self.clone();
        if backward {
            next.ending_before = Some(cursor);
        } else {
            next.starting_after = Some(cursor);
        }
        Some(next)
    }

    fn into_items(page: PaymentHistory) -> Vec<PaymentRecord> {
        page.payments
    }
}

/// `GET /api/stripe/payment/{payment_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetPaymentDetail {
    /// The payment.
    pub payment_id: String,
}

impl Endpoint for GetPaymentDetail {
    type Output = PaymentRecord;
    const NAME: &'static str = "payments.get_payment_detail";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/payment/{payment_id}")
            .param(&self.payment_id)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<PaymentRecord, Error> {
        Envelope::parse(Self::NAME, response.body())?
            .data_or_key("payment")?
            .decode()
    }
}

#[derive(Deserialize)]
struct RawProductList {
    #[serde(default)]
    products: Option<Vec<Product>>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, alias = "adminMetadata")]
    admin_metadata: Option<JsonObject>,
}

fn product_list(operation: &'static str, response: &http::Response<Bytes>) -> Result<ProductList, Error> {
    let raw: RawProductList = Envelope::parse(operation, response.body())?.decode_data()?;
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

    /// The server sends `total` but no `has_more`: a first page holding all `total`
    /// products is the only one; otherwise a full page (of `limit`) means more may follow.
    fn next_page(&self, page: &ProductList) -> Option<Self> {
        let first = self.starting_after.as_deref().is_none_or(str::is_empty);
        let has_more = (first && page.products.len() as u64 >= page.total).then_some(false);
        let last = page.products.last().map(|p| p.id.as_str());
        let cursor =
            crate::paging::next_cursor(has_more, last, page.products.len(), self.limit)?;
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
crate::setters!(GetProduct { include_prices: bool });

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
    use super::*;
    use http::Method;
    use serde_json::{json, Value};

    fn built<E: Endpoint>(endpoint: &E) -> RequestSpec {
        endpoint
            .request()
            .and_then(RequestSpec::validate)
            .expect("request builds")
    }

    fn body(spec: &RequestSpec) -> Option<Value> {
        spec.body
            .as_ref()
            .map(|b| serde_json::from_slice(b).expect("body is JSON"))
    }

    fn check(
        spec: &RequestSpec,
        method: Method,
        path: &str,
        query: &str,
        json: Option<Value>,
        auth: Auth,
    ) {
        assert_eq!(spec.method(), &method, "{path}");
        assert_eq!(spec.path(), path);
        assert_eq!(spec.query_string(), query, "{path}");
        assert_eq!(body(spec), json, "{path}");
        assert_eq!(spec.credentials(), auth, "{path}");
    }

    fn respond(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn wrap(data: Value) -> http::Response<Bytes> {
        respond(json!({"success": true, "data": data}))
    }

    fn args<E: serde::de::DeserializeOwned>(value: Value) -> E {
        serde_json::from_value(value).expect("cassette args deserialize")
    }

    fn subscription() -> Value {
        json!({
            "id": "sub_1", "status": "active",
            "current_period_start": 1736899200, "current_period_end": 1739577600,
            "cancel_at_period_end": false, "canceled_at": null,
            "items": [{"id": "si_1", "price": {"id": "price_1", "product": "prod_1",
                "unit_amount": 2000, "currency": "usd",
                "recurring": {"interval": "month", "interval_count": 1}}}]
        })
    }

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
    fn create_checkout_session() {
        let mut e: CreateCheckoutSession = args(json!({
            "price_id": "price_1", "mode": "subscription",
            "success_url": "https://a/s", "cancel_url": "https://a/c"
        }));
        let want = json!({"price_id": "price_1", "mode": "subscription",
            "success_url": "https://a/s", "cancel_url": "https://a/c"});
        check(
            &built(&e),
            Method::POST,
            "/api/payments/create-checkout-session",
            "",
            Some(want.clone()),
            Auth::Bearer,
        );
        // Falsy optional fields are dropped, `require_legal_consent: false` is kept.
        e.metadata = Some(JsonObject::new());
        e.legal_consent_text = Some(String::new());
        e.require_legal_consent = Some(false);
        let mut with_consent = want;
        with_consent["require_legal_consent"] = json!(false);
        assert_eq!(body(&built(&e)), Some(with_consent));

        let out = e
            .parse(&wrap(json!({"session_id": "cs_1", "checkout_url": "https://c/cs_1",
                "expires_at": "2025-01-16T12:00:00Z"})))
            .unwrap();
        assert_eq!(out.session_id, "cs_1");
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_800);
    }

    #[test]
    fn create_authenticated_checkout_session() {
        let mut e: CreateAuthenticatedCheckoutSession = args(json!({
            "line_items": [{"price_id": "price_1", "quantity": 1}],
            "success_url": "https://a/s", "cancel_url": "https://a/c"
        }));
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/checkout-sessions",
            "",
            Some(json!({"line_items": [{"price_id": "price_1", "quantity": 1}],
                "success_url": "https://a/s", "cancel_url": "https://a/c", "mode": "payment"})),
            Auth::Bearer,
        );
        e.mode = Some("subscription".into());
        e.customer_email = Some("ada@example.com".into());
        e.line_items = vec![LineItem::new("price_2", 3).with("adjustable_quantity", json!({"enabled": true}))];
        assert_eq!(
            body(&built(&e)),
            Some(json!({"line_items": [{"price_id": "price_2", "quantity": 3,
                    "adjustable_quantity": {"enabled": true}}],
                "success_url": "https://a/s", "cancel_url": "https://a/c",
                "mode": "subscription", "customer_email": "ada@example.com"}))
        );
        let custom = json!({"price_data": {"currency": "usd", "unit_amount": 500}, "quantity": "2"});
        let Value::Object(custom) = custom else {
            unreachable!()
        };
        let item = LineItem::from(custom.clone());
        assert_eq!(serde_json::to_value(&item).unwrap(), Value::Object(custom));
        let item = LineItem::from(
            json!({"price_id": "p", "quantity": 1})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(item, LineItem::new("p", 1));
        let out = e
            .parse(&respond(json!({"id": "cs_1", "url": "https://c", "expires_at": 1737028400,
                "livemode": false})))
            .unwrap();
        assert_eq!(out.id.as_deref(), Some("cs_1"));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_400);
        assert_eq!(out.extra.get("livemode"), Some(&json!(false)));
    }

    #[test]
    fn get_balance() {
        let e = GetBalance {};
        check(&built(&e), Method::GET, "/api/payments/balance", "", None, Auth::Bearer);
        let out = e
            .parse(&wrap(json!({
                "balance": {"available": 250.5, "pending": 100.0, "currency": "USD"},
                "tier": "premium", "tier_expires_at": "2025-02-15T00:00:00Z",
                "usage": {"current_period_start": "2025-01-01T00:00:00Z", "credits_used": 150}
            })))
            .unwrap();
        assert_eq!(out.balance.available.as_str(), "250.5");
        assert_eq!(out.balance.pending.as_str(), "100");
        assert_eq!(out.usage.credits_used, Some(150));
    }

    #[test]
    fn create_payment_intent() {
        let mut e: CreatePaymentIntent = args(json!({"amount": 4999, "currency": "usd"}));
        check(
            &built(&e),
            Method::POST,
            "/api/payments/create-payment-intent",
            "",
            Some(json!({"amount": 4999, "currency": "usd"})),
            Auth::Bearer,
        );
        e.payment_method_types = Some(vec![]);
        assert_eq!(
            body(&built(&e)),
            Some(json!({"amount": 4999, "currency": "usd", "payment_method_types": []}))
        );
        let out = e
            .parse(&wrap(json!({"payment_intent_id": "pi_1", "client_secret": "pi_1_secret_x",
                "status": "requires_payment_method"})))
            .unwrap();
        assert_eq!(out.client_secret.as_ref().unwrap().expose(), "pi_1_secret_x");
        assert!(!format!("{out:?}").contains("pi_1_secret_x"));
    }

    #[test]
    fn update_payment_method() {
        let e: UpdatePaymentMethod = args(json!({"payment_method_id": "pm_1", "set_default": true}));
        check(
            &built(&e),
            Method::POST,
            "/api/payments/update-payment-method",
            "",
            Some(json!({"payment_method_id": "pm_1", "set_default": true})),
            Auth::Bearer,
        );
        let out = e
            .parse(&wrap(json!({"payment_method_id": "pm_1", "customer_id": "cus_1"})))
            .unwrap();
        assert!(!out.is_default);
        let empty: UpdatePaymentMethod = args(json!({"payment_method_id": ""}));
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument { name: "payment_method_id", .. })
        ));
    }

    #[test]
    fn wallet_deposit_sends_the_amount_as_a_number() {
        let e: WalletDeposit = args(json!({"wallet_address": "0xabc", "chain_type": "ethereum",
            "transaction_id": "0x1", "amount": 100.25, "currency": "USDC", "tier": ""}));
        check(
            &built(&e),
            Method::POST,
            "/api/payments/wallet-deposit",
            "",
            Some(json!({"wallet_address": "0xabc", "chain_type": "ethereum",
                "transaction_id": "0x1", "amount": 100.25, "currency": "USDC"})),
            Auth::Bearer,
        );
        let from_string: WalletDeposit = args(json!({"wallet_address": "0xabc",
            "chain_type": "ethereum", "transaction_id": "0x1", "amount": "100",
            "currency": "USDC", "tier": "premium"}));
        assert_eq!(body(&built(&from_string)).unwrap()["amount"], json!(100));
        assert_eq!(body(&built(&from_string)).unwrap()["tier"], json!("premium"));
        let out = e
            .parse(&respond(json!({"deposit_id": "dep_1", "status": "pending", "amount": 100.0,
                "confirmation_required": 12, "confirmation_current": 0})))
            .unwrap();
        assert_eq!(out.amount.unwrap().as_str(), "100");
        assert_eq!(out.confirmation_required, Some(12));
    }

    #[test]
    fn get_wallet_transaction() {
        let e = GetWalletTransaction {
            transaction_id: "0x9f/8e".into(),
        };
        check(
            &built(&e),
            Method::GET,
            "/api/payments/wallet-transaction/0x9f%2F8e",
            "",
            None,
            Auth::Bearer,
        );
        let out = e
            .parse(&wrap(json!({"transaction_id": "0x9f", "amount": 100.0, "balance_added": 99.5,
                "completed_at": "2025-01-15T11:45:00Z"})))
            .unwrap();
        assert_eq!(out.balance_added.unwrap().as_str(), "99.5");
        assert!(out.completed_at.is_some());
    }

    #[test]
    fn get_subscription_accepts_id_or_subscription_id() {
        let e = GetSubscription {
            subscription_id: "sub_1".into(),
        };
        check(&built(&e), Method::GET, "/api/stripe/subscription/sub_1", "", None, Auth::Bearer);
        let out = e.parse(&wrap(subscription())).unwrap();
        assert_eq!((out.id.as_str(), out.subscription_id.as_str()), ("sub_1", "sub_1"));
        assert_eq!(out.current_period_start.unwrap().unix_seconds(), 1_736_899_200);
        assert_eq!(out.canceled_at, None);
        let plan = out.plan().unwrap();
        assert_eq!(plan.price_id.as_deref(), Some("price_1"));
        assert_eq!(plan.interval.as_deref(), Some("month"));

        let out = e
            .parse(&wrap(json!({"subscription_id": "sub_2", "items": []})))
            .unwrap();
        assert_eq!((out.id.as_str(), out.subscription_id.as_str()), ("sub_2", "sub_2"));
        assert!(out.plan().is_none());
        assert!(matches!(
            e.parse(&wrap(json!({"status": "active"}))),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn list_subscriptions_and_its_pages() {
        let e: ListSubscriptions =
            args(json!({"status": "active", "limit": 10, "starting_after": "sub_0"}));
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/subscriptions",
            "status=active&limit=10&starting_after=sub_0",
            None,
            Auth::Bearer,
        );
        check(&built(&ListSubscriptions::default()), Method::GET, "/api/stripe/subscriptions", "", None, Auth::Bearer);
        let page = e
            .parse(&respond(json!({"subscriptions": [subscription()], "has_more": true})))
            .unwrap();
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.starting_after.as_deref(), Some("sub_1"));
        assert_eq!(next.status.as_deref(), Some("active"));
        let last = e
            .parse(&wrap(json!({"subscriptions": [subscription()], "has_more": false})))
            .unwrap();
        assert!(e.next_page(&last).is_none());
        assert_eq!(ListSubscriptions::into_items(last).len(), 1);
    }

    #[test]
    fn cancel_subscription_sends_an_object() {
        let mut e = CancelSubscription {
            subscription_id: "sub_1".into(),
            immediately: None,
        };
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/subscription/sub_1/cancel",
            "",
            Some(json!({})),
            Auth::Bearer,
        );
        e.immediately = Some(false);
        assert_eq!(body(&built(&e)), Some(json!({"immediately": false})));
        let out = e.parse(&wrap(subscription())).unwrap();
        assert_eq!(out.subscription_id(), "sub_1");
        assert_eq!(out.items.len(), 1);
    }

    #[test]
    fn update_subscription() {
        let e = UpdateSubscription {
            subscription_id: "sub_1".into(),
            price_id: "price_2".into(),
        };
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/subscription/sub_1/update",
            "",
            Some(json!({"price_id": "price_2"})),
            Auth::Bearer,
        );
        assert_eq!(e.parse(&respond(subscription())).unwrap().id, "sub_1");
        let empty = UpdateSubscription {
            subscription_id: "sub_1".into(),
            price_id: String::new(),
        };
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument { name: "price_id", .. })
        ));
    }

    #[test]
    fn checkout_session_reads() {
        let details = json!({"id": "cs_1", "status": "complete", "amount_total": 2000,
            "metadata": {"k": "v"}, "payment_intent": null, "expires_at": 1736985600});
        let e = GetCheckoutSession {
            session_id: "cs_1".into(),
        };
        check(&built(&e), Method::GET, "/api/stripe/checkout-sessions/cs_1", "", None, Auth::Bearer);
        let out = e.parse(&wrap(details.clone())).unwrap();
        assert_eq!(out.amount_total, Some(2000));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_736_985_600);

        let g = GetGuestCheckoutSession {
            session_id: "cs_1".into(),
        };
        check(
            &built(&g),
            Method::GET,
            "/api/stripe/guest-checkout-sessions/cs_1",
            "",
            None,
            Auth::ApiKey,
        );
        assert_eq!(g.parse(&respond(details)).unwrap().id, "cs_1");
    }

    #[test]
    fn list_checkout_sessions_and_its_pages() {
        let e: ListCheckoutSessions = args(json!({"limit": 10, "starting_after": ""}));
        check(&built(&e), Method::GET, "/api/stripe/checkout-sessions", "limit=10", None, Auth::Bearer);
        let page = e
            .parse(&wrap(json!({"sessions": [{"id": "cs_1", "created_at": 1736942000}],
                "has_more": true, "next_cursor": "cur_9"})))
            .unwrap();
        assert_eq!(page.sessions[0].created_at.unwrap().unix_seconds(), 1_736_942_000);
        assert_eq!(e.next_page(&page).unwrap().starting_after.as_deref(), Some("cur_9"));
        let page = e
            .parse(&wrap(json!({"sessions": [{"id": "cs_1"}], "has_more": true, "next_cursor": null})))
            .unwrap();
        assert_eq!(e.next_page(&page).unwrap().starting_after.as_deref(), Some("cs_1"));
        let page = e.parse(&wrap(json!({"sessions": [], "has_more": true}))).unwrap();
        assert!(e.next_page(&page).is_none());
    }

    #[test]
    fn expire_checkout_session_sends_an_empty_object() {
        let e = ExpireCheckoutSession {
            session_id: "cs_1".into(),
        };
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/checkout-sessions/cs_1/expire",
            "",
            Some(json!({})),
            Auth::Bearer,
        );
        let out = e.parse(&wrap(json!({"id": "cs_1", "status": "expired"}))).unwrap();
        assert!(!out.expired);
    }

    #[test]
    fn create_guest_checkout_session() {
        let base = json!({"customer_email": "guest@example.com", "mode": "payment",
            "line_items": [{"price_id": "price_1", "quantity": 2}],
            "success_url": "https://a/s", "cancel_url": "https://a/c"});
        let e: CreateGuestCheckoutSession = args(base.clone());
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/guest-checkout-sessions",
            "",
            Some(base.clone()),
            Auth::ApiKey,
        );
        let mut full = base.clone();
        for (k, v) in [
            ("metadata", json!({"campaign": "w"})),
            ("client_reference_id", json!("ref_1")),
            ("payment_intent_data", json!({"description": "d"})),
            ("subscription_data", json!({"trial_period_days": 14})),
            ("allow_promotion_codes", json!(false)),
            ("locale", json!("en")),
        ] {
            full[k] = v;
        }
        let e_full: CreateGuestCheckoutSession = args(full.clone());
        assert_eq!(body(&built(&e_full)), Some(full));

        let out = e
            .parse(&wrap(json!({"id": "cs_g", "url": "https://c", "expiresAt": 1737028400,
                "customerEmail": "guest@example.com", "clientReferenceId": "ref_1",
                "successUrl": "https://a/s", "cancelUrl": "https://a/c"})))
            .unwrap();
        assert_eq!(out.customer_email.as_deref(), Some("guest@example.com"));
        assert_eq!(out.client_reference_id.as_deref(), Some("ref_1"));
        assert_eq!(out.expires_at.unwrap().unix_seconds(), 1_737_028_400);
        assert_eq!(out.cancel_url.as_deref(), Some("https://a/c"));

        let mut no_email = base.clone();
        no_email["customer_email"] = json!("");
        let no_email: CreateGuestCheckoutSession = args(no_email);
        assert!(matches!(
            no_email.request(),
            Err(Error::InvalidArgument { name: "customer_email", .. })
        ));
        let mut no_items = base;
        no_items["line_items"] = json!([]);
        let no_items: CreateGuestCheckoutSession = args(no_items);
        assert!(matches!(
            no_items.request(),
            Err(Error::InvalidArgument { name: "line_items", .. })
        ));
    }

    #[test]
    fn list_guest_checkout_sessions_and_its_pages() {
        let e: ListGuestCheckoutSessions =
            args(json!({"limit": 5, "customer_email": "guest@example.com"}));
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/guest-checkout-sessions",
            "limit=5&customer_email=guest@example.com",
            None,
            Auth::ApiKey,
        );
        let page = e
            .parse(&wrap(json!({"sessions": [{"session_id": "cs_g", "amount_total": 4200,
                "created_at": "2025-01-01T00:00:00Z", "expires_at": "2025-01-01T00:30:00Z"}],
                "has_more": true})))
            .unwrap();
        assert_eq!(page.sessions[0].created_at.unwrap().unix_seconds(), 1_735_689_600);
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.starting_after.as_deref(), Some("cs_g"));
        assert_eq!(next.customer_email.as_deref(), Some("guest@example.com"));
    }

    #[test]
    fn convert_guest_checkout_session() {
        let e: ConvertGuestCheckoutSession = args(json!({"session_id": "cs_g",
            "email": "guest@example.com", "password": "", "send_magic_link": true}));
        check(
            &built(&e),
            Method::POST,
            "/api/stripe/guest-checkout-sessions/convert",
            "",
            Some(json!({"session_id": "cs_g", "email": "guest@example.com",
                "send_magic_link": true})),
            Auth::ApiKey,
        );
        let with_password: ConvertGuestCheckoutSession =
            args(json!({"session_id": "cs_g", "email": "g@x", "password": "pw"}));
        assert_eq!(body(&built(&with_password)).unwrap()["password"], json!("pw"));
        assert!(!format!("{with_password:?}").contains("pw\""));
        let out = e
            .parse(&wrap(json!({"success": true, "userId": "u_1", "loginUrl": "https://l",
                "magicLinkSent": true})))
            .unwrap();
        assert!(out.success);
        assert_eq!(out.user_id.as_deref(), Some("u_1"));
        assert_eq!(out.login_url.as_deref(), Some("https://l"));
        assert_eq!(out.magic_link_sent, Some(true));
    }

    #[test]
    fn list_payment_history_and_its_pages() {
        let e: ListPaymentHistory = args(json!({"limit": 2, "status": "succeeded"}));
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/history",
            "limit=2&status=succeeded",
            None,
            Auth::Bearer,
        );
        let payments = json!([{"id": "pi_2", "amount": 4200, "created": 1700000800},
            {"id": "pi_1", "amount": 100}]);
        let page = e
            .parse(&wrap(json!({"payments": payments, "has_more": true, "total_count": 9})))
            .unwrap();
        assert_eq!(page.payments[0].created.unwrap().unix_seconds(), 1_700_000_800);
        assert_eq!(page.total_count, Some(9));
        assert_eq!(e.next_page(&page).unwrap().starting_after.as_deref(), Some("pi_1"));
        let backward: ListPaymentHistory = args(json!({"ending_before": "pi_3"}));
        let next = backward.next_page(&page).unwrap();
        assert_eq!(next.ending_before.as_deref(), Some("pi_2"));
        assert_eq!(next.starting_after, None);
    }

    #[test]
    fn get_payment_detail_reads_payment_or_data() {
        let e = GetPaymentDetail {
            payment_id: "pi_1".into(),
        };
        check(&built(&e), Method::GET, "/api/stripe/payment/pi_1", "", None, Auth::Bearer);
        let record = json!({"id": "pi_1", "amount": 2000, "metadata": {"a": "b"}});
        assert_eq!(e.parse(&wrap(json!({"payment": record}))).unwrap().amount, Some(2000));
        assert_eq!(e.parse(&wrap(record.clone())).unwrap().id, "pi_1");
        assert_eq!(e.parse(&respond(json!({"payment": record}))).unwrap().id, "pi_1");
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
        assert_eq!(e.next_page(&page).unwrap().starting_after.as_deref(), Some("prod_1"));
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
            product_id: "prod_1".into(),
            include_prices: None,
        };
        check(&built(&e), Method::GET, "/api/stripe/products/prod_1", "", None, Auth::Bearer);
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
            Err(Error::InvalidArgument { name: "product_id", .. })
        ));
    }

    #[test]
    fn list_all_products() {
        let e = ListAllProducts {};
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/products/super-admin/all",
            "",
            None,
            Auth::Bearer,
        );
        let out = e
            .parse(&respond(json!({"products": [{"id": "p1", "name": "P"}], "total": 1})))
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
            Some(json!({"name": "Team", "active": false, "description": "", "category": "c",
                "images": [], "metadata": {}}))
        );
        assert_eq!(e.parse(&wrap(json!({"product": product()}))).unwrap().id, "prod_1");
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
        assert_eq!(e.parse(&wrap(json!({"product": product()}))).unwrap().id, "prod_1");
    }

    #[test]
    fn archive_product_and_price() {
        let p = ArchiveProduct {
            product_id: "prod_1".into(),
        };
        check(&built(&p), Method::DELETE, "/api/stripe/products/prod_1", "", None, Auth::Bearer);
        let out = p
            .parse(&wrap(json!({"id": "prod_1", "active": false, "archived": true, "n": 1})))
            .unwrap();
        assert_eq!(out.archived, Some(true));
        assert_eq!(out.extra.get("n"), Some(&json!(1)));

        let q = ArchivePrice {
            price_id: "price_1".into(),
        };
        check(&built(&q), Method::DELETE, "/api/stripe/prices/price_1", "", None, Auth::Bearer);
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
            Some(json!({"product_id": "prod_1", "unit_amount": 19900, "currency": "usd",
                "interval": "year", "interval_count": 1, "recurring": true,
                "nickname": "Yearly", "metadata": {"promo": "none"}, "active": true})),
            Auth::Bearer,
        );
        let out = e
            .parse(&wrap(json!({"price": {"id": "price_9", "unit_amount": 19900}})))
            .unwrap();
        assert_eq!(out.id, "price_9");
    }

    #[test]
    fn set_default_price() {
        let e = SetDefaultPrice {
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
            .parse(&wrap(json!({"price": {"id": "price_9", "unit_amount": 19900},
                "product_id": "prod_1", "previous_price_id": "price_1", "note": "x"})))
            .unwrap();
        assert_eq!(out.price.unwrap().unit_amount, Some(19900));
        assert_eq!(out.previous_price_id.as_deref(), Some("price_1"));
        assert_eq!(out.extra.get("note"), Some(&json!("x")));
    }

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
