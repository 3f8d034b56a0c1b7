//! Interceptors: propagate a W3C `traceparent` on every request and count calls per
//! operation, plus the context an API error carries:
//! `cargo run -p spaps-examples --example interceptors`.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`, `SPAPS_EMAIL` and `SPAPS_PASSWORD`).

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spaps_tokio::http::HeaderValue;
use spaps_tokio::intercept::{Exchange, OutgoingRequest, ResponseInfo, RetryNotice};
use spaps_tokio::{Client, Error, Interceptor, RetryPolicy, SendError};

tokio::task_local! {
    /// The trace the current task works for (e.g. taken from the request a web
    /// handler serves). Interceptors run on the task making the call, so they see it.
    static TRACE_ID: String;
}

/// Sends `traceparent: 00-<trace id>-<span id>-01` on every exchange: the task's trace
/// id (a fresh one when there is none) and a new span id per attempt.
#[derive(Debug, Default)]
struct TracePropagation {
    ids: RandomState,
    spans: AtomicU64,
}

impl TracePropagation {
    fn random(&self) -> u64 {
        self.ids
            .hash_one(self.spans.fetch_add(1, Ordering::Relaxed))
    }
}

impl Interceptor for TracePropagation {
    fn before_send(&self, _: &Exchange, request: &mut OutgoingRequest<'_>) {
        let trace_id = TRACE_ID
            .try_with(Clone::clone)
            .unwrap_or_else(|_| format!("{:016x}{:016x}", self.random(), self.random()));
        let traceparent = format!("00-{trace_id}-{:016x}-01", self.random());
        if let Ok(value) = HeaderValue::from_str(&traceparent) {
            request.insert_header("traceparent", value);
        }
    }
}

/// Per operation: calls, attempts (retries and refreshes included), failures, time.
#[derive(Debug, Default, Clone)]
struct Counts {
    calls: u32,
    exchanges: u32,
    refreshes: u32,
    retries: u32,
    errors: u32,
    time: Duration,
}

/// Counts calls per operation into your own metrics (here, a map).
#[derive(Debug, Default)]
struct CallCounter {
    by_operation: Mutex<BTreeMap<&'static str, Counts>>,
}

impl CallCounter {
    fn update(&self, exchange: &Exchange, change: impl FnOnce(&mut Counts)) {
        let mut map = self.by_operation.lock().unwrap_or_else(|e| e.into_inner());
        change(map.entry(exchange.operation()).or_default());
    }
}

impl Interceptor for CallCounter {
    fn before_send(&self, exchange: &Exchange, _: &mut OutgoingRequest<'_>) {
        self.update(exchange, |c| {
            c.exchanges += 1;
            if exchange.is_refresh() {
                c.refreshes += 1;
            } else if exchange.attempt() == 1 {
                c.calls += 1;
            }
        });
    }

    fn on_response(&self, exchange: &Exchange, response: &ResponseInfo<'_>) {
        self.update(exchange, |c| {
            c.time += response.elapsed();
            if !response.status().is_success() {
                c.errors += 1;
            }
        });
    }

    fn on_transport_error(&self, exchange: &Exchange, _: &SendError, elapsed: Duration) {
        self.update(exchange, |c| {
            c.time += elapsed;
            c.errors += 1;
        });
    }

    fn on_retry(&self, exchange: &Exchange, retry: &RetryNotice) {
        println!(
            "  {} attempt {} failed ({}); retrying in {:?}",
            exchange.operation(),
            retry.attempt,
            retry.reason,
            retry.delay
        );
        self.update(exchange, |c| c.retries += 1);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!("SPAPS at {target}");

    let counter = Arc::new(CallCounter::default());
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        // Several interceptors run in the order they were added, on every exchange.
        .interceptor(Arc::new(TracePropagation::default()))
        .interceptor(counter.clone())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(50)))
        .build()?;

    // On the embedded mock, make the next session read fail once with a 503, to see a
    // retry (the mock's HTTP controls, reached with a few lines of std: any HTTP client
    // would do).
    if let Some(mock) = &target.mock {
        let fault =
            serde_json::json!({"route": "GET /api/sessions/current", "times": 1, "status": 503});
        post_json(mock.addr(), "/__mock/faults", &fault.to_string())?;
    }

    // Everything this task does belongs to one trace.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736".to_owned();
    TRACE_ID
        .scope(trace_id.clone(), async {
            client
                .auth()
                .sign_in_with_password(target.email.as_str(), target.password.as_str())
                .await?;
            client.sessions().get_current_session().await?;
            client.sessions().list_sessions().limit(5u32).await?;
            client.sessions().get_current_session().await?;
            Ok::<_, Error>(())
        })
        .await?;

    // An API error names its operation and keeps the response's headers (credentials
    // redacted) and body (up to 16 KiB); its Display shows neither.
    match client
        .auth()
        .sign_in_with_password(target.email.as_str(), "wrong password")
        .await
    {
        Err(Error::Api(e)) => {
            println!("error: {e}");
            println!(
                "  operation {}, {} response headers, body {} bytes: {}",
                e.operation,
                e.headers.len(),
                e.body.len(),
                e.body_text().unwrap_or("(not text)")
            );
        }
        other => println!("unexpected: {other:?}"),
    }

    println!("calls per operation:");
    let counts = counter.by_operation.lock().unwrap().clone();
    for (operation, c) in &counts {
        println!(
            "  {operation}: {} call(s), {} exchange(s), {} refresh(es), {} retr(ies), {} error(s), {:?}",
            c.calls, c.exchanges, c.refreshes, c.retries, c.errors, c.time
        );
    }
    assert_eq!(counts["sessions.get_current_session"].calls, 2);
    if target.mock.is_some() {
        assert_eq!(counts["sessions.get_current_session"].retries, 1);
    }
    assert_eq!(counts["auth.sign_in_with_password"].calls, 2);

    // The embedded mock shows what arrived: the same trace id on every request of the
    // task, a new span id on each.
    if let Some(mock) = &target.mock {
        for request in mock
            .requests()
            .iter()
            .filter(|r| !r.path.starts_with("/__mock"))
        {
            let traceparent = request
                .headers
                .iter()
                .find(|(name, _)| name == "traceparent")
                .map(|(_, value)| value.as_str())
                .unwrap_or("(none)");
            println!(
                "  {} {} traceparent {traceparent}",
                request.method, request.path
            );
        }
        let requests = mock.requests();
        let of_the_task = requests.iter().filter(|r| !r.path.starts_with("/__mock"));
        let propagated = of_the_task.take(5).all(|r| {
            r.headers
                .iter()
                .any(|(n, v)| n == "traceparent" && v.contains(trace_id.as_str()))
        });
        assert!(propagated, "the trace id reached the server");
    }
    Ok(())
}

/// POSTs a JSON body to a loopback server over HTTP/1.1 and checks for a 2xx answer.
fn post_json(addr: std::net::SocketAddr, path: &str, body: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.starts_with("HTTP/1.1 2") {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "the mock refused the control: {}",
            answer.lines().next().unwrap_or("")
        )))
    }
}
