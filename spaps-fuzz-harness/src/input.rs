//! Reading fuzz inputs: the cursor, and the responses of a multi-response input.

use std::time::Duration;

use bytes::Bytes;
use http::header::{LOCATION, RETRY_AFTER};
use http::{HeaderValue, StatusCode};
use spaps_proto::Timestamp;

/// Separates the responses of a multi-response input (`fuzz_response`, `fuzz_device`).
pub const SEP: &[u8] = b"\n--spaps-next--\n";

/// At most this many responses are read from one input.
pub const MAX_RESPONSES: usize = 16;

/// The wall time every target starts at: 2025-01-15T12:00:00Z.
pub const WALL0: i64 = 1_736_942_400;

/// The statuses a response's status byte picks from (`byte % 32`).
pub const STATUSES: [u16; 32] = [
    200, 201, 202, 204, 206, 299, 400, 401, 402, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500,
    501, 502, 503, 504, 599, 100, 101, 301, 302, 303, 304, 307, 308,
];

/// A cursor over a fuzz input.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// One byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    /// Two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    /// Four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    /// Eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    /// The bytes up to the next `\n` (which is consumed), or all that is left.
    pub fn line(&mut self) -> &'a [u8] {
        match self.data.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &self.data[..i];
                self.data = &self.data[i + 1..];
                line
            }
            None => std::mem::take(&mut self.data),
        }
    }

    /// Everything left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Splits `data` on [`SEP`], keeping at most [`MAX_RESPONSES`] parts.
pub fn split_responses(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_RESPONSES {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// A response as the fuzzed bytes describe it:
/// `[status byte][header byte] body...`.
///
/// The status is `STATUSES[status byte % 32]`. Header byte bits: `1` an `x-request-id`,
/// `2` a `Retry-After` of `bits 4..8` seconds (`4`: written as an HTTP-date instead),
/// `8` a `Location`.
pub fn decode_response(chunk: &[u8], wall: Timestamp) -> http::Response<Bytes> {
    let mut input = Input::new(chunk);
    let status = STATUSES[usize::from(input.u8()) % STATUSES.len()];
    let h = input.u8();
    let mut response = http::Response::new(Bytes::copy_from_slice(input.rest()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if h & 1 != 0 {
        headers.insert("x-request-id", HeaderValue::from_static("req_fuzz"));
    }
    if h & 2 != 0 {
        let secs = u64::from(h >> 4);
        let value = if h & 4 != 0 {
            http_date(wall.saturating_add(Duration::from_secs(secs)))
        } else {
            secs.to_string()
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(RETRY_AFTER, v);
        }
    }
    if h & 8 != 0 {
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://elsewhere.example/x"),
        );
    }
    response
}

/// Writes one response chunk for [`decode_response`]. A status missing from
/// [`STATUSES`] becomes the first of its class.
pub fn encode_response(
    status: u16,
    request_id: bool,
    retry_after_secs: Option<u64>,
    body: &[u8],
) -> Vec<u8> {
    let index = STATUSES
        .iter()
        .position(|&s| s == status)
        .or_else(|| STATUSES.iter().position(|&s| s / 100 == status / 100))
        .unwrap_or(0);
    let mut h = 0u8;
    if request_id {
        h |= 1;
    }
    if let Some(secs) = retry_after_secs {
        h |= 2 | ((secs.min(15) as u8) << 4);
    }
    let mut out = vec![index as u8, h];
    out.extend_from_slice(body);
    out
}

/// Joins response chunks with [`SEP`].
pub fn join_responses(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEP);
        }
        out.extend_from_slice(chunk);
    }
    out
}

/// An IMF-fixdate (`Wed, 15 Jan 2025 12:00:00 GMT`), without a date crate.
fn http_date(t: Timestamp) -> String {
    let odt = t.as_offset_date_time();
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(odt.weekday().number_days_from_monday())],
        odt.day(),
        MONTHS[usize::from(u8::from(odt.month()) - 1)],
        odt.year(),
        odt.hour(),
        odt.minute(),
        odt.second()
    )
}
