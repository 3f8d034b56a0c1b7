//! The conformance corpus model: cassettes (`spaps-cassette/1`) and webhook verification
//! vectors (`spaps-webhook-vectors/1`), as described in the corpus `FORMAT.md`, plus loaders.
//!
//! Parsing is defensive: [`parse_corpus`] never panics on arbitrary input, rejects inputs over
//! [`MAX_CORPUS_BYTES`], and validates what a replaying server would otherwise choke on
//! (response status codes, header names and values, request methods, webhook bodies).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The `format` tag of a cassette file.
pub const CASSETTE_FORMAT: &str = "spaps-cassette/1";
/// The `format` tag of a webhook vectors file.
pub const VECTORS_FORMAT: &str = "spaps-webhook-vectors/1";
/// Largest corpus file accepted by [`parse_corpus`] and [`load_paths`] (64 MiB).
pub const MAX_CORPUS_BYTES: usize = 64 * 1024 * 1024;

/// Why a corpus file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// An error while loading the named file (or walking the named directory).
    #[error("{}: {source}", path.display())]
    File {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: Box<LoadError>,
    },
    /// An I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input is larger than [`MAX_CORPUS_BYTES`].
    #[error("input is {len} bytes or more, over the {limit} byte limit")]
    TooLarge {
        /// The size seen (at least this many bytes).
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The input is not valid JSON or does not fit the format's schema.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The `format` field is missing or names an unknown format (the value is shown as JSON).
    #[error("unknown corpus format: {0}")]
    UnknownFormat(String),
    /// A `body_base64` field is not strict standard base64.
    #[error("invalid base64: {0}")]
    Base64(String),
    /// The JSON parsed but a value is unusable (bad status code, header, method, ...).
    #[error("invalid corpus: {0}")]
    Invalid(String),
}

// ---------------------------------------------------------------------------------------------
// Cassette model
// ---------------------------------------------------------------------------------------------

/// One cassette file: recorded exchanges of the reference client, with the call that made them
/// and what the SDK must do with them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Cassette {
    /// Always [`CASSETTE_FORMAT`].
    pub format: String,
    /// Unique name, e.g. `sessions.get_current_session.required`.
    pub name: String,
    /// Where the cassette came from (test id, scenario, `handmade`).
    #[serde(default)]
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Client setup for every step (unless a step has its own).
    pub setup: Setup,
    /// The calls, in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// What the reference printed to stdout (device-flow login), informational.
    #[serde(default)]
    pub stdout: Option<String>,
}

impl Cassette {
    /// The setup that applies to `step`: its own if present, else the cassette's.
    pub fn setup_for<'a>(&'a self, step: &'a Step) -> &'a Setup {
        step.setup.as_ref().unwrap_or(&self.setup)
    }
}

/// How the client is configured before a call. Unknown keys are ignored.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Setup {
    /// Base URL; keep its path, replace scheme/host/port with the replay server.
    pub base_url: String,
    /// The client's API key; `None` means no `X-API-Key` header is sent.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Access token held by the token store before the call.
    #[serde(default)]
    pub access_token: Option<String>,
    /// Full token set held by the token store before the call.
    #[serde(default)]
    pub stored_tokens: Option<StoredTokens>,
    /// Device-flow poll interval in seconds, for `device_flow.poll` steps.
    #[serde(default)]
    pub poll_interval: Option<f64>,
    /// Timeout in seconds (device flow).
    #[serde(default)]
    pub timeout: Option<f64>,
    /// Retry policy; `None` means run with retries off.
    #[serde(default)]
    pub retry_config: Option<RetryConfig>,
}

/// Tokens in the client's store.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StoredTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if any.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Expiry as RFC 3339.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Expiry as "that many seconds from now".
    #[serde(default)]
    pub expires_in_s: Option<f64>,
    /// Token type, usually `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

/// The retry policy the reference ran with.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RetryConfig {
    /// At most this many attempts in total.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Exponential backoff factor, seconds.
    #[serde(default = "default_backoff_factor")]
    pub backoff_factor: f64,
    /// Whether backoff is jittered.
    #[serde(default = "default_jitter")]
    pub jitter: bool,
    /// Statuses that are retried.
    #[serde(default = "default_status_codes")]
    pub status_codes: Vec<u16>,
    /// Methods that are retried.
    #[serde(default = "default_methods")]
    pub methods: Vec<String>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: default_max_attempts(),
            backoff_factor: default_backoff_factor(),
            jitter: default_jitter(),
            status_codes: default_status_codes(),
            methods: default_methods(),
        }
    }
}

fn default_max_attempts() -> u32 {
    3
}
fn default_backoff_factor() -> f64 {
    0.5
}
fn default_jitter() -> bool {
    true
}
fn default_status_codes() -> Vec<u16> {
    vec![429, 500, 502, 503, 504]
}
fn default_methods() -> Vec<String> {
    ["GET", "HEAD", "OPTIONS", "DELETE", "PUT"]
        .iter()
        .map(|m| (*m).to_owned())
        .collect()
}

/// One call of a cassette.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Step {
    /// Replaces the cassette setup for this step.
    #[serde(default)]
    pub setup: Option<Setup>,
    /// What the caller called.
    pub call: CallSpec,
    /// Recorded requests and the responses to replay, in order.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    /// What the reference returned (informational, except as the source of `ok` leaves).
    #[serde(default)]
    pub outcome: Value,
    /// The reference's token store after the call (informational).
    #[serde(default)]
    pub stored_tokens_after: Option<Value>,
    /// What the SDK must return.
    pub expect: Expect,
}

impl Step {
    /// `outcome.ok`, the value whose leaves an `ok` result must contain (`Null` if absent).
    pub fn outcome_ok(&self) -> &Value {
        self.outcome.get("ok").unwrap_or(&Value::Null)
    }
}

/// The reference's call: `client.method(**args)`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CallSpec {
    /// Sub-client name (`auth`, `payments`, `device_flow`, ...).
    pub client: String,
    /// Method name (`sign_in_with_password`, ...).
    pub method: String,
    /// Arguments the caller gave, by the reference's parameter names.
    #[serde(default)]
    pub args: serde_json::Map<String, Value>,
}

/// One recorded request and its response.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Exchange {
    /// What the SDK must send.
    pub request: RecordedRequest,
    /// What the replay server answers.
    pub response: RecordedResponse,
}

/// A JSON field that distinguishes an absent key from a present `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum JsonField {
    /// The key was absent.
    #[default]
    Absent,
    /// The key was present (possibly with `null`).
    Present(Value),
}

impl JsonField {
    /// The value, if the key was present.
    pub fn as_option(&self) -> Option<&Value> {
        match self {
            JsonField::Absent => None,
            JsonField::Present(v) => Some(v),
        }
    }

    /// Whether the key was present.
    pub fn is_present(&self) -> bool {
        matches!(self, JsonField::Present(_))
    }
}

impl<'de> Deserialize<'de> for JsonField {
    /// Deserializing a value always yields `Present`; use `#[serde(default)]` for `Absent`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(JsonField::Present)
    }
}

/// A request the reference sent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path (without query), possibly percent-encoded.
    pub path: String,
    /// Decoded query pairs (order free when matching).
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    #[serde(default, deserialize_with = "de_lowercase_headers")]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, if any.
    #[serde(default)]
    pub json: JsonField,
}

impl RecordedRequest {
    /// The recorded value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A response to replay.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers in file order (a JSON object or a list of `[name, value]` pairs).
    #[serde(default, deserialize_with = "de_header_pairs")]
    pub headers: Vec<(String, String)>,
    /// The JSON body, if the key was present (even when `null`).
    #[serde(default)]
    pub json: JsonField,
    /// The raw body as text, when not JSON.
    #[serde(default)]
    pub body: Option<String>,
}

impl RecordedResponse {
    /// The body to send: the JSON serialized if `json` was present (even `null`), else
    /// `body`, else nothing.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.json {
            JsonField::Present(v) => serde_json::to_vec(v).unwrap_or_default(),
            JsonField::Absent => self
                .body
                .as_ref()
                .map(|b| b.as_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    /// This response as an `http::Response`; one the `http` crate cannot hold (a bad
    /// status or header) becomes an empty 500.
    pub fn to_http(&self) -> http::Response<Bytes> {
        let mut builder = http::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .body(Bytes::from(self.body_bytes()))
            .unwrap_or_else(|_| {
                let mut r = http::Response::new(Bytes::new());
                *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
    }

    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The recorded `content-type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

/// What the SDK must return for a step.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Expect {
    /// The kind of result.
    pub kind: ExpectKind,
    /// `api_error`: the HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// `api_error`: the API error code.
    #[serde(default)]
    pub code: Option<String>,
    /// `api_error`: the error message.
    #[serde(default)]
    pub message: Option<String>,
    /// `api_error`: the request id (header first, else body metadata).
    #[serde(default)]
    pub request_id: Option<String>,
    /// `api_error`: seconds from `Retry-After`.
    #[serde(default)]
    pub retry_after_s: Option<f64>,
    /// What the token store must hold after the call.
    #[serde(default, deserialize_with = "de_tokens_after")]
    pub tokens_after: TokensAfter,
    /// Device flow: waits before the 2nd, 3rd, ... poll, in seconds.
    #[serde(default)]
    pub waits_between_polls_s: Option<Vec<f64>>,
}

/// The kind of result expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectKind {
    /// Success; the value's leaves must contain `outcome.ok`'s.
    Ok,
    /// An error from the server's response.
    ApiError,
    /// An error raised before any request.
    LocalError,
    /// Anything but a panic (every request sent must still match).
    NoPanic,
}

/// The expected token store after a call.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TokensAfter {
    /// `tokens_after` absent: not checked.
    #[default]
    Unchecked,
    /// `tokens_after: null`: the store must be empty.
    Empty,
    /// The store must hold exactly these tokens.
    Tokens(ExpectedTokens),
}

/// Tokens the store must hold after a call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExpectedTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token (`None`: the store holds none).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

fn de_tokens_after<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TokensAfter, D::Error> {
    Ok(match Option::<ExpectedTokens>::deserialize(deserializer)? {
        None => TokensAfter::Empty,
        Some(t) => TokensAfter::Tokens(t),
    })
}

/// A header value in a cassette: a string, or (leniently) a number or boolean.
struct HeaderValueText(String);

impl<'de> Deserialize<'de> for HeaderValueText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(HeaderValueText(s)),
            Value::Number(n) => Ok(HeaderValueText(n.to_string())),
            Value::Bool(b) => Ok(HeaderValueText(b.to_string())),
            other => Err(de::Error::custom(format!(
                "header value must be a string, got {other}"
            ))),
        }
    }
}

fn de_lowercase_headers<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(de_header_pairs(deserializer)?
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect())
}

fn de_header_pairs<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct PairsVisitor;

    impl<'de> Visitor<'de> for PairsVisitor {
        type Value = Vec<(String, String)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a header object or a list of [name, value] pairs")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, HeaderValueText>()? {
                out.push((k, v.0));
            }
            Ok(out)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = seq.next_element::<(String, HeaderValueText)>()? {
                out.push((k, v.0));
            }
            Ok(out)
        }
    }

    deserializer.deserialize_any(PairsVisitor)
}

// ---------------------------------------------------------------------------------------------
// Webhook vectors
// ---------------------------------------------------------------------------------------------

/// A webhook vectors file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WebhookVectors {
    /// Always [`VECTORS_FORMAT`].
    #[serde(default)]
    pub format: String,
    /// The vectors.
    #[serde(default)]
    pub vectors: Vec<WebhookVector>,
}

/// One webhook verification vector.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WebhookVector {
    /// Name of the vector.
    pub name: String,
    /// The raw body as UTF-8 text.
    #[serde(default)]
    pub body: Option<String>,
    /// The raw body as standard base64, when it is not UTF-8.
    #[serde(default)]
    pub body_base64: Option<String>,
    /// The `X-SPAPS-Signature` header value.
    pub header: String,
    /// Secrets to try.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// "Now", Unix seconds.
    pub now: i64,
    /// Allowed clock skew in seconds.
    #[serde(default)]
    pub tolerance_s: Option<u64>,
    /// The expected result.
    pub expect: VectorExpect,
}

impl WebhookVector {
    /// The raw body: `body_base64` decoded, or `body` as UTF-8. Exactly one must be present.
    pub fn body_bytes(&self) -> Result<Vec<u8>, LoadError> {
        match (&self.body, &self.body_base64) {
            (Some(text), None) => Ok(text.as_bytes().to_vec()),
            (None, Some(b64)) => decode_base64(b64),
            (Some(_), Some(_)) => Err(LoadError::Invalid(format!(
                "vector {:?} has both body and body_base64",
                self.name
            ))),
            (None, None) => Err(LoadError::Invalid(format!(
                "vector {:?} has neither body nor body_base64",
                self.name
            ))),
        }
    }
}

/// The expected result of a webhook vector: `ok`, or one of the acceptable error kinds.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct VectorExpect {
    /// The verified event's id and type.
    #[serde(default)]
    pub ok: Option<VectorOk>,
    /// Acceptable error kinds (`malformed_header`, `signature_mismatch`,
    /// `timestamp_out_of_tolerance`, `invalid_payload`); a single string or a list in JSON.
    #[serde(default, deserialize_with = "de_one_or_many")]
    pub error: Vec<String>,
}

/// The event a valid vector verifies to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct VectorOk {
    /// Event id.
    pub id: String,
    /// Event type.
    pub r#type: String,
}

fn de_one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// Decodes strict standard base64 (RFC 4648 §4): alphabet `A-Z a-z 0-9 + /`, `=` padding
/// required to a multiple of 4, no whitespace, and unused trailing bits must be zero.
pub fn decode_base64(input: &str) -> Result<Vec<u8>, LoadError> {
    fn sextet(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }

    let bytes = input.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(LoadError::Base64(format!(
            "length {} is not a multiple of 4",
            bytes.len()
        )));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quanta = bytes.len() / 4;
    for (qi, quantum) in bytes.chunks_exact(4).enumerate() {
        let last = qi + 1 == quanta;
        let pad = quantum.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(LoadError::Base64(format!(
                "misplaced padding in quantum {qi}"
            )));
        }
        let mut vals = [0u8; 4];
        for (i, &c) in quantum[..4 - pad].iter().enumerate() {
            vals[i] = sextet(c).ok_or_else(|| {
                LoadError::Base64(format!(
                    "invalid character {:?} at offset {}",
                    char::from(c),
                    qi * 4 + i
                ))
            })?;
        }
        let n = (u32::from(vals[0]) << 18)
            | (u32::from(vals[1]) << 12)
            | (u32::from(vals[2]) << 6)
            | u32::from(vals[3]);
        let [_, b0, b1, b2] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[b0, b1, b2]),
            1 => {
                if b2 != 0 {
                    return Err(LoadError::Base64("non-zero trailing bits".into()));
                }
                out.extend_from_slice(&[b0, b1]);
            }
            _ => {
                if b1 != 0 || b2 != 0 {
                    return Err(LoadError::Base64("non-zero trailing bits".into()));
                }
                out.push(b0);
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// A parsed corpus file.
#[derive(Clone, Debug, PartialEq)]
pub enum Corpus {
    /// A cassette.
    Cassette(Box<Cassette>),
    /// A webhook vectors file.
    Vectors(WebhookVectors),
}

/// The `format` field of a JSON object (other keys skipped without building values).
struct FormatProbe {
    format: Option<Value>,
}

impl<'de> Deserialize<'de> for FormatProbe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProbeVisitor;

        impl<'de> Visitor<'de> for ProbeVisitor {
            type Value = FormatProbe;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with a \"format\" field")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FormatProbe, A::Error> {
                let mut format = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "format" && format.is_none() {
                        format = Some(map.next_value::<Value>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(FormatProbe { format })
            }
        }

        deserializer.deserialize_map(ProbeVisitor)
    }
}

/// Parses one corpus file, dispatching on its `"format"` field. Never panics; rejects input
/// larger than [`MAX_CORPUS_BYTES`].
pub fn parse_corpus(bytes: &[u8]) -> Result<Corpus, LoadError> {
    if bytes.len() > MAX_CORPUS_BYTES {
        return Err(LoadError::TooLarge {
            len: bytes.len() as u64,
            limit: MAX_CORPUS_BYTES as u64,
        });
    }
    let probe: FormatProbe = serde_json::from_slice(bytes)?;
    match probe.format {
        Some(Value::String(f)) if f == CASSETTE_FORMAT => {
            let cassette: Cassette = serde_json::from_slice(bytes)?;
            validate_cassette(&cassette)?;
            Ok(Corpus::Cassette(Box::new(cassette)))
        }
        Some(Value::String(f)) if f == VECTORS_FORMAT => {
            let vectors: WebhookVectors = serde_json::from_slice(bytes)?;
            validate_vectors(&vectors)?;
            Ok(Corpus::Vectors(vectors))
        }
        Some(other) => Err(LoadError::UnknownFormat(other.to_string())),
        None => Err(LoadError::UnknownFormat("<missing>".to_owned())),
    }
}

fn validate_cassette(c: &Cassette) -> Result<(), LoadError> {
    for (si, step) in c.steps.iter().enumerate() {
        for (ei, ex) in step.exchanges.iter().enumerate() {
            let at = || format!("step {si} exchange {ei}");
            if http::Method::from_bytes(ex.request.method.as_bytes()).is_err() {
                return Err(LoadError::Invalid(format!(
                    "{}: invalid request method {:?}",
                    at(),
                    ex.request.method
                )));
            }
            let r = &ex.response;
            if !(100..=999).contains(&r.status) {
                return Err(LoadError::Invalid(format!(
                    "{}: invalid response status {}",
                    at(),
                    r.status
                )));
            }
            for (name, value) in &r.headers {
                if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || http::HeaderValue::from_bytes(value.as_bytes()).is_err()
                {
                    return Err(LoadError::Invalid(format!(
                        "{}: invalid response header {name:?}: {value:?}",
                        at()
                    )));
                }
            }
        }
    }
    Ok(())
}

fn validate_vectors(v: &WebhookVectors) -> Result<(), LoadError> {
    for vector in &v.vectors {
        vector.body_bytes()?;
        let has_ok = vector.expect.ok.is_some();
        let has_err = !vector.expect.error.is_empty();
        if has_ok == has_err {
            return Err(LoadError::Invalid(format!(
                "vector {:?}: expect needs exactly one of ok and error",
                vector.name
            )));
        }
    }
    Ok(())
}

/// Reads and parses one file, refusing files over [`MAX_CORPUS_BYTES`].
pub fn load_file(path: &Path) -> Result<Corpus, LoadError> {
    let in_file = |e: LoadError| LoadError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let file = fs::File::open(path).map_err(|e| in_file(e.into()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CORPUS_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| in_file(e.into()))?;
    parse_corpus(&bytes).map_err(in_file)
}

/// Loads every corpus file named by `paths`. A file is loaded whatever its name; a directory
/// is walked recursively for `*.json` files (symlinked directories are not followed). The
/// files found under each argument are sorted by path; arguments keep their order. Errors
/// name the file.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Corpus)>, LoadError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| LoadError::File {
            path: path.clone(),
            source: Box::new(e.into()),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            collect_json_files(path, &mut files, 0)?;
            files.sort();
        } else {
            files.push(path.clone());
        }
        for file in files {
            let corpus = load_file(&file)?;
            out.push((file, corpus));
        }
    }
    Ok(out)
}

const MAX_WALK_DEPTH: usize = 64;

fn collect_json_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    let in_dir = |e: std::io::Error| LoadError::File {
        path: dir.to_path_buf(),
        source: Box::new(e.into()),
    };
    if depth > MAX_WALK_DEPTH {
        return Err(LoadError::File {
            path: dir.to_path_buf(),
            source: Box::new(LoadError::Invalid("directory tree too deep".into())),
        });
    }
    for entry in fs::read_dir(dir).map_err(in_dir)? {
        let entry = entry.map_err(in_dir)?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(in_dir)?;
        let is_dir = file_type.is_dir();
        let is_file = file_type.is_file()
            || (file_type.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file()));
        if is_dir {
            collect_json_files(&path, out, depth + 1)?;
        } else if is_file && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
