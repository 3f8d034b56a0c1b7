//! Writes the seed corpora: `seed [CORPUS_DIR]` (default: `fuzz/corpus`), one
//! directory per target, from `spaps-conformance/cassettes` and `spaps-conformance/vectors`.
//! Run by `fuzz/seed.sh` and `fuzz/run.sh`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use spaps_fuzz::seeds::{generate, TARGETS};

fn main() -> ExitCode {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| fuzz_dir.join("corpus"), PathBuf::from);
    let seeds = match generate(&fuzz_dir.join("../spaps-conformance")) {
        Ok(seeds) => seeds,
        Err(e) => {
            eprintln!("seed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = seeds.write(&out) {
        eprintln!("seed: {e}");
        return ExitCode::FAILURE;
    }
    for target in TARGETS {
        println!("{target}: {} seeds", seeds.count(target));
    }
    ExitCode::SUCCESS
}
