//! Payments outside checkout: balance, payment intents, payment methods, wallet
//! deposits (confirmed as the mock's clock runs), payment history and details.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::support::{
    body, cursor_page, fail, invalid, number, ok, plus, query_limit, query_non_empty, rfc3339, Res,
};
use super::State;
use crate::observed::ObservedRequest;

/// Confirmations a wallet deposit needs.
const CONFIRMATIONS: i64 = 12;
/// Seconds per confirmation on the mock's clock.
const BLOCK_S: i64 = 15;

#[derive(Debug, Default)]
pub(crate) struct Payments {
    records: Vec<Payment>,
    deposits: Vec<Deposit>,
    default_methods: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Payment {
    id: String,
    user_id: String,
    amount: i64,
    currency: String,
    status: &'static str,
    description: String,
    created: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct Deposit {
    id: String,
    user_id: String,
    chain: String,
    transaction_id: String,
    amount: f64,
    currency: String,
    created_at: OffsetDateTime,
}

impl Deposit {
    fn confirmations(&self, now: OffsetDateTime) -> i64 {
        ((now - self.created_at).whole_seconds() / BLOCK_S).clamp(0, CONFIRMATIONS)
    }

    fn confirmed_at(&self) -> OffsetDateTime {
        plus(self.created_at, CONFIRMATIONS * BLOCK_S)
    }
}

impl Payment {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "description": self.description,
            "created": self.created.unix_timestamp(),
            "payment_method_type": "card",
            "invoice_id": format!("in_{}", self.id),
            "invoice_pdf": format!("https://pay.example.com/invoice/{}/pdf", self.id),
            "metadata": {},
        })
    }
}

impl Payments {
    pub(crate) fn seed(&mut self, user_id: &str, now: OffsetDateTime) {
        self.records.push(Payment {
            id: "pi_mock_seed_1".to_owned(),
            user_id: user_id.to_owned(),
            amount: 2000,
            currency: "usd".to_owned(),
            status: "succeeded",
            description: "Pro (monthly)".to_owned(),
            created: plus(now, -30 * 24 * 3600),
        });
    }
}

impl State {
    /// Records a succeeded payment of `user_id`.
    pub(crate) fn record_payment(
        &mut self,
        user_id: &str,
        id: &str,
        amount: i64,
        currency: &str,
        what: &str,
    ) {
        self.payments.records.push(Payment {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            amount,
            currency: currency.to_owned(),
            status: "succeeded",
            description: what.to_owned(),
            created: self.now,
        });
    }

    pub(crate) fn route_payments(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("GET", ["api", "payments", "balance"]) => self.balance(req),
            ("POST", ["api", "payments", "create-payment-intent"]) => self.payment_intent(req),
            ("POST", ["api", "payments", "update-payment-method"]) => self.payment_method(req),
            ("POST", ["api", "payments", "wallet-deposit"]) => self.wallet_deposit(req),
            ("GET", ["api", "payments", "wallet-transaction", id]) => {
                self.wallet_transaction(req, id)
            }
            ("GET", ["api", "stripe", "history"]) => self.payment_history(req),
            ("GET", ["api", "stripe", "payment", id]) => self.payment_detail(req, id),
            _ => return None,
        })
    }

    fn balance(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let now = self.now;
        let (mut available, mut pending) = (0.0, 0.0);
        for d in self
            .payments
            .deposits
            .iter()
            .filter(|d| d.user_id == s.user_id)
        {
            if d.confirmations(now) >= CONFIRMATIONS {
                available += d.amount;
            } else {
                pending += d.amount;
            }
        }
        let features = self.route_usage("GET", &["api", "usage", "features"], req);
        let (start, end, used) = match features {
            Some(Ok(super::support::Outcome::Ok(v))) => (
                v["period"]["start"].clone(),
                v["period"]["end"].clone(),
                v["features"][0]["used"].as_f64().unwrap_or(0.0),
            ),
            _ => (Value::Null, Value::Null, 0.0),
        };
        let tier_expires = self.entitlement_end(&s.user_id, "pro_plan");
        ok(json!({
            "balance": {"available": available, "pending": pending, "currency": "USD"},
            "tier": self.tier_of(&s.user_id),
            "tier_expires_at": tier_expires.map(rfc3339),
            "usage": {
                "current_period_start": start,
                "current_period_end": end,
                "credits_used": number(used),
                "credits_remaining": number((10_000.0 - used).max(0.0)),
            },
        }))
    }

    fn payment_intent(&mut self, req: &ObservedRequest) -> Res {
        self.bearer(req)?;
        let b = body(req)?;
        let amount = b
            .opt_int("amount")?
            .ok_or_else(|| invalid("amount is required"))?;
        if amount <= 0 {
            return Err(invalid("amount must be a positive number of minor units"));
        }
        let currency = b.text("currency")?;
        if currency.len() != 3 {
            return Err(invalid("currency must be a three-letter code"));
        }
        b.opt_array("payment_method_types")?;
        b.opt_object("metadata")?;
        let id = self.next_id("pi");
        ok(json!({
            "payment_intent_id": id,
            "client_secret": format!("{id}_secret_mock"),
            "status": "requires_payment_method",
            "amount": amount,
            "currency": currency.to_ascii_lowercase(),
        }))
    }

    fn payment_method(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let b = body(req)?;
        let pm = b.text("payment_method_id")?;
        let set_default = b.opt_bool("set_default")?.unwrap_or(false);
        if !pm.starts_with("pm_") {
            return Err(fail(
                404,
                "PAYMENT_METHOD_NOT_FOUND",
                "No such payment method",
            ));
        }
        let defaults = &mut self.payments.default_methods;
        if set_default {
            defaults.retain(|(u, _)| u != &s.user_id);
            defaults.push((s.user_id.clone(), pm.clone()));
        }
        let is_default = defaults.iter().any(|(u, p)| u == &s.user_id && p == &pm);
        ok(json!({
            "message": if set_default { "Default payment method updated" } else { "Payment method attached" },
            "customer_id": format!("cus_mock_{}", s.user_id),
            "payment_method_id": pm,
            "is_default": is_default,
        }))
    }

    fn wallet_deposit(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let b = body(req)?;
        b.text("wallet_address")?;
        let chain = b.text("chain_type")?;
        let tx = b.text("transaction_id")?;
        let amount = b.number("amount")?;
        let currency = b.text("currency")?;
        b.opt_text("tier")?;
        if amount <= 0.0 {
            return Err(invalid("amount must be positive"));
        }
        if self
            .payments
            .deposits
            .iter()
            .any(|d| d.transaction_id == tx)
        {
            return Err(fail(
                409,
                "CONFLICT",
                "This transaction was already deposited",
            ));
        }
        let id = self.next_id("dep");
        self.payments.deposits.push(Deposit {
            id: id.clone(),
            user_id: s.user_id,
            chain,
            transaction_id: tx,
            amount,
            currency: currency.clone(),
            created_at: self.now,
        });
        ok(json!({
            "deposit_id": id,
            "status": "pending",
            "amount": amount,
            "currency": currency,
            "confirmation_required": CONFIRMATIONS,
            "confirmation_current": 0,
        }))
    }

    fn wallet_transaction(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let s = self.bearer(req)?;
        let now = self.now;
        let Some(d) = self
            .payments
            .deposits
            .iter()
            .find(|d| d.user_id == s.user_id && (d.transaction_id == id || d.id == id))
        else {
            return Err(fail(404, "TRANSACTION_NOT_FOUND", "No such transaction"));
        };
        let n = d.confirmations(now);
        let done = n >= CONFIRMATIONS;
        ok(json!({
            "transaction_id": d.transaction_id,
            "status": if done { "confirmed" } else { "pending" },
            "confirmations": n,
            "chain_type": d.chain,
            "amount": d.amount,
            "currency": d.currency,
            "balance_added": if done { d.amount } else { 0.0 },
            "completed_at": done.then(|| rfc3339(d.confirmed_at())),
        }))
    }

    fn payment_history(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let limit = query_limit(req, 10, 100)?;
        let status = query_non_empty(req, "status");
        let mine: Vec<&Payment> = self
            .payments
            .records
            .iter()
            .rev()
            .filter(|p| p.user_id == s.user_id && status.is_none_or(|x| x == p.status))
            .collect();
        let total = mine.len();
        let mine = match query_non_empty(req, "ending_before") {
            None => mine,
            Some(before) => {
                let Some(i) = mine.iter().position(|p| p.id == before) else {
                    return Err(invalid("ending_before is not a known id"));
                };
                mine.into_iter().take(i).collect()
            }
        };
        let (page, more) = cursor_page(
            mine,
            |p| p.id.as_str(),
            query_non_empty(req, "starting_after"),
            limit,
        )?;
        let payments: Vec<Value> = page.iter().map(|p| p.json()).collect();
        ok(json!({"payments": payments, "has_more": more, "total_count": total}))
    }

    fn payment_detail(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let s = self.bearer(req)?;
        match self
            .payments
            .records
            .iter()
            .find(|p| p.id == id && p.user_id == s.user_id)
        {
            Some(p) => ok(json!({ "payment": p.json() })),
            None => Err(fail(404, "PAYMENT_NOT_FOUND", "No such payment")),
        }
    }
}
