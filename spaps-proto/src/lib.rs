//! # spaps-proto
//!
//! The protocol core of the SPAPS SDK, with no IO: it builds `http::Request`s, reads
//! `http::Response`s into typed models, and decides retries, token refreshes and
//! device-flow polling. It opens no socket, reads no clock, sleeps never and draws no
//! random number: the driver passes the time in ([`Now`]) and does the IO.
//!
//! Most users want a driver: `spaps-tokio` (async, reqwest) or `spaps-blocking`
//! (ureq). Use this crate directly to run SPAPS over your own HTTP stack or executor.
//!
//! ## The pieces
//! - [`Endpoint`]: one operation as data. The accessors (`client.auth()`,
//!   `client.sessions()`, ...) are generic over [`Execute`], so every client offers
//!   every endpoint.
//! - [`ClientState`]: what a client's calls share: [`Config`], tokens
//!   ([`tokens::TokenManager`]), the retry budget.
//! - [`Call`]: the state machine of one operation; drive it with [`Call::poll`].
//! - [`Error`]: the one error type.
//!
//! ## Driving a call by hand
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use spaps_proto::{api::sessions::GetCurrentSession, CallOptions, ClientState, Config, Now, Output, Timestamp, Tokens};
//!
//! let mut state = ClientState::new(Config::new("https://api.example.com")?.with_api_key("key"), 7);
//! state.load_tokens(Some(Tokens::new("at_1")));
//! let mut call = state.call(GetCurrentSession::new(), CallOptions::default());
//! let now = Now::new(Instant::now(), Timestamp::from_unix_seconds(1_736_942_400).unwrap());
//! let session = loop {
//!     match call.poll(now, &mut state) {
//!         Output::Send(request) => {
//!             assert_eq!(request.uri(), "https://api.example.com/api/sessions/current");
//!             // Send it with any HTTP client; here, a canned answer.
//!             let body = r#"{"data":{"session":{"id":"s1","user_id":"u","application_id":"a",
//!                 "created_at":"2025-01-15T11:00:00Z","expires_at":"2025-01-15T12:00:00Z"}}}"#;
//!             let response = http::Response::new(Bytes::from(body));
//!             call.handle_response(now, &mut state, response);
//!         }
//!         Output::Sleep(until) => { /* sleep until `until`, then poll again */ }
//!         Output::Done(result) => break result?,
//!         // One call alone never waits for another's refresh, and memory tokens need
//!         // no store coordination.
//!         Output::AwaitRefresh(_) | Output::ReloadStore => unreachable!(),
//!     }
//! };
//! assert_eq!(session.session_id, "s1");
//! # Ok::<(), spaps_proto::Error>(())
//! ```
//!
//! ## Features
//! None: the core has no optional parts.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
mod arguments;
mod call;
mod config;
pub mod decimal;
mod driver;
/// The device-code login machines (RFC 8628), also reachable as
/// [`api::device_flow::login`].
pub use api::device_flow::login as device;
mod endpoint;
pub mod envelope;
mod error;
mod headers;
mod host;
pub mod intercept;
mod machine;
pub mod model;
pub mod net;
pub mod pager;
pub mod paging;
pub mod permissions;
pub mod refresh;
pub mod request;
pub mod response;
pub mod retry;
mod secret;
pub mod spec;
mod state;
mod timestamp;
pub mod tokens;
pub mod webhook;

pub use call::Call;
pub use config::{
    Config, DEFAULT_BASE_URL, DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
    MAX_TIMEOUT, USER_AGENT,
};
pub use decimal::Decimal;
pub use driver::{Clock, Now, Output, SendError};
pub use endpoint::{CallOptions, Endpoint, Paginated};
pub use error::{
    ApiError, DecodeError, Error, ErrorKind, Misuse, SourceError, StoreError, TransportError,
    TransportErrorKind,
};
pub use machine::Machine;
pub use request::{Arg, Bound, Execute, Unbound};
pub use retry::{RetryBudget, RetryPolicy};
pub use secret::Secret;
pub use state::{ClientState, Event};
pub use timestamp::Timestamp;
pub use tokens::{MemoryTokenStore, RefreshLock, StoreSnapshot, TokenStore, Tokens};
