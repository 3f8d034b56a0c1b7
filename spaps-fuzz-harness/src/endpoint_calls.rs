//! `fuzz_response`: a whole call of any endpoint, against the input's responses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use spaps_proto::api::Visitor;
use spaps_proto::{CallOptions, Endpoint, RetryPolicy, Secret, Timestamp, Tokens};

use crate::driver::{config, Driver};
use crate::input::{join_responses, split_responses, Input, WALL0};

/// The cassettes directory (`spaps-conformance/cassettes`), relative to the crate that
/// compiles this file (`fuzz/` or `spaps-proto/`: both are its siblings).
pub fn cassettes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spaps-conformance/cassettes")
}

/// Arguments for endpoints no cassette calls with usable arguments.
fn fallback_args(name: &str) -> Option<Value> {
    match name {
        "device_flow.request_token" => Some(json!({"device_code": "dc_fuzz"})),
        _ => None,
    }
}

/// One argument object per endpoint name: from the first cassette (by file name) whose
/// call of that endpoint has arguments that build a request, else `{}` if that does,
/// else `fallback_args`. Loaded once.
pub fn endpoint_args() -> &'static HashMap<&'static str, Map<String, Value>> {
    static ARGS: OnceLock<HashMap<&'static str, Map<String, Value>>> = OnceLock::new();
    ARGS.get_or_init(|| {
        let mut candidates: HashMap<String, Vec<Map<String, Value>>> = HashMap::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(cassettes_dir())
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read(&file) else {
                continue;
            };
            let Ok(cassette) = serde_json::from_slice::<Value>(&text) else {
                continue;
            };
            for step in cassette["steps"].as_array().into_iter().flatten() {
                let call = &step["call"];
                let (Some(client), Some(method)) =
                    (call["client"].as_str(), call["method"].as_str())
                else {
                    continue;
                };
                let mut args = call["args"].as_object().cloned().unwrap_or_default();
                // As the conformance harness does: these are call options.
                args.remove("access_token_override");
                args.remove("access_token");
                candidates
                    .entry(format!("{client}.{method}"))
                    .or_default()
                    .push(args);
            }
        }
        let mut out = HashMap::new();
        for name in spaps_proto::api::names() {
            let mut tries = candidates.remove(name).unwrap_or_default();
            tries.push(Map::new());
            if let Some(Value::Object(args)) = fallback_args(name) {
                tries.push(args);
            }
            if let Some(args) = tries
                .into_iter()
                .find(|args| spaps_proto::api::visit(name, Builds(args.clone())).unwrap_or(false))
            {
                out.insert(name, args);
            }
        }
        out
    })
}

/// Whether an argument object makes an endpoint whose request builds.
struct Builds(Map<String, Value>);

impl Visitor for Builds {
    type Out = bool;

    fn visit<E>(self) -> bool
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        serde_json::from_value::<E>(Value::Object(self.0)).is_ok_and(|e| e.request().is_ok())
    }
}

/// `fuzz_response` setup flag: no stored tokens.
pub const NO_TOKENS: u8 = 1;
/// `fuzz_response` setup flag: the stored access token has expired (refresh first).
pub const EXPIRED: u8 = 2;
/// `fuzz_response` setup flag: the default retry policy (else retries are off).
pub const RETRIES: u8 = 4;
/// `fuzz_response` setup flag: an idempotency key.
pub const IDEMPOTENT: u8 = 8;
/// `fuzz_response` setup flag: a per-call access token.
pub const TOKEN_OVERRIDE: u8 = 16;

/// Every endpoint name in alphabetical order: the `fuzz_response` input picks one by
/// its index here, so an input keeps naming the same endpoint however the registry is
/// ordered or split (only adding or renaming an endpoint shifts the ones after it).
pub fn endpoint_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = spaps_proto::api::names();
        names.sort_unstable();
        names
    })
}

/// `fuzz_response`: `[endpoint u16][setup flags u8]` then responses (see
/// [`decode_response`](crate::decode_response)) joined by [`SEP`](crate::SEP). Runs the
/// endpoint (index into [`endpoint_names`] modulo its length, arguments from
/// [`endpoint_args`]) as a full call through `ClientState::call` against those responses:
/// retries, the token refresh and the replay after a 401 included. Must never panic; the
/// call must end within 64 steps.
pub fn response(data: &[u8]) {
    let names = endpoint_names();
    let mut input = Input::new(data);
    let name = names[usize::from(input.u16()) % names.len()];
    let flags = input.u8();
    let responses = split_responses(input.rest());
    let Some(args) = endpoint_args().get(name) else {
        return;
    };
    let run = RunCall {
        args: args.clone(),
        flags,
        responses,
    };
    spaps_proto::api::visit(name, run);
}

/// Encodes a `fuzz_response` input for the endpoint named `endpoint`; `None` when no
/// endpoint has that name.
pub fn encode_response_input(endpoint: &str, flags: u8, responses: &[Vec<u8>]) -> Option<Vec<u8>> {
    let index = endpoint_names().iter().position(|n| *n == endpoint)?;
    let mut out = u16::try_from(index).ok()?.to_le_bytes().to_vec();
    out.push(flags);
    out.extend_from_slice(&join_responses(responses));
    Some(out)
}

struct RunCall<'a> {
    args: Map<String, Value>,
    flags: u8,
    responses: Vec<&'a [u8]>,
}

impl Visitor for RunCall<'_> {
    type Out = ();

    fn visit<E>(self)
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        let Ok(endpoint) = serde_json::from_value::<E>(Value::Object(self.args)) else {
            return;
        };
        let policy = if self.flags & RETRIES != 0 {
            RetryPolicy::default()
        } else {
            RetryPolicy::disabled()
        };
        let mut driver = Driver::new(config(policy));
        let wall = driver.now().wall;
        if self.flags & NO_TOKENS == 0 {
            let mut tokens = Tokens::new("at_fuzz");
            tokens.refresh_token = Some(Secret::from("rt_fuzz"));
            tokens.expires_at = Some(if self.flags & EXPIRED != 0 {
                Timestamp::from_unix_seconds(WALL0 - 60).unwrap_or(wall)
            } else {
                wall.saturating_add(Duration::from_secs(3600))
            });
            driver.state_mut().load_tokens(Some(tokens));
        }
        let options = CallOptions {
            access_token: (self.flags & TOKEN_OVERRIDE != 0).then(|| Secret::from("at_override")),
            idempotency_key: (self.flags & IDEMPOTENT != 0).then(|| "idem_fuzz".to_owned()),
            call_timeout: None,
        };
        let call = driver.state_mut().call(endpoint, options);
        let result = driver.run(call, &self.responses, 64);
        // What a driver does with a result: show it, serialize it.
        match &result {
            Ok(output) => {
                let _ = serde_json::to_vec(output);
            }
            Err(error) => {
                let _ = error.to_string();
                let _ = format!("{error:?}");
            }
        }
        let attempts_allowed = if self.flags & RETRIES != 0 { 3 } else { 1 };
        let main_sends = driver
            .trace
            .sends
            .iter()
            .filter(|(_, _, path)| !path.ends_with("/api/auth/refresh"))
            .count();
        // One replay after a 401 comes on top of the retries.
        assert!(
            main_sends <= attempts_allowed + 1,
            "{}: {main_sends} attempts, the policy allows {attempts_allowed}",
            E::NAME
        );
    }
}
