//! Test support for users of spaps-rs: a mock SPAPS to test your own code against
//! ([`mock_spaps`]), a loopback HTTP server that answers or misbehaves on purpose
//! ([`server`]), what such a server received ([`observed`]), webhook signing
//! ([`webhooks`]), a virtual clock ([`virtual_time`]), and a [`simulator`] that runs the
//! core's state machines on virtual time against scripted answers.
//!
//! ## Features
//! - `io` (default): everything that opens a socket or drives a client: [`mock_spaps`],
//!   [`server`], [`tls`] and `virtual_time::VirtualRuntime`, with tokio, both clients,
//!   rustls and h2 behind them. With `default-features = false` the crate is sans-IO,
//!   with no runtime or HTTP client: [`simulator`], [`webhooks`], [`observed`] and the
//!   [`VirtualClock`](virtual_time::VirtualClock). The fuzz targets build it that way.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "io")]
pub mod mock_spaps;
pub mod observed;
#[cfg(feature = "io")]
pub mod server;
pub mod simulator;
#[cfg(feature = "io")]
pub mod tls;
pub mod virtual_time;
pub mod webhooks;
