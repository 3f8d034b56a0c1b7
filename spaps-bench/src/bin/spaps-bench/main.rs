//! `spaps-bench`: the SDK's performance goals, measured in one run.
//!
//! ```sh
//! cargo run --release -p spaps-bench --bin spaps-bench -- --quick
//! ```
//!
//! Prints `ratio NAME VALUE GOAL ok|short` per comparison (lines starting with `#` are
//! details). A cost ratio is the SDK's time per operation over the baseline's (lower is
//! better, `ok` when `VALUE <= GOAL`); a `vs_reference` ratio is a throughput multiple
//! (`ok` when `VALUE >= GOAL`); `ratio NAME VALUE - report` is reported, not a gate (the
//! distance to a raw socket, HTTP/2 against HTTP/1.1). Every comparison interleaves its
//! sides in short slices, round after round, and takes the median of the per-round
//! ratios, so drift (turbo, a neighbour's load) cancels.
//!
//! Options: `--quick` (under a minute), `--server URL` (measure against another server
//! that answers `GET /api/sessions/current` with a session), `--no-python` (skip the
//! reference client), `--strict` (exit 1 when a goal is short; `report` lines never
//! count).
//! `spaps-bench serve [--addr 127.0.0.1:0]` runs the bench server alone;
//! `spaps-bench profile SIDE SECONDS URL` runs one side alone, for a profiler. See
//! `BENCHMARKS.md` for what each line compares.
//!
//! Hidden subcommands: `__serve` (the server child) and `__mem` (one side of the memory
//! comparison, in its own process so the peaks do not mix).

use std::future::IntoFuture;
use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use spaps_bench::fixtures;
use spaps_proto::model::sessions::SessionSummary;
use spaps_proto::Tokens;

// Each comparison in a module of its own; `bench` runs them in order. Below `bench`
// nothing imports upward: micro, net, python and mem report through `report`; net and
// server share the raw-socket helpers of `raw`.
mod bench;
mod mem;
mod micro;
mod net;
mod python;
mod raw;
mod report;
mod server;

/// The one path every network comparison requests.
const PATH: &str = "/api/sessions/current";
const API_KEY: &str = "spaps_bench_pk_4f9a1c2e7b";
const TOKEN: &str = "at_bench_5d1e9b0a4f2c77c3a0e9d1b3a5c7e9f0a2b4c6d8";
/// The fixed small JSON body the bench server answers with: a current session.
const BODY: &str = r#"{"success":true,"data":{"session":{"id":"sess_01JHK3Q9Z7X4W2V8T6R5P3N1M0","user_id":"6f1c2a9e-8b1d-4e7a-9c2f-5d8e1a7b4c60","application_id":"0b7e4d2a-51c3-4f8e-9a6d-2c1b3e4f5a69","tier":"pro","created_at":"2025-01-15T11:17:30Z","expires_at":"2025-01-15T12:17:30Z","last_activity":"2025-01-15T11:56:45Z","wallets_count":1}}}"#;
/// The reference client, installed from PyPI into a venv under `target/`.
const REFERENCE: &str = "spaps==0.5.0";
/// In-flight calls of the concurrent throughput comparisons.
const IN_FLIGHT: usize = 256;
/// In-flight calls of the memory comparison.
const MEM_IN_FLIGHT: usize = 10_000;
/// The server child stops by itself after this long.
const SERVER_LIFETIME: Duration = Duration::from_secs(30 * 60);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How a bare client decodes the body: into the same model as the SDK.
#[allow(dead_code)] // read by serde only
#[derive(Deserialize)]
struct Env<T> {
    data: T,
}

#[allow(dead_code)] // read by serde only
#[derive(Deserialize)]
struct SessionData {
    session: SessionSummary,
}

fn decode_bare(body: &[u8]) -> Result<Env<SessionData>, BoxError> {
    Ok(serde_json::from_slice(body)?)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("__serve") => server::main(&args[1..], true),
        Some("serve") => server::main(&args[1..], false),
        Some("__mem") => mem::child(&args[1..]),
        Some("profile") => net::profile(&args[1..]),
        Some("-h") | Some("--help") => {
            println!("{}", usage());
            Ok(())
        }
        _ => bench::main(&args),
    };
    if let Err(e) = result {
        eprintln!("spaps-bench: {e}");
        std::process::exit(2);
    }
}

fn usage() -> &'static str {
    "usage: spaps-bench [--quick] [--server URL] [--no-python] [--strict]\n       spaps-bench serve [--addr 127.0.0.1:0]\n       spaps-bench profile blocking|ureq|raw|tokio|reqwest|tokio256|reqwest256|reqwest256mutex|reqwest256box|reqwest256pin SECONDS URL\n       (SPAPS_BENCH_WORKERS sets the worker threads of the 256 sides, default 2;\n       SPAPS_BENCH_HOLD the rounds reqwest256mutex holds its lock, default 1;\n       SPAPS_BENCH_BOX_BYTES the block reqwest256box allocates, default 2048)"
}

/// The CPU the sequential comparisons share with the server.
const SEQ_CPU: &str = "0";

/// A command run on `SEQ_CPU` (through `taskset`, when there is one).
///
/// On a small VM a request that crosses to another vCPU may have to wake it, which
/// costs far more than the request (about 130 us here), and whether a connection's
/// two ends share a vCPU is the scheduler's choice: sequential rates came out in two
/// speeds. One vCPU for both ends makes every exchange two context switches.
fn on_seq_cpu(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if has_taskset() {
        let mut command = Command::new("taskset");
        command.args(["-c", SEQ_CPU]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sets the CPUs of this process's main thread (threads it starts later inherit them).
fn pin_main_thread(cpus: &str) -> bool {
    Command::new("taskset")
        .args(["-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Median of `values` (which must not be empty).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
