//! Peak memory of 10,000 calls in flight on one client: each side runs in a child
//! process of its own and reports `VmHWM` (and `VmRSS` before the calls).

use super::*;
use crate::report::Report;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `__mem sdk|bare WARM_URL HOLD_URL N`: prints `mem BASE_KB PEAK_KB OK`.
pub(crate) fn child(args: &[String]) -> Result<(), BoxError> {
    let [side, warm, hold, n] = args else {
        return Err("usage: __mem sdk|bare WARM_URL HOLD_URL N".into());
    };
    let n: usize = n.parse()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (base_kb, ok) = match side.as_str() {
        "sdk" => {
            // A first client warms up the code paths; the measured one starts cold.
            let warm_client = net::tokio_client(&rt, warm)?;
            drop(warm_client);
            let client = spaps_tokio::Client::builder()
                .base_url(hold)
                .api_key(API_KEY)
                .build()?;
            rt.block_on(client.set_tokens(Tokens::new(TOKEN)))?;
            let base_kb = status_kb("VmRSS:");
            let ok = rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..n {
                    let client = client.clone();
                    set.spawn(async move { client.sessions().get_current_session().await });
                }
                let mut ok = 0;
                while let Some(r) = set.join_next().await {
                    ok += usize::from(matches!(r, Ok(Ok(_))));
                }
                ok
            });
            (base_kb, ok)
        }
        "bare" => {
            let warm_http = net::reqwest_client()?;
            rt.block_on(net::reqwest_call(
                &warm_http,
                &format!("{warm}{PATH}"),
                &format!("Bearer {TOKEN}"),
            ))?;
            drop(warm_http);
            let http = net::reqwest_client()?;
            let url: Arc<str> = format!("{hold}{PATH}").into();
            let bearer: Arc<str> = format!("Bearer {TOKEN}").into();
            let base_kb = status_kb("VmRSS:");
            let ok = rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..n {
                    let (http, url, bearer) = (http.clone(), url.clone(), bearer.clone());
                    set.spawn(async move { net::reqwest_call(&http, &url, &bearer).await });
                }
                let mut ok = 0;
                while let Some(r) = set.join_next().await {
                    ok += usize::from(matches!(r, Ok(Ok(()))));
                }
                ok
            });
            (base_kb, ok)
        }
        other => return Err(format!("unknown side `{other}`").into()),
    };
    println!("mem {base_kb} {} {ok}", status_kb("VmHWM:"));
    Ok(())
}

/// Runs one side in a child; returns (base kB, peak kB, calls that succeeded).
fn run_side(side: &str, warm: &str, hold: &str, n: usize) -> Result<(u64, u64, usize), BoxError> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["__mem", side, warm, hold, &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = String::new();
    child
        .stdout
        .take()
        .ok_or("no stdout")?
        .read_to_string(&mut out)?;
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the {side} memory child failed ({status})").into());
    }
    let mut parts = out
        .lines()
        .find_map(|l| l.strip_prefix("mem "))
        .ok_or("the memory child printed nothing")?
        .split_whitespace();
    let mut next = || parts.next().ok_or("short memory line");
    Ok((next()?.parse()?, next()?.parse()?, next()?.parse()?))
}

/// `base`: the own server's tokio listener (which holds `/hold/N` requests) when
/// `own_server`.
pub(crate) fn compare(
    base: &str,
    own_server: bool,
    rounds: usize,
    report: &mut Report,
) -> Result<(), BoxError> {
    let n = MEM_IN_FLIGHT;
    let hold = if own_server {
        format!("{base}/hold/{n}")
    } else {
        println!(
            "# memory: the server given with --server answers as requests come (no hold), so fewer than {n} calls may be in flight at once and the peaks depend on timing"
        );
        base.to_owned()
    };
    let (mut sdk, mut bare) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let order: [&str; 2] = if round % 2 == 0 {
            ["sdk", "bare"]
        } else {
            ["bare", "sdk"]
        };
        for side in order {
            let (base_kb, peak_kb, ok) = run_side(side, base, &hold, n)?;
            if ok != n {
                println!("# memory: {side}: only {ok} of {n} calls succeeded");
            }
            let growth = peak_kb.saturating_sub(base_kb) as f64;
            println!(
                "# memory, {n} in flight: {side}: {:.1} MiB before, peak {:.1} MiB (+{:.1} MiB, {:.1} KiB per call)",
                base_kb as f64 / 1024.0,
                peak_kb as f64 / 1024.0,
                growth / 1024.0,
                growth / n as f64
            );
            if side == "sdk" {
                sdk.push(growth);
            } else {
                bare.push(growth);
            }
        }
    }
    let (s, b) = (median(&mut sdk), median(&mut bare));
    report.ratio("memory_10k_inflight", s / b.max(1.0), 1.1, true);
    Ok(())
}
