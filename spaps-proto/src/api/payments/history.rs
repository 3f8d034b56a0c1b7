//! The user's payment history and single payments (`/api/stripe`).

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::Shape;
use crate::error::Error;
use crate::model::payments::{PaymentHistory, PaymentRecord};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

use super::PaymentsApi;

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// Lists the user's payments.
    /// Optional: `.limit(..)`, `.starting_after(..)`, `.ending_before(..)`, `.status(..)`.
    pub fn list_payment_history(&self) -> ListPaymentHistory<Bound<'a, X>> {
        ListPaymentHistory::new().on(self.client)
    }
}

/// `GET /api/stripe/history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListPaymentHistory<B = Unbound> {
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
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListPaymentHistory {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListPaymentHistory() { limit: u32, starting_after: String, ending_before: String, status: String });

impl Endpoint for ListPaymentHistory {
    type Output = PaymentHistory;
    type Wire = PaymentHistory;
    const NAME: &'static str = "payments.list_payment_history";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/history")
            .query_opt("limit", self.limit)
            .query_non_empty("starting_after", self.starting_after.as_deref())
            .query_non_empty("ending_before", self.ending_before.as_deref())
            .query_non_empty("status", self.status.as_deref())
            .auth(Auth::Bearer))
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

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// A payment.
    pub fn get_payment_detail(
        &self,
        payment_id: impl Into<String>,
    ) -> GetPaymentDetail<Bound<'a, X>> {
        GetPaymentDetail::new(payment_id).on(self.client)
    }
}

/// `GET /api/stripe/payment/{payment_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetPaymentDetail<B = Unbound> {
    /// The payment.
    pub payment_id: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetPaymentDetail(payment_id) {});

impl GetPaymentDetail {
    /// The request, with its arguments.
    pub fn new(payment_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            payment_id: payment_id.into(),
        }
    }
}

impl Endpoint for GetPaymentDetail {
    type Output = PaymentRecord;
    type Wire = PaymentRecord;
    const NAME: &'static str = "payments.get_payment_detail";
    const SHAPE: Shape = Shape::DataOrKey("payment");

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/stripe/payment/{payment_id}")
            .param(&self.payment_id)
            .auth(Auth::Bearer))
    }
}

crate::registry!(ListPaymentHistory, GetPaymentDetail,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::payments::test_support::{args, built, check, respond, wrap};

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
            .parse(&wrap(
                json!({"payments": payments, "has_more": true, "total_count": 9}),
            ))
            .unwrap();
        assert_eq!(
            page.payments[0].created.unwrap().unix_seconds(),
            1_700_000_800
        );
        assert_eq!(page.total_count, Some(9));
        assert_eq!(
            e.next_page(&page).unwrap().starting_after.as_deref(),
            Some("pi_1")
        );
        let backward: ListPaymentHistory = args(json!({"ending_before": "pi_3"}));
        let next = backward.next_page(&page).unwrap();
        assert_eq!(next.ending_before.as_deref(), Some("pi_2"));
        assert_eq!(next.starting_after, None);
    }

    #[test]
    fn get_payment_detail_reads_payment_or_data() {
        let e = GetPaymentDetail {
            bound: Unbound,
            payment_id: "pi_1".into(),
        };
        check(
            &built(&e),
            Method::GET,
            "/api/stripe/payment/pi_1",
            "",
            None,
            Auth::Bearer,
        );
        let record = json!({"id": "pi_1", "amount": 2000, "metadata": {"a": "b"}});
        assert_eq!(
            e.parse(&wrap(json!({"payment": record}))).unwrap().amount,
            Some(2000)
        );
        assert_eq!(e.parse(&wrap(record.clone())).unwrap().id, "pi_1");
        assert_eq!(
            e.parse(&respond(json!({"payment": record}))).unwrap().id,
            "pi_1"
        );
    }
}
