//! Every SPAPS operation, by group. Each group module holds its endpoint structs, the
//! accessor struct that `client.<group>()` returns, and its line of the registry.
//!
//! Adding an endpoint touches one file: its struct with `#[non_exhaustive]` and a
//! `new(..)` taking the required arguments, its [`Endpoint`] impl (the request, and the
//! body's [`Shape`](crate::envelope::Shape) and wire type instead of a parser), a
//! `setters!` line for its optional arguments, and its accessor method in an
//! `impl<'a, X: Execute> <Group>Api<'a, X>` block next to it. Then its name goes in the
//! group's `registry!` (in the group module: for `payments` and `email`, whose endpoints
//! live in one file per topic, `mod.rs`, appended at the end, since the fuzz inputs
//! name endpoints by their registry position). Both clients pick it up from there.

#![warn(clippy::exhaustive_structs, clippy::exhaustive_enums)]

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::endpoint::Endpoint;

pub mod auth;
pub mod crypto;
pub mod dayrate;
pub mod device_flow;
pub mod email;
pub mod entitlements;
pub mod issue_reporting;
pub mod metrics;
pub mod payments;
pub mod secure_messages;
pub mod sessions;
pub mod support_telemetry;
pub mod usage;
pub mod users;
pub mod whitelist;

/// Lists the group modules once for [`visit`] and [`names`] (the modules themselves are
/// declared above, where rustfmt sees them).
macro_rules! groups {
    ($($group:ident),* $(,)?) => {
        /// Calls `visitor` with the endpoint named `name` (`group.method`, as the
        /// reference client names it); `None` when no endpoint has that name.
        ///
        /// ```
        /// use spaps_proto::api::{visit, Visitor};
        /// use spaps_proto::Endpoint;
        /// struct Name;
        /// impl Visitor for Name {
        ///     type Out = &'static str;
        ///     fn visit<E: Endpoint>(self) -> &'static str { E::NAME }
        /// }
        /// assert_eq!(visit("auth.logout", Name), Some("auth.logout"));
        /// assert_eq!(visit("auth.nope", Name), None);
        /// ```
        pub fn visit<V: Visitor>(name: &str, visitor: V) -> Option<V::Out> {
            $(
                let visitor = match $group::visit(name, visitor) {
                    Ok(out) => return Some(out),
                    Err(v) => v,
                };
            )*
            drop(visitor);
            None
        }

        /// The names of every endpoint, in registry order.
        pub fn names() -> Vec<&'static str> {
            let mut names = Vec::new();
            $(names.extend_from_slice($group::NAMES);)*
            names
        }
    };
}

groups!(
    auth,
    sessions,
    device_flow,
    payments,
    crypto,
    usage,
    whitelist,
    secure_messages,
    issue_reporting,
    metrics,
    support_telemetry,
    entitlements,
    email,
    users,
    dayrate
);

/// Something done generically with one endpoint type, chosen by name at run time
/// (the conformance runner, a CLI, a fuzz target).
pub trait Visitor {
    /// What the visit returns.
    type Out;

    /// Called with the endpoint type whose name matched.
    fn visit<E>(self) -> Self::Out
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize;
}

/// Declares a group's endpoints: generates `NAMES` and `visit`.
#[macro_export]
#[doc(hidden)]
macro_rules! registry {
    ($($endpoint:ty),* $(,)?) => {
        /// The names of this group's endpoints.
        pub const NAMES: &[&str] = &[$(<$endpoint as $crate::Endpoint>::NAME),*];

        /// Visits the endpoint of this group named `name`, or gives the visitor back.
        pub(crate) fn visit<V: $crate::api::Visitor>(name: &str, visitor: V) -> Result<V::Out, V> {
            let _ = name;
            $(
                if name == <$endpoint as $crate::Endpoint>::NAME {
                    return Ok(visitor.visit::<$endpoint>());
                }
            )*
            Err(visitor)
        }
    };
}

/// Expands, inside an `impl` block of a client that implements [`crate::Execute`], to
/// one accessor per group: `auth()`, `sessions()`, ... Used by both adapters, so a new
/// group reaches both clients from here.
#[macro_export]
#[doc(hidden)]
macro_rules! group_accessors {
    () => {
        /// Sign-in, registration, password reset, the current user and logout.
        pub fn auth(&self) -> $crate::api::auth::AuthApi<'_, Self> {
            $crate::api::auth::AuthApi::new(self)
        }

        /// The signed-in user's sessions.
        pub fn sessions(&self) -> $crate::api::sessions::SessionsApi<'_, Self> {
            $crate::api::sessions::SessionsApi::new(self)
        }

        /// Device-code login (RFC 8628) for CLIs.
        pub fn device_flow(&self) -> $crate::api::device_flow::DeviceFlowApi<'_, Self> {
            $crate::api::device_flow::DeviceFlowApi::new(self)
        }

        /// Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest checkout, history, the product catalog.
        pub fn payments(&self) -> $crate::api::payments::PaymentsApi<'_, Self> {
            $crate::api::payments::PaymentsApi::new(self)
        }

        /// Crypto invoices and reconciliation.
        pub fn crypto(&self) -> $crate::api::crypto::CryptoApi<'_, Self> {
            $crate::api::crypto::CryptoApi::new(self)
        }

        /// Usage metering: features, recording, history.
        pub fn usage(&self) -> $crate::api::usage::UsageApi<'_, Self> {
            $crate::api::usage::UsageApi::new(self)
        }

        /// The application's whitelist.
        pub fn whitelist(&self) -> $crate::api::whitelist::WhitelistApi<'_, Self> {
            $crate::api::whitelist::WhitelistApi::new(self)
        }

        /// Secure messages between patients and practitioners.
        pub fn secure_messages(&self) -> $crate::api::secure_messages::SecureMessagesApi<'_, Self> {
            $crate::api::secure_messages::SecureMessagesApi::new(self)
        }

        /// Issue reports.
        pub fn issue_reporting(&self) -> $crate::api::issue_reporting::IssueReportingApi<'_, Self> {
            $crate::api::issue_reporting::IssueReportingApi::new(self)
        }

        /// Metrics, health and readiness (no credentials).
        pub fn metrics(&self) -> $crate::api::metrics::MetricsApi<'_, Self> {
            $crate::api::metrics::MetricsApi::new(self)
        }

        /// Support telemetry: events and cases.
        pub fn support_telemetry(
            &self,
        ) -> $crate::api::support_telemetry::SupportTelemetryApi<'_, Self> {
            $crate::api::support_telemetry::SupportTelemetryApi::new(self)
        }

        /// Entitlements: checks, history, claims, grants, revocation.
        pub fn entitlements(&self) -> $crate::api::entitlements::EntitlementsApi<'_, Self> {
            $crate::api::entitlements::EntitlementsApi::new(self)
        }

        /// Email sending, templates, overrides and logs.
        pub fn email(&self) -> $crate::api::email::EmailApi<'_, Self> {
            $crate::api::email::EmailApi::new(self)
        }

        /// Batch user lookups.
        pub fn users(&self) -> $crate::api::users::UsersApi<'_, Self> {
            $crate::api::users::UsersApi::new(self)
        }

        /// Day-rate bookings.
        pub fn dayrate(&self) -> $crate::api::dayrate::DayrateApi<'_, Self> {
            $crate::api::dayrate::DayrateApi::new(self)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_visitable() {
        struct Name;
        impl Visitor for Name {
            type Out = &'static str;
            fn visit<E: Endpoint>(self) -> &'static str {
                E::NAME
            }
        }
        let names = names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for n in names {
            assert_eq!(visit(n, Name), Some(n));
        }
    }
}
