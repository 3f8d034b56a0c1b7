//! spaps-fuzz: the bodies of the cargo-fuzz targets of spaps-rs ([`harness`]) and the
//! generator of their seed corpora ([`seeds`]). See `FUZZING.md` at the workspace root.

pub mod harness;
pub mod seeds;
