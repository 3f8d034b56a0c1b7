//! The application's whitelist.

use crate::endpoint::Execute;

/// The whitelist operations of a client: `client.whitelist()`.
#[derive(Debug)]
pub struct WhitelistApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> WhitelistApi<'a, X> {
    /// The whitelist operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
