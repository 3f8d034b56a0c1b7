//! # spaps-tokio
//!
//! An async client for SPAPS, the Sweet Potato Authentication & Payment Service, over
//! tokio and [reqwest](https://docs.rs/reqwest) (rustls by default). All protocol
//! decisions (envelopes, errors, retries, token refresh) are made by the sans-IO core,
//! `spaps-proto`; this crate only sends the requests it asks for and sleeps when it
//! says so.
//!
//! ```no_run
//! use spaps_tokio::{Client, FileTokenStore};
//!
//! # async fn run() -> Result<(), spaps_tokio::Error> {
//! let client = Client::builder()
//!     .base_url("https://api.sweetpotato.dev")
//!     .api_key("spaps_live_...")
//!     .token_store(FileTokenStore::new("tokens.json"))
//!     .build()?;
//! client.auth().sign_in_with_password("ada@example.com", "correct horse").await?;
//! // Tokens are stored, sent, and refreshed before they expire; concurrent calls
//! // share one refresh.
//! let sessions = client.sessions().list_sessions().limit(10u32).await?;
//! println!("{} sessions", sessions.total);
//! # Ok(()) }
//! ```
//!
//! Every operation is reached through a group accessor (`auth()`, `sessions()`, ...)
//! and returns that endpoint's own type bound to the client (e.g.
//! [`ListSessions<Bound<'_, Client>>`](api::sessions::ListSessions)): its methods set
//! the optional arguments and call options, then `.await` it. Errors are [`Error`]s.
//!
//! ## Features
//! - `rustls` (default): TLS through rustls on the `ring` provider, trusting the
//!   platform's roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured) plus any given to
//!   the builder.
//! - `native-tls`: TLS through the platform's library (OpenSSL, Secure Transport,
//!   SChannel); with both on, `ClientBuilder::tls_backend` picks one.
//!
//! HTTP/2 is negotiated through ALPN when the server offers it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod request_url;
mod transport;

spaps_driver::driver_trace!("spaps_tokio");

pub use client::{BoxFuture, Client, ClientBuilder, Sleeper, Tokio, TokioSleeper};
pub use spaps_driver::tls::TlsBackend;
pub use spaps_driver::{FileTokenStore, SystemClock};
pub use spaps_proto::intercept::{self, Interceptor};
pub use spaps_proto::{
    api, device, model, pager, permissions, webhook, ApiError, Bound, CallOptions, Clock, Config,
    Decimal, DecodeError, Error, ErrorKind, Execute, MemoryTokenStore, Now, RetryPolicy, Secret,
    SendError, StoreError, Timestamp, TokenStore, Tokens, TransportError, TransportErrorKind,
};

// The crates in this client's API, at the versions it was built with: no direct
// dependency (at a matching version) is needed to name their types.
pub use bytes;
pub use http;
pub use reqwest;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
