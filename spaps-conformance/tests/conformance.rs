//! The in-repo conformance corpus through the sans-IO core and both clients.

use std::path::PathBuf;

use spaps_conformance::harness::AdapterKind;
use spaps_conformance::runner::run_paths;

fn corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    vec![root.join("cassettes"), root.join("vectors")]
}

fn run(adapter: AdapterKind) {
    let mut out = Vec::new();
    let summary = run_paths(&corpus(), &[adapter], &mut out).expect("the corpus loads");
    println!("{adapter}: {}", summary.line());
    assert!(summary.passed > 0, "nothing passed");
    assert_eq!(
        summary.failed,
        0,
        "failures:\n{}",
        summary.failures.join("\n")
    );
}

#[test]
fn corpus_passes_sans_io() {
    run(AdapterKind::SansIo);
}

#[test]
fn corpus_passes_tokio() {
    run(AdapterKind::Tokio);
}

#[test]
fn corpus_passes_blocking() {
    run(AdapterKind::Blocking);
}
