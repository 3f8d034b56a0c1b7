//! Test support for users of spaps-rs: a mock SPAPS to test your own code against
//! ([`mock_spaps`]), a loopback HTTP server that answers or misbehaves on purpose
//! ([`server`]), what such a server received ([`observed`]), webhook signing
//! ([`webhooks`]), a virtual clock ([`virtual_time`]), and a [`simulator`] that runs the
//! core's state machines on virtual time against scripted answers.
//!
//! ## Features
//! None.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod mock_spaps;
pub mod observed;
pub mod server;
pub mod simulator;
pub mod tls;
pub mod virtual_time;
pub mod webhooks;
