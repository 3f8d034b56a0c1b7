//! An embedded, stateful fake of the SPAPS API, for your integration tests (the way
//! Stripe users run stripe-mock), the README quickstart and the examples.
//!
//! It serves every one of the 104 endpoints of the wire contract with the contract's
//! paths, query and body names, credentials and envelopes, and keeps state the way the
//! service does. One line starts it on a free loopback port:
//!
//! ```no_run
//! use spaps_testkit::mock_spaps::MockSpaps;
//! let spaps = MockSpaps::new().start()?;          // in a #[test] or a #[tokio::test]
//! println!("mock SPAPS at {}", spaps.url());
//! spaps.advance_clock(std::time::Duration::from_secs(3600)); // access tokens expire
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Groups
//!
//! One module per endpoint group holds that group's state and handlers:
//!
//! | module | endpoints | credentials |
//! | --- | --- | --- |
//! | `auth` | 12 under `/api/auth` | key; key + bearer for `user`, `logout`, `set-password` |
//! | `sessions` | 5 under `/api/sessions` | key + bearer |
//! | `device` | `POST /api/cli/device/{authorize,token}` | key |
//! | `catalog` | products and prices under `/api/stripe/products`, `/api/stripe/prices` (10) | key + bearer; writes and `super-admin` need an admin |
//! | `checkout` | checkout sessions and guest checkout (9) | key + bearer; guest checkout key only |
//! | `payments` | balance, payment intents and methods, wallet deposits, history (7) | key + bearer |
//! | `subscriptions` | `/api/stripe/subscription(s)` (4) | key + bearer |
//! | `crypto` | `/api/payments/crypto` (4) | key + bearer |
//! | `usage` | `/api/usage` (3) | key + bearer |
//! | `whitelist` | `/api/v1/whitelist` (5) | key for `check`; key + admin bearer otherwise |
//! | `secure_messages` | `/api/secure-messages` (2) | key, bearer optional |
//! | `issue_reports` | `/api/v1/issue-reports` (6) | key, bearer optional |
//! | `support_telemetry` | `/api/v1/support-telemetry` (5) | key, bearer optional |
//! | `entitlements` | `/api/entitlements` (7) | key for reads; key + bearer for claim; admin for grant and revoke |
//! | `email` | `/api/email` (11) | key for send, list, get and preview; key + admin bearer otherwise |
//! | `users` | `/api/users/{emails,batch}` | key |
//! | `dayrate` | `/api/dayrate` (5) | key, bearer optional; admin for `admin/bookings` |
//! | `metrics` | `/api/metrics`, `/api/metrics/json`, `/health`, `/health/ready` | none |
//!
//! Every other request needs a non-empty `X-API-Key` (or exactly the key given to
//! [`MockSpaps::with_api_key`]), else `401 INVALID_API_KEY`. A bearer token that is
//! unknown is `401 UNAUTHORIZED`, an expired one `401 TOKEN_EXPIRED`; a route that needs
//! an admin answers other users `403 FORBIDDEN`. Successes use the SPAPS envelope
//! `{"success": true, "data": ..., "metadata": {"request_id", "timestamp"}}` (some auth
//! answers put `message`, `user` and `tokens` at the top level, as the contract says),
//! errors `{"success": false, "error": {"code", "message"}, "metadata": ...}`, and every
//! reply carries `x-request-id`. Bad input is `400 VALIDATION_ERROR` (device flow: the
//! RFC 8628 codes), a missing record `404 <THING>_NOT_FOUND`, a conflict `409`.
//!
//! # Accounts
//!
//! [`DEMO_EMAIL`] (user `user_1`, an admin) signs in with [`DEMO_PASSWORD`]. An unknown
//! email signing in with [`DEMO_PASSWORD`] becomes a new user (`user_2`, `user_3`, ...),
//! as does `register` (with its own password), a magic link or a wallet sign-in. Tokens
//! are `at_N`/`rt_N`. Access tokens live [`ACCESS_TOKEN_TTL_S`] seconds on the mock's
//! clock; refresh tokens rotate on each refresh, and presenting a spent one is
//! `401 REFRESH_TOKEN_REUSED` and ends its session (the whole token family).
//! Magic-link, password-reset and wallet-nonce codes are not mailed: read them with
//! [`MockSpaps::codes`] or [`MockSpaps::latest_code`]. Wallet signatures are not
//! checked; the signed message must carry the wallet's latest nonce.
//!
//! # Catalog
//!
//! | product | category | prices |
//! | --- | --- | --- |
//! | `prod_mock_starter` Starter | `subscriptions` | `price_mock_starter_monthly` 9.00 USD a month |
//! | `prod_mock_pro` Pro | `subscriptions` | `price_mock_pro_monthly` 20.00 USD a month, `price_mock_pro_yearly` 200.00 USD a year |
//! | `prod_mock_team` Team | `subscriptions` | `price_mock_team_monthly` 50.00 USD a month |
//! | `prod_mock_credits` 1,000 API credits | `credits` | `price_mock_credits_1k` 10.00 USD once |
//! | `prod_mock_legacy` Legacy (inactive) | `subscriptions` | `price_mock_legacy_monthly` 5.00 USD a month (inactive) |
//!
//! # Entitlements
//!
//! [`DEMO_EMAIL`] holds `pro_plan` (active, from the Stripe subscription `sub_mock_1`),
//! `team_seat` (active, scoped to resource `org`/`org_mock_1`), `beta_access` (expired)
//! and `early_adopter` (revoked). Grants to an email nobody has signed in with wait for
//! `POST /api/entitlements/claim`. Grants, revocations, claims, subscription changes and
//! expiries (when the clock passes `ends_at`) are recorded as change events and sent to
//! registered webhooks (see [`MockSpaps::register_webhook`]).
//!
//! # Usage
//!
//! `POST /api/usage/record` meters `api_calls` (10 000 a month) and `storage_gb`
//! (unlimited), and remembers each `X-Idempotency-Key` per user: the same key with the
//! same body replays the first answer, the same key with another body is
//! `409 IDEMPOTENCY_KEY_REUSED`.
//!
//! # Device-code login
//!
//! `authorize` issues a device code valid for [`DEVICE_CODE_TTL_S`] seconds with an
//! `interval` of 1 s (see [`MockSpaps::with_device_poll_interval`]). Unless a test
//! decides first ([`MockSpaps::approve_device`], [`MockSpaps::deny_device`]), the token
//! endpoint answers `400 authorization_pending` [`DEVICE_PENDING_POLLS`] times, then
//! approves the login as [`DEMO_EMAIL`], once (then `400 invalid_grant`). A poll sooner
//! than `interval` after the previous one is `400 slow_down`; an expired code
//! `400 expired_token`; a denied one `403 access_denied`.
//!
//! # Control from tests
//!
//! The clock ([`MockSpaps::advance_clock`]), faults ([`MockSpaps::fail_next`],
//! [`MockSpaps::set_latency`]), fixtures ([`MockSpaps::with_fixtures_file`]), webhooks
//! ([`MockSpaps::register_webhook`], [`MockSpaps::webhook_deliveries`]), the codes and
//! what the mock received ([`MockSpaps::received`]). The same controls are served over
//! HTTP under `/__mock/` (no credentials) for a mock in another process, such as the
//! `spaps-mock` binary: `POST /__mock/clock/advance {"seconds"}`, `GET /__mock/clock`,
//! `POST /__mock/webhooks {"url", "secret"}`, `GET /__mock/webhooks/deliveries`,
//! `GET /__mock/events`, `GET /__mock/codes`, `POST /__mock/faults {"route", "times",
//! "status" | "drop": true}`, `POST /__mock/latency {"ms"}`, `GET /__mock/requests`,
//! `POST /__mock/device/approve|deny {"user_code"}`.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::observed::ObservedRequest;
use crate::server::{MockServer, Reply};

mod auth;
mod catalog;
mod checkout;
mod control;
mod crypto;
mod dayrate;
mod device;
mod email;
mod entitlements;
mod faults;
mod fixtures;
mod issue_reports;
mod metrics;
mod payments;
mod secure_messages;
mod sessions;
mod subscriptions;
mod support;
mod support_telemetry;
mod usage;
mod users;
mod webhooks;
mod whitelist;

#[cfg(test)]
mod tests;

pub use faults::Fault;
pub use webhooks::WebhookDelivery;

use support::{bearer_token, fail, forbidden, no_route, rfc3339, segments, Outcome, Res};

/// The password of [`DEMO_EMAIL`], and of any unknown email signing in (which creates
/// that user).
pub const DEMO_PASSWORD: &str = "correct horse battery staple";
/// The demo account: user `user_1`, an admin, holding the seeded entitlements; device
/// logins sign in as it.
pub const DEMO_EMAIL: &str = "ada@example.com";
/// The `application_id` of everything the mock stores.
pub const APPLICATION_ID: &str = "app_mock_spaps";
/// Lifetime of access tokens, in seconds on the mock's clock (`expires_in` of login and
/// refresh), unless set with [`MockSpaps::with_access_token_ttl`].
pub const ACCESS_TOKEN_TTL_S: i64 = 3600;
/// Lifetime of sessions (and so of refresh tokens), in seconds.
pub const SESSION_TTL_S: i64 = 7 * 24 * 3600;
/// Lifetime of device codes, in seconds (`expires_in` of `/api/cli/device/authorize`).
pub const DEVICE_CODE_TTL_S: u64 = 600;
/// How many polls of a device code are answered `authorization_pending` before it is
/// approved (when no test approved or denied it first).
pub const DEVICE_PENDING_POLLS: u32 = 2;
/// Where device-code logins send the user (`verification_uri`).
pub const DEVICE_VERIFICATION_URI: &str = "https://spaps.example.com/device";

/// Starts the mock SPAPS on a loopback port; point a client's base URL at
/// [`MockServer::url`]. (To reach the mock's controls too, use [`MockSpaps::start`].)
pub fn start() -> io::Result<MockServer> {
    serve(MockSpaps::new())
}

/// Serves `mock` on a loopback port, like [`start`] (for a mock configured first).
pub fn serve(mock: MockSpaps) -> io::Result<MockServer> {
    let mock = Arc::new(mock);
    MockServer::start(move |req: &ObservedRequest| mock.handle(req))
}

/// A code the mock would have sent: a magic link, a password reset, a wallet nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentCode {
    /// `magic_link`, `password_reset` or `nonce`.
    pub kind: &'static str,
    /// The email (or wallet address, for a nonce) it was sent to.
    pub to: String,
    /// The code: the magic-link or reset token, or the nonce.
    pub code: String,
}

/// The mock's state and request handler, usable without a socket (e.g. by a sans-IO
/// transport in tests). [`MockSpaps::start`] serves it on a loopback port.
#[derive(Debug)]
pub struct MockSpaps {
    state: Mutex<State>,
    /// Added to the real time: the mock's clock.
    clock_offset: Mutex<Duration>,
    faults: Mutex<faults::Faults>,
    webhooks: webhooks::Dispatcher,
    received: Mutex<Vec<ObservedRequest>>,
    api_key: Option<String>,
}

impl Default for MockSpaps {
    fn default() -> Self {
        MockSpaps::new()
    }
}

/// Everything the mock stores, one field per group.
#[derive(Debug)]
pub(crate) struct State {
    /// The mock clock's reading for the request being handled.
    now: OffsetDateTime,
    next_request: u64,
    counters: BTreeMap<&'static str, u64>,
    access_ttl_s: i64,
    users: auth::Users,
    sessions: sessions::Sessions,
    device: device::DeviceCodes,
    catalog: catalog::Catalog,
    checkout: checkout::Checkouts,
    payments: payments::Payments,
    subscriptions: subscriptions::Subscriptions,
    crypto: crypto::Invoices,
    usage: usage::Meter,
    entitlements: entitlements::Entitlements,
    whitelist: whitelist::Whitelist,
    messages: secure_messages::Messages,
    issues: issue_reports::Issues,
    support: support_telemetry::Cases,
    email: email::Email,
    dayrate: dayrate::Dayrate,
    metrics: metrics::Counters,
    /// Events raised while handling the request, sent to webhooks afterwards.
    events: Vec<Value>,
    /// Every event raised so far.
    event_log: Vec<Value>,
}

impl State {
    fn new(now: OffsetDateTime) -> State {
        let mut state = State {
            now,
            next_request: 0,
            counters: BTreeMap::new(),
            access_ttl_s: ACCESS_TOKEN_TTL_S,
            users: auth::Users::default(),
            sessions: sessions::Sessions::default(),
            device: device::DeviceCodes::new(1),
            catalog: catalog::Catalog::seed(now),
            checkout: checkout::Checkouts::default(),
            payments: payments::Payments::default(),
            subscriptions: subscriptions::Subscriptions::default(),
            crypto: crypto::Invoices::default(),
            usage: usage::Meter::default(),
            entitlements: entitlements::Entitlements::default(),
            whitelist: whitelist::Whitelist::default(),
            messages: secure_messages::Messages::default(),
            issues: issue_reports::Issues::default(),
            support: support_telemetry::Cases::default(),
            email: email::Email::seed(now),
            dayrate: dayrate::Dayrate::default(),
            metrics: metrics::Counters::new(now),
            events: Vec::new(),
            event_log: Vec::new(),
        };
        state.seed_demo();
        state
    }

    /// The demo account and what it holds.
    fn seed_demo(&mut self) {
        let ada = self.create_user(DEMO_EMAIL, Some(DEMO_PASSWORD));
        if let Some(user) = self.users.get_mut(&ada) {
            user.admin = true;
            user.username = Some("ada".to_owned());
        }
        self.whitelist.seed(DEMO_EMAIL);
        self.subscriptions.seed(&ada, self.now);
        self.entitlements.seed(&ada, self.now);
        self.payments.seed(&ada, self.now);
        // Ids the seeds took by hand: new ones continue after them.
        for (prefix, taken) in [("ent", 4), ("sub", 1), ("si", 1), ("ph", 1)] {
            self.counters.insert(prefix, taken);
        }
    }

    /// The next id with `prefix`: `prefix_mock_1`, `prefix_mock_2`, ...
    pub(crate) fn next_id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}_mock_{n}")
    }

    /// The next number of the counter `name`.
    pub(crate) fn next_number(&mut self, name: &'static str) -> u64 {
        let n = self.counters.entry(name).or_insert(0);
        *n += 1;
        *n
    }

    /// Time-driven changes up to `now` (entitlement expiry).
    fn tick(&mut self) {
        self.expire_entitlements();
    }

    /// Answers one request.
    fn route(&mut self, req: &ObservedRequest) -> Res {
        let owned = segments(&req.path);
        let s: Vec<&str> = owned.iter().map(String::as_str).collect();
        let m = req.method.as_str();
        if let Some(r) = self.route_metrics(m, &s, req) {
            return r;
        }
        macro_rules! groups {
            ($($f:ident),* $(,)?) => {
                $(if let Some(r) = self.$f(m, &s, req) { return r; })*
            };
        }
        groups!(
            route_auth,
            route_sessions,
            route_device,
            route_crypto,
            route_catalog,
            route_checkout,
            route_payments,
            route_subscriptions,
            route_usage,
            route_whitelist,
            route_secure_messages,
            route_issue_reports,
            route_support_telemetry,
            route_entitlements,
            route_email,
            route_users,
            route_dayrate,
        );
        Err(no_route())
    }

    /// The session of the request's bearer token (credential **B**).
    pub(crate) fn bearer(&mut self, req: &ObservedRequest) -> Result<sessions::Session, Outcome> {
        match bearer_token(req) {
            Some(token) => self.session_for_token(token),
            None => Err(fail(
                401,
                "UNAUTHORIZED",
                "Authorization: Bearer <access token> is required",
            )),
        }
    }

    /// The session of the bearer token when one is sent (credential **b**); a token that
    /// is sent must be valid.
    pub(crate) fn maybe_bearer(
        &mut self,
        req: &ObservedRequest,
    ) -> Result<Option<sessions::Session>, Outcome> {
        match bearer_token(req) {
            Some(token) => self.session_for_token(token).map(Some),
            None => Ok(None),
        }
    }

    /// The session of an admin's bearer token.
    pub(crate) fn admin(&mut self, req: &ObservedRequest) -> Result<sessions::Session, Outcome> {
        let session = self.bearer(req)?;
        if self.users.get(&session.user_id).is_some_and(|u| u.admin) {
            Ok(session)
        } else {
            Err(forbidden())
        }
    }

    /// Records an event (`entitlement.granted`, ...) for the change log and webhooks.
    pub(crate) fn emit(&mut self, event: Value) {
        self.event_log.push(event.clone());
        self.events.push(event);
    }
}

impl MockSpaps {
    /// A mock with the demo account, the seeded catalog and entitlements, and no
    /// sessions yet.
    pub fn new() -> MockSpaps {
        MockSpaps {
            state: Mutex::new(State::new(now_utc())),
            clock_offset: Mutex::new(Duration::ZERO),
            faults: Mutex::new(faults::Faults::default()),
            webhooks: webhooks::Dispatcher::default(),
            received: Mutex::new(Vec::new()),
            api_key: None,
        }
    }

    /// Serves this mock on a free loopback port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn start(self) -> io::Result<RunningMock> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves this mock on `addr` (port 0: a free port).
    ///
    /// # Errors
    /// When `addr` cannot be bound.
    pub fn start_on(self, addr: SocketAddr) -> io::Result<RunningMock> {
        let mock = Arc::new(self);
        let handler = Arc::clone(&mock);
        let server = MockServer::start_on(addr, move |req: &ObservedRequest| handler.handle(req))?;
        Ok(RunningMock { server, mock })
    }

    /// Serves this mock over TLS (see [`crate::tls`]) on a free loopback port:
    /// `https://127.0.0.1:PORT`.
    ///
    /// # Errors
    /// When no loopback port can be bound or rustls refuses the certificate.
    pub fn start_tls(self, tls: crate::tls::ServerTls) -> io::Result<RunningMock> {
        self.start_tls_on(SocketAddr::from(([127, 0, 0, 1], 0)), tls)
    }

    /// Serves this mock over TLS on `addr` (port 0: a free port).
    ///
    /// # Errors
    /// When `addr` cannot be bound or rustls refuses the certificate.
    pub fn start_tls_on(
        self,
        addr: SocketAddr,
        tls: crate::tls::ServerTls,
    ) -> io::Result<RunningMock> {
        let mock = Arc::new(self);
        let handler = Arc::clone(&mock);
        let server =
            MockServer::start_tls_on(addr, tls, move |req: &ObservedRequest| handler.handle(req))?;
        Ok(RunningMock { server, mock })
    }

    /// Requires exactly this `X-API-Key` (by default any non-empty key is accepted).
    pub fn with_api_key(mut self, key: impl Into<String>) -> MockSpaps {
        self.api_key = Some(key.into());
        self
    }

    /// Sets the `interval` of device-code logins, in seconds (1 by default; 0 lets tests
    /// poll without waiting).
    pub fn with_device_poll_interval(self, seconds: u64) -> MockSpaps {
        self.state().device.set_interval(seconds);
        self
    }

    /// Sets the lifetime of new access tokens, in seconds.
    pub fn with_access_token_ttl(self, seconds: u64) -> MockSpaps {
        self.state().access_ttl_s = i64::try_from(seconds).unwrap_or(i64::MAX);
        self
    }

    /// Loads users, products and entitlements from a JSON fixtures file (see
    /// [`MockSpaps::with_fixtures`]).
    ///
    /// # Errors
    /// When the file cannot be read or is not valid fixtures.
    pub fn with_fixtures_file(self, path: impl AsRef<Path>) -> io::Result<MockSpaps> {
        let text = std::fs::read_to_string(path)?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.with_fixtures(&value)
    }

    /// Loads fixtures:
    ///
    /// ```json
    /// {"users": [{"email": "grace@example.com", "password": "...", "admin": false,
    ///             "username": "grace", "tier": "pro"}],
    ///  "products": [{"id": "prod_x", "name": "X", "category": "subscriptions",
    ///                "prices": [{"id": "price_x", "unit_amount": 900, "currency": "usd",
    ///                            "interval": "month"}]}],
    ///  "entitlements": [{"email": "grace@example.com", "entitlement_key": "pro_plan",
    ///                    "ends_at": "2030-01-01T00:00:00Z"}],
    ///  "webhooks": [{"url": "http://127.0.0.1:9000/hook", "secret": "whsec_..."}],
    ///  "replace_catalog": false}
    /// ```
    ///
    /// Every key is optional. Users get ids `user_N`; `replace_catalog` drops the seeded
    /// products first.
    ///
    /// # Errors
    /// `InvalidData` naming the first bad entry.
    pub fn with_fixtures(self, fixtures: &Value) -> io::Result<MockSpaps> {
        let hooks = {
            let mut state = self.state();
            state.load_fixtures(fixtures)
        }
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        for (url, secret) in hooks {
            self.register_webhook(&url, &secret);
        }
        Ok(self)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The mock clock: the real time plus every [`MockSpaps::advance_clock`].
    pub fn now(&self) -> OffsetDateTime {
        let offset = *self
            .clock_offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let offset = time::Duration::try_from(offset).unwrap_or(time::Duration::ZERO);
        now_utc().checked_add(offset).unwrap_or_else(now_utc)
    }

    /// Moves the mock's clock forward: access tokens, sessions, device codes, magic
    /// links, checkout sessions and entitlements expire as if that time had passed (an
    /// entitlement passing its `ends_at` raises `entitlement.expired`).
    pub fn advance_clock(&self, by: Duration) {
        {
            let mut offset = self
                .clock_offset
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *offset = offset.saturating_add(by);
        }
        let now = self.now();
        let events = {
            let mut state = self.state();
            state.now = now;
            state.tick();
            std::mem::take(&mut state.events)
        };
        self.webhooks.send(events);
    }

    /// Makes requests slower: each waits `latency` before it is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.lock_faults().latency = latency;
    }

    /// The next `times` requests to `route` fail with `fault`. `route` is a path
    /// (`/api/auth/login`), optionally after a method (`POST /api/auth/login`), and may
    /// end in `*` to match a prefix (`/api/stripe/*`); `*` alone matches every route.
    pub fn fail_next(&self, route: &str, times: u32, fault: Fault) {
        self.lock_faults().add(route, times, fault);
    }

    fn lock_faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the `entitlement.*` events from now on to `url` as signed POSTs: body the
    /// compact JSON event, header `X-SPAPS-Signature: t=<unix seconds>,v1=<hex>` made by
    /// [`spaps_proto::webhook::sign`] with `secret` (`t` is the real time, so a receiver
    /// checks it against its own clock; the event's `created_at` is the mock's clock).
    pub fn register_webhook(&self, url: &str, secret: &str) {
        self.webhooks.register(url, secret);
    }

    /// Every webhook delivery attempt so far.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.webhooks.deliveries()
    }

    /// Waits (at most `timeout`) until every queued webhook delivery has been attempted;
    /// returns whether the queue drained.
    pub fn flush_webhooks(&self, timeout: Duration) -> bool {
        self.webhooks.flush(timeout)
    }

    /// Every event raised so far (`entitlement.granted`, ...), as sent to webhooks.
    pub fn events(&self) -> Vec<Value> {
        self.state().event_log.clone()
    }

    /// Every magic-link, password-reset and nonce code issued so far, oldest first.
    pub fn codes(&self) -> Vec<SentCode> {
        self.state().users.codes.clone()
    }

    /// The latest code of `kind` (`magic_link`, `password_reset`, `nonce`) sent to `to`
    /// (an email, or a wallet address for a nonce).
    pub fn latest_code(&self, kind: &str, to: &str) -> Option<String> {
        self.state()
            .users
            .codes
            .iter()
            .rev()
            .find(|c| c.kind == kind && c.to.eq_ignore_ascii_case(to))
            .map(|c| c.code.clone())
    }

    /// Approves the pending device login with `user_code` as the user `email` (created
    /// when unknown); returns whether such a login was pending.
    pub fn approve_device(&self, user_code: &str, email: &str) -> bool {
        self.with_state(|state| state.approve_device(user_code, email))
    }

    /// Denies the pending device login with `user_code`: its next poll is
    /// `403 access_denied`.
    pub fn deny_device(&self, user_code: &str) -> bool {
        self.with_state(|state| state.deny_device(user_code))
    }

    /// Pays the open checkout session `id` as its customer would: a subscription
    /// starts (for `subscription` mode), the payment is recorded, and each product's
    /// entitlement (`pro_plan` for `prod_mock_pro`, ...) is granted to the buyer
    /// (`entitlement.granted`).
    ///
    /// # Errors
    /// When there is no such open session.
    pub fn complete_checkout(&self, id: &str) -> Result<(), String> {
        self.with_state(|state| {
            state.complete_checkout(id).map_err(|e| match e {
                Outcome::Err(_, _, message) => message.into_owned(),
                _ => "failed".to_owned(),
            })
        })
    }

    /// Records a payment of `amount` (a decimal string) to crypto invoice `id`; the next
    /// `POST /api/payments/crypto/reconcile` settles it (`confirmed`, or `underpaid`).
    ///
    /// # Errors
    /// When there is no such pending invoice or the amount is not a decimal.
    pub fn pay_crypto_invoice(&self, id: &str, amount: &str) -> Result<(), String> {
        self.with_state(|state| state.pay_invoice(id, amount))
    }

    /// Runs `f` on the state at the clock's time, then sends the events it raised.
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let now = self.now();
        let (out, events) = {
            let mut state = self.state();
            state.now = now;
            state.tick();
            let out = f(&mut state);
            (out, std::mem::take(&mut state.events))
        };
        self.webhooks.send(events);
        out
    }

    /// Every request the mock received, oldest first.
    pub fn received(&self) -> Vec<ObservedRequest> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Answers one request.
    pub fn handle(&self, req: &ObservedRequest) -> Reply {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(req.clone());
        let (latency, fault) = {
            let mut faults = self.lock_faults();
            let fault = faults.take(&req.method, &req.path);
            (faults.latency, fault)
        };
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        let now = self.now();
        if req.path.starts_with("/__mock/") && fault.is_none() {
            let outcome = self.control(req);
            let mut state = self.state();
            state.next_request += 1;
            let request_id = format!("req_mock_{}", state.next_request);
            drop(state);
            return envelope(outcome, &request_id, now);
        }
        let mut state = self.state();
        state.now = now;
        state.next_request += 1;
        let request_id = format!("req_mock_{}", state.next_request);
        let outcome = match fault {
            Some(Fault::Drop) => {
                state.metrics.count(&req.method, 0);
                return Reply::CloseBeforeHeaders;
            }
            Some(Fault::Status(status)) => Err(faults::outcome(status)),
            None => {
                if self.key_ok(req) || is_keyless(&req.path) {
                    state.tick();
                    state.route(req)
                } else {
                    Err(fail(401, "INVALID_API_KEY", "Missing or invalid API key"))
                }
            }
        };
        let outcome = outcome.unwrap_or_else(|e| e);
        let status = match &outcome {
            Outcome::Err(status, ..) => *status,
            Outcome::Raw(Reply::Response { status, .. }) => *status,
            _ => 200,
        };
        state.metrics.count(&req.method, status);
        let events = std::mem::take(&mut state.events);
        drop(state);
        self.webhooks.send(events);
        envelope(outcome, &request_id, now)
    }

    fn key_ok(&self, req: &ObservedRequest) -> bool {
        match (req.header("x-api-key").map(str::trim), &self.api_key) {
            (None, _) => false,
            (Some(k), None) => !k.is_empty(),
            (Some(k), Some(want)) => k == want,
        }
    }
}

/// Routes served without an API key: metrics and health (the contract sends none), and
/// the mock's own controls.
fn is_keyless(path: &str) -> bool {
    matches!(
        path,
        "/api/metrics" | "/api/metrics/json" | "/health" | "/health/ready"
    ) || path.starts_with("/__mock/")
}

fn now_utc() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    OffsetDateTime::from_unix_timestamp(now.unix_timestamp()).unwrap_or(now)
}

/// The reply for `outcome`, in the SPAPS envelope.
fn envelope(outcome: Outcome, request_id: &str, now: OffsetDateTime) -> Reply {
    let metadata = json!({"request_id": request_id, "timestamp": rfc3339(now)});
    let (status, body) = match outcome {
        Outcome::Raw(reply) => return reply.with_header("x-request-id", request_id),
        Outcome::Ok(data) => (
            200,
            json!({"success": true, "data": data, "metadata": metadata}),
        ),
        Outcome::Top(mut map) => {
            map.insert("success".to_owned(), Value::Bool(true));
            map.insert("metadata".to_owned(), metadata);
            (200, Value::Object(map))
        }
        Outcome::Err(status, code, message) => (
            status,
            json!({
                "success": false,
                "error": {"code": code, "message": message},
                "metadata": metadata,
            }),
        ),
    };
    let mut reply = Reply::json(status, &body).with_header("x-request-id", request_id);
    match status {
        401 => reply = reply.with_header("www-authenticate", "Bearer"),
        429 | 503 => reply = reply.with_header("retry-after", "1"),
        _ => {}
    }
    reply
}

/// A mock SPAPS serving on a loopback port: its URL, what it received, and (through
/// `Deref`) every control of [`MockSpaps`]. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningMock {
    server: MockServer,
    mock: Arc<MockSpaps>,
}

impl RunningMock {
    /// The base URL, `http://127.0.0.1:PORT` (`https://` over TLS).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The underlying server.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// Stops the server.
    pub fn shutdown(self) {
        self.server.shutdown();
    }
}

impl Deref for RunningMock {
    type Target = MockSpaps;

    fn deref(&self) -> &MockSpaps {
        &self.mock
    }
}
