//! Representative response bodies, shaped like the recorded cassettes: shared by the
//! criterion benches (`benches/core.rs`) and the `spaps-bench` binary.

use std::fmt::Write;

const META: &str =
    r#""metadata":{"request_id":"req_6399a8720f_1","timestamp":"2025-01-15T12:00:00Z"}"#;

/// The body of a password sign-in: a token pair and its user.
pub fn sign_in() -> Vec<u8> {
    format!(
        r#"{{"success":true,"data":{{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2ZjFjMmE5ZS04YjFkLTRlN2EtOWMyZi01ZDhlMWE3YjRjNjAiLCJhcHAiOiIwYjdlNGQyYSIsImV4cCI6MTczNjk0MzMwMH0.Qm9ndXNTaWduYXR1cmVGb3JCZW5jaG1hcmtz","refresh_token":"rt_0a4f2c8e9d1b3a5c7e9f0a2b4c6d8e0f","expires_in":900,"token_type":"Bearer","user":{{"id":"6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60","email":"ada@example.com","username":"ada","wallets":["0x742d35Cc6634C0532925a3b844Bc454e4438f44e"],"tier":"pro","email_confirmed":true,"phone_number":"+15555550123"}}}},"message":"Login successful",{META}}}"#
    )
    .into_bytes()
}

/// The body of `GET /api/sessions/current`.
pub fn current_session() -> Vec<u8> {
    format!(
        r#"{{"success":true,"data":{{"session":{{"id":"sess_01JHK3Q9Z7X4W2V8T6R5P3N1M0","user_id":"6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60","application_id":"0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69","tier":"pro","created_at":"2025-01-15T11:17:30Z","expires_at":"2025-01-15T12:17:30Z","last_activity":"2025-01-15T11:56:45Z","wallets_count":1,"duration_minutes":42.5,"idle_minutes":3.25}}}},{META}}}"#
    )
    .into_bytes()
}

/// The body of a product list with prices.
pub fn product_list() -> Vec<u8> {
    let mut products = Vec::new();
    for (i, (name, amount)) in [("Pro", 2000), ("Team", 9900), ("Starter", 500)]
        .into_iter()
        .enumerate()
    {
        products.push(format!(
            r#"{{"id":"prod_Rz{name}{i}","name":"Sweet Potato {name}","description":"Unlimited sessions and priority support","images":["https://cdn.example.com/products/{i}.png"],"active":true,"metadata":{{"category":"subscriptions","tier":"{name}"}},"prices":[{{"id":"price_1Qb{name}Monthly","unit_amount":{amount},"currency":"usd","type":"recurring","recurring":{{"interval":"month","interval_count":1}},"nickname":"{name} monthly","active":true}},{{"id":"price_1Qb{name}Yearly","unit_amount":{yearly},"currency":"usd","type":"recurring","recurring":{{"interval":"year","interval_count":1}},"nickname":"{name} yearly","active":true}}],"default_price":{{"id":"price_1Qb{name}Monthly","unit_amount":{amount},"currency":"usd"}},"created_at":"2024-11-02T09:30:00Z"}}"#,
            yearly = amount * 10
        ));
    }
    format!(
        r#"{{"success":true,"data":{{"products":[{}],"total":3}},{META}}}"#,
        products.join(",")
    )
    .into_bytes()
}

/// The body of a session list with `n` sessions.
pub fn session_list(n: usize) -> Vec<u8> {
    let mut items = String::new();
    for i in 0..n {
        if i > 0 {
            items.push(',');
        }
        let _ = write!(
            items,
            r#"{{"id":"sess_01JHK3Q9Z7X4W2V8T6R5P{i:05}","user_id":"6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60","application_id":"0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69","created_at":"2025-01-15T11:17:30Z","expires_at":"2025-01-15T12:17:30Z","last_used":"2025-01-15T11:56:45Z","last_activity":"2025-01-15T11:56:45Z","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15","ip_address":"203.0.113.24","is_current":{}}}"#,
            i == 0
        );
    }
    format!(r#"{{"success":true,"data":{{"sessions":[{items}],"total":{n}}},{META}}}"#).into_bytes()
}

/// A webhook event padded to exactly `size` bytes.
pub fn webhook_body(size: usize) -> Vec<u8> {
    let head = r#"{"id":"evt_1","type":"entitlement.granted","schema_version":1,"application_id":"app","created_at":"2025-01-15T12:00:00Z","data":{"entitlement_id":"ent_1","entitlement_key":"pro","source":"stripe","starts_at":"2025-01-15T12:00:00Z","metadata":{"pad":""#;
    let tail = r#""}}}"#;
    let mut body = head.as_bytes().to_vec();
    body.resize(size.saturating_sub(tail.len()).max(head.len()), b'x');
    body.extend_from_slice(tail.as_bytes());
    body
}

/// The 32 bytes a 64-digit hex string encodes (a webhook signature).
pub fn hex32(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}
