//! Day-rate bookings: two slots a day (`morning`, `afternoon`) over the next 14 days,
//! two places each; policies grant free bookings to holders of the entitlement named
//! like the policy; everything else is paid through a checkout URL.

use serde_json::{json, Value};
use time::{Date, OffsetDateTime};

use super::support::{
    body, fail, forbidden, invalid, is_email, is_url, offset_page, ok, query_bool, query_limit,
    query_non_empty, query_offset_named, rfc3339, Outcome, Res,
};
use super::State;
use crate::observed::ObservedRequest;

const SLOTS: [&str; 2] = ["morning", "afternoon"];
const PLACES: usize = 2;
const DAYS: i64 = 14;
/// Free bookings per policy per user.
const ALLOTMENT: i64 = 4;

#[derive(Debug, Default)]
pub(crate) struct Dayrate {
    bookings: Vec<Booking>,
}

#[derive(Debug, Clone)]
struct Booking {
    id: String,
    date: Date,
    slot: String,
    status: &'static str,
    client_email: String,
    client_name: String,
    user_id: Option<String>,
    policy_key: Option<String>,
    enrollment_id: Option<String>,
    is_free: bool,
    created_at: OffsetDateTime,
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl Booking {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "date": date_text(self.date),
            "slot": self.slot,
            "status": self.status,
            "clientEmail": self.client_email,
            "clientName": self.client_name,
            "userId": self.user_id,
            "policyKey": self.policy_key,
            "enrollmentId": self.enrollment_id,
            "isFree": self.is_free,
            "createdAt": rfc3339(self.created_at),
        })
    }

    fn live(&self) -> bool {
        self.status != "cancelled"
    }
}

impl State {
    /// Future, live bookings of `user_id` (for users batch).
    pub(crate) fn upcoming_bookings(&self, user_id: &str) -> Vec<Value> {
        let today = self.now.date();
        self.dayrate
            .bookings
            .iter()
            .filter(|b| b.user_id.as_deref() == Some(user_id) && b.live() && b.date >= today)
            .map(|b| json!({"booking_id": b.id, "date": date_text(b.date), "slot": b.slot, "status": b.status}))
            .collect()
    }

    pub(crate) fn route_dayrate(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        let ["api", "dayrate", rest @ ..] = s else {
            return None;
        };
        Some(match (m, rest) {
            ("GET", ["availability"]) => self.availability(req),
            ("GET", ["allotment"]) => self.allotment(req),
            ("POST", ["book"]) => self.book(req),
            ("POST", ["cancel"]) => self.cancel_booking(req),
            ("GET", ["admin", "bookings"]) => self.admin_bookings(req),
            _ => return None,
        })
    }

    fn taken(&self, date: Date, slot: &str) -> usize {
        self.dayrate
            .bookings
            .iter()
            .filter(|b| b.date == date && b.slot == slot && b.live())
            .count()
    }

    fn availability(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let today = self.now.date();
        let mut slots = Vec::new();
        for d in 0..DAYS {
            let date = today + time::Duration::days(d);
            for slot in SLOTS {
                let remaining = PLACES.saturating_sub(self.taken(date, slot));
                slots.push(json!({
                    "date": date_text(date), "slot": slot,
                    "available": remaining > 0, "remaining": remaining,
                }));
            }
        }
        ok(json!({"timezone": "UTC", "slots": slots}))
    }

    /// The user a dayrate call is about: `userId`, else the user with `email`, else the
    /// bearer's.
    fn dayrate_user(
        &mut self,
        req: &ObservedRequest,
        user_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Option<String>, Outcome> {
        let session = self.maybe_bearer(req)?;
        Ok(match (user_id, email) {
            (Some(u), _) => Some(u.to_owned()),
            (None, Some(e)) => self.users.by_email(e).map(|u| u.id.clone()),
            (None, None) => session.map(|s| s.user_id),
        })
    }

    /// (total, used) of `policy` for `user`.
    fn allotment_of(&self, user: Option<&str>, policy: &str) -> (i64, i64) {
        let Some(user) = user else {
            return (0, 0);
        };
        let total = if self.holds(user, policy, None, None) {
            ALLOTMENT
        } else {
            0
        };
        let used = self
            .dayrate
            .bookings
            .iter()
            .filter(|b| {
                b.user_id.as_deref() == Some(user)
                    && b.policy_key.as_deref() == Some(policy)
                    && b.is_free
                    && b.live()
            })
            .count() as i64;
        (total, used)
    }

    fn allotment(&mut self, req: &ObservedRequest) -> Res {
        let Some(policy) = query_non_empty(req, "policyKey").map(str::to_owned) else {
            return Err(invalid("policyKey is required"));
        };
        let user = self.dayrate_user(
            req,
            query_non_empty(req, "userId"),
            query_non_empty(req, "email"),
        )?;
        let (total, used) = self.allotment_of(user.as_deref(), &policy);
        ok(json!({
            "policyKey": policy,
            "entitled": total > 0,
            "allotment": {"total": total, "used": used, "remaining": (total - used).max(0)},
        }))
    }

    fn book(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let date_text_in = b.text("date")?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = Date::parse(&date_text_in, &format)
            .map_err(|_| invalid("date must be a YYYY-MM-DD date"))?;
        let slot = b.text("slot")?;
        if !SLOTS.contains(&slot.as_str()) {
            return Err(invalid("slot must be morning or afternoon"));
        }
        let email = b.text("clientEmail")?;
        if !is_email(&email) {
            return Err(invalid("clientEmail must be an email address"));
        }
        let name = b.text("clientName")?;
        let success = b.text("successUrl")?;
        let cancel = b.text("cancelUrl")?;
        if !is_url(&success) || !is_url(&cancel) {
            return Err(invalid("successUrl and cancelUrl must be http(s) URLs"));
        }
        let policy = b.opt_text("policyKey")?;
        let enrollment = b.opt_text("enrollmentId")?;
        let replaces = b.opt_text("replacesBookingId")?;
        let user_id = b.opt_text("userId")?;
        let today = self.now.date();
        if date < today || date >= today + time::Duration::days(DAYS) {
            return Err(invalid(format!("date must be within the next {DAYS} days")));
        }
        let user = self.dayrate_user(req, user_id.as_deref(), Some(&email))?;
        let replaced = match &replaces {
            None => None,
            Some(id) => match self.dayrate.bookings.iter().position(|x| &x.id == id) {
                Some(i) if self.dayrate.bookings[i].live() => Some(i),
                Some(_) => {
                    return Err(fail(409, "CONFLICT", "The booking to replace is cancelled"))
                }
                None => return Err(fail(404, "BOOKING_NOT_FOUND", "No booking to replace")),
            },
        };
        let frees = replaced.is_some_and(|i| {
            let r = &self.dayrate.bookings[i];
            r.date == date && r.slot == slot
        });
        if self.taken(date, &slot) >= PLACES && !frees {
            return Err(fail(409, "SLOT_UNAVAILABLE", "This slot is fully booked"));
        }
        if let Some(i) = replaced {
            self.dayrate.bookings[i].status = "cancelled";
        }
        let is_free = policy.as_deref().is_some_and(|p| {
            let (total, used) = self.allotment_of(user.as_deref(), p);
            used < total
        });
        let id = self.next_id("bk");
        let status = if is_free {
            "confirmed"
        } else {
            "pending_payment"
        };
        self.dayrate.bookings.push(Booking {
            id: id.clone(),
            date,
            slot,
            status,
            client_email: email,
            client_name: name,
            user_id: user,
            policy_key: policy,
            enrollment_id: enrollment,
            is_free,
            created_at: self.now,
        });
        ok(json!({
            "bookingId": id,
            "status": status,
            "checkoutUrl": (!is_free).then(|| format!("https://checkout.example.com/pay/{id}")),
            "isFree": is_free,
        }))
    }

    fn cancel_booking(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let b = body(req)?;
        let id = b.text("bookingId")?;
        let user_id = b.opt_text("userId")?;
        let email = b.opt_text("email")?;
        let Some(i) = self.dayrate.bookings.iter().position(|x| x.id == id) else {
            return Err(fail(404, "BOOKING_NOT_FOUND", "No such booking"));
        };
        let booking = &mut self.dayrate.bookings[i];
        let user_ok = user_id
            .as_deref()
            .is_none_or(|u| booking.user_id.as_deref() == Some(u));
        let email_ok = email
            .as_deref()
            .is_none_or(|e| booking.client_email.eq_ignore_ascii_case(e));
        if !user_ok || !email_ok {
            return Err(forbidden());
        }
        if !booking.live() {
            return Err(fail(409, "CONFLICT", "The booking is already cancelled"));
        }
        booking.status = "cancelled";
        ok(json!({
            "bookingId": id,
            "status": "cancelled",
            "refund": if booking.is_free { Value::Null } else { json!({"status": "none"}) },
        }))
    }

    fn admin_bookings(&mut self, req: &ObservedRequest) -> Res {
        self.admin(req)?;
        let limit = query_limit(req, 100, 500)?;
        let offset = query_offset_named(req, "offset")?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = |name: &str| -> Result<Option<Date>, Outcome> {
            query_non_empty(req, name)
                .map(|t| {
                    Date::parse(t, &format)
                        .map_err(|_| invalid(format!("{name} must be a YYYY-MM-DD date")))
                })
                .transpose()
        };
        let (start, end) = (day("startDate")?, day("endDate")?);
        let status = query_non_empty(req, "status");
        let email = query_non_empty(req, "clientEmail");
        let enrollment = query_non_empty(req, "enrollmentId");
        let user = query_non_empty(req, "userId");
        let free = query_bool(req, "isFree")?;
        let all: Vec<Value> = self
            .dayrate
            .bookings
            .iter()
            .filter(|b| {
                status.is_none_or(|s| b.status == s)
                    && start.is_none_or(|d| b.date >= d)
                    && end.is_none_or(|d| b.date <= d)
                    && email.is_none_or(|e| b.client_email.eq_ignore_ascii_case(e))
                    && enrollment.is_none_or(|e| b.enrollment_id.as_deref() == Some(e))
                    && user.is_none_or(|u| b.user_id.as_deref() == Some(u))
                    && free.is_none_or(|f| b.is_free == f)
            })
            .map(Booking::json)
            .collect();
        let total = all.len();
        ok(json!({"bookings": offset_page(all, offset, limit), "total": total}))
    }
}
