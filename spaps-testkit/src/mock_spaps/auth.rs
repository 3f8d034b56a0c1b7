//! Users and the auth endpoints: password sign-in, registration, refresh, magic links,
//! wallet nonces, password reset and set-password, the current user, logout.

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{body, fail, invalid, is_email, ok, plus, rfc3339, top, Body, Outcome, Res};
use super::{SentCode, State, DEMO_PASSWORD};
use crate::observed::ObservedRequest;

/// Lifetime of magic links and password-reset tokens, in seconds.
const LINK_TTL_S: i64 = 15 * 60;
/// Lifetime of wallet nonces, in seconds.
const NONCE_TTL_S: i64 = 5 * 60;
/// Shortest accepted password.
const MIN_PASSWORD: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct Users {
    list: Vec<User>,
    /// Codes "sent", for tests to read.
    pub(crate) codes: Vec<SentCode>,
    /// Magic links, reset tokens and nonces not yet used.
    one_time: Vec<OneTime>,
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) email: Option<String>,
    password: Option<String>,
    pub(crate) username: Option<String>,
    phone_number: Option<String>,
    /// (address, chain)
    pub(crate) wallets: Vec<(String, Option<String>)>,
    /// The tier when no `pro_plan` entitlement says otherwise.
    pub(crate) tier: Option<String>,
    pub(crate) admin: bool,
    email_confirmed: bool,
    metadata: Map<String, Value>,
}

#[derive(Debug)]
struct OneTime {
    kind: &'static str,
    code: String,
    /// Email, or wallet address for a nonce.
    to: String,
    expires_at: OffsetDateTime,
}

impl Users {
    pub(crate) fn get(&self, id: &str) -> Option<&User> {
        self.list.iter().find(|u| u.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut User> {
        self.list.iter_mut().find(|u| u.id == id)
    }

    /// The user with `email` (case-insensitive).
    pub(crate) fn by_email(&self, email: &str) -> Option<&User> {
        self.list.iter().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    pub(crate) fn email_of(&self, id: &str) -> Option<&str> {
        self.get(id).and_then(|u| u.email.as_deref())
    }

    pub(crate) fn all(&self) -> &[User] {
        &self.list
    }

    /// Takes the unexpired code of `kind`, if `code` is one.
    fn take(&mut self, kind: &str, code: &str, now: OffsetDateTime) -> Option<String> {
        let i = self
            .one_time
            .iter()
            .position(|o| o.kind == kind && o.code == code)?;
        let o = self.one_time.remove(i);
        (now < o.expires_at).then_some(o.to)
    }
}

fn short_password() -> Outcome {
    invalid(format!(
        "password must be at least {MIN_PASSWORD} characters"
    ))
}

fn normalize(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

impl State {
    /// Creates the user `email` (normalized); returns its id.
    pub(crate) fn create_user(&mut self, email: &str, password: Option<&str>) -> String {
        let id = format!("user_{}", self.users.list.len() + 1);
        self.users.list.push(User {
            id: id.clone(),
            email: Some(normalize(email)),
            password: password.map(str::to_owned),
            username: None,
            phone_number: None,
            wallets: Vec::new(),
            tier: None,
            admin: false,
            email_confirmed: true,
            metadata: Map::new(),
        });
        id
    }

    /// The id of the user `email`, created (passwordless) when unknown.
    pub(crate) fn user_for_email(&mut self, email: &str) -> String {
        match self.users.by_email(email) {
            Some(u) => u.id.clone(),
            None => self.create_user(email, None),
        }
    }

    /// Loads one fixture user.
    pub(crate) fn add_fixture_user(&mut self, v: &Value) -> Result<(), String> {
        let email = v["email"]
            .as_str()
            .filter(|e| is_email(e))
            .ok_or("a fixture user needs an email")?;
        if self.users.by_email(email).is_some() {
            return Err(format!("fixture user {email} already exists"));
        }
        let password = v["password"].as_str().unwrap_or(DEMO_PASSWORD);
        let id = self.create_user(email, Some(password));
        let user = self.users.get_mut(&id).ok_or("lost user")?;
        user.admin = v["admin"].as_bool().unwrap_or(false);
        user.username = v["username"].as_str().map(str::to_owned);
        user.tier = v["tier"].as_str().map(str::to_owned);
        user.phone_number = v["phone_number"].as_str().map(str::to_owned);
        if let Some(m) = v["metadata"].as_object() {
            user.metadata = m.clone();
        }
        Ok(())
    }

    /// `pro` while the user holds `pro_plan`, else the user's own tier, else `free`.
    pub(crate) fn tier_of(&self, user_id: &str) -> String {
        if self.holds(user_id, "pro_plan", None, None) {
            return "pro".to_owned();
        }
        self.users
            .get(user_id)
            .and_then(|u| u.tier.clone())
            .unwrap_or_else(|| "free".to_owned())
    }

    /// The user as a token response carries it.
    fn token_user(&self, user_id: &str) -> Value {
        let Some(u) = self.users.get(user_id) else {
            return json!({"id": user_id});
        };
        let wallets: Vec<&str> = u.wallets.iter().map(|(a, _)| a.as_str()).collect();
        let first = u.wallets.first();
        json!({
            "id": u.id,
            "email": u.email,
            "username": u.username,
            "wallet_address": first.map(|w| &w.0),
            "chain": first.and_then(|w| w.1.as_deref()),
            "wallets": wallets,
            "tier": self.tier_of(user_id),
            "email_confirmed": u.email_confirmed,
            "phone_number": u.phone_number,
        })
    }

    /// The `data` of a login or refresh.
    fn token_pair(&self, s: &super::sessions::Session) -> Value {
        json!({
            "access_token": s.access_token,
            "refresh_token": s.refresh_token,
            "expires_in": self.access_ttl_s,
            "token_type": "Bearer",
            "user": self.token_user(&s.user_id),
        })
    }

    /// `tokens` of registration and magic-link answers.
    fn tokens(&self, s: &super::sessions::Session) -> Value {
        json!({
            "access_token": s.access_token,
            "refresh_token": s.refresh_token,
            "expires_in": self.access_ttl_s,
        })
    }

    fn profile(&self, user_id: &str) -> Value {
        let Some(u) = self.users.get(user_id) else {
            return json!({"id": user_id});
        };
        let wallets: Vec<Value> = u
            .wallets
            .iter()
            .map(|(a, c)| json!({"wallet_address": a, "chain_type": c, "verified": true}))
            .collect();
        json!({
            "id": u.id,
            "username": u.username,
            "email": u.email,
            "phone_number": u.phone_number,
            "wallets": wallets,
            "tier": self.tier_of(user_id),
            "metadata": u.metadata,
            "role": if u.admin { "admin" } else { "user" },
        })
    }

    fn send_code(&mut self, kind: &'static str, prefix: &str, to: &str, ttl: i64) -> String {
        let n = self.next_number(kind);
        let code = if kind == "nonce" {
            format!(
                "{:032x}",
                n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5f3a_11c2
            )
        } else {
            format!("{prefix}_mock_{n}")
        };
        self.users.one_time.push(OneTime {
            kind,
            code: code.clone(),
            to: to.to_owned(),
            expires_at: plus(self.now, ttl),
        });
        self.users.codes.push(SentCode {
            kind,
            to: to.to_owned(),
            code: code.clone(),
        });
        code
    }

    pub(crate) fn route_auth(&mut self, m: &str, s: &[&str], req: &ObservedRequest) -> Option<Res> {
        let ["api", "auth", name] = s else {
            return None;
        };
        Some(match (m, *name) {
            ("POST", "nonce") => self.request_nonce(req),
            ("POST", "wallet-sign-in") => self.wallet_sign_in(req),
            ("POST", "login") => self.login(req),
            ("POST", "refresh") => self.refresh(req),
            ("POST", "register") => self.register(req),
            ("POST", "magic-link") => self.send_magic_link(req),
            ("POST", "verify-magic-link") => self.verify_magic_link(req),
            ("GET", "user") => self.current_user(req),
            ("POST", "logout") => self.logout(req),
            ("POST", "password-reset") => self.request_password_reset(req),
            ("POST", "reset-password-confirm") => self.confirm_password_reset(req),
            ("POST", "set-password") => self.set_password(req),
            _ => return None,
        })
    }

    fn request_nonce(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let wallet = b.text("wallet_address")?;
        b.opt_text("chain")?;
        let nonce = self.send_code("nonce", "nonce", &wallet, NONCE_TTL_S);
        ok(json!({
            "nonce": nonce,
            "message": format!("Sign this message to authenticate with Sweet Potato: {nonce}"),
            "wallet_address": wallet,
            "expires_at": rfc3339(plus(self.now, NONCE_TTL_S)),
        }))
    }

    fn wallet_sign_in(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let wallet = b.text("wallet_address")?;
        b.text("signature")?;
        let message = b.text("message")?;
        let chain = b.opt_text("chain_type")?;
        // The signature is not checked; the message must carry a live nonce of the wallet.
        let now = self.now;
        let nonce = self
            .users
            .one_time
            .iter()
            .find(|o| {
                o.kind == "nonce" && o.to.eq_ignore_ascii_case(&wallet) && message.contains(&o.code)
            })
            .map(|o| o.code.clone());
        let valid = nonce.is_some_and(|n| self.users.take("nonce", &n, now).is_some());
        if !valid {
            return Err(fail(
                401,
                "INVALID_SIGNATURE",
                "The message does not carry a live nonce of this wallet",
            ));
        }
        let existing = self
            .users
            .list
            .iter()
            .find(|u| {
                u.wallets
                    .iter()
                    .any(|(a, _)| a.eq_ignore_ascii_case(&wallet))
            })
            .map(|u| u.id.clone());
        let user_id = match existing {
            Some(id) => id,
            None => {
                let id = format!("user_{}", self.users.list.len() + 1);
                self.users.list.push(User {
                    id: id.clone(),
                    email: None,
                    password: None,
                    username: None,
                    phone_number: None,
                    wallets: vec![(wallet.clone(), chain.clone())],
                    tier: None,
                    admin: false,
                    email_confirmed: false,
                    metadata: Map::new(),
                });
                id
            }
        };
        let session = self.open_session(&user_id, Some(req));
        ok(self.token_pair(&session))
    }

    fn login(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let email = b.text("email")?;
        let password = b.text("password")?;
        let user_id = match self.users.by_email(&email) {
            Some(u) if u.password.as_deref() == Some(password.as_str()) => u.id.clone(),
            None if password == DEMO_PASSWORD => self.create_user(&email, Some(DEMO_PASSWORD)),
            _ => {
                return Err(fail(
                    401,
                    "INVALID_CREDENTIALS",
                    "Invalid email or password",
                ))
            }
        };
        let session = self.open_session(&user_id, Some(req));
        ok(self.token_pair(&session))
    }

    fn refresh(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let token = b.text("refresh_token")?;
        let session = self.rotate(&token)?;
        ok(self.token_pair(&session))
    }

    fn register(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let email = b.text("email")?;
        let password = b.text("password")?;
        let username = b.opt_text("username")?;
        let phone = b.opt_text("phone_number")?;
        b.opt_text("referral_click_id")?;
        b.opt_text("ref")?;
        if !is_email(&email) {
            return Err(fail(400, "INVALID_EMAIL", "email is not a valid address"));
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(short_password());
        }
        if self.users.by_email(&email).is_some() {
            return Err(fail(
                400,
                "EMAIL_ALREADY_EXISTS",
                "An account with this email already exists",
            ));
        }
        let id = self.create_user(&email, Some(&password));
        if let Some(u) = self.users.get_mut(&id) {
            u.username = username;
            u.phone_number = phone;
        }
        let session = self.open_session(&id, Some(req));
        top(json!({
            "message": "Registration and login successful",
            "tokens": self.tokens(&session),
            "user": self.registration_user(&id),
        }))
    }

    fn registration_user(&self, id: &str) -> Value {
        let mut user = self.token_user(id);
        if let Some(map) = user.as_object_mut() {
            map.remove("wallet_address");
            map.remove("chain");
        }
        user
    }

    fn send_magic_link(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let email = normalize(&b.text("email")?);
        if !is_email(&email) {
            return Err(fail(400, "INVALID_EMAIL", "email is not a valid address"));
        }
        self.send_code("magic_link", "mlt", &email, LINK_TTL_S);
        top(json!({
            "message": "Magic link sent successfully. Please check your email.",
            "data": {"email": email, "sent_at": rfc3339(self.now)},
        }))
    }

    fn verify_magic_link(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let token = b.text("token")?;
        b.opt_text("type")?;
        let Some(email) = self.users.take("magic_link", &token, self.now) else {
            return Err(fail(
                401,
                "INVALID_TOKEN",
                "The magic link is invalid, used or expired",
            ));
        };
        let id = self.user_for_email(&email);
        let session = self.open_session(&id, Some(req));
        top(json!({
            "message": "Magic link authentication successful",
            "tokens": self.tokens(&session),
            "user": self.registration_user(&id),
        }))
    }

    fn current_user(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        ok(json!({"user": self.profile(&session.user_id)}))
    }

    fn logout(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        self.end_session(&session.id);
        ok(json!({"message": "Successfully logged out"}))
    }

    fn request_password_reset(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let email = normalize(&b.text("email")?);
        if let Some(url) = b.opt_text("redirect_url")? {
            if !super::support::is_url(&url) {
                return Err(invalid("redirect_url must be an http(s) URL"));
            }
        }
        if !is_email(&email) {
            return Err(fail(400, "INVALID_EMAIL", "email is not a valid address"));
        }
        if self.users.by_email(&email).is_some() {
            self.send_code("password_reset", "rst", &email, LINK_TTL_S);
        }
        top(json!({
            "message": "If an account with this email exists, a password reset link has been sent.",
            "data": {"email": email, "sent_at": rfc3339(self.now)},
        }))
    }

    fn confirm_password_reset(&mut self, req: &ObservedRequest) -> Res {
        let b = body(req)?;
        let token = b.text("token")?;
        let password = b.text("new_password")?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(short_password());
        }
        let Some(email) = self.users.take("password_reset", &token, self.now) else {
            return Err(fail(
                400,
                "INVALID_TOKEN",
                "The reset token is invalid, used or expired",
            ));
        };
        let Some(id) = self.users.by_email(&email).map(|u| u.id.clone()) else {
            return Err(fail(400, "INVALID_TOKEN", "The account no longer exists"));
        };
        if let Some(u) = self.users.get_mut(&id) {
            u.password = Some(password);
        }
        self.end_sessions_of(&id);
        top(json!({
            "message": "Password reset successfully. You can now log in with your new password."
        }))
    }

    fn set_password(&mut self, req: &ObservedRequest) -> Res {
        let session = self.bearer(req)?;
        let b: Body = body(req)?;
        let password = b.text("new_password")?;
        let current = b.opt_text("current_password")?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(short_password());
        }
        let Some(user) = self.users.get_mut(&session.user_id) else {
            return Err(fail(401, "UNAUTHORIZED", "Unknown user"));
        };
        if let Some(existing) = &user.password {
            match current {
                None => return Err(invalid("current_password is required")),
                Some(c) if &c != existing => {
                    return Err(fail(
                        401,
                        "INVALID_CREDENTIALS",
                        "current_password is wrong",
                    ))
                }
                Some(_) => {}
            }
        }
        user.password = Some(password);
        top(json!({"message": "Password updated successfully"}))
    }
}
