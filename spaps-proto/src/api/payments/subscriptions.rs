//! Subscriptions: reading, listing, canceling and moving them to another price
//! (`/api/stripe`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::PriceIdBody;
use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::model::payments::{SubscriptionCancellation, SubscriptionDetail, SubscriptionList};
use crate::spec::{require, Auth, RequestSpec};

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
        Ok(
            RequestSpec::get("/api/stripe/subscription/{subscription_id}")
                .param(&self.subscription_id)
                .auth(Auth::Bearer),
        )
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

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Cursor(self.starting_after.clone().unwrap_or_default())
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::{json, Value};

    use crate::api::payments::test_support::{args, body, built, check, respond, wrap};

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

    #[test]
    fn get_subscription_accepts_id_or_subscription_id() {
        let e = GetSubscription {
            subscription_id: "sub_1".into(),
        };
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/subscription/sub_1",
            "",
            None,
            Auth::Bearer,
        );
        let out = e.parse(&wrap(subscription())).unwrap();
        assert_eq!(
            (out.id.as_str(), out.subscription_id.as_str()),
            ("sub_1", "sub_1")
        );
        assert_eq!(
            out.current_period_start.unwrap().unix_seconds(),
            1_736_899_200
        );
        assert_eq!(out.canceled_at, None);
        let plan = out.plan().unwrap();
        assert_eq!(plan.price_id.as_deref(), Some("price_1"));
        assert_eq!(plan.interval.as_deref(), Some("month"));

        let out = e
            .parse(&wrap(json!({"subscription_id": "sub_2", "items": []})))
            .unwrap();
        assert_eq!(
            (out.id.as_str(), out.subscription_id.as_str()),
            ("sub_2", "sub_2")
        );
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
        check(
            &built(&ListSubscriptions::default()),
            Method::GET,
            "/api/stripe/subscriptions",
            "",
            None,
            Auth::Bearer,
        );
        let page = e
            .parse(&respond(
                json!({"subscriptions": [subscription()], "has_more": true}),
            ))
            .unwrap();
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.starting_after.as_deref(), Some("sub_1"));
        assert_eq!(next.status.as_deref(), Some("active"));
        let last = e
            .parse(&wrap(
                json!({"subscriptions": [subscription()], "has_more": false}),
            ))
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
            Err(Error::InvalidArgument {
                name: "price_id",
                ..
            })
        ));
    }
}
