//! Support telemetry: events and cases.

use crate::endpoint::Execute;

/// The support telemetry operations of a client: `client.support_telemetry()`.
#[derive(Debug)]
pub struct SupportTelemetryApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> SupportTelemetryApi<'a, X> {
    /// The support telemetry operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
