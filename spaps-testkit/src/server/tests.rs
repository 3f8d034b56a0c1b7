use super::test_client::RawClient;
use super::*;
use serde_json::json;

fn echo_server() -> MockServer {
    MockServer::start(|req: &ObservedRequest| {
        Reply::json(
            200,
            &json!({
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "body": String::from_utf8_lossy(&req.body),
            }),
        )
        .with_header("x-request-id", "req_1")
    })
    .unwrap()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
}

#[test]
fn keep_alive_three_requests_on_one_connection() {
    let server = echo_server();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let mut c = RawClient::connect(server.addr());
    let r1 = c.request("GET", "/a?x=1&y=a+b", &[("X-Api-Key", "k")], None);
    assert_eq!(r1.status, 200);
    assert_eq!(r1.header("x-request-id"), Some("req_1"));
    assert_eq!(r1.header("connection"), None);
    assert_eq!(r1.json()["query"], json!([["x", "1"], ["y", "a b"]]));
    let r2 = c.request("POST", "/b", &[], Some(r#"{"a":1}"#));
    assert_eq!(r2.json()["body"], r#"{"a":1}"#);
    let r3 = c.request("DELETE", "/c%20d", &[], None);
    assert_eq!(r3.json()["path"], "/c%20d");

    let reqs = server.requests();
    assert_eq!(server.request_count(), 3);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("x-api-key"), Some("k"));
    assert_eq!(reqs[1].body, br#"{"a":1}"#);
    assert_eq!(reqs[2].path, "/c%20d");
    server.shutdown();
}

#[test]
fn pipelined_requests_and_head() {
    let server = echo_server();
    let mut c = RawClient::connect(server.addr());
    c.send(format!("{}{}", get("/1"), get("/2")).as_bytes());
    assert_eq!(c.read_response().unwrap().json()["path"], "/1");
    assert_eq!(c.read_response().unwrap().json()["path"], "/2");
    // A HEAD response has Content-Length but no body.
    c.send(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nConnection: close\r\n\r\n");
    let (bytes, err) = c.read_all();
    assert_eq!(err, None);
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(text.matches("Content-Length: ").count(), 2, "{text}");
    assert!(!text.contains("/h"), "{text}");
    assert!(text.contains("Connection: close"), "{text}");
    assert!(text.ends_with('}') && text.contains("/after"), "{text}");
}

#[test]
fn chunked_request_body() {
    let server = echo_server();
    let mut c = RawClient::connect(server.addr());
    c.send(
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          4\r\nWiki\r\n5;ext=1\r\npedia\r\nD\r\n in\r\n\r\nchunks\r\n0\r\nX-Trailer: t\r\n\r\n",
    );
    let r = c.read_response().unwrap();
    assert_eq!(r.json()["body"], "Wikipedia in\r\n\r\nchunks");
    // The connection is still usable.
    let r = c.request("GET", "/next", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(server.requests()[0].body, b"Wikipedia in\r\n\r\nchunks");
}

#[test]
fn expect_continue() {
    let server = echo_server();
    let mut c = RawClient::connect(server.addr());
    c.send(b"POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    let interim = c.read_response().unwrap();
    assert_eq!(interim.status, 100);
    c.send(b"hi");
    assert_eq!(c.read_response().unwrap().json()["body"], "hi");
}

#[test]
fn bad_requests_and_limits() {
    let server = echo_server();
    let mut c = RawClient::connect(server.addr());
    c.send(b"GARBAGE\r\n\r\n");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 400 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    let big = format!(
        "GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(MAX_HEADER_BYTES)
    );
    c.send(big.as_bytes());
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 431 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(
        format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        )
        .as_bytes(),
    );
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 413 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 413 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\n");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 413 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 400 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 400 "), "{bytes:?}");

    let mut c = RawClient::connect(server.addr());
    c.send(b"GET / HTTP/2.0\r\n\r\n");
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 505 "), "{bytes:?}");
    assert_eq!(server.request_count(), 0);
}

#[test]
fn http10_closes_by_default() {
    let server = echo_server();
    let mut c = RawClient::connect(server.addr());
    c.send(b"GET /old HTTP/1.0\r\n\r\n");
    let (bytes, err) = c.read_all();
    assert_eq!(err, None);
    assert!(String::from_utf8_lossy(&bytes).contains("Connection: close"));
}

fn fault_server(reply: Reply) -> MockServer {
    MockServer::start(move |_: &ObservedRequest| reply.clone()).unwrap()
}

#[test]
fn fault_close_before_headers() {
    let server = fault_server(Reply::CloseBeforeHeaders);
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, _) = c.read_all();
    assert!(bytes.is_empty());
    assert_eq!(server.request_count(), 1);
}

#[test]
fn fault_reset_before_headers() {
    let server = fault_server(Reply::ResetBeforeHeaders);
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, err) = c.read_all();
    assert!(bytes.is_empty());
    assert!(
        matches!(err, None | Some(ErrorKind::ConnectionReset)),
        "{err:?}"
    );
}

#[test]
fn fault_reset_mid_body() {
    let server = fault_server(Reply::ResetMidBody {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body_prefix: b"{\"partial\":".to_vec(),
        declared_len: 100,
    });
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, err) = c.read_all();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 100\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n{\"partial\":"), "{text}");
    assert!(
        matches!(err, None | Some(ErrorKind::ConnectionReset)),
        "{err:?}"
    );
}

#[test]
fn fault_truncated_body() {
    let server = fault_server(Reply::TruncatedBody {
        status: 201,
        headers: vec![("Content-Length".into(), "3".into())],
        body: b"abc".to_vec(),
        declared_len: 10,
    });
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, err) = c.read_all();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 201 Created\r\n"), "{text}");
    assert_eq!(text.matches("Content-Length").count(), 1, "{text}");
    assert!(text.contains("Content-Length: 10\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nabc"), "{text}");
    assert_eq!(err, None);
}

#[test]
fn fault_trickle() {
    let server = fault_server(Reply::Trickle {
        status: 200,
        headers: vec![],
        body: b"abcdef".to_vec(),
        chunk: 2,
        interval: Duration::from_millis(40),
    });
    let mut c = RawClient::connect(server.addr());
    let started = Instant::now();
    c.send(get("/x").as_bytes());
    let r = c.read_response().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(110),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.body, b"abcdef");
    // The connection stays usable after a complete trickle.
    c.send(get("/y").as_bytes());
    assert_eq!(c.read_response().unwrap().body, b"abcdef");
    assert_eq!(server.request_count(), 2);
}

#[test]
fn fault_trickle_stops_when_client_leaves() {
    let server = fault_server(Reply::Trickle {
        status: 200,
        headers: vec![],
        body: vec![b'x'; 1000],
        chunk: 1,
        interval: Duration::from_millis(5),
    });
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let mut first = [0u8; 1];
    c.stream.read_exact(&mut first).unwrap();
    drop(c);
    let started = Instant::now();
    server.shutdown();
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn fault_stall() {
    let server = fault_server(Reply::Stall {
        for_: Duration::from_millis(200),
    });
    let mut c = RawClient::connect(server.addr());
    let started = Instant::now();
    c.send(get("/x").as_bytes());
    let (bytes, err) = c.read_all();
    assert!(bytes.is_empty());
    assert_eq!(err, None);
    assert!(
        started.elapsed() >= Duration::from_millis(180),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn fault_stall_ends_on_shutdown() {
    let server = fault_server(Reply::Stall {
        for_: Duration::from_secs(3600),
    });
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    while server.request_count() == 0 {
        thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    server.shutdown();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let (bytes, _) = c.read_all();
    assert!(bytes.is_empty());
}

#[test]
fn fault_raw() {
    let server = fault_server(Reply::Raw(b"HTTP/1.1 200 OK\r\nnonsense".to_vec()));
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, err) = c.read_all();
    assert_eq!(bytes, b"HTTP/1.1 200 OK\r\nnonsense");
    assert_eq!(err, None);
}

#[test]
fn handler_panic_gives_500() {
    let server = MockServer::start(|_: &ObservedRequest| -> Reply { panic!("boom") }).unwrap();
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    let (bytes, _) = c.read_all();
    assert!(bytes.starts_with(b"HTTP/1.1 500 "), "{bytes:?}");
}

#[test]
fn no_body_statuses_and_invalid_headers() {
    let server = fault_server(
        Reply::text(204, "text/plain", "ignored")
            .with_header("x-bad", "a\r\nInjected: yes")
            .with_header("x-good", "1"),
    );
    let mut c = RawClient::connect(server.addr());
    c.send(get("/x").as_bytes());
    c.send(b"GET /y HTTP/1.1\r\nConnection: close\r\n\r\n");
    let (bytes, _) = c.read_all();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text.matches("HTTP/1.1 204 No Content\r\n").count(),
        2,
        "{text}"
    );
    assert!(!text.contains("Injected"), "{text}");
    assert!(!text.contains("ignored"), "{text}");
    assert!(!text.contains("Content-Length"), "{text}");
    assert!(text.contains("x-good: 1\r\n"), "{text}");
}

#[test]
fn shutdown_closes_idle_connections_promptly() {
    let server = echo_server();
    let mut idle = RawClient::connect(server.addr());
    let mut c = RawClient::connect(server.addr());
    assert_eq!(c.request("GET", "/", &[], None).status, 200);
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let (bytes, _) = idle.read_all();
    assert!(bytes.is_empty());
    let (bytes, _) = c.read_all();
    assert!(bytes.is_empty());
}

#[test]
fn many_concurrent_clients() {
    let server = Arc::new(echo_server());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let addr = server.addr();
            thread::spawn(move || {
                let mut c = RawClient::connect(addr);
                for j in 0..5 {
                    let r = c.request("GET", &format!("/{i}/{j}"), &[], None);
                    assert_eq!(r.json()["path"], format!("/{i}/{j}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(server.request_count(), 40);
}
