//! `fuzz_error`: see `spaps_fuzz::harness::error` for the input format and the checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spaps_fuzz::harness::error(data));
