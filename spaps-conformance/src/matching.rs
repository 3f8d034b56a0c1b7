//! Request matching and outcome comparison, as specified by the corpus `FORMAT.md`.
//!
//! * [`match_request`] checks that a request the SDK sent matches a recorded one.
//! * [`check_ok_leaves`] checks that a successful result contains the scalar leaves of the
//!   reference's result, after normalizing date-times and decimal strings to numbers.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use percent_encoding::percent_decode;

use crate::cassette::{JsonField, RecordedRequest};
pub use spaps_testkit::observed::{decode_query, ObservedRequest};

/// How an observed request differs from the recorded one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// The method differs.
    #[error("method: expected {expected}, got {actual}")]
    Method {
        /// Recorded.
        expected: String,
        /// Observed.
        actual: String,
    },
    /// The path differs after percent-decoding.
    #[error("path: expected {expected:?}, got {actual:?}")]
    Path {
        /// Recorded.
        expected: String,
        /// Observed.
        actual: String,
    },
    /// The query pairs differ (as multisets).
    #[error("query: missing {missing:?}, unexpected {unexpected:?}")]
    Query {
        /// Recorded pairs that were not sent.
        missing: Vec<(String, String)>,
        /// Sent pairs that were not recorded.
        unexpected: Vec<(String, String)>,
    },
    /// The body differs.
    #[error("body: {0}")]
    Body(String),
    /// A checked header differs.
    #[error("header {name}: expected {}, got {}", show_opt(.expected), show_opt(.actual))]
    Header {
        /// Lower-case header name.
        name: String,
        /// Recorded value (`None`: must be absent).
        expected: Option<String>,
        /// Observed value(s), joined with `, ` (`None`: absent).
        actual: Option<String>,
    },
}

fn show_opt(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "<absent>".to_owned(),
    }
}

/// Headers that must be equal to the recorded value and absent where not recorded.
const STRICT_HEADERS: [&str; 2] = ["x-api-key", "authorization"];
/// Headers that must be equal to the recorded value when recorded (free otherwise).
const CHECKED_WHEN_RECORDED: [&str; 3] = ["x-idempotency-key", "x-recon-token", "accept"];

/// Checks that `observed` matches `recorded`, per the corpus rules: method equal; path equal
/// after percent-decoding; query the same multiset of decoded pairs; body equal as JSON (or
/// empty when no JSON was recorded); `x-api-key` and `authorization` equal and absent where
/// absent; `x-idempotency-key`, `x-recon-token` and `accept` equal when recorded.
pub fn match_request(
    recorded: &RecordedRequest,
    observed: &ObservedRequest,
) -> Result<(), Mismatch> {
    if recorded.method != observed.method {
        return Err(Mismatch::Method {
            expected: recorded.method.clone(),
            actual: observed.method.clone(),
        });
    }

    let rec_path: Vec<u8> = percent_decode(recorded.path.as_bytes()).collect();
    let obs_path: Vec<u8> = percent_decode(observed.path.as_bytes()).collect();
    if rec_path != obs_path {
        return Err(Mismatch::Path {
            expected: recorded.path.clone(),
            actual: observed.path.clone(),
        });
    }

    let mut unexpected = observed.query.clone();
    let mut missing = Vec::new();
    for pair in &recorded.query {
        match unexpected.iter().position(|p| p == pair) {
            Some(i) => {
                unexpected.remove(i);
            }
            None => missing.push(pair.clone()),
        }
    }
    if !missing.is_empty() || !unexpected.is_empty() {
        return Err(Mismatch::Query {
            missing,
            unexpected,
        });
    }

    match &recorded.json {
        JsonField::Absent => {
            if !observed.body.is_empty() {
                return Err(Mismatch::Body(format!(
                    "expected no body, got {} bytes: {}",
                    observed.body.len(),
                    preview(&observed.body)
                )));
            }
        }
        JsonField::Present(expected) => {
            if observed.body.is_empty() {
                return Err(Mismatch::Body(format!(
                    "expected JSON {expected}, got no body"
                )));
            }
            let actual: Value = serde_json::from_slice(&observed.body).map_err(|e| {
                Mismatch::Body(format!(
                    "expected JSON {expected}, got a body that is not JSON ({e}): {}",
                    preview(&observed.body)
                ))
            })?;
            if !json_equal(expected, &actual) {
                return Err(Mismatch::Body(format!(
                    "expected JSON {expected}, got {actual}"
                )));
            }
        }
    }

    for name in STRICT_HEADERS {
        check_header(name, recorded.header(name), observed, true)?;
    }
    for name in CHECKED_WHEN_RECORDED {
        check_header(name, recorded.header(name), observed, false)?;
    }
    Ok(())
}

fn check_header(
    name: &str,
    expected: Option<&str>,
    observed: &ObservedRequest,
    absent_where_absent: bool,
) -> Result<(), Mismatch> {
    let trim = |s: &str| s.trim_matches([' ', '\t']).to_owned();
    let values: Vec<String> = observed.header_values(name).map(trim).collect();
    let actual = if values.is_empty() {
        None
    } else {
        Some(values.join(", "))
    };
    let ok = match expected {
        Some(exp) => values.len() == 1 && values[0] == trim(exp),
        None => !absent_where_absent || values.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(Mismatch::Header {
            name: name.to_owned(),
            expected: expected.map(str::to_owned),
            actual,
        })
    }
}

fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]).into_owned();
    if body.len() > MAX {
        format!("{text:?}...")
    } else {
        format!("{text:?}")
    }
}

/// JSON equality with numbers compared by value (`1 == 1.0`) and object key order free.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (Decimal::from_number(x), Decimal::from_number(y)) {
                (Some(x), Some(y)) => x == y,
                _ => x.to_string() == y.to_string(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Exact decimals
// ---------------------------------------------------------------------------------------------

/// An exact decimal `(-1)^negative * digits * 10^exponent`, normalized: `digits` has no
/// leading or trailing zeros; zero is `digits == ""`, not negative, exponent 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    /// Parses `-?\d+(\.\d+)?` and, when `allow_exponent`, also `-?\d*(\.\d*)?([eE][+-]?\d+)?`
    /// forms as printed by JSON number formatting.
    fn parse(s: &str, allow_exponent: bool) -> Option<Decimal> {
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (mantissa, exp) = if allow_exponent {
            match rest.find(['e', 'E']) {
                Some(i) => {
                    let e = &rest[i + 1..];
                    let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                    if e_digits.is_empty() || !e_digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    (&rest[..i], e.parse::<i64>().ok()?)
                }
                None => (rest, 0),
            }
        } else {
            (rest, 0)
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || !all_digits(frac_part) {
            return None;
        }
        if allow_exponent {
            if int_part.is_empty() && frac_part.is_empty() {
                return None;
            }
        } else if int_part.is_empty() || (mantissa.contains('.') && frac_part.is_empty()) {
            return None;
        }
        let frac_len = i64::try_from(frac_part.len()).ok()?;
        let mut exponent = exp.checked_sub(frac_len)?;
        let joined = format!("{int_part}{frac_part}");
        let trimmed_lead = joined.trim_start_matches('0');
        let trimmed = trimmed_lead.trim_end_matches('0');
        if trimmed.is_empty() {
            return Some(Decimal {
                negative: false,
                digits: String::new(),
                exponent: 0,
            });
        }
        let trailing = i64::try_from(trimmed_lead.len() - trimmed.len()).ok()?;
        exponent = exponent.checked_add(trailing)?;
        Some(Decimal {
            negative,
            digits: trimmed.to_owned(),
            exponent,
        })
    }

    fn from_number(n: &serde_json::Number) -> Option<Decimal> {
        Decimal::parse(&n.to_string(), true)
    }

    fn from_i128_scaled(value: i128, scale: i64) -> Option<Decimal> {
        Decimal::parse(&value.to_string(), false).and_then(|d| {
            if d.digits.is_empty() {
                Some(d)
            } else {
                Some(Decimal {
                    exponent: d.exponent.checked_sub(scale)?,
                    ..d
                })
            }
        })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let len = self.digits.len() as i64;
        if self.exponent >= 0 && self.exponent <= 30 {
            write!(f, "{}{}", self.digits, "0".repeat(self.exponent as usize))
        } else if self.exponent < 0 && -self.exponent < len {
            let split = (len + self.exponent) as usize;
            write!(f, "{}.{}", &self.digits[..split], &self.digits[split..])
        } else if self.exponent < 0 && -self.exponent - len <= 30 {
            let zeros = (-self.exponent - len) as usize;
            write!(f, "0.{}{}", "0".repeat(zeros), self.digits)
        } else {
            write!(f, "{}e{}", self.digits, self.exponent)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Date-times
// ---------------------------------------------------------------------------------------------

/// Parses an RFC 3339 / ISO 8601 date-time (`YYYY-MM-DD[T t ]HH:MM[:SS[.f+]]` with `Z`,
/// `±HH:MM`, `±HHMM`, `±HH` or no offset, meaning UTC) into Unix time as an exact decimal.
fn parse_datetime(s: &str) -> Option<Decimal> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = u8::try_from(num(5..7)?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    if b[13] != b':' {
        return None;
    }
    let hour = u8::try_from(num(11..13)?).ok()?;
    let minute = u8::try_from(num(14..16)?).ok()?;
    let mut i = 16;
    let mut second = 0u8;
    let mut frac = "";
    if b.get(i) == Some(&b':') {
        second = u8::try_from(num(i + 1..i + 3)?).ok()?;
        i += 3;
        if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            frac = s.get(start..end)?;
            i = end;
        }
    }
    let offset_seconds: i32 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &b[i + 1..];
            let (oh, om) = match rest.len() {
                2 => (num(i + 1..i + 3)?, 0),
                4 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                5 if rest[2] == b':' => (num(i + 1..i + 3)?, num(i + 4..i + 6)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = i32::try_from(oh * 3600 + om * 60).ok()?;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };

    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let time_of_day = time::Time::from_hms(hour, minute, second).ok()?;
    let offset = time::UtcOffset::from_whole_seconds(offset_seconds).ok()?;
    let whole = time::PrimitiveDateTime::new(date, time_of_day)
        .assume_offset(offset)
        .unix_timestamp();

    // whole + 0.frac, exactly (fractions beyond 18 digits are truncated: far below any
    // meaningful resolution).
    let frac_digits = frac.trim_end_matches('0');
    let frac_digits = &frac_digits[..frac_digits.len().min(18)];
    whole_plus_fraction(whole, frac_digits)
}

fn whole_plus_fraction(whole: i64, frac_digits: &str) -> Option<Decimal> {
    if frac_digits.is_empty() {
        return Decimal::from_i128_scaled(i128::from(whole), 0);
    }
    let scale = u32::try_from(frac_digits.len()).ok()?;
    let frac: i128 = frac_digits.parse().ok()?;
    let total = i128::from(whole)
        .checked_mul(10i128.checked_pow(scale)?)?
        .checked_add(frac)?;
    Decimal::from_i128_scaled(total, i64::from(scale))
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

/// A normalized scalar leaf.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Leaf {
    Null,
    Bool(bool),
    Num(Decimal),
    Str(String),
}

impl fmt::Display for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leaf::Null => f.write_str("null"),
            Leaf::Bool(b) => write!(f, "{b}"),
            Leaf::Num(d) => write!(f, "{d}"),
            Leaf::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Normalizes a scalar: date-time strings become Unix time, decimal strings become numbers.
fn normalize(v: &Value) -> Option<Leaf> {
    Some(match v {
        Value::Null => Leaf::Null,
        Value::Bool(b) => Leaf::Bool(*b),
        Value::Number(n) => match Decimal::from_number(n) {
            Some(d) => Leaf::Num(d),
            None => Leaf::Str(n.to_string()),
        },
        Value::String(s) => {
            if let Some(d) = parse_datetime(s) {
                Leaf::Num(d)
            } else if let Some(d) = Decimal::parse(s, false) {
                Leaf::Num(d)
            } else {
                Leaf::Str(s.clone())
            }
        }
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn collect_leaves(v: &Value, path: &mut String, out: &mut Vec<(String, Leaf)>) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                collect_leaves(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                collect_leaves(item, path, out);
                path.truncate(len);
            }
        }
        scalar => {
            if let Some(leaf) = normalize(scalar) {
                out.push((path.clone(), leaf));
            }
        }
    }
}

/// Checks that every non-null, non-false scalar leaf of `expected` appears among the scalar
/// leaves of `actual`, as a multiset (each actual leaf is used once); keys are not compared.
/// Both sides are normalized first: RFC 3339 / ISO 8601 date-time strings (with `Z`, an
/// offset, or naive meaning UTC) become Unix time, decimal strings (`"12.50"`, `"-3"`)
/// become numbers, and numbers compare exactly by value (`1 == 1.0`, `12.5 == "12.50"`).
///
/// The error lists the expected leaves (with their JSON paths) that were not found.
pub fn check_ok_leaves(expected: &Value, actual: &Value) -> Result<(), String> {
    let mut expected_leaves = Vec::new();
    collect_leaves(expected, &mut String::from("$"), &mut expected_leaves);
    let mut actual_leaves = Vec::new();
    collect_leaves(actual, &mut String::from("$"), &mut actual_leaves);

    let mut available: HashMap<Leaf, usize> = HashMap::new();
    for (_, leaf) in actual_leaves {
        *available.entry(leaf).or_default() += 1;
    }

    let mut required = 0usize;
    let mut missing = Vec::new();
    for (path, leaf) in expected_leaves {
        if matches!(leaf, Leaf::Null | Leaf::Bool(false)) {
            continue;
        }
        required += 1;
        match available.get_mut(&leaf) {
            Some(n) if *n > 0 => *n -= 1,
            _ => missing.push(format!("{path} = {leaf}")),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 10;
    let more = missing.len().saturating_sub(SHOWN);
    let mut msg = format!(
        "{} of {} expected leaves not found in the result: {}",
        missing.len(),
        required,
        missing[..missing.len().min(SHOWN)].join(", ")
    );
    if more > 0 {
        msg.push_str(&format!(", and {more} more"));
    }
    Err(msg)
}

#[cfg(test)]
mod tests;
