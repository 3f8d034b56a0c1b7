//! The user's balance, and on-chain wallet deposits and their confirmation
//! (`/api/payments`).

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::payments::{BalanceOverview, WalletDepositResult, WalletTransaction};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// The user's balance, tier and usage.
    pub fn get_balance(&self) -> GetBalance<Bound<'a, X>> {
        GetBalance::new().on(self.client)
    }
}

/// `GET /api/payments/balance`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetBalance<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetBalance() {});

impl GetBalance {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetBalance {
    type Output = BalanceOverview;
    type Wire = BalanceOverview;
    const NAME: &'static str = "payments.get_balance";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/payments/balance").auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Submits an on-chain deposit of `amount` (major units of `currency`). Optional: `.tier(..)`.
    pub fn wallet_deposit(
        &self,
        wallet_address: impl Into<String>,
        chain_type: impl Into<String>,
        transaction_id: impl Into<String>,
        amount: Decimal,
        currency: impl Into<String>,
    ) -> WalletDeposit<Bound<'a, X>> {
        WalletDeposit::new(wallet_address, chain_type, transaction_id, amount, currency)
            .on(self.client)
    }
}

/// `POST /api/payments/wallet-deposit`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct WalletDeposit<B = Unbound> {
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
    #[serde(skip)]
    pub(crate) bound: B,
}

impl WalletDeposit {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        wallet_address: impl Into<String>,
        chain_type: impl Into<String>,
        transaction_id: impl Into<String>,
        amount: Decimal,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            wallet_address: wallet_address.into(),
            chain_type: chain_type.into(),
            transaction_id: transaction_id.into(),
            amount,
            currency: currency.into(),
            tier: None,
        }
    }
}

crate::arguments::arguments!(WalletDeposit(wallet_address, chain_type, transaction_id, amount, currency) { tier: String });

impl Endpoint for WalletDeposit {
    type Output = WalletDepositResult;
    type Wire = WalletDepositResult;
    const NAME: &'static str = "payments.wallet_deposit";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/payments/wallet-deposit")
            .json(self)
            .auth(Auth::Bearer))
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// The confirmation state of a wallet transaction.
    pub fn get_wallet_transaction(
        &self,
        transaction_id: impl Into<String>,
    ) -> GetWalletTransaction<Bound<'a, X>> {
        GetWalletTransaction::new(transaction_id).on(self.client)
    }
}

/// `GET /api/payments/wallet-transaction/{transaction_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetWalletTransaction<B = Unbound> {
    /// The on-chain transaction.
    pub transaction_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetWalletTransaction(transaction_id) {});

impl GetWalletTransaction {
    /// The request, with its arguments.
    pub fn new(transaction_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            transaction_id: transaction_id.into(),
        }
    }
}

impl Endpoint for GetWalletTransaction {
    type Output = WalletTransaction;
    type Wire = WalletTransaction;
    const NAME: &'static str = "payments.get_wallet_transaction";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/payments/wallet-transaction/{transaction_id}")
                .param(&self.transaction_id)
                .auth(Auth::Bearer),
        )
    }
}

crate::registry!(GetBalance, WalletDeposit, GetWalletTransaction,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::payments::test_support::{args, body, built, check, respond, wrap};

    #[test]
    fn get_balance() {
        let e = GetBalance { bound: Unbound };
        check(
            &built(&e),
            Method::GET,
            "/api/payments/balance",
            "",
            None,
            Auth::Bearer,
        );
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
        assert_eq!(
            body(&built(&from_string)).unwrap()["tier"],
            json!("premium")
        );
        let out = e
            .parse(&respond(
                json!({"deposit_id": "dep_1", "status": "pending", "amount": 100.0,
                "confirmation_required": 12, "confirmation_current": 0}),
            ))
            .unwrap();
        assert_eq!(out.amount.unwrap().as_str(), "100");
        assert_eq!(out.confirmation_required, Some(12));
    }

    #[test]
    fn get_wallet_transaction() {
        let e = GetWalletTransaction {
            bound: Unbound,
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
            .parse(&wrap(
                json!({"transaction_id": "0x9f", "amount": 100.0, "balance_added": 99.5,
                "completed_at": "2025-01-15T11:45:00Z"}),
            ))
            .unwrap();
        assert_eq!(out.balance_added.unwrap().as_str(), "99.5");
        assert!(out.completed_at.is_some());
    }
}
