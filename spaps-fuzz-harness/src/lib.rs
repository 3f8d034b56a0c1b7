//! spaps-fuzz-harness (not published): the bodies of the cargo-fuzz targets of spaps-rs,
//! and the input format each one reads.
//!
//! Every target in `fuzz/fuzz_targets/` is one line calling a function of this crate,
//! and `tests/regressions.rs` replays the saved crash inputs through the same functions
//! on stable, inside `cargo test`, so a regression test runs exactly the code the fuzzer
//! ran. It depends only on crates `spaps-proto` itself depends on, and on `std`.
//!
//! The `encode_*` functions write the input formats; the seed generator uses them.
//! All multi-byte integers are little-endian; a field cut short by the end of the input
//! reads as zero-padded.

#![forbid(unsafe_code)]

// A module per target, on two shared ones: `input` (the input formats) and `driver`
// (running a machine against the input's responses).
mod api_errors;
mod device_flow;
mod driver;
mod endpoint_calls;
mod input;
mod retries;
mod webhooks;

pub use api_errors::{encode_error_input, error};
pub use device_flow::{device, encode_device_input};
pub use driver::{Driver, Trace};
pub use endpoint_calls::{
    cassettes_dir, encode_response_input, endpoint_args, endpoint_names, response, EXPIRED,
    IDEMPOTENT, NO_TOKENS, RETRIES, TOKEN_OVERRIDE,
};
pub use input::{
    decode_response, encode_response, join_responses, split_responses, Input, MAX_RESPONSES, SEP,
    STATUSES, WALL0,
};
pub use retries::{duration, encode_retry_input, retry};
pub use webhooks::{encode_webhook_input, webhook};
