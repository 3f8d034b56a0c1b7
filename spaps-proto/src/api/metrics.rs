//! Metrics, health and readiness (no credentials).

use crate::endpoint::Execute;

/// The metrics operations of a client: `client.metrics()`.
#[derive(Debug)]
pub struct MetricsApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> MetricsApi<'a, X> {
    /// The metrics operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
