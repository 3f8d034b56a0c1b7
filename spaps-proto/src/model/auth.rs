//! Models of the auth endpoints.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::timestamp::Timestamp;
use crate::tokens::IssuedTokens;

/// A nonce for a wallet to sign (`auth.request_nonce`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Nonce {
    /// The nonce.
    pub nonce: String,
    /// The message the wallet must sign.
    pub message: String,
    /// The wallet it was issued for.
    pub wallet_address: String,
    /// When the nonce stops being accepted.
    pub expires_at: Timestamp,
}

/// The user a token pair was issued to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenUser {
    /// The user id (sent as `id` or `user_id`).
    #[serde(alias = "id")]
    pub user_id: String,
    /// The wallet used to sign in, for wallet users.
    #[serde(default)]
    pub wallet_address: Option<String>,
    /// The wallet's chain.
    #[serde(default)]
    pub chain: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// Linked wallet addresses.
    #[serde(default)]
    pub wallets: Option<Vec<String>>,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Whether the email address is confirmed.
    #[serde(default)]
    pub email_confirmed: Option<bool>,
    /// The phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// Tokens issued by sign-in, wallet sign-in or refresh. `Debug` hides the tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenPair {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    pub refresh_token: Secret,
    /// Lifetime of the access token, in seconds.
    pub expires_in: u64,
    /// The token type (`Bearer`).
    #[serde(default = "bearer")]
    pub token_type: String,
    /// The user; refresh responses may leave it out.
    #[serde(default)]
    pub user: Option<TokenUser>,
}

impl TokenPair {
    /// The tokens to store.
    pub fn issued(&self) -> IssuedTokens {
        IssuedTokens {
            access_token: self.access_token.clone(),
            refresh_token: Some(self.refresh_token.clone()),
            expires_in: Some(self.expires_in),
            token_type: Some(self.token_type.clone()),
        }
    }
}

fn bearer() -> String {
    "Bearer".to_owned()
}

/// Tokens issued by registration or magic-link verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionTokens {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    pub refresh_token: Secret,
    /// Lifetime of the access token, in seconds.
    pub expires_in: u64,
}

impl SessionTokens {
    /// The tokens to store.
    pub fn issued(&self) -> IssuedTokens {
        IssuedTokens {
            access_token: self.access_token.clone(),
            refresh_token: Some(self.refresh_token.clone()),
            expires_in: Some(self.expires_in),
            token_type: None,
        }
    }
}

/// A user as registration and magic-link verification describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountUser {
    /// The user id.
    pub id: String,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// Whether the email address is confirmed.
    #[serde(default)]
    pub email_confirmed: Option<bool>,
    /// The phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Linked wallet addresses.
    #[serde(default)]
    pub wallets: Option<Vec<String>>,
}

/// A user and, when the server signs them in at once, their tokens: the result of
/// registration (none while an email confirmation is pending) and of magic-link
/// verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountSession {
    /// The server's message.
    #[serde(default)]
    pub message: Option<String>,
    /// The tokens, when the user is signed in.
    #[serde(default)]
    pub tokens: Option<SessionTokens>,
    /// The user.
    pub user: AccountUser,
}

impl AccountSession {
    /// Stores the tokens when there are any.
    pub fn token_update(&self) -> crate::tokens::TokenUpdate {
        match &self.tokens {
            Some(t) => crate::tokens::TokenUpdate::Store(t.issued()),
            None => crate::tokens::TokenUpdate::Keep,
        }
    }
}

/// An acknowledgement that an email was sent (magic link, password reset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailSent {
    /// The server's message.
    pub message: String,
    /// Where it was sent.
    #[serde(default)]
    pub email: Option<String>,
    /// When it was sent.
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
}

/// A plain acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The server's message.
    pub message: String,
}

/// A wallet linked to a user profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserWallet {
    /// The address.
    pub wallet_address: String,
    /// The chain.
    #[serde(default)]
    pub chain_type: Option<String>,
    /// Whether ownership was verified.
    #[serde(default)]
    pub verified: Option<bool>,
}

/// The signed-in user's profile (`auth.get_current_user`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserProfile {
    /// The user id.
    pub id: String,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Linked wallets.
    #[serde(default)]
    pub wallets: Vec<UserWallet>,
    /// The account tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Free-form profile metadata.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The result of logout. The server may answer with no body at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoggedOut {
    /// The server's message, when it sent one.
    #[serde(default)]
    pub message: Option<String>,
}
