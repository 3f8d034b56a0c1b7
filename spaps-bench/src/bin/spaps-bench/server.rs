//! The bench server, in its own process: keep-alive HTTP/1.1, one prebuilt response
//! for every request, on two listeners. The first serves each connection on a
//! thread of its own with blocking reads and writes (the fewest system calls per
//! request): every throughput comparison uses it. The second is one tokio
//! current-thread runtime, for the memory comparison's 10,000 connections: a path
//! starting with `/hold/N` is held until N such requests wait (or 20 s pass), then
//! answered with `connection: close`, so N calls are in flight at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use super::*;

const MAX_REQUEST: usize = 64 * 1024;
const HOLD_LIMIT: Duration = Duration::from_secs(20);

fn response(close: bool) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{BODY}",
        BODY.len(),
        if close { "connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

pub(crate) fn response_len() -> usize {
    response(false).len()
}

struct Hold {
    waiting: AtomicUsize,
    release: Notify,
}

/// Runs the server; as the bench's child (`controlled`) it answers `stats` on stdin
/// and stops when stdin closes, alone it runs until killed (or its lifetime ends).
pub(crate) fn main(args: &[String], controlled: bool) -> Result<(), BoxError> {
    let mut addr = "127.0.0.1:0".to_owned();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--addr" => addr = it.next().ok_or("--addr needs an address")?.clone(),
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let addr: SocketAddr = addr.parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let served = Arc::new(AtomicU64::new(0));
    let bind = |addr: SocketAddr| {
        rt.block_on(async {
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(4096)
        })
    };
    let fast = bind(addr)?.into_std()?;
    fast.set_nonblocking(false)?;
    let listener = bind(SocketAddr::new(addr.ip(), 0))?;
    println!(
        "listening http://{} http://{}",
        fast.local_addr()?,
        listener.local_addr()?
    );
    io::stdout().flush()?;
    if controlled {
        // Control: `stats` prints the count and CPU time; end of input stops the server.
        let served = served.clone();
        std::thread::spawn(move || {
            let stdin = io::stdin();
            for line in stdin.lock().lines() {
                match line.as_deref() {
                    Ok("stats") => {
                        println!(
                            "stats {} {:.3}",
                            served.load(Ordering::Relaxed),
                            cpu_seconds()
                        );
                        let _ = io::stdout().flush();
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            std::process::exit(0);
        });
    }
    std::thread::spawn(|| {
        std::thread::sleep(SERVER_LIFETIME);
        std::process::exit(0);
    });
    let hold = Arc::new(Hold {
        waiting: AtomicUsize::new(0),
        release: Notify::new(),
    });
    let ok: &'static [u8] = response(false).leak();
    let closing: &'static [u8] = response(true).leak();
    {
        let served = served.clone();
        std::thread::spawn(move || {
            for stream in fast.incoming() {
                let Ok(stream) = stream else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let served = served.clone();
                let _ = std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn(move || blocking_connection(stream, ok, &served));
            }
        });
    }
    rt.block_on(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors, say: let connections drain.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            let (served, hold) = (served.clone(), hold.clone());
            tokio::spawn(async move {
                let _ = connection(stream, ok, closing, &served, &hold).await;
            });
        }
    })
}

/// Process CPU time (user + system), from `/proc/self/stat`, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

async fn connection(
    mut stream: tokio::net::TcpStream,
    ok: &'static [u8],
    closing: &'static [u8],
    served: &AtomicU64,
    hold: &Hold,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let mut used = 0;
        let mut close = false;
        while let Some(request) = next_request(&buf[used..]) {
            let Ok((len, held)) = request else {
                return Ok(());
            };
            used += len;
            served.fetch_add(1, Ordering::Relaxed);
            if let Some(n) = held {
                stream.write_all(&out).await?;
                out.clear();
                wait_for(hold, n).await;
                stream.write_all(closing).await?;
                close = true;
                break;
            }
            out.extend_from_slice(ok);
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if close {
            return stream.shutdown().await;
        }
        buf.drain(..used);
        if buf.len() > MAX_REQUEST {
            return Ok(());
        }
        buf.reserve(4096);
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

/// A keep-alive connection on a thread of its own: per request one `read` (which
/// blocks until the request comes) and one `write`, so the server does less per
/// request than any client can. Closed when idle for `IDLE`.
fn blocking_connection(
    mut stream: TcpStream,
    ok: &'static [u8],
    served: &AtomicU64,
) -> io::Result<()> {
    const IDLE: Duration = Duration::from_secs(60);
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0;
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let mut used = 0;
        while let Some(request) = next_request(&buf[used..filled]) {
            let Ok((len, _)) = request else {
                return Ok(());
            };
            used += len;
            served.fetch_add(1, Ordering::Relaxed);
            out.extend_from_slice(ok);
        }
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        buf.copy_within(used..filled, 0);
        filled -= used;
        if filled == buf.len() {
            if buf.len() >= MAX_REQUEST {
                return Ok(());
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
    }
}

/// Waits until `n` held requests wait together (or the limit passes).
async fn wait_for(hold: &Hold, n: usize) {
    let released = hold.release.notified();
    if hold.waiting.fetch_add(1, Ordering::SeqCst) + 1 >= n {
        hold.waiting.store(0, Ordering::SeqCst);
        hold.release.notify_waiters();
    } else {
        let _ = tokio::time::timeout(HOLD_LIMIT, released).await;
    }
}

/// The length of the first complete request in `buf`, and its hold count; `None`
/// while incomplete, `Some(Err)` for a request this server does not serve.
#[allow(clippy::type_complexity)]
fn next_request(buf: &[u8]) -> Option<Result<(usize, Option<usize>), ()>> {
    let end = crate::raw::find(buf, b"\r\n\r\n")?;
    let Ok(head) = std::str::from_utf8(&buf[..end]) else {
        return Some(Err(()));
    };
    let mut lines = head.split("\r\n");
    let path = lines.next().and_then(|l| l.split(' ').nth(1)).unwrap_or("");
    let held = path
        .strip_prefix("/hold/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse::<usize>().ok());
    let mut body = 0;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => body = n,
                    Err(_) => return Some(Err(())),
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Some(Err(()));
            }
        }
    }
    let total = end + 4 + body;
    (buf.len() >= total).then_some(Ok((total, held)))
}

/// The server's request count, CPU seconds and the time, before a comparison.
pub(crate) fn mark(own: &mut Option<Handle>) -> Result<Option<(u64, f64, Instant)>, BoxError> {
    Ok(match own {
        Some(h) => {
            let (n, cpu) = h.stats()?;
            Some((n, cpu, Instant::now()))
        }
        None => None,
    })
}

/// Prints what the server spent during a comparison: its CPU per request and how
/// busy it was (far from a whole core: it was not what limited the clients).
pub(crate) fn load(
    own: &mut Option<Handle>,
    before: Option<(u64, f64, Instant)>,
    what: &str,
) -> Result<(), BoxError> {
    if let (Some(h), Some((n0, cpu0, t0))) = (own.as_mut(), before) {
        let (n1, cpu1) = h.stats()?;
        let (n, cpu) = ((n1 - n0).max(1), cpu1 - cpu0);
        println!(
            "# server during {what}: {n} requests, {:.2} us of server CPU each, busy {:.0}% of one core",
            cpu * 1e6 / n as f64,
            cpu / t0.elapsed().as_secs_f64() * 100.0
        );
    }
    Ok(())
}

/// The server child, stopped when this handle drops (its stdin closes).
pub(crate) struct Handle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The thread-per-connection server, for every throughput comparison.
    pub(crate) url: String,
    /// The tokio server, which also holds `/hold/N` requests: for the memory
    /// comparison's 10,000 connections.
    pub(crate) hold_url: String,
}

impl Handle {
    pub(crate) fn spawn() -> Result<Self, BoxError> {
        let mut child = on_seq_cpu(std::env::current_exe()?)
            .arg("__serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let mut urls = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| format!("the server said `{}`", line.trim()))?
            .split(' ')
            .map(str::to_owned);
        let (Some(url), Some(hold_url)) = (urls.next(), urls.next()) else {
            return Err(format!("the server said `{}`", line.trim()).into());
        };
        Ok(Self {
            child,
            stdin,
            stdout,
            url,
            hold_url,
        })
    }

    /// Requests served and CPU seconds used so far.
    pub(crate) fn stats(&mut self) -> Result<(u64, f64), BoxError> {
        let stdin = self.stdin.as_mut().ok_or("the server is stopped")?;
        stdin.write_all(b"stats\n")?;
        stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let mut parts = line.split_whitespace().skip(1);
        let served = parts.next().ok_or("bad stats")?.parse()?;
        let cpu = parts.next().ok_or("bad stats")?.parse()?;
        Ok((served, cpu))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's pipelined capacity: raw clients keep `DEPTH` requests outstanding
/// on each of a few connections, and only count response bytes.
pub(crate) fn capacity(server: &Handle, seconds: f64) -> Result<f64, BoxError> {
    const CONNS: usize = 4;
    const DEPTH: usize = 32;
    let (addr, host, _) = crate::raw::addr_of(&server.url)?;
    let request = format!("GET {PATH} HTTP/1.1\r\nhost: {host}\r\n\r\n").repeat(DEPTH);
    let per_response = response_len();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let handles: Vec<_> = (0..CONNS)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || -> Result<u64, BoxError> {
                let mut s = TcpStream::connect(addr)?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(Duration::from_secs(10)))?;
                let mut buf = vec![0u8; 64 * 1024];
                let mut done = 0u64;
                while Instant::now() < deadline {
                    s.write_all(request.as_bytes())?;
                    let mut bytes = 0;
                    while bytes < per_response * DEPTH {
                        let n = s.read(&mut buf)?;
                        if n == 0 {
                            return Err("closed".into());
                        }
                        bytes += n;
                    }
                    done += DEPTH as u64;
                }
                Ok(done)
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.join().map_err(|_| "a capacity thread panicked")??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
}
