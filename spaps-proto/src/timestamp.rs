//! [`Timestamp`]: the one typed point in time of the SDK.
//!
//! SPAPS sends times as RFC 3339 strings, as ISO 8601 strings without an offset, and as
//! Unix seconds, sometimes within one endpoint. `Timestamp` accepts all three and
//! serializes as RFC 3339, so a model never holds a time as a bare string or integer.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// A point in time, in UTC, with nanosecond precision.
///
/// ```
/// use spaps_proto::Timestamp;
/// let a: Timestamp = serde_json::from_str("\"2025-01-15T12:00:00Z\"").unwrap();
/// let b: Timestamp = serde_json::from_str("1736942400").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.unix_seconds(), 1_736_942_400);
/// assert_eq!(serde_json::to_string(&a).unwrap(), "\"2025-01-15T12:00:00Z\"");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp(OffsetDateTime::UNIX_EPOCH);

    /// From whole Unix seconds. `None` when out of range.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// From a wall-clock time read by the caller.
    pub fn from_system_time(time: SystemTime) -> Self {
        Self(OffsetDateTime::from(time))
    }

    /// Parses RFC 3339, ISO 8601 without an offset (taken as UTC), or decimal Unix seconds.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some(Self(t.to_offset(time::UtcOffset::UTC)));
        }
        let naive = format_description!(
            version = 2,
            "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        if let Ok(t) = PrimitiveDateTime::parse(text, &naive) {
            return Some(Self(t.assume_utc()));
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<i64>().ok().and_then(Self::from_unix_seconds);
        }
        None
    }

    /// Whole seconds since the Unix epoch (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The underlying [`time::OffsetDateTime`], in UTC.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        SystemTime::from(self.0)
    }

    /// This time plus `duration`, saturating at the largest representable time.
    pub fn saturating_add(&self, duration: Duration) -> Self {
        let d = time::Duration::try_from(duration).unwrap_or(time::Duration::MAX);
        Self(
            self.0
                .checked_add(d)
                .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc()),
        )
    }

    /// This time minus `duration`, saturating at the earliest representable time.
    pub fn saturating_sub(&self, duration: Duration) -> Self {
        let d = time::Duration::try_from(duration).unwrap_or(time::Duration::MAX);
        Self(
            self.0
                .checked_sub(d)
                .unwrap_or_else(|| time::PrimitiveDateTime::MIN.assume_utc()),
        )
    }

    /// How long after `earlier` this time is; zero when it is not after it.
    pub fn duration_since(&self, earlier: Timestamp) -> Duration {
        Duration::try_from(self.0 - earlier.0).unwrap_or(Duration::ZERO)
    }

    /// RFC 3339, e.g. `2025-01-15T12:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.unix_seconds().to_string())
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        Self(value.to_offset(time::UtcOffset::UTC))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(value: SystemTime) -> Self {
        Self::from_system_time(value)
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Self::from_system_time(UNIX_EPOCH)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time or Unix seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Timestamp::from_unix_seconds(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Timestamp::from_unix_seconds)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                if !v.is_finite() || v.abs() > 1e15 {
                    return Err(E::invalid_value(de::Unexpected::Float(v), &self));
                }
                let nanos = (v * 1e9).round() as i128;
                OffsetDateTime::from_unix_timestamp_nanos(nanos)
                    .map(Timestamp)
                    .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_snapping_back() {
        let now = Timestamp::from_unix_seconds(1_736_942_400).unwrap();
        // Before the fix, an overflow returned `now` itself: a token with
        // `expires_in: u64::MAX` looked expired at once.
        for secs in [u64::MAX, 1_000_000_000_000, i64::MAX as u64] {
            let later = now.saturating_add(Duration::from_secs(secs));
            assert!(later > now, "{secs}");
            assert_eq!(later, now.saturating_add(Duration::MAX));
        }
        assert!(now.saturating_sub(Duration::MAX) < now);
        assert_eq!(
            now.saturating_add(Duration::from_secs(60)).unix_seconds(),
            1_736_942_460
        );
    }

    #[test]
    fn accepts_every_wire_shape() {
        let want = Timestamp::from_unix_seconds(1_736_942_400).unwrap();
        for text in [
            "\"2025-01-15T12:00:00Z\"",
            "\"2025-01-15T12:00:00+00:00\"",
            "\"2025-01-15T13:00:00+01:00\"",
            "\"2025-01-15T12:00:00\"",
            "\"2025-01-15 12:00:00\"",
            "1736942400",
            "1736942400.0",
        ] {
            let got: Timestamp = serde_json::from_str(text).unwrap();
            assert_eq!(got, want, "{text}");
        }
        let frac: Timestamp = serde_json::from_str("\"2026-01-01T00:00:00.123456+00:00\"").unwrap();
        assert_eq!(frac.unix_seconds(), 1_767_225_600);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for text in [
            "\"\"",
            "\"tomorrow\"",
            "true",
            "[]",
            "1e300",
            "-1e300",
            "\"2025-13-45T00:00:00Z\"",
        ] {
            assert!(serde_json::from_str::<Timestamp>(text).is_err(), "{text}");
        }
    }
}
