//! Crypto invoices: created `pending`; a test pays them ([`super::MockSpaps::pay_crypto_invoice`]);
//! reconciliation settles paid ones (`confirmed`, `underpaid`); unpaid ones expire on the
//! mock's clock. A confirmed invoice whose metadata names an `entitlement_key` grants it.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{body, fail, invalid, ok, plus, rfc3339, Outcome, Res};
use super::State;
use crate::observed::ObservedRequest;

/// Default lifetime of an invoice, in seconds.
const INVOICE_TTL_S: i64 = 15 * 60;

#[derive(Debug, Default)]
pub(crate) struct Invoices {
    list: Vec<Invoice>,
}

#[derive(Debug, Clone)]
struct Invoice {
    id: String,
    user_id: String,
    asset: String,
    network: String,
    amount: String,
    status: &'static str,
    expires_at: OffsetDateTime,
    beneficiary: Option<Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
    received: Option<f64>,
    finalized_at: Option<OffsetDateTime>,
    settlement: Option<String>,
}

fn decimal(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    ok.then(|| text.parse().ok()).flatten()
}

impl Invoice {
    fn status(&self, now: OffsetDateTime) -> &'static str {
        if self.status == "pending" && self.received.is_none() && now >= self.expires_at {
            "expired"
        } else {
            self.status
        }
    }

    fn json(&self, now: OffsetDateTime) -> Value {
        json!({
            "id": self.id,
            "asset": self.asset,
            "network": self.network,
            "amount": self.amount,
            "status": self.status(now),
            "expires_at": rfc3339(self.expires_at),
            "beneficiary": self.beneficiary,
            "metadata": self.metadata,
        })
    }
}

impl State {
    pub(crate) fn route_crypto(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "payments", "crypto", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("POST", ["invoices"]) => self.create_invoice(req),
            ("GET", ["invoices", id]) => self.get_invoice(req, id),
            ("GET", ["invoices", id, "status"]) => self.invoice_status(req, id),
            ("POST", ["reconcile"]) => self.reconcile(req),
            _ => return None,
        })
    }

    fn create_invoice(&mut self, req: &ObservedRequest) -> Res {
        let s = self.bearer(req)?;
        let b = body(req)?;
        let asset = b.text("asset")?;
        let network = b.text("network")?;
        let amount = b.text("amount")?;
        if decimal(&amount).is_none_or(|a| a <= 0.0) {
            return Err(invalid("amount must be a positive decimal string"));
        }
        let ttl = b.opt_int("expires_in_seconds")?.unwrap_or(INVOICE_TTL_S);
        if !(60..=7 * 24 * 3600).contains(&ttl) {
            return Err(invalid("expires_in_seconds must be from 60 to 604800"));
        }
        let invoice = Invoice {
            id: self.next_id("inv"),
            user_id: s.user_id,
            asset,
            network,
            amount,
            status: "pending",
            expires_at: plus(self.now, ttl),
            beneficiary: b.opt_object("beneficiary")?,
            metadata: b.opt_object("metadata")?,
            received: None,
            finalized_at: None,
            settlement: None,
        };
        let json = invoice.json(self.now);
        self.crypto.list.push(invoice);
        ok(json!({ "invoice": json }))
    }

    fn own_invoice(&mut self, req: &ObservedRequest, id: &str) -> Result<usize, Outcome> {
        let s = self.bearer(req)?;
        self.crypto
            .list
            .iter()
            .position(|i| i.id == id && i.user_id == s.user_id)
            .ok_or_else(|| fail(404, "INVOICE_NOT_FOUND", "No such invoice"))
    }

    fn get_invoice(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let i = self.own_invoice(req, id)?;
        ok(json!({ "invoice": self.crypto.list[i].json(self.now) }))
    }

    fn invoice_status(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let i = self.own_invoice(req, id)?;
        let inv = &self.crypto.list[i];
        let due = decimal(&inv.amount).unwrap_or(0.0);
        ok(json!({
            "invoice_id": inv.id,
            "status": inv.status(self.now),
            "finalized_at": inv.finalized_at.map(rfc3339),
            "normalized_amount": inv.received.map(|r| format!("{r:.6}")),
            "settlement_ids": inv.settlement.iter().collect::<Vec<_>>(),
            "underpaid": inv.received.is_some_and(|r| r < due),
            "overpaid": inv.received.is_some_and(|r| r > due),
        }))
    }

    /// Settles every paid, pending invoice.
    fn reconcile(&mut self, req: &ObservedRequest) -> Res {
        self.bearer(req)?;
        let b = body(req)?;
        let cursor = b.opt_object("cursor")?;
        self.settle_invoices();
        let job = self.next_id("job");
        ok(json!({"job_id": job, "scheduled_at": rfc3339(self.now), "cursor": cursor}))
    }

    fn settle_invoices(&mut self) {
        let now = self.now;
        for i in 0..self.crypto.list.len() {
            let inv = &self.crypto.list[i];
            let (Some(received), "pending") = (inv.received, inv.status) else {
                continue;
            };
            let due = decimal(&inv.amount).unwrap_or(0.0);
            let settlement = self.next_id("ledg");
            let inv = &mut self.crypto.list[i];
            inv.finalized_at = Some(now);
            inv.settlement = Some(settlement);
            if received + 1e-9 >= due {
                inv.status = "confirmed";
                let key = inv
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("entitlement_key"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let (user, id, asset) = (inv.user_id.clone(), inv.id.clone(), inv.asset.clone());
                if let Some(key) = key {
                    self.grant_crypto(&user, &key, &id, received, &asset);
                }
            } else {
                inv.status = "underpaid";
            }
        }
    }

    /// Records a payment of `amount` to invoice `id` (settled at the next reconcile).
    pub(crate) fn pay_invoice(&mut self, id: &str, amount: &str) -> Result<(), String> {
        let now = self.now;
        let amount = decimal(amount).ok_or("amount must be a decimal string")?;
        let inv = self
            .crypto
            .list
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or("no such invoice")?;
        if inv.status(now) != "pending" {
            return Err(format!("the invoice is {}", inv.status(now)));
        }
        inv.received = Some(inv.received.unwrap_or(0.0) + amount);
        Ok(())
    }
}
