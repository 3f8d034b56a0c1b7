//! Device-code login (RFC 8628): pending, slow_down, approval (by a test, or
//! automatically), denial and expiry, on the mock's clock.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::support::{body, fail, ok, plus, Outcome, Res};
use super::{State, DEMO_EMAIL, DEVICE_CODE_TTL_S, DEVICE_PENDING_POLLS, DEVICE_VERIFICATION_URI};
use crate::observed::ObservedRequest;

/// The device codes handed out and not yet spent.
#[derive(Debug)]
pub(crate) struct DeviceCodes {
    interval_s: u64,
    pub(crate) codes: Vec<DeviceCode>,
}

#[derive(Debug)]
pub(crate) struct DeviceCode {
    device_code: String,
    user_code: String,
    interval_s: u64,
    pub(crate) expires_at: OffsetDateTime,
    pending_answers: u32,
    last_poll: Option<std::time::Instant>,
    decision: Option<Decision>,
}

#[derive(Debug, Clone)]
enum Decision {
    Approved(String),
    Denied,
}

impl DeviceCodes {
    pub(crate) fn new(interval_s: u64) -> DeviceCodes {
        DeviceCodes {
            interval_s,
            codes: Vec::new(),
        }
    }

    pub(crate) fn set_interval(&mut self, seconds: u64) {
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

fn rfc_error(status: u16, code: &'static str, message: &'static str) -> Outcome {
    fail(status, code, message)
}

impl State {
    pub(crate) fn route_device(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        match (m, s) {
            ("POST", ["api", "cli", "device", "authorize"]) => Some(self.device_authorize(req)),
            ("POST", ["api", "cli", "device", "token"]) => Some(self.device_token(req)),
            _ => None,
        }
    }

    fn find_user_code(&mut self, user_code: &str) -> Option<&mut DeviceCode> {
        let now = self.now;
        self.device
            .codes
            .iter_mut()
            .find(|c| c.user_code.eq_ignore_ascii_case(user_code.trim()) && now < c.expires_at)
    }

    pub(crate) fn approve_device(&mut self, user_code: &str, email: &str) -> bool {
        let user = self.user_for_email(email);
        match self.find_user_code(user_code) {
            Some(code) => {
                code.decision = Some(Decision::Approved(user));
                true
            }
            None => false,
        }
    }

    pub(crate) fn deny_device(&mut self, user_code: &str) -> bool {
        match self.find_user_code(user_code) {
            Some(code) => {
                code.decision = Some(Decision::Denied);
                true
            }
            None => false,
        }
    }

    /// `POST /api/cli/device/authorize`.
    fn device_authorize(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)
            .map_err(|_| rfc_error(400, "invalid_request", "Body must be a JSON object"))?;
        if !matches!(
            b.0.get("scope"),
            None | Some(Value::Null | Value::String(_))
        ) {
            return Err(rfc_error(400, "invalid_request", "scope must be a string"));
        }
        let n = self.next_number("device");
        let user_code = user_code(n);
        let interval_s = self.device.interval_s;
        self.device.codes.push(DeviceCode {
            device_code: format!("devc_mock_{n}"),
            user_code: user_code.clone(),
            interval_s,
            expires_at: plus(self.now, DEVICE_CODE_TTL_S as i64),
            pending_answers: 0,
            last_poll: None,
            decision: None,
        });
        ok(json!({
            "device_code": format!("devc_mock_{n}"),
            "user_code": user_code,
            "verification_uri": DEVICE_VERIFICATION_URI,
            "verification_uri_complete":
                format!("{DEVICE_VERIFICATION_URI}?user_code={user_code}"),
            "expires_in": DEVICE_CODE_TTL_S,
            "interval": interval_s,
        }))
    }

    /// `POST /api/cli/device/token`.
    fn device_token(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)
            .map_err(|_| rfc_error(400, "invalid_request", "Body must be a JSON object"))?;
        let Some(device_code) =
            b.0.get("device_code")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
        else {
            return Err(rfc_error(400, "invalid_request", "device_code is required"));
        };
        let now = self.now;
        let codes = &mut self.device.codes;
        let Some(index) = codes.iter().position(|c| c.device_code == device_code) else {
            return Err(rfc_error(
                400,
                "invalid_grant",
                "Unknown or already used device code",
            ));
        };
        let code = &mut codes[index];
        if now >= code.expires_at {
            codes.remove(index);
            return Err(rfc_error(
                400,
                "expired_token",
                "The device code has expired",
            ));
        }
        // Polling speed is measured in real time, so a test that advances the clock does
        // not trip it.
        let at = std::time::Instant::now();
        let too_soon = code.last_poll.is_some_and(|last| {
            at.duration_since(last) < std::time::Duration::from_secs(code.interval_s)
        });
        code.last_poll = Some(at);
        if too_soon {
            code.interval_s += 5;
            return Err(rfc_error(
                400,
                "slow_down",
                "Polling too fast: wait the interval between polls",
            ));
        }
        let user = match code.decision.clone() {
            Some(Decision::Denied) => {
                codes.remove(index);
                return Err(rfc_error(403, "access_denied", "The user denied the login"));
            }
            Some(Decision::Approved(user)) => user,
            None if code.pending_answers < DEVICE_PENDING_POLLS => {
                code.pending_answers += 1;
                return Err(rfc_error(
                    400,
                    "authorization_pending",
                    "User has not yet authorized",
                ));
            }
            None => String::new(),
        };
        codes.remove(index);
        let user = if user.is_empty() {
            self.user_for_email(DEMO_EMAIL)
        } else {
            user
        };
        let session = self.open_session(&user, Some(req));
        ok(json!({
            "access_token": session.access_token,
            "refresh_token": session.refresh_token,
            "expires_in": self.access_ttl_s,
            "token_type": "Bearer",
        }))
    }
}
