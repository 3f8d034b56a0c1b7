//! Driving the sans-IO core with a hand-written transport: no tokio, no ureq, no reqwest.
//!
//! `cargo run -p spaps-proto --example custom_transport`
//!
//! With `SPAPS_API_URL` set to a plain-`http` server (and `SPAPS_API_KEY`,
//! `SPAPS_EMAIL`, `SPAPS_PASSWORD`), requests go over a `std::net::TcpStream` written
//! in a few dozen lines below. Without it, the transport is an in-process function that
//! plays a tiny SPAPS, which shows that any `Fn(http::Request) -> http::Response` will do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use spaps_proto::api::auth::SignInWithPassword;
use spaps_proto::api::sessions::GetCurrentSession;
use spaps_proto::SendError;
use spaps_proto::{
    CallOptions, ClientState, Config, Endpoint, Error, Machine, Now, Output, StoreSnapshot,
    Timestamp,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SPAPS_API_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let config = Config::new(url.as_deref().unwrap_or("http://spaps.invalid"))?
        .with_api_key(var("SPAPS_API_KEY", "demo_key"));
    let mut state = ClientState::new(config, seed());
    let transport: &dyn Fn(http::Request<Bytes>) -> Result<http::Response<Bytes>, SendError> =
        match url {
            Some(_) => &tcp_transport,
            None => &in_process_spaps,
        };

    let email = var("SPAPS_EMAIL", "ada@example.com");
    let password = var("SPAPS_PASSWORD", "correct horse battery staple");
    let pair = run(
        &mut state,
        transport,
        SignInWithPassword::new(email, password),
    )?;
    println!("signed in; access token valid for {} s", pair.expires_in);
    let session = run(&mut state, transport, GetCurrentSession::new())?;
    println!("current session: {}", session.session_id);
    Ok(())
}

/// The whole driver: read the clocks, poll, do what the output says, repeat.
///
/// The rules every driver keeps (see `spaps_proto::call`):
/// - the match on [`Output`] is exhaustive: these five are all a driver ever sees;
/// - each request is bounded by the per-attempt timeout and by what is left of the
///   call's overall deadline ([`Machine::deadline`]);
/// - a call that goes away before `Done` is abandoned (`Call::abandon`), so a token
///   refresh it owned is handed back to the other calls: with several calls in flight,
///   do it from a `Drop` guard (as `spaps-tokio` and `spaps-blocking` do);
/// - token events are persisted in generation order, outside any lock, and no user code
///   runs while the state is borrowed.
fn run<E: Endpoint>(
    state: &mut ClientState,
    transport: &dyn Fn(http::Request<Bytes>) -> Result<http::Response<Bytes>, SendError>,
    endpoint: E,
) -> Result<E::Output, Error> {
    let now = || {
        Now::new(
            Instant::now(),
            Timestamp::from_system_time(SystemTime::now()),
        )
    };
    let mut call = state.call(endpoint, CallOptions::default());
    let result = loop {
        match call.poll(now(), state) {
            Output::Send(request) => {
                // This transport has no timeout of its own; a real one is given
                // `Machine::deadline(&call)` minus now, capped by the request timeout.
                let _within = Machine::deadline(&call);
                match transport(request) {
                    Ok(response) => call.handle_response(now(), state, response),
                    Err(error) => call.handle_error(now(), state, error),
                }
            }
            Output::Sleep(until) => {
                std::thread::sleep(until.saturating_duration_since(Instant::now()))
            }
            // One call at a time never waits for another call's refresh; with several,
            // wait for `Event::RefreshSettled` or until the instant, then poll again.
            Output::AwaitRefresh(_) => {}
            // Only for token stores shared with other processes; this driver keeps
            // tokens in memory, so it reports what it holds.
            Output::ReloadStore => {
                let snapshot = StoreSnapshot {
                    tokens: state.tokens().cloned(),
                    written: state.token_manager().generation(),
                };
                call.handle_reload(now(), state, Ok(snapshot));
            }
            Output::Done(result) => break result,
        }
        // Token changes would be persisted here, in generation order; this example
        // keeps them in memory.
        while state.poll_event().is_some() {}
    };
    // Harmless after `Done`; a driver that stops early must not skip it.
    call.abandon(state);
    result
}

/// HTTP/1.1 over a plain TCP socket: enough for a local `http://` SPAPS.
fn tcp_transport(request: http::Request<Bytes>) -> Result<http::Response<Bytes>, SendError> {
    let io = |e: std::io::Error| {
        SendError::Transport(spaps_proto::TransportError::new(
            spaps_proto::TransportErrorKind::Other,
            e.to_string(),
        ))
    };
    let host = request.uri().host().unwrap_or("localhost").to_owned();
    let port = request.uri().port_u16().unwrap_or(80);
    let mut stream = TcpStream::connect((host.as_str(), port)).map_err(io)?;
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
        request.method()
    );
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or("")));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(request.body()).map_err(io)?;

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(502);
    let mut builder = http::Response::builder().status(status);
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        builder = builder.header(name.trim(), value.trim());
    }
    let mut body = Vec::new();
    reader.take(16 << 20).read_to_end(&mut body).map_err(io)?;
    builder.body(Bytes::from(body)).map_err(|e| {
        SendError::Transport(spaps_proto::TransportError::new(
            spaps_proto::TransportErrorKind::Body,
            format!("bad response head: {e}"),
        ))
    })
}

/// A two-route SPAPS in a function.
fn in_process_spaps(request: http::Request<Bytes>) -> Result<http::Response<Bytes>, SendError> {
    let body = match request.uri().path() {
        "/api/auth/login" => {
            r#"{"success":true,"data":{"access_token":"at_demo","refresh_token":"rt_demo",
            "expires_in":3600,"token_type":"Bearer","user":{"id":"user_1","email":"ada@example.com"}}}"#
        }
        "/api/sessions/current"
            if request
                .headers()
                .get("authorization")
                .is_some_and(|v| v == "Bearer at_demo") =>
        {
            r#"{"success":true,"data":{"session":{"id":"sess_demo","user_id":"user_1","application_id":"app",
            "created_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-02T00:00:00Z"}}}"#
        }
        _ => {
            return Ok(http::Response::builder()
                .status(404)
                .body(Bytes::new())
                .unwrap_or_default())
        }
    };
    Ok(http::Response::new(Bytes::from_static(body.as_bytes())))
}

fn seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}
