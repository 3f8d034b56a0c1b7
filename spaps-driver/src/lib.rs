//! # spaps-driver
//!
//! What the SPAPS clients (`spaps-tokio`, `spaps-blocking`) are made of besides their
//! transport and their way of waiting. [`spaps_proto`] decides; the pieces here hold the
//! state a client's calls share and do the IO that is the same for every driver:
//!
//! - [`Client`] and [`ClientBuilder`]: the one client, written once over a
//!   [`Runtime`] (an adapter's transport, sleeper and drive loop); `spaps_tokio::Client`
//!   and `spaps_blocking::Client` are aliases of it, and every drive loop holds a
//!   [`CallGuard`] that abandons its call when dropped;
//! - [`Shared`]: the client state behind its lock, read with the clock outside it;
//!   [`StoreWriter`] persists token changes in generation order and coordinates
//!   refreshes through a shared [`TokenStore`](spaps_proto::TokenStore);
//! - [`ClientOptions`]: the settings both client builders share;
//! - [`trace`]: the `tracing` span of each call;
//! - [`FileTokenStore`]: tokens in a JSON file, with a cross-process refresh lock;
//! - [`tls`]: the TLS and proxy options of the builders, and the rustls configuration;
//! - [`SystemClock`]: the real clocks.
//!
//! Most users never name this crate: both clients re-export what they need from it.
//!
//! ## Features
//! - `rustls`: the rustls (ring) client configuration, [`tls::rustls_config`]; both
//!   clients turn it on with their own `rustls` feature.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod clock;
mod file_store;
mod guard;
mod shared;
pub mod tls;
pub mod trace;

#[doc(hidden)]
pub use bytes as __bytes;
pub use client::{Client, ClientBuilder, Runtime};
pub use clock::SystemClock;
pub use file_store::FileTokenStore;
pub use guard::CallGuard;
#[doc(hidden)]
pub use http as __http;
pub use shared::{ClientOptions, Effects, Sending, Shared, StoreWriter};
#[doc(hidden)]
pub use spaps_proto;
