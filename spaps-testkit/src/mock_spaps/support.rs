//! What every group module of the mock uses: the outcome of a handler, body and query
//! readers that answer bad input with a contract error, and time formatting.

use std::borrow::Cow;

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::observed::ObservedRequest;
use crate::server::Reply;

/// A reply in the making.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `{"success": true, "data": ..., "metadata": ...}`.
    Ok(Value),
    /// `{"success": true, <these keys at the top level>, "metadata": ...}` (the auth
    /// endpoints that put `message`, `user` and `tokens` at the top level).
    Top(Map<String, Value>),
    /// A body sent as it is (metrics and health).
    Raw(Reply),
    /// `{"success": false, "error": {"code", "message"}, "metadata": ...}`.
    Err(u16, Cow<'static, str>, Cow<'static, str>),
}

/// What a handler returns; the error side is an error [`Outcome`], so `?` works on the
/// readers below.
pub(crate) type Res = Result<Outcome, Outcome>;

/// A `data` success.
pub(crate) fn ok(data: Value) -> Res {
    Ok(Outcome::Ok(data))
}

/// A top-level success; `value` must be an object.
pub(crate) fn top(value: Value) -> Res {
    match value {
        Value::Object(map) => Ok(Outcome::Top(map)),
        other => Ok(Outcome::Ok(other)),
    }
}

/// An error outcome.
pub(crate) fn fail(
    status: u16,
    code: impl Into<Cow<'static, str>>,
    message: impl Into<Cow<'static, str>>,
) -> Outcome {
    Outcome::Err(status, code.into(), message.into())
}

/// `400 VALIDATION_ERROR`.
pub(crate) fn invalid(message: impl Into<Cow<'static, str>>) -> Outcome {
    fail(400, "VALIDATION_ERROR", message)
}

/// `403 FORBIDDEN`.
pub(crate) fn forbidden() -> Outcome {
    fail(403, "FORBIDDEN", "Admin privileges required")
}

/// Unknown route.
pub(crate) fn no_route() -> Outcome {
    fail(404, "NOT_FOUND", "Route not found")
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// `t` plus `seconds` (saturating at `t`).
pub(crate) fn plus(t: OffsetDateTime, seconds: i64) -> OffsetDateTime {
    t.checked_add(TimeDuration::seconds(seconds)).unwrap_or(t)
}

/// An RFC 3339 date-time.
pub(crate) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A number as JSON: whole values as integers (`5`, not `5.0`).
pub(crate) fn number(value: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() <= EXACT {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// Whether `text` looks like an email address.
pub(crate) fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

pub(crate) fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// The request's JSON body, an object (an empty body is `{}`).
pub(crate) fn body(req: &ObservedRequest) -> Result<Body, Outcome> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body(Map::new()));
    }
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(map)) => Ok(Body(map)),
        _ => Err(invalid("Body must be a JSON object")),
    }
}

/// A JSON object body with typed readers; a wrong type is a `400 VALIDATION_ERROR`
/// naming the field.
#[derive(Debug, Clone)]
pub(crate) struct Body(pub(crate) Map<String, Value>);

fn wrong(name: &str, what: &str) -> Outcome {
    invalid(format!("{name} must be {what}"))
}

impl Body {
    fn present(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A required, non-blank string.
    pub(crate) fn text(&self, name: &str) -> Result<String, Outcome> {
        match self.present(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::String(_)) | None => Err(invalid(format!("{name} is required"))),
            Some(_) => Err(wrong(name, "a string")),
        }
    }

    /// An optional string (absent or null: `None`).
    pub(crate) fn opt_text(&self, name: &str) -> Result<Option<String>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong(name, "a string")),
        }
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong(name, "true or false")),
        }
    }

    pub(crate) fn opt_number(&self, name: &str) -> Result<Option<f64>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| wrong(name, "a number")),
        }
    }

    /// A required number.
    pub(crate) fn number(&self, name: &str) -> Result<f64, Outcome> {
        self.opt_number(name)?
            .ok_or_else(|| invalid(format!("{name} is required")))
    }

    pub(crate) fn opt_int(&self, name: &str) -> Result<Option<i64>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| wrong(name, "an integer")),
        }
    }

    /// An optional JSON object.
    pub(crate) fn opt_object(&self, name: &str) -> Result<Option<Map<String, Value>>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(wrong(name, "an object")),
        }
    }

    /// A required JSON object.
    pub(crate) fn object(&self, name: &str) -> Result<Map<String, Value>, Outcome> {
        self.opt_object(name)?
            .ok_or_else(|| invalid(format!("{name} is required")))
    }

    /// An optional array.
    pub(crate) fn opt_array(&self, name: &str) -> Result<Option<Vec<Value>>, Outcome> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a.clone())),
            Some(_) => Err(wrong(name, "an array")),
        }
    }

    /// An optional RFC 3339 date-time.
    pub(crate) fn opt_time(&self, name: &str) -> Result<Option<OffsetDateTime>, Outcome> {
        match self.opt_text(name)? {
            None => Ok(None),
            Some(text) => parse_time(&text)
                .map(Some)
                .ok_or_else(|| wrong(name, "an RFC 3339 date-time")),
        }
    }

    /// The raw value, when present and not null.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.present(name)
    }
}

/// The first value of a query parameter.
pub(crate) fn query<'r>(req: &'r ObservedRequest, name: &str) -> Option<&'r str> {
    req.query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The query parameter `name` when present and not empty.
pub(crate) fn query_non_empty<'r>(req: &'r ObservedRequest, name: &str) -> Option<&'r str> {
    query(req, name).filter(|v| !v.is_empty())
}

/// A `true`/`false` query parameter.
pub(crate) fn query_bool(req: &ObservedRequest, name: &str) -> Result<Option<bool>, Outcome> {
    match query_non_empty(req, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(wrong(name, "true or false")),
    }
}

/// `limit` (or another name) from the query: `default` when absent, else an integer in
/// `1..=max`.
pub(crate) fn query_limit_named(
    req: &ObservedRequest,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Outcome> {
    match query_non_empty(req, name) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(format!(
                "{name} must be an integer from 1 to {max}"
            ))),
        },
    }
}

/// `limit` from the query: `default` when absent, else an integer in `1..=max`.
pub(crate) fn query_limit(
    req: &ObservedRequest,
    default: usize,
    max: usize,
) -> Result<usize, Outcome> {
    query_limit_named(req, "limit", default, max)
}

/// `offset` (or another name) from the query: 0 when absent.
pub(crate) fn query_offset_named(req: &ObservedRequest, name: &str) -> Result<usize, Outcome> {
    match query_non_empty(req, name) {
        None => Ok(0),
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| wrong(name, "a non-negative integer")),
    }
}

/// A cursor page of `items` (already filtered): those after the item whose id is
/// `starting_after` (unknown cursor: `400`), at most `limit`. Returns the page and whether
/// more follow.
pub(crate) fn cursor_page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    starting_after: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, bool), Outcome> {
    let start = match starting_after {
        None => 0,
        Some(cursor) => match items.iter().position(|x| id(x) == cursor) {
            Some(i) => i + 1,
            None => return Err(invalid("starting_after is not a known id")),
        },
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    Ok((rest, more))
}

/// An offset page of `items`.
pub(crate) fn offset_page<T>(items: Vec<T>, offset: usize, limit: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

/// The `Authorization: Bearer` token, if any.
pub(crate) fn bearer_token(req: &ObservedRequest) -> Option<&str> {
    let value = req.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The path's segments, percent-decoded (an empty path gives none).
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}
