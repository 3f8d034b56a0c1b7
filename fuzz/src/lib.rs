//! spaps-fuzz: the bodies of the cargo-fuzz targets of spaps-rs ([`harness`]) and the
//! generator of their seed corpora ([`seeds`]); the bodies live in the
//! `spaps-fuzz-harness` workspace crate. See `FUZZING.md` at the workspace root.

pub use spaps_fuzz_harness as harness;
pub mod seeds;
