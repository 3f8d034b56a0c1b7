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
mod tests {
    use super::*;
    use serde_json::json;

    fn recorded(v: Value) -> RecordedRequest {
        serde_json::from_value(v).unwrap()
    }

    fn base_recorded() -> RecordedRequest {
        recorded(json!({
            "method": "POST",
            "path": "/api/a%20b/c",
            "query": [["k", "v 1"], ["k", "v2"], ["x", ""]],
            "headers": {"X-API-Key": "key", "authorization": "Bearer t",
                        "content-type": "application/json"},
            "json": {"a": 1, "b": [1.5, "x"], "c": null}
        }))
    }

    fn base_observed() -> ObservedRequest {
        ObservedRequest::from_parts(
            "POST",
            "/api/a%20b/c?x=&k=v2&k=v+1",
            [
                ("X-Api-Key", "key"),
                ("Authorization", "Bearer t"),
                ("User-Agent", "whatever"),
                ("Content-Type", "text/plain"),
            ],
            br#"{"c": null, "b": [1.50, "x"], "a": 1.0}"#.to_vec(),
        )
    }

    #[test]
    fn matching_request_passes() {
        assert_eq!(match_request(&base_recorded(), &base_observed()), Ok(()));
    }

    #[test]
    fn from_parts_and_from_http() {
        let o = ObservedRequest::from_parts(
            "GET",
            "http://host:1/p%2Fq?a=1&b=%E2%9C%93&&c&d=x=y#frag",
            Vec::<(String, String)>::new(),
            Vec::new(),
        );
        assert_eq!(o.path, "/p%2Fq");
        assert_eq!(
            o.query,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "✓".into()),
                ("c".into(), "".into()),
                ("d".into(), "x=y".into())
            ]
        );
        let o = ObservedRequest::from_parts("GET", "http://host", [("A", "b")], Vec::new());
        assert_eq!(o.path, "/");
        assert_eq!(o.header("a"), Some("b"));

        let req = http::Request::builder()
            .method("PUT")
            .uri("http://h/x%20y?q=a+b%2B")
            .header("X-Api-Key", "k")
            .body(bytes::Bytes::from_static(b"{}"))
            .unwrap();
        let o = ObservedRequest::from_http(&req);
        assert_eq!(o.method, "PUT");
        assert_eq!(o.path, "/x%20y");
        assert_eq!(o.query, vec![("q".into(), "a b+".into())]);
        assert_eq!(o.header("X-API-KEY"), Some("k"));
        assert_eq!(o.body, b"{}");
    }

    #[test]
    fn method_mismatch() {
        let mut o = base_observed();
        o.method = "PUT".into();
        assert!(matches!(
            match_request(&base_recorded(), &o),
            Err(Mismatch::Method { .. })
        ));
    }

    #[test]
    fn path_rules() {
        let mut o = base_observed();
        o.path = "/api/a b/c".into();
        assert_eq!(match_request(&base_recorded(), &o), Ok(()));
        o.path = "/api/a%20b/d".into();
        let err = match_request(&base_recorded(), &o).unwrap_err();
        assert!(matches!(err, Mismatch::Path { .. }));
        assert!(err.to_string().starts_with("path"));
    }

    #[test]
    fn query_rules() {
        let mut o = base_observed();
        o.query.push(("k".into(), "v2".into()));
        let err = match_request(&base_recorded(), &o).unwrap_err();
        assert_eq!(
            err,
            Mismatch::Query {
                missing: vec![],
                unexpected: vec![("k".into(), "v2".into())]
            }
        );
        let mut o = base_observed();
        o.query.retain(|(k, _)| k != "x");
        assert!(matches!(
            match_request(&base_recorded(), &o),
            Err(Mismatch::Query { missing, .. }) if missing == vec![("x".to_owned(), String::new())]
        ));
    }

    #[test]
    fn body_rules() {
        let rec = base_recorded();
        let mut o = base_observed();
        o.body = br#"{"a": 2, "b": [1.5, "x"], "c": null}"#.to_vec();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
        o.body = br#"{"a": 1, "b": [1.5, "x"]}"#.to_vec();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
        o.body = br#"{"a": 1, "b": ["x", 1.5], "c": null}"#.to_vec();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
        o.body = b"not json".to_vec();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
        o.body = Vec::new();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

        // No recorded body: empty only; `{}` is not "no body".
        let mut rec = base_recorded();
        rec.json = JsonField::Absent;
        o.body = Vec::new();
        assert_eq!(match_request(&rec, &o), Ok(()));
        o.body = b"{}".to_vec();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

        // Recorded `{}`: must send `{}`, not nothing.
        rec.json = JsonField::Present(json!({}));
        assert_eq!(match_request(&rec, &o), Ok(()));
        o.body = Vec::new();
        assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

        // Recorded `null`: must send JSON null.
        rec.json = JsonField::Present(Value::Null);
        o.body = b"null".to_vec();
        assert_eq!(match_request(&rec, &o), Ok(()));
    }

    #[test]
    fn strict_header_rules() {
        let rec = base_recorded();
        let mut o = base_observed();
        o.headers.retain(|(n, _)| n != "x-api-key");
        let err = match_request(&rec, &o).unwrap_err();
        assert!(matches!(&err, Mismatch::Header { name, actual: None, .. } if name == "x-api-key"));
        assert!(err.to_string().contains("<absent>"));

        let mut o = base_observed();
        o.headers
            .push(("authorization".into(), "Bearer other".into()));
        assert!(matches!(
            match_request(&rec, &o),
            Err(Mismatch::Header { name, .. }) if name == "authorization"
        ));

        let mut o = base_observed();
        for h in &mut o.headers {
            if h.0 == "authorization" {
                h.1 = "Bearer u".into();
            }
        }
        assert!(matches!(
            match_request(&rec, &o),
            Err(Mismatch::Header { name, .. }) if name == "authorization"
        ));

        // Absent where absent.
        let mut rec = base_recorded();
        rec.headers.remove("authorization");
        assert!(matches!(
            match_request(&rec, &base_observed()),
            Err(Mismatch::Header { name, expected: None, .. }) if name == "authorization"
        ));
    }

    #[test]
    fn checked_when_recorded_header_rules() {
        let mut o = base_observed();
        o.headers.push(("accept".into(), "text/html".into()));
        o.headers.push(("x-idempotency-key".into(), "abc".into()));
        // Free when not recorded.
        assert_eq!(match_request(&base_recorded(), &o), Ok(()));

        let mut rec = base_recorded();
        rec.headers
            .insert("accept".into(), "application/json".into());
        assert!(matches!(
            match_request(&rec, &o),
            Err(Mismatch::Header { name, .. }) if name == "accept"
        ));
        rec.headers.insert("accept".into(), "text/html".into());
        rec.headers.insert("x-idempotency-key".into(), "abc".into());
        rec.headers.insert("x-recon-token".into(), "r".into());
        assert!(matches!(
            match_request(&rec, &o),
            Err(Mismatch::Header { name, actual: None, .. }) if name == "x-recon-token"
        ));
        o.headers.push(("X-Recon-Token".into(), "r".into()));
        assert_eq!(match_request(&rec, &o), Ok(()));
    }

    #[test]
    fn json_equal_numbers() {
        assert!(json_equal(&json!(1), &json!(1.0)));
        assert!(json_equal(&json!(-0.0), &json!(0)));
        assert!(json_equal(&json!(1e2), &json!(100)));
        assert!(!json_equal(&json!(1), &json!("1")));
        assert!(!json_equal(
            &json!(9007199254740993u64),
            &json!(9007199254740992u64)
        ));
        assert!(json_equal(&json!(u64::MAX), &json!(u64::MAX)));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_equal(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
    }

    #[test]
    fn decimal_parsing() {
        let d = |s| Decimal::parse(s, false).map(|d| d.to_string());
        assert_eq!(d("12.50").as_deref(), Some("12.5"));
        assert_eq!(d("-3").as_deref(), Some("-3"));
        assert_eq!(d("0.000001").as_deref(), Some("0.000001"));
        assert_eq!(d("-0.0").as_deref(), Some("0"));
        assert_eq!(d("007").as_deref(), Some("7"));
        assert_eq!(d("1200").as_deref(), Some("1200"));
        for bad in [
            "", "-", ".5", "5.", "1e5", "+1", "1.2.3", "1_000", " 1", "0x10", "NaN",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
        let e = |s| Decimal::parse(s, true).map(|d| d.to_string());
        assert_eq!(e("1e21").as_deref(), Some("1000000000000000000000"));
        assert_eq!(e("1.5e-7").as_deref(), Some("0.00000015"));
        assert_eq!(e("1e400").as_deref(), Some("1e400"));
        assert_eq!(e("1e99999999999999999999"), None);
        assert_eq!(e("1e"), None);
    }

    #[test]
    fn datetime_parsing() {
        let t = |s| parse_datetime(s).map(|d| d.to_string());
        assert_eq!(t("2025-01-15T12:00:00Z").as_deref(), Some("1736942400"));
        assert_eq!(
            t("2025-01-15T12:00:00+00:00").as_deref(),
            Some("1736942400")
        );
        assert_eq!(
            t("2025-01-15T13:00:00+01:00").as_deref(),
            Some("1736942400")
        );
        assert_eq!(t("2025-01-15T07:00:00-0500").as_deref(), Some("1736942400"));
        assert_eq!(t("2025-01-15T14:00:00+02").as_deref(), Some("1736942400"));
        assert_eq!(t("2025-01-15T12:00:00").as_deref(), Some("1736942400"));
        assert_eq!(t("2025-01-15 12:00:00").as_deref(), Some("1736942400"));
        assert_eq!(t("2025-01-15t12:00:00z").as_deref(), Some("1736942400"));
        assert_eq!(t("2025-01-15T12:00").as_deref(), Some("1736942400"));
        assert_eq!(
            t("2025-01-15T12:00:00.250Z").as_deref(),
            Some("1736942400.25")
        );
        assert_eq!(t("2025-01-15T12:00:00.000Z").as_deref(), Some("1736942400"));
        assert_eq!(
            t("2025-01-15T12:00:00.123456789123Z").as_deref(),
            Some("1736942400.123456789123")
        );
        assert_eq!(t("1969-12-31T23:59:59.5Z").as_deref(), Some("-0.5"));
        assert_eq!(t("1970-01-01T00:00:00Z").as_deref(), Some("0"));
        for bad in [
            "2025-01-15",
            "2025-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-01-15T24:00:00Z",
            "2025-01-15T12:00:00+24:00",
            "2025-01-15T12:00:00.Z",
            "2025-01-15T12:00:00ZZ",
            "2025-01-15T12:00:00 UTC",
            "2025-01-15X12:00:00Z",
            "20250115T120000Z",
            "2025-01-15T12:00:00+1",
            "２０２５-01-15T12:00:00Z",
        ] {
            assert_eq!(t(bad), None, "{bad:?}");
        }
        assert!(t("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn ok_leaves_basic() {
        let expected =
            json!({"id": "x", "n": 1, "nested": {"flag": true, "off": false, "none": null}});
        let actual = json!({"identifier": "x", "deep": [{"count": 1.0}], "enabled": true});
        assert_eq!(check_ok_leaves(&expected, &actual), Ok(()));
        // Null and false leaves of expected are not required.
        assert_eq!(
            check_ok_leaves(&json!({"a": null, "b": false}), &json!({})),
            Ok(())
        );
        assert_eq!(check_ok_leaves(&Value::Null, &json!(1)), Ok(()));
        // Top-level scalars.
        assert_eq!(check_ok_leaves(&json!(true), &json!(true)), Ok(()));
        assert!(check_ok_leaves(&json!(true), &json!(false)).is_err());
    }

    #[test]
    fn ok_leaves_mismatch_names_path() {
        let err =
            check_ok_leaves(&json!({"a": {"b": ["x", "y"]}}), &json!({"b": ["x"]})).unwrap_err();
        assert!(err.contains("$.a.b[1] = \"y\""), "{err}");
        assert!(err.starts_with("1 of 2"), "{err}");
    }

    #[test]
    fn ok_leaves_multiset() {
        assert!(check_ok_leaves(&json!(["a", "a"]), &json!(["a"])).is_err());
        assert_eq!(
            check_ok_leaves(&json!(["a", "a"]), &json!({"x": "a", "y": "a"})),
            Ok(())
        );
        // "1" and 1 normalize to the same number, so each consumes one actual leaf.
        assert!(check_ok_leaves(&json!([1, "1"]), &json!([1])).is_err());
        assert_eq!(
            check_ok_leaves(&json!([1, "1"]), &json!(["1.0", 1])),
            Ok(())
        );
    }

    #[test]
    fn ok_leaves_normalization() {
        // Decimal strings vs numbers.
        assert_eq!(
            check_ok_leaves(&json!({"amount": "12.50"}), &json!({"a": 12.5})),
            Ok(())
        );
        assert_eq!(
            check_ok_leaves(&json!({"amount": 12.5}), &json!({"a": "12.5"})),
            Ok(())
        );
        assert_eq!(check_ok_leaves(&json!("-3"), &json!(-3)), Ok(()));
        assert_eq!(check_ok_leaves(&json!("0.000001"), &json!(1e-6)), Ok(()));
        assert_eq!(check_ok_leaves(&json!(1), &json!(1.0)), Ok(()));
        assert!(check_ok_leaves(&json!("12.51"), &json!(12.5)).is_err());
        // Integers beyond f64 precision compare exactly.
        assert!(check_ok_leaves(&json!(9007199254740993u64), &json!(9007199254740992u64)).is_err());
        assert_eq!(
            check_ok_leaves(&json!("9007199254740993"), &json!(9007199254740993u64)),
            Ok(())
        );
        assert_eq!(
            check_ok_leaves(&json!(2u64.pow(53)), &json!(9007199254740992.0)),
            Ok(())
        );
        // 0.1 as f64 prints as 0.1.
        assert_eq!(check_ok_leaves(&json!(0.1), &json!("0.10")), Ok(()));
        // Date-times in different spellings.
        assert_eq!(
            check_ok_leaves(
                &json!({"created_at": "2025-01-15T12:00:00+00:00"}),
                &json!({"created": "2025-01-15T12:00:00Z"})
            ),
            Ok(())
        );
        assert_eq!(
            check_ok_leaves(
                &json!({"at": "2025-01-15T12:00:00.5"}),
                &json!({"at": "2025-01-15T13:00:00.500+01:00"})
            ),
            Ok(())
        );
        assert_eq!(
            check_ok_leaves(&json!("2025-01-15T12:00:00Z"), &json!(1736942400)),
            Ok(())
        );
        assert!(check_ok_leaves(
            &json!("2025-01-15T12:00:00Z"),
            &json!("2025-01-15T12:00:01Z")
        )
        .is_err());
        // Strings stay strings.
        assert!(check_ok_leaves(&json!("Bearer"), &json!("bearer")).is_err());
        assert!(check_ok_leaves(&json!("true"), &json!(true)).is_err());
        assert!(check_ok_leaves(&json!("null"), &json!(null)).is_err());
        assert!(check_ok_leaves(&json!(""), &json!({})).is_err());
        assert_eq!(check_ok_leaves(&json!(""), &json!([""])), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn normalization_never_panics(s in ".{0,40}") {
            let _ = check_ok_leaves(&Value::String(s.clone()), &Value::String(s));
        }

        #[test]
        fn datetime_like_never_panics(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{0,40})?)?(Z|[+-][0-9]{1,4}|[+-][0-9]{2}:[0-9]{2})?") {
            let _ = parse_datetime(&s);
        }

        #[test]
        fn integers_match_their_string(n in proptest::num::i64::ANY) {
            proptest::prop_assert!(check_ok_leaves(&json!(n.to_string()), &json!(n)).is_ok());
        }

        #[test]
        fn floats_match_themselves(f in -1e300f64..1e300) {
            proptest::prop_assert!(check_ok_leaves(&json!(f), &json!(f.to_string())).is_ok());
        }

        #[test]
        fn query_roundtrip(pairs in proptest::collection::vec(("[a-z ]{1,5}", ".{0,5}"), 0..4)) {
            let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
            let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            let decoded = decode_query(&q.join("&"));
            let expected: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            proptest::prop_assert_eq!(decoded, expected);
        }
    }
}
