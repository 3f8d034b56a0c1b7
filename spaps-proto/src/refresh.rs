//! The token refresh exchange: the request a refresh sends (`POST /api/auth/refresh`)
//! and how its answer is read.
//!
//! It sits below the call machine, which uses it for every automatic refresh, and below
//! the endpoints: [`RefreshTokens`](crate::api::auth::RefreshTokens), the refresh a user
//! asks for, builds its request here too.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;
use crate::error::Error;
use crate::secret::Secret;
use crate::spec::RequestSpec;
use crate::tokens::IssuedTokens;

/// The operation name of a refresh, as the reference client names it.
pub const OPERATION: &str = "auth.refresh_tokens";

/// The path of the refresh endpoint.
pub const PATH: &str = "/api/auth/refresh";

/// The request of a refresh with `refresh_token`.
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty refresh token.
pub fn request(refresh_token: &Secret) -> Result<RequestSpec, Error> {
    #[derive(Serialize)]
    struct Body<'a> {
        refresh_token: &'a Secret,
    }
    if refresh_token.is_empty() {
        return Err(Error::invalid("refresh_token", "must not be empty"));
    }
    Ok(RequestSpec::post(PATH).json(&Body { refresh_token }))
}

/// Reads a successful refresh answer into the tokens to store.
///
/// # Errors
/// [`Error::Decode`] when the body does not carry an access token, a refresh token and
/// their lifetime.
pub fn read(response: &http::Response<Bytes>) -> Result<IssuedTokens, Error> {
    #[derive(Deserialize)]
    struct Pair {
        access_token: Secret,
        refresh_token: Secret,
        expires_in: u64,
        #[serde(default)]
        token_type: Option<String>,
    }
    let pair: Pair = Envelope::parse_data(OPERATION, response.body())?;
    Ok(IssuedTokens {
        access_token: pair.access_token,
        refresh_token: Some(pair.refresh_token),
        expires_in: Some(pair.expires_in),
        token_type: pair.token_type,
    })
}
