//! Loopback comparisons: the SDK clients against bare ureq and reqwest making the
//! same requests (same path and headers, the body decoded into the same model), and
//! against a raw-socket client that only frames the response.

use super::*;
use crate::raw;
use crate::report::{Plan as NetPlan, Report};

/// One side of an interleaved comparison: runs until the deadline, returns the
/// number of completed calls.
pub(crate) type Side<'a> = Box<dyn FnMut(Instant) -> Result<u64, BoxError> + 'a>;

/// Interleaves `sides` for `rounds` slices each and returns each side's per-round
/// ns per call. The order rotates every other round and runs backwards on odd
/// rounds, so no side always follows the same one.
pub(crate) fn interleave(
    slice: Duration,
    rounds: usize,
    sides: &mut [Side<'_>],
) -> Result<Vec<Vec<f64>>, BoxError> {
    let n = sides.len();
    let mut out = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..n).map(|k| (round / 2 + k) % n).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let start = Instant::now();
            let calls = (sides[i])(start + slice)?;
            let took = start.elapsed();
            out[i].push(took.as_nanos() as f64 / calls.max(1) as f64);
        }
    }
    Ok(out)
}

pub(crate) fn cost_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    median(&mut r)
}

pub(crate) fn rate(ns: &[f64]) -> f64 {
    1e9 / median(&mut ns.to_vec())
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

pub(crate) fn blocking_client(base: &str) -> Result<spaps_blocking::Client, BoxError> {
    let client = spaps_blocking::Client::builder()
        .base_url(base)
        .api_key(API_KEY)
        .build()?;
    client.set_tokens(Tokens::new(TOKEN))?;
    client.sessions().get_current_session().send()?;
    Ok(client)
}

/// `profile SIDE SECONDS URL`: one side alone against a server started apart (so a
/// profiler attached to this process sees the client only).
pub(crate) fn profile(args: &[String]) -> Result<(), BoxError> {
    let [side, seconds, base] = args else {
        return Err(usage().into());
    };
    let deadline = Instant::now() + Duration::from_secs_f64(seconds.parse()?);
    // The worker threads of the 256-in-flight sides (2 unless `SPAPS_BENCH_WORKERS`
    // says otherwise: one worker takes cross-thread sharing out of the picture).
    let workers = std::env::var("SPAPS_BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let rt_seq = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url: Arc<str> = format!("{base}{PATH}").into();
    let bearer: Arc<str> = bearer().into();
    let start = Instant::now();
    let n = match side.as_str() {
        "blocking" => blocking_side(&blocking_client(base)?)(deadline)?,
        "ureq" => {
            let agent = bare_agent();
            let mut n = 0;
            while Instant::now() < deadline {
                let mut response = agent
                    .get(&*url)
                    .header("user-agent", spaps_proto::USER_AGENT)
                    .header("x-api-key", API_KEY)
                    .header("accept", "application/json")
                    .header("authorization", &*bearer)
                    .call()?;
                black_box(decode_bare(&response.body_mut().read_to_vec()?)?);
                n += 1;
            }
            n
        }
        "raw" => {
            let mut raw = raw::Client::connect(base)?;
            let mut n = 0;
            while Instant::now() < deadline {
                black_box(raw.call()?);
                n += 1;
            }
            n
        }
        "tokio" => sdk_side(&rt_seq, &tokio_client(&rt_seq, base)?, 1)(deadline)?,
        "tokio256" => sdk_side(&rt, &tokio_client(&rt, base)?, IN_FLIGHT)(deadline)?,
        "reqwest" => bare_side(&rt_seq, &reqwest_client()?, &url, &bearer, 1)(deadline)?,
        "reqwest256" => bare_side(&rt, &reqwest_client()?, &url, &bearer, IN_FLIGHT)(deadline)?,
        // Bare reqwest boxed as the SDK's call future is, plus a fresh block of
        // `SPAPS_BENCH_BOX_BYTES` per call (default 2048), written whole: what a
        // per-call block costs when calls move between threads (BENCHMARKS.md, fourth
        // round: blocks over 1,032 bytes miss glibc's per-thread cache).
        "reqwest256box" => {
            let http = reqwest_client()?;
            tokio_side(&rt, IN_FLIGHT, move || {
                let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
                Box::pin(async move {
                    let state = black_box(vec![1u8; box_bytes()]);
                    reqwest_call(&http, &url, &bearer).await?;
                    black_box(state);
                    Ok(())
                })
            })(deadline)?
        }
        // Bare reqwest with its call future boxed, as the SDK's is.
        "reqwest256pin" => {
            let http = reqwest_client()?;
            tokio_side(&rt, IN_FLIGHT, move || {
                let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
                Box::pin(async move { reqwest_call(&http, &url, &bearer).await })
            })(deadline)?
        }
        // Bare reqwest plus a shared mutex taken twice per call, held for
        // `SPAPS_BENCH_HOLD` rounds of 64 writes each time (default 1): what holding
        // a client's state lock costs at 256 in flight (BENCHMARKS.md).
        "reqwest256mutex" => {
            let http = reqwest_client()?;
            let state = Arc::new(std::sync::Mutex::new([0u64; 64]));
            let rounds: usize = std::env::var("SPAPS_BENCH_HOLD")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let touch = move |state: &std::sync::Mutex<[u64; 64]>| {
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                for _ in 0..rounds {
                    state.iter_mut().for_each(|x| *x = black_box(*x + 1));
                }
            };
            tokio_side(&rt, IN_FLIGHT, move || {
                let (http, url, bearer, state) =
                    (http.clone(), url.clone(), bearer.clone(), state.clone());
                async move {
                    touch(&state);
                    reqwest_call(&http, &url, &bearer).await?;
                    touch(&state);
                    Ok(())
                }
            })(deadline)?
        }
        other => return Err(format!("unknown side `{other}`").into()),
    };
    let took = start.elapsed().as_secs_f64();
    println!(
        "{side}: {n} calls, {:.0} req/s, {:.2} us/call",
        n as f64 / took,
        took * 1e6 / n as f64
    );
    Ok(())
}

/// The block `reqwest256box` allocates per call (`SPAPS_BENCH_BOX_BYTES`).
fn box_bytes() -> usize {
    std::env::var("SPAPS_BENCH_BOX_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048)
}

/// The bare ureq baseline: statuses returned as responses and no redirects, as the
/// SDK's agent, and a 10 s timeout on each phase from sending the request to reading
/// the body, so its socket calls are the SDK's. (No global timeout: with one, ureq
/// resolves the host of every request on a new thread, which the SDK's resolver
/// avoids for IP literals; the bench prints that cost apart.)
pub(crate) fn bare_agent() -> ureq::Agent {
    let t = Some(Duration::from_secs(10));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(t)
        .timeout_send_request(t)
        .timeout_recv_response(t)
        .timeout_recv_body(t)
        .build()
        .into()
}

pub(crate) fn blocking_side(client: &spaps_blocking::Client) -> Side<'_> {
    Box::new(move |deadline| {
        let mut n = 0;
        while Instant::now() < deadline {
            black_box(client.sessions().get_current_session().send()?);
            n += 1;
        }
        Ok(n)
    })
}

pub(crate) fn tokio_client(
    rt: &tokio::runtime::Runtime,
    base: &str,
) -> Result<spaps_tokio::Client, BoxError> {
    let client = spaps_tokio::Client::builder()
        .base_url(base)
        .api_key(API_KEY)
        .build()?;
    rt.block_on(client.set_tokens(Tokens::new(TOKEN)))?;
    rt.block_on(client.sessions().get_current_session().into_future())?;
    Ok(client)
}

/// `workers` tasks, each calling `call` in a loop until the deadline.
pub(crate) fn tokio_side<'a, F, Fut>(
    rt: &'a tokio::runtime::Runtime,
    workers: usize,
    call: F,
) -> Side<'a>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Box::new(move |deadline| {
        rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..workers {
                let call = call.clone();
                set.spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        call().await?;
                        n += 1;
                    }
                    Ok::<u64, BoxError>(n)
                });
            }
            let mut total = 0;
            while let Some(done) = set.join_next().await {
                total += done??;
            }
            Ok(total)
        })
    })
}

pub(crate) fn reqwest_client() -> Result<reqwest::Client, BoxError> {
    // Configured as the SDK's transport configures its own.
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .tls_backend_preconfigured(spaps_testkit::tls::client_config(&[]))
        .build()?)
}

pub(crate) async fn reqwest_call(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
) -> Result<(), BoxError> {
    let response = http
        .get(url)
        .header("user-agent", spaps_proto::USER_AGENT)
        .header("x-api-key", API_KEY)
        .header("accept", "application/json")
        .header("authorization", bearer)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()).into());
    }
    let body = response.bytes().await?;
    black_box(decode_bare(&body)?);
    Ok(())
}

pub(crate) fn blocking(base: &str, plan: &NetPlan, report: &mut Report) -> Result<(), BoxError> {
    let (slice, rounds) = plan.net();
    let sdk = blocking_client(base)?;
    let agent = bare_agent();
    let timed_agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let url = format!("{base}{PATH}");
    let bearer = bearer();
    let ureq_call = |agent: &ureq::Agent| -> Result<(), BoxError> {
        let mut response = agent
            .get(&url)
            .header("user-agent", spaps_proto::USER_AGENT)
            .header("x-api-key", API_KEY)
            .header("accept", "application/json")
            .header("authorization", &bearer)
            .call()?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()).into());
        }
        let body = response.body_mut().read_to_vec()?;
        black_box(decode_bare(&body)?);
        Ok(())
    };
    ureq_call(&agent)?;
    ureq_call(&timed_agent)?;
    let mut raw = raw::Client::connect(base)?;
    raw.call()?;
    let mut sides: Vec<Side<'_>> = vec![
        blocking_side(&sdk),
        Box::new(|deadline| {
            let mut n = 0;
            while Instant::now() < deadline {
                ureq_call(&agent)?;
                n += 1;
            }
            Ok(n)
        }),
        Box::new(|deadline| {
            let mut n = 0;
            while Instant::now() < deadline {
                black_box(raw.call()?);
                n += 1;
            }
            Ok(n)
        }),
    ];
    let r = interleave(slice, rounds, &mut sides)?;
    drop(sides);
    let (sdk_rate, ureq_rate, raw_rate) = (rate(&r[0]), rate(&r[1]), rate(&r[2]));
    println!(
        "# sequential, one thread: spaps-blocking {sdk_rate:.0} req/s ({:.1} us/call), bare ureq {ureq_rate:.0} req/s ({:.1} us), raw socket {raw_rate:.0} req/s ({:.1} us)",
        1e6 / sdk_rate,
        1e6 / ureq_rate,
        1e6 / raw_rate,
    );
    // Apart from the interleaved sides: its resolver threads would disturb them.
    let start = Instant::now();
    let mut timed = 0u32;
    while start.elapsed() < slice && timed < 2000 {
        ureq_call(&timed_agent)?;
        timed += 1;
    }
    println!(
        "# ureq with a global timeout set (it resolves every request's host on a new thread; the SDK's resolver parses an IP literal in place): {:.1} us/call",
        start.elapsed().as_secs_f64() * 1e6 / f64::from(timed.max(1))
    );
    report.ratio("blocking_vs_ureq", cost_ratio(&r[0], &r[1]), 1.03, true);
    // Toward the physical limit: reported, not gates (ureq's system calls dominate;
    // see BENCHMARKS.md).
    let mut per_round: Vec<f64> = r[2].iter().zip(&r[0]).map(|(raw, sdk)| raw / sdk).collect();
    report.reported("blocking_vs_raw_rate", median(&mut per_round));
    let mut per_round: Vec<f64> = r[2]
        .iter()
        .zip(&r[1])
        .map(|(raw, bare)| raw / bare)
        .collect();
    report.reported("ureq_vs_raw_rate", median(&mut per_round));
    Ok(())
}

pub(crate) fn tokio_seq(
    rt: &tokio::runtime::Runtime,
    base: &str,
    plan: &NetPlan,
    report: &mut Report,
) -> Result<(), BoxError> {
    let (slice, rounds) = plan.net();
    let mut sides = tokio_sides(rt, base, 1)?;
    let r = interleave(slice, rounds, &mut sides)?;
    let (a, b) = (rate(&r[0]), rate(&r[1]));
    println!(
        "# sequential, one task on a current-thread runtime: spaps-tokio {a:.0} req/s ({:.1} us/call), bare reqwest {b:.0} req/s ({:.1} us)",
        1e6 / a,
        1e6 / b
    );
    report.ratio("tokio_vs_reqwest_seq", cost_ratio(&r[0], &r[1]), 1.03, true);
    Ok(())
}

/// The two sides of a tokio comparison against `base`, each with `workers` tasks
/// calling in a loop: spaps-tokio, then bare reqwest (one call made first, so its
/// client has resolved and connected before it is timed).
fn tokio_sides<'a>(
    rt: &'a tokio::runtime::Runtime,
    base: &str,
    workers: usize,
) -> Result<Vec<Side<'a>>, BoxError> {
    let sdk = tokio_client(rt, base)?;
    let http = reqwest_client()?;
    let url: Arc<str> = format!("{base}{PATH}").into();
    let bearer: Arc<str> = bearer().into();
    rt.block_on(reqwest_call(&http, &url, &bearer))?;
    Ok(vec![
        sdk_side(rt, &sdk, workers),
        bare_side(rt, &http, &url, &bearer, workers),
    ])
}

pub(crate) fn sdk_side<'a>(
    rt: &'a tokio::runtime::Runtime,
    sdk: &spaps_tokio::Client,
    workers: usize,
) -> Side<'a> {
    let sdk = sdk.clone();
    tokio_side(rt, workers, move || {
        let sdk = sdk.clone();
        async move {
            black_box(sdk.sessions().get_current_session().await?);
            Ok(())
        }
    })
}

pub(crate) fn bare_side<'a>(
    rt: &'a tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &Arc<str>,
    bearer: &Arc<str>,
    workers: usize,
) -> Side<'a> {
    let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
    tokio_side(rt, workers, move || {
        let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
        async move { reqwest_call(&http, &url, &bearer).await }
    })
}

pub(crate) fn tokio_concurrent(
    rt: &tokio::runtime::Runtime,
    base: &str,
    plan: &NetPlan,
    report: &mut Report,
) -> Result<(), BoxError> {
    let (slice, rounds) = plan.net();
    let mut sides = tokio_sides(rt, base, IN_FLIGHT)?;
    // One short round first so both pools hold their connections.
    interleave(Duration::from_millis(100), 1, &mut sides)?;
    let r = interleave(slice, rounds, &mut sides)?;
    let (a, b) = (rate(&r[0]), rate(&r[1]));
    println!(
        "# {IN_FLIGHT} in flight, 2 worker threads: spaps-tokio {a:.0} req/s, bare reqwest {b:.0} req/s"
    );
    report.ratio("tokio_vs_reqwest_256", cost_ratio(&r[0], &r[1]), 1.05, true);
    Ok(())
}

/// HTTP/2 against HTTP/1.1 at 256 in flight over TLS: the same `spaps-tokio` client
/// setup against two listeners of one TLS server ([`tls_server`]), one offering `h2`
/// through ALPN and one HTTP/1.1 only. Prints the rates and the connections each
/// client holds; the ratio (HTTP/2 throughput over HTTP/1.1) is reported, not a
/// gate.
pub(crate) fn h2_vs_h1(
    rt: &tokio::runtime::Runtime,
    plan: &NetPlan,
    report: &mut Report,
) -> Result<(), BoxError> {
    use spaps_testkit::tls::{ServerTls, TestPki, LOOPBACK_NAMES};

    let (slice, rounds) = plan.net();
    let pki = TestPki::new();
    let leaf = pki.server_cert(&LOOPBACK_NAMES);
    let h2_addr = tls_server(ServerTls::new(&leaf).with_h2().config()?)?;
    let h1_addr = tls_server(ServerTls::new(&leaf).config()?)?;
    let client = |addr: SocketAddr| -> Result<spaps_tokio::Client, BoxError> {
        let client = spaps_tokio::Client::builder()
            .base_url(&format!("https://{addr}"))
            .api_key(API_KEY)
            .add_root_certificates_pem(pki.ca_pem())
            .build()?;
        rt.block_on(client.set_tokens(Tokens::new(TOKEN)))?;
        rt.block_on(client.sessions().get_current_session().into_future())?;
        Ok(client)
    };
    let (c2, c1) = (client(h2_addr)?, client(h1_addr)?);
    let mut sides = vec![sdk_side(rt, &c2, IN_FLIGHT), sdk_side(rt, &c1, IN_FLIGHT)];
    // One short round first so both pools hold their connections.
    interleave(Duration::from_millis(100), 1, &mut sides)?;
    let r = interleave(slice, rounds, &mut sides)?;
    drop(sides);
    let (conns2, conns1) = (
        established_to(h2_addr.port()),
        established_to(h1_addr.port()),
    );
    println!(
        "# {IN_FLIGHT} in flight over TLS (one tokio current-thread server, prebuilt response), spaps-tokio: HTTP/2 {:.0} req/s on {conns2} connection(s), HTTP/1.1 {:.0} req/s on {conns1} connection(s)",
        rate(&r[0]),
        rate(&r[1])
    );
    report.reported("h2_vs_h1_rate_256_tls", cost_ratio(&r[1], &r[0]));
    Ok(())
}

/// A TLS server on a thread of its own (one tokio current-thread runtime, for the
/// life of the process): HTTP/2 when the client picked `h2` through ALPN, keep-alive
/// HTTP/1.1 otherwise; every request gets the prebuilt JSON body.
fn tls_server(config: Arc<tokio_rustls::rustls::ServerConfig>) -> Result<SocketAddr, BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                        let _ = serve_h2(tls).await;
                        return;
                    }
                    let ok = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                        BODY.len()
                    )
                    .into_bytes();
                    let mut buf: Vec<u8> = Vec::with_capacity(4096);
                    let mut out: Vec<u8> = Vec::with_capacity(4096);
                    loop {
                        let mut used = 0;
                        while let Some(end) = raw::find(&buf[used..], b"\r\n\r\n") {
                            used += end + 4;
                            out.extend_from_slice(&ok);
                        }
                        if !out.is_empty() {
                            if tls.write_all(&out).await.is_err() || tls.flush().await.is_err() {
                                return;
                            }
                            out.clear();
                        }
                        buf.drain(..used);
                        buf.reserve(4096);
                        if !matches!(tls.read_buf(&mut buf).await, Ok(n) if n > 0) {
                            return;
                        }
                    }
                });
            }
        });
    });
    Ok(addr)
}

async fn serve_h2<T>(io: T) -> Result<(), BoxError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let body = bytes::Bytes::from_static(BODY.as_bytes());
    let mut connection = h2::server::handshake(io).await?;
    while let Some(stream) = connection.accept().await {
        // GET requests end with their headers: answer at once.
        let (_request, mut respond) = stream?;
        let response = http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", BODY.len())
            .body(())?;
        let mut send = respond.send_response(response, false)?;
        send.send_data(body.clone(), true)?;
    }
    Ok(())
}

/// Established TCP connections (IPv4 and IPv6) whose remote port is `port`: on
/// loopback, the client ends of the connections to a local server.
fn established_to(port: u16) -> usize {
    let port = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    fields.len() > 3 && fields[2].ends_with(&port) && fields[3] == "01"
                })
                .count()
        })
        .sum()
}
