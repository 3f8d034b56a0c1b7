//! [`Decimal`]: an exact decimal amount, kept as its decimal text.
//!
//! SPAPS sends decimal amounts both as strings (`"12.50"`, crypto) and as JSON numbers
//! (`29.99`, balances and deposits). `Decimal` keeps the digits, never an `f64`: a
//! string is kept as sent; a JSON number is read back as the shortest text that
//! round-trips, which is the text the server wrote for any amount of up to 15
//! significant digits. Minor-unit amounts (cents) are plain integers in the models.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal number such as `12.50`, `-3` or `0.000001`.
///
/// ```
/// use spaps_proto::Decimal;
/// let a: Decimal = "12.50".parse()?;
/// assert_eq!(a.as_str(), "12.50");
/// let b: Decimal = serde_json::from_str("29.99").unwrap();
/// assert_eq!(b.to_string(), "29.99");
/// assert_eq!(serde_json::to_string(&a).unwrap(), "\"12.50\"");
/// # Ok::<(), spaps_proto::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// From a whole number (e.g. minor units).
    pub fn from_integer(value: i64) -> Self {
        Self(value.to_string())
    }

    fn parse_text(text: &str) -> Option<Self> {
        let t = text.trim();
        let digits = t.strip_prefix('-').unwrap_or(t);
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let ok_int = !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit());
        let ok_frac = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        (ok_int && ok_frac && t.len() <= 64).then(|| Self(t.to_owned()))
    }

    fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        // `{}` prints the shortest text that reads back as the same f64.
        let text = format!("{value}");
        if text.contains('e') {
            return None;
        }
        Self::parse_text(&text)
    }
}

impl FromStr for Decimal {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_text(s).ok_or_else(|| {
            crate::Error::invalid("decimal", format!("`{s}` is not a decimal number"))
        })
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Decimal {
    /// As a JSON string, which no JSON reader rounds.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number or a string holding one")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
                Decimal::parse_text(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
                Decimal::from_f64(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Serializes a [`Decimal`] as a JSON number, for the few request fields the server
/// reads as numbers: `#[serde(serialize_with = "spaps_proto::decimal::as_number")]`.
///
/// # Errors
/// When the decimal does not fit an `f64` (never for a money amount).
pub fn as_number<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    if !value.0.contains('.') {
        if let Ok(i) = value.0.parse::<i64>() {
            return serializer.serialize_i64(i);
        }
    }
    let f: f64 = value
        .0
        .parse()
        .map_err(|_| serde::ser::Error::custom("decimal out of range"))?;
    serializer.serialize_f64(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_kept_exactly() {
        for s in [
            "0",
            "12.50",
            "-3",
            "0.000001",
            "123456789012345678901234567890.123",
        ] {
            let d: Decimal = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(d.as_str(), s);
        }
    }

    #[test]
    fn numbers_read_back_as_written() {
        for (json, want) in [
            ("29.99", "29.99"),
            ("0.1", "0.1"),
            ("100", "100"),
            ("-0.5", "-0.5"),
            ("1234567.89", "1234567.89"),
        ] {
            let d: Decimal = serde_json::from_str(json).unwrap();
            assert_eq!(d.as_str(), want);
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for json in [
            "\"\"", "\"1.\"", "\"abc\"", "\"1e5\"", "true", "null", "[]", "1e300",
        ] {
            assert!(serde_json::from_str::<Decimal>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn as_number_writes_a_json_number() {
        #[derive(Serialize)]
        struct B {
            #[serde(serialize_with = "as_number")]
            amount: Decimal,
        }
        let b = B {
            amount: "0.5".parse().unwrap(),
        };
        assert_eq!(serde_json::to_string(&b).unwrap(), "{\"amount\":0.5}");
        let b = B {
            amount: "100".parse().unwrap(),
        };
        assert_eq!(serde_json::to_string(&b).unwrap(), "{\"amount\":100}");
    }
}
