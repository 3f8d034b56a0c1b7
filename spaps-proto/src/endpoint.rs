//! [`Endpoint`]: one SPAPS operation as data.
//!
//! Every operation is a struct holding its arguments that implements [`Endpoint`]:
//! how its request is built, how its response is read, and what it does to the stored
//! tokens. What a client does with one is in [`crate::request`].

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::envelope::Shape;
use crate::error::Error;
use crate::paging::PagePosition;
use crate::secret::Secret;
use crate::spec::RequestSpec;
use crate::tokens::TokenUpdate;

/// One SPAPS operation.
///
/// A 2xx body is read by declaration: [`Endpoint::SHAPE`] says where the result sits
/// in the body, [`Endpoint::Wire`] is what is decoded there, and its `Into` conversion
/// gives [`Endpoint::Output`] (the identity when the two are the same type). Only an
/// endpoint with [`Shape::Custom`] writes [`Endpoint::parse`].
pub trait Endpoint: Send + 'static {
    /// The typed result.
    type Output: Send + 'static;

    /// What the body holds at [`Endpoint::SHAPE`], converted into the result.
    type Wire: DeserializeOwned + Into<Self::Output>;

    /// The operation's name, `group.method` as the reference client names it.
    const NAME: &'static str;

    /// Where the result sits in a 2xx body; [`Shape::Data`] when not declared.
    const SHAPE: Shape = Shape::Data;

    /// Describes the request. Errors here are local: nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an argument the server would refuse anyway.
    fn request(&self) -> Result<RequestSpec, Error>;

    /// Reads a 2xx response: [`Endpoint::Wire`] decoded at [`Endpoint::SHAPE`], then
    /// converted. Overridden only by endpoints whose shape is [`Shape::Custom`].
    ///
    /// # Errors
    /// [`Error::Decode`] when the body does not fit the model.
    fn parse(&self, response: &http::Response<Bytes>) -> Result<Self::Output, Error> {
        crate::envelope::decode::<Self::Wire>(Self::NAME, Self::SHAPE, response.body())
            .map(Into::into)
    }

    /// What a success does to the stored tokens.
    fn token_update(&self, _output: &Self::Output) -> TokenUpdate {
        TokenUpdate::Keep
    }
}

/// Reads a 2xx response of `endpoint`: the one decoding step of every call.
///
/// # Errors
/// [`Error::Decode`] when the body does not fit the model.
pub(crate) fn read<E: Endpoint>(
    endpoint: &E,
    response: &http::Response<Bytes>,
) -> Result<E::Output, Error> {
    match E::SHAPE {
        Shape::Custom => endpoint.parse(response),
        shape => {
            crate::envelope::decode::<E::Wire>(E::NAME, shape, response.body()).map(Into::into)
        }
    }
}

/// A list endpoint whose results come in pages.
///
/// Implement it with [`crate::paging::next_offset`] or [`crate::paging::next_cursor`];
/// the clients' `pages`/`items` helpers walk every page with it.
pub trait Paginated: Endpoint + Clone {
    /// One item of a page.
    type Item: Send + 'static;

    /// The request for the page after `page`, or `None` when `page` was the last.
    fn next_page(&self, page: &Self::Output) -> Option<Self>;

    /// The items of a page.
    fn into_items(page: Self::Output) -> Vec<Self::Item>;

    /// Where this request's page starts, for the loop guard of a page walk
    /// ([`crate::paging::WalkGuard`]): a walk ends with [`Error::Paging`] when a request
    /// would start at a cursor already requested, or at an offset not past the last.
    ///
    /// Offset-paged endpoints return [`PagePosition::Offset`], cursor-paged ones their
    /// cursor. The default takes the whole request (path and query) as the cursor, so
    /// that a walk that would send the same request twice is stopped.
    fn position(&self) -> PagePosition {
        PagePosition::Cursor(
            self.request()
                .map(|spec| format!("{}?{}", spec.path(), spec.query_string()))
                .unwrap_or_default(),
        )
    }
}

/// Per-call options that are not arguments of the operation.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// A bearer token used instead of the stored one (no refresh is attempted for it).
    pub access_token: Option<Secret>,
    /// An idempotency key, sent as `X-Idempotency-Key`; makes POST and PATCH retryable.
    pub idempotency_key: Option<String>,
    /// The call's overall deadline, instead of the client's
    /// ([`Config::call_timeout`](crate::Config::call_timeout)).
    pub call_timeout: Option<std::time::Duration>,
}
