//! The README's example of testing your own code with the mock SPAPS, kept compiling
//! and passing here.

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use spaps_proto::webhook::WebhookVerifier;
use spaps_proto::Timestamp;
use spaps_testkit::mock_spaps::{MockSpaps, DEMO_EMAIL, DEMO_PASSWORD};
use spaps_testkit::observed::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};

#[test]
fn a_trial_that_runs_out_is_reported_by_webhook() -> Result<(), Box<dyn std::error::Error>> {
    // Your webhook endpoint: here a loopback server handing each delivery to the test.
    let (tx, rx) = mpsc::channel();
    let hook = MockServer::start(move |req: &ObservedRequest| {
        let signature = req
            .header("x-spaps-signature")
            .unwrap_or_default()
            .to_owned();
        let _ = tx.send((signature, req.body.clone()));
        Reply::empty(204)
    })?;

    let spaps = MockSpaps::new().start()?; // a free loopback port
    spaps.register_webhook(&format!("{}/webhooks/spaps", hook.url()), "whsec_test");

    let client = spaps_blocking::Client::builder()
        .base_url(&spaps.url())
        .api_key("spaps_test_key")
        .build()?;
    let me = client
        .auth()
        .sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD) // the demo account, an admin
        .send()?;
    let user_id = me.user.expect("a user").user_id;
    let in_two_weeks = Timestamp::from_system_time(SystemTime::now())
        .saturating_add(Duration::from_secs(14 * 24 * 3600));
    client
        .entitlements()
        .grant_manual("trial")
        .beneficiary_user_id(user_id.as_str())
        .ends_at(in_two_weeks.to_rfc3339())
        .send()?;
    let has_trial = || -> Result<bool, spaps_blocking::Error> {
        Ok(client
            .entitlements()
            .check_access(user_id.as_str(), "trial")
            .send()?
            .has_entitlement)
    };
    assert!(has_trial()?);

    spaps.advance_clock(Duration::from_secs(15 * 24 * 3600)); // no sleeping
    assert!(!has_trial()?);

    let verifier = WebhookVerifier::new("whsec_test")?;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (signature, body) = rx.recv_timeout(Duration::from_secs(10))?;
        let now = Timestamp::from_system_time(SystemTime::now());
        let event = verifier.verify(&signature, &body, now)?;
        seen.push(event.event_type().to_owned());
    }
    assert_eq!(seen, ["entitlement.granted", "entitlement.expired"]);
    Ok(())
}
