//! Meter usage with the blocking client: record what a user consumed under an
//! idempotency key, send it again as a retry would (the server counts it once), and read
//! the month's totals: `cargo run -p spaps-examples --example usage_metering`.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`, `SPAPS_EMAIL` and `SPAPS_PASSWORD`).

use std::time::{SystemTime, UNIX_EPOCH};

use spaps_blocking::model::usage::UsageRecordResult;
use spaps_blocking::{Client, Error, Timestamp};

const FEATURE: &str = "api_calls";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!("SPAPS at {target}");
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .build()?;

    // Usage is recorded for the signed-in user.
    client
        .auth()
        .sign_in_with_password(target.email.as_str(), target.password.as_str())
        .send()?;
    let before = used(&client, FEATURE)?;

    // One idempotency key per usage event, taken from what identifies the event in your
    // system (a job id, a request id), never made up afresh for each attempt. This run's
    // event is "5 API calls made by job <now>".
    let job = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let key = format!("job-{job}-{FEATURE}");
    // A resend must be the same request: fix everything in it once, the time included.
    let at = Timestamp::from_system_time(SystemTime::now()).to_rfc3339();
    let record = || -> Result<UsageRecordResult, Error> {
        let metadata = serde_json::Map::from_iter([("job".to_owned(), job.to_string().into())]);
        client
            .usage()
            .record_usage(FEATURE, 5.0)
            .metadata(metadata)
            .timestamp(at.as_str())
            // Sent as `X-Idempotency-Key`. It also lets the client retry this POST by
            // itself after a 429, a 5xx or a lost connection, with the same key.
            .idempotency_key(key.as_str())
            .send()
    };

    let first = record()?;
    println!(
        "recorded {} x{} as {} at {}",
        FEATURE,
        amount(first.quantity),
        first.record_id,
        first
            .recorded_at
            .map_or_else(|| "?".to_owned(), |t| t.to_string())
    );

    // Say the answer was lost (a timeout, a crash before it was saved): send the same
    // request with the same key again. The server answers with the first record.
    let again = record()?;
    let after = used(&client, FEATURE)?;
    if again.record_id == first.record_id {
        println!(
            "sent again with the same key: same record {}, counted once ({} -> {})",
            again.record_id,
            amount(before),
            amount(after)
        );
    } else {
        println!(
            "this server did not deduplicate: {} and {} ({} -> {})",
            first.record_id,
            again.record_id,
            amount(before),
            amount(after)
        );
    }
    if let Some(warning) = &first.warning {
        println!("warning from the server: {warning}");
    }

    // The month so far, feature by feature.
    let usage = client.usage().get_features().send()?;
    println!(
        "\ntier {}, period {} .. {}",
        usage.tier.as_deref().unwrap_or("?"),
        usage
            .period
            .start
            .map_or_else(|| "?".to_owned(), |t| t.to_string()),
        usage
            .period
            .end
            .map_or_else(|| "?".to_owned(), |t| t.to_string())
    );
    for feature in &usage.features {
        let share = feature
            .percentage
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default();
        let limit = feature
            .limit
            .map_or_else(|| "unlimited".to_owned(), |l| amount(Some(l)));
        println!(
            "  {:<12} {} of {limit}{share}",
            feature.name,
            amount(feature.used)
        );
    }

    client.auth().logout().send()?;
    Ok(())
}

/// How much of `feature` the user used this period.
fn used(client: &Client, feature: &str) -> Result<Option<f64>, Error> {
    let usage = client.usage().get_features().send()?;
    Ok(usage
        .features
        .into_iter()
        .find(|f| f.name == feature)
        .and_then(|f| f.used))
}

fn amount(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}
