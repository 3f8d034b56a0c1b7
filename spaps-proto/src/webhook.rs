//! Verifying SPAPS webhooks and reading their events.
//!
//! SPAPS signs each delivery with the `X-SPAPS-Signature` header,
//! `t=<unix seconds>,v1=<hex HMAC-SHA256>`, the MAC taken over `"<t>.<raw body>"`
//! with the endpoint's secret. [`WebhookVerifier::verify`] checks it the way Stripe's
//! scheme should be checked (and where ports of it went wrong):
//!
//! - the raw body bytes are verified, never re-serialized JSON;
//! - every `v1` in the header is collected and any match is accepted, and every
//!   configured secret is tried, so secrets can rotate on both sides;
//! - MACs are compared in constant time over all 32 bytes: a truncated, empty or
//!   over-long signature never matches;
//! - the MAC is checked before the timestamp, and the timestamp window is two-sided
//!   (`|now - t| <= tolerance`, 300 s by default), with `now` passed in;
//! - the header is bounded in length before it is parsed;
//! - a verifier cannot be built without a secret, nor with an empty (or blank) one,
//!   under which anyone could sign: [`WebhookError::EmptySecret`].
//!
//! ```
//! use spaps_proto::webhook::{sign, WebhookEvent, WebhookVerifier};
//! use spaps_proto::Timestamp;
//!
//! let body = br#"{"id":"evt_1","type":"entitlement.granted","schema_version":1,"application_id":"app",
//!   "created_at":"2025-01-15T12:00:00Z","data":{"entitlement_id":"ent_1","entitlement_key":"pro",
//!   "source":"stripe","starts_at":"2025-01-15T12:00:00Z"}}"#;
//! let now = Timestamp::from_unix_seconds(1_736_942_400).unwrap();
//! let header = sign("whsec_test", now.unix_seconds(), body);
//!
//! let verifier = WebhookVerifier::new("whsec_test")?;
//! match verifier.verify(&header, body, now)? {
//!     WebhookEvent::EntitlementGranted(event) => assert_eq!(event.data.entitlement_key, "pro"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), spaps_proto::webhook::WebhookError>(())
//! ```

use std::fmt;
use std::time::Duration;

use hmac::digest::CtOutput;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-spaps-signature";

/// The default tolerance between the signature's time and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The longest header accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;

/// The most `v1` entries looked at in one header.
pub const MAX_SIGNATURES: usize = 8;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was rejected. Each maps to one of the conformance kinds
/// ([`WebhookError::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The header is missing, too long, or lacks `t` or `v1`.
    #[error("malformed signature header: {0}")]
    MalformedHeader(&'static str),
    /// No `v1` matches the body under any secret.
    #[error("no signature matches the body")]
    SignatureMismatch,
    /// The signature is genuine but its time is outside the tolerance window.
    #[error("the signature time {timestamp} is more than {tolerance:?} away from now ({now})")]
    TimestampOutOfTolerance {
        /// The header's `t`.
        timestamp: i64,
        /// The time it was checked at (Unix seconds).
        now: i64,
        /// The window.
        tolerance: Duration,
    },
    /// The body is authentic but not a webhook event.
    #[error("the payload is not a webhook event: {0}")]
    InvalidPayload(String),
    /// A verifier was asked for with no secret, or with an empty or blank one: with
    /// an empty key anyone can compute a valid signature. Raised by the constructors,
    /// never by a delivery.
    #[error("a webhook secret must not be empty, and at least one is needed")]
    EmptySecret,
}

impl WebhookError {
    /// `malformed_header`, `signature_mismatch`, `timestamp_out_of_tolerance`,
    /// `invalid_payload` or `empty_secret`.
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookError::MalformedHeader(_) => "malformed_header",
            WebhookError::SignatureMismatch => "signature_mismatch",
            WebhookError::TimestampOutOfTolerance { .. } => "timestamp_out_of_tolerance",
            WebhookError::InvalidPayload(_) => "invalid_payload",
            WebhookError::EmptySecret => "empty_secret",
        }
    }
}

/// Checks signatures with one or more secrets. `Debug` hides the secrets.
///
/// Each secret is turned into a keyed HMAC state once, at construction; a verification
/// clones that state (a copy of two SHA-256 states), so it neither re-derives the key
/// pads nor allocates.
#[derive(Clone)]
pub struct WebhookVerifier {
    /// One keyed (not yet fed) MAC per secret, in the order given.
    keys: Vec<HmacSha256>,
    tolerance: Duration,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secrets", &format_args!("[***; {}]", self.keys.len()))
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier for one secret, with the default tolerance.
    ///
    /// # Errors
    /// [`WebhookError::EmptySecret`] when `secret` is empty or only whitespace.
    pub fn new(secret: impl Into<Secret>) -> Result<Self, WebhookError> {
        Self::with_secrets([secret])
    }

    /// A verifier accepting any of `secrets` (during a rotation, old and new).
    ///
    /// ```
    /// use spaps_proto::webhook::{WebhookError, WebhookVerifier};
    /// assert!(WebhookVerifier::with_secrets(["whsec_new", "whsec_old"]).is_ok());
    /// assert_eq!(WebhookVerifier::with_secrets(["whsec_new", ""]).unwrap_err(), WebhookError::EmptySecret);
    /// assert_eq!(WebhookVerifier::with_secrets(Vec::<String>::new()).unwrap_err(), WebhookError::EmptySecret);
    /// ```
    ///
    /// # Errors
    /// [`WebhookError::EmptySecret`] when `secrets` is empty or any of them is empty or
    /// only whitespace.
    pub fn with_secrets<S: Into<Secret>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, WebhookError> {
        let secrets: Vec<Secret> = secrets.into_iter().map(Into::into).collect();
        if secrets.is_empty() || secrets.iter().any(|s| s.expose().trim().is_empty()) {
            return Err(WebhookError::EmptySecret);
        }
        Ok(Self {
            keys: secrets.iter().map(keyed).collect(),
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// Sets the tolerance window.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies `body` against `header` at `now` and parses the event.
    ///
    /// # Errors
    /// A [`WebhookError`]; see the module docs for the order of the checks.
    pub fn verify(
        &self,
        header: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<WebhookEvent, WebhookError> {
        self.verify_signature(header, body, now)?;
        WebhookEvent::parse(body)
    }

    /// Verifies the signature only (MAC, then time), without parsing the body.
    ///
    /// # Errors
    /// [`WebhookError::MalformedHeader`], [`WebhookError::SignatureMismatch`] or
    /// [`WebhookError::TimestampOutOfTolerance`].
    pub fn verify_signature(
        &self,
        header: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), WebhookError> {
        let parsed = parse_header(header)?;
        let mut matched = false;
        for key in &self.keys {
            let mut mac = key.clone();
            feed(&mut mac, parsed.t_text, body);
            // `CtOutput` compares in constant time, over all 32 bytes.
            let tag = mac.finalize();
            for candidate in &parsed.signatures[..parsed.count] {
                // Every candidate is checked, so the time taken does not tell which matched.
                matched |= candidate.is_some_and(|sig| tag == CtOutput::new(sig.into()));
            }
        }
        if !matched {
            return Err(WebhookError::SignatureMismatch);
        }
        let now_s = now.unix_seconds();
        let skew = now_s.abs_diff(parsed.t);
        if skew > self.tolerance.as_secs() {
            return Err(WebhookError::TimestampOutOfTolerance {
                timestamp: parsed.t,
                now: now_s,
                tolerance: self.tolerance,
            });
        }
        Ok(())
    }
}

/// The `X-SPAPS-Signature` value for `body` signed with `secret` at `timestamp`
/// (for tests and for servers that send SPAPS-style webhooks).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mut mac = keyed(&Secret::new(secret));
    feed(&mut mac, &t, body);
    let mac = mac.finalize().into_bytes();
    format!("t={t},v1={}", hex(&mac))
}

struct ParsedHeader<'a> {
    t: i64,
    t_text: &'a str,
    /// Each `v1`, decoded when it is exactly 64 hex digits: the first `count` entries.
    signatures: [Option<[u8; 32]>; MAX_SIGNATURES],
    count: usize,
}

fn parse_header(header: &str) -> Result<ParsedHeader<'_>, WebhookError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(WebhookError::MalformedHeader("the header is too long"));
    }
    if let Some(parsed) = parse_usual_header(header) {
        return Ok(parsed);
    }
    parse_any_header(header)
}

/// The header as SPAPS sends it, `t=<1-18 digits>,v1=<64 hex digits>` and nothing
/// else, read without splitting; `None` for anything else (which
/// [`parse_any_header`] then reads, with the same result for this form).
fn parse_usual_header(header: &str) -> Option<ParsedHeader<'_>> {
    let rest = header.strip_prefix("t=")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let (t_text, rest) = rest.split_at(digits);
    let signature = rest.strip_prefix(",v1=")?;
    let mut t: i64 = 0;
    for b in t_text.bytes() {
        // At most 18 digits: below 10^18, no overflow.
        t = t * 10 + i64::from(b - b'0');
    }
    let mut signatures = [None; MAX_SIGNATURES];
    // Exactly 64 hex digits; any other length is left to the general reader.
    signatures[0] = Some(decode_hex32(signature)?);
    Some(ParsedHeader {
        t,
        t_text,
        signatures,
        count: 1,
    })
}

/// Any header: comma-separated `key=value` pairs, keys and values trimmed, unknown
/// keys and pairs without `=` skipped.
fn parse_any_header(header: &str) -> Result<ParsedHeader<'_>, WebhookError> {
    let mut t = None;
    let mut signatures = [None; MAX_SIGNATURES];
    let mut count = 0;
    for part in header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" => {
                if t.is_some() {
                    return Err(WebhookError::MalformedHeader("more than one `t`"));
                }
                let value = value.trim();
                let ok = !value.is_empty()
                    && value.len() <= 18
                    && value.bytes().all(|b| b.is_ascii_digit());
                let parsed = value.parse::<i64>().ok().filter(|_| ok);
                t = Some((
                    parsed.ok_or(WebhookError::MalformedHeader("`t` is not a Unix time"))?,
                    value,
                ));
            }
            "v1" if count < MAX_SIGNATURES => {
                signatures[count] = decode_hex32(value.trim());
                count += 1;
            }
            _ => {}
        }
    }
    let (t, t_text) = t.ok_or(WebhookError::MalformedHeader("no `t`"))?;
    if count == 0 {
        return Err(WebhookError::MalformedHeader("no `v1`"));
    }
    Ok(ParsedHeader {
        t,
        t_text,
        signatures,
        count,
    })
}

/// The MAC keyed with `secret`, before any message byte.
fn keyed(secret: &Secret) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(secret.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable_key(),
    }
}

/// Feeds the signed message, `"<t>.<body>"`.
fn feed(mac: &mut HmacSha256, t: &str, body: &[u8]) {
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
}

#[cold]
fn unreachable_key() -> HmacSha256 {
    // HMAC accepts every key length; keep a defined value instead of panicking.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    // Digits are below 16 and `NOT_HEX` is not, so one check at the end covers all.
    let mut seen = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
        seen |= high | low;
        *o = (high << 4) | low;
    }
    (seen < 16).then_some(out)
}

const NOT_HEX: u8 = 0xFF;

/// The value of each byte as a hex digit (either case), else `NOT_HEX`.
const HEX_VALUE: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A webhook event: the envelope and its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event<D> {
    /// The event id (deduplicate deliveries on it).
    pub id: String,
    /// The event type, e.g. `entitlement.granted`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The payload schema version.
    pub schema_version: i64,
    /// The application.
    pub application_id: String,
    /// When the event happened.
    pub created_at: Timestamp,
    /// The payload.
    pub data: D,
}

/// The payload of the `entitlement.*` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntitlementEventData {
    /// The entitlement.
    pub entitlement_id: String,
    /// The user, when known.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The email, when known.
    #[serde(default)]
    pub email: Option<String>,
    /// The entitlement key, e.g. `pro_plan`.
    pub entitlement_key: String,
    /// Where it came from (`stripe`, `crypto`, `manual`, ...).
    pub source: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends, if it does.
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// A verified webhook event, typed by its `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `entitlement.granted`.
    EntitlementGranted(Event<EntitlementEventData>),
    /// `entitlement.renewed`.
    EntitlementRenewed(Event<EntitlementEventData>),
    /// `entitlement.updated`.
    EntitlementUpdated(Event<EntitlementEventData>),
    /// `entitlement.expired`.
    EntitlementExpired(Event<EntitlementEventData>),
    /// `entitlement.revoked`.
    EntitlementRevoked(Event<EntitlementEventData>),
    /// `entitlement.claimed`.
    EntitlementClaimed(Event<EntitlementEventData>),
    /// Any other type, with its raw data.
    Other(Event<serde_json::Map<String, serde_json::Value>>),
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    schema_version: i64,
    application_id: String,
    created_at: Timestamp,
    #[serde(borrow)]
    data: &'a RawValue,
}

impl RawEvent<'_> {
    fn wrap<D>(&self, data: D) -> Event<D> {
        Event {
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
            application_id: self.application_id.clone(),
            created_at: self.created_at,
            data,
        }
    }
}

impl WebhookEvent {
    /// Parses a (verified) body.
    ///
    /// # Errors
    /// [`WebhookError::InvalidPayload`] naming what does not fit.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let raw: RawEvent<'_> = serde_json::from_slice(body)
            .map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
        let data_text = raw.data.get();
        let entitlement = || -> Result<Event<EntitlementEventData>, WebhookError> {
            crate::envelope::decode_str::<EntitlementEventData>("webhook", "data", data_text)
                .map(|data| raw.wrap(data))
                .map_err(|e| WebhookError::InvalidPayload(e.to_string()))
        };
        Ok(match raw.event_type.as_str() {
            "entitlement.granted" => WebhookEvent::EntitlementGranted(entitlement()?),
            "entitlement.renewed" => WebhookEvent::EntitlementRenewed(entitlement()?),
            "entitlement.updated" => WebhookEvent::EntitlementUpdated(entitlement()?),
            "entitlement.expired" => WebhookEvent::EntitlementExpired(entitlement()?),
            "entitlement.revoked" => WebhookEvent::EntitlementRevoked(entitlement()?),
            "entitlement.claimed" => WebhookEvent::EntitlementClaimed(entitlement()?),
            _ => WebhookEvent::Other(
                raw.wrap(
                    serde_json::from_str(data_text)
                        .map_err(|e| WebhookError::InvalidPayload(format!("data: {e}")))?,
                ),
            ),
        })
    }

    /// The event id.
    pub fn id(&self) -> &str {
        self.envelope().0
    }

    /// The event type.
    pub fn event_type(&self) -> &str {
        self.envelope().1
    }

    fn envelope(&self) -> (&String, &str) {
        match self {
            WebhookEvent::EntitlementGranted(e)
            | WebhookEvent::EntitlementRenewed(e)
            | WebhookEvent::EntitlementUpdated(e)
            | WebhookEvent::EntitlementExpired(e)
            | WebhookEvent::EntitlementRevoked(e)
            | WebhookEvent::EntitlementClaimed(e) => (&e.id, &e.event_type),
            WebhookEvent::Other(e) => (&e.id, &e.event_type),
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hex_tests {
    use super::decode_hex32;

    /// The plain decoder the table replaced.
    fn reference(text: &str) -> Option<[u8; 32]> {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(out)
    }

    #[test]
    fn table_decoder_matches_the_plain_one_for_every_byte() {
        let base = "0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789abcdef0123";
        for position in [0, 1, 31, 62, 63] {
            for byte in 0u8..=127 {
                let mut text = base.as_bytes().to_vec();
                text[position] = byte;
                let text = String::from_utf8(text).expect("ASCII");
                assert_eq!(
                    decode_hex32(&text),
                    reference(&text),
                    "{byte} at {position}"
                );
            }
        }
        for text in [
            "",
            "ab",
            &base[..63],
            &format!("{base}0"),
            "é".repeat(32).as_str(),
        ] {
            assert_eq!(decode_hex32(text), reference(text), "{text}");
        }
    }
}

#[cfg(test)]
mod header_tests {
    use super::{parse_any_header, parse_header, parse_usual_header, sign};

    type Summary = Option<(i64, String, Vec<Option<[u8; 32]>>)>;

    fn summary(parsed: &Result<super::ParsedHeader<'_>, super::WebhookError>) -> Summary {
        parsed
            .as_ref()
            .ok()
            .map(|p| (p.t, p.t_text.to_owned(), p.signatures[..p.count].to_vec()))
    }

    #[test]
    fn the_usual_form_reads_as_the_general_reader_reads_it() {
        let good = sign("whsec_x", 1_736_942_400, b"{}");
        let hex = &good[good.len() - 64..];
        let headers = [
            good.clone(),
            format!("t=0,v1={hex}"),
            format!("t=123456789012345678,v1={hex}"),
            format!("t=1234567890123456789,v1={hex}"),
            format!("t=,v1={hex}"),
            format!("t=12,v1={}", &hex[..63]),
            format!("t=12,v1={hex}0"),
            format!("t=12,v1={hex},"),
            format!("t=12,v1={hex},v1={hex}"),
            format!("t=12 ,v1={hex}"),
            format!("t=12,v1= {hex}"),
            format!("t=12,v0={hex}"),
            format!("t=-12,v1={hex}"),
            format!("t=+12,v1={hex}"),
            format!("t=12,v1={}", hex.to_uppercase()),
            format!("t=12,v1={}g", &hex[..63]),
            format!("v1={hex},t=12"),
            "t=12".to_owned(),
            String::new(),
        ];
        for header in &headers {
            let general = parse_any_header(header);
            if let Some(fast) = parse_usual_header(header) {
                assert_eq!(summary(&Ok(fast)), summary(&general), "{header}");
            }
            assert_eq!(
                summary(&parse_header(header)),
                summary(&general),
                "{header}"
            );
            assert_eq!(
                parse_header(header).err(),
                general.as_ref().err().cloned(),
                "{header}"
            );
        }
        assert!(
            parse_usual_header(&good).is_some(),
            "the usual form takes the fast path"
        );
    }
}
