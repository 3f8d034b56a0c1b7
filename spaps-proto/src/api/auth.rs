//! Auth: password, wallet and magic-link sign-in, registration, password reset,
//! the current user and logout (`/api/auth`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::envelope::{Envelope, Shape};
use crate::error::{DecodeError, Error};
use crate::model::auth::{
    AccountSession, EmailSent, LoggedOut, Message, Nonce, TokenPair, UserProfile,
};
use crate::request::{Bound, Execute, Unbound};
use crate::secret::Secret;
use crate::spec::{require, Auth, RequestSpec};
use crate::tokens::TokenUpdate;

/// The auth operations of a client: `client.auth()`.
#[derive(Debug)]
pub struct AuthApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> AuthApi<'a, X> {
    /// The auth operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Asks for a nonce for `wallet_address` to sign. Optional: `.chain(..)`.
    pub fn request_nonce(&self, wallet_address: impl Into<String>) -> RequestNonce<Bound<'a, X>> {
        RequestNonce::new(wallet_address).on(self.client)
    }

    /// Signs in with a wallet signature over the nonce message; stores the tokens.
    /// Optional: `.chain(..)`.
    pub fn verify_wallet(
        &self,
        wallet_address: impl Into<String>,
        signature: impl Into<String>,
        message: impl Into<String>,
    ) -> VerifyWallet<Bound<'a, X>> {
        VerifyWallet::new(wallet_address, signature, message).on(self.client)
    }

    /// Signs in with email and password; stores the tokens.
    pub fn sign_in_with_password(
        &self,
        email: impl Into<String>,
        password: impl Into<Secret>,
    ) -> SignInWithPassword<Bound<'a, X>> {
        SignInWithPassword::new(email, password).on(self.client)
    }

    /// Exchanges a refresh token for new tokens; stores them. (The client also
    /// refreshes on its own before expiry and after a 401.)
    pub fn refresh_tokens(&self, refresh_token: impl Into<Secret>) -> RefreshTokens<Bound<'a, X>> {
        RefreshTokens::new(refresh_token).on(self.client)
    }

    /// Registers a user; stores the tokens when the server signs the user in at once.
    /// Optional: `.username(..)`, `.phone_number(..)`, `.referral_click_id(..)`, `.r#ref(..)`.
    pub fn register(
        &self,
        email: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Register<Bound<'a, X>> {
        Register::new(email, password).on(self.client)
    }

    /// Emails a magic sign-in link.
    pub fn send_magic_link(&self, email: impl Into<String>) -> SendMagicLink<Bound<'a, X>> {
        SendMagicLink::new(email).on(self.client)
    }

    /// Verifies a magic-link token; stores the tokens when it signs the user in.
    /// Optional: `.r#type(..)` (default `magiclink`).
    pub fn verify_magic_link(&self, token: impl Into<Secret>) -> VerifyMagicLink<Bound<'a, X>> {
        VerifyMagicLink::new(token).on(self.client)
    }

    /// The signed-in user's profile.
    pub fn get_current_user(&self) -> GetCurrentUser<Bound<'a, X>> {
        GetCurrentUser::new().on(self.client)
    }

    /// Ends the session and clears the stored tokens.
    pub fn logout(&self) -> Logout<Bound<'a, X>> {
        Logout::new().on(self.client)
    }

    /// Emails a password-reset link. Optional: `.redirect_url(..)`.
    pub fn request_password_reset(
        &self,
        email: impl Into<String>,
    ) -> RequestPasswordReset<Bound<'a, X>> {
        RequestPasswordReset::new(email).on(self.client)
    }

    /// Sets a new password with a reset token.
    pub fn confirm_password_reset(
        &self,
        token: impl Into<Secret>,
        new_password: impl Into<Secret>,
    ) -> ConfirmPasswordReset<Bound<'a, X>> {
        ConfirmPasswordReset::new(token, new_password).on(self.client)
    }

    /// Sets the signed-in user's password. Optional: `.current_password(..)`.
    pub fn set_password(&self, new_password: impl Into<Secret>) -> SetPassword<Bound<'a, X>> {
        SetPassword::new(new_password).on(self.client)
    }
}

/// `POST /api/auth/nonce`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestNonce<B = Unbound> {
    /// The wallet address.
    pub wallet_address: String,
    /// The chain (`ethereum`, `solana`, ...); sent as `chain`.
    #[serde(default, skip_serializing_if = "crate::spec::skip::blank")]
    pub chain: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl RequestNonce {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(wallet_address: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            wallet_address: wallet_address.into(),
            chain: None,
        }
    }
}

crate::arguments::arguments!(RequestNonce(wallet_address) { chain: String });

impl Endpoint for RequestNonce {
    type Output = Nonce;
    type Wire = Nonce;
    const NAME: &'static str = "auth.request_nonce";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("wallet_address", &self.wallet_address)?;
        Ok(RequestSpec::post("/api/auth/nonce").json(self))
    }
}

/// `POST /api/auth/wallet-sign-in`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct VerifyWallet<B = Unbound> {
    /// The wallet address.
    pub wallet_address: String,
    /// The signature over `message`.
    pub signature: String,
    /// The signed message (from [`Nonce::message`]).
    pub message: String,
    /// The chain; sent as `chain_type`.
    #[serde(
        default,
        rename(serialize = "chain_type"),
        skip_serializing_if = "crate::spec::skip::blank"
    )]
    pub chain: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl VerifyWallet {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        wallet_address: impl Into<String>,
        signature: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            wallet_address: wallet_address.into(),
            signature: signature.into(),
            message: message.into(),
            chain: None,
        }
    }
}

crate::arguments::arguments!(VerifyWallet(wallet_address, signature, message) { chain: String });

impl Endpoint for VerifyWallet {
    type Output = TokenPair;
    type Wire = TokenPair;
    const NAME: &'static str = "auth.verify_wallet";

    fn request(&self) -> Result<RequestSpec, Error> {
        require("wallet_address", &self.wallet_address)?;
        Ok(RequestSpec::post("/api/auth/wallet-sign-in").json(self))
    }

    fn token_update(&self, output: &TokenPair) -> TokenUpdate {
        TokenUpdate::Store(output.issued())
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct SignInWithPassword<B = Unbound> {
    /// The email address.
    pub email: String,
    /// The password.
    pub password: Secret,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(SignInWithPassword(email, password) {});

impl SignInWithPassword {
    /// The request, with its arguments.
    pub fn new(email: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
            password: password.into(),
        }
    }
}

impl Endpoint for SignInWithPassword {
    type Output = TokenPair;
    type Wire = TokenPair;
    const NAME: &'static str = "auth.sign_in_with_password";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/login").json(self))
    }

    fn token_update(&self, output: &TokenPair) -> TokenUpdate {
        TokenUpdate::Store(output.issued())
    }
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RefreshTokens<B = Unbound> {
    /// The refresh token.
    pub refresh_token: Secret,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(RefreshTokens(refresh_token) {});

impl RefreshTokens {
    /// A refresh with `refresh_token`.
    pub fn new(refresh_token: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            refresh_token: refresh_token.into(),
        }
    }
}

impl Endpoint for RefreshTokens {
    type Output = TokenPair;
    type Wire = TokenPair;
    const NAME: &'static str = crate::refresh::OPERATION;

    fn request(&self) -> Result<RequestSpec, Error> {
        crate::refresh::request(&self.refresh_token)
    }

    fn token_update(&self, output: &TokenPair) -> TokenUpdate {
        TokenUpdate::Store(output.issued())
    }
}

/// `POST /api/auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Register<B = Unbound> {
    /// The email address.
    pub email: String,
    /// The password.
    pub password: Secret,
    /// A username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The referral click that brought the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_click_id: Option<String>,
    /// A referral code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl Register {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(email: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
            password: password.into(),
            username: None,
            phone_number: None,
            referral_click_id: None,
            r#ref: None,
        }
    }
}

crate::arguments::arguments!(Register(email, password) { username: String, phone_number: String, referral_click_id: String, r#ref: String });

impl Endpoint for Register {
    type Output = AccountSession;
    type Wire = AccountSession;
    const NAME: &'static str = "auth.register";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/register").json(self))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<AccountSession, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let data = env.field("data");
        let pick = |key: &'static str| -> Result<Option<crate::envelope::Slot<'_>>, Error> {
            match env.field(key) {
                Some(slot) if !slot.is_null() => Ok(Some(slot)),
                _ => match &data {
                    Some(d) => d.key(key),
                    None => Ok(None),
                },
            }
        };
        let user = pick("user")?
            .ok_or_else(|| DecodeError::new(Self::NAME, "user", "the response has no user"))?
            .decode()?;
        let tokens = match pick("tokens")? {
            Some(slot) => slot.decode_opt()?,
            None => None,
        };
        let message = match pick("message")? {
            Some(slot) => slot.decode_opt()?,
            None => None,
        };
        Ok(AccountSession {
            message,
            tokens,
            user,
        })
    }

    fn token_update(&self, output: &AccountSession) -> TokenUpdate {
        output.token_update()
    }
}

/// `POST /api/auth/magic-link`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct SendMagicLink<B = Unbound> {
    /// The email address.
    pub email: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(SendMagicLink(email) {});

impl SendMagicLink {
    /// The request, with its arguments.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
        }
    }
}

impl Endpoint for SendMagicLink {
    type Output = EmailSent;
    type Wire = EmailSent;
    const NAME: &'static str = "auth.send_magic_link";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        require("email", &self.email)?;
        Ok(RequestSpec::post("/api/auth/magic-link").json(self))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailSent, Error> {
        email_sent(Self::NAME, response)
    }
}

/// `POST /api/auth/verify-magic-link`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct VerifyMagicLink<B = Unbound> {
    /// The token from the link.
    pub token: Secret,
    /// The link type; `magiclink` when not set.
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl VerifyMagicLink {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            token: token.into(),
            r#type: None,
        }
    }
}

crate::arguments::arguments!(VerifyMagicLink(token) { r#type: String });

#[derive(Serialize)]
struct VerifyMagicLinkBody<'a> {
    token: &'a Secret,
    r#type: &'a str,
}

impl Endpoint for VerifyMagicLink {
    type Output = AccountSession;
    type Wire = AccountSession;
    const NAME: &'static str = "auth.verify_magic_link";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = VerifyMagicLinkBody {
            token: &self.token,
            r#type: self.r#type.as_deref().unwrap_or("magiclink"),
        };
        Ok(RequestSpec::post("/api/auth/verify-magic-link").json(&body))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<AccountSession, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        // User and tokens come from `data` when it is a non-empty object, else the top level.
        let data = env
            .field("data")
            .filter(|d| d.is_object() && d.key("user").ok().flatten().is_some());
        let (user, tokens) = match &data {
            Some(d) => (d.key("user")?, d.key("tokens")?),
            None => (env.field("user"), env.field("tokens")),
        };
        let user = user
            .ok_or_else(|| DecodeError::new(Self::NAME, "user", "the response has no user"))?
            .decode()?;
        let tokens = match tokens {
            Some(slot) => slot.decode_opt()?,
            None => None,
        };
        let message = match env.field("message") {
            Some(slot) if !slot.is_null() => slot.decode_opt()?,
            _ => match &env.field("data") {
                Some(d) => match d.key("message")? {
                    Some(m) => m.decode_opt()?,
                    None => None,
                },
                None => None,
            },
        };
        Ok(AccountSession {
            message,
            tokens,
            user,
        })
    }

    fn token_update(&self, output: &AccountSession) -> TokenUpdate {
        output.token_update()
    }
}

/// `GET /api/auth/user`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetCurrentUser<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetCurrentUser() {});

impl GetCurrentUser {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for GetCurrentUser {
    type Output = UserProfile;
    type Wire = UserProfile;
    const NAME: &'static str = "auth.get_current_user";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/auth/user").auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<UserProfile, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let in_data = match env.field("data") {
            Some(d) => d.key("user")?,
            None => None,
        };
        in_data
            .or_else(|| env.field("user"))
            .ok_or_else(|| DecodeError::new(Self::NAME, "user", "the response has no user").into())
            .and_then(|slot| slot.decode())
    }
}

/// `POST /api/auth/logout`. Any 2xx clears the stored tokens.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Logout<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(Logout() {});

impl Logout {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for Logout {
    type Output = LoggedOut;
    type Wire = LoggedOut;
    const NAME: &'static str = "auth.logout";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/logout").auth(Auth::Bearer))
    }

    /// Any 2xx is a success: an empty or unreadable body just has no message.
    fn parse(&self, response: &http::Response<Bytes>) -> Result<LoggedOut, Error> {
        let message = Envelope::parse(Self::NAME, response.body())
            .ok()
            .and_then(|env| top_or_data_message(&env).ok().flatten());
        Ok(LoggedOut { message })
    }

    fn token_update(&self, _output: &LoggedOut) -> TokenUpdate {
        TokenUpdate::Clear
    }
}

/// `POST /api/auth/password-reset`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestPasswordReset<B = Unbound> {
    /// The email address.
    pub email: String,
    /// Where the reset link leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl RequestPasswordReset {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
            redirect_url: None,
        }
    }
}

crate::arguments::arguments!(RequestPasswordReset(email) { redirect_url: String });

impl Endpoint for RequestPasswordReset {
    type Output = EmailSent;
    type Wire = EmailSent;
    const NAME: &'static str = "auth.request_password_reset";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/password-reset").json(self))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<EmailSent, Error> {
        email_sent(Self::NAME, response)
    }
}

/// `POST /api/auth/reset-password-confirm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ConfirmPasswordReset<B = Unbound> {
    /// The reset token.
    pub token: Secret,
    /// The new password.
    pub new_password: Secret,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ConfirmPasswordReset(token, new_password) {});

impl ConfirmPasswordReset {
    /// The request, with its arguments.
    pub fn new(token: impl Into<Secret>, new_password: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            token: token.into(),
            new_password: new_password.into(),
        }
    }
}

impl Endpoint for ConfirmPasswordReset {
    type Output = Message;
    type Wire = Message;
    const NAME: &'static str = "auth.confirm_password_reset";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/reset-password-confirm").json(self))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Message, Error> {
        message(Self::NAME, response)
    }
}

/// `POST /api/auth/set-password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct SetPassword<B = Unbound> {
    /// The new password.
    pub new_password: Secret,
    /// The current password, when the account has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<Secret>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl SetPassword {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(new_password: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            new_password: new_password.into(),
            current_password: None,
        }
    }
}

crate::arguments::arguments!(SetPassword(new_password) { current_password: Secret });

impl Endpoint for SetPassword {
    type Output = Message;
    type Wire = Message;
    const NAME: &'static str = "auth.set_password";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/auth/set-password")
            .json(self)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Message, Error> {
        message(Self::NAME, response)
    }
}

crate::registry!(
    RequestNonce,
    VerifyWallet,
    SignInWithPassword,
    RefreshTokens,
    Register,
    SendMagicLink,
    VerifyMagicLink,
    GetCurrentUser,
    Logout,
    RequestPasswordReset,
    ConfirmPasswordReset,
    SetPassword,
);

/// `message` from the top level, else from `data`.
fn top_or_data_message(env: &Envelope<'_>) -> Result<Option<String>, Error> {
    if let Some(m) = env.field("message") {
        if let Some(text) = m.decode_opt::<String>()? {
            return Ok(Some(text));
        }
    }
    match env.field("data") {
        Some(d) => match d.key("message")? {
            Some(m) => m.decode_opt(),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

fn message(operation: &'static str, response: &http::Response<Bytes>) -> Result<Message, Error> {
    let env = Envelope::parse(operation, response.body())?;
    let message = top_or_data_message(&env)?
        .ok_or_else(|| DecodeError::new(operation, "message", "the response has no message"))?;
    Ok(Message { message })
}

fn email_sent(
    operation: &'static str,
    response: &http::Response<Bytes>,
) -> Result<EmailSent, Error> {
    let env = Envelope::parse(operation, response.body())?;
    let message = top_or_data_message(&env)?
        .ok_or_else(|| DecodeError::new(operation, "message", "the response has no message"))?;
    let data = env.field("data");
    let get = |key: &'static str| -> Result<Option<crate::envelope::Slot<'_>>, Error> {
        match &data {
            Some(d) => d.key(key),
            None => Ok(env.field(key)),
        }
    };
    let email = match get("email")? {
        Some(s) => s.decode_opt()?,
        None => None,
    };
    let sent_at = match get("sent_at")? {
        Some(s) => s.decode_opt()?,
        None => None,
    };
    Ok(EmailSent {
        message,
        email,
        sent_at,
    })
}
