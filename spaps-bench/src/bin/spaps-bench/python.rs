//! The reference client, `spaps==0.5.0`, in a venv under `target/`, driven by a
//! small script the bench writes: it waits for `sync SECONDS` or
//! `async SECONDS IN_FLIGHT` on stdin and answers `N ELAPSED`.

use super::*;
use crate::net::{self, Side};
use crate::report::{Plan as NetPlan, Report};

const SCRIPT: &str = r#"
import asyncio, sys, time
from spaps_client import AsyncSpapsClient, SpapsClient

url, conc_url, key, token = sys.argv[1:5]
sync_client = SpapsClient(base_url=url, api_key=key)
sync_client.set_tokens(access_token=token)
loop = asyncio.new_event_loop()

async def make_async():
    c = AsyncSpapsClient(base_url=conc_url, api_key=key)
    c.set_tokens(access_token=token)
    await c.sessions.get_current_session()
    return c

async_client = loop.run_until_complete(make_async())
sync_client.sessions.get_current_session()

def run_sync(seconds):
    n, t0 = 0, time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        sync_client.sessions.get_current_session()
        n += 1
    return n, time.perf_counter() - t0

async def run_async(seconds, in_flight):
    end = time.perf_counter() + seconds
    async def worker():
        n = 0
        while time.perf_counter() < end:
            await async_client.sessions.get_current_session()
            n += 1
        return n
    t0 = time.perf_counter()
    counts = await asyncio.gather(*(worker() for _ in range(in_flight)))
    return sum(counts), time.perf_counter() - t0

print("ready", flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "sync":
        n, took = run_sync(float(parts[1]))
    elif parts[0] == "async":
        n, took = loop.run_until_complete(run_async(float(parts[1]), int(parts[2])))
    else:
        break
    print(n, took, flush=True)
"#;

pub(crate) struct Reference {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/spaps-bench
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Runs `cmd` to completion within `limit`.
fn run(cmd: &mut Command, limit: Duration) -> Result<bool, BoxError> {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let last = err.lines().last().unwrap_or("").to_owned();
                println!("# {cmd:?} failed: {last}");
            }
            return Ok(status.success());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{cmd:?} took longer than {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Reference {
    /// Installs (once) and starts the reference; `None` with a note when Python is
    /// not available.
    pub(crate) fn start(base: &str, conc: &str) -> Result<Option<Self>, BoxError> {
        let dir = target_dir().join("spaps-bench");
        let venv = dir.join("venv");
        let python = venv.join("bin").join("python");
        let installed = |python: &Path| {
            Command::new(python)
                .args([
                    "-c",
                    "import importlib.metadata as m; assert m.version('spaps') == '0.5.0'",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !installed(&python) {
            if Command::new("python3")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
            {
                println!("# reference client skipped: no python3 on PATH");
                return Ok(None);
            }
            std::fs::create_dir_all(&dir)?;
            let t = Instant::now();
            if !run(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                Duration::from_secs(120),
            )? || !run(
                Command::new(&python).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    REFERENCE,
                ]),
                Duration::from_secs(300),
            )? {
                println!("# reference client skipped: could not install {REFERENCE}");
                return Ok(None);
            }
            println!(
                "# installed {REFERENCE} into {} ({:.1} s)",
                venv.display(),
                t.elapsed().as_secs_f64()
            );
        }
        let script = dir.join("reference_bench.py");
        std::fs::write(&script, SCRIPT)?;
        let mut child = on_seq_cpu(&python)
            .arg(&script)
            .args([base, conc, API_KEY, TOKEN])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the reference script said `{}`", line.trim()).into());
        }
        let version = Command::new(&python)
            .args(["-c", "import sys; print(sys.version.split()[0])"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        println!("# reference: {REFERENCE} on CPython {version} (httpx, default limits)");
        Ok(Some(Self {
            child,
            stdin,
            stdout,
        }))
    }

    /// One phase; returns ns per call.
    fn phase(&mut self, command: &str) -> Result<f64, BoxError> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let n: f64 = parts
            .next()
            .ok_or("the reference script stopped")?
            .parse()?;
        let took: f64 = parts.next().ok_or("bad answer")?.parse()?;
        Ok(took * 1e9 / n.max(1.0))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn compare(
    reference: &mut Reference,
    rt: &tokio::runtime::Runtime,
    (base, conc): (&str, &str),
    plan: &NetPlan,
    report: &mut Report,
) -> Result<(), BoxError> {
    let (py_slice, rounds) = plan.py();
    let (net_slice, _) = plan.net();
    let blocking = net::blocking_client(base)?;
    let tokio_client = net::tokio_client(rt, conc)?;
    let mut sdk_seq = net::blocking_side(&blocking);
    let mut sdk_256 = net::sdk_side(rt, &tokio_client, IN_FLIGHT);
    let (mut seq, mut conc) = (Vec::new(), Vec::new());
    let (mut ref_seq, mut ref_conc) = (Vec::new(), Vec::new());
    sdk_256(Instant::now() + Duration::from_millis(100))?;
    let secs = py_slice.as_secs_f64();
    for round in 0..rounds {
        let ours = |side: &mut Side<'_>| -> Result<f64, BoxError> {
            let start = Instant::now();
            let n = side(start + net_slice)?;
            Ok(start.elapsed().as_nanos() as f64 / n.max(1) as f64)
        };
        if round % 2 == 0 {
            seq.push(ours(&mut sdk_seq)?);
            ref_seq.push(reference.phase(&format!("sync {secs}"))?);
            conc.push(ours(&mut sdk_256)?);
            ref_conc.push(reference.phase(&format!("async {secs} {IN_FLIGHT}"))?);
        } else {
            ref_seq.push(reference.phase(&format!("sync {secs}"))?);
            seq.push(ours(&mut sdk_seq)?);
            ref_conc.push(reference.phase(&format!("async {secs} {IN_FLIGHT}"))?);
            conc.push(ours(&mut sdk_256)?);
        }
    }
    println!(
        "# reference sync client: {:.0} req/s against spaps-blocking {:.0} req/s; reference async client, {IN_FLIGHT} in flight: {:.0} req/s against spaps-tokio {:.0} req/s",
        net::rate(&ref_seq),
        net::rate(&seq),
        net::rate(&ref_conc),
        net::rate(&conc)
    );
    report.ratio(
        "vs_reference_sync",
        net::cost_ratio(&ref_seq, &seq),
        5.0,
        false,
    );
    report.ratio(
        "vs_reference_async_256",
        net::cost_ratio(&ref_conc, &conc),
        100.0,
        false,
    );
    Ok(())
}
