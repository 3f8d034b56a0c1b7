use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_736_942_400;

fn at(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s).unwrap()
}

fn event_body(kind: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"evt_1","type":"{kind}","schema_version":1,"application_id":"app","created_at":"2025-01-15T12:00:00Z","data":{{"entitlement_id":"ent_1","entitlement_key":"pro","source":"stripe","starts_at":"2025-01-15T12:00:00Z","metadata":{{"seats":3}}}}}}"#
    )
    .into_bytes()
}

#[test]
fn typed_entitlement_events_and_generic_others() {
    let v = WebhookVerifier::new("s").unwrap();
    for kind in [
        "granted", "renewed", "updated", "expired", "revoked", "claimed",
    ] {
        let body = event_body(&format!("entitlement.{kind}"));
        let event = v.verify(&sign("s", NOW, &body), &body, at(NOW)).unwrap();
        assert_eq!(event.event_type(), format!("entitlement.{kind}"));
        assert!(!matches!(event, WebhookEvent::Other(_)), "{kind}");
    }
    let body = event_body("checkout.completed");
    match v.verify(&sign("s", NOW, &body), &body, at(NOW)).unwrap() {
        WebhookEvent::Other(e) => assert_eq!(e.data["entitlement_id"], "ent_1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_error_kind() {
    let v = WebhookVerifier::new("s").unwrap();
    let body = event_body("entitlement.granted");
    let good = sign("s", NOW, &body);
    assert_eq!(
        v.verify("", &body, at(NOW)).unwrap_err().kind(),
        "malformed_header"
    );
    assert_eq!(
        v.verify(&"t=1,".repeat(2000), &body, at(NOW))
            .unwrap_err()
            .kind(),
        "malformed_header"
    );
    assert_eq!(
        v.verify("t=1,t=2,v1=00", &body, at(NOW))
            .unwrap_err()
            .kind(),
        "malformed_header"
    );
    assert_eq!(
        v.verify("t=-1,v1=00", &body, at(NOW)).unwrap_err().kind(),
        "malformed_header"
    );
    assert_eq!(
        v.verify(&good, b"{}", at(NOW)).unwrap_err().kind(),
        "signature_mismatch"
    );
    assert_eq!(
        v.verify(&good, &body, at(NOW + 301)).unwrap_err().kind(),
        "timestamp_out_of_tolerance"
    );
    let junk = b"not json";
    assert_eq!(
        v.verify(&sign("s", NOW, junk), junk, at(NOW))
            .unwrap_err()
            .kind(),
        "invalid_payload"
    );
    let bad_data = br#"{"id":"e","type":"entitlement.granted","schema_version":1,"application_id":"a","created_at":"2025-01-15T12:00:00Z","data":{}}"#;
    assert_eq!(
        v.verify(&sign("s", NOW, bad_data), bad_data, at(NOW))
            .unwrap_err()
            .kind(),
        "invalid_payload"
    );
}

#[test]
fn mac_is_checked_before_time() {
    let v = WebhookVerifier::new("s").unwrap();
    let body = event_body("entitlement.granted");
    let forged = sign("other", NOW - 10_000, &body);
    assert_eq!(
        v.verify(&forged, &body, at(NOW)).unwrap_err(),
        WebhookError::SignatureMismatch
    );
}

/// With an empty key anyone can sign: no verifier can be built with one, so a
/// signature made with `""` can never be accepted.
#[test]
fn an_empty_secret_is_refused_at_construction() {
    let body = event_body("entitlement.granted");
    let forged = sign("", NOW, &body);
    for secret in ["", " ", "\t\n"] {
        assert_eq!(
            WebhookVerifier::new(secret).unwrap_err(),
            WebhookError::EmptySecret,
            "{secret:?}"
        );
    }
    assert_eq!(
        WebhookVerifier::with_secrets(["whsec_new", ""]).unwrap_err(),
        WebhookError::EmptySecret
    );
    assert_eq!(
        WebhookVerifier::with_secrets(Vec::<Secret>::new()).unwrap_err(),
        WebhookError::EmptySecret
    );
    let error = WebhookVerifier::new(String::new()).unwrap_err();
    assert_eq!(error.kind(), "empty_secret");
    assert!(error.to_string().contains("must not be empty"));
    // A real secret still refuses the empty-key forgery.
    let v = WebhookVerifier::new("whsec_real").unwrap();
    assert_eq!(
        v.verify(&forged, &body, at(NOW)).unwrap_err(),
        WebhookError::SignatureMismatch
    );
}

#[test]
fn secrets_never_show_in_debug() {
    let v = WebhookVerifier::with_secrets(["whsec_very_secret"]).unwrap();
    assert!(!format!("{v:?}").contains("whsec_very_secret"));
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(body in proptest::collection::vec(any::<u8>(), 0..512), secret in "[!-~][ -~]{0,39}", skew in -300i64..=300) {
        let v = WebhookVerifier::new(secret.as_str()).unwrap();
        let header = sign(&secret, NOW + skew, &body);
        prop_assert!(v.verify_signature(&header, &body, at(NOW)).is_ok());
    }

    #[test]
    fn any_flipped_body_bit_fails(body in proptest::collection::vec(any::<u8>(), 1..256), bit in 0usize..2048) {
        let header = sign("s", NOW, &body);
        let mut tampered = body.clone();
        let i = bit % (body.len() * 8);
        tampered[i / 8] ^= 1 << (i % 8);
        let e = WebhookVerifier::new("s").unwrap().verify_signature(&header, &tampered, at(NOW)).unwrap_err();
        prop_assert_eq!(e, WebhookError::SignatureMismatch);
    }

    #[test]
    fn any_flipped_mac_bit_fails(body in proptest::collection::vec(any::<u8>(), 0..64), bit in 0usize..256) {
        let header = sign("s", NOW, &body);
        let hex_mac = &header[header.find("v1=").unwrap() + 3..];
        let mut mac = decode_hex32(hex_mac).unwrap();
        mac[bit / 8] ^= 1 << (bit % 8);
        let forged = format!("t={NOW},v1={}", hex(&mac));
        let e = WebhookVerifier::new("s").unwrap().verify_signature(&forged, &body, at(NOW)).unwrap_err();
        prop_assert_eq!(e, WebhookError::SignatureMismatch);
    }

    #[test]
    fn any_changed_timestamp_fails(body in proptest::collection::vec(any::<u8>(), 0..64), delta in 1i64..1_000_000, bit in 0u32..33) {
        let header = sign("s", NOW, &body);
        let mac = &header[header.find("v1=").unwrap()..];
        for t in [NOW + delta, NOW - delta, NOW ^ (1 << bit)] {
            if t == NOW || t < 0 { continue; }
            let moved = format!("t={t},{mac}");
            let e = WebhookVerifier::new("s").unwrap().verify_signature(&moved, &body, at(t)).unwrap_err();
            prop_assert_eq!(e, WebhookError::SignatureMismatch);
        }
    }

    #[test]
    fn tolerance_boundary_is_exact(tol in 0u64..100_000, side in prop_oneof![Just(1i64), Just(-1i64)]) {
        let v = WebhookVerifier::new("s").unwrap().tolerance(Duration::from_secs(tol));
        let t = NOW + side * tol as i64;
        let header = sign("s", t, b"x");
        prop_assert!(v.verify_signature(&header, b"x", at(NOW)).is_ok());
        let t = NOW + side * (tol as i64 + 1);
        let header = sign("s", t, b"x");
        let is_out = matches!(v.verify_signature(&header, b"x", at(NOW)), Err(WebhookError::TimestampOutOfTolerance { .. }));
        prop_assert!(is_out);
    }

    #[test]
    fn order_of_v1_entries_does_not_matter(decoys in proptest::collection::vec("[0-9a-f]{0,70}", 0..5), pos in 0usize..6) {
        let good = sign("s", NOW, b"body");
        let good_mac = good[good.find("v1=").unwrap() + 3..].to_owned();
        let mut macs: Vec<String> = decoys;
        let pos = pos.min(macs.len());
        macs.insert(pos, good_mac);
        let header = format!("t={NOW},{}", macs.iter().map(|m| format!("v1={m}")).collect::<Vec<_>>().join(","));
        prop_assert!(WebhookVerifier::new("s").unwrap().verify_signature(&header, b"body", at(NOW)).is_ok());
    }

    #[test]
    fn every_secret_is_tried(n in 1usize..5, which in 0usize..5) {
        let secrets: Vec<String> = (0..n).map(|i| format!("whsec_{i}")).collect();
        let which = which % n;
        let header = sign(&secrets[which], NOW, b"b");
        prop_assert!(WebhookVerifier::with_secrets(secrets.iter().map(String::as_str)).unwrap().verify_signature(&header, b"b", at(NOW)).is_ok());
    }

    #[test]
    fn arbitrary_headers_never_panic(header in ".{0,300}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = WebhookVerifier::new("s").unwrap().verify(&header, &body, at(NOW));
    }
}
