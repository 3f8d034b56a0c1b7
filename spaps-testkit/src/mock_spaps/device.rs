//! Device-code login (RFC 8628) of the mock SPAPS, approved automatically.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    fail, json_body, Outcome, State, ACCESS_TOKEN_TTL_S, DEMO_EMAIL, DEVICE_CODE_TTL_S,
    DEVICE_PENDING_POLLS, DEVICE_VERIFICATION_URI,
};
use crate::matching::ObservedRequest;

/// The device codes handed out and not yet spent.
#[derive(Debug)]
pub(super) struct DeviceCodes {
    interval_s: u64,
    issued: u64,
    pub(super) codes: Vec<DeviceCode>,
}

#[derive(Debug)]
pub(super) struct DeviceCode {
    device_code: String,
    interval: Duration,
    pub(super) expires_at: Instant,
    pending_answers: u32,
    last_poll: Option<Instant>,
}

impl DeviceCodes {
    pub(super) fn new(interval_s: u64) -> DeviceCodes {
        DeviceCodes {
            interval_s,
            issued: 0,
            codes: Vec::new(),
        }
    }

    pub(super) fn set_interval(&mut self, seconds: u64) {
        self.interval_s = seconds;
    }
}

/// A user code such as `WDJB-MJHT`, from consonants only (RFC 8628 §6.1).
fn user_code(n: u64) -> String {
    const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ n;
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[(x % 20) as usize]));
        x /= 20;
    }
    code
}

impl State {
    /// `POST /api/cli/device/authorize`.
    pub(super) fn device_authorize(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return fail(400, "invalid_request", "Body must be a JSON object");
        };
        if !matches!(
            body.get("scope"),
            None | Some(Value::Null | Value::String(_))
        ) {
            return fail(400, "invalid_request", "scope must be a string");
        }
        let device = &mut self.device;
        device.issued += 1;
        let n = device.issued;
        let user_code = user_code(n);
        device.codes.push(DeviceCode {
            device_code: format!("devc_mock_{n}"),
            interval: Duration::from_secs(device.interval_s),
            expires_at: Instant::now() + Duration::from_secs(DEVICE_CODE_TTL_S),
            pending_answers: 0,
            last_poll: None,
        });
        Outcome::Ok(json!({
            "device_code": format!("devc_mock_{n}"),
            "user_code": user_code,
            "verification_uri": DEVICE_VERIFICATION_URI,
            "verification_uri_complete":
                format!("{DEVICE_VERIFICATION_URI}?user_code={user_code}"),
            "expires_in": DEVICE_CODE_TTL_S,
            "interval": device.interval_s,
        }))
    }

    /// `POST /api/cli/device/token`.
    pub(super) fn device_token(&mut self, req: &ObservedRequest) -> Outcome {
        let Some(body) = json_body(req) else {
            return fail(400, "invalid_request", "Body must be a JSON object");
        };
        let Some(device_code) = body
            .get("device_code")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
        else {
            return fail(400, "invalid_request", "device_code is required");
        };
        let codes = &mut self.device.codes;
        let Some(index) = codes.iter().position(|c| c.device_code == device_code) else {
            return fail(400, "invalid_grant", "Unknown or already used device code");
        };
        let at = Instant::now();
        let code = &mut codes[index];
        if at >= code.expires_at {
            codes.remove(index);
            return fail(400, "expired_token", "The device code has expired");
        }
        let too_soon = code
            .last_poll
            .is_some_and(|last| at.duration_since(last) < code.interval);
        code.last_poll = Some(at);
        if too_soon {
            return fail(
                400,
                "slow_down",
                "Polling too fast: wait the interval between polls",
            );
        }
        if code.pending_answers < DEVICE_PENDING_POLLS {
            code.pending_answers += 1;
            return fail(400, "authorization_pending", "User has not yet authorized");
        }
        // Approved (in the mock, by nobody): the code is spent and a session opened.
        codes.remove(index);
        let session = self.open_session(DEMO_EMAIL);
        Outcome::Ok(json!({
            "access_token": session.access_token,
            "refresh_token": session.refresh_token,
            "expires_in": ACCESS_TOKEN_TTL_S,
            "token_type": "Bearer",
        }))
    }
}
