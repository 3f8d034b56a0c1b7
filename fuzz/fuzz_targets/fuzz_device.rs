//! `fuzz_device`: see `spaps_fuzz::harness::device` for the input format and the checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spaps_fuzz::harness::device(data));
