//! `spaps-mock [SECONDS] [--addr HOST:PORT] [--fixtures FILE] [--tls-ca FILE]`: serves
//! the embedded mock SPAPS, prints its URL as the first line of output, and stops after
//! SECONDS (default 600; 0 runs until killed) or when killed.
//!
//! With `--tls-ca FILE` it serves HTTPS (offering HTTP/2) with a certificate for
//! `localhost`, `127.0.0.1` and `::1` from a CA made on the spot, whose certificate it
//! writes to FILE: `SSL_CERT_FILE=FILE` makes a client trust it.
//!
//! The mock's controls (clock, faults, webhooks, codes, what it received) are served
//! under `/__mock/`; see the `spaps_testkit::mock_spaps` docs.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use spaps_testkit::mock_spaps::MockSpaps;

const USAGE: &str =
    "usage: spaps-mock [SECONDS] [--addr HOST:PORT] [--fixtures FILE] [--tls-ca FILE]";

fn main() -> ExitCode {
    let mut seconds: u64 = 600;
    let mut addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut fixtures = None;
    let mut tls_ca: Option<String> = None;
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
            "--tls-ca" => match args.next() {
                Some(f) => tls_ca = Some(f),
                None => return fail("--tls-ca needs a FILE"),
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
    let started = match &tls_ca {
        None => mock.start_on(addr),
        Some(path) => {
            let pki = spaps_testkit::tls::TestPki::new();
            if let Err(e) = std::fs::write(path, pki.ca_pem()) {
                return fail(&format!("cannot write {path}: {e}"));
            }
            mock.start_tls_on(addr, pki.server_tls().with_h2())
        }
    };
    let server = match started {
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
