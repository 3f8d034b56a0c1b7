//! Batch user lookups.

use crate::endpoint::Execute;

/// The users operations of a client: `client.users()`.
#[derive(Debug)]
pub struct UsersApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> UsersApi<'a, X> {
    /// The users operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
