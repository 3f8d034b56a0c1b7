//! Checking what a client did in a step against what the cassette says it must do.

use std::time::Duration;

use serde_json::Value;
use spaps_proto::{Error, Tokens};

use crate::cassette::{ExpectKind, Step, TokensAfter};
use crate::matching::{check_ok_leaves, match_request, ObservedRequest};

/// How one cassette (or webhook vector) went on one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything matched.
    Pass,
    /// Something differed.
    Fail(String),
    /// A step calls something not built.
    Skip(String),
}

/// What happened when a step ran.
#[derive(Debug)]
pub struct StepRun {
    /// The call's result (the value serialized to JSON), or `None` when it panicked.
    pub result: Option<Result<Value, Error>>,
    /// The panic message, when it panicked.
    pub panic: Option<String>,
    /// The requests the client sent.
    pub observed: Vec<ObservedRequest>,
    /// The tokens held afterwards.
    pub tokens: Option<Tokens>,
    /// The waits between device-flow polls.
    pub waits: Vec<Duration>,
}

/// Checks a step; the error says what differed.
///
/// # Errors
/// A description of the first difference.
pub fn verify_step(step: &Step, run: &StepRun) -> Result<(), String> {
    for (i, observed) in run.observed.iter().enumerate() {
        let Some(exchange) = step.exchanges.get(i) else {
            return Err(format!(
                "request #{} was not recorded: {} {}",
                i + 1,
                observed.method,
                observed.path
            ));
        };
        match_request(&exchange.request, observed)
            .map_err(|m| format!("request #{}: {m}", i + 1))?;
    }
    if let Some(msg) = &run.panic {
        return Err(format!("panicked: {msg}"));
    }
    let kind = step.expect.kind;
    if kind != ExpectKind::NoPanic && run.observed.len() < step.exchanges.len() {
        return Err(format!(
            "only {} of {} recorded requests were sent",
            run.observed.len(),
            step.exchanges.len()
        ));
    }
    let result = run.result.as_ref().ok_or("no result")?;
    match kind {
        ExpectKind::Ok => match result {
            Ok(value) => check_ok_leaves(step.outcome_ok(), value)?,
            Err(e) => return Err(format!("expected success, got: {e}")),
        },
        ExpectKind::ApiError => {
            let e = match result {
                Ok(v) => return Err(format!("expected an API error, got success: {v}")),
                Err(e) => e,
            };
            let api = e
                .api()
                .ok_or_else(|| format!("expected an API error, got: {e}"))?;
            let x = &step.expect;
            if let Some(status) = x.status {
                if api.status.as_u16() != status {
                    return Err(format!("status {} != {status}", api.status));
                }
            }
            if let Some(code) = &x.code {
                if api.code.as_deref() != Some(code.as_str()) {
                    return Err(format!("code {:?} != {code:?}", api.code));
                }
            }
            if let Some(message) = &x.message {
                if &api.message != message {
                    return Err(format!("message {:?} != {message:?}", api.message));
                }
            }
            if let Some(id) = &x.request_id {
                if api.request_id.as_deref() != Some(id.as_str()) {
                    return Err(format!("request id {:?} != {id:?}", api.request_id));
                }
            }
            if let Some(secs) = x.retry_after_s {
                let got = api.retry_after.map(|d| d.as_secs_f64());
                if got != Some(secs) {
                    return Err(format!("retry-after {got:?} != {secs}"));
                }
            }
        }
        ExpectKind::LocalError => match result {
            Ok(v) => return Err(format!("expected a local error, got success: {v}")),
            Err(e) if !run.observed.is_empty() => {
                return Err(format!(
                    "expected a local error before any request, but {} were sent ({e})",
                    run.observed.len()
                ))
            }
            Err(e) if !e.is_local() => return Err(format!("expected a local error, got: {e}")),
            Err(_) => {}
        },
        ExpectKind::NoPanic => {}
    }
    match &step.expect.tokens_after {
        TokensAfter::Unchecked => {}
        TokensAfter::Empty => {
            if run.tokens.is_some() {
                return Err("tokens should have been cleared".to_owned());
            }
        }
        TokensAfter::Tokens(want) => {
            let got = run.tokens.as_ref().ok_or("no tokens stored")?;
            if got.access_token.expose() != want.access_token {
                return Err("stored access token differs".to_owned());
            }
            if got.refresh_token.as_ref().map(|s| s.expose()) != want.refresh_token.as_deref() {
                return Err("stored refresh token differs".to_owned());
            }
        }
    }
    if let Some(waits) = &step.expect.waits_between_polls_s {
        let got: Vec<f64> = run.waits.iter().map(Duration::as_secs_f64).collect();
        if &got != waits {
            return Err(format!("waits between polls {got:?} != {waits:?}"));
        }
    }
    Ok(())
}
