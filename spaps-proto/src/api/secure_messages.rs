//! Secure messages between patients and practitioners.

use crate::endpoint::Execute;

/// The secure messages operations of a client: `client.secure_messages()`.
#[derive(Debug)]
pub struct SecureMessagesApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> SecureMessagesApi<'a, X> {
    /// The secure messages operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
