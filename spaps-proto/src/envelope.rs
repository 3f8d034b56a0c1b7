//! Unwrapping SPAPS success envelopes.
//!
//! The server wraps most results as `{"success": true, "data": {...}, "message"?,
//! "metadata"?}`, but some endpoints answer with a bare object or put `message`,
//! `user` and `tokens` at the top level. [`Envelope`] reads the top level once,
//! keeping each value as raw JSON, so an endpoint can pick the field it needs
//! (`data`, then maybe a key inside it) and decode only that into its model.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::{DecodeError, Error};

/// The top level of a response body, with each value left undecoded.
pub struct Envelope<'a> {
    operation: &'static str,
    /// The body's JSON text, without the whitespace around it.
    whole: &'a str,
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// A raw JSON value located in a body, ready to decode.
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    operation: &'static str,
    path: &'static str,
    /// The value's JSON text.
    raw: &'a str,
}

impl<'a> Envelope<'a> {
    /// Reads the top level of `body`.
    ///
    /// # Errors
    /// [`Error::Decode`] when the body is empty or not JSON.
    pub fn parse(operation: &'static str, body: &'a [u8]) -> Result<Self, Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(DecodeError::new(operation, ".", "the body is empty").into());
        }
        // The usual body, a JSON object, is read in one pass. Reading the top level
        // validates the whole text, so it gives what the general path below gives.
        if let Ok(text) = std::str::from_utf8(body) {
            let whole = text.trim_matches(is_json_whitespace);
            if whole.starts_with('{') {
                if let Ok(TopLevel(fields)) = serde_json::from_str::<TopLevel<'a>>(text) {
                    return Ok(Self {
                        operation,
                        whole,
                        fields,
                    });
                }
            }
        }
        let whole: &RawValue = serde_json::from_slice(body)
            .map_err(|e| DecodeError::new(operation, ".", format!("not JSON: {e}")))?;
        let whole = whole.get();
        let fields = if whole.trim_start().starts_with('{') {
            serde_json::from_str::<TopLevel<'a>>(whole)
                .map_err(|e| DecodeError::new(operation, ".", e.to_string()))?
                .0
        } else {
            Vec::new()
        };
        Ok(Self {
            operation,
            whole,
            fields,
        })
    }

    /// `Envelope::parse(operation, body)?.decode_data()`, in one pass over the body
    /// when it is an object with a `data` key (the usual envelope).
    ///
    /// # Errors
    /// As [`Envelope::parse`] and [`Envelope::decode_data`].
    pub fn parse_data<T: DeserializeOwned>(
        operation: &'static str,
        body: &[u8],
    ) -> Result<T, Error> {
        match decode_at::<T>(body, &["data"]) {
            Some(value) => Ok(value),
            None => Envelope::parse(operation, body)?.decode_data(),
        }
    }

    /// `Envelope::parse(operation, body)?.data_or_key(key)?.decode()`, in one pass
    /// over the body when it has `data.<key>` (the usual envelope).
    ///
    /// # Errors
    /// As [`Envelope::parse`] and [`Slot::decode`].
    pub fn parse_data_or_key<T: DeserializeOwned>(
        operation: &'static str,
        body: &[u8],
        key: &'static str,
    ) -> Result<T, Error> {
        match decode_at::<T>(body, &["data", key]) {
            Some(value) => Ok(value),
            None => Envelope::parse(operation, body)?.data_or_key(key)?.decode(),
        }
    }

    /// The top-level value of `key`, when present (even when `null`).
    pub fn field(&self, key: &'static str) -> Option<Slot<'a>> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, raw)| Slot {
                operation: self.operation,
                path: key,
                raw: raw.get(),
            })
    }

    /// The whole body.
    pub fn whole(&self) -> Slot<'a> {
        Slot {
            operation: self.operation,
            path: ".",
            raw: self.whole,
        }
    }

    /// `data` when the key is present, else the whole body (the common envelope rule).
    pub fn data(&self) -> Slot<'a> {
        self.field("data").unwrap_or_else(|| self.whole())
    }

    /// `data.<key>` (or `<key>` of a bare body) when present, else what [`Self::data`] gives.
    ///
    /// # Errors
    /// [`Error::Decode`] when `data` is not valid JSON (it always is, once parsed).
    pub fn data_or_key(&self, key: &'static str) -> Result<Slot<'a>, Error> {
        let data = self.data();
        Ok(data.key(key)?.unwrap_or(data))
    }

    /// Decodes `data` (or the whole body) as `T`.
    ///
    /// # Errors
    /// [`Error::Decode`] naming the offending field.
    pub fn decode_data<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.data().decode()
    }
}

/// Where an endpoint's result sits in a 2xx body: each endpoint declares one
/// ([`Endpoint::SHAPE`](crate::Endpoint::SHAPE)) and [`decode`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// `data`, or the whole body when it has no `data` key (the usual envelope).
    Data,
    /// `data.<key>` (or `<key>` of a bare body) when present, else as [`Shape::Data`].
    DataOrKey(&'static str),
    /// `<key>` inside `data` (or inside a bare body), which must be present.
    DataKey(&'static str),
    /// The whole body, which is not an envelope.
    Whole,
    /// Read by the endpoint's own [`Endpoint::parse`](crate::Endpoint::parse): the body
    /// is not JSON, or the result is assembled from several places.
    Custom,
}

/// Decodes the value at `shape` of `body` as `T`.
///
/// # Errors
/// [`Error::Decode`] naming `operation` and the offending field; for
/// [`Shape::Custom`], which has no generic reading, always.
pub fn decode<T: DeserializeOwned>(
    operation: &'static str,
    shape: Shape,
    body: &[u8],
) -> Result<T, Error> {
    match shape {
        Shape::Data => Envelope::parse_data(operation, body),
        Shape::DataOrKey(key) => Envelope::parse_data_or_key(operation, body, key),
        Shape::DataKey(key) => Envelope::parse(operation, body)?
            .data()
            .key(key)?
            .ok_or_else(|| DecodeError::new(operation, key, format!("the response has no {key}")))?
            .decode(),
        Shape::Whole => Envelope::parse(operation, body)?.whole().decode(),
        Shape::Custom => Err(DecodeError::new(
            operation,
            ".",
            "the endpoint reads its body itself (Shape::Custom) but does not override parse",
        )
        .into()),
    }
}

impl<'a> Slot<'a> {
    /// True when the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.raw.trim() == "null"
    }

    /// True when the value is a JSON array.
    pub fn is_array(&self) -> bool {
        self.raw.trim_start().starts_with('[')
    }

    /// True when the value is a JSON object.
    pub fn is_object(&self) -> bool {
        self.raw.trim_start().starts_with('{')
    }

    /// The value of `key` inside this object, when this is an object that has it.
    ///
    /// # Errors
    /// [`Error::Decode`] when the object is malformed.
    pub fn key(&self, key: &'static str) -> Result<Option<Slot<'a>>, Error> {
        if !self.is_object() {
            return Ok(None);
        }
        let fields = serde_json::from_str::<TopLevel<'a>>(self.raw)
            .map_err(|e| DecodeError::new(self.operation, self.path, e.to_string()))?
            .0;
        Ok(fields
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, raw)| Slot {
                operation: self.operation,
                path: key,
                raw: raw.get(),
            }))
    }

    /// Decodes the value as `T`.
    ///
    /// # Errors
    /// [`Error::Decode`] with the path of the field that did not fit.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode_str(self.operation, self.path, self.raw)
    }

    /// Decodes the value as `T`, or `None` when it is `null`.
    ///
    /// # Errors
    /// [`Error::Decode`] with the path of the field that did not fit.
    pub fn decode_opt<T: DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        if self.is_null() {
            Ok(None)
        } else {
            self.decode().map(Some)
        }
    }
}

/// Decodes JSON text as `T`; on failure, decodes again tracking the path so the error
/// can name the offending field (the fast path pays nothing for it).
pub(crate) fn decode_str<T: DeserializeOwned>(
    operation: &'static str,
    base: &str,
    text: &str,
) -> Result<T, Error> {
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_str(text);
            let (path, reason) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => (
                    e.path().to_string(),
                    redact_strings(&e.into_inner().to_string()),
                ),
                Ok(_) => (".".to_owned(), redact_strings(&first.to_string())),
            };
            let full = match (base, path.as_str()) {
                (".", p) => p.to_owned(),
                (b, ".") => b.to_owned(),
                (b, p) if p.starts_with('[') => format!("{b}{p}"),
                (b, p) => format!("{b}.{p}"),
            };
            Err(DecodeError::new(operation, full, reason).into())
        }
    }
}

/// Drops quoted string values from a serde message (`invalid type: string "..."`),
/// so a token or password that landed in the wrong field never reaches an error.
fn redact_strings(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("string \"") {
        let (head, tail) = rest.split_at(start + "string".len());
        out.push_str(head);
        // Skip the quoted value: up to `", ` (serde's separator) or the last quote.
        let after_quote = &tail[2..];
        let end = after_quote
            .find("\", ")
            .or_else(|| after_quote.rfind('"'))
            .map_or(after_quote.len(), |i| i + 1);
        rest = &after_quote[end..];
    }
    out.push_str(rest);
    out
}

/// JSON's four whitespace characters (what `serde_json` skips around a value).
fn is_json_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Decodes the value at `path` (a chain of object keys) of `body` as `T`, in one pass.
///
/// `None` whenever the general path must decide instead: a body that is not UTF-8 or
/// not JSON, a key missing or repeated on the way, or a value that does not decode. So
/// a `Some` is exactly what [`Envelope::parse`] and [`Slot::decode`] give (the first
/// occurrence of each key, from a body that is valid JSON throughout), and every error
/// still comes from the general path, with its path and message.
fn decode_at<T: DeserializeOwned>(body: &[u8], path: &[&'static str]) -> Option<T> {
    // `Envelope::parse` refuses a body that is not UTF-8 anywhere, even in a value
    // nobody reads; `serde_json` checks only the strings it decodes.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = At::<T> {
        path,
        target: PhantomData,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

/// The value at `path` inside the object being read: other keys are skipped.
struct At<'p, T> {
    path: &'p [&'static str],
    target: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for At<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        match self.path.split_first() {
            None => T::deserialize(deserializer),
            Some((key, rest)) => deserializer.deserialize_map(AtKey {
                key,
                rest,
                target: PhantomData,
            }),
        }
    }
}

struct AtKey<'p, T> {
    key: &'static str,
    rest: &'p [&'static str],
    target: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for AtKey<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<T, M::Error> {
        use serde::de::Error as _;
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != self.key {
                map.next_value::<IgnoredAny>()?;
            } else if found.is_some() {
                return Err(M::Error::custom("repeated key"));
            } else {
                found = Some(map.next_value_seed(At::<T> {
                    path: self.rest,
                    target: PhantomData,
                })?);
            }
        }
        found.ok_or_else(|| M::Error::custom("missing key"))
    }
}

struct TopLevel<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for TopLevel<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = TopLevel<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<TopLevel<'a>, M::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(TopLevel(fields))
            }
        }
        deserializer.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct M {
        id: String,
        n: Option<u32>,
    }

    #[test]
    fn data_if_present_else_whole() {
        let e = Envelope::parse("t", br#"{"success":true,"data":{"id":"a"}}"#).unwrap();
        assert_eq!(
            e.decode_data::<M>().unwrap(),
            M {
                id: "a".into(),
                n: None
            }
        );
        let e = Envelope::parse("t", br#"{"id":"b","n":2}"#).unwrap();
        assert_eq!(e.decode_data::<M>().unwrap().id, "b");
    }

    #[test]
    fn second_level_key() {
        let e = Envelope::parse("t", br#"{"data":{"session":{"id":"s"}}}"#).unwrap();
        assert_eq!(
            e.data_or_key("session").unwrap().decode::<M>().unwrap().id,
            "s"
        );
        let e = Envelope::parse("t", br#"{"data":{"id":"t"}}"#).unwrap();
        assert_eq!(
            e.data_or_key("session").unwrap().decode::<M>().unwrap().id,
            "t"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = Envelope::parse("op", br#"{"data":{"id":"a","n":"x"}}"#).unwrap();
        match e.decode_data::<M>() {
            Err(Error::Decode(d)) => {
                assert_eq!(d.path, "data.n");
                assert_eq!(d.operation, "op");
            }
            other => panic!("{other:?}"),
        }
        let e = Envelope::parse("op", br#"{"data":null}"#).unwrap();
        assert!(matches!(e.decode_data::<M>(), Err(Error::Decode(_))));
    }

    #[test]
    fn decode_errors_never_repeat_string_values() {
        #[derive(Debug, serde::Deserialize)]
        struct N {
            #[allow(dead_code)]
            n: u32,
        }
        let e = Envelope::parse("op", br#"{"n":"at_secret_token, with, commas"}"#).unwrap();
        let err = e.decode_data::<N>().unwrap_err().to_string();
        assert!(!err.contains("at_secret"), "{err}");
        assert!(err.contains("invalid type: string"), "{err}");
        assert_eq!(
            redact_strings("a string \"x\", expected u8"),
            "a string, expected u8"
        );
        assert_eq!(redact_strings("no strings here"), "no strings here");
        assert_eq!(redact_strings("string \"unterminated"), "string");
    }

    #[test]
    fn escaped_keys_and_odd_bodies() {
        let e = Envelope::parse("t", br#"{"d\u0061ta":{"id":"esc"}}"#).unwrap();
        assert_eq!(e.decode_data::<M>().unwrap().id, "esc");
        assert!(Envelope::parse("t", b"").is_err());
        assert!(Envelope::parse("t", b"{").is_err());
        let arr = Envelope::parse("t", b"[1,2]").unwrap();
        assert_eq!(arr.decode_data::<Vec<u8>>().unwrap(), vec![1, 2]);
    }
}

#[cfg(test)]
mod one_pass_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct M {
        id: String,
        n: Option<u32>,
    }

    /// What the general path gives, as text (errors included).
    fn general_data(body: &[u8]) -> String {
        format!(
            "{:?}",
            Envelope::parse("op", body).and_then(|e| e.decode_data::<M>())
        )
    }

    fn general_key(body: &[u8]) -> String {
        format!(
            "{:?}",
            Envelope::parse("op", body).and_then(|e| e.data_or_key("session")?.decode::<M>())
        )
    }

    #[test]
    fn one_pass_gives_what_the_general_path_gives() {
        let bodies: &[&[u8]] = &[
            br#"{"success":true,"data":{"id":"a","n":1},"message":"ok"}"#,
            br#"  {"data":{"session":{"id":"s"},"x":[1,{"y":null}]}}  "#,
            br#"{"data":{"id":"t"}}"#,
            br#"{"id":"bare","n":2}"#,
            br#"{"data":{"id":"first"},"data":{"id":"second"}}"#,
            br#"{"data":{"session":{"id":"1"},"session":{"id":"2"}}}"#,
            br#"{"data":{"session":{"id":"esc"}}}"#,
            br#"{"data":{"id":"a","n":"x"}}"#,
            br#"{"data":null}"#,
            br#"{"data":{"session":null}}"#,
            br#"{"data":{"id":"a"}} trailing"#,
            br#"{"data":{"id":"a"},"x":"\u00e9"}"#,
            b"{\"data\":{\"id\":\"a\"},\"x\":\"\xff\"}",
            br#"{"data":{"id":"a"},"x":[[[[[[[[[[]]]]]]]]]]}"#,
            br#"[{"id":"a"}]"#,
            br#"{"data":{"id":"a"}"#,
            b"",
            b"   ",
            b"null",
        ];
        let deep = format!(
            r#"{{"data":{{"id":"a","x":{}{}}}}}"#,
            "[".repeat(300),
            "]".repeat(300)
        );
        let deep_data = format!(r#"{{"data":{}{}}}"#, "[".repeat(300), "]".repeat(300));
        let bodies = bodies
            .iter()
            .copied()
            .chain([deep.as_bytes(), deep_data.as_bytes()]);
        for body in bodies {
            let text = String::from_utf8_lossy(body);
            assert_eq!(
                format!("{:?}", Envelope::parse_data::<M>("op", body)),
                general_data(body),
                "{text}"
            );
            assert_eq!(
                format!(
                    "{:?}",
                    Envelope::parse_data_or_key::<M>("op", body, "session")
                ),
                general_key(body),
                "{text}"
            );
        }
    }

    #[test]
    fn single_pass_top_level_matches_the_raw_value_reading() {
        for body in [
            &br#" {"a":1,"data":{"b":[1,2]}} "#[..],
            br#"{"a":"\u00e9","b":{}}"#,
            b"\t{\"x\":null}\r\n",
        ] {
            let e = Envelope::parse("op", body).unwrap();
            let raw: &RawValue = serde_json::from_slice(body).unwrap();
            assert_eq!(e.whole, raw.get());
            let fields: Vec<(String, String)> = e
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.get().to_owned()))
                .collect();
            let expected: Vec<(String, String)> = serde_json::from_str::<TopLevel<'_>>(raw.get())
                .unwrap()
                .0
                .iter()
                .map(|(k, v)| (k.to_string(), v.get().to_owned()))
                .collect();
            assert_eq!(fields, expected);
        }
    }
}
