//! Fault knobs: latency, and the next N requests to a route failing.

use std::time::Duration;

use super::support::{fail, Outcome};

/// How a request picked by [`super::MockSpaps::fail_next`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and a contract error body (`429 RATE_LIMIT_EXCEEDED`,
    /// `500 INTERNAL_ERROR`, `503 SERVICE_UNAVAILABLE`, ...).
    Status(u16),
    /// Close the connection without answering.
    Drop,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) latency: Duration,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    method: Option<String>,
    path: String,
    remaining: u32,
    fault: Fault,
}

impl Rule {
    fn matches(&self, method: &str, path: &str) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        }
    }
}

impl Faults {
    pub(crate) fn add(&mut self, route: &str, times: u32, fault: Fault) {
        let route = route.trim();
        let (method, path) = match route.split_once(' ') {
            Some((m, p)) => (Some(m.trim().to_owned()), p.trim()),
            None => (None, route),
        };
        if times > 0 {
            self.rules.push(Rule {
                method,
                path: path.to_owned(),
                remaining: times,
                fault,
            });
        }
    }

    /// The fault for this request, if a rule picks it (using one of its times).
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.rules.iter().position(|r| r.matches(method, path))?;
        let rule = &mut self.rules[index];
        rule.remaining -= 1;
        let fault = rule.fault;
        if rule.remaining == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
}

/// The error a `Fault::Status` answers with.
pub(crate) fn outcome(status: u16) -> Outcome {
    let (code, message) = match status {
        400 => ("VALIDATION_ERROR", "Injected fault: bad request"),
        401 => ("UNAUTHORIZED", "Injected fault: unauthorized"),
        403 => ("FORBIDDEN", "Injected fault: forbidden"),
        404 => ("NOT_FOUND", "Injected fault: not found"),
        409 => ("CONFLICT", "Injected fault: conflict"),
        429 => ("RATE_LIMIT_EXCEEDED", "Injected fault: too many requests"),
        502 => ("BAD_GATEWAY", "Injected fault: bad gateway"),
        503 => ("SERVICE_UNAVAILABLE", "Injected fault: service unavailable"),
        504 => ("GATEWAY_TIMEOUT", "Injected fault: gateway timeout"),
        _ => ("INTERNAL_ERROR", "Injected fault"),
    };
    let status = if (100..=999).contains(&status) {
        status
    } else {
        500
    };
    fail(status, code, message)
}
