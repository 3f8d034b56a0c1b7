//! Replays the inputs the fuzzer found crashes with (`tests/regressions/<target>/*`)
//! through the fuzz targets' own code, on stable, inside `cargo test`.
//!
//! The targets' bodies live in this crate (the fuzz crate itself is outside the
//! workspace and needs nightly), so a replay runs exactly what the fuzzer ran. See
//! FUZZING.md.

use spaps_fuzz_harness as harness;

use std::path::Path;

/// Runs every file of `tests/regressions/<target>/` through `run`; returns how
/// many there were.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return 0,
    };
    files.sort();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        eprintln!("replaying {}", file.display());
        run(&data);
    }
    files.len()
}

#[test]
fn fuzz_response_regressions() {
    replay("fuzz_response", harness::response);
}

#[test]
fn fuzz_error_regressions() {
    replay("fuzz_error", harness::error);
}

#[test]
fn fuzz_webhook_regressions() {
    replay("fuzz_webhook", harness::webhook);
}

#[test]
fn fuzz_retry_regressions() {
    replay("fuzz_retry", harness::retry);
}

#[test]
fn fuzz_device_regressions() {
    replay("fuzz_device", harness::device);
}

/// `fuzz_response` reaches every endpoint: each has arguments from a cassette (or a
/// fallback) that build a request.
#[test]
fn every_endpoint_has_fuzz_arguments() {
    let args = harness::endpoint_args();
    let missing: Vec<_> = spaps_proto::api::names()
        .into_iter()
        .filter(|n| !args.contains_key(n))
        .collect();
    assert!(missing.is_empty(), "no usable arguments for {missing:?}");
}

/// A `fuzz_response` input names its endpoint by its place in the alphabetical list,
/// so that it keeps naming the same one however the registry is ordered or split.
#[test]
fn response_inputs_name_endpoints_by_their_alphabetical_place() {
    let names = harness::endpoint_names();
    let mut registry = spaps_proto::api::names();
    registry.sort_unstable();
    assert_eq!(names, registry.as_slice());
    for name in names {
        let input = harness::encode_response_input(name, 0, &[]).unwrap();
        let index = usize::from(u16::from_le_bytes([input[0], input[1]]));
        assert_eq!(names[index], *name);
    }
    assert_eq!(names[0], "auth.confirm_password_reset");
    assert!(harness::encode_response_input("auth.nope", 0, &[]).is_none());
}
