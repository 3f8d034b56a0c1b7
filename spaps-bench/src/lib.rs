//! spaps-bench (not published): the benchmarks of spaps-rs. The `spaps-bench` binary
//! compares the SDK with the bare HTTP clients and the reference client (see
//! BENCHMARKS.md); `cargo bench -p spaps-bench` runs the criterion benches of the core.
//! Both use the bodies in [`fixtures`] and drive the core with [`drive`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod drive;
pub mod fixtures;
