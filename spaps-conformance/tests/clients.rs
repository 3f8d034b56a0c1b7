//! Both clients against loopback servers: paging, and the same operations everywhere.

use std::collections::BTreeSet;
use std::path::PathBuf;

use futures_util::StreamExt;
use serde_json::{json, Value};
use spaps_conformance::cassette::{load_paths, Corpus};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

/// Serves `GET /api/sessions` over five sessions, cursor-paged by `starting_after`.
fn sessions_server() -> MockServer {
    MockServer::start(|req: &ObservedRequest| {
        let ids = ["s1", "s2", "s3", "s4", "s5"];
        let query = |k: &str| req.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let limit: usize = query("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
        let start = match query("starting_after") {
            Some(after) => ids.iter().position(|i| *i == after).map_or(ids.len(), |p| p + 1),
            None => 0,
        };
        let page: Vec<Value> = ids[start..]
            .iter()
            .take(limit)
            .map(|id| json!({"id": id, "user_id": "u", "application_id": "a", "created_at": "2025-01-15T12:00:00Z"}))
            .collect();
        Reply::json(200, &json!({"success": true, "data": {"sessions": page, "total": ids.len()}}))
    })
    .expect("server starts")
}

#[test]
fn blocking_pages_walk_every_page_and_item() {
    let server = sessions_server();
    let client = spaps_blocking::Client::builder()
        .base_url(&server.url())
        .api_key("k")
        .build()
        .unwrap();
    client.set_tokens(spaps_proto::Tokens::new("at")).unwrap();
    let pages: Vec<_> = client
        .sessions()
        .list_sessions()
        .limit(2u32)
        .pages()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.sessions.len()).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    let ids: Vec<String> = client
        .sessions()
        .list_sessions()
        .limit(2u32)
        .pages()
        .items()
        .map(|s| s.map(|s| s.session_id))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5"]);
    let cursors: Vec<Option<String>> = server
        .requests()
        .iter()
        .take(3)
        .map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "starting_after")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(cursors, [None, Some("s2".into()), Some("s4".into())]);
}

#[test]
fn tokio_pages_stream_every_item() {
    let server = sessions_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = spaps_tokio::Client::builder()
            .base_url(&server.url())
            .api_key("k")
            .build()
            .unwrap();
        client
            .set_tokens(spaps_proto::Tokens::new("at"))
            .await
            .unwrap();
        let items: Vec<_> = client
            .sessions()
            .list_sessions()
            .limit(3u32)
            .pages()
            .items()
            .collect()
            .await;
        let ids: Vec<String> = items.into_iter().map(|s| s.unwrap().session_id).collect();
        assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5"]);
    });
}

#[test]
fn a_failing_page_ends_the_walk_with_its_error() {
    let server = MockServer::start(|_req: &ObservedRequest| {
        Reply::json(500, &json!({"error": {"code": "BOOM"}}))
    })
    .unwrap();
    let client = spaps_blocking::Client::builder()
        .base_url(&server.url())
        .retry(spaps_proto::RetryPolicy::disabled())
        .build()
        .unwrap();
    client.set_tokens(spaps_proto::Tokens::new("at")).unwrap();
    let results: Vec<_> = client.sessions().list_sessions().pages().collect();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]
            .as_ref()
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(500)
    );
}

/// Every operation of the registry is exercised by the corpus (so on all three
/// clients), and both clients expose every group.
#[test]
fn both_clients_offer_every_operation() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cassettes");
    let mut called = BTreeSet::new();
    for (_, item) in load_paths(&[root]).unwrap() {
        if let Corpus::Cassette(c) = item {
            for step in &c.steps {
                called.insert(format!("{}.{}", step.call.client, step.call.method));
            }
        }
    }
    // The one poll of the device flow is only used through `device_flow.poll`.
    let internal = ["device_flow.request_token"];
    let missing: Vec<_> = spaps_proto::api::names()
        .into_iter()
        .filter(|n| !called.contains(*n) && !internal.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "operations no cassette runs: {missing:?}"
    );
    assert!(spaps_proto::api::names().len() >= 102);

    // The groups reach both clients through one macro; this fails to compile if not.
    fn groups<X: spaps_proto::Execute>(_: &X) {}
    let b = spaps_blocking::Client::builder().build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(async { spaps_tokio::Client::builder().build().unwrap() });
    groups(&b);
    groups(&t);
    macro_rules! same_groups {
        ($($g:ident),*) => {
            $( let _ = (b.$g(), t.$g()); )*
        };
    }
    same_groups!(
        auth,
        sessions,
        device_flow,
        payments,
        crypto,
        usage,
        whitelist,
        secure_messages,
        issue_reporting,
        metrics,
        support_telemetry,
        entitlements,
        email,
        users,
        dayrate
    );
}
