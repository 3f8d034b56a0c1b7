//! Models of device-code login (RFC 8628).

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::tokens::IssuedTokens;

/// What the server answers to the start of a device-code login: show `user_code` and
/// `verification_uri` to the user, then poll with `device_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The code the client polls with (kept secret: it buys tokens once approved).
    pub device_code: Secret,
    /// The code the user types in.
    pub user_code: String,
    /// Where the user goes to approve.
    pub verification_uri: String,
    /// The same page with the code filled in, when the server sends it.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds until `device_code` expires.
    pub expires_in: u64,
    /// The minimum seconds between polls; 5 when the server does not say (RFC 8628 §3.2).
    #[serde(default)]
    pub interval: Option<u64>,
}

/// The tokens a completed device-code login gives. `Debug` hides them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceTokens {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// Lifetime of the access token, in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The token type (`Bearer` when not sent).
    #[serde(default = "bearer")]
    pub token_type: String,
}

impl DeviceTokens {
    /// The tokens to store.
    pub fn issued(&self) -> IssuedTokens {
        IssuedTokens {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_in: self.expires_in,
            token_type: Some(self.token_type.clone()),
        }
    }
}

fn bearer() -> String {
    "Bearer".to_owned()
}
