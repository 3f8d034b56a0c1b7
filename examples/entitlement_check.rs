//! Gate features on entitlements: check one entitlement key for a user and act on the
//! answer, then list everything the user holds:
//! `cargo run -p spaps-examples --example entitlement_check`.
//!
//! Entitlement reads send the API key only, never a user's token: a backend can check
//! any user of its application. Set `SPAPS_ENTITLEMENT_KEY` to check another key than
//! `pro_plan`.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`, `SPAPS_EMAIL` and `SPAPS_PASSWORD`).

use std::time::SystemTime;

use spaps_tokio::model::entitlements::Entitlement;
use spaps_tokio::{Client, Error, Timestamp};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!("SPAPS at {target}");
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .build()?;

    // Your backend knows the user id from its own session; here we sign in to learn it.
    let signed_in = client
        .auth()
        .sign_in_with_password(target.email.as_str(), target.password.as_str())
        .await?;
    let user_id = signed_in
        .user
        .map(|u| u.user_id)
        .ok_or("the sign-in answer names no user")?;
    println!("user {user_id}");

    let key = std::env::var("SPAPS_ENTITLEMENT_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "pro_plan".to_owned());

    // The gate: one call per decision (cache the answer briefly if it is hot).
    match client
        .entitlements()
        .check_access(user_id.as_str(), key.as_str())
        .await
    {
        Ok(check) if check.has_entitlement => println!("{key}: held, show the feature"),
        Ok(_) => println!("{key}: not held, show the upgrade page"),
        // SPAPS could not answer (network, timeout, 5xx after the client's retries):
        // fail closed, or fall back to the last answer you cached.
        Err(e @ (Error::Transport(_) | Error::Timeout(_))) => {
            println!("{key}: unknown ({e}), failing closed")
        }
        Err(Error::Api(e)) if e.status.is_server_error() => println!(
            "{key}: unknown ({} {:?}, request {:?}), failing closed",
            e.status, e.code, e.request_id
        ),
        // Anything else is a bug on our side (bad arguments, wrong API key): surface it.
        Err(e) => return Err(e.into()),
    }

    // A few more keys; `team_seat` is scoped to a resource (an organization here), so
    // the check names it.
    let checks = [
        ("beta_access", None),
        ("early_adopter", None),
        ("team_seat", Some(("org", "org_mock_1"))),
    ];
    for (key, resource) in checks {
        let mut check = client.entitlements().check_access(user_id.as_str(), key);
        if let Some((kind, id)) = resource {
            check = check.resource_type(kind).resource_id(id);
        }
        let held = check.await?.has_entitlement;
        let scope = resource.map_or_else(String::new, |(kind, id)| format!(" in {kind} {id}"));
        println!("{key}{scope}: {}", if held { "held" } else { "not held" });
    }

    // Everything the user holds or held, for an account page.
    let entitlements = client
        .entitlements()
        .get_user_entitlements()
        .user_id(user_id.as_str())
        .include_expired(true)
        .include_revoked(true)
        .await?;
    let now = Timestamp::from_system_time(SystemTime::now());
    println!("\n{} entitlement(s):", entitlements.len());
    for e in &entitlements {
        println!(
            "  {:<14} {:<8} from {:<20} since {}{}",
            e.entitlement_key,
            state(e, now),
            e.source,
            e.starts_at,
            e.ends_at
                .map(|end| format!(" until {end}"))
                .unwrap_or_default()
        );
    }

    client.auth().logout().await?;
    Ok(())
}

/// `active`, `expired`, `revoked` or `pending` (not started yet), at `now`.
fn state(e: &Entitlement, now: Timestamp) -> &'static str {
    if e.revoked_at.is_some() {
        "revoked"
    } else if e.ends_at.is_some_and(|end| end <= now) {
        "expired"
    } else if e.starts_at > now {
        "pending"
    } else {
        "active"
    }
}
