//! Day-rate bookings (`/api/dayrate`): availability, allotments, booking, cancelling,
//! and the admin listing.
//!
//! Every wire name is camelCase. The public calls send the bearer token when one is
//! available; the admin listing needs one.

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::dayrate::{
    AdminBooking, AdminBookingList, Allotment, Availability, BookingCancelled, BookingCreated,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

/// The dayrate operations of a client: `client.dayrate()`.
#[derive(Debug)]
pub struct DayrateApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> DayrateApi<'a, X> {
    /// The dayrate operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// The bookable slots.
    pub fn get_availability(&self) -> GetAvailability<Bound<'a, X>> {
        GetAvailability::new().on(self.client)
    }

    /// A user's allotment under the policy `policy_key`.
    /// Optional: `.user_id(..)`, `.email(..)`.
    pub fn get_allotment(&self, policy_key: impl Into<String>) -> GetAllotment<Bound<'a, X>> {
        GetAllotment::new(policy_key).on(self.client)
    }

    /// Books a slot of a day (`date` is `YYYY-MM-DD`); the answer may carry a checkout URL.
    /// Optional: `.policy_key(..)`, `.enrollment_id(..)`, `.replaces_booking_id(..)`,
    /// `.user_id(..)`.
    pub fn create_booking(
        &self,
        date: impl Into<String>,
        slot: impl Into<String>,
        client_email: impl Into<String>,
        client_name: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> CreateBooking<Bound<'a, X>> {
        CreateBooking::new(
            date,
            slot,
            client_email,
            client_name,
            success_url,
            cancel_url,
        )
        .on(self.client)
    }

    /// Cancels a booking. Optional: `.user_id(..)`, `.email(..)`.
    pub fn cancel_booking(&self, booking_id: impl Into<String>) -> CancelBooking<Bound<'a, X>> {
        CancelBooking::new(booking_id).on(self.client)
    }

    /// Admin: lists bookings, in pages.
    /// Optional: `.status(..)`, `.start_date(..)`, `.end_date(..)`, `.client_email(..)`,
    /// `.enrollment_id(..)`, `.user_id(..)`, `.is_free(..)`, `.limit(..)` (default 100),
    /// `.offset(..)` (default 0).
    pub fn get_admin_bookings(&self) -> GetAdminBookings<Bound<'a, X>> {
        GetAdminBookings::new().on(self.client)
    }
}

/// `GET /api/dayrate/availability`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetAvailability<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetAvailability() {});

impl GetAvailability {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetAvailability {
    type Output = Availability;
    type Wire = Availability;
    const NAME: &'static str = "dayrate.get_availability";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/dayrate/availability").auth(Auth::OptionalBearer))
    }
}

/// `GET /api/dayrate/allotment`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetAllotment<B = Unbound> {
    /// The policy; sent as `policyKey`.
    pub policy_key: String,
    /// The user; sent as `userId`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetAllotment {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(policy_key: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            policy_key: policy_key.into(),
            user_id: None,
            email: None,
        }
    }
}

crate::arguments::arguments!(GetAllotment(policy_key) { user_id: String, email: String });

impl Endpoint for GetAllotment {
    type Output = Allotment;
    type Wire = Allotment;
    const NAME: &'static str = "dayrate.get_allotment";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/dayrate/allotment")
            .query("policyKey", &self.policy_key)
            .query_opt("userId", self.user_id.as_deref())
            .query_opt("email", self.email.as_deref())
            .auth(Auth::OptionalBearer))
    }
}

/// `POST /api/dayrate/book`. Serialized (camelCase), it is the request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateBooking<B = Unbound> {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// The slot of the day, e.g. `morning`.
    pub slot: String,
    /// The client's email; sent as `clientEmail`.
    pub client_email: String,
    /// The client's name; sent as `clientName`.
    pub client_name: String,
    /// Where checkout returns after payment; sent as `successUrl`.
    pub success_url: String,
    /// Where checkout returns when abandoned; sent as `cancelUrl`.
    pub cancel_url: String,
    /// The policy to book under; sent as `policyKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_key: Option<String>,
    /// The enrollment to book for; sent as `enrollmentId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrollment_id: Option<String>,
    /// A booking this one replaces; sent as `replacesBookingId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_booking_id: Option<String>,
    /// The user; sent as `userId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateBooking {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        date: impl Into<String>,
        slot: impl Into<String>,
        client_email: impl Into<String>,
        client_name: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            date: date.into(),
            slot: slot.into(),
            client_email: client_email.into(),
            client_name: client_name.into(),
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            policy_key: None,
            enrollment_id: None,
            replaces_booking_id: None,
            user_id: None,
        }
    }
}

crate::arguments::arguments!(CreateBooking(date, slot, client_email, client_name, success_url, cancel_url) { policy_key: String, enrollment_id: String, replaces_booking_id: String, user_id: String });

impl Endpoint for CreateBooking {
    type Output = BookingCreated;
    type Wire = BookingCreated;
    const NAME: &'static str = "dayrate.create_booking";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/dayrate/book")
            .json(self)
            .auth(Auth::OptionalBearer))
    }
}

/// `POST /api/dayrate/cancel`. Serialized (camelCase), it is the request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all(serialize = "camelCase"))]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CancelBooking<B = Unbound> {
    /// The booking; sent as `bookingId`.
    pub booking_id: String,
    /// The user; sent as `userId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CancelBooking {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(booking_id: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            booking_id: booking_id.into(),
            user_id: None,
            email: None,
        }
    }
}

crate::arguments::arguments!(CancelBooking(booking_id) { user_id: String, email: String });

impl Endpoint for CancelBooking {
    type Output = BookingCancelled;
    type Wire = BookingCancelled;
    const NAME: &'static str = "dayrate.cancel_booking";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/dayrate/cancel")
            .json(self)
            .auth(Auth::OptionalBearer))
    }
}

/// `GET /api/dayrate/admin/bookings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetAdminBookings<B = Unbound> {
    /// Only bookings in this status; sent as `status`.
    #[serde(default)]
    pub status: Option<String>,
    /// From this day (`YYYY-MM-DD`); sent as `startDate`.
    #[serde(default)]
    pub start_date: Option<String>,
    /// Up to this day (`YYYY-MM-DD`); sent as `endDate`.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Only this client's bookings; sent as `clientEmail`.
    #[serde(default)]
    pub client_email: Option<String>,
    /// Only this enrollment's bookings; sent as `enrollmentId`.
    #[serde(default)]
    pub enrollment_id: Option<String>,
    /// Only this user's bookings; sent as `userId`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Only free (or only paid) bookings; sent as `isFree`.
    #[serde(default)]
    pub is_free: Option<bool>,
    /// Page size; 100 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Bookings to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl GetAdminBookings {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages GetAdminBookings() { status: String, start_date: String, end_date: String, client_email: String, enrollment_id: String, user_id: String, is_free: bool, limit: u32, offset: u64 });

impl GetAdminBookings {
    const DEFAULT_LIMIT: u32 = 100;
}

impl Endpoint for GetAdminBookings {
    type Output = AdminBookingList;
    type Wire = AdminBookingList;
    const NAME: &'static str = "dayrate.get_admin_bookings";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/dayrate/admin/bookings")
            .query("limit", self.limit.unwrap_or(Self::DEFAULT_LIMIT))
            .query("offset", self.offset.unwrap_or(0))
            .query_opt("status", self.status.as_deref())
            .query_opt("startDate", self.start_date.as_deref())
            .query_opt("endDate", self.end_date.as_deref())
            .query_opt("clientEmail", self.client_email.as_deref())
            .query_opt("enrollmentId", self.enrollment_id.as_deref())
            .query_opt("userId", self.user_id.as_deref())
            .query_opt("isFree", self.is_free)
            .auth(Auth::Bearer))
    }
}

impl Paginated for GetAdminBookings {
    type Item = AdminBooking;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Offset(self.offset.unwrap_or(0))
    }

    fn next_page(&self, page: &AdminBookingList) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(Self::DEFAULT_LIMIT) as usize;
        // Without a total, a short page is the last.
        if page.total.is_none() && page.bookings.len() < limit {
            return None;
        }
        let next = crate::paging::next_offset(offset, page.bookings.len(), page.total)?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: AdminBookingList) -> Vec<AdminBooking> {
        page.bookings
    }
}

crate::registry!(
    GetAvailability,
    GetAllotment,
    CreateBooking,
    CancelBooking,
    GetAdminBookings,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::test_support::{body, query};
    use bytes::Bytes;

    fn response(body: &str) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_owned()))
    }

    #[test]
    fn get_availability_request_and_parse() {
        let spec = GetAvailability { bound: Unbound }.request().unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/dayrate/availability");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert!(spec.query.is_empty() && spec.body.is_none());
        let a = GetAvailability { bound: Unbound }
            .parse(&response(
                r#"{"success":true,"data":{"timezone":"America/New_York","slots":[
                {"date":"2025-01-20","slot":"morning","available":true,"remaining":3,"x_new":1},
                {"date":"2025-01-20","slot":"afternoon","available":false,"remaining":0}],
                "x_future_flag":true}}"#,
            ))
            .unwrap();
        assert_eq!(a.timezone.as_deref(), Some("America/New_York"));
        assert_eq!(a.slots.len(), 2);
        assert_eq!(a.slots[0].remaining, Some(3));
        assert_eq!(a.slots[0].extra["x_new"], 1);
        assert_eq!(a.slots[1].available, Some(false));
        assert_eq!(a.extra["x_future_flag"], true);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["x_future_flag"], true);
        assert_eq!(json["slots"][0]["x_new"], 1);
    }

    #[test]
    fn get_allotment_request_and_parse() {
        let e = GetAllotment {
            bound: Unbound,
            policy_key: "checkin".into(),
            user_id: Some("user-123".into()),
            email: Some("patient@example.com".into()),
        };
        let spec = e.request().unwrap();
        assert_eq!(spec.path(), "/api/dayrate/allotment");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            query(&spec),
            [
                ("policyKey", "checkin"),
                ("userId", "user-123"),
                ("email", "patient@example.com")
            ]
        );
        let only = GetAllotment {
            bound: Unbound,
            policy_key: "checkin".into(),
            user_id: None,
            email: None,
        };
        assert_eq!(query(&only.request().unwrap()), [("policyKey", "checkin")]);
        let a = e
            .parse(&response(
                r#"{"success":true,"data":{"policyKey":"checkin","entitled":true,
                "allotment":{"total":4,"used":2,"remaining":2}}}"#,
            ))
            .unwrap();
        assert_eq!(a.policy_key.as_deref(), Some("checkin"));
        assert_eq!(a.entitled, Some(true));
        let counts = a.allotment.unwrap();
        assert_eq!(
            (counts.total, counts.used, counts.remaining),
            (Some(4), Some(2), Some(2))
        );
    }

    fn booking() -> CreateBooking {
        CreateBooking {
            bound: Unbound,
            date: "2025-01-20".into(),
            slot: "morning".into(),
            client_email: "patient@example.com".into(),
            client_name: "Ada Lovelace".into(),
            success_url: "https://app.example.com/booked".into(),
            cancel_url: "https://app.example.com/book".into(),
            policy_key: None,
            enrollment_id: None,
            replaces_booking_id: None,
            user_id: None,
        }
    }

    #[test]
    fn create_booking_request() {
        let spec = booking().request().unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/dayrate/book");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body(&spec),
            Some(serde_json::json!({
                "date": "2025-01-20", "slot": "morning",
                "clientEmail": "patient@example.com", "clientName": "Ada Lovelace",
                "successUrl": "https://app.example.com/booked",
                "cancelUrl": "https://app.example.com/book",
            }))
        );
        let full = CreateBooking {
            policy_key: Some("checkin".into()),
            enrollment_id: Some("enr_7731".into()),
            replaces_booking_id: Some("bk_0".into()),
            user_id: Some("u1".into()),
            ..booking()
        };
        let b = body(&full.request().unwrap()).unwrap();
        assert_eq!(b["policyKey"], "checkin");
        assert_eq!(b["enrollmentId"], "enr_7731");
        assert_eq!(b["replacesBookingId"], "bk_0");
        assert_eq!(b["userId"], "u1");
        // Arguments use the reference's (snake_case) names.
        let args: CreateBooking = serde_json::from_str(
            r#"{"date":"d","slot":"s","client_email":"e","client_name":"n",
                "success_url":"su","cancel_url":"cu","policy_key":"p"}"#,
        )
        .unwrap();
        assert_eq!(args.policy_key.as_deref(), Some("p"));
    }

    #[test]
    fn create_booking_parse_camel_or_snake() {
        let camel = booking()
            .parse(&response(
                r#"{"success":true,"data":{"bookingId":"bk_1","status":"pending_payment",
                "checkoutUrl":"https://checkout.stripe.com/c/pay/cs_1","isFree":false}}"#,
            ))
            .unwrap();
        assert_eq!(camel.booking_id, "bk_1");
        assert_eq!(
            camel.checkout_url.as_deref(),
            Some("https://checkout.stripe.com/c/pay/cs_1")
        );
        assert_eq!(camel.is_free, Some(false));
        assert!(camel.extra.is_empty());
        let snake = booking()
            .parse(&response(
                r#"{"booking_id":"bk_new","status":"confirmed","checkout_url":null}"#,
            ))
            .unwrap();
        assert_eq!(snake.booking_id, "bk_new");
        assert_eq!(snake.status, "confirmed");
        assert_eq!(snake.checkout_url, None);
    }

    #[test]
    fn cancel_booking_request_and_parse() {
        let e = CancelBooking {
            bound: Unbound,
            booking_id: "bk_123".into(),
            user_id: Some("user-456".into()),
            email: Some("client@example.com".into()),
        };
        let spec = e.request().unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/dayrate/cancel");
        assert_eq!(spec.credentials(), Auth::OptionalBearer);
        assert_eq!(
            body(&spec),
            Some(
                serde_json::json!({"bookingId": "bk_123", "userId": "user-456", "email": "client@example.com"})
            )
        );
        let c = e
            .parse(&response(
                r#"{"success":true,"data":{"bookingId":"bk_123","status":"cancelled","refund":{"status":"pending"}}}"#,
            ))
            .unwrap();
        assert_eq!(c.booking_id, "bk_123");
        assert_eq!(c.refund.unwrap()["status"], "pending");
    }

    #[test]
    fn get_admin_bookings_request() {
        let spec = GetAdminBookings::default().request().unwrap();
        assert_eq!(spec.path(), "/api/dayrate/admin/bookings");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(query(&spec), [("limit", "100"), ("offset", "0")]);
        let e = GetAdminBookings {
            bound: Unbound,
            status: Some("confirmed".into()),
            start_date: Some("2025-01-01".into()),
            end_date: Some("2025-01-31".into()),
            client_email: Some("patient@example.com".into()),
            enrollment_id: Some("enr_7731".into()),
            user_id: Some("u1".into()),
            is_free: Some(false),
            limit: Some(10),
            offset: Some(20),
        };
        assert_eq!(
            query(&e.request().unwrap()),
            [
                ("limit", "10"),
                ("offset", "20"),
                ("status", "confirmed"),
                ("startDate", "2025-01-01"),
                ("endDate", "2025-01-31"),
                ("clientEmail", "patient@example.com"),
                ("enrollmentId", "enr_7731"),
                ("userId", "u1"),
                ("isFree", "false"),
            ]
        );
    }

    #[test]
    fn get_admin_bookings_parse_and_pages() {
        let e = GetAdminBookings {
            limit: Some(1),
            status: Some("confirmed".into()),
            ..Default::default()
        };
        let page = e
            .parse(&response(
                r#"{"success":true,"data":{"bookings":[{"id":"bk_1","date":"2025-01-20",
                "slot":"morning","status":"confirmed","clientEmail":"p@example.com",
                "isFree":false,"clientName":"Ada"}],"total":2}}"#,
            ))
            .unwrap();
        assert_eq!(page.total, Some(2));
        let b = &page.bookings[0];
        assert_eq!(b.client_email.as_deref(), Some("p@example.com"));
        assert_eq!(b.extra["clientName"], "Ada");
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.offset, Some(1));
        assert_eq!(next.status.as_deref(), Some("confirmed"));
        assert!(next.next_page(&page).is_none());
        // Without a total: a full page goes on, a short or empty one ends.
        let no_total = e
            .parse(&response(r#"{"bookings":[{"id":"bk_1"}]}"#))
            .unwrap();
        assert_eq!(e.next_page(&no_total).unwrap().offset, Some(1));
        let wide = GetAdminBookings::default();
        assert!(wide.next_page(&no_total).is_none());
        assert_eq!(GetAdminBookings::into_items(page).len(), 1);
    }

    #[test]
    fn malformed_bodies_name_the_field() {
        match GetAdminBookings::default().parse(&response(
            r#"{"data":{"bookings":[{"id":"bk_1","isFree":"no"}]}}"#,
        )) {
            Err(Error::Decode(d)) => {
                assert_eq!(d.operation, "dayrate.get_admin_bookings");
                assert!(d.path.starts_with("data.bookings[0]"), "{}", d.path);
            }
            other => panic!("{other:?}"),
        }
        match booking().parse(&response(r#"{"data":{"status":"confirmed"}}"#)) {
            Err(Error::Decode(d)) => assert!(d.path.starts_with("data"), "{}", d.path),
            other => panic!("{other:?}"),
        }
        match (GetAvailability { bound: Unbound }).parse(&response(r#"{"data":{"slots":7}}"#)) {
            Err(Error::Decode(d)) => assert!(d.path.starts_with("data"), "{}", d.path),
            other => panic!("{other:?}"),
        }
        for body in ["", "<html>", r#"{"data":null}"#] {
            assert!(matches!(
                GetAvailability { bound: Unbound }.parse(&response(body)),
                Err(Error::Decode(_))
            ));
        }
    }
}
