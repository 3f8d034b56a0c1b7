//! Entitlements: checks, history, claims, grants, revocation.

use crate::endpoint::Execute;

/// The entitlements operations of a client: `client.entitlements()`.
#[derive(Debug)]
pub struct EntitlementsApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> EntitlementsApi<'a, X> {
    /// The entitlements operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
