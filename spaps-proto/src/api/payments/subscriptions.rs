//! Subscriptions: reading, listing, canceling and moving them to another price
//! (`/api/stripe`).

use serde::{Deserialize, Serialize};

use super::PriceIdBody;
use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::payments::{SubscriptionCancellation, SubscriptionDetail, SubscriptionList};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// A subscription.
    pub fn get_subscription(
        &self,
        subscription_id: impl Into<String>,
    ) -> GetSubscription<Bound<'a, X>> {
        GetSubscription::new(subscription_id).on(self.client)
    }
}

/// `GET /api/stripe/subscription/{subscription_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetSubscription<B = Unbound> {
    /// The subscription.
    pub subscription_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetSubscription(subscription_id) {});

impl GetSubscription {
    /// The request, with its arguments.
    pub fn new(subscription_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            subscription_id: subscription_id.into(),
        }
    }
}

impl Endpoint for GetSubscription {
    type Output = SubscriptionDetail;
    type Wire = SubscriptionDetail;
    const NAME: &'static str = "payments.get_subscription";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(
            RequestSpec::get("/api/stripe/subscription/{subscription_id}")
                .param(&self.subscription_id)
                .auth(Auth::Bearer),
        )
    }
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists the user's subscriptions.
    /// Optional: `.status(..)`, `.limit(..)`, `.starting_after(..)`.
    pub fn list_subscriptions(&self) -> ListSubscriptions<Bound<'a, X>> {
        ListSubscriptions::new().on(self.client)
    }
}

/// `GET /api/stripe/subscriptions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListSubscriptions<B = Unbound> {
    /// Only subscriptions with this status; sent when not empty.
    #[serde(default)]
    pub status: Option<String>,
    /// Page size.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The cursor: the last subscription id of the previous page.
    #[serde(default)]
    pub starting_after: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListSubscriptions {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListSubscriptions() { status: String, limit: u32, starting_after: String });

impl Endpoint for ListSubscriptions {
    type Output = SubscriptionList;
    type Wire = SubscriptionList;
    const NAME: &'static str = "payments.list_subscriptions";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/subscriptions")
            .query_non_empty("status", self.status.as_deref())
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .auth(Auth::Bearer))
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

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Cancels a subscription (at the period end unless `immediately`).
    /// Optional: `.immediately(..)`.
    pub fn cancel_subscription(
        &self,
        subscription_id: impl Into<String>,
    ) -> CancelSubscription<Bound<'a, X>> {
        CancelSubscription::new(subscription_id).on(self.client)
    }
}

/// `POST /api/stripe/subscription/{subscription_id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CancelSubscription<B = Unbound> {
    /// The subscription.
    pub subscription_id: String,
    /// Cancel now rather than at the period end; the body is `{}` when not set.
    #[serde(default)]
    pub immediately: Option<bool>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CancelSubscription {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(subscription_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            subscription_id: subscription_id.into(),
            immediately: None,
        }
    }
}

crate::arguments::arguments!(CancelSubscription(subscription_id) { immediately: bool });

#[derive(Serialize)]
struct CancelSubscriptionBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    immediately: Option<bool>,
}

impl Endpoint for CancelSubscription {
    type Output = SubscriptionCancellation;
    type Wire = SubscriptionCancellation;
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
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Moves a subscription to another price.
    pub fn update_subscription(
        &self,
        subscription_id: impl Into<String>,
        price_id: impl Into<String>,
    ) -> UpdateSubscription<Bound<'a, X>> {
        UpdateSubscription::new(subscription_id, price_id).on(self.client)
    }
}

/// `POST /api/stripe/subscription/{subscription_id}/update`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateSubscription<B = Unbound> {
    /// The subscription.
    pub subscription_id: String,
    /// The new price.
    pub price_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(UpdateSubscription(subscription_id, price_id) {});

impl UpdateSubscription {
    /// The request, with its arguments.
    pub fn new(subscription_id: impl Into<String>, price_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            subscription_id: subscription_id.into(),
            price_id: price_id.into(),
        }
    }
}

impl Endpoint for UpdateSubscription {
    type Output = SubscriptionDetail;
    type Wire = SubscriptionDetail;
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
}

crate::registry!(
    GetSubscription,
    ListSubscriptions,
    CancelSubscription,
    UpdateSubscription,
);

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
            bound: Unbound,
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
            bound: Unbound,
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
            bound: Unbound,
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
            bound: Unbound,
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
