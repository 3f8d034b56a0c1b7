//! Crypto invoices and reconciliation.

use crate::endpoint::Execute;

/// The crypto operations of a client: `client.crypto()`.
#[derive(Debug)]
pub struct CryptoApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> CryptoApi<'a, X> {
    /// The crypto operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
