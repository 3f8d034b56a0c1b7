use super::*;
use serde_json::json;

fn recorded(v: Value) -> RecordedRequest {
    serde_json::from_value(v).unwrap()
}

fn base_recorded() -> RecordedRequest {
    recorded(json!({
        "method": "POST",
        "path": "/api/a%20b/c",
        "query": [["k", "v 1"], ["k", "v2"], ["x", ""]],
        "headers": {"X-API-Key": "key", "authorization": "Bearer t",
                    "content-type": "application/json"},
        "json": {"a": 1, "b": [1.5, "x"], "c": null}
    }))
}

fn base_observed() -> ObservedRequest {
    ObservedRequest::from_parts(
        "POST",
        "/api/a%20b/c?x=&k=v2&k=v+1",
        [
            ("X-Api-Key", "key"),
            ("Authorization", "Bearer t"),
            ("User-Agent", "whatever"),
            ("Content-Type", "text/plain"),
        ],
        br#"{"c": null, "b": [1.50, "x"], "a": 1.0}"#.to_vec(),
    )
}

#[test]
fn matching_request_passes() {
    assert_eq!(match_request(&base_recorded(), &base_observed()), Ok(()));
}

#[test]
fn from_parts_and_from_http() {
    let o = ObservedRequest::from_parts(
        "GET",
        "http://host:1/p%2Fq?a=1&b=%E2%9C%93&&c&d=x=y#frag",
        Vec::<(String, String)>::new(),
        Vec::new(),
    );
    assert_eq!(o.path, "/p%2Fq");
    assert_eq!(
        o.query,
        vec![
            ("a".into(), "1".into()),
            ("b".into(), "✓".into()),
            ("c".into(), "".into()),
            ("d".into(), "x=y".into())
        ]
    );
    let o = ObservedRequest::from_parts("GET", "http://host", [("A", "b")], Vec::new());
    assert_eq!(o.path, "/");
    assert_eq!(o.header("a"), Some("b"));

    let req = http::Request::builder()
        .method("PUT")
        .uri("http://h/x%20y?q=a+b%2B")
        .header("X-Api-Key", "k")
        .body(bytes::Bytes::from_static(b"{}"))
        .unwrap();
    let o = ObservedRequest::from_http(&req);
    assert_eq!(o.method, "PUT");
    assert_eq!(o.path, "/x%20y");
    assert_eq!(o.query, vec![("q".into(), "a b+".into())]);
    assert_eq!(o.header("X-API-KEY"), Some("k"));
    assert_eq!(o.body, b"{}");
}

#[test]
fn method_mismatch() {
    let mut o = base_observed();
    o.method = "PUT".into();
    assert!(matches!(
        match_request(&base_recorded(), &o),
        Err(Mismatch::Method { .. })
    ));
}

#[test]
fn path_rules() {
    let mut o = base_observed();
    o.path = "/api/a b/c".into();
    assert_eq!(match_request(&base_recorded(), &o), Ok(()));
    o.path = "/api/a%20b/d".into();
    let err = match_request(&base_recorded(), &o).unwrap_err();
    assert!(matches!(err, Mismatch::Path { .. }));
    assert!(err.to_string().starts_with("path"));
}

#[test]
fn query_rules() {
    let mut o = base_observed();
    o.query.push(("k".into(), "v2".into()));
    let err = match_request(&base_recorded(), &o).unwrap_err();
    assert_eq!(
        err,
        Mismatch::Query {
            missing: vec![],
            unexpected: vec![("k".into(), "v2".into())]
        }
    );
    let mut o = base_observed();
    o.query.retain(|(k, _)| k != "x");
    assert!(matches!(
        match_request(&base_recorded(), &o),
        Err(Mismatch::Query { missing, .. }) if missing == vec![("x".to_owned(), String::new())]
    ));
}

#[test]
fn body_rules() {
    let rec = base_recorded();
    let mut o = base_observed();
    o.body = br#"{"a": 2, "b": [1.5, "x"], "c": null}"#.to_vec();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
    o.body = br#"{"a": 1, "b": [1.5, "x"]}"#.to_vec();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
    o.body = br#"{"a": 1, "b": ["x", 1.5], "c": null}"#.to_vec();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
    o.body = b"not json".to_vec();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));
    o.body = Vec::new();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

    // No recorded body: empty only; `{}` is not "no body".
    let mut rec = base_recorded();
    rec.json = JsonField::Absent;
    o.body = Vec::new();
    assert_eq!(match_request(&rec, &o), Ok(()));
    o.body = b"{}".to_vec();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

    // Recorded `{}`: must send `{}`, not nothing.
    rec.json = JsonField::Present(json!({}));
    assert_eq!(match_request(&rec, &o), Ok(()));
    o.body = Vec::new();
    assert!(matches!(match_request(&rec, &o), Err(Mismatch::Body(_))));

    // Recorded `null`: must send JSON null.
    rec.json = JsonField::Present(Value::Null);
    o.body = b"null".to_vec();
    assert_eq!(match_request(&rec, &o), Ok(()));
}

#[test]
fn strict_header_rules() {
    let rec = base_recorded();
    let mut o = base_observed();
    o.headers.retain(|(n, _)| n != "x-api-key");
    let err = match_request(&rec, &o).unwrap_err();
    assert!(matches!(&err, Mismatch::Header { name, actual: None, .. } if name == "x-api-key"));
    assert!(err.to_string().contains("<absent>"));

    let mut o = base_observed();
    o.headers
        .push(("authorization".into(), "Bearer other".into()));
    assert!(matches!(
        match_request(&rec, &o),
        Err(Mismatch::Header { name, .. }) if name == "authorization"
    ));

    let mut o = base_observed();
    for h in &mut o.headers {
        if h.0 == "authorization" {
            h.1 = "Bearer u".into();
        }
    }
    assert!(matches!(
        match_request(&rec, &o),
        Err(Mismatch::Header { name, .. }) if name == "authorization"
    ));

    // Absent where absent.
    let mut rec = base_recorded();
    rec.headers.remove("authorization");
    assert!(matches!(
        match_request(&rec, &base_observed()),
        Err(Mismatch::Header { name, expected: None, .. }) if name == "authorization"
    ));
}

#[test]
fn checked_when_recorded_header_rules() {
    let mut o = base_observed();
    o.headers.push(("accept".into(), "text/html".into()));
    o.headers.push(("x-idempotency-key".into(), "abc".into()));
    // Free when not recorded.
    assert_eq!(match_request(&base_recorded(), &o), Ok(()));

    let mut rec = base_recorded();
    rec.headers
        .insert("accept".into(), "application/json".into());
    assert!(matches!(
        match_request(&rec, &o),
        Err(Mismatch::Header { name, .. }) if name == "accept"
    ));
    rec.headers.insert("accept".into(), "text/html".into());
    rec.headers.insert("x-idempotency-key".into(), "abc".into());
    rec.headers.insert("x-recon-token".into(), "r".into());
    assert!(matches!(
        match_request(&rec, &o),
        Err(Mismatch::Header { name, actual: None, .. }) if name == "x-recon-token"
    ));
    o.headers.push(("X-Recon-Token".into(), "r".into()));
    assert_eq!(match_request(&rec, &o), Ok(()));
}

#[test]
fn json_equal_numbers() {
    assert!(json_equal(&json!(1), &json!(1.0)));
    assert!(json_equal(&json!(-0.0), &json!(0)));
    assert!(json_equal(&json!(1e2), &json!(100)));
    assert!(!json_equal(&json!(1), &json!("1")));
    assert!(!json_equal(
        &json!(9007199254740993u64),
        &json!(9007199254740992u64)
    ));
    assert!(json_equal(&json!(u64::MAX), &json!(u64::MAX)));
    assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert!(!json_equal(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
}

#[test]
fn decimal_parsing() {
    let d = |s| Decimal::parse(s, false).map(|d| d.to_string());
    assert_eq!(d("12.50").as_deref(), Some("12.5"));
    assert_eq!(d("-3").as_deref(), Some("-3"));
    assert_eq!(d("0.000001").as_deref(), Some("0.000001"));
    assert_eq!(d("-0.0").as_deref(), Some("0"));
    assert_eq!(d("007").as_deref(), Some("7"));
    assert_eq!(d("1200").as_deref(), Some("1200"));
    for bad in [
        "", "-", ".5", "5.", "1e5", "+1", "1.2.3", "1_000", " 1", "0x10", "NaN",
    ] {
        assert_eq!(d(bad), None, "{bad:?}");
    }
    let e = |s| Decimal::parse(s, true).map(|d| d.to_string());
    assert_eq!(e("1e21").as_deref(), Some("1000000000000000000000"));
    assert_eq!(e("1.5e-7").as_deref(), Some("0.00000015"));
    assert_eq!(e("1e400").as_deref(), Some("1e400"));
    assert_eq!(e("1e99999999999999999999"), None);
    assert_eq!(e("1e"), None);
}

#[test]
fn datetime_parsing() {
    let t = |s| parse_datetime(s).map(|d| d.to_string());
    assert_eq!(t("2025-01-15T12:00:00Z").as_deref(), Some("1736942400"));
    assert_eq!(
        t("2025-01-15T12:00:00+00:00").as_deref(),
        Some("1736942400")
    );
    assert_eq!(
        t("2025-01-15T13:00:00+01:00").as_deref(),
        Some("1736942400")
    );
    assert_eq!(t("2025-01-15T07:00:00-0500").as_deref(), Some("1736942400"));
    assert_eq!(t("2025-01-15T14:00:00+02").as_deref(), Some("1736942400"));
    assert_eq!(t("2025-01-15T12:00:00").as_deref(), Some("1736942400"));
    assert_eq!(t("2025-01-15 12:00:00").as_deref(), Some("1736942400"));
    assert_eq!(t("2025-01-15t12:00:00z").as_deref(), Some("1736942400"));
    assert_eq!(t("2025-01-15T12:00").as_deref(), Some("1736942400"));
    assert_eq!(
        t("2025-01-15T12:00:00.250Z").as_deref(),
        Some("1736942400.25")
    );
    assert_eq!(t("2025-01-15T12:00:00.000Z").as_deref(), Some("1736942400"));
    assert_eq!(
        t("2025-01-15T12:00:00.123456789123Z").as_deref(),
        Some("1736942400.123456789123")
    );
    assert_eq!(t("1969-12-31T23:59:59.5Z").as_deref(), Some("-0.5"));
    assert_eq!(t("1970-01-01T00:00:00Z").as_deref(), Some("0"));
    for bad in [
        "2025-01-15",
        "2025-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2025-01-15T24:00:00Z",
        "2025-01-15T12:00:00+24:00",
        "2025-01-15T12:00:00.Z",
        "2025-01-15T12:00:00ZZ",
        "2025-01-15T12:00:00 UTC",
        "2025-01-15X12:00:00Z",
        "20250115T120000Z",
        "2025-01-15T12:00:00+1",
        "２０２５-01-15T12:00:00Z",
    ] {
        assert_eq!(t(bad), None, "{bad:?}");
    }
    assert!(t("2024-02-29T00:00:00Z").is_some());
}

#[test]
fn ok_leaves_basic() {
    let expected = json!({"id": "x", "n": 1, "nested": {"flag": true, "off": false, "none": null}});
    let actual = json!({"identifier": "x", "deep": [{"count": 1.0}], "enabled": true});
    assert_eq!(check_ok_leaves(&expected, &actual), Ok(()));
    // Null and false leaves of expected are not required.
    assert_eq!(
        check_ok_leaves(&json!({"a": null, "b": false}), &json!({})),
        Ok(())
    );
    assert_eq!(check_ok_leaves(&Value::Null, &json!(1)), Ok(()));
    // Top-level scalars.
    assert_eq!(check_ok_leaves(&json!(true), &json!(true)), Ok(()));
    assert!(check_ok_leaves(&json!(true), &json!(false)).is_err());
}

#[test]
fn ok_leaves_mismatch_names_path() {
    let err = check_ok_leaves(&json!({"a": {"b": ["x", "y"]}}), &json!({"b": ["x"]})).unwrap_err();
    assert!(err.contains("$.a.b[1] = \"y\""), "{err}");
    assert!(err.starts_with("1 of 2"), "{err}");
}

#[test]
fn ok_leaves_multiset() {
    assert!(check_ok_leaves(&json!(["a", "a"]), &json!(["a"])).is_err());
    assert_eq!(
        check_ok_leaves(&json!(["a", "a"]), &json!({"x": "a", "y": "a"})),
        Ok(())
    );
    // "1" and 1 normalize to the same number, so each consumes one actual leaf.
    assert!(check_ok_leaves(&json!([1, "1"]), &json!([1])).is_err());
    assert_eq!(
        check_ok_leaves(&json!([1, "1"]), &json!(["1.0", 1])),
        Ok(())
    );
}

#[test]
fn ok_leaves_normalization() {
    // Decimal strings vs numbers.
    assert_eq!(
        check_ok_leaves(&json!({"amount": "12.50"}), &json!({"a": 12.5})),
        Ok(())
    );
    assert_eq!(
        check_ok_leaves(&json!({"amount": 12.5}), &json!({"a": "12.5"})),
        Ok(())
    );
    assert_eq!(check_ok_leaves(&json!("-3"), &json!(-3)), Ok(()));
    assert_eq!(check_ok_leaves(&json!("0.000001"), &json!(1e-6)), Ok(()));
    assert_eq!(check_ok_leaves(&json!(1), &json!(1.0)), Ok(()));
    assert!(check_ok_leaves(&json!("12.51"), &json!(12.5)).is_err());
    // Integers beyond f64 precision compare exactly.
    assert!(check_ok_leaves(&json!(9007199254740993u64), &json!(9007199254740992u64)).is_err());
    assert_eq!(
        check_ok_leaves(&json!("9007199254740993"), &json!(9007199254740993u64)),
        Ok(())
    );
    assert_eq!(
        check_ok_leaves(&json!(2u64.pow(53)), &json!(9007199254740992.0)),
        Ok(())
    );
    // 0.1 as f64 prints as 0.1.
    assert_eq!(check_ok_leaves(&json!(0.1), &json!("0.10")), Ok(()));
    // Date-times in different spellings.
    assert_eq!(
        check_ok_leaves(
            &json!({"created_at": "2025-01-15T12:00:00+00:00"}),
            &json!({"created": "2025-01-15T12:00:00Z"})
        ),
        Ok(())
    );
    assert_eq!(
        check_ok_leaves(
            &json!({"at": "2025-01-15T12:00:00.5"}),
            &json!({"at": "2025-01-15T13:00:00.500+01:00"})
        ),
        Ok(())
    );
    assert_eq!(
        check_ok_leaves(&json!("2025-01-15T12:00:00Z"), &json!(1736942400)),
        Ok(())
    );
    assert!(check_ok_leaves(
        &json!("2025-01-15T12:00:00Z"),
        &json!("2025-01-15T12:00:01Z")
    )
    .is_err());
    // Strings stay strings.
    assert!(check_ok_leaves(&json!("Bearer"), &json!("bearer")).is_err());
    assert!(check_ok_leaves(&json!("true"), &json!(true)).is_err());
    assert!(check_ok_leaves(&json!("null"), &json!(null)).is_err());
    assert!(check_ok_leaves(&json!(""), &json!({})).is_err());
    assert_eq!(check_ok_leaves(&json!(""), &json!([""])), Ok(()));
}

proptest::proptest! {
    #[test]
    fn normalization_never_panics(s in ".{0,40}") {
        let _ = check_ok_leaves(&Value::String(s.clone()), &Value::String(s));
    }

    #[test]
    fn datetime_like_never_panics(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{0,40})?)?(Z|[+-][0-9]{1,4}|[+-][0-9]{2}:[0-9]{2})?") {
        let _ = parse_datetime(&s);
    }

    #[test]
    fn integers_match_their_string(n in proptest::num::i64::ANY) {
        proptest::prop_assert!(check_ok_leaves(&json!(n.to_string()), &json!(n)).is_ok());
    }

    #[test]
    fn floats_match_themselves(f in -1e300f64..1e300) {
        proptest::prop_assert!(check_ok_leaves(&json!(f), &json!(f.to_string())).is_ok());
    }

    #[test]
    fn query_roundtrip(pairs in proptest::collection::vec(("[a-z ]{1,5}", ".{0,5}"), 0..4)) {
        let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let decoded = decode_query(&q.join("&"));
        let expected: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        proptest::prop_assert_eq!(decoded, expected);
    }
}
