//! Test support for spaps-rs: the conformance cassette format, request matching,
//! a loopback HTTP server that replays or misbehaves on purpose, and an embedded mock SPAPS.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cassette;
pub mod harness;
pub mod matching;
pub mod mock_spaps;
pub mod runner;
pub mod server;
pub mod tls;
pub mod vectors;
pub mod verify;
pub mod virtual_time;
pub mod webhooks;
