//! `spaps-mock [SECONDS] [--addr HOST:PORT] [--fixtures FILE]`: serves the embedded mock
//! SPAPS, prints its URL as the first line of output, and stops after SECONDS (default
//! 600; 0 runs until killed) or when killed.
//!
//! The mock's controls (clock, faults, webhooks, codes, what it received) are served
//! under `/__mock/`; see the `spaps_testkit::mock_spaps` docs.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use spaps_testkit::mock_spaps::MockSpaps;

const USAGE: &str = "usage: spaps-mock [SECONDS] [--addr HOST:PORT] [--fixtures FILE]";

fn main() -> ExitCode {
    let mut seconds: u64 = 600;
    let mut addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut fixtures = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => match args.next().and_then(|a| a.parse().ok()) {
                Some(a) => addr = a,
                None => return fail("--addr needs HOST:PORT"),
            },
            "--fixtures" => match args.next() {
                Some(f) => fixtures = Some(f),
                None => return fail("--fixtures needs a FILE"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => match other.parse() {
                Ok(s) => seconds = s,
                Err(_) => return fail(&format!("unknown argument `{other}`")),
            },
        }
    }
    let mut mock = MockSpaps::new();
    if let Some(path) = fixtures {
        mock = match mock.with_fixtures_file(&path) {
            Ok(m) => m,
            Err(e) => return fail(&format!("fixtures {path}: {e}")),
        };
    }
    let server = match mock.start_on(addr) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot listen on {addr}: {e}")),
    };
    println!("{}", server.url());
    let _ = std::io::stdout().flush();
    if seconds == 0 {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    std::thread::sleep(Duration::from_secs(seconds));
    server.shutdown();
    ExitCode::SUCCESS
}

fn fail(message: &str) -> ExitCode {
    eprintln!("spaps-mock: {message}\n{USAGE}");
    ExitCode::from(2)
}
