//! The conformance runner: every cassette through every chosen client.
//!
//! It prints one line per cassette and client, `PASS name adapter`,
//! `FAIL name adapter: reason` or `SKIP name adapter: reason`, and last
//! `N passed, M failed, K skipped`.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use crate::cassette::{load_paths, Cassette, Corpus, WebhookVectors};
use crate::harness::{AdapterKind, Harness};
pub use crate::verify::Verdict;
use crate::verify::{verify_step, StepRun};

/// The tally of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Cassette × client runs that passed.
    pub passed: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Runs that were skipped.
    pub skipped: usize,
    /// The failures, as printed.
    pub failures: Vec<String>,
}

impl Summary {
    /// `N passed, M failed, K skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    fn add(&mut self, name: &str, adapter: &str, verdict: &Verdict, out: &mut dyn Write) {
        let line = match verdict {
            Verdict::Pass => {
                self.passed += 1;
                format!("PASS {name} {adapter}")
            }
            Verdict::Fail(why) => {
                self.failed += 1;
                let l = format!("FAIL {name} {adapter}: {why}");
                self.failures.push(l.clone());
                l
            }
            Verdict::Skip(why) => {
                self.skipped += 1;
                format!("SKIP {name} {adapter}: {why}")
            }
        };
        let _ = writeln!(out, "{line}");
    }
}

/// Runs every cassette and vector file under `paths` on `adapters`, printing to `out`.
///
/// # Errors
/// When a file cannot be loaded.
pub fn run_paths(
    paths: &[PathBuf],
    adapters: &[AdapterKind],
    out: &mut dyn Write,
) -> Result<Summary, String> {
    let corpus = load_paths(paths).map_err(|e| e.to_string())?;
    let mut summary = Summary::default();
    for (_, item) in &corpus {
        match item {
            Corpus::Cassette(c) => {
                for &adapter in adapters {
                    let verdict = run_cassette(c, adapter);
                    summary.add(&c.name, adapter.name(), &verdict, out);
                }
            }
            Corpus::Vectors(v) => run_vectors(v, &mut summary, out),
        }
    }
    let _ = writeln!(out, "{}", summary.line());
    Ok(summary)
}

/// Runs one cassette on one client.
pub fn run_cassette(cassette: &Cassette, adapter: AdapterKind) -> Verdict {
    match Harness::new(adapter) {
        Ok(harness) => run_cassette_on(cassette, harness),
        Err(e) => Verdict::Fail(format!("cannot start the loopback server: {e}")),
    }
}

/// Runs one cassette on a harness made for it (e.g. [`Harness::new_tls`]).
pub fn run_cassette_on(cassette: &Cassette, mut harness: Harness) -> Verdict {
    for (i, step) in cassette.steps.iter().enumerate() {
        let label = |msg: String| {
            if cassette.steps.len() > 1 {
                format!("step {}: {msg}", i + 1)
            } else {
                msg
            }
        };
        if i == 0 || step.setup.is_some() {
            if let Err(e) = harness.configure(cassette.setup_for(step)) {
                return Verdict::Fail(label(format!("setup: {e}")));
            }
        }
        harness
            .script()
            .load(step.exchanges.iter().map(|x| x.response.clone()));
        harness.clock().clear_sleeps();
        let name = format!("{}.{}", step.call.client, step.call.method);
        let outcome = catch_unwind(AssertUnwindSafe(|| harness.call(&name, &step.call.args)));
        let (result, panic) = match outcome {
            Ok(None) => return Verdict::Skip(format!("`{name}` is not built")),
            Ok(Some(Err(e))) => return Verdict::Fail(label(e)),
            Ok(Some(Ok(result))) => (Some(result), None),
            Err(p) => (None, Some(panic_message(&*p))),
        };
        let run = StepRun {
            result,
            panic,
            observed: harness.observed(),
            tokens: harness.tokens(),
            waits: harness.clock().sleeps(),
        };
        if let Err(why) = verify_step(step, &run) {
            return Verdict::Fail(label(why));
        }
    }
    Verdict::Pass
}

fn run_vectors(vectors: &WebhookVectors, summary: &mut Summary, out: &mut dyn Write) {
    for v in &vectors.vectors {
        let verdict = crate::vectors::run_vector(v);
        summary.add(&format!("webhooks.{}", v.name), "sans-io", &verdict, out);
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
