//! Issue reports.

use crate::endpoint::Execute;

/// The issue reporting operations of a client: `client.issue_reporting()`.
#[derive(Debug)]
pub struct IssueReportingApi<'a, X> {
    #[allow(dead_code)]
    client: &'a X,
}

impl<'a, X: Execute> IssueReportingApi<'a, X> {
    /// The issue reporting operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }
}

crate::registry!();
