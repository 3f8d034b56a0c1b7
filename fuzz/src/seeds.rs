//! Seed corpora from the conformance cassettes and the webhook vectors.
//!
//! [`generate`] writes `<out>/<target>/seed-*` for every target: each recorded step
//! becomes a `fuzz_response` input (and a `fuzz_device` one for the device flow), each
//! recorded error response a `fuzz_error` input, each webhook vector a `fuzz_webhook`
//! input, each corpus file itself a `fuzz_cassette` input, and the `Retry-After` values
//! of the corpus (with a few hand-written ones) `fuzz_retry` inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use spaps_conformance::cassette::{load_paths, Cassette, Corpus, RecordedResponse, WebhookVectors};

use crate::harness::{
    encode_device_input, encode_error_input, encode_response, encode_response_input,
    encode_retry_input, encode_webhook_input, IDEMPOTENT, NO_TOKENS, RETRIES, WALL0,
};

/// The fuzz targets, in the order `run.sh` runs them.
pub const TARGETS: [&str; 6] = [
    "fuzz_response",
    "fuzz_error",
    "fuzz_webhook",
    "fuzz_retry",
    "fuzz_device",
    "fuzz_cassette",
];

/// Seeds per target, by name.
#[derive(Debug, Default)]
pub struct Seeds {
    files: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
}

impl Seeds {
    fn add(&mut self, target: &'static str, name: &str, bytes: Vec<u8>) {
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.files
            .entry(target)
            .or_default()
            .insert(format!("seed-{name}"), bytes);
    }

    /// How many seeds `target` has.
    pub fn count(&self, target: &str) -> usize {
        self.files.get(target).map_or(0, BTreeMap::len)
    }

    /// Writes every seed under `out/<target>/` (each file replaced atomically).
    ///
    /// # Errors
    /// An I/O error, naming the file.
    pub fn write(&self, out: &Path) -> Result<(), String> {
        for (target, files) in &self.files {
            let dir = out.join(target);
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for (name, bytes) in files {
                let path = dir.join(name);
                let tmp = dir.join(format!(".{name}.tmp"));
                fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
                fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        Ok(())
    }
}

/// Builds the seeds from the corpus under `testkit` (`spaps-conformance`: its `cassettes`
/// and `vectors` directories).
///
/// # Errors
/// When the corpus does not load.
pub fn generate(testkit: &Path) -> Result<Seeds, String> {
    let paths = [testkit.join("cassettes"), testkit.join("vectors")];
    let corpus = load_paths(&paths).map_err(|e| e.to_string())?;
    let mut seeds = Seeds::default();
    let mut retry_afters = BTreeSet::new();
    for (path, item) in &corpus {
        let raw = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        seeds.add("fuzz_cassette", &file_name(path), raw);
        match item {
            Corpus::Cassette(c) => cassette(&mut seeds, c, &mut retry_afters),
            Corpus::Vectors(v) => vectors(&mut seeds, v),
        }
    }
    retry(&mut seeds, &retry_afters);
    Ok(seeds)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

fn retry_after_secs(r: &RecordedResponse) -> Option<u64> {
    r.header("retry-after").and_then(|v| v.trim().parse().ok())
}

fn cassette(seeds: &mut Seeds, c: &Cassette, retry_afters: &mut BTreeSet<String>) {
    for (i, step) in c.steps.iter().enumerate() {
        let name = format!("{}.{}", step.call.client, step.call.method);
        let seed_name = format!("{}.{i}", c.name);
        let responses: Vec<Vec<u8>> = step
            .exchanges
            .iter()
            .map(|ex| {
                let r = &ex.response;
                encode_response(
                    r.status,
                    r.header("x-request-id").is_some(),
                    retry_after_secs(r),
                    &r.body_bytes(),
                )
            })
            .collect();
        for ex in &step.exchanges {
            let r = &ex.response;
            if let Some(v) = r.header("retry-after") {
                retry_afters.insert(v.to_owned());
            }
            if r.status >= 300 {
                let input = encode_error_input(
                    r.status,
                    WALL0 as u32,
                    r.header("x-request-id"),
                    r.header("retry-after"),
                    &r.body_bytes(),
                );
                seeds.add("fuzz_error", &format!("{seed_name}.{}", r.status), input);
            }
        }
        let setup = c.setup_for(step);
        let mut flags = 0;
        if setup.access_token.is_none() && setup.stored_tokens.is_none() {
            flags |= NO_TOKENS;
        }
        if setup.retry_config.is_some() {
            flags |= RETRIES;
        }
        if step.call.args.contains_key("idempotency_key") {
            flags |= IDEMPOTENT;
        }
        // Only a step that calls a registry endpoint gives an input.
        if let Some(input) = encode_response_input(&name, flags, &responses) {
            seeds.add("fuzz_response", &seed_name, input);
        }
        match name.as_str() {
            "device_flow.poll" => {
                let interval_ms = setup.poll_interval.map_or(5_000, |s| (s * 1000.0) as u64);
                let input = encode_device_input(0, interval_ms, 15 * 60 * 1000, &responses);
                seeds.add("fuzz_device", &format!("{seed_name}.new"), input);
                let secs = (interval_ms / 1000).max(1);
                let input = encode_device_input(1, secs, 15 * 60, &responses);
                seeds.add("fuzz_device", &format!("{seed_name}.authorization"), input);
            }
            "device_flow.login" | "device_flow.start" => {
                let input = encode_device_input(2, 0, 0, &responses);
                seeds.add("fuzz_device", &format!("{seed_name}.login"), input);
            }
            _ => {}
        }
    }
}

fn vectors(seeds: &mut Seeds, v: &WebhookVectors) {
    for vector in &v.vectors {
        let Ok(body) = vector.body_bytes() else {
            continue;
        };
        let tolerance = vector.tolerance_s.unwrap_or(300).min(u64::from(u16::MAX)) as u16;
        let input = encode_webhook_input(
            vector.now,
            tolerance,
            &vector.secrets,
            &vector.header,
            &body,
        );
        seeds.add("fuzz_webhook", &vector.name, input);
    }
}

fn retry(seeds: &mut Seeds, from_corpus: &BTreeSet<String>) {
    // The default policy: 3 attempts, 200 ms base, 10 s cap, Retry-After up to 60 s.
    let ms = |m: u64| m << 2;
    let secs = |s: u64| (s << 2) | 1;
    let defaults = [ms(200), ms(10_000), secs(60)];
    let mut texts: BTreeSet<String> = from_corpus.clone();
    for t in [
        "",
        "0",
        "1",
        "30",
        "120",
        " 5 ",
        "-1",
        "1.5",
        "soon",
        "99999999999999999999",
        "Wed, 15 Jan 2025 12:00:30 GMT",
        "Wed, 15 Jan 2025 11:59:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ] {
        texts.insert(t.to_owned());
    }
    for (i, text) in texts.iter().enumerate() {
        for (status, method, flags) in [(503u16, 0usize, 0u8), (429, 5, 1), (500, 3, 2)] {
            let input = encode_retry_input(
                method,
                flags,
                1,
                3,
                defaults,
                0.5,
                status,
                WALL0 as u32,
                text,
            );
            seeds.add("fuzz_retry", &format!("text{i}.{status}"), input);
        }
    }
    for method in 0..8 {
        for (status, flags) in [(502u16, 0u8), (400, 0), (200, 4), (504, 1)] {
            let input = encode_retry_input(
                method,
                flags,
                2,
                5,
                defaults,
                0.25,
                status,
                WALL0 as u32,
                "",
            );
            seeds.add(
                "fuzz_retry",
                &format!("method{method}.{status}.{flags}"),
                input,
            );
        }
    }
}
