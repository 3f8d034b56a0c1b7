//! Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest checkout, history, the product catalog.

use crate::endpoint::Execute;

/// The payments operations of a client: `client.payments()`.
#[derive(Debug)]
pub struct PaymentsApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> PaymentsApi<'a, X> {
    /// The payments operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
