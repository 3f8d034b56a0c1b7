//! Day-rate bookings.

use crate::endpoint::Execute;

/// The dayrate operations of a client: `client.dayrate()`.
#[derive(Debug)]
pub struct DayrateApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> DayrateApi<'a, X> {
    /// The dayrate operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
