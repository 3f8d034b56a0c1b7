//! Usage metering: features, recording, history.

use crate::endpoint::Execute;

/// The usage operations of a client: `client.usage()`.
#[derive(Debug)]
pub struct UsageApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> UsageApi<'a, X> {
    /// The usage operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
