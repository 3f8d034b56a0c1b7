//! Every SPAPS operation, by group. Each group module holds its endpoint structs, the
//! accessor struct that `client.<group>()` returns, and its registry (`payments` and
//! `email` have one file per topic, each with its own; their `mod.rs` chains them).
//!
//! Adding an endpoint touches one file: its struct with `#[non_exhaustive]` and a
//! `new(..)` taking the required arguments, its [`Endpoint`] impl (the request, and the
//! body's [`Shape`](crate::envelope::Shape) and wire type instead of a parser), an
//! `arguments!` line naming its fields (it writes, on the endpoint's own type, a setter
//! per optional argument, `on(client)`, the call options, `send` and `IntoFuture`), its
//! accessor method in an `impl<'a, X: Execute> <Group>Api<'a, X>` block next to it, and
//! its name in the `registry!` of the file. Both clients pick it up from there.
//!
//! An endpoint struct's type parameter is its binding: [`Unbound`](crate::Unbound) (the
//! default) for a plain value, [`Bound`](crate::Bound) once on a client.

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

#[cfg(test)]
mod test_support;

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

        /// The names of every endpoint, in registry order: group by group, and within
        /// payments and email topic by topic. The order is no format: sort the names
        /// for a stable one (the fuzz inputs do).
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

/// Declares a group whose endpoints live in topic modules, each with its own
/// `registry!` (payments, email): chains their `NAMES` and `visit`, topic by topic.
macro_rules! registry_of {
    ($($topic:ident),* $(,)?) => {
        /// The names of this group's endpoints.
        pub const NAMES: &[&str] = &$crate::api::concat_names::<{ 0 $(+ $topic::NAMES.len())* }>(
            &[$($topic::NAMES),*],
        );

        /// Visits the endpoint of this group named `name`, or gives the visitor back.
        pub(crate) fn visit<V: $crate::api::Visitor>(name: &str, visitor: V) -> Result<V::Out, V> {
            $(
                let visitor = match $topic::visit(name, visitor) {
                    Ok(out) => return Ok(out),
                    Err(v) => v,
                };
            )*
            Err(visitor)
        }
    };
}
pub(crate) use registry_of;

/// The `N` names of `parts`, one after the other (for [`registry_of!`]).
pub(crate) const fn concat_names<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    let mut p = 0;
    while p < parts.len() {
        let part = parts[p];
        let mut j = 0;
        while j < part.len() {
            out[i] = part[j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    out
}

/// Declares a group's endpoints: generates `NAMES` and `visit`.
#[macro_export]
#[doc(hidden)]
macro_rules! registry {
    ($($endpoint:ty),* $(,)?) => {
        /// The names of this group's endpoints.
        // In a topic module of payments or email (private), its group's list is public.
        #[allow(unreachable_pub)]
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
