use super::*;

fn parse_cassette(text: &str) -> Cassette {
    match parse_corpus(text.as_bytes()).unwrap() {
        Corpus::Cassette(c) => *c,
        Corpus::Vectors(_) => panic!("expected a cassette"),
    }
}

const MINIMAL: &str = r#"{
        "format": "spaps-cassette/1", "name": "n", "source": "handmade",
        "setup": {"base_url": "https://x/p", "unknown_key": 1, "stored_tokens": null},
        "steps": [{
            "call": {"client": "auth", "method": "m", "args": {"a": 1}},
            "exchanges": [{
                "request": {"method": "POST", "path": "/a", "query": [["k", "v"]],
                            "headers": {"X-Api-Key": "k", "Authorization": "Bearer t"},
                            "json": null},
                "response": {"status": 200, "headers": {"Content-Type": "application/json",
                             "x-request-id": "r"}, "json": null}
            }, {
                "request": {"method": "GET", "path": "/b"},
                "response": {"status": 204, "headers": [["retry-after", 5]], "body": "raw"}
            }, {
                "request": {"method": "GET", "path": "/c"},
                "response": {"status": 200}
            }],
            "outcome": {"ok": {"x": 1}},
            "expect": {"kind": "ok", "tokens_after": null}
        }, {
            "setup": {"base_url": "https://y"},
            "call": {"client": "auth", "method": "m"},
            "exchanges": [],
            "expect": {"kind": "api_error", "status": 401, "retry_after_s": 2,
                       "tokens_after": {"access_token": "a", "refresh_token": "r"}}
        }, {
            "call": {"client": "auth", "method": "m"},
            "expect": {"kind": "no_panic"}
        }]
    }"#;

#[test]
fn parses_minimal_cassette() {
    let c = parse_cassette(MINIMAL);
    assert_eq!(c.setup.base_url, "https://x/p");
    assert!(c.setup.stored_tokens.is_none());
    let s0 = &c.steps[0];
    assert_eq!(c.setup_for(s0).base_url, "https://x/p");
    assert_eq!(c.setup_for(&c.steps[1]).base_url, "https://y");
    let req = &s0.exchanges[0].request;
    assert_eq!(req.query, vec![("k".to_owned(), "v".to_owned())]);
    assert_eq!(req.header("x-api-key"), Some("k"));
    assert_eq!(req.headers.get("authorization").unwrap(), "Bearer t");
    assert_eq!(req.json, JsonField::Present(Value::Null));
    let r0 = &s0.exchanges[0].response;
    assert_eq!(r0.body_bytes(), b"null");
    assert_eq!(r0.content_type(), Some("application/json"));
    assert_eq!(s0.exchanges[1].request.json, JsonField::Absent);
    let r1 = &s0.exchanges[1].response;
    assert_eq!(r1.body_bytes(), b"raw");
    assert_eq!(r1.header("Retry-After"), Some("5"));
    assert!(s0.exchanges[2].response.body_bytes().is_empty());
    assert_eq!(s0.expect.kind, ExpectKind::Ok);
    assert_eq!(s0.expect.tokens_after, TokensAfter::Empty);
    assert_eq!(s0.outcome_ok(), &serde_json::json!({"x": 1}));
    let e1 = &c.steps[1].expect;
    assert_eq!(e1.kind, ExpectKind::ApiError);
    assert_eq!(e1.retry_after_s, Some(2.0));
    assert!(matches!(&e1.tokens_after, TokensAfter::Tokens(t)
            if t.access_token == "a" && t.refresh_token.as_deref() == Some("r")));
    assert_eq!(c.steps[2].expect.tokens_after, TokensAfter::Unchecked);
    assert_eq!(c.steps[2].outcome_ok(), &Value::Null);
}

#[test]
fn retry_config_defaults() {
    let rc: RetryConfig = serde_json::from_str(r#"{"max_attempts": 2}"#).unwrap();
    assert_eq!(rc.max_attempts, 2);
    assert_eq!(rc.backoff_factor, 0.5);
    assert!(rc.jitter);
    assert_eq!(rc.status_codes, vec![429, 500, 502, 503, 504]);
    assert_eq!(rc.methods, vec!["GET", "HEAD", "OPTIONS", "DELETE", "PUT"]);
    assert_eq!(
        serde_json::from_str::<RetryConfig>("{}").unwrap(),
        RetryConfig::default()
    );
}

#[test]
fn rejects_bad_input() {
    assert!(matches!(parse_corpus(b""), Err(LoadError::Json(_))));
    assert!(matches!(parse_corpus(b"[1]"), Err(LoadError::Json(_))));
    assert!(matches!(
        parse_corpus(b"{}"),
        Err(LoadError::UnknownFormat(f)) if f == "<missing>"
    ));
    assert!(matches!(
        parse_corpus(br#"{"format": "spaps-cassette/2"}"#),
        Err(LoadError::UnknownFormat(_))
    ));
    assert!(matches!(
        parse_corpus(br#"{"format": 7}"#),
        Err(LoadError::UnknownFormat(_))
    ));
    assert!(matches!(
        parse_corpus(br#"{"format": "spaps-cassette/1"}"#),
        Err(LoadError::Json(_))
    ));
    let bad_status = MINIMAL.replace("\"status\": 204", "\"status\": 42");
    assert!(matches!(
        parse_corpus(bad_status.as_bytes()),
        Err(LoadError::Invalid(_))
    ));
    let bad_header = MINIMAL.replace("\"x-request-id\": \"r\"", "\"x-request-id\": \"a\\r\\nb\"");
    assert!(matches!(
        parse_corpus(bad_header.as_bytes()),
        Err(LoadError::Invalid(_))
    ));
    let bad_kind = MINIMAL.replace("\"no_panic\"", "\"panic\"");
    assert!(matches!(
        parse_corpus(bad_kind.as_bytes()),
        Err(LoadError::Json(_))
    ));
    let deep = "[".repeat(100_000);
    assert!(parse_corpus(deep.as_bytes()).is_err());
    let huge = vec![b' '; MAX_CORPUS_BYTES + 1];
    assert!(matches!(
        parse_corpus(&huge),
        Err(LoadError::TooLarge { .. })
    ));
}

#[test]
fn parses_vectors() {
    let text = r#"{"format": "spaps-webhook-vectors/1", "vectors": [
            {"name": "a", "body": "{}", "header": "t=1,v1=00", "secrets": ["s"], "now": 1,
             "tolerance_s": 300, "expect": {"ok": {"id": "evt", "type": "x.y"}}},
            {"name": "b", "body_base64": "/w==", "header": "", "secrets": [], "now": 2,
             "expect": {"error": "malformed_header"}},
            {"name": "c", "body": "", "header": "", "secrets": [], "now": 2,
             "expect": {"error": ["signature_mismatch", "invalid_payload"]}}
        ]}"#;
    let Corpus::Vectors(v) = parse_corpus(text.as_bytes()).unwrap() else {
        panic!("expected vectors")
    };
    assert_eq!(v.vectors.len(), 3);
    assert_eq!(v.vectors[0].body_bytes().unwrap(), b"{}");
    assert_eq!(v.vectors[0].expect.ok.as_ref().unwrap().r#type, "x.y");
    assert_eq!(v.vectors[1].body_bytes().unwrap(), vec![0xff]);
    assert_eq!(v.vectors[1].expect.error, vec!["malformed_header"]);
    assert_eq!(v.vectors[2].expect.error.len(), 2);

    let bad = text.replace("/w==", "/w=");
    assert!(matches!(
        parse_corpus(bad.as_bytes()),
        Err(LoadError::Base64(_))
    ));
    let both = text.replace(
        r#""expect": {"error": "malformed_header"}"#,
        r#""expect": {}"#,
    );
    assert!(matches!(
        parse_corpus(both.as_bytes()),
        Err(LoadError::Invalid(_))
    ));
}

#[test]
fn base64_strict() {
    assert_eq!(decode_base64("").unwrap(), b"");
    assert_eq!(decode_base64("Zg==").unwrap(), b"f");
    assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
    assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
    assert_eq!(decode_base64("Zm9vYmFy").unwrap(), b"foobar");
    assert_eq!(decode_base64("+/+/").unwrap(), vec![0xfb, 0xff, 0xbf]);
    assert_eq!(
        decode_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap(),
        (0u8..16).collect::<Vec<_>>()
    );
    for bad in [
        "Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9=", "Zg==Zg==", "Zm9v\n", " Zm9v",
        "Zm-v", "Zm_v", "Zm=v", "Zé==",
    ] {
        assert!(decode_base64(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn load_paths_names_the_file() {
    let dir = std::env::temp_dir().join(format!("spaps-testkit-load-{}", std::process::id()));
    let sub = dir.join("sub");
    fs::create_dir_all(&sub).unwrap();
    fs::write(sub.join("b.json"), MINIMAL).unwrap();
    fs::write(dir.join("a.json"), MINIMAL).unwrap();
    fs::write(dir.join("ignored.txt"), "not json").unwrap();
    let loaded = load_paths(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<_> = loaded.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(names, vec![dir.join("a.json"), sub.join("b.json")]);

    fs::write(sub.join("c.json"), "{oops").unwrap();
    let err = load_paths(std::slice::from_ref(&dir)).unwrap_err();
    assert!(err.to_string().contains("c.json"), "{err}");
    let err = load_paths(&[dir.join("missing.json")]).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn loads_the_whole_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = load_paths(&[root.join("cassettes"), root.join("vectors")]).unwrap();
    let mut cassettes = 0;
    let mut steps = 0;
    let mut vectors = 0;
    for (_, corpus) in &loaded {
        match corpus {
            Corpus::Cassette(c) => {
                cassettes += 1;
                steps += c.steps.len();
            }
            Corpus::Vectors(v) => {
                vectors += v.vectors.len();
                for vector in &v.vectors {
                    vector.body_bytes().unwrap();
                }
            }
        }
    }
    assert!(cassettes > 600, "only {cassettes} cassettes");
    assert!(steps >= cassettes);
    assert!(vectors > 0);
}

proptest::proptest! {
    #[test]
    fn parse_corpus_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let _ = parse_corpus(&bytes);
    }

    #[test]
    fn base64_never_panics(s in ".{0,64}") {
        let _ = decode_base64(&s);
    }

    #[test]
    fn parse_corpus_never_panics_on_mutated_cassette(
        idx in 0usize..2000, byte in proptest::num::u8::ANY,
    ) {
        let mut bytes = MINIMAL.as_bytes().to_vec();
        let i = idx % bytes.len();
        bytes[i] = byte;
        let _ = parse_corpus(&bytes);
    }
}
