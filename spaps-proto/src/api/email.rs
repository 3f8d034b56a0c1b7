//! Email sending, templates, overrides and logs.

use crate::endpoint::Execute;

/// The email operations of a client: `client.email()`.
#[derive(Debug)]
pub struct EmailApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> EmailApi<'a, X> {
    /// The email operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
