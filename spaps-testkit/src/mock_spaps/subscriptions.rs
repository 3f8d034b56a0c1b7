//! Stripe subscriptions: read, list, cancel (now or at period end), change price; they
//! renew when the mock's clock passes the period end (`entitlement.renewed`).

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::support::{
    body, cursor_page, fail, ok, plus, query_limit, query_non_empty, Outcome, Res,
};
use super::State;
use crate::observed::ObservedRequest;

#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    list: Vec<Subscription>,
}

#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    user_id: String,
    item_id: String,
    price_id: String,
    status: &'static str,
    current_period_start: OffsetDateTime,
    current_period_end: OffsetDateTime,
    cancel_at_period_end: bool,
    canceled_at: Option<OffsetDateTime>,
}

/// The length of one period of `interval`, in seconds.
pub(crate) fn period_seconds(interval: Option<&str>) -> i64 {
    let day = 24 * 3600;
    match interval {
        Some("day") => day,
        Some("week") => 7 * day,
        Some("year") => 365 * day,
        _ => 30 * day,
    }
}

impl Subscriptions {
    /// The demo account's Pro subscription `sub_mock_1`.
    pub(crate) fn seed(&mut self, user_id: &str, now: OffsetDateTime) {
        self.list.push(Subscription {
            id: "sub_mock_1".to_owned(),
            user_id: user_id.to_owned(),
            item_id: "si_mock_1".to_owned(),
            price_id: "price_mock_pro_monthly".to_owned(),
            status: "active",
            current_period_start: plus(now, -30 * 24 * 3600),
            current_period_end: plus(now, 335 * 24 * 3600),
            cancel_at_period_end: false,
            canceled_at: None,
        });
    }
}

impl State {
    fn subscription_json(&self, s: &Subscription) -> Value {
        let price = self.catalog.price(&s.price_id);
        let item_price = match price {
            Some((product, price)) => price.item_json(&product.id),
            None => json!({"id": s.price_id}),
        };
        json!({
            "id": s.id,
            "status": s.status,
            "current_period_start": s.current_period_start.unix_timestamp(),
            "current_period_end": s.current_period_end.unix_timestamp(),
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": s.canceled_at.map(OffsetDateTime::unix_timestamp),
            "items": [{"id": s.item_id, "price": item_price}],
        })
    }

    /// Starts a subscription of `user_id` to `price_id`; returns its id and period end.
    pub(crate) fn start_subscription(
        &mut self,
        user_id: &str,
        price_id: &str,
    ) -> (String, OffsetDateTime) {
        let interval = self
            .catalog
            .price(price_id)
            .and_then(|(_, p)| p.interval.clone());
        let id = self.next_id("sub");
        let item_id = self.next_id("si");
        let end = plus(self.now, period_seconds(interval.as_deref()));
        self.subscriptions.list.push(Subscription {
            id: id.clone(),
            user_id: user_id.to_owned(),
            item_id,
            price_id: price_id.to_owned(),
            status: "active",
            current_period_start: self.now,
            current_period_end: end,
            cancel_at_period_end: false,
            canceled_at: None,
        });
        (id, end)
    }

    /// Renews the subscriptions whose period ended (and ends those cancelled at period
    /// end).
    pub(crate) fn renew_subscriptions(&mut self) {
        let now = self.now;
        let due: Vec<usize> = (0..self.subscriptions.list.len())
            .filter(|&i| {
                let s = &self.subscriptions.list[i];
                s.status == "active" && s.current_period_end <= now
            })
            .collect();
        for i in due {
            let s = self.subscriptions.list[i].clone();
            if s.cancel_at_period_end {
                self.subscriptions.list[i].status = "canceled";
                continue;
            }
            let interval = self
                .catalog
                .price(&s.price_id)
                .and_then(|(_, p)| p.interval.clone());
            let period = period_seconds(interval.as_deref());
            let mut start = s.current_period_end;
            let mut end = plus(start, period);
            while end <= now {
                start = end;
                end = plus(end, period);
            }
            let sub = &mut self.subscriptions.list[i];
            sub.current_period_start = start;
            sub.current_period_end = end;
            self.renew_subscription_entitlements(&s.id, end);
        }
    }

    pub(crate) fn route_subscriptions(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        Some(match (m, s) {
            ("GET", ["api", "stripe", "subscriptions"]) => self.list_subscriptions(req),
            ("GET", ["api", "stripe", "subscription", id]) => self.get_subscription(req, id),
            ("POST", ["api", "stripe", "subscription", id, "cancel"]) => {
                self.cancel_subscription(req, id)
            }
            ("POST", ["api", "stripe", "subscription", id, "update"]) => {
                self.update_subscription(req, id)
            }
            _ => return None,
        })
    }

    fn own_subscription(&self, user_id: &str, id: &str) -> Result<usize, Outcome> {
        self.subscriptions
            .list
            .iter()
            .position(|s| s.id == id && s.user_id == user_id)
            .ok_or_else(|| fail(404, "SUBSCRIPTION_NOT_FOUND", "No such subscription"))
    }

    fn get_subscription(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        let i = self.own_subscription(&session.user_id, id)?;
        ok(self.subscription_json(&self.subscriptions.list[i]))
    }

    fn list_subscriptions(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let limit = query_limit(req, 10, 100)?;
        let status = query_non_empty(req, "status");
        let mine: Vec<&Subscription> = self
            .subscriptions
            .list
            .iter()
            .filter(|s| s.user_id == session.user_id && status.is_none_or(|st| st == s.status))
            .collect();
        let (page, more) = cursor_page(
            mine,
            |s| s.id.as_str(),
            query_non_empty(req, "starting_after"),
            limit,
        )?;
        let subscriptions: Vec<Value> = page.iter().map(|s| self.subscription_json(s)).collect();
        ok(json!({"subscriptions": subscriptions, "has_more": more}))
    }

    fn cancel_subscription(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        let b = body(req)?;
        let immediately = b.opt_bool("immediately")?.unwrap_or(false);
        let i = self.own_subscription(&session.user_id, id)?;
        let now = self.now;
        let sub = &mut self.subscriptions.list[i];
        if sub.status == "canceled" {
            return Err(fail(
                400,
                "INVALID_SUBSCRIPTION",
                "The subscription is already canceled",
            ));
        }
        sub.canceled_at = Some(now);
        if immediately {
            sub.status = "canceled";
            sub.current_period_end = now;
            self.end_subscription_entitlements(id, now, "Subscription canceled");
        } else {
            sub.cancel_at_period_end = true;
            self.mark_subscription_entitlements(id, json!({"cancel_at_period_end": true}));
        }
        ok(self.subscription_json(&self.subscriptions.list[i]))
    }

    fn update_subscription(&mut self, req: &ObservedRequest, id: &str) -> Res {
        let session = self.bearer(req)?;
        let b = body(req)?;
        let price_id = b.text("price_id")?;
        let i = self.own_subscription(&session.user_id, id)?;
        match self.catalog.price(&price_id) {
            None => return Err(fail(404, "PRICE_NOT_FOUND", "No such price")),
            Some((product, price)) if !price.active || !product.active => {
                return Err(fail(
                    400,
                    "INVALID_PRICE",
                    "This price can no longer be bought",
                ))
            }
            Some((_, price)) if price.interval.is_none() => {
                return Err(fail(
                    400,
                    "INVALID_PRICE",
                    "A subscription needs a recurring price",
                ))
            }
            Some(_) => {}
        }
        if self.subscriptions.list[i].status == "canceled" {
            return Err(fail(
                400,
                "SUBSCRIPTION_UPDATE_ERROR",
                "A canceled subscription cannot change price",
            ));
        }
        self.subscriptions.list[i].price_id.clone_from(&price_id);
        self.mark_subscription_entitlements(id, json!({ "price_id": price_id }));
        ok(self.subscription_json(&self.subscriptions.list[i]))
    }
}
