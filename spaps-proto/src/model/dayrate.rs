//! Models of the dayrate endpoints.
//!
//! The server's field names are camelCase (some responses use snake_case, which is
//! accepted too). Fields these models do not name are kept in `extra`.

use serde::{Deserialize, Serialize};

/// Fields a model does not name, as sent.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// The bookable slots (`dayrate.get_availability`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Availability {
    /// The time zone the dates and slots are in, e.g. `America/New_York`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The slots.
    #[serde(default)]
    pub slots: Vec<AvailabilitySlot>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One slot of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AvailabilitySlot {
    /// The calendar date, `YYYY-MM-DD`.
    pub date: String,
    /// The slot of the day, e.g. `morning`.
    pub slot: String,
    /// Whether it can be booked.
    #[serde(default)]
    pub available: Option<bool>,
    /// How many bookings it still takes.
    #[serde(default)]
    pub remaining: Option<i64>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A user's allotment under a policy (`dayrate.get_allotment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Allotment {
    /// The policy (`policyKey`).
    #[serde(default, rename = "policyKey", alias = "policy_key")]
    pub policy_key: Option<String>,
    /// Whether the user is entitled to book under the policy.
    #[serde(default)]
    pub entitled: Option<bool>,
    /// The counts.
    #[serde(default)]
    pub allotment: Option<AllotmentCounts>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// How much of an allotment is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AllotmentCounts {
    /// The bookings allowed.
    #[serde(default)]
    pub total: Option<i64>,
    /// The bookings made.
    #[serde(default)]
    pub used: Option<i64>,
    /// The bookings left.
    #[serde(default)]
    pub remaining: Option<i64>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A booking just made (`dayrate.create_booking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BookingCreated {
    /// The booking id (`bookingId` or `booking_id`).
    #[serde(rename = "bookingId", alias = "booking_id")]
    pub booking_id: String,
    /// Its status, e.g. `pending_payment` or `confirmed`.
    pub status: String,
    /// Where the client pays, when payment is due (`checkoutUrl` or `checkout_url`).
    #[serde(default, rename = "checkoutUrl", alias = "checkout_url")]
    pub checkout_url: Option<String>,
    /// Whether the booking is free (`isFree` or `is_free`).
    #[serde(default, rename = "isFree", alias = "is_free")]
    pub is_free: Option<bool>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A booking just cancelled (`dayrate.cancel_booking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BookingCancelled {
    /// The booking id (`bookingId` or `booking_id`).
    #[serde(rename = "bookingId", alias = "booking_id")]
    pub booking_id: String,
    /// Its status, e.g. `cancelled`.
    pub status: String,
    /// The refund, when one is made (e.g. `{"status": "pending"}`).
    #[serde(default)]
    pub refund: Option<Extra>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A booking as the admin listing shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdminBooking {
    /// The booking id.
    #[serde(alias = "bookingId", alias = "booking_id")]
    pub id: String,
    /// The calendar date, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// The slot of the day.
    #[serde(default)]
    pub slot: Option<String>,
    /// Its status, e.g. `confirmed`.
    #[serde(default)]
    pub status: Option<String>,
    /// The client's email (`clientEmail` or `client_email`).
    #[serde(default, rename = "clientEmail", alias = "client_email")]
    pub client_email: Option<String>,
    /// Whether the booking is free (`isFree` or `is_free`).
    #[serde(default, rename = "isFree", alias = "is_free")]
    pub is_free: Option<bool>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A page of bookings (`dayrate.get_admin_bookings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdminBookingList {
    /// The bookings.
    #[serde(default)]
    pub bookings: Vec<AdminBooking>,
    /// The number of bookings that match, over all pages.
    #[serde(default)]
    pub total: Option<u64>,
    /// Other fields, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}
