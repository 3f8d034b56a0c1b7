//! The conformance suite of spaps-rs (not published).
//!
//! `cassettes/` holds recorded exchanges of the reference client (`spaps==0.5.0`) and
//! `vectors/` the webhook test vectors, in the format of the contract's `FORMAT.md`.
//! [`runner`] replays every one through the sans-IO core and through both clients over
//! a real loopback socket ([`harness`]), checking each request the SDK sends
//! ([`matching`]) and each result ([`verify`]). `cargo test -p spaps-conformance` runs
//! it all; the `spaps-conformance` binary runs any corpus from the command line.
//!
//! All but [`cassette`] is behind the default `runner` feature: the fuzz targets build
//! the corpus parser alone, without the clients and servers under the replay.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cassette;
#[cfg(feature = "runner")]
pub mod harness;
#[cfg(feature = "runner")]
pub mod matching;
#[cfg(feature = "runner")]
pub mod runner;
#[cfg(feature = "runner")]
pub mod vectors;
#[cfg(feature = "runner")]
pub mod verify;
