//! `spaps-conformance [--adapter sans-io|tokio|blocking|all] PATH...`
//!
//! Runs the conformance cassettes and webhook vectors under each PATH (files or
//! directories) through the chosen clients. Prints one line per cassette and client,
//! then `N passed, M failed, K skipped`; exits 1 if anything failed, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

use spaps_conformance::harness::AdapterKind;
use spaps_conformance::runner::run_paths;

fn main() -> ExitCode {
    let mut adapters = AdapterKind::ALL.to_vec();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--adapter" | "-a" => {
                let Some(value) = args.next() else {
                    return usage("--adapter needs a value");
                };
                adapters = match value.as_str() {
                    "all" => AdapterKind::ALL.to_vec(),
                    other => match AdapterKind::parse(other) {
                        Some(k) => vec![k],
                        None => return usage(&format!("unknown adapter `{other}`")),
                    },
                };
            }
            "-h" | "--help" => {
                println!("usage: spaps-conformance [--adapter sans-io|tokio|blocking|all] PATH...");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        return usage("no PATH given");
    }
    let stdout = std::io::stdout();
    match run_paths(&paths, &adapters, &mut stdout.lock()) {
        Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("spaps-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("spaps-conformance: {msg}\nusage: spaps-conformance [--adapter sans-io|tokio|blocking|all] PATH...");
    ExitCode::from(2)
}
