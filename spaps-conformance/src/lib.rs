//! The conformance suite of spaps-rs (not published).
//!
//! `cassettes/` holds recorded exchanges of the reference client (`spaps==0.5.0`) and
//! `vectors/` the webhook test vectors, in the format of the contract's `FORMAT.md`.
//! [`runner`] replays every one through the sans-IO core and through both clients over
//! a real loopback socket ([`harness`]), checking each request the SDK sends
//! ([`matching`]) and each result ([`verify`]). `cargo test -p spaps-conformance` runs
//! it all; the `spaps-conformance` binary runs any corpus from the command line.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cassette;
pub mod harness;
pub mod matching;
pub mod runner;
pub mod vectors;
pub mod verify;
